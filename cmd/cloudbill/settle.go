package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"cloudbill/billing"
	"cloudbill/store"
)

// now is the wall clock of the commands; tests replace it.
var now = time.Now

// openForYear parses a command that takes only --year and opens the database.
func openForYear(ctx context.Context, a *App, name string, args []string) (int, *store.DB, error) {
	fs := newFlags(a, name, "")
	year := fs.Int("year", 0, "settlement year, e.g. 2024 (required)")
	if err := parseFlags(fs, args); err != nil {
		return 0, nil, err
	}
	if *year < 2000 || *year > 2100 {
		return 0, nil, usagef("--year is required (a year such as 2024)")
	}
	if fs.NArg() > 0 {
		return 0, nil, usagef("unexpected arguments %q", fs.Args())
	}
	db, err := a.OpenDB(ctx)
	return *year, db, err
}

func cmdSettle(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "settle", "")
	year := fs.Int("year", 0, "settlement year, e.g. 2024 (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *year < 2000 || *year > 2100 {
		return usagef("--year is required (a year such as 2024)")
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = settleYear(ctx, a, db, *year)
	return err
}

// settleYear computes year's settlement and stores it as a new draft
// version (or reports that the latest version already says the same).
func settleYear(ctx context.Context, a *App, db *store.DB, year int) (int, error) {
	policy, err := loadPolicy(a)
	if err != nil {
		return 0, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return 0, err
	}
	// Where each resource sits is needed only when the day groups arrive:
	// it is read beside the usage pass.
	type settlementResult struct {
		s   *billing.Settlement
		err error
	}
	settlementc := make(chan settlementResult, 1)
	go func() {
		placement, err := db.Placements(ctx)
		if err != nil {
			settlementc <- settlementResult{err: err}
			return
		}
		settlementc <- settlementResult{s: billing.NewSettlement(year, billing.NewCatalogue(versions), placement)}
	}()
	var s *billing.Settlement
	settlement := func() (*billing.Settlement, error) {
		if s == nil {
			r := <-settlementc
			if r.err != nil {
				return nil, r.err
			}
			s = r.s
		}
		return s, nil
	}
	// The lifecycle events are read once, beside the usage pass, on a
	// connection of their own: they give the billing segments (sent to the
	// usage pass as soon as they are cut) and then the SLA obligations of
	// the providers' evaluations.
	type evalResult struct {
		in  evalInputs
		err error
	}
	evalc := make(chan evalResult, 1)
	segc := make(chan []billing.Segment, 1)
	go func() {
		t0 := time.Now()
		events, err := db.LifecycleEvents(ctx)
		if err != nil {
			close(segc)
			evalc <- evalResult{err: err}
			return
		}
		segc <- billing.Segments(year, events, versions)
		close(segc)
		in, err := evaluationInputs(ctx, db, year, policy, events)
		a.Log.Debug("settle: events and evaluation inputs", "seconds", time.Since(t0).Seconds())
		evalc <- evalResult{in, err}
	}()
	// The year's usage months are streamed here while the events goroutine
	// cuts the segments: the tally keeps the months read before the
	// segments arrive, then matches each month with them and counts its
	// billable days; its day groups are rated by the settlement.
	errNoSegments := errors.New("no segments")
	tally := billing.NewTally()
	receive := func(segs []billing.Segment, ok bool) error {
		if !ok {
			return errNoSegments // the events goroutine has the cause
		}
		return tally.SetSegments(segs)
	}
	t0 := time.Now()
	err = db.UsageMonths(ctx, year, func(m billing.UsageMonth) error {
		if !tally.Ready() {
			select {
			case segs, ok := <-segc:
				if err := receive(segs, ok); err != nil {
					return err
				}
			default:
			}
		}
		return tally.Add(m)
	})
	if err == nil && !tally.Ready() {
		segs, ok := <-segc
		err = receive(segs, ok)
	}
	if err == nil {
		a.Log.Debug("settle: usage months", "seconds", time.Since(t0).Seconds())
		if s, err = settlement(); err == nil {
			err = tally.Groups(s.Add)
		}
	}
	if err != nil {
		ev := <-evalc
		if errors.Is(err, errNoSegments) && ev.err != nil {
			err = ev.err
		}
		return 0, fmt.Errorf("settle %d: %w", year, err)
	}
	a.Log.Debug("settle: day groups", "seconds", time.Since(t0).Seconds())
	t0 = time.Now()
	lines := s.Lines()
	a.Log.Debug("settle: lines", "seconds", time.Since(t0).Seconds())
	ev := <-evalc
	if len(lines) == 0 {
		return 0, fmt.Errorf("settle %d: no billable usage in %d: nothing to settle (ingest the year's metering, and check the resources' confirmed events)", year, year)
	}
	if ev.err != nil {
		return 0, fmt.Errorf("settle %d: %w", year, ev.err)
	}
	seen := map[string]bool{}
	var providers []string
	for _, l := range lines {
		if !seen[l.ProviderCode] {
			seen[l.ProviderCode] = true
			providers = append(providers, l.ProviderCode)
		}
	}
	sort.Strings(providers)
	evals, err := ev.in.evaluate(year, providers, policy)
	if err != nil {
		return 0, fmt.Errorf("settle %d: %w", year, err)
	}
	t0 = time.Now()
	st, err := billing.Assemble(year, lines, evals, policy.String())
	a.Log.Debug("settle: assemble", "seconds", time.Since(t0).Seconds())
	if err != nil {
		return 0, fmt.Errorf("settle %d: %w", year, err)
	}
	st.CreatedAt = now().UTC().Truncate(time.Second)
	t0 = time.Now()
	saved, err := db.SaveStatement(ctx, st)
	if err != nil {
		return 0, fmt.Errorf("settle %d: %w", year, err)
	}
	a.Log.Debug("settle: save", "seconds", time.Since(t0).Seconds())
	if !saved {
		fmt.Fprintf(a.Stdout, "settlement %d unchanged: version %d already holds these %d lines (sha256 %s)\n", year, st.Version, len(lines), st.SHA256)
		return st.Version, nil
	}
	fmt.Fprintf(a.Stdout, "settlement %d version %d (draft): %d lines, %d departments, %d districts, gross %s 元, net %s 元\nsha256 %s\n",
		year, st.Version, len(st.Lines), len(st.Departments), len(st.Districts), st.Gross.StringFixed(2), st.Net.StringFixed(2), st.SHA256)
	for _, e := range st.Providers {
		fmt.Fprintf(a.Stdout, "provider %s: annual score %s, coefficient %s\n", e.ProviderCode, e.Annual.StringFixed(4), e.Coefficient.StringFixed(2))
	}
	a.Log.Info("settled", "year", year, "version", st.Version, "lines", len(st.Lines), "gross", st.Gross.StringFixed(2), "net", st.Net.StringFixed(2))
	return st.Version, nil
}

