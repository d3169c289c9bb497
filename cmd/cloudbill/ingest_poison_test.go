package main

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// TestIngestPoisonFiles: a file name that is not UTF-8 (a GB18030 name
// from a Windows upload) and NUL bytes inside a file's fields or header
// used to abort a PostgreSQL run and every later run. Now the names and the
// rejected text are stored alike on both engines, a file the reader
// cannot take goes to failed/, and the run goes on to the next file.
func TestIngestPoisonFiles(t *testing.T) {
	gbName := "a-用量-\xd3\xc3\xc1\xbf.csv" // 用量 in GB18030 bytes: not UTF-8
	outputs := map[store.Engine]string{}
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := ingestTestDB(t, e)
			inbox := t.TempDir()
			writeFiles(t, inbox, map[string]string{
				gbName: ingestUsageHeader + "2024-06-10,R1,VCPU,4\n2024-06-10,RX,VCPU,4\n",
				"b-nul.csv": ingestUsageHeader + "2024-06-11,R1,VCPU,4\n" +
					"2024-06-11,R\x002,VCPU,4\n" + // a NUL in the resource id
					"2024-06-12,R1,VCPU,4\x00\n" + // a NUL after the quantity
					"2024-06-13,R1,VCPU\x00,4\n", // a NUL in the item code
				"c-nul-header.csv": "day,resource_id\x00,item_code,quantity\n2024-06-14,R1,VCPU,4\n",
				"d-good.csv":       ingestUsageHeader + "2024-06-15,R1,VCPU,4\n",
			})
			code, _, stderr := ingestRun(t, dsn, "ingest", "--inbox", inbox)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (one file could not be read); stderr:\n%s", code, stderr)
			}
			if got := strings.Join(dirNames(t, filepath.Join(inbox, "done")), " "); got != gbName+" b-nul.csv d-good.csv" {
				t.Errorf("done/ holds %q", got)
			}
			if got := strings.Join(dirNames(t, filepath.Join(inbox, "failed")), " "); got != "c-nul-header.csv c-nul-header.csv.reason" {
				t.Errorf("failed/ holds %q", got)
			}
			if n := usageCount(t, dsn); n != 3 {
				t.Errorf("usage rows = %d, want 3 (06-10, 06-11, 06-15)", n)
			}
			code, stdout, stderr := ingestRun(t, dsn, "rejects")
			if code != 0 {
				t.Fatalf("rejects: exit %d: %s", code, stderr)
			}
			if !utf8.ValidString(stdout) || strings.ContainsRune(stdout, 0) {
				t.Errorf("rejects print text that is not UTF-8 or holds a NUL: %q", stdout)
			}
			if !strings.Contains(stdout, "a-用量-\uFFFD.csv:3: resource_id: unknown resource") {
				t.Errorf("rejects lack the reject of the GB18030-named file, its name scrubbed:\n%s", stdout)
			}
			// The name as it is on disk finds them.
			code, byName, _ := ingestRun(t, dsn, "rejects", "--file", gbName)
			if code != 0 || strings.Count(byName, "\n") != 1 {
				t.Errorf("rejects --file with the name on disk: exit %d, %q", code, byName)
			}
			db := openTestDB(t, dsn)
			var names []string
			if err := storetest.SQL(t, db).Select(&names, `SELECT name FROM files ORDER BY name`); err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if !utf8.ValidString(n) {
					t.Errorf("ledger name %q is not UTF-8", n)
				}
			}
			outputs[e] = strings.ReplaceAll(stdout, inbox, "INBOX")
		})
	}
	if len(outputs) == 2 && outputs[store.EngineSQLite] != outputs[store.EnginePostgres] {
		t.Errorf("the engines store the rejects differently:\nSQLite:\n%s\nPostgreSQL:\n%s", outputs[store.EngineSQLite], outputs[store.EnginePostgres])
	}
}
