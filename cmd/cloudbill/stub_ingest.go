package main

import (
	"context"
	"errors"

	"cloudbill/store"
)

// IngestSummary totals one ingest run over all its files.
type IngestSummary struct {
	Files, Skipped, Failed                                        int
	Read, Accepted, Replaced, Unchanged, Rejected, NotYetBillable int64
}

// ingestInbox ingests every new file of dir (the nightly job's step).
// STUB: replaced by the ingestion work (delete this file when implementing).
func ingestInbox(ctx context.Context, a *App, db *store.DB, dir string) (IngestSummary, error) {
	return IngestSummary{}, errors.New("ingest not implemented yet")
}
