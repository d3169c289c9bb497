package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// A usage row inserted by hand in SQL is missing from usage_months:
// `summaries` says so and exits 1; --rebuild repairs it.
func TestSummariesVerifyAndRebuild(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		file := filepath.Join(dir, "u.csv")
		if err := os.WriteFile(file, []byte(ingestUsageHeader+"2024-06-10,R1,VCPU,4\n2024-06-11,R1,VCPU,4\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := ingestRun(t, dsn, "ingest", file); code != 0 {
			t.Fatalf("ingest: %d %s", code, stderr)
		}
		if code, stdout, stderr := ingestRun(t, dsn, "summaries"); code != 0 || !strings.Contains(stdout, "matches") {
			t.Fatalf("summaries after ingest: %d %q %q", code, stdout, stderr)
		}
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		storetest.InsertUsageBehindSummary(t, db, metering.Usage{ResourceID: "R2", ItemCode: "VCPU", Day: metering.MustDate("2024-06-12"), Quantity: decimal.NewFromInt(2)})
		db.Close()
		code, _, stderr := ingestRun(t, dsn, "summaries")
		if code != 1 || !strings.Contains(stderr, "R2 VCPU") || !strings.Contains(stderr, "--rebuild") {
			t.Fatalf("summaries after a hand-made row: %d %q", code, stderr)
		}
		if code, stdout, stderr := ingestRun(t, dsn, "summaries", "--rebuild"); code != 0 || !strings.Contains(stdout, "matches") {
			t.Fatalf("summaries --rebuild: %d %q %q", code, stdout, stderr)
		}
	})
}
