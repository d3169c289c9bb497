package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"cloudbill/app"
)

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
		fmt.Fprintf(a.Stdout, "\nsummary %d: %d resources, %d statement lines, city total %s 元 gross, %s 元 net (statement version %d, issued), %d findings\n",
			in.Year, sum.Resources, sum.Lines, sum.Gross, sum.Net, sum.Version, sum.Findings)
		fmt.Fprintln(a.Stdout, "documents:")
		for _, p := range sum.Files {
			fmt.Fprintf(a.Stdout, "  %s\n", p)
		}
		fmt.Fprintf(a.Stdout, "done in %.1fs. Look around: cloudbill --db %s jobs | rejects | findings --as-of %d-12-31\n",
			time.Since(start).Seconds(), sum.DB, in.Year)
		return nil
	}
}
