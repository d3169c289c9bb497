package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/reports"
	"cloudbill/store"
)

// ReportInput names the documents to write: a year's statement (Version
// 0: the latest) into the folder Out, with the CJK font at Font (""
// means $CLOUDBILL_FONT, else a standard place).
type ReportInput struct {
	Year    int
	Version int
	Out     string
	Font    string
}

// Validate checks the year, the version and the folder.
func (in ReportInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	if in.Version < 0 {
		return &InputError{Field: "version", Reason: fmt.Sprintf("%d is not a version number", in.Version)}
	}
	if in.Out == "" {
		return &InputError{Field: "out", Reason: "a folder for the documents is required"}
	}
	return nil
}

// Report writes every document of the year's statement into the folder and
// returns their paths (those written so far, on an error). An issued
// version's documents print what issuing froze (store.Snapshot), so that
// they stay the same whatever is loaded later; a draft's print the live
// tables.
func (a *App) Report(ctx context.Context, in ReportInput) ([]string, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	year := in.Year
	st, err := a.statement(ctx, year, in.Version)
	if err != nil {
		return nil, fmt.Errorf("report %d: %w", year, err)
	}
	// Every document is written into a staging folder beside Out first and
	// moved into Out only when all are written: a failing report leaves no
	// partial folder, and never half a set of documents in Out.
	parent := filepath.Dir(filepath.Clean(in.Out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(in.Out))+".report-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	staged, err := a.report(ctx, in, st, dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(in.Out, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(staged))
	for _, p := range staged {
		final := filepath.Join(in.Out, filepath.Base(p))
		if err := os.Rename(p, final); err != nil {
			return paths, fmt.Errorf("report %d: %w", year, err)
		}
		paths = append(paths, final)
	}
	a.Log.Info("reports written", "year", year, "version", st.Version, "dir", in.Out, "files", len(paths))
	return paths, nil
}

// report writes the documents of st into the folder dir.
func (a *App) report(ctx context.Context, in ReportInput, st *billing.Statement, dir string) ([]string, error) {
	year := in.Year
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
	more, err := writeProviderCSVs(year, dir, st.Lines)
	paths = append(paths, more...)
	if err != nil {
		return paths, err
	}
	docIn, err := a.documentInputs(ctx, st)
	if err != nil {
		return paths, fmt.Errorf("report %d: %w", year, err)
	}
	more, err = writeEvaluationCSVs(year, dir, docIn)
	paths = append(paths, more...)
	if err != nil {
		return paths, err
	}
	font := in.Font
	if font == "" {
		font = os.Getenv("CLOUDBILL_FONT")
	}
	replaces, err := a.replaced(ctx, st)
	if err != nil {
		return paths, fmt.Errorf("report %d: %w", year, err)
	}
	docs, err := a.writeDocuments(dir, st, docIn, font, replaces)
	paths = append(paths, docs...)
	if err != nil {
		return paths, err
	}
	return paths, nil
}

// documentInputs returns what the documents of st print besides its own
// rows: for an issued version, the snapshot issuing froze; for a draft,
// and for a version issued before cloudbill kept snapshots, the live
// tables (liveInputs), and for a draft its current sign-off records.
func (a *App) documentInputs(ctx context.Context, st *billing.Statement) (store.Snapshot, error) {
	if st.Status == billing.StatementStatusIssued {
		snap, ok, err := a.DB.StatementSnapshot(ctx, st.Year, st.Version)
		if err != nil {
			return store.Snapshot{}, err
		}
		if ok {
			return snap, nil
		}
		a.Log.Warn("this version was issued before cloudbill froze what its documents print: they print today's names, calendar, obligations, findings and scores",
			"year", st.Year, "version", st.Version)
		return a.liveInputs(ctx, st.Year)
	}
	in, err := a.liveInputs(ctx, st.Year)
	if err != nil {
		return in, err
	}
	in.Signoff, err = a.draftSignoff(ctx, st) // its current state
	return in, err
}

// liveInputs reads from the live tables what the year's documents print
// besides a statement's rows: the names, the catalogue, the calendar, the
// policy in force, the SLA obligations as of the report's as-of date, the
// findings and the scores. When findings were never computed, they are
// refreshed as of that date first. Issue freezes what it returns.
func (a *App) liveInputs(ctx context.Context, year int) (store.Snapshot, error) {
	asOf := a.ReportAsOf(year)
	p, _, err := a.Policy()
	if err != nil {
		return store.Snapshot{}, err
	}
	in := store.Snapshot{AsOf: asOf, Policy: p.String()}
	obs, err := a.obligations(ctx, p, asOf, nil)
	if err != nil {
		return in, err
	}
	in.Obligations = evaluation.ObligationsOfYear(obs, year)
	if _, ok, err := a.DB.FindingsAsOf(ctx); err != nil {
		return in, err
	} else if !ok {
		if _, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: asOf}); err != nil {
			return in, fmt.Errorf("findings were never computed and computing them failed (on PostgreSQL, run cloudbill findings --as-of %s as the daemon's role first): %w", asOf, err)
		}
	}
	if in.Findings, err = a.YearFindings(ctx, year); err != nil {
		return in, err
	}
	if in.Inventory, err = a.DB.Inventory(ctx); err != nil {
		return in, err
	}
	if in.Catalogue, err = a.DB.PriceVersions(ctx); err != nil {
		return in, fmt.Errorf("read catalogue: %w", err)
	}
	if in.Calendar, err = a.DB.CalendarDays(ctx); err != nil {
		return in, err
	}
	if in.Scores, err = a.DB.EvaluationScores(ctx, year); err != nil {
		return in, err
	}
	if in.Events, err = a.DB.LifecycleEvents(ctx); err != nil {
		return in, err
	}
	return in, nil
}

