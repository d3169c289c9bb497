package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// ingestTestDB returns the DSN of a fresh database on engine e holding a
// tiny reference set: R1 confirmed 2024-06-10, R2 never confirmed.
func ingestTestDB(t *testing.T, e store.Engine) string {
	t.Helper()
	dsn := storetest.DSN(t, e)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at, _ := metering.ParseInstant("2024-06-10T09:00:00+08:00")
	ref := &reference.Set{
		Inventory: metering.Inventory{
			Districts:   []metering.District{{Code: "140200", Name: "市本级"}},
			Departments: []metering.Department{{Code: "D1", Name: "市大数据局", DistrictCode: "140200"}},
			Providers:   []metering.Provider{{Code: "ctc", Name: "电信"}},
			Systems:     []metering.System{{ID: "S1", DepartmentCode: "D1", Name: "政务服务网"}},
			Resources: []metering.Resource{
				{ID: "R1", SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: "web"},
				{ID: "R2", SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: "db"},
			},
		},
		Catalogue: []billing.PriceVersion{{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear,
			Price: decimal.NewFromInt(360), EffectiveFrom: metering.MustDate("2023-01-01"), ApprovalRef: "同财〔2023〕1号"}},
		Events: []metering.Event{{ResourceID: "R1", Kind: metering.EventConfirmed, At: at, Day: metering.DateOf(at)}},
	}
	if _, err := db.LoadReference(ctx, ref); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func eachIngestEngine(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) { fn(t, ingestTestDB(t, e)) })
	}
}

func ingestRun(t *testing.T, dsn string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"--db", dsn}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeFiles writes complete files into dir, last written two minutes ago
// (past the inbox's settle time).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	old := time.Now().Add(-2 * time.Minute)
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func usageCount(t *testing.T, dsn string) int {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return storetest.Count(t, db, "usage")
}

const ingestUsageHeader = "day,resource_id,item_code,quantity\n"

func TestIngestInbox(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		inbox := t.TempDir()
		writeFiles(t, inbox, map[string]string{
			"u1.csv":       ingestUsageHeader + "2024-06-09,R1,VCPU,4\n2024-06-10,R1,VCPU,4\n2024-06-10,RX,VCPU,4\n",
			"a1.jsonl":     `{"day":"2024-06-10","resource_id":"R2","cpu_avg_pct":1,"cpu_max_pct":2,"mem_avg_pct":3,"disk_used_pct":4,"net_in_bytes":5,"net_out_bytes":6}` + "\n",
			"notes.txt":    "hello,world\n1,2\n",
			".hidden.csv":  ingestUsageHeader,
			"writing.part": ingestUsageHeader,
		})
		code, _, stderr := ingestRun(t, dsn, "ingest", "--inbox", inbox)
		if code != 1 {
			t.Errorf("exit %d with an unreadable file, want 1; stderr:\n%s", code, stderr)
		}
		for _, want := range []string{
			filepath.Join(inbox, "u1.csv") + ": 3 read, 2 new, 0 replaced, 0 unchanged, 0 repeated, 1 rejected, 1 not yet billable",
			filepath.Join(inbox, "a1.jsonl") + ": 1 read, 1 new, 0 replaced, 0 unchanged, 0 repeated, 0 rejected, 1 not yet billable",
			"not a usage or activity file",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if got := strings.Join(dirNames(t, inbox), " "); got != ".hidden.csv writing.part" {
			t.Errorf("inbox holds %q", got)
		}
		if got := strings.Join(dirNames(t, filepath.Join(inbox, "done")), " "); got != "a1.jsonl u1.csv" {
			t.Errorf("done holds %q", got)
		}
		if got := strings.Join(dirNames(t, filepath.Join(inbox, "failed")), " "); got != "notes.txt notes.txt.reason" {
			t.Errorf("failed holds %q", got)
		}
		reason, _ := os.ReadFile(filepath.Join(inbox, "failed", "notes.txt.reason"))
		if !strings.Contains(string(reason), "not a usage or activity file") {
			t.Errorf("reason %q", reason)
		}

		code, stdout, _ := ingestRun(t, dsn, "rejects")
		if want := filepath.Join(inbox, "u1.csv") + `:4: resource_id: unknown resource "RX"`; code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("rejects: exit %d, stdout %q, want %q", code, stdout, want)
		}

		// The same bytes under another name: already ingested.
		u1, _ := os.ReadFile(filepath.Join(inbox, "done", "u1.csv"))
		writeFiles(t, inbox, map[string]string{"u1-copy.csv": string(u1)})
		code, _, stderr = ingestRun(t, dsn, "ingest", "--inbox", inbox)
		if code != 0 || !strings.Contains(stderr, "already ingested") {
			t.Errorf("second run: exit %d, stderr:\n%s", code, stderr)
		}
		if n := usageCount(t, dsn); n != 2 {
			t.Errorf("usage rows %d, want 2", n)
		}
	})
}

