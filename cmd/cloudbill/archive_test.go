package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// closedYearDSN returns a database on engine e holding apptest.ClosedYear:
// the Datong fixtures metered from 20 December 2024 to 5 January 2025,
// findings refreshed, and 2024 settled and issued.
func closedYearDSN(t *testing.T, e store.Engine) string {
	t.Helper()
	dsn := storetest.DSN(t, e)
	apptest.ClosedYear(t, app.New(openTestDB(t, dsn), nil))
	return dsn
}

// runArchive runs cloudbill archive as Main runs a command.
func runArchive(t *testing.T, dsn string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{DSN: dsn, Stdout: &stdout, Stderr: &stderr, Log: newLogger(&stderr, "text", 0), command: "archive"}
	err := c.exec(context.Background(), "archive", args)
	return stdout.String(), err
}

func TestArchiveCommand(t *testing.T) {
	t.Parallel() // its own database and folders
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := closedYearDSN(t, e)
			out := t.TempDir()
			if _, err := runArchive(t, dsn, "--out", out); err == nil || !strings.Contains(err.Error(), "--year") {
				t.Errorf("no --year: %v", err)
			}
			if _, err := runArchive(t, dsn, "--year", "2025", "--out", out); err == nil || !strings.Contains(err.Error(), "2025 has no issued statement") {
				t.Errorf("archive 2025: %v, want no issued statement", err)
			}
			before := usageCount(t, dsn)
			stdout, err := runArchive(t, dsn, "--year", "2024", "--out", out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout, "restore with: cloudbill ingest "+filepath.Join(out, "usage-2024.csv.gz")+" "+filepath.Join(out, "activity-2024.csv.gz")) {
				t.Errorf("stdout:\n%s", stdout)
			}
			if sum, err := exec.LookPath("sha256sum"); err == nil {
				cmd := exec.Command(sum, "-c", "SHA256SUMS")
				cmd.Dir = out
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, b)
				}
			}
			archived := before - usageCount(t, dsn)
			if archived <= 0 {
				t.Fatalf("usage rows %d before, %d after the archive", before, before-archived)
			}
			_, jobs, _ := ingestRun(t, dsn, "jobs", "--job", "archive")
			if !strings.Contains(jobs, "succeeded") || !strings.Contains(jobs, "usage_rows=") {
				t.Errorf("jobs --job archive:\n%s", jobs)
			}
			code, _, stderr := ingestRun(t, dsn, "ingest", filepath.Join(out, "usage-2024.csv.gz"), filepath.Join(out, "activity-2024.csv.gz"))
			if code != 0 || strings.Contains(stderr, "already ingested, nothing changed") {
				t.Fatalf("restore: exit %d\n%s", code, stderr)
			}
			if n := usageCount(t, dsn); n != before {
				t.Errorf("usage rows after the restore %d, want %d", n, before)
			}
		})
	}
}
