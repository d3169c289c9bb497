package main

import (
	"context"
	"fmt"

	"cloudbill/store"
)

func cmdRejects(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "rejects", "")
	all := fs.Bool("all", false, "also list rejects already resolved by a later ingest")
	file := fs.String("file", "", "only the rejects of `FILE` (as ingested, or its base name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("rejects takes no arguments, got %d", fs.NArg())
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var open, resolved int
	err = db.Rejects(ctx, store.RejectFilter{All: *all, File: *file}, func(r store.Reject) error {
		line := r.Problem().Error()
		switch {
		case r.Resolved:
			resolved++
			line += " (resolved: stored by a later ingest)"
		case r.RetryResource != "":
			open++
			line += " (retried automatically once the resource is loaded)"
		default:
			open++
		}
		_, err := fmt.Fprintln(a.Stdout, line)
		return err
	})
	if err != nil {
		return err
	}
	if *all {
		fmt.Fprintf(a.Stderr, "%d rejects open, %d resolved\n", open, resolved)
	} else {
		fmt.Fprintf(a.Stderr, "%d rejects open\n", open)
	}
	return nil
}