func TestIngestInboxFailureMidFile(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		inbox := t.TempDir()
		writeFiles(t, inbox, map[string]string{"u.csv": ingestUsageHeader + "2024-06-10,R1,VCPU,4\n2024-06-11,R1,VCPU,4\n2024-06-12,R1,VCPU,4\n"})
		db, err := store.OpenWith(context.Background(), dsn, store.Options{FailAfterRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		_, err = app.New(db, nil).Ingest(context.Background(), app.IngestInput{Inbox: inbox})
		db.Close()
		if !errors.Is(err, store.ErrInjectedFailure) {
			t.Errorf("ingest: %v, want the injected failure", err)
		}
		if got := dirNames(t, inbox); len(got) != 1 || got[0] != "u.csv" {
			t.Errorf("inbox after the failure holds %q, want u.csv", got)
		}
		if n := usageCount(t, dsn); n != 0 {
			t.Errorf("usage rows %d after a failed file, want 0", n)
		}
		code, _, stderr := ingestRun(t, dsn, "ingest", "--inbox", inbox)
		if code != 0 || usageCount(t, dsn) != 3 || len(dirNames(t, inbox)) != 0 {
			t.Errorf("next run: exit %d, %d rows, inbox %q; stderr:\n%s", code, usageCount(t, dsn), dirNames(t, inbox), stderr)
		}
	})
}

func TestIngestInboxConcurrent(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		inbox := t.TempDir()
		files := map[string]string{}
		for i := range 8 {
			files[fmt.Sprintf("u%d.csv", i)] = ingestUsageHeader + fmt.Sprintf("2024-07-%02d,R1,VCPU,%d\n2024-07-%02d,R2,VCPU,1\n", i+1, i+1, i+1)
		}
		writeFiles(t, inbox, files)
		ctx := context.Background()
		var wg sync.WaitGroup
		sums := make([]app.IngestSummary, 2)
		errs := make([]error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(ctx, dsn)
				if err != nil {
					errs[w] = err
					return
				}
				defer db.Close()
				sums[w], errs[w] = app.New(db, nil).Ingest(ctx, app.IngestInput{Inbox: inbox})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if total := sums[0].Files + sums[1].Files; total != 8 {
			t.Errorf("files ingested %d + %d, want 8 in all", sums[0].Files, sums[1].Files)
		}
		if rows := sums[0].Accepted + sums[1].Accepted; rows != 16 {
			t.Errorf("rows accepted %d, want 16", rows)
		}
		if n := usageCount(t, dsn); n != 16 {
			t.Errorf("usage rows %d, want 16", n)
		}
		if got := len(dirNames(t, filepath.Join(inbox, "done"))); got != 8 {
			t.Errorf("done holds %d files, want 8", got)
		}
	})
}

func TestIngestPathsAndUsage(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"x.csv": ingestUsageHeader + "2024-06-10,R1,VCPU,4\n"})
		if code, _, _ := ingestRun(t, dsn, "ingest"); code != 2 {
			t.Errorf("ingest without paths: exit %d, want 2", code)
		}
		code, _, stderr := ingestRun(t, dsn, "ingest", dir)
		if code != 0 || !strings.Contains(stderr, "1 read, 1 new") {
			t.Errorf("ingest DIR: exit %d, stderr:\n%s", code, stderr)
		}
		if got := dirNames(t, dir); len(got) != 1 {
			t.Errorf("plain ingest moved files: %q", got)
		}
	})
}

