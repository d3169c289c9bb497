package main

import (
	"context"
	"fmt"

	"cloudbill/store"
)

func cmdRejects(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "rejects", "")
	all := fs.Bool("all", false, "also list rejects already resolved by a later ingest")
	file := fs.String("file", "", "only the rejects of `FILE` (as ingested, or its base name)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var open, resolved, retry int
	err = db.Rejects(ctx, store.RejectFilter{All: *all, File: *file}, func(r store.Reject) error {
		line := r.Problem().Error()
		switch {
		case r.Resolved:
			resolved++
			line += " (resolved: stored by a later ingest)"
		case r.RetryResource != "":
			open++
			retry++
		default:
			open++
		}
		_, err := fmt.Fprintln(a.Stdout, line)
		return err
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%d rejects open", open)
	if retry > 0 {
		msg += fmt.Sprintf(" (%d only for an unknown resource: retried by the next ingest once it is loaded)", retry)
	}
	if *all {
		msg += fmt.Sprintf(", %d resolved", resolved)
	}
	if a.jsonLogs() {
		a.Log.Info(msg)
	} else {
		fmt.Fprintln(a.Stderr, msg)
	}
	return nil
}