func cmdIssue(ctx context.Context, a *App, args []string) error {
	year, db, err := openForYear(ctx, a, "issue", args)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = issueStatement(ctx, a, db, year)
	return err
}

// issueStatement freezes year's latest draft as issued.
func issueStatement(ctx context.Context, a *App, db *store.DB, year int) (int, error) {
	v, err := db.IssueStatement(ctx, year, now().UTC().Truncate(time.Second))
	if err != nil {
		return 0, fmt.Errorf("issue %d: %w", year, err)
	}
	fmt.Fprintf(a.Stdout, "settlement %d version %d issued\n", year, v)
	a.Log.Info("issued", "year", year, "version", v)
	return v, nil
}

func cmdDiff(ctx context.Context, a *App, args []string) error {
	year, db, err := openForYear(ctx, a, "diff", args)
	if err != nil {
		return err
	}
	defer db.Close()
	vs, err := db.StatementVersions(ctx, year)
	if err != nil {
		return err
	}
	if len(vs) < 2 {
		return fmt.Errorf("diff %d: %d version(s); a diff needs two (settle again after correcting the inputs)", year, len(vs))
	}
	newer, err := db.Statement(ctx, year, vs[0])
	if err != nil {
		return err
	}
	older, err := db.Statement(ctx, year, vs[1])
	if err != nil {
		return err
	}
	changes := billing.Diff(older, newer)
	fmt.Fprintf(a.Stdout, "settlement %d: version %d → %d, %d line(s) changed\n", year, older.Version, newer.Version, len(changes))
	fmt.Fprintln(a.Stdout, "change\tprovider\tresource\titem\tbillable_days\tquantity_days\tgross\tdelta")
	for _, c := range changes {
		l := c.New
		if c.Kind == billing.ChangeRemoved {
			l = c.Old
		}
		fmt.Fprintf(a.Stdout, "%s\t%s\t%s\t%s\t%d→%d\t%s→%s\t%s→%s\t%s\n", c.Kind, l.ProviderCode, l.ResourceID, l.ItemCode,
			c.Old.BillableDays, c.New.BillableDays, c.Old.QuantityDays, c.New.QuantityDays, c.Old.Gross.StringFixed(2), c.New.Gross.StringFixed(2), c.Delta().StringFixed(2))
	}
	fmt.Fprintf(a.Stdout, "gross %s → %s (%s), net %s → %s (%s)\n", older.Gross.StringFixed(2), newer.Gross.StringFixed(2), newer.Gross.Sub(older.Gross).StringFixed(2),
		older.Net.StringFixed(2), newer.Net.StringFixed(2), newer.Net.Sub(older.Net).StringFixed(2))
	return nil
}

