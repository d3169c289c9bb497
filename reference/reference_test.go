package reference

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDatong(t *testing.T) {
	dir := filepath.Join("..", "fixtures", "datong")
	s, problems := ReadDir(dir)
	if len(problems) > 0 {
		t.Fatalf("the fixtures have problems: %v", problems[0])
	}
	kinds := append(append([]string{}, Tables...), Optional...) // the fixtures have budgets.csv
	if len(s.Files) != len(kinds) {
		t.Fatalf("%d files read, want %d", len(s.Files), len(kinds))
	}
	for i, f := range s.Files {
		if f.Kind != kinds[i] {
			t.Errorf("file %d is %s, want %s", i, f.Kind, kinds[i])
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if want := hex.EncodeToString(sum[:]); f.SHA256 != want {
			t.Errorf("%s: sha256 %s, want %s (the bytes on disk)", f.Name, f.SHA256, want)
		}
		if f.Rows != len(s.Lines[f.Kind]) || f.Rows == 0 {
			t.Errorf("%s: %d rows, %d lines", f.Name, f.Rows, len(s.Lines[f.Kind]))
		}
	}
	if len(s.Resources) != 2155 {
		t.Errorf("%d resources, want the fixtures' 2155", len(s.Resources))
	}
}

func TestReadProblems(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"districts.csv":   "code,name\n140200,市本级\n140200,again\n",
		"departments.csv": "code,name,district_code\nD1,局,999999\n",
		"providers.csv":   "code,name\nP1,电信\n",
		"systems.csv":     "id,department_code,name,protection_level\nS1,D1,网,3\n",
		"resources.csv":   "id,system_id,provider_code,kind,name\nR1,S1,P9,vm,web\n",
		"catalogue.csv":   "item_code,category,name,unit,cycle,price,effective_from,effective_to,approval_ref\nVCPU,计算,vCPU,核·年,year,360,2024-01-01,,x\n",
		"events.csv":      "resource_id,event,at,item_code,quantity,ref\nR1,approved,2024-01-02T09:00:00+08:00,NOPE,4,a\n",
		"scores.csv":      "provider_code,period,dimension,evaluator,score\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, problems := ReadDir(dir)
	var got []string
	for _, p := range problems {
		got = append(got, strings.TrimPrefix(p.Error(), dir+string(filepath.Separator)))
	}
	for _, want := range []string{
		"calendar.csv: missing file",
		"departments.csv:2: district_code: unknown district \"999999\"",
		"districts.csv:3: code: 140200 repeats line 2",
		"events.csv:2: item_code: unknown catalogue item \"NOPE\"",
		"resources.csv:2: provider_code: unknown provider \"P9\"",
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		if !found {
			t.Errorf("no problem %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	for i := 1; i < len(problems); i++ {
		if problems[i-1].File > problems[i].File {
			t.Errorf("problems not in file order: %s before %s", problems[i-1].File, problems[i].File)
		}
	}
}
