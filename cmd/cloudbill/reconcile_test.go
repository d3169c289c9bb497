package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// auditReference is leastPrivilegeReference with three more VMs of the
// same system: R2 (2 vCPU) and R3 (1 vCPU) are metered like R1, R4
// (2 vCPU) is confirmed but never metered, so it has no line.
func auditReference() *reference.Set {
	ref := leastPrivilegeReference()
	for _, r := range []struct{ id, name, q string }{{"R2", "db", "2"}, {"R3", "cache", "1"}, {"R4", "spare", "2"}} {
		ref.Resources = append(ref.Resources, metering.Resource{ID: r.id, SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: r.name})
		for _, e := range ref.Events[:2] {
			e.ResourceID, e.Ref = r.id, "A"+r.id
			if e.Kind == metering.EventApproved {
				e.Quantity = decimal.RequireFromString(r.q)
			}
			ref.Events = append(ref.Events, e)
		}
	}
	return ref
}

// The batch actions land in the audit chain; the provider's bill of ctc
// misses R3, bills R4 the statement does not have and differs on R1; the
// documents say so, add up and come out the same on a rerun; a row of the
// trail changed behind the system's back is found by audit verify.
func TestAuditAndReconcileCommands(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: run make deps (poppler-utils)")
	}
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, e)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := app.New(db, apptest.Discard).LoadSet(ctx, auditReference()); err != nil {
				t.Fatal(err)
			}
			run := func(want int, args ...string) string {
				t.Helper()
				code, out, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...)
				if code != want {
					t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, stderr)
				}
				return out + stderr
			}
			inbox := t.TempDir()
			var b strings.Builder
			b.WriteString(ingestUsageHeader)
			for d := 10; d <= 30; d++ {
				for _, r := range []string{"R1,VCPU,4", "R2,VCPU,2", "R3,VCPU,1"} {
					b.WriteString("2024-06-" + twoDigits(d) + "," + r + "\n")
				}
			}
			writeFiles(t, inbox, map[string]string{"june.csv": b.String(), "bad.csv": "foo\n1\n"})
			run(1, "ingest", "--inbox", inbox) // bad.csv cannot be read
			run(0, "settle", "--year", "2024")
			run(0, "settle", "--year", "2024") // unchanged

			// 4 × 360 × 21 ÷ 366 = 82.62, 2 × … = 41.31, 1 × … = 20.66: 144.59 on the statement
			bill := filepath.Join(t.TempDir(), "ctc-2024.csv")
			if err := os.WriteFile(bill, []byte("resource_id,item_code,billable_days,quantity_days,gross\n"+
				"R1,VCPU,20,80,78.69\nR2,VCPU,21,42.0,41.31\nR4,VCPU,30,60,59.02\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			got := run(0, "reconcile", "--year", "2024", "--provider", "ctc", "--out", out, bill)
			if !strings.Contains(got, "1 matched, 1 missing in the bill, 1 missing in the statement, 1 differ") {
				t.Fatalf("reconcile:\n%s", got)
			}
			csvPath, pdfPath := filepath.Join(out, "reconcile-2024-ctc.csv"), filepath.Join(out, "reconcile-2024-ctc.pdf")
			rows := readCSV(t, csvPath)
			if len(rows) != 3 || rows[0]["resource_id"] != "R1" || rows[0]["differing"] != "billable_days;quantity_days;gross" ||
				rows[0]["gross_difference"] != "-3.93" || rows[1]["status"] != "missing_in_bill" || rows[1]["provider_gross"] != "" ||
				rows[2]["status"] != "missing_in_statement" || rows[2]["department_code"] != "D1" {
				t.Errorf("csv: %v", rows)
			}
			text := pdfText(t, pdftotext, pdfPath)
			for _, want := range []string{"大同市政务云服务费用对账差异表", "电信", "市大数据局", "政务服务网", "R4 spare", "21 → 20", "84 → 80",
				"结算单有、服务商账单无的计费行", "服务商账单有、结算单无的计费行", "双方数值不一致的计费行", "179.02 - 144.59 = 34.43 元"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF lacks %q", want)
				}
			}
			// Each table's total is the sum of its rows; the differences add up to the totals' difference.
			totals := regexp.MustCompile(`合计（(\d) 行）\s+(-?[\d,]+\.\d\d)\s+(-?[\d,]+\.\d\d)\s+(-?[\d,]+\.\d\d)`).FindAllStringSubmatch(text, -1)
			want := [][3]string{{"20.66", "0.00", "-20.66"}, {"0.00", "59.02", "59.02"}, {"82.62", "78.69", "-3.93"}}
			if len(totals) != 3 {
				t.Fatalf("totals rows: %q\n%s", totals, text)
			}
			for i, m := range totals {
				if m[2] != want[i][0] || m[3] != want[i][1] || m[4] != want[i][2] {
					t.Errorf("table %d totals %v, want %v", i+1, m[2:], want[i])
				}
			}
			if !regexp.MustCompile(`差额合计：\s*34\.43 元`).MatchString(text) {
				t.Errorf("no grand difference of 34.43:\n%s", text)
			}
			csv1, _ := os.ReadFile(csvPath)
			pdf1, _ := os.ReadFile(pdfPath)
			run(0, "reconcile", "--year", "2024", "--provider", "ctc", "--out", out, bill)
			csv2, _ := os.ReadFile(csvPath)
			pdf2, _ := os.ReadFile(pdfPath)
			if !bytes.Equal(csv1, csv2) || !bytes.Equal(pdf1, pdf2) || len(pdf1) == 0 {
				t.Error("a rerun changed the documents")
			}

			// Bad rows are named file:line: column: reason; nothing is written.
			bad := filepath.Join(t.TempDir(), "bad.csv")
			os.WriteFile(bad, []byte("resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,x,1,1.001\n"), 0o644)
			if got := run(1, "reconcile", "--year", "2024", "--provider", "ctc", "--out", t.TempDir(), bad); !strings.Contains(got, bad+`:2: billable_days: "x" is not a decimal number`) ||
				!strings.Contains(got, bad+":2: gross: 1.001 is not exact to the fen") {
				t.Errorf("bad rows:\n%s", got)
			}
			run(2, "reconcile", "--year", "2024", bill)                                     // no provider
			run(2, "reconcile", "--year", "2024", "--provider", "nope", "--out", out, bill) // unknown provider

			// The trail: load, two ingests (one failed), two settles, two reconciliations.
			var trail []store.AuditEntry
			for _, line := range strings.Split(strings.TrimSpace(run(0, "audit", "--json")), "\n") {
				var e store.AuditEntry
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatal(err)
				}
				trail = append(trail, e)
			}
			var actions []string
			for _, e := range trail {
				actions = append(actions, string(e.Action)+":"+strings.SplitN(e.Detail, ":", 2)[0])
			}
			if strings.Join(actions, " ") != "load:loaded ingest:failed ingest:accepted settle:saved settle:unchanged reconcile:"+bill+" reconcile:"+bill {
				t.Fatalf("trail: %v", actions)
			}
			year := run(0, "audit", "--year", "2024")
			if strings.Count(year, "\n") != 5 || strings.Contains(year, "ingest") || !strings.Contains(year, "v1 ctc") {
				t.Errorf("audit --year 2024:\n%s", year)
			}
			if got := run(0, "audit", "--year", "2023"); strings.Count(got, "\n") != 1 {
				t.Errorf("audit --year 2023:\n%s", got)
			}
			if got := run(0, "audit", "verify"); !strings.Contains(got, "7 rows checked") {
				t.Errorf("verify:\n%s", got)
			}
			storetest.TamperAudit(t, db, `UPDATE audit SET detail = 'saved: nothing' WHERE id = 5`)
			if got := run(1, "audit", "verify"); !strings.Contains(got, "after 4 good rows") || !strings.Contains(got, "audit row 5 (") || !strings.Contains(got, "sha256") {
				t.Errorf("verify after tampering:\n%s", got)
			}

			// Without Out nothing is written: the result is for the portal.
			f, _ := os.Open(bill)
			defer f.Close()
			r, err := app.New(db, apptest.Discard).Reconcile(ctx, app.ReconcileInput{Year: 2024, Provider: "ctc", Name: "ctc.csv", File: f})
			if err != nil || r.Paths != nil || r.Matched != 1 || len(r.Lines) != 3 || r.Lines[0].Diffs[2].Difference.String() != "-3.93" {
				t.Errorf("stateless reconcile: %+v %v", r, err)
			}
			// Once the draft is issued there is none: name the version.
			run(0, "issue", "--year", "2024", "--without-signoff", "test")
			if got := run(1, "reconcile", "--year", "2024", "--provider", "ctc", "--out", out, bill); !strings.Contains(got, "no draft version") {
				t.Errorf("reconcile without a draft:\n%s", got)
			}
			if got := run(0, "reconcile", "--year", "2024", "--version", "1", "--provider", "ctc", "--out", out, bill); !strings.Contains(got, "version 1: 1 matched") {
				t.Errorf("reconcile --version 1:\n%s", got)
			}
		})
	}
}