// With --log-format json every stderr line is one JSON object (the
// per-file summaries too); a one-shot run from cron prints nothing on
// success unless --verbose.
func TestJSONLogsAndQuietRun(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		inbox := t.TempDir()
		writeFiles(t, inbox, map[string]string{
			"u1.csv":    ingestUsageHeader + "2024-06-10,R1,VCPU,4\n2024-06-10,RX,VCPU,4\n",
			"notes.txt": "hello,world\n1,2\n",
		})
		code, _, stderr := ingestRun(t, dsn, "--log-format", "json", "ingest", "--inbox", inbox)
		if code != 1 {
			t.Errorf("exit %d with an unreadable file, want 1", code)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) < 3 {
			t.Fatalf("too few log lines:\n%s", stderr)
		}
		var sawFile, sawFailure bool
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("not a JSON line: %q (%v)", l, err)
			}
			if m["msg"] == "file ingested" {
				sawFile = true
				if _, ok := m["seconds"].(float64); !ok {
					t.Errorf("duration not in seconds: %v", m)
				}
			}
			if m["msg"] == "command failed" && m["level"] == "ERROR" {
				sawFailure = true
			}
		}
		if !sawFile || !sawFailure {
			t.Errorf("file summary %v, failure %v in:\n%s", sawFile, sawFailure, stderr)
		}

		writeFiles(t, inbox, map[string]string{"u2.csv": ingestUsageHeader + "2024-06-11,R1,VCPU,4\n"})
		code, stdout, stderr := ingestRun(t, dsn, "run", "nightly", "--inbox", inbox, "--date", "2024-06-11")
		if code != 0 || stdout != "" || stderr != "" {
			t.Errorf("quiet run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		writeFiles(t, inbox, map[string]string{"u3.csv": ingestUsageHeader + "2024-06-12,R1,VCPU,4\n"})
		code, stdout, stderr = ingestRun(t, dsn, "--verbose", "run", "nightly", "--inbox", inbox, "--date", "2024-06-12")
		if code != 0 || !strings.Contains(stdout, "nightly succeeded") || !strings.Contains(stderr, "job succeeded") {
			t.Errorf("verbose run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
}

// Nothing half-read: a file still being written waits for the next run; a
// FIFO, a device or a symbolic link is refused with its reason.
func TestInboxNothingHalfRead(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		inbox := t.TempDir()
		// An upload in progress: half the rows, written just now.
		p := filepath.Join(inbox, "slow.csv")
		if err := os.WriteFile(p, []byte(ingestUsageHeader+"2024-06-10,R1,VCPU,4\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := ingestRun(t, dsn, "ingest", "--inbox", inbox)
		if code != 0 || !strings.Contains(stderr, "still being written") || usageCount(t, dsn) != 0 {
			t.Fatalf("a file being written was taken: exit %d, %d rows\n%s", code, usageCount(t, dsn), stderr)
		}
		// The rest arrives; the file then stays untouched past the settle time.
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("2024-06-11,R1,VCPU,4\n2024-06-12,R1,VCPU,4\n")
		f.Close()
		old := time.Now().Add(-2 * time.Minute)
		os.Chtimes(p, old, old)
		if code, _, stderr := ingestRun(t, dsn, "ingest", "--inbox", inbox); code != 0 || usageCount(t, dsn) != 3 {
			t.Fatalf("whole file: exit %d, %d rows, want 3\n%s", code, usageCount(t, dsn), stderr)
		}
		// Renamed in from NAME.part after its last write: taken at once.
		part := filepath.Join(inbox, "fast.csv.part")
		os.WriteFile(part, []byte(ingestUsageHeader+"2024-06-13,R1,VCPU,4\n"), 0o644)
		time.Sleep(20 * time.Millisecond) // the rename's ctime after the write's mtime
		if err := os.Rename(part, filepath.Join(inbox, "fast.csv")); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := ingestRun(t, dsn, "ingest", "--inbox", inbox); code != 0 || usageCount(t, dsn) != 4 {
			t.Fatalf("renamed file: exit %d, %d rows, want 4\n%s", code, usageCount(t, dsn), stderr)
		}

		// A FIFO and a symbolic link in the inbox are reported and moved aside.
		if err := syscall.Mkfifo(filepath.Join(inbox, "pipe.csv"), 0o644); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(t.TempDir(), "elsewhere.csv")
		writeFiles(t, filepath.Dir(target), map[string]string{"elsewhere.csv": ingestUsageHeader + "2024-06-14,R1,VCPU,4\n"})
		os.Symlink(target, filepath.Join(inbox, "link.csv"))
		code, _, stderr = ingestRun(t, dsn, "ingest", "--inbox", inbox)
		if code != 1 || !strings.Contains(stderr, "named pipe") || !strings.Contains(stderr, "symbolic link") {
			t.Errorf("FIFO and link: exit %d\n%s", code, stderr)
		}
		if got := strings.Join(dirNames(t, filepath.Join(inbox, "failed")), " "); !strings.Contains(got, "pipe.csv.reason") || !strings.Contains(got, "link.csv.reason") {
			t.Errorf("failed/ holds %q", got)
		}
		if usageCount(t, dsn) != 4 {
			t.Errorf("%d rows after the refused files, want 4", usageCount(t, dsn))
		}
		// /dev/zero on the command line: refused at once, not read forever.
		code, _, stderr = ingestRun(t, dsn, "ingest", "/dev/zero")
		if code != 1 || !strings.Contains(stderr, "/dev/zero") || !strings.Contains(stderr, "device") {
			t.Errorf("ingest /dev/zero: exit %d\n%s", code, stderr)
		}
	})
}

// SIGTERM (a cancelled context) stops an ingest in the middle of a file:
// nothing of the file is stored and it stays in the inbox.
func TestIngestInterrupted(t *testing.T) {
	eachIngestEngine(t, func(t *testing.T, dsn string) {
		inbox := t.TempDir()
		var b strings.Builder
		b.WriteString(ingestUsageHeader)
		for d := metering.MustDate("2024-06-10"); b.Len() < 8<<20; d = d.AddDays(1) {
			for i := range 50 {
				fmt.Fprintf(&b, "%s,R1,VCPU,%d\n", d, i%8+1)
			}
		}
		writeFiles(t, inbox, map[string]string{"big.csv": b.String()})
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in := app.IngestInput{Inbox: inbox, Progress: func(_ string, _ int64, bytesRead, _ *atomic.Int64) func() {
			go func() {
				for bytesRead.Load() < 1<<20 {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}()
			return func() {}
		}}
		_, err = app.New(db, nil).Ingest(ctx, in)
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("interrupted ingest: %v", err)
		}
		if n := usageCount(t, dsn); n != 0 {
			t.Errorf("%d rows stored by an interrupted ingest, want 0", n)
		}
		if got := dirNames(t, inbox); len(got) != 1 || got[0] != "big.csv" {
			t.Errorf("inbox after the interruption: %v", got)
		}
	})
}
