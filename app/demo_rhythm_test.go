package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The demo shows the year's rhythm: July's and the third quarter's
// reports and next year's budget proposal, the fixtures' budgets with
// their execution rates, and over_budget findings on the issued year's
// findings list.
func TestDemoRhythm(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo meters a whole year: skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "demo")
	var w bytes.Buffer
	sum, err := Demo(context.Background(), DemoInput{Out: out, Year: 2024, Seed: 1}, &w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, w.String())
	}
	for _, name := range []string{"month-2024-07.pdf", "month-2024-07.csv", "quarter-2024Q3.pdf", "quarter-2024Q3.csv", "budget-2025.pdf", "budget-2025.csv", "budget-2025.xlsx"} {
		p := filepath.Join(out, name)
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
		found := false
		for _, f := range sum.Files {
			found = found || f == p
		}
		if !found {
			t.Errorf("the demo does not list %s", p)
		}
	}
	if sum.OverBudget == 0 {
		t.Error("no budget of the fixtures is forecast over budget")
	}
	f, err := os.Open(filepath.Join(out, "findings-2024.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	over := 0
	for _, r := range recs[1:] {
		if r[0] == "over_budget" {
			over++
		}
	}
	if over != sum.OverBudget || len(recs)-1 != sum.Findings {
		t.Errorf("findings-2024.csv: %d over_budget of %d findings, the demo says %d of %d", over, len(recs)-1, sum.OverBudget, sum.Findings)
	}
	if !strings.Contains(w.String(), "budgets forecast over budget") {
		t.Errorf("the demo's output does not say how many budgets are over:\n%s", w.String())
	}
}
