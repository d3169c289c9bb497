package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// A backup taken while an ingest runs is a consistent database: every file
// either whole or absent, the usage summaries matching the rows. SQLite
// with `cloudbill backup` (VACUUM INTO), PostgreSQL with pg_dump/pg_restore.
func TestBackupWhileIngesting(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := ingestTestDB(t, e)
			inbox := t.TempDir()
			files := map[string]string{}
			for f := range 4 {
				var b strings.Builder
				b.WriteString(ingestUsageHeader)
				for d := metering.MustDate("2024-06-10"); d < metering.MustDate("2024-06-10").AddDays(200); d = d.AddDays(1) {
					for i := range 60 {
						fmt.Fprintf(&b, "%s,R1,VCPU,%d\n", d.AddDays(f*200), i%8+1)
					}
				}
				files[fmt.Sprintf("u%d.csv", f)] = b.String()
			}
			writeFiles(t, inbox, files)
			db := openTestDB(t, dsn)
			ingested := make(chan error, 1)
			go func() {
				_, err := app.New(db, nil).Ingest(context.Background(), app.IngestInput{Inbox: inbox})
				ingested <- err
			}()
			apptest.WaitFor(t, "the first file", func() bool { return usageCount(t, dsn) > 0 })

			var restored string
			switch e {
			case store.EngineSQLite:
				copyPath := filepath.Join(t.TempDir(), "copy.db")
				if code, out, stderr := runMain(t, context.Background(), "--db", dsn, "backup", "--out", copyPath); code != 0 {
					t.Fatalf("backup: exit %d\n%s%s", code, out, stderr)
				}
				restored = "sqlite:" + copyPath
			case store.EnginePostgres:
				dump := filepath.Join(t.TempDir(), "cloudbill.dump")
				if out, err := exec.Command(pgTool(t, "pg_dump"), "-Fc", "-f", dump, "-d", dsn).CombinedOutput(); err != nil {
					t.Fatalf("pg_dump: %v\n%s", err, out)
				}
				restored = storetest.DSN(t, store.EnginePostgres)
				if out, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "-d", restored, dump).CombinedOutput(); err != nil {
					t.Fatalf("pg_restore: %v\n%s", err, out)
				}
			}
			if err := <-ingested; err != nil {
				t.Fatal(err)
			}
			n := usageCount(t, restored)
			if n%200 != 0 || n == 0 {
				t.Errorf("the copy holds %d usage rows: not whole files of 200 days", n)
			}
			if code, out, stderr := runMain(t, context.Background(), "--db", restored, "summaries"); code != 0 || !strings.Contains(out, "matches") {
				t.Errorf("summaries of the copy: exit %d\n%s%s", code, out, stderr)
			}
			if code, _, stderr := runMain(t, context.Background(), "--db", restored, "jobs"); code != 0 {
				t.Errorf("jobs on the copy: exit %d\n%s", code, stderr)
			}
		})
	}
}

// pgTool finds a PostgreSQL client program.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		t.Fatalf("%s not found: install the PostgreSQL client", name)
	}
	return matches[len(matches)-1]
}
