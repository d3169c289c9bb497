package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// ingestReference: R1 confirmed 2024-06-10, R2 never confirmed, 云主机-1
// (a non-ASCII id for GB18030) confirmed 2024-01-01. R9 is loaded later.
func ingestReference(extra ...metering.Resource) *reference.Set {
	ref := &reference.Set{
		Inventory: metering.Inventory{
			Districts:   []metering.District{{Code: "140200", Name: "市本级"}},
			Departments: []metering.Department{{Code: "D1", Name: "市大数据局", DistrictCode: "140200"}},
			Providers:   []metering.Provider{{Code: "ctc", Name: "电信"}},
			Systems:     []metering.System{{ID: "S1", DepartmentCode: "D1", Name: "政务服务网"}},
		},
		Catalogue: []billing.PriceVersion{
			{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear, Price: decimal.RequireFromString("360"), EffectiveFrom: metering.MustDate("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
			{ItemCode: "MEM", Category: "计算", Name: "内存", Unit: "GB·年", Cycle: billing.CycleYear, Price: decimal.RequireFromString("120"), EffectiveFrom: metering.MustDate("2023-01-01"), EffectiveTo: metering.NullDate{Date: metering.MustDate("2024-01-01"), Valid: true}, ApprovalRef: "同财〔2023〕1号"},
		},
	}
	for _, id := range []string{"R1", "R2", "云主机-1"} {
		ref.Resources = append(ref.Resources, metering.Resource{ID: id, SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: id})
	}
	ref.Resources = append(ref.Resources, extra...)
	confirm := func(r, when string) metering.Event {
		at, _ := metering.ParseInstant(when)
		return metering.Event{ResourceID: r, Kind: metering.EventConfirmed, At: at, Day: metering.DateOf(at)}
	}
	ref.Events = []metering.Event{confirm("R1", "2024-06-10T10:00:00+08:00"), confirm("云主机-1", "2024-01-01T10:00:00+08:00")}
	return ref
}

func loadIngestReference(t *testing.T, db *store.DB, extra ...metering.Resource) {
	t.Helper()
	if _, err := db.LoadReference(context.Background(), ingestReference(extra...)); err != nil {
		t.Fatalf("load reference: %v", err)
	}
}

// ingestBytes ingests content as a file called name.
func ingestBytes(t *testing.T, db *store.DB, name string, content []byte) (store.IngestResult, error) {
	t.Helper()
	ctx := context.Background()
	known, err := db.LoadKnown(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.IngestFile(ctx, known, store.IngestInput{Name: name, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}})
	if sum := sha256.Sum256(content); err == nil && res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("%s: ledger digest %s, want the SHA-256 of the bytes, %x", name, res.SHA256, sum)
	}
	// Whatever the file did, the usage_months summary matches usage.
	if verr := db.VerifyUsageMonths(ctx); verr != nil {
		t.Fatalf("after ingesting %s: %v", name, verr)
	}
	return res, err
}

func mustIngest(t *testing.T, db *store.DB, name, content string) store.IngestResult {
	t.Helper()
	res, err := ingestBytes(t, db, name, []byte(content))
	if err != nil {
		t.Fatalf("ingest %s: %v", name, err)
	}
	return res
}

type counts struct{ Read, Accepted, Replaced, Unchanged, Duplicates, Rejected, NotYetBillable int64 }

func countsOf(r store.IngestResult) counts {
	return counts{r.Read, r.Accepted, r.Replaced, r.Unchanged, r.Duplicates, r.Rejected, r.NotYetBillable}
}

func checkCounts(t *testing.T, r store.IngestResult, want counts) {
	t.Helper()
	if got := countsOf(r); got != want {
		t.Errorf("%s: counts %+v, want %+v", r.File, got, want)
	}
	if r.Read != r.Accepted+r.Replaced+r.Unchanged+r.Duplicates+r.Rejected {
		t.Errorf("%s: read %d is not the sum of its parts", r.File, r.Read)
	}
}

// usageRows returns the stored usage as "resource item day quantity" lines.
func usageRows(t *testing.T, db *store.DB) []string {
	t.Helper()
	var rows []struct {
		R string        `db:"resource_id"`
		I string        `db:"item_code"`
		D metering.Date `db:"day"`
		Q string        `db:"quantity"`
	}
	if err := storetest.SQL(t, db).Select(&rows, `SELECT resource_id, item_code, day, quantity FROM usage ORDER BY resource_id, item_code, day`); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join([]string{r.R, r.I, r.D.String(), r.Q}, " "))
	}
	return out
}

