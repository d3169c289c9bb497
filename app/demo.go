package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"cloudbill/billing"
	"cloudbill/fixtures"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
)

// demoMarker marks a folder the demo made, so that a second run may clear
// what the first left (and never a folder of the user's by mistake).
const demoMarker = ".cloudbill-demo"

// DemoInput configures a demo run: the folder, the year to generate,
// settle and report, and the metering generator's seed.
type DemoInput struct {
	Out  string
	Year int
	Seed uint64
}

// Validate checks the folder and that the fixtures cover the year.
func (in DemoInput) Validate() error {
	if in.Out == "" {
		return &InputError{Field: "out", Reason: "a folder is required"}
	}
	if in.Year < 2023 || in.Year > 2026 {
		return &InputError{Field: "year", Reason: fmt.Sprintf("%d: the Datong fixtures cover 2023 to 2026", in.Year)}
	}
	return nil
}

// DemoSummary is what a demo run produced.
type DemoSummary struct {
	DB        string
	Resources int
	Lines     int
	Gross     string // city total before the evaluation coefficients, 元
	Net       string // city total payable, 元
	Findings  int
	// OverBudget counts the budgets the forecast of the last period
	// report (the third quarter's) exceeds: over_budget findings.
	OverBudget int
	Version    int
	Files      []string
}

// Demo builds a fresh embedded database in out and runs the whole
// pipeline on the Datong fixtures: load, generate a year of metering into an
// inbox, the nightly job on it (ingest, findings), settle, issue, documents.
func Demo(ctx context.Context, in DemoInput, w io.Writer, log *slog.Logger) (DemoSummary, error) {
	var sum DemoSummary
	if err := in.Validate(); err != nil {
		return sum, err
	}
	out, year := in.Out, in.Year
	if err := prepareDemoDir(out); err != nil {
		return sum, err
	}
	dbPath := filepath.Join(out, "cloudbill.db")
	sum.DB = "sqlite:" + dbPath
	refDir, inbox := filepath.Join(out, "reference"), filepath.Join(out, "inbox")

	quiet := log
	step := func(name, format string, args ...any) func() {
		t := time.Now()
		return func() {
			fmt.Fprintf(w, "%-10s %s (%.1fs)\n", name, fmt.Sprintf(format, args...), time.Since(t).Seconds())
		}
	}
	fmt.Fprintf(w, "cloudbill demo: year %d, a new embedded database %s\n", year, dbPath)

	t := time.Now()
	if err := fixtures.WriteDatong(refDir); err != nil {
		return sum, err
	}
	ref, problems := reference.ReadDir(refDir)
	if len(problems) > 0 {
		return sum, fmt.Errorf("demo fixtures: %d problems, first %v", len(problems), problems[0])
	}
	db, err := store.Open(ctx, sum.DB)
	if err != nil {
		return sum, err
	}
	defer db.Close()
	ap := New(db, quiet)
	if _, err := ap.LoadSet(ctx, ref); err != nil {
		return sum, fmt.Errorf("load fixtures: %w", err)
	}
	sum.Resources = len(ref.Resources)
	fmt.Fprintf(w, "%-10s %s: %d districts, %d departments, %d systems, %d resources, %d events (%.1fs)\n", "reference", refDir,
		len(ref.Districts), len(ref.Departments), len(ref.Systems), len(ref.Resources), len(ref.Events), time.Since(t).Seconds())

	t = time.Now()
	gen, err := fixtures.Generate(fixtures.GenOptions{
		From: metering.YearStart(year), To: metering.YearEnd(year).AddDays(-1), Out: inbox, Seed: in.Seed, Layout: fixtures.LayoutSingle,
	})
	if err != nil {
		return sum, err
	}
	fmt.Fprintf(w, "%-10s %d usage and %d activity rows (+%d malformed on purpose) in %d files in %s (%.1fs)\n", "metering",
		gen.UsageRows, gen.ActivityRows, gen.Malformed, len(gen.Files), inbox, time.Since(t).Seconds())

	// The nightly job, exactly as the daemon runs it, as of the year's last day.
	t = time.Now()
	lastDay := metering.YearEnd(year).AddDays(-1)
	r := NewRunner(db, quiet, map[string]JobFunc{JobNightly: ap.NightlyJob(IngestInput{Inbox: inbox, SettleTime: -1}, func() metering.Date { return lastDay })})
	run, err := r.Run(ctx, JobNightly)
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
	fmt.Fprintf(w, "%-10s %d files: %d rows written, %d rejected (cloudbill rejects lists them), %d files unreadable; %d findings as of %s, %d of them in %d (%.1fs)\n", "nightly",
		c[CountFiles], c[CountRowsIngested], c[CountRowsRejected], c[CountFilesFailed], c[CountFindings], lastDay, sum.Findings, year, time.Since(t).Seconds())

	// The year's rhythm, before the settlement is issued, so that the
	// over_budget findings of the forecast are on the year's lists (issue
	// freezes them): July's report (the mid-year price change behind it),
	// the third quarter's, and next year's budget proposal.
	var rhythm []string
	for _, p := range []billing.Period{billing.Month(year, 7), billing.QuarterPeriod(year, 3)} {
		t := time.Now()
		pr, err := ap.PeriodReport(ctx, PeriodInput{Period: p, Out: out})
		if err != nil {
			return sum, err
		}
		sum.OverBudget = pr.OverBudget
		rhythm = append(rhythm, pr.Paths...)
		fmt.Fprintf(w, "%-10s %s.pdf: %d accrual lines, %d budgets forecast over budget (over_budget findings) (%.1fs)\n", "rhythm",
			PeriodFileBase(p), pr.Lines, pr.OverBudget, time.Since(t).Seconds())
	}
	done := step("budget", "%s.pdf: the proposal for %d", BudgetFileBase(year+1), year+1)
	paths, err := ap.Budget(ctx, BudgetInput{Year: year + 1, Out: out})
	if err != nil {
		return sum, err
	}
	rhythm = append(rhythm, paths...)
	done()
	if inYear, err = ap.YearFindings(ctx, year); err != nil {
		return sum, err
	}
	sum.Findings = len(inYear)

	// Settle, sign off and issue on a clock of January of the next year
	// (docs/signoff.md, the demo).
	at, restore := ap.demoClock(year)
	done = step("settle", "year %d", year)
	res, err := ap.Settle(ctx, YearInput{Year: year})
	if err != nil {
		restore()
		return sum, err
	}
	done()
	issue, err := ap.demoSignoff(ctx, res.Statement, at, w)
	if err != nil {
		restore()
		return sum, err
	}
	done = step("issue", "version %d", res.Statement.Version)
	sum.Version, err = ap.Issue(ctx, issue)
	restore()
	if err != nil {
		return sum, err
	}
	done()
	st, err := db.Statement(ctx, year, sum.Version)
	if err != nil {
		return sum, err
	}
	sum.Lines, sum.Gross, sum.Net = len(st.Lines), st.Gross.StringFixed(2), st.Net.StringFixed(2)

	t = time.Now()
	sum.Files, err = ap.Report(ctx, ReportInput{Year: year, Out: out})
	if err != nil {
		return sum, err
	}
	sum.Files = append(sum.Files, rhythm...)
	fmt.Fprintf(w, "%-10s %d files in %s (%.1fs)\n", "documents", len(sum.Files), out, time.Since(t).Seconds())
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
