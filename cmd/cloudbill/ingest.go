package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloudbill/app"
	"cloudbill/metering"
	"cloudbill/store"
)

func cmdIngest(c *cli, fs *flag.FlagSet) action {
	inbox := fs.String("inbox", "", "ingest every new file of `DIR`, moving each to DIR/done/ once committed (or DIR/failed/ when unreadable)")
	dryRun := fs.Bool("dry-run", false, "check and count every file as the ingest would and list every rejected row (file:line: column: reason) on stdout, then store nothing: no ledger entry, reject, metering row or summary is written, no inbox file moves, no job run is recorded")
	c.settleFlag(fs)
	return func(ctx context.Context, paths []string) error {
		in := c.ingestInput(*inbox)
		in.Paths = paths
		if err := in.Validate(); err != nil {
			return usagef("%s", err.(*app.InputError).Reason)
		}
		did, msg := "ingested", "ingest finished"
		if *dryRun {
			did, msg = "dry run, nothing stored: would ingest", "dry run finished, nothing stored"
			in.DryRun = true
			in.Rejected = func(p metering.Problem) { fmt.Fprintln(c.Stdout, p.Error()) }
			in.Report = func(fr app.FileReport) { c.printReport(fr, false) }
		}
		return c.withApp(ctx, func(a *app.App) error {
			sum, err := a.IngestRecorded(ctx, in)
			c.note(sum.Line(did), msg, sum.LogAttrs()...)
			return err
		})
	}
}

// ingestInput is an ingest of inbox that prints each file's summary on
// stderr, with a progress bar on a terminal.
func (c *cli) ingestInput(inbox string) app.IngestInput {
	report := func(fr app.FileReport) { c.printReport(fr, true) }
	return app.IngestInput{Inbox: inbox, SettleTime: c.settle, KeepDone: c.keepDone, Report: report, Progress: c.progress}
}

// settleFlag adds --settle: how long an inbox file must be left alone
// before it is taken.
func (c *cli) settleFlag(fs *flag.FlagSet) {
	fs.DurationVar(&c.settle, "settle", envDuration("CLOUDBILL_SETTLE", time.Minute),
		"an inbox file is taken once nothing has written to it for this long, or at once when it was renamed in after its last write (NAME.part → NAME) (env CLOUDBILL_SETTLE)")
	fs.DurationVar(&c.keepDone, "keep-done", envDuration("CLOUDBILL_KEEP_DONE", 90*24*time.Hour),
		"ingested files in the inbox's done/ are gzipped after a day and removed after this long; negative keeps them (env CLOUDBILL_KEEP_DONE)")
}

// printReport prints one file's outcome on stderr (in JSON mode the logs
// carry it); hint adds where to see the file's rejects.
func (c *cli) printReport(fr app.FileReport, hint bool) {
	if c.jsonLogs() || c.quiet() {
		return
	}
	fmt.Fprintln(c.Stderr, fr)
	if hint && fr.Ingested() && fr.Rejected > 0 {
		fmt.Fprintf(c.Stderr, "%s: see the rejected rows with: cloudbill rejects --file %s\n", fr.File, fr.File)
	}
}

// progress draws a progress bar on a terminal until the returned function
// is called.
func (c *cli) progress(name string, size int64, bytesRead, rows *atomic.Int64) (done func()) {
	if !c.IsTerminal || size < 4<<20 || c.jsonLogs() {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				fmt.Fprint(c.Stderr, "\r\033[K")
				return
			case <-tick.C:
				frac := min(float64(bytesRead.Load())/float64(size), 1)
				const width = 30
				bar := strings.Repeat("█", int(frac*width)) + strings.Repeat("░", width-int(frac*width))
				fmt.Fprintf(c.Stderr, "\r%s %s %3.0f%% %d rows", filepath.Base(name), bar, frac*100, rows.Load())
			}
		}
	})
	return func() { close(stop); wg.Wait() }
}

func cmdRejects(c *cli, fs *flag.FlagSet) action {
	var filter store.RejectFilter
	fs.BoolVar(&filter.All, "all", false, "also list rejects already resolved by a later ingest")
	fs.StringVar(&filter.File, "file", "", "only the rejects of `FILE` (as ingested, or its base name)")
	return c.withInput(nil, func(ctx context.Context, a *app.App) error {
		tally, err := a.RejectLines(ctx, filter, func(line string) error {
			_, err := fmt.Fprintln(c.Stdout, line)
			return err
		})
		if err != nil {
			return err
		}
		c.note(tally.String(), tally.String())
		return nil
	})
}

// cmdSummaries checks (or rebuilds) the summaries the settlement and the
// findings read: usage_months against every usage row, and the idle
// summary (rebuilt by the next findings refresh).
func cmdSummaries(c *cli, fs *flag.FlagSet) action {
	rebuild := fs.Bool("rebuild", false, "recompute usage_months from every usage row and have the next findings refresh rebuild the idle summary")
	return c.withInput(nil, func(ctx context.Context, a *app.App) error {
		if *rebuild {
			if err := a.RebuildSummaries(ctx); err != nil {
				return err
			}
			fmt.Fprintln(c.Stdout, "usage_months rebuilt from usage; the idle summary is rebuilt by the next findings refresh")
		}
		if err := a.VerifySummaries(ctx); err != nil {
			return err
		}
		fmt.Fprintln(c.Stdout, "usage_months matches usage")
		return nil
	})
}

func cmdGen(c *cli, fs *flag.FlagSet) action {
	var in app.GenArgs
	fs.StringVar(&in.From, "from", "2024-01-01", "first day to meter (YYYY-MM-DD)")
	fs.StringVar(&in.To, "to", "2024-12-31", "last day to meter, inclusive")
	fs.StringVar(&in.Options.Out, "out", "", "folder to write the metering files into (required)")
	fs.Uint64Var(&in.Options.Seed, "seed", 1, "random seed: the same seed writes the same bytes")
	fs.StringVar(&in.Ref, "ref", "", "reference data set to meter (default: the embedded Datong fixtures)")
	fs.IntVar(&in.Options.Resources, "resources", 0, "synthesise exactly N resources by cloning, and write the matching reference set into OUT/reference")
	fs.StringVar(&in.Layout, "layout", "daily", "daily: one usage and one activity file per night; single: one of each for the whole range")
	fs.BoolVar(&in.Options.Gzip, "gzip", false, "gzip the metering files")
	fs.BoolVar(&in.Options.NoActivity, "no-activity", false, "write usage files only")
	return func(context.Context, []string) error {
		r, err := app.Generate(in)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.Stdout, r)
		c.Log.Info("metering generated", "out", r.Out, "usage_rows", r.UsageRows, "activity_rows", r.ActivityRows, "seconds", r.Took.Seconds())
		return nil
	}
}

// cmdArchive moves the usage and activity rows of a closed year into
// OUT/usage-YEAR.csv.gz and OUT/activity-YEAR.csv.gz (with OUT/SHA256SUMS),
// keeping statements, findings, the ledger and the summaries.
func cmdArchive(c *cli, fs *flag.FlagSet) action {
	var in app.ArchiveInput
	fs.IntVar(&in.Year, "year", 0, "the closed `YEAR` to archive: a past year whose statement is issued (required)")
	fs.StringVar(&in.Out, "out", "", "`DIR` of the archive files: usage-YEAR.csv.gz, activity-YEAR.csv.gz and SHA256SUMS (required)")
	return c.withInput(&in, func(ctx context.Context, a *app.App) error { return c.show(a.ArchiveRecorded(ctx, in)) })
}