func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	return storetest.Count(t, db, table)
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestIngestSameFileTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		file := "day,resource_id,item_code,quantity\n2024-06-10,R1,VCPU,4\n2024-06-10,R1,MEM,8\n2024-06-11,R1,VCPU,4\n"
		first := mustIngest(t, db, "usage-0610.csv", file)
		checkCounts(t, first, counts{Read: 3, Accepted: 3})
		if db.Engine == store.EnginePostgres && first.Path != "copy" {
			t.Errorf("new rows on PostgreSQL went by %q, want the direct copy", first.Path)
		}
		again := mustIngest(t, db, "usage-0610-again.csv", file)
		if !again.AlreadyIngested {
			t.Errorf("same bytes again: not reported as already ingested: %+v", again)
		}
		checkCounts(t, again, counts{})
		if n := countRows(t, db, "usage"); n != 3 {
			t.Errorf("usage rows = %d, want 3", n)
		}
		if n := countRows(t, db, "files"); n != 1 {
			t.Errorf("ledger rows = %d, want 1", n)
		}
	})
}

func TestIngestChangedValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		mustIngest(t, db, "a.csv", "day,resource_id,item_code,quantity\n2024-06-10,R1,VCPU,4\n2024-06-10,R1,MEM,8.0\n")
		// A later file: VCPU changes, MEM is the same number written differently, one new row.
		b := mustIngest(t, db, "b.csv", "day,resource_id,item_code,quantity\n2024-06-10,R1,VCPU,6\n2024-06-10,R1,MEM,8.00\n2024-06-11,R1,VCPU,6\n")
		checkCounts(t, b, counts{Read: 3, Accepted: 1, Replaced: 1, Unchanged: 1})
		if len(b.Replacements) != 1 {
			t.Fatalf("replacements %+v, want one", b.Replacements)
		}
		rp := b.Replacements[0]
		if rp.ResourceID != "R1" || rp.ItemCode != "VCPU" || rp.Day != "2024-06-10" || !sameNumber(rp.Old, "4") || !sameNumber(rp.New, "6") {
			t.Errorf("replacement %+v, want R1 VCPU 2024-06-10 4 → 6", rp)
		}
		if db.Engine == store.EnginePostgres && b.Path != "staging" {
			t.Errorf("existing keys on PostgreSQL went by %q, want staging", b.Path)
		}
		got := usageRows(t, db)
		for i := range got {
			got[i] = normaliseQuantity(got[i])
		}
		equalLines(t, "usage", got, []string{"R1 MEM 2024-06-10 8", "R1 VCPU 2024-06-10 6", "R1 VCPU 2024-06-11 6"})
	})
}

func sameNumber(a, b string) bool {
	x, err1 := decimal.NewFromString(a)
	y, err2 := decimal.NewFromString(b)
	return err1 == nil && err2 == nil && x.Equal(y)
}

func normaliseQuantity(line string) string {
	f := strings.Fields(line)
	f[3] = decimal.RequireFromString(f[3]).String()
	return strings.Join(f, " ")
}

func TestIngestDuplicateInFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		t.Run("new keys", func(t *testing.T) {
			r := mustIngest(t, db, "dup.csv", "day,resource_id,item_code,quantity\n2024-06-10,R1,VCPU,4\n2024-06-10,R1,VCPU,4\n2024-06-12,R1,VCPU,2\n2024-06-12,R1,VCPU,3\n")
			checkCounts(t, r, counts{Read: 4, Accepted: 2, Duplicates: 2})
			equalLines(t, "usage (the last value wins)", normalised(usageRows(t, db)), []string{"R1 VCPU 2024-06-10 4", "R1 VCPU 2024-06-12 3"})
		})
		t.Run("existing keys", func(t *testing.T) {
			r := mustIngest(t, db, "dup2.csv", "day,resource_id,item_code,quantity\n2024-06-10,R1,VCPU,4\n2024-06-10,R1,VCPU,4\n2024-06-12,R1,VCPU,5\n2024-06-12,R1,VCPU,5\n")
			checkCounts(t, r, counts{Read: 4, Unchanged: 1, Replaced: 1, Duplicates: 2})
			equalLines(t, "usage", normalised(usageRows(t, db)), []string{"R1 VCPU 2024-06-10 4", "R1 VCPU 2024-06-12 5"})
		})
	})
}

func normalised(lines []string) []string {
	for i := range lines {
		lines[i] = normaliseQuantity(lines[i])
	}
	return lines
}

func TestIngestUnknownResourceRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loadIngestReference(t, db)
		r := mustIngest(t, db, "early.csv", "resource_id,day,quantity,item_code\nR9,2024-06-10,2,VCPU\nR1,2024-06-10,4,VCPU\nR8,2024-06-10,x,VCPU\n")
		checkCounts(t, r, counts{Read: 3, Accepted: 1, Rejected: 2})
		var rejects []store.Reject
		if err := db.Rejects(ctx, store.RejectFilter{}, func(r store.Reject) error { rejects = append(rejects, r); return nil }); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range rejects {
			lines = append(lines, r.Problem().Error()+" retry="+r.RetryResource)
		}
		equalLines(t, "rejects", lines, []string{
			`early.csv:2: resource_id: unknown resource "R9" retry=R9`,
			`early.csv:4: quantity: "x" is not a decimal number retry=`,
			`early.csv:4: resource_id: unknown resource "R8" retry=`,
		})
		// Nothing to retry while R9 is unknown.
		known, _ := db.LoadKnown(ctx)
		if res, err := db.RetryRejects(ctx, known); err != nil || res.Read != 0 {
			t.Fatalf("retry before R9 exists: %+v, %v", res, err)
		}
		loadIngestReference(t, db, metering.Resource{ID: "R9", SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: "R9"})
		known, _ = db.LoadKnown(ctx)
		res, err := db.RetryRejects(ctx, known)
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, res, counts{Read: 1, Accepted: 1, NotYetBillable: 1})
		equalLines(t, "usage", normalised(usageRows(t, db)), []string{"R1 VCPU 2024-06-10 4", "R9 VCPU 2024-06-10 2"})
		if err := db.VerifyUsageMonths(ctx); err != nil {
			t.Fatalf("after the retry: %v", err)
		}
		var open, all int
		db.Rejects(ctx, store.RejectFilter{}, func(store.Reject) error { open++; return nil })
		db.Rejects(ctx, store.RejectFilter{All: true, File: "early.csv"}, func(store.Reject) error { all++; return nil })
		if open != 2 || all != 3 {
			t.Errorf("after retry: %d open rejects (want 2), %d in all (want 3)", open, all)
		}
		if res, _ := db.RetryRejects(ctx, known); res.Read != 0 {
			t.Errorf("a resolved reject was retried again: %+v", res)
		}
	})
}

