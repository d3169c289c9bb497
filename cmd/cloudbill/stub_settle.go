package main

import (
	"context"
	"errors"

	"cloudbill/store"
)

// settleYear computes year's settlement as a new draft version and returns it.
// STUB: replaced by the settlement work.
func settleYear(ctx context.Context, a *App, db *store.DB, year int) (version int, err error) {
	return 0, errors.New("settle not implemented yet")
}

// writeReports writes every document of year into dir and returns the paths.
// STUB: replaced by the settlement and reports work.
func writeReports(ctx context.Context, a *App, db *store.DB, year int, dir string) ([]string, error) {
	return nil, errors.New("report not implemented yet")
}

// issueStatement freezes year's latest draft as issued and returns its version.
// STUB: replaced by the settlement work.
func issueStatement(ctx context.Context, a *App, db *store.DB, year int) (version int, err error) {
	return 0, errors.New("issue not implemented yet")
}
