package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// The version flow: issue v1, correct an input, settle v2, diff, issue v2:
// v1 is then superseded, and a report without --version prints v2.
func TestVersionFlow(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, e)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.LoadReference(ctx, leastPrivilegeReference()); err != nil {
				t.Fatal(err)
			}
			db.Close()
			run := func(args ...string) string {
				t.Helper()
				code, out, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...)
				if code != 0 {
					t.Fatalf("%v: exit %d\n%s%s", args, code, out, stderr)
				}
				return out + stderr
			}
			inbox := t.TempDir()
			var b strings.Builder
			b.WriteString(ingestUsageHeader)
			for d := 10; d <= 30; d++ {
				b.WriteString("2024-06-" + twoDigits(d) + ",R1,VCPU,4\n")
			}
			writeFiles(t, inbox, map[string]string{"june.csv": b.String()})
			run("ingest", "--inbox", inbox)
			run("findings", "--as-of", "2024-12-31")
			run("settle", "--year", "2024")
			run("issue", "--year", "2024", "--without-signoff", "test")

			// A correction: R1 used 2 vCPU on 30 June, not 4.
			writeFiles(t, inbox, map[string]string{"fix.csv": ingestUsageHeader + "2024-06-30,R1,VCPU,2\n"})
			run("ingest", "--inbox", inbox)
			if out := run("settle", "--year", "2024"); !strings.Contains(out, "version 2 (draft)") {
				t.Fatalf("settle after the correction:\n%s", out)
			}
			vs := run("versions", "--year", "2024")
			if !strings.Contains(vs, "\n1        issued") || !strings.Contains(vs, "\n2        draft") {
				t.Errorf("versions before issuing v2:\n%s", vs)
			}
			// 4 × 360 × 21 ÷ 366 = 82.62; then 4 × 360 × 20 ÷ 366 + 2 × 360 ÷ 366 = 80.66
			diff := run("diff", "--year", "2024")
			if !strings.Contains(diff, "version 1 → 2, 1 line(s) changed") || !strings.Contains(diff, "82.62→80.66") {
				t.Errorf("diff:\n%s", diff)
			}
			run("issue", "--year", "2024", "--without-signoff", "test")
			vs = run("versions", "--year", "2024")
			if !strings.Contains(vs, "superseded (by 2)") || !strings.Contains(vs, "\n2        issued") {
				t.Errorf("versions after issuing v2:\n%s", vs)
			}
			v2 := t.TempDir()
			if out := run("report", "--year", "2024", "--out", v2); !strings.Contains(out, "version 2 (issued)") {
				t.Errorf("report without --version:\n%s", out)
			}
			v1 := t.TempDir()
			if out := run("report", "--year", "2024", "--version", "1", "--out", v1); !strings.Contains(out, "version 1 (superseded by version 2)") {
				t.Errorf("report of v1:\n%s", out)
			}
			// v2's statement lists what changed against v1; every page of
			// v1's documents says it is superseded.
			pdftotext, err := exec.LookPath("pdftotext")
			if err != nil {
				t.Fatal("pdftotext not found: run make deps (poppler-utils)")
			}
			text := pdfText(t, pdftotext, filepath.Join(v2, "statement-2024.pdf"))
			for _, want := range []string{"附录：与第 1 版相比的变更清单", "82.62", "80.66", "-1.96"} {
				if !strings.Contains(text, want) {
					t.Errorf("v2's statement lacks %q", want)
				}
			}
			for _, doc := range []string{"statement-2024.pdf", "district-2024-140200.pdf"} {
				text := pdfText(t, pdftotext, filepath.Join(v1, doc))
				pages := strings.Count(text, "\f")
				if n := strings.Count(text, "已被第 2 版取代"); n < pages || pages == 0 {
					t.Errorf("%s of v1: %d pages, %d say it is superseded", doc, pages, n)
				}
			}
			if out := run("diff", "--year", "2024", "--from", "1", "--to", "2"); !strings.Contains(out, "1 line(s) changed") {
				t.Errorf("diff --from 1 --to 2:\n%s", out)
			}
			// A failing report (no such font) leaves no partial folder.
			parent := t.TempDir()
			out := filepath.Join(parent, "reports")
			if code, _, stderr := runMain(t, ctx, "--db", dsn, "report", "--year", "2024", "--out", out, "--font", filepath.Join(parent, "none.ttf")); code != 1 {
				t.Errorf("report with a missing font: exit %d\n%s", code, stderr)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a failed report left %v", entries)
			}
		})
	}
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }
