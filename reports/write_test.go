package reports

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

func TestWriteDocumentsRefuses(t *testing.T) {
	font := needFont(t)
	for _, c := range []struct {
		name  string
		spoil func(b *Bundle)
		want  string
	}{
		{"no statement", func(b *Bundle) { b.Statement = nil }, "no statement"},
		{"department not the sum of its lines", func(b *Bundle) {
			b.Statement.Departments[0].Gross = b.Statement.Departments[0].Gross.Add(decimal.RequireFromString("0.01"))
		}, "is not the sum of its lines"},
		{"city not the sum of districts", func(b *Bundle) {
			b.Statement.Net = b.Statement.Net.Add(decimal.RequireFromString("0.01"))
		}, "not the sums of the districts"},
		{"district code unfit for a file name", func(b *Bundle) {
			st := b.Statement
			for i := range st.Lines {
				if st.Lines[i].DistrictCode == "140221" {
					st.Lines[i].DistrictCode = "../x"
				}
			}
			for i := range st.Departments {
				if st.Departments[i].DistrictCode == "140221" {
					st.Departments[i].DistrictCode = "../x"
				}
			}
			for i := range st.Districts {
				if st.Districts[i].DistrictCode == "140221" {
					st.Districts[i].DistrictCode = "../x"
				}
			}
		}, "cannot name a file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := sampleBundle(billing.StatementStatusDraft)
			c.spoil(&b)
			dir := t.TempDir()
			paths, err := WriteDocuments(dir, b, font)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("WriteDocuments = %v, want an error containing %q", err, c.want)
			}
			if len(paths) != 0 {
				t.Errorf("wrote %v despite the error", paths)
			}
		})
	}
}

func TestSafelyRecovers(t *testing.T) {
	_, err := safely(func() ([]byte, error) { panic("index out of range") })
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("safely = %v, want the panic as an error", err)
	}
}