// WriteEvaluationCSVs writes sla-Y.csv and findings-Y.csv of the live
// tables into dir. When findings were never computed, they are refreshed
// as of the report's as-of date first.
func (a *App) WriteEvaluationCSVs(ctx context.Context, year int, dir string) ([]string, error) {
	in, err := a.liveInputs(ctx, year)
	if err != nil {
		return nil, err
	}
	return writeEvaluationCSVs(year, dir, in)
}

// writeEvaluationCSVs writes the obligations and findings of in as
// sla-Y.csv and findings-Y.csv into dir.
func writeEvaluationCSVs(year int, dir string, in store.Snapshot) ([]string, error) {
	var paths []string
	for _, f := range []struct {
		name  string
		write func(*os.File) error
	}{
		{fmt.Sprintf("sla-%d.csv", year), func(w *os.File) error { return reports.WriteSLACSV(w, in.Obligations) }},
		{fmt.Sprintf("findings-%d.csv", year), func(w *os.File) error { return reports.WriteFindingsCSV(w, in.Findings) }},
	} {
		p := filepath.Join(dir, f.name)
		if err := writeFileAtomic(p, f.write); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeDocuments writes the PDF documents and the XLSX workbook of
// statement st into dir, printing names, obligations, findings and scores
// from in, with the CJK font at fontPath, else a standard place.
func (a *App) writeDocuments(dir string, st *billing.Statement, in store.Snapshot, fontPath string, replaces *billing.Statement) ([]string, error) {
	font, err := reports.FindFont(fontPath)
	if err != nil {
		return nil, err
	}
	b := reports.Bundle{
		Statement:   st,
		Names:       reports.Names{Inventory: in.Inventory, Catalogue: in.Catalogue},
		Obligations: in.Obligations,
		Findings:    in.Findings,
		Scores:      in.Scores,
		AsOf:        in.AsOf,
		Windows:     reports.WindowsOf(in.Events),
		Calendar:    in.Calendar,
		Replaces:    replaces,
		Signoff:     signoffDocument(st, in.Signoff),
	}
	paths, err := reports.WriteDocuments(dir, b, font)
	if err != nil {
		return paths, fmt.Errorf("documents of %d: %w", st.Year, err)
	}
	a.Log.Info("documents written", "year", st.Year, "version", st.Version, "font", font.Path, "files", len(paths))
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

// replaced returns the issued version the issued version st replaces (the
// latest issued before it), nil when st is a draft or the first issued.
func (a *App) replaced(ctx context.Context, st *billing.Statement) (*billing.Statement, error) {
	if st.Status != billing.StatementStatusIssued {
		return nil, nil
	}
	vs, err := a.Versions(ctx, YearInput{Year: st.Year})
	if err != nil {
		return nil, err
	}
	prev := 0
	for _, v := range vs {
		if v.Version < st.Version && v.Status != billing.StatementStatusDraft {
			prev = v.Version
		}
	}
	if prev == 0 {
		return nil, nil
	}
	return a.DB.Statement(ctx, st.Year, prev)
}

// ProviderCSVName is the file of a provider's own lines of year: the rows
// of settlement-Y.csv whose provider it is, in the same columns and order,
// for the provider to reconcile against its own bill.
func ProviderCSVName(year int, provider string) string {
	return fmt.Sprintf("provider-%d-%s.csv", year, provider)
}

// writeProviderCSVs writes each provider's lines (ProviderCSVName) into dir.
func writeProviderCSVs(year int, dir string, lines []billing.Line) ([]string, error) {
	byProvider := map[string][]billing.Line{}
	var codes []string
	for _, l := range lines {
		if _, ok := byProvider[l.ProviderCode]; !ok {
			codes = append(codes, l.ProviderCode)
		}
		byProvider[l.ProviderCode] = append(byProvider[l.ProviderCode], l)
	}
	sort.Strings(codes)
	var paths []string
	for _, code := range codes {
		p := filepath.Join(dir, ProviderCSVName(year, code))
		if err := writeFileAtomic(p, func(w *os.File) error { return billing.WriteSettlementCSV(w, byProvider[code]) }); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// documentFolder finds the CJK font of the PDFs (font, else
// $CLOUDBILL_FONT, else a standard place) and makes the folder out, for
// the commands that write documents straight into it.
func documentFolder(font, out string) (reports.Font, error) {
	if font == "" {
		font = os.Getenv("CLOUDBILL_FONT")
	}
	f, err := reports.FindFont(font)
	if err != nil {
		return f, err
	}
	return f, os.MkdirAll(out, 0o755)
}
