package reference

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"cloudbill/metering"
)

// validSet is the smallest reference set that reads without problems: one
// header and one row per table, as columns.
func validSet() map[string][2][]string {
	return map[string][2][]string{
		"districts":   {{"code", "name"}, {"140200", "市本级"}},
		"departments": {{"code", "name", "district_code"}, {"D1", "财政局", "140200"}},
		"providers":   {{"code", "name"}, {"P1", "电信"}},
		"systems":     {{"id", "department_code", "name", "protection_level"}, {"S1", "D1", "一体化", "3"}},
		"resources":   {{"id", "system_id", "provider_code", "kind", "name"}, {"R1", "S1", "P1", "vm", "web"}},
		"catalogue": {{"item_code", "category", "name", "unit", "cycle", "price", "effective_from", "effective_to", "approval_ref"},
			{"VCPU", "计算", "vCPU", "核·年", "year", "360", "2024-01-01", "", "财发〔2024〕1号"}},
		"events":   {{"resource_id", "event", "at", "item_code", "quantity", "ref"}, {"R1", "approved", "2024-01-02T09:00:00+08:00", "VCPU", "4", "批复1"}},
		"scores":   {{"provider_code", "period", "dimension", "evaluator", "score"}, {"P1", "2024Q1", "quality", "department", "90"}},
		"calendar": {{"date", "kind", "name"}, {"2024-01-01", "holiday", "元旦"}},
	}
}

func csvFS(set map[string][2][]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for table, t := range set {
		fsys[table+".csv"] = &fstest.MapFile{Data: []byte(strings.Join(t[0], ",") + "\n" + strings.Join(t[1], ",") + "\n")}
	}
	return fsys
}

// Every code and id column of every reference file refuses a value that a
// spreadsheet would run as a formula, with one problem; free text that
// starts so is loaded (exports neutralise it).
func TestReadRefusesFormulaCodes(t *testing.T) {
	if _, ps := Read(csvFS(validSet()), ""); len(ps) > 0 {
		t.Fatalf("the valid set has problems: %v", metering.Problems(ps))
	}
	codes := map[string]bool{
		"districts.code": true, "departments.code": true, "departments.district_code": true, "providers.code": true,
		"systems.id": true, "systems.department_code": true, "resources.id": true, "resources.system_id": true,
		"resources.provider_code": true, "catalogue.item_code": true, "events.resource_id": true, "events.item_code": true,
		"scores.provider_code": true,
	}
	free := map[string]bool{
		"districts.name": true, "departments.name": true, "providers.name": true, "systems.name": true,
		"resources.name": true, "catalogue.category": true, "catalogue.name": true, "catalogue.unit": true,
		"catalogue.approval_ref": true, "events.ref": true, "calendar.name": true,
	}
	prefixes := "=+-@"
	n := 0
	for _, table := range Tables {
		for i, col := range validSet()[table][0] {
			key := table + "." + col
			if !codes[key] && !free[key] {
				continue
			}
			set := validSet()
			p := prefixes[n%len(prefixes) : n%len(prefixes)+1]
			n++
			set[table][1][i] = p + set[table][1][i]
			_, ps := Read(csvFS(set), "")
			var formula []string
			for _, pr := range ps {
				if strings.Contains(pr.Reason, "spreadsheet formula") {
					formula = append(formula, pr.Error())
				}
			}
			want := table + ".csv:2: " + col + ": code starts with '" + p + "': would run as a spreadsheet formula"
			switch {
			case codes[key] && (len(formula) != 1 || formula[0] != want):
				t.Errorf("%s starting with %s: %q, want [%s]", key, p, formula, want)
			case free[key] && len(ps) > 0:
				t.Errorf("free text %s starting with %s: problems %v", key, p, metering.Problems(ps))
			}
		}
	}
}

// A repeated key in a JSON Lines reference file rejects its row, a
// repeated CSV column the file.
func TestReadRepeatedKeysAndColumns(t *testing.T) {
	fsys := csvFS(validSet())
	delete(fsys, "districts.csv")
	fsys["districts.jsonl"] = &fstest.MapFile{Data: []byte(`{"code":"140200","name":"市本级"}` + "\n" + `{"code":"140201","code":"140202","name":"x"}` + "\n")}
	delete(fsys, "providers.csv")
	fsys["providers.csv"] = &fstest.MapFile{Data: []byte("code,name,code\nP1,电信,P2\n")}
	s, ps := Read(fsys, "")
	var got []string
	for _, p := range ps {
		got = append(got, p.Error())
	}
	want := []string{"districts.jsonl:2: code: repeated key", "providers.csv:1: code: repeated column"}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no problem %q in %q", w, got)
		}
	}
	if len(s.Districts) != 1 {
		t.Errorf("districts %v: the row without repeated keys is read", s.Districts)
	}
}

// A file that breaks off (a gzip stream cut short) is one problem, and the
// reading of the set ends.
func TestReadBrokenGzip(t *testing.T) {
	fsys := csvFS(validSet())
	delete(fsys, "events.csv")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("resource_id,event,at,item_code,quantity,ref\n" + strings.Repeat("R1,applied,2024-01-02T09:00:00+08:00,,,\n", 1000)))
	zw.Close()
	fsys["events.csv.gz"] = &fstest.MapFile{Data: b.Bytes()[:b.Len()/2]}
	done := make(chan []metering.Problem)
	go func() { _, ps := Read(fsys, ""); done <- ps }()
	select {
	case ps := <-done:
		if len(ps) != 1 || ps[0].File != "events.csv.gz" || !strings.Contains(ps[0].Reason, "unexpected EOF") {
			t.Errorf("problems %v", metering.Problems(ps))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Read does not return on a broken gzip stream")
	}
}