func TestIngestMalformedRows(t *testing.T) {
	usage := []struct{ name, row, col, reason string }{
		{"bad day", "2024-13-01,R1,VCPU,1", "day", `"2024-13-01" is not a date (YYYY-MM-DD)`},
		{"empty day", ",R1,VCPU,1", "day", "empty"},
		{"empty resource", "2024-06-10,,VCPU,1", "resource_id", "empty"},
		{"unknown resource", "2024-06-10,R7,VCPU,1", "resource_id", `unknown resource "R7"`},
		{"unknown item", "2024-06-10,R1,GPU,1", "item_code", `unknown catalogue item "GPU"`},
		{"negative quantity", "2024-06-10,R1,VCPU,-1", "quantity", "-1 is below 0"},
		{"not a number", "2024-06-10,R1,VCPU,1e3", "quantity", `"1e3" is not a decimal number`},
		{"too few fields", "2024-06-10,R1,VCPU", "", "3 fields, header has 4"},
		{"bad quoting", `2024-06-10,"R1,VCPU,1`, "", ""},
	}
	activity := []struct{ name, row, col, reason string }{
		{"percent above 100", "2024-06-10,R1,100.5,50,10,10,0,0", "cpu_avg_pct", "100.5 is above 100"},
		{"negative percent", "2024-06-10,R1,1,-0.1,10,10,0,0", "cpu_max_pct", "-0.1 is below 0"},
		{"bytes not integer", "2024-06-10,R1,1,1,10,10,1.5,0", "net_in_bytes", `"1.5" is not an integer ≥ 0`},
		{"negative bytes", "2024-06-10,R1,1,1,10,10,0,-3", "net_out_bytes", `"-3" is not an integer ≥ 0`},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		ctx := context.Background()
		check := func(t *testing.T, file, header, row, col, reason string) {
			t.Helper()
			good := "2024-06-10,R1,VCPU,1"
			if strings.HasPrefix(header, "day,resource_id,cpu") {
				good = "2024-06-10,R1,1,2,3,4,5,6"
			}
			r := mustIngest(t, db, file, header+"\n"+good+"\n"+row+"\n")
			if r.Rejected != 1 || r.Read != 2 || r.Accepted+r.Unchanged != 1 {
				t.Fatalf("counts %+v, want 2 read, 1 kept, 1 rejected", countsOf(r))
			}
			var got []store.Reject
			db.Rejects(ctx, store.RejectFilter{File: file}, func(r store.Reject) error { got = append(got, r); return nil })
			if len(got) != 1 || got[0].Line != 3 || got[0].Column != col || (reason != "" && got[0].Reason != reason) {
				t.Errorf("rejects %+v, want line 3 column %q reason %q", got, col, reason)
			}
		}
		for _, c := range usage {
			t.Run("usage "+c.name, func(t *testing.T) {
				check(t, c.name+".csv", "day,resource_id,item_code,quantity", c.row, c.col, c.reason)
			})
		}
		for _, c := range activity {
			t.Run("activity "+c.name, func(t *testing.T) {
				check(t, c.name+".csv", strings.Join(metering.ActivityColumns, ","), c.row, c.col, c.reason)
			})
		}
		t.Run("bad JSON line", func(t *testing.T) {
			r := mustIngest(t, db, "bad.jsonl", `{"day":"2024-06-10","resource_id":"R1","item_code":"MEM","quantity":2}`+"\n{\"day\": oops}\n"+
				`{"day":"2024-06-11","resource_id":"R1","item_code":"MEM","quantity":2,"extra":1}`+"\n")
			checkCounts(t, r, counts{Read: 3, Accepted: 1, Rejected: 2})
		})
	})
}

// TestIngestRepeatedBadValues: the same bad day or unknown resource on
// consecutive rows is rejected every time (the reader remembers only the
// last good day and resource it looked up).
func TestIngestRepeatedBadValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		r := mustIngest(t, db, "repeat.csv", "day,resource_id,item_code,quantity\n"+
			"2024-06-10,R1,VCPU,1\n2024-06-32,R1,VCPU,1\n2024-06-32,R1,MEM,1\n"+
			"2024-06-11,R7,VCPU,1\n2024-06-11,R7,MEM,1\n2024-06-11,R1,MEM,2\n")
		checkCounts(t, r, counts{Read: 6, Accepted: 2, Rejected: 4})
		equalLines(t, "usage", normalised(usageRows(t, db)), []string{"R1 MEM 2024-06-11 2", "R1 VCPU 2024-06-10 1"})
	})
}

