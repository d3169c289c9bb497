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
)

func cmdIngest(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "ingest", "PATH... | --inbox DIR")
	inbox := fs.String("inbox", "", "ingest every new file of `DIR`, moving each to DIR/done/ once committed (or DIR/failed/ when unreadable)")
	dryRun := fs.Bool("dry-run", false, "check and count every file as the ingest would and list every rejected row (file:line: column: reason) on stdout, then store nothing: no ledger entry, reject, metering row or summary is written, no inbox file moves, no job run is recorded")
	c.settleFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in := c.ingestInput(*inbox)
	in.Paths = fs.Args()
	if err := in.Validate(); err != nil {
		return usagef("%s", err.(*app.InputError).Reason)
	}
	if *dryRun {
		return c.dryRunIngest(ctx, in)
	}
	return c.withApp(ctx, func(a *app.App) error {
		var sum app.IngestSummary
		_, err := a.Recorded(ctx, "ingest", func(ctx context.Context) (app.JobResult, error) {
			res := app.JobResult{Scope: ingestScope(in), Counts: map[string]int64{}}
			var err error
			sum, err = a.Ingest(ctx, in)
			sum.Count(res.Counts)
			if err == nil && sum.Failed > 0 {
				err = fmt.Errorf("%d files could not be read", sum.Failed)
			}
			return res, err
		})
		if c.jsonLogs() {
			c.Log.Info("ingest finished", "files", sum.Files, "already_ingested", sum.Skipped, "unreadable", sum.Failed,
				"read", sum.Read, "new", sum.Accepted, "replaced", sum.Replaced, "unchanged", sum.Unchanged,
				"repeated", sum.Duplicates, "rejected", sum.Rejected, "not_yet_billable", sum.NotYetBillable, "retried", sum.Retried)
		} else {
			fmt.Fprintf(c.Stderr, "ingested %d files (%d already ingested, %d unreadable): %s\n", sum.Files, sum.Skipped, sum.Failed, sum)
		}
		return err
	})
}

// dryRunIngest runs in as a dry run: each file's counts on stderr as a real
// run prints them, every reject on stdout, nothing stored.
func (c *cli) dryRunIngest(ctx context.Context, in app.IngestInput) error {
	in.DryRun = true
	in.Rejected = func(p metering.Problem) { fmt.Fprintln(c.Stdout, p.Error()) }
	in.Report = func(fr app.FileReport) { c.printReport(fr, false) }
	return c.withApp(ctx, func(a *app.App) error {
		sum, err := a.Ingest(ctx, in)
		if c.jsonLogs() {
			c.Log.Info("dry run finished, nothing stored", "files", sum.Files, "already_ingested", sum.Skipped, "unreadable", sum.Failed,
				"read", sum.Read, "new", sum.Accepted, "replaced", sum.Replaced, "unchanged", sum.Unchanged,
				"repeated", sum.Duplicates, "rejected", sum.Rejected, "not_yet_billable", sum.NotYetBillable, "retried", sum.Retried)
		} else {
			fmt.Fprintf(c.Stderr, "dry run, nothing stored: would ingest %d files (%d already ingested, %d unreadable): %s\n", sum.Files, sum.Skipped, sum.Failed, sum)
		}
		if err == nil && sum.Failed > 0 {
			err = fmt.Errorf("%d files could not be read", sum.Failed)
		}
		return err
	})
}

// ingestScope says what an ingest covered, for the job history.
func ingestScope(in app.IngestInput) string {
	if in.Inbox != "" {
		return "inbox=" + in.Inbox
	}
	scope := "paths=" + strings.Join(in.Paths, ",")
	if len(scope) > 200 {
		scope = scope[:197] + "..."
	}
	return scope
}

// ingestInput is an ingest of inbox that prints each file's summary on
// stderr, with a progress bar on a terminal.
func (c *cli) ingestInput(inbox string) app.IngestInput {
	return app.IngestInput{Inbox: inbox, SettleTime: c.settle, KeepDone: c.keepDone, Report: c.printFile, Progress: c.progress}
}

// settleFlag adds --settle: how long an inbox file must be left alone
// before it is taken.
func (c *cli) settleFlag(fs *flag.FlagSet) {
	fs.DurationVar(&c.settle, "settle", envDuration("CLOUDBILL_SETTLE", time.Minute),
		"an inbox file is taken once nothing has written to it for this long, or at once when it was renamed in after its last write (NAME.part → NAME) (env CLOUDBILL_SETTLE)")
	fs.DurationVar(&c.keepDone, "keep-done", envDuration("CLOUDBILL_KEEP_DONE", 90*24*time.Hour),
		"ingested files in the inbox's done/ are gzipped after a day and removed after this long; negative keeps them (env CLOUDBILL_KEEP_DONE)")
}

// printFile prints one file's outcome on stderr (in JSON mode the logs
// carry it).
func (c *cli) printFile(fr app.FileReport) { c.printReport(fr, true) }

// printReport is printFile; hint adds where to see the file's rejects.
func (c *cli) printReport(fr app.FileReport, hint bool) {
	if c.jsonLogs() || (c.quiet()) {
		return
	}
	r := fr.IngestResult
	switch {
	case fr.Failed != nil && fr.MovedTo != "":
		fmt.Fprintf(c.Stderr, "%v: moved to %s\n", fr.Failed, fr.MovedTo)
		return
	case fr.Failed != nil:
		fmt.Fprintf(c.Stderr, "%v: file not ingested\n", fr.Failed)
		return
	case fr.Waiting:
		fmt.Fprintf(c.Stderr, "%s: still being written, left for the next run\n", r.File)
		return
	case fr.AlreadyIngested:
		fmt.Fprintf(c.Stderr, "%s: already ingested, nothing changed\n", r.File)
		return
	}
	line := fmt.Sprintf("%s: %d read, %d new, %d replaced, %d unchanged, %d repeated, %d rejected, %d not yet billable",
		r.File, r.Read, r.Accepted, r.Replaced, r.Unchanged, r.Duplicates, r.Rejected, r.NotYetBillable)
	if fr.Took > 0 {
		line += fmt.Sprintf(" (%s, %s, %.1fs, %.0f rows/s)", r.Kind, r.Path, fr.Took.Seconds(), float64(r.Read)/max(fr.Took.Seconds(), 1e-9))
	}
	fmt.Fprintln(c.Stderr, line)
	if r.Rejected > 0 && hint {
		fmt.Fprintf(c.Stderr, "%s: see the rejected rows with: cloudbill rejects --file %s\n", r.File, r.File)
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
