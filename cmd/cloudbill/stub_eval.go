package main

import (
	"context"
	"errors"

	"cloudbill/metering"
	"cloudbill/store"
)

// refreshFindings recomputes the resource-use findings as of asOf (the
// nightly job's second step) and returns how many there are.
// STUB: replaced by the evaluation work (delete this file when implementing).
func refreshFindings(ctx context.Context, a *App, db *store.DB, asOf metering.Date) (int, error) {
	return 0, errors.New("findings not implemented yet")
}

// writeEvaluationCSVs writes sla-Y.csv and findings-Y.csv into dir.
// STUB: replaced by the evaluation work.
func writeEvaluationCSVs(ctx context.Context, a *App, db *store.DB, year int, dir string) ([]string, error) {
	return nil, errors.New("evaluation exports not implemented yet")
}