func TestIngestFileNotMetering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		for name, content := range map[string]string{
			"wrong header": "day,resource,item,qty\n2024-06-10,R1,VCPU,1\n",
			"empty":        "",
			"bad gzip":     "\x1f\x8bnot really",
		} {
			t.Run(name, func(t *testing.T) {
				_, err := ingestBytes(t, db, name, []byte(content))
				var fe *store.FileError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v, want a FileError", err)
				}
			})
		}
		if n := countRows(t, db, "files"); n != 0 {
			t.Errorf("ledger has %d rows after unreadable files", n)
		}
	})
}

func TestIngestEncodingsAndFormats(t *testing.T) {
	csvText := "day,resource_id,item_code,quantity\n2024-06-10,云主机-1,VCPU,4\n2024-06-11,云主机-1,VCPU,4\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(csvText)
	if err != nil {
		t.Fatal(err)
	}
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	jsonl := `{"day":"2024-06-10","resource_id":"云主机-1","cpu_avg_pct":3.5,"cpu_max_pct":9,"mem_avg_pct":40,"disk_used_pct":"12.25","net_in_bytes":1024,"net_out_bytes":0}` + "\n" +
		`{"day":"2024-06-11","resource_id":"云主机-1","cpu_avg_pct":3.5,"cpu_max_pct":9,"mem_avg_pct":40,"disk_used_pct":"12.25","net_in_bytes":1024,"net_out_bytes":0}` + "\n"
	cases := []struct {
		name, content string
		table         string
	}{
		{"utf-8 csv", csvText, "usage"},
		{"gb18030 csv", gb, "usage"},
		{"gzip gb18030 csv", gz(gb), "usage"},
		{"jsonl activity", jsonl, "activity"},
		{"gzip jsonl activity", gz(jsonl), "activity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				loadIngestReference(t, db)
				r := mustIngest(t, db, c.name, c.content)
				checkCounts(t, r, counts{Read: 2, Accepted: 2})
				if string(r.Kind) != c.table {
					t.Errorf("recognised as %s, want %s", r.Kind, c.table)
				}
				var ids []string
				storetest.SQL(t, db).Select(&ids, `SELECT DISTINCT resource_id FROM `+c.table)
				if len(ids) != 1 || ids[0] != "云主机-1" {
					t.Errorf("stored resources %q, want 云主机-1", ids)
				}
			})
		})
	}
}

func TestIngestActivityChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		h := strings.Join(metering.ActivityColumns, ",") + "\n"
		mustIngest(t, db, "a1.csv", h+"2024-06-10,R1,1,2,3,4,5,6\n2024-06-11,R1,1,2,3,4,5,6\n")
		r := mustIngest(t, db, "a2.csv", h+"2024-06-10,R1,1,2,3,4,5,7\n2024-06-11,R1,1.0,2,3,4,5,6\n")
		checkCounts(t, r, counts{Read: 2, Replaced: 1, Unchanged: 1})
		if len(r.Replacements) != 1 || r.Replacements[0].New != "1,2,3,4,5,7" || r.Replacements[0].Old != "1,2,3,4,5,6" {
			t.Errorf("replacements %+v", r.Replacements)
		}
	})
}

func TestIngestFailureMidFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		file := "day,resource_id,item_code,quantity\n2024-06-10,R1,VCPU,4\n2024-06-11,R1,VCPU,4\n2024-06-12,R9,VCPU,4\n2024-06-12,R1,VCPU,4\n"
		faulty, err := store.OpenWith(context.Background(), db.DSN, store.Options{FailAfterRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ingestBytes(t, faulty, "crash.csv", []byte(file))
		faulty.Close()
		if !errors.Is(err, store.ErrInjectedFailure) {
			t.Fatalf("error %v, want the injected failure", err)
		}
		for _, table := range []string{"usage", "rejects", "files"} {
			if n := countRows(t, db, table); n != 0 {
				t.Errorf("%s has %d rows after a failed ingest, want 0", table, n)
			}
		}
		r := mustIngest(t, db, "crash.csv", file)
		checkCounts(t, r, counts{Read: 4, Accepted: 3, Rejected: 1})
	})
}

