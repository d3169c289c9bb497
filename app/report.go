package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cloudbill/billing"
	"cloudbill/reports"
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
// returns their paths (those written so far, on an error).
func (a *App) Report(ctx context.Context, in ReportInput) ([]string, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	year, dir := in.Year, in.Out
	st, err := a.DB.Statement(ctx, year, in.Version)
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
	more, err := a.WriteEvaluationCSVs(ctx, year, dir)
	paths = append(paths, more...)
	if err != nil {
		return paths, err
	}
	font := in.Font
	if font == "" {
		font = os.Getenv("CLOUDBILL_FONT")
	}
	docs, err := a.writeDocuments(ctx, year, dir, st, font)
	paths = append(paths, docs...)
	if err != nil {
		return paths, err
	}
	a.Log.Info("reports written", "year", year, "version", st.Version, "dir", dir, "files", len(paths))
	return paths, nil
}

// WriteEvaluationCSVs writes sla-Y.csv and findings-Y.csv into dir. When
// findings were never computed, they are refreshed as of the report's
// as-of date first.
func (a *App) WriteEvaluationCSVs(ctx context.Context, year int, dir string) ([]string, error) {
	asOf := a.ReportAsOf(year)
	obs, err := a.YearObligations(ctx, year, asOf)
	if err != nil {
		return nil, err
	}
	if _, ok, err := a.DB.FindingsAsOf(ctx); err != nil {
		return nil, err
	} else if !ok {
		if _, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: asOf}); err != nil {
			return nil, err
		}
	}
	fs, err := a.YearFindings(ctx, year)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name  string
		write func(*os.File) error
	}{
		{fmt.Sprintf("sla-%d.csv", year), func(w *os.File) error { return reports.WriteSLACSV(w, obs) }},
		{fmt.Sprintf("findings-%d.csv", year), func(w *os.File) error { return reports.WriteFindingsCSV(w, fs) }},
	} {
		p := filepath.Join(dir, f.name)
		if err := writeFileAtomic(p, f.write); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeDocuments writes the year's PDF documents and the XLSX workbooks for
// statement st into dir: it gathers names, obligations (as of the report's
// date), findings, scores, the resources' billing windows and the
// working-day calendar from the store and renders them with the CJK font
// at fontPath, else a standard place.
func (a *App) writeDocuments(ctx context.Context, year int, dir string, st *billing.Statement, fontPath string) ([]string, error) {
	font, err := reports.FindFont(fontPath)
	if err != nil {
		return nil, err
	}
	inv, err := a.DB.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := a.DB.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	asOf := a.ReportAsOf(year)
	obs, err := a.YearObligations(ctx, year, asOf)
	if err != nil {
		return nil, err
	}
	fs, err := a.YearFindings(ctx, year)
	if err != nil {
		return nil, err
	}
	scores, err := a.DB.EvaluationScores(ctx, year)
	if err != nil {
		return nil, err
	}
	// The bills print each resource's billing window and approvals, and
	// the objection deadline counted on the working-day calendar.
	events, err := a.DB.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	days, err := a.DB.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	b := reports.Bundle{
		Statement:   st,
		Names:       reports.Names{Inventory: inv, Catalogue: cat},
		Obligations: obs,
		Findings:    fs,
		Scores:      scores,
		AsOf:        asOf,
		Windows:     reports.WindowsOf(events),
		Calendar:    days,
	}
	paths, err := reports.WriteDocuments(dir, b, font)
	if err != nil {
		return paths, fmt.Errorf("documents of %d: %w", year, err)
	}
	a.Log.Info("documents written", "year", year, "version", st.Version, "font", font.Path, "files", len(paths))
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