func cmdReport(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "report", "")
	year := fs.Int("year", 0, "settlement year (required)")
	out := fs.String("out", ".", "folder for the documents")
	version := fs.Int("version", 0, "statement version (default: the latest)")
	font := fs.String("font", os.Getenv("CLOUDBILL_FONT"), "CJK TrueType font for the PDFs (env CLOUDBILL_FONT; default: found in standard places)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *year < 2000 || *year > 2100 {
		return usagef("--year is required (a year such as 2024)")
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	paths, err := writeYearReports(ctx, a, db, *year, *version, *out, *font)
	for _, p := range paths {
		fmt.Fprintln(a.Stdout, p)
	}
	return err
}

// writeReports writes every document of year's latest statement into dir.
func writeReports(ctx context.Context, a *App, db *store.DB, year int, dir string) ([]string, error) {
	return writeYearReports(ctx, a, db, year, 0, dir, os.Getenv("CLOUDBILL_FONT"))
}

func writeYearReports(ctx context.Context, a *App, db *store.DB, year, version int, dir, font string) ([]string, error) {
	st, err := db.Statement(ctx, year, version)
	if err != nil {
		return nil, fmt.Errorf("report %d: %w", year, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name  string
		write func(*os.File) error
	}{
		{fmt.Sprintf("settlement-%d.csv", year), func(w *os.File) error { return billing.WriteSettlementCSV(w, st.Lines) }},
		{fmt.Sprintf("departments-%d.csv", year), func(w *os.File) error { return billing.WriteDepartmentsCSV(w, st.Departments) }},
	} {
		p := filepath.Join(dir, f.name)
		if err := writeFileAtomic(p, f.write); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	more, err := writeEvaluationCSVs(ctx, a, db, year, dir)
	paths = append(paths, more...)
	if err != nil {
		return paths, err
	}
	docs, err := writeDocuments(ctx, a, db, year, dir, st, font)
	paths = append(paths, docs...)
	if err != nil {
		return paths, err
	}
	a.Log.Info("reports written", "year", year, "version", st.Version, "dir", dir, "files", len(paths))
	return paths, nil
}

// writeFileAtomic writes path through a temp file in the same folder and a
// rename, so a reader never sees half a file.
func writeFileAtomic(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
