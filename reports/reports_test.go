package reports

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cloudbill/billing"
)

var update = flag.Bool("update", false, "rewrite the golden text files in testdata")

// strict reports whether missing tools or fonts must fail the test (CI).
func strict() bool { return os.Getenv("CLOUDBILL_REQUIRE_POSTGRES") == "1" }

// needFont returns the CJK font, skipping (or failing in CI) without one.
func needFont(t testing.TB) Font {
	t.Helper()
	f, err := FindFont("")
	if err != nil {
		if strict() {
			t.Fatalf("%v (run scripts/deps.sh)", err)
		}
		t.Skip(err)
	}
	return f
}

// needTool checks that a command-line tool is installed.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		msg := name + " is not installed: apt-get install poppler-utils qpdf (or run scripts/deps.sh)"
		if strict() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// pdfText is pdftotext -layout of a PDF file.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

func writeSample(t *testing.T, status billing.StatementStatus) (string, []string) {
	t.Helper()
	font := needFont(t)
	dir := t.TempDir()
	paths, err := WriteDocuments(dir, sampleBundle(status), font)
	if err != nil {
		t.Fatal(err)
	}
	return dir, paths
}

func TestDocumentsGolden(t *testing.T) {
	needTool(t, "pdftotext")
	overflows := collectOverflows(t)
	defer noOverflows(t, overflows)
	for _, status := range []billing.StatementStatus{billing.StatementStatusDraft, billing.StatementStatusIssued} {
		_, paths := writeSample(t, status)
		for _, p := range paths {
			if filepath.Ext(p) != ".pdf" {
				continue
			}
			name := strings.TrimSuffix(filepath.Base(p), ".pdf") + "-" + string(status) + ".txt"
			t.Run(name, func(t *testing.T) {
				got := pdfText(t, p)
				golden := filepath.Join("testdata", name)
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./reports -update)", err)
				}
				if got != string(want) {
					t.Errorf("text of %s differs from %s (run go test ./reports -update after checking):\n%s", filepath.Base(p), golden, firstDiff(string(want), got))
				}
			})
		}
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\nwant: " + a + "\ngot:  " + b
		}
	}
	return ""
}

func TestDocumentsReproducible(t *testing.T) {
	font := needFont(t)
	b := sampleBundle(billing.StatementStatusIssued)
	d1, d2 := t.TempDir(), t.TempDir()
	p1, err := WriteDocuments(d1, b, font)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteDocuments(d2, sampleBundle(billing.StatementStatusIssued), font); err != nil {
		t.Fatal(err)
	}
	want := []string{"statement-2024.pdf", "district-2024-140200.pdf", "district-2024-140213.pdf", "district-2024-140221.pdf",
		"department-2024-D001.pdf", "department-2024-D002.pdf", "department-2024-D101.pdf", "department-2024-D201.pdf",
		"idle-2024.pdf", "evaluation-2024.pdf", "cloudbill-2024.xlsx",
		"district-2024-140200.xlsx", "district-2024-140213.xlsx", "district-2024-140221.xlsx"}
	if len(p1) != len(want) {
		t.Fatalf("wrote %v, want %v", p1, want)
	}
	for i, p := range p1 {
		if filepath.Base(p) != want[i] {
			t.Errorf("file %d = %s, want %s", i, filepath.Base(p), want[i])
		}
		a, _ := os.ReadFile(p)
		c, _ := os.ReadFile(filepath.Join(d2, filepath.Base(p)))
		if !bytes.Equal(a, c) {
			t.Errorf("%s differs between two runs on the same data", filepath.Base(p))
		}
	}
	entries, _ := os.ReadDir(d1)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestDocumentsQPDFCheck(t *testing.T) {
	needTool(t, "qpdf")
	_, paths := writeSample(t, billing.StatementStatusDraft)
	for _, p := range paths {
		if filepath.Ext(p) != ".pdf" {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			out, err := exec.Command("qpdf", "--check", p).CombinedOutput()
			if err != nil {
				t.Errorf("qpdf --check: %v\n%s", err, out)
			}
		})
	}
}

// TestWriteSampleTo writes the sample documents into $CLOUDBILL_SAMPLE_OUT
// for a look (pdftoppm); it does nothing otherwise.
func TestWriteSampleTo(t *testing.T) {
	out := os.Getenv("CLOUDBILL_SAMPLE_OUT")
	if out == "" {
		t.Skip("set CLOUDBILL_SAMPLE_OUT=DIR to write the sample documents")
	}
	for _, s := range []billing.StatementStatus{billing.StatementStatusDraft, billing.StatementStatusIssued} {
		if _, err := WriteDocuments(filepath.Join(out, string(s)), sampleBundle(s), needFont(t)); err != nil {
			t.Fatal(err)
		}
	}
}
