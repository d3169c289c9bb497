package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"cloudbill/app"
	"cloudbill/fixtures"
	"cloudbill/metering"
	"cloudbill/store"
)

// demoMarker marks a folder the demo made, so that a second run may clear
// what the first left (and never a folder of the user's by mistake).
const demoMarker = ".cloudbill-demo"

// demoSummary is what a demo run produced.
type demoSummary struct {
	DB        string
	Resources int
	Lines     int
	Gross     string // city total before the evaluation coefficients, 元
	Net       string // city total payable, 元
	Findings  int
	Version   int
	Files     []string
}

func cmdDemo(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "demo", "")
	out := fs.String("out", "demo", "folder for the database, the fixtures, the inbox and the documents")
	year := fs.Int("year", 2024, "year to generate, settle and report")
	seed := fs.Uint64("seed", 1, "metering generator seed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	if *year < 2023 || *year > 2026 {
		return usagef("--year %d: the Datong fixtures cover 2023 to 2026", *year)
	}
	start := time.Now()
	sum, err := runDemo(ctx, a, *out, *year, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "\nsummary %d: %d resources, %d statement lines, city total %s 元 gross, %s 元 net (statement version %d, issued), %d findings\n",
		*year, sum.Resources, sum.Lines, sum.Gross, sum.Net, sum.Version, sum.Findings)
	fmt.Fprintln(a.Stdout, "documents:")
	for _, p := range sum.Files {
		fmt.Fprintf(a.Stdout, "  %s\n", p)
	}
	fmt.Fprintf(a.Stdout, "done in %.1fs. Look around: cloudbill --db %s jobs | rejects | findings --year %d\n",
		time.Since(start).Seconds(), sum.DB, *year)
	return nil
}

// runDemo builds a fresh embedded database in out and runs the whole
// pipeline on the Datong fixtures: load, generate a year of metering into an
// inbox, the nightly job on it (ingest, findings), settle, issue, documents.
func runDemo(ctx context.Context, a *cli, out string, year int, seed uint64) (demoSummary, error) {
	var sum demoSummary
	if err := prepareDemoDir(out); err != nil {
		return sum, err
	}
	dbPath := filepath.Join(out, "cloudbill.db")
	sum.DB = "sqlite:" + dbPath
	refDir, inbox := filepath.Join(out, "reference"), filepath.Join(out, "inbox")

	// The steps report through the demo's own lines; their chatter is muted.
	quiet := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	step := func(name, format string, args ...any) func() {
		t := time.Now()
		return func() {
			fmt.Fprintf(a.Stdout, "%-10s %s (%.1fs)\n", name, fmt.Sprintf(format, args...), time.Since(t).Seconds())
		}
	}
	fmt.Fprintf(a.Stdout, "cloudbill demo: year %d, a new embedded database %s\n", year, dbPath)

	t := time.Now()
	if err := fixtures.WriteDatong(refDir); err != nil {
		return sum, err
	}
	ref, files, problems := app.ReadReference(refDir)
	if len(problems) > 0 {
		return sum, fmt.Errorf("demo fixtures: %d problems, first %v", len(problems), problems[0])
	}
	db, err := store.Open(ctx, sum.DB)
	if err != nil {
		return sum, err
	}
	defer db.Close()
	ap := app.New(db, quiet)
	if _, err := ap.LoadSet(ctx, refDir, ref, files); err != nil {
		return sum, fmt.Errorf("load fixtures: %w", err)
	}
	sum.Resources = len(ref.Resources)
	fmt.Fprintf(a.Stdout, "%-10s %s: %d districts, %d departments, %d systems, %d resources, %d events (%.1fs)\n", "reference", refDir,
		len(ref.Districts), len(ref.Departments), len(ref.Systems), len(ref.Resources), len(ref.Events), time.Since(t).Seconds())

	t = time.Now()
	gen, err := fixtures.Generate(fixtures.GenOptions{
		From: metering.YearStart(year), To: metering.YearEnd(year).AddDays(-1), Out: inbox, Seed: seed, Layout: fixtures.LayoutSingle,
	})
	if err != nil {
		return sum, err
	}
	fmt.Fprintf(a.Stdout, "%-10s %d usage and %d activity rows (+%d malformed on purpose) in %d files in %s (%.1fs)\n", "metering",
		gen.UsageRows, gen.ActivityRows, gen.Malformed, len(gen.Files), inbox, time.Since(t).Seconds())

	// The nightly job, exactly as the daemon runs it, as of the year's last day.
	t = time.Now()
	lastDay := metering.YearEnd(year).AddDays(-1)
	r := app.NewRunner(db, quiet, map[string]app.JobFunc{app.JobNightly: ap.NightlyJob(app.IngestInput{Inbox: inbox}, func() metering.Date { return lastDay })})
	run, err := r.Run(ctx, app.JobNightly)
	if err != nil {
		return sum, err
	}
	c := run.Counts
	// Only the year is metered, so the days billable before it show up as
	// gaps; the summary counts the year's findings, those its reports list.
	inYear, err := ap.YearFindings(ctx, year)
	if err != nil {
		return sum, err
	}
	sum.Findings = len(inYear)
	fmt.Fprintf(a.Stdout, "%-10s %d files: %d rows written, %d rejected (cloudbill rejects lists them), %d files unreadable; %d findings as of %s, %d of them in %d (%.1fs)\n", "nightly",
		c[app.CountFiles], c[app.CountRowsIngested], c[app.CountRowsRejected], c[app.CountFilesFailed], c[app.CountFindings], lastDay, sum.Findings, year, time.Since(t).Seconds())

	done := step("settle", "year %d", year)
	res, err := ap.Settle(ctx, app.YearInput{Year: year})
	if err != nil {
		return sum, err
	}
	done()
	done = step("issue", "version %d", res.Statement.Version)
	if sum.Version, err = ap.Issue(ctx, app.YearInput{Year: year}); err != nil {
		return sum, err
	}
	done()
	st, err := db.Statement(ctx, year, sum.Version)
	if err != nil {
		return sum, err
	}
	sum.Lines, sum.Gross, sum.Net = len(st.Lines), st.Gross.StringFixed(2), st.Net.StringFixed(2)

	t = time.Now()
	sum.Files, err = ap.Report(ctx, app.ReportInput{Year: year, Out: out})
	if err != nil {
		return sum, err
	}
	fmt.Fprintf(a.Stdout, "%-10s %d files in %s (%.1fs)\n", "documents", len(sum.Files), out, time.Since(t).Seconds())
	return sum, nil
}

// prepareDemoDir makes out ready for a fresh run: created and marked when
// new or empty; cleared of the previous demo's database, fixtures and inbox
// when marked; refused otherwise.
func prepareDemoDir(out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("demo folder: %w", err)
		}
	case err != nil:
		return fmt.Errorf("demo folder: %w", err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(out, demoMarker)); err != nil {
			return fmt.Errorf("demo folder %s is not empty and was not made by cloudbill demo: choose another --out", out)
		}
	}
	for _, name := range []string{"cloudbill.db", "cloudbill.db-wal", "cloudbill.db-shm", "cloudbill.db-journal", "reference", "inbox"} {
		if err := os.RemoveAll(filepath.Join(out, name)); err != nil {
			return fmt.Errorf("clear the previous demo: %w", err)
		}
	}
	return os.WriteFile(filepath.Join(out, demoMarker), []byte("made by cloudbill demo; a new demo run clears this folder's database, reference and inbox\n"), 0o644)
}
