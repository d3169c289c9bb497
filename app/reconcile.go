package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cloudbill/billing"
	"cloudbill/reports"
	"cloudbill/store"
)

// ReconcileInput names a provider reconciliation: the provider's own bill
// for Year (File, read as the CSV of docs/audit.md, and Name, how errors
// and the documents call it) against Version of the year's statement (0:
// the latest draft). Out, when set, is the folder for
// reconcile-Y-CODE.csv and .pdf; without it nothing is written (the
// portal shows the result). Font is the CJK font of the PDF ("" means
// $CLOUDBILL_FONT, else a standard place).
type ReconcileInput struct {
	Year     int
	Version  int
	Provider string
	Name     string
	File     io.Reader
	Out      string
	Font     string
}

// Validate checks the year, the version, the provider and the file.
func (in ReconcileInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	switch {
	case in.Version < 0:
		return &InputError{Field: "version", Reason: "versions are numbered from 1"}
	case in.Provider == "":
		return &InputError{Field: "provider", Reason: "the provider's code is required, e.g. --provider P01"}
	case in.File == nil || in.Name == "":
		return &InputError{Field: "file", Reason: "the provider's bill (a CSV file) is required"}
	}
	return nil
}

// ReconcileResult is a provider's bill compared with a statement version,
// line by line (billing.Reconciliation: the lines that disagree and the
// counts), and the documents written (none without Out).
type ReconcileResult struct {
	billing.Reconciliation
	File  string
	Paths []string
}

// Reconcile compares a provider's own bill with the year's draft, writes
// the documents when asked, and records the comparison in the audit trail.
// A bill with bad rows is a metering.Problems error naming each
// (file:line: column: reason); nothing is compared then.
func (a *App) Reconcile(ctx context.Context, in ReconcileInput) (ReconcileResult, error) {
	if err := in.Validate(); err != nil {
		return ReconcileResult{}, err
	}
	fail := func(err error) (ReconcileResult, error) {
		return ReconcileResult{}, fmt.Errorf("reconcile %d %s: %w", in.Year, in.Provider, err)
	}
	bill, err := billing.ReadBill(in.Name, in.File)
	if err != nil {
		return fail(err)
	}
	st, err := a.reconcileVersion(ctx, in.Year, in.Version)
	if err != nil {
		return fail(err)
	}
	inv, err := a.DB.Inventory(ctx)
	if err != nil {
		return fail(err)
	}
	known := false
	for _, p := range inv.Providers {
		known = known || p.Code == in.Provider
	}
	if !known {
		return ReconcileResult{}, &InputError{Field: "provider", Reason: fmt.Sprintf("%q is not a provider of the reference data", in.Provider)}
	}
	res := ReconcileResult{Reconciliation: billing.Reconcile(st, in.Provider, bill), File: in.Name}
	if in.Out != "" {
		versions, err := a.DB.PriceVersions(ctx)
		if err != nil {
			return fail(err)
		}
		b := &reports.ReconcileBundle{Result: res.Reconciliation, Statement: st, File: filepath.Base(in.Name),
			Names: reports.Names{Inventory: inv, Catalogue: versions}}
		if res.Paths, err = writeReconcile(in, b); err != nil {
			return res, fmt.Errorf("reconcile %d %s: %w", in.Year, in.Provider, err)
		}
	}
	r := res.Reconciliation
	if err := a.record(ctx, store.AuditEntry{Action: store.AuditActionReconcile, Year: in.Year, Subject: fmt.Sprintf("v%d %s", st.Version, in.Provider),
		Detail: fmt.Sprintf("%s: %d matched, %d missing in the bill, %d missing in the statement, %d differ", in.Name, r.Matched, r.MissingInBill, r.MissingInStatement, r.Differing)}); err != nil {
		return res, fmt.Errorf("reconcile %d %s: %w", in.Year, in.Provider, err)
	}
	a.Log.Info("reconciled", "year", in.Year, "version", st.Version, "provider", in.Provider, "matched", r.Matched, "differences", len(r.Lines))
	return res, nil
}

// reconcileVersion is version of year, or (0) its latest draft.
func (a *App) reconcileVersion(ctx context.Context, year, version int) (*billing.Statement, error) {
	if version == 0 {
		vs, err := a.Versions(ctx, YearInput{Year: year})
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.Status == billing.StatementStatusDraft {
				version = v.Version
			}
		}
		if version == 0 {
			return nil, fmt.Errorf("%d has no draft version to reconcile with (cloudbill settle --year %d, or name one with --version)", year, year)
		}
	}
	return a.statement(ctx, year, version)
}

// writeReconcile writes reconcile-Y-CODE.csv and .pdf into in.Out.
func writeReconcile(in ReconcileInput, b *reports.ReconcileBundle) ([]string, error) {
	font, err := documentFolder(in.Font, in.Out)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(in.Out, reports.ReconcileFileBase(in.Year, in.Provider))
	if err := writeFileAtomic(base+".csv", func(w *os.File) error { return reports.WriteReconcileCSV(w, b) }); err != nil {
		return nil, err
	}
	if err := reports.WriteReconcilePDF(base+".pdf", b, font); err != nil {
		return []string{base + ".csv"}, err
	}
	return []string{base + ".csv", base + ".pdf"}, nil
}
