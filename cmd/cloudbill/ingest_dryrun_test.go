package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// dumpTables returns every row of the tables as text, sorted: what a
// command must leave alone.
func dumpTables(t *testing.T, db *store.DB, tables ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := storetest.SQL(t, db).Queryx(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v|", v)
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		sort.Strings(out[table])
	}
	return out
}

// meteringTables are the tables an ingest writes.
var meteringTables = []string{"usage", "activity", "files", "rejects", "usage_months", "activity_idle_months", "summary_state", "job_runs", "locks"}

func sameDump(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for table := range want {
		if strings.Join(got[table], "\n") != strings.Join(want[table], "\n") {
			t.Errorf("%s: table %s changed:\n got %q\nwant %q", what, table, got[table], want[table])
		}
	}
}

// fileCounts returns the per-file count lines of an ingest's stderr and
// the totals after "files (".
func fileCounts(stderr string) ([]string, string) {
	var lines []string
	total := ""
	for _, l := range strings.Split(stderr, "\n") {
		if i := strings.Index(l, " files ("); i >= 0 && (strings.HasPrefix(l, "ingested ") || strings.HasPrefix(l, "dry run")) {
			total = l[i:]
			continue
		}
		if countLine.MatchString(l) || strings.HasSuffix(l, "already ingested, nothing changed") {
			lines = append(lines, countLine.ReplaceAllString(l, "$1"))
		}
	}
	sort.Strings(lines)
	return lines, total
}

var countLine = regexp.MustCompile(`^(.*: \d+ read, .* not yet billable)( \(.*\))?$`)

func TestIngestDryRun(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		// What the database holds before: one file ingested, one reject.
		if code, _, stderr := ingestRun(t, dsn, "ingest", writeUsage(t, "early.csv", "2024-06-01,R1,VCPU,2\n2024-06-02,RZ,VCPU,1\n")); code != 0 {
			t.Fatalf("early ingest: %s", stderr)
		}
		inbox := t.TempDir()
		u1 := ingestUsageHeader + "2024-06-09,R1,VCPU,4\n2024-06-10,R1,VCPU,4\n2024-06-10,RX,VCPU,4\n2024-06-11,R1,VCPU,x\n"
		writeFiles(t, inbox, map[string]string{
			"u1.csv": u1,
			// u1 again under another name: already ingested by then
			"u2-copy.csv": u1,
			// replaces one value of u1 and of early.csv, repeats a key
			"u3.csv":    ingestUsageHeader + "2024-06-10,R1,VCPU,6\n2024-06-01,R1,VCPU,3\n2024-06-12,R2,VCPU,1\n2024-06-12,R2,VCPU,2\n",
			"a1.jsonl":  `{"day":"2024-06-10","resource_id":"R2","cpu_avg_pct":1,"cpu_max_pct":2,"mem_avg_pct":3,"disk_used_pct":4,"net_in_bytes":5,"net_out_bytes":6}` + "\n",
			"notes.txt": "hello,world\n1,2\n",
		})
		db := openTestDB(t, dsn)
		before := dumpTables(t, db, meteringTables...)
		inboxBefore := strings.Join(dirNames(t, inbox), " ")

		code, dryOut, dryErr := ingestRun(t, dsn, "ingest", "--dry-run", "--inbox", inbox)
		if code != 1 {
			t.Errorf("dry run: exit %d with an unreadable file, want 1; stderr:\n%s", code, dryErr)
		}
		sameDump(t, "after the dry run", dumpTables(t, db, meteringTables...), before)
		if got := strings.Join(dirNames(t, inbox), " "); got != inboxBefore {
			t.Errorf("after the dry run the inbox holds %q, want %q", got, inboxBefore)
		}
		for _, sub := range []string{"done", "failed"} {
			if _, err := os.Stat(filepath.Join(inbox, sub)); err == nil {
				t.Errorf("the dry run made %s/", sub)
			}
		}
		wantRejects := []string{
			filepath.Join(inbox, "u1.csv") + `:4: resource_id: unknown resource "RX"`,
			filepath.Join(inbox, "u1.csv") + ":5: quantity:",
		}
		for _, w := range wantRejects {
			if !strings.Contains(dryOut, w) {
				t.Errorf("dry run stdout lacks %q:\n%s", w, dryOut)
			}
		}
		if !strings.Contains(dryErr, "dry run, nothing stored: would ingest 3 files (1 already ingested, 1 unreadable)") {
			t.Errorf("dry run stderr:\n%s", dryErr)
		}

		// The real run that follows does what the dry run said.
		code, _, realErr := ingestRun(t, dsn, "ingest", "--inbox", inbox)
		if code != 1 {
			t.Errorf("real run: exit %d, want 1; stderr:\n%s", code, realErr)
		}
		dryLines, dryTotal := fileCounts(dryErr)
		realLines, realTotal := fileCounts(realErr)
		if strings.Join(dryLines, "\n") != strings.Join(realLines, "\n") || dryTotal != realTotal || dryTotal == "" {
			t.Errorf("dry run said\n%s\n%s\nthe real run did\n%s\n%s", strings.Join(dryLines, "\n"), dryTotal, strings.Join(realLines, "\n"), realTotal)
		}
		_, stored, _ := ingestRun(t, dsn, "rejects")
		var storedFromInbox []string
		for _, l := range strings.Split(strings.TrimSpace(stored), "\n") {
			if strings.HasPrefix(l, inbox) {
				storedFromInbox = append(storedFromInbox, l)
			}
		}
		if got := strings.TrimSpace(dryOut); got != strings.Join(storedFromInbox, "\n") {
			t.Errorf("the dry run listed the rejects\n%s\nthe real run stored\n%s", got, strings.Join(storedFromInbox, "\n"))
		}
		if n := usageCount(t, dsn); n != 4 {
			t.Errorf("usage rows after the real run = %d, want 4", n)
		}
	})
}

// writeUsage writes a usage file called name (rows after the header) into
// a folder of its own and returns its path.
func writeUsage(t *testing.T, name, rows string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(ingestUsageHeader+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
