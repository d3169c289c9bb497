package reference

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// budgetSet writes the Datong fixtures into a folder, with budgets.csv
// holding body when it is not empty.
func budgetSet(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "fixtures", "datong")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "budgets.csv" {
			continue // the fixtures' own: body replaces it
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if body != "" {
		if err := os.WriteFile(filepath.Join(dir, "budgets.csv"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBudgetsAreOptional(t *testing.T) {
	s, problems := ReadDir(budgetSet(t, ""))
	if len(problems) > 0 || len(s.Budgets) != 0 || len(s.Files) != len(Tables) {
		t.Fatalf("without budgets.csv: %d problems (%v), %d budgets, %d files", len(problems), problems, len(s.Budgets), len(s.Files))
	}
	s, problems = ReadDir(budgetSet(t, "year,district_code,department_code,amount,approval_ref\n"+
		"2024,140213,,1200000.00,平财预〔2024〕3号\n"+
		"2024,140200,140200-zfb,80000,同财预〔2024〕1号\n"+
		"2024,140200,140200-xxzx,95000.50,同财预〔2024〕1号\n"+
		"2025,140213,,1300000,平财预〔2025〕2号\n"))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(s.Budgets) != 4 || len(s.Files) != len(Tables)+1 || s.Files[len(Tables)].Kind != "budgets" {
		t.Fatalf("%d budgets, files %+v", len(s.Budgets), s.Files)
	}
	b := s.Budgets[2]
	if b.Year != 2024 || b.DistrictCode != "140200" || b.DepartmentCode != "140200-xxzx" || b.Amount.String() != "95000.5" || b.ApprovalRef != "同财预〔2024〕1号" {
		t.Errorf("row 4: %+v", b)
	}
	if s.Budgets[0].DepartmentCode != "" {
		t.Errorf("a district-wide budget has no department: %+v", s.Budgets[0])
	}
}

// Every bad row of budgets.csv is reported as file:line: column: reason,
// and nothing of the set may be loaded.
func TestBudgetsBadRows(t *testing.T) {
	dir := budgetSet(t, "year,district_code,department_code,amount,approval_ref\n"+
		"2024,140213,,1200000,平财预〔2024〕3号\n"+ // 2: fine
		"1999,140213,,1,x\n"+ // 3: year out of range
		"2024,999999,,1,x\n"+ // 4: unknown district
		"2024,140200,nope,1,x\n"+ // 5: unknown department
		"2024,140200,140213-zfb,1,x\n"+ // 6: department of another district
		"2024,140213,,5,x\n"+ // 7: repeats line 2
		"2024,140213,140213-zfb,5,x\n"+ // 8: district-wide already
		"2024,140200,140200-zfb,-3,x\n"+ // 9: negative
		"2024,140200,140200-xxzx,12,\n"+ // 10: no approval
		"twenty,140200,140200-xxzx,1e3,x\n") // 11: year and amount
	_, problems := ReadDir(dir)
	var got []string
	for _, p := range problems {
		got = append(got, strings.TrimPrefix(p.Error(), dir+string(filepath.Separator)))
	}
	want := []string{
		"budgets.csv:3: year: 1999 is not a year from 2000 to 2100",
		"budgets.csv:4: district_code: unknown district \"999999\"",
		"budgets.csv:5: department_code: unknown department \"nope\"",
		"budgets.csv:6: department_code: department 140213-zfb belongs to district 140213, not 140200",
		"budgets.csv:7: department_code: budget of 2024 for 140213 (district-wide) repeats line 2",
		"budgets.csv:8: department_code: district 140213 has a district-wide budget for 2024 (line 2)",
		"budgets.csv:9: amount: -3 is below 0",
		"budgets.csv:10: approval_ref: empty",
		"budgets.csv:11: year:",
		"budgets.csv:11: amount:",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no problem %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}