func TestIngestBeforeConfirmation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		// R1 confirmed 2024-06-10: 06-09 is its test period. R2 is never confirmed.
		r := mustIngest(t, db, "early.csv", "day,resource_id,item_code,quantity\n2024-06-09,R1,VCPU,4\n2024-06-10,R1,VCPU,4\n2024-06-10,R2,VCPU,1\n2024-06-10,R2,VCPU,1\n")
		checkCounts(t, r, counts{Read: 4, Accepted: 3, Duplicates: 1, NotYetBillable: 2})
		if n := countRows(t, db, "usage"); n != 3 {
			t.Errorf("usage rows %d, want 3: rows before confirmation are kept", n)
		}
	})
}

func TestIngestStagingWithDuplicatesPostgres(t *testing.T) {
	// A direct COPY that meets an existing key half-way falls back to staging.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		mustIngest(t, db, "one.csv", "day,resource_id,item_code,quantity\n2024-06-20,R1,VCPU,4\n")
		r := mustIngest(t, db, "two.csv", "day,resource_id,item_code,quantity\n2024-06-19,R1,VCPU,4\n2024-06-20,R1,VCPU,5\n2024-06-21,R1,VCPU,4\n2024-06-21,R1,VCPU,4\n")
		checkCounts(t, r, counts{Read: 4, Accepted: 2, Replaced: 1, Duplicates: 1})
		if db.Engine == store.EnginePostgres && r.Path != "staging+dedupe" {
			t.Errorf("path %q, want staging+dedupe", r.Path)
		}
		equalLines(t, "usage", normalised(usageRows(t, db)), []string{"R1 VCPU 2024-06-19 4", "R1 VCPU 2024-06-20 5", "R1 VCPU 2024-06-21 4"})
	})
}

// TestIngestLargerFiles goes through the batched and chunked paths: 2,000
// new rows, then a file overlapping them with changes, repeats and new keys.
func TestIngestLargerFiles(t *testing.T) {
	storetest.Each(t, ingestLargerFiles)
}

// TestIngestLargerFilesSmallChunks: the same with SQLite chunks of 96 rows,
// batches of 16, summary bits merged every few chunks and whenever a few
// unchanged rows were written differently, so that batches, repeated keys
// and merges interleave many times in one file.
func TestIngestLargerFilesSmallChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		store.SetSQLiteChunkingForTest(db, 96, 16, 40, 3)
		ingestLargerFiles(t, db)
	})
}

