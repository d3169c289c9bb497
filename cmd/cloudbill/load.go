package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"cloudbill/app"
)

func cmdLoad(c *cli, _ *flag.FlagSet) action {
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("load takes one folder, got %d arguments", len(args))
		}
		// A bad set is reported without touching the database.
		ref, err := app.ReadSet(app.LoadInput{Dir: args[0]})
		if err != nil {
			return printProblems(c, err)
		}
		return c.withApp(ctx, func(a *app.App) error {
			r, err := a.LoadSet(ctx, ref)
			if err != nil {
				return printProblems(c, err)
			}
			fmt.Fprintln(c.Stdout, r.Summary(args[0]))
			return nil
		})
	}
}

// printProblems prints each problem of a *app.ProblemsError on stderr,
// one file:line: column: reason a line (in JSON mode an error log each),
// and returns err.
func printProblems(c *cli, err error) error {
	if pe := (*app.ProblemsError)(nil); errors.As(err, &pe) {
		for _, p := range pe.Problems {
			c.tell(slog.LevelError, p.Error(), "problem", "file", p.File, "line", p.Line, "column", p.Column, "reason", p.Reason)
		}
	}
	return err
}

func cmdPolicy(c *cli, fs *flag.FlagSet) action {
	file := fs.String("file", "", "check and print this policy file instead of the one in force (env "+app.PolicyEnv+")")
	return func(context.Context, []string) error {
		a := app.New(nil, nil)
		if *file != "" {
			a.PolicyPath = *file
		}
		p, source, err := a.Policy()
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "# policy in force: %s\n%s", source, p.String())
		return nil
	}
}

func cmdFindings(c *cli, fs *flag.FlagSet) action {
	asOf := fs.String("as-of", "", "as-of date YYYY-MM-DD (default: yesterday in Asia/Shanghai)")
	return func(ctx context.Context, _ []string) error {
		d, err := app.DateArg("as-of", *asOf)
		if err != nil {
			return err
		}
		return c.withApp(ctx, func(a *app.App) error {
			found, asOf, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: d})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Stdout, app.FindingsSummary(found, asOf))
			c.Log.Info("findings refreshed", "as_of", asOf.String(), "findings", len(found))
			return nil
		})
	}
}

func cmdDemo(a *cli, fs *flag.FlagSet) action {
	var in app.DemoInput
	fs.StringVar(&in.Out, "out", "demo", "folder for the database, the fixtures, the inbox and the documents")
	fs.IntVar(&in.Year, "year", 2024, "year to generate, settle and report")
	fs.Uint64Var(&in.Seed, "seed", 1, "metering generator seed")
	return func(ctx context.Context, _ []string) error {
		start := time.Now()
		// The steps report through the demo's own lines; their chatter is muted.
		quiet := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		sum, err := app.Demo(ctx, in, a.Stdout, quiet)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, "\n"+sum.Text(in.Year))
		fmt.Fprintf(a.Stdout, "done in %.1fs. Look around: cloudbill --db %s jobs | rejects | findings --as-of %d-12-31\n",
			time.Since(start).Seconds(), sum.DB, in.Year)
		return nil
	}
}
