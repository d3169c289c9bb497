package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cloudbill/app"
	"cloudbill/store"
)

const signoffUsage = `publish|confirm|object|resolve|approve|status --year Y [--version N] --as USER
  object --line RESOURCE/ITEM --reason TEXT [--evidence FILE]; resolve --objection ID (--accept|--reject) [--reason TEXT]`

// signoffFlags are the flags of cloudbill signoff.
type signoffFlags struct {
	year, version              int
	as, line, reason, evidence string
	objection                  int64
	accept, reject             bool
}

// cmdSignoff runs a step of a draft's sign-off (docs/signoff.md) as --as.
func cmdSignoff(c *cli, fs *flag.FlagSet) action {
	var f signoffFlags
	fs.IntVar(&f.year, "year", 0, "settlement year")
	fs.IntVar(&f.version, "version", 0, "version (default: the latest)")
	fs.StringVar(&f.as, "as", "", "the acting portal account")
	fs.StringVar(&f.line, "line", "", "object: the line, RESOURCE/ITEM")
	fs.StringVar(&f.reason, "reason", "", "object, resolve: the reason")
	fs.StringVar(&f.evidence, "evidence", "", "object: a file of evidence (at most 10 MiB)")
	fs.Int64Var(&f.objection, "objection", 0, "resolve: the objection's number")
	fs.BoolVar(&f.accept, "accept", false, "resolve: accept (the input is corrected, the year settled again)")
	fs.BoolVar(&f.reject, "reject", false, "resolve: reject, with --reason")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return usagef("usage: cloudbill signoff %s", signoffUsage)
		}
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("unexpected arguments %q", fs.Args())
		}
		return c.withApp(ctx, func(a *app.App) error { return c.signoff(ctx, a, args[0], f) })
	}
}

// signoff runs the step sub, then prints the version's sign-off.
func (c *cli) signoff(ctx context.Context, a *app.App, sub string, f signoffFlags) error {
	ac, err := a.ActorByName(ctx, f.as)
	if err != nil {
		return err
	}
	switch sub {
	case "publish":
		err = a.Publish(ctx, app.PublishInput{Actor: ac, Year: f.year, Version: f.version})
	case "confirm":
		err = a.Confirm(ctx, app.ConfirmInput{Actor: ac, Year: f.year, Version: f.version})
	case "approve":
		err = a.Approve(ctx, app.ApproveInput{Actor: ac, Year: f.year, Version: f.version})
	case "object":
		res, item, _ := strings.Cut(f.line, "/")
		in := app.ObjectInput{Actor: ac, Year: f.year, Version: f.version, ResourceID: res, ItemCode: item, Reason: f.reason}
		if f.evidence != "" {
			file, err := os.Open(f.evidence)
			if err != nil {
				return fmt.Errorf("--evidence: %w", err)
			}
			defer file.Close()
			in.Evidence, in.EvidenceName = file, filepath.Base(f.evidence)
		}
		var n int64
		if n, err = a.Object(ctx, in); err == nil {
			fmt.Fprintf(c.Stdout, "objection %d recorded\n", n)
		}
	case "resolve":
		if f.accept == f.reject {
			return usagef("signoff resolve: one of --accept or --reject")
		}
		outcome := map[bool]store.ObjectionStatus{true: store.ObjectionAccepted, false: store.ObjectionRejected}[f.accept]
		if err := a.Resolve(ctx, app.ResolveInput{Actor: ac, ID: f.objection, Outcome: outcome, Reason: f.reason}); err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "objection %d %s\n", f.objection, outcome)
		return nil
	case "status":
	default:
		return usagef("signoff: unknown step %q (publish, confirm, object, resolve, approve or status)", sub)
	}
	if err != nil {
		return err
	}
	return c.show(a.Signoff(ctx, app.SignoffInput{Actor: ac, Year: f.year, Version: f.version}))
}