func ingestLargerFiles(t *testing.T, db *store.DB) {
	{
		loadIngestReference(t, db)
		start := metering.MustDate("2023-01-01")
		var a, b strings.Builder
		a.WriteString("day,resource_id,item_code,quantity\n")
		b.WriteString("day,resource_id,item_code,quantity\n")
		want := map[string]string{}
		for i := range 500 {
			day := start.AddDays(i).String()
			for _, r := range []string{"R1", "R2"} {
				for _, item := range []string{"VCPU", "MEM"} {
					fmt.Fprintf(&a, "%s,%s,%s,%d\n", day, r, item, i%7)
					want[r+" "+item+" "+day] = fmt.Sprint(i % 7)
				}
			}
		}
		r := mustIngest(t, db, "a.csv", a.String())
		checkCounts(t, r, counts{Read: 2000, Accepted: 2000, NotYetBillable: 2000}) // all before R1's confirmation; R2 never confirmed
		// b: days 400..699 of R1 VCPU: 400..499 exist (even days changed,
		// every third odd day the same number written "n.0"), 500..699 new;
		// every 10th row twice, every 20th with another value the second time.
		var wantB counts
		for i := 400; i < 700; i++ {
			day := start.AddDays(i).String()
			q := fmt.Sprint(i % 7)
			if i%2 == 0 {
				q = "9"
			}
			written := q
			if i%2 == 1 && i%3 == 0 {
				written += ".0"
			}
			rows := 1
			if i%10 == 0 {
				rows = 2
				wantB.Duplicates++
			}
			fmt.Fprintf(&b, "%s,R1,VCPU,%s\n", day, written)
			final := q
			if rows == 2 {
				// every 20th repeated with another value: the last one wins
				if i%20 == 0 {
					final = "8"
				}
				fmt.Fprintf(&b, "%s,R1,VCPU,%s\n", day, final)
			}
			switch {
			case i >= 500:
				wantB.Accepted++
			case q == "9" && i%7 != 9:
				wantB.Replaced++
			default:
				wantB.Unchanged++
			}
			if metering.MustDate(day) < metering.MustDate("2024-06-10") {
				wantB.NotYetBillable++
			}
			want["R1 VCPU "+day] = final
		}
		wantB.Read = wantB.Accepted + wantB.Replaced + wantB.Unchanged + wantB.Duplicates
		r = mustIngest(t, db, "b.csv", b.String())
		checkCounts(t, r, wantB)
		got := normalised(usageRows(t, db))
		if len(got) != len(want) {
			t.Fatalf("%d usage rows, want %d", len(got), len(want))
		}
		for _, line := range got {
			f := strings.Fields(line)
			if w := want[f[0]+" "+f[1]+" "+f[2]]; w != f[3] {
				t.Errorf("%s: want quantity %s", line, w)
			}
		}
	}
}

// TestIngestExistingKeyLateInFile: a direct COPY on PostgreSQL meets an
// existing key after many rows (the error arrives mid-stream) and falls
// back to staging; SQLite rolls back one batch.
func TestIngestExistingKeyLateInFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db)
		mustIngest(t, db, "late.csv", "day,resource_id,item_code,quantity\n2030-01-01,R2,MEM,1\n")
		var b strings.Builder
		b.WriteString("day,resource_id,item_code,quantity\n")
		start := metering.MustDate("2020-01-01")
		for i := range 3000 {
			fmt.Fprintf(&b, "%s,R1,VCPU,%d\n", start.AddDays(i), i%5)
		}
		b.WriteString("2030-01-01,R2,MEM,2\n")
		r := mustIngest(t, db, "big.csv", b.String())
		checkCounts(t, r, counts{Read: 3001, Accepted: 3000, Replaced: 1, NotYetBillable: 1 + int64(metering.MustDate("2024-06-10").Sub(start))})
		if db.Engine == store.EnginePostgres && r.Path != "staging" {
			t.Errorf("path %q, want staging after the failed direct copy", r.Path)
		}
		if n := countRows(t, db, "usage"); n != 3001 {
			t.Errorf("usage rows %d, want 3001", n)
		}
	})
}

// TestMeteringKeyedByDayFirst: on both engines the metering tables' primary
// keys start with day, so a file in day order appends to them (migrations
// 0010 and 0014); resource_id stays in the key for Citus.
func TestMeteringKeyedByDayFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		want := map[string][]string{"usage": {"day", "resource_id", "item_code"}, "activity": {"day", "resource_id"}}
		for table, cols := range want {
			var got []string
			q := `SELECT name FROM pragma_index_info((SELECT name FROM pragma_index_list('` + table + `') WHERE origin = 'pk')) ORDER BY seqno`
			if db.Engine == store.EnginePostgres {
				q = `SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
					WHERE i.indrelid = '` + table + `'::regclass AND i.indisprimary ORDER BY k.n`
			}
			if err := storetest.SQL(t, db).Select(&got, q); err != nil {
				t.Fatal(err)
			}
			equalLines(t, table+" primary key", got, cols)
		}
	})
}
