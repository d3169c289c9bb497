package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// okReference is a small, valid reference data set.
var okReference = map[string]string{
	"districts.csv":   "code,name\n140200,市本级\n140221,阳高县\n",
	"departments.csv": "code,name,district_code\nD1,市大数据局,140200\nD2,阳高县卫健局,140221\n",
	"providers.csv":   "code,name\nctc,中国电信大同分公司\n",
	"systems.csv":     "id,department_code,name,protection_level\nS1,D1,政务服务网,3\nS2,D2,健康档案,2\n",
	"resources.csv":   "id,system_id,provider_code,kind,name\nR1,S1,ctc,vm,web-01\nR2,S2,ctc,disk,data-01\n",
	"catalogue.csv": "item_code,category,name,unit,cycle,price,effective_from,effective_to,approval_ref\n" +
		"VCPU,计算,vCPU,核·年,year,360,2023-01-01,2024-07-01,同财〔2023〕1号\n" +
		"VCPU,计算,vCPU,核·年,year,330,2024-07-01,,同财〔2024〕9号\n" +
		"SSD,存储,SSD云盘,GB·年,year,12,2023-01-01,,同财〔2023〕1号\n",
	"events.csv": "resource_id,event,at,item_code,quantity,ref\n" +
		"R1,approved,2024-01-02T10:00:00+08:00,VCPU,4,审-1\n" +
		"R1,confirmed,2024-01-05T10:00:00+08:00,,,函-1\n" +
		"R2,approved,2024-01-02T10:00:00+08:00,SSD,500,审-2\n",
	"scores.csv":   "provider_code,period,dimension,evaluator,score\nctc,2024Q1,quality,department,91.5\n",
	"calendar.csv": "date,kind,name\n2024-02-10,holiday,春节\n2024-02-18,workday,春节调休\n",
}

func writeReference(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func with(base map[string]string, name, body string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	if body == "" {
		delete(out, name)
	} else {
		out[name] = body
	}
	return out
}

// runCLI runs the real command line against dsn.
func runCLI(t *testing.T, dsn string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"--db", dsn}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestLoadRejectsEveryProblem(t *testing.T) {
	cases := []struct {
		name, file, body string
		want             []string
	}{
		{"unknown district", "departments.csv", "code,name,district_code\nD1,市大数据局,140200\nD2,阳高县卫健局,999999\n", []string{"departments.csv:3: district_code: unknown district \"999999\""}},
		{"unknown department", "systems.csv", "id,department_code,name,protection_level\nS1,D1,a,3\nS2,DX,b,2\n", []string{"systems.csv:3: department_code: unknown department"}},
		{"unknown system and provider", "resources.csv", "id,system_id,provider_code,kind,name\nR1,S1,ctc,vm,a\nR2,SX,cuc,disk,b\n", []string{"resources.csv:3: system_id: unknown system", "resources.csv:3: provider_code: unknown provider"}},
		{"unknown kind", "resources.csv", "id,system_id,provider_code,kind,name\nR1,S1,ctc,vm,a\nR2,S2,ctc,floppy,b\n", []string{"resources.csv:3: kind: unknown resource kind \"floppy\""}},
		{"unknown event resource and vocabulary", "events.csv", "resource_id,event,at,item_code,quantity,ref\nRX,approved,2024-01-02T10:00:00+08:00,VCPU,4,\nR1,exploded,2024-01-02T10:00:00+08:00,,,\n", []string{"events.csv:2: resource_id: unknown resource \"RX\"", "events.csv:3: event: unknown event \"exploded\""}},
		{"event needs item and quantity", "events.csv", "resource_id,event,at,item_code,quantity,ref\nR1,approved,2024-01-02T10:00:00+08:00,,,\nR1,confirmed,2024-01-05T10:00:00+08:00,VCPU,2,\n", []string{"events.csv:2: item_code: empty", "events.csv:2: quantity: empty", "events.csv:3: item_code: event confirmed carries no item", "events.csv:3: quantity: event confirmed carries no quantity"}},
		{"event unknown item, bad timestamp", "events.csv", "resource_id,event,at,item_code,quantity,ref\nR1,approved,2024-01-02T10:00:00+08:00,GPU,1,\nR1,confirmed,2024-01-05 10:00,,,\n", []string{"events.csv:2: item_code: unknown catalogue item \"GPU\"", "events.csv:3: at: \"2024-01-05 10:00\" is not an RFC 3339 timestamp"}},
		{"price must be positive, cycle known", "catalogue.csv", "item_code,category,name,unit,cycle,price,effective_from,effective_to,approval_ref\nVCPU,计算,vCPU,核,year,0,2023-01-01,,a\nSSD,存储,SSD,GB,week,12,2023-01-01,,a\n", []string{"catalogue.csv:2: price: price 0 must be > 0", "catalogue.csv:3: cycle: cycle \"week\" is not year, month or day"}},
		{"overlapping versions", "catalogue.csv", "item_code,category,name,unit,cycle,price,effective_from,effective_to,approval_ref\nVCPU,计算,vCPU,核,year,360,2023-01-01,2024-08-01,a\nVCPU,计算,vCPU,核,year,330,2024-07-01,,b\nSSD,存储,SSD,GB,year,12,2023-01-01,,a\n", []string{"catalogue.csv:3: effective_from: item VCPU: range from 2024-07-01 overlaps the version from 2023-01-01 (line 2)"}},
		{"calendar kind", "calendar.csv", "date,kind,name\n2024-02-10,vacation,春节\n2024-02-31,holiday,x\n", []string{"calendar.csv:2: kind: kind \"vacation\" is not holiday or workday", "calendar.csv:3: date: \"2024-02-31\" is not a date"}},
		{"score range and period", "scores.csv", "provider_code,period,dimension,evaluator,score\nctc,2024Q5,quality,department,91\nctc,2024Q1,quality,public,101\nctc,2024Q1,speed,public,90\n", []string{"scores.csv:2: period: \"2024Q5\" is not a quarter", "scores.csv:3: score: 101 is above 100", "scores.csv:4: dimension: unknown dimension \"speed\""}},
		{"missing and unknown column", "providers.csv", "code,title\nctc,x\n", []string{"providers.csv:1: name: missing column", "providers.csv:1: title: unknown column"}},
		{"missing file", "scores.csv", "", []string{"scores.csv: missing file"}},
		{"duplicate code", "districts.csv", "code,name\n140200,市本级\n140200,又一个\n140221,阳高县\n", []string{"districts.csv:3: code: 140200 repeats line 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn := storetest.DSN(t, store.EngineSQLite)
			dir := writeReference(t, with(okReference, c.file, c.body))
			code, _, stderr := runCLI(t, dsn, "load", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			// all or nothing: not a single row was loaded
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if n := storetest.Count(t, db, "districts", "resources", "events"); n != 0 {
				t.Errorf("%d rows loaded from a data set with errors", n)
			}
		})
	}
}

func TestLoadEncodingsAndFormats(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(okReference["departments.csv"])
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(okReference["systems.csv"]))
	zw.Close()
	files := with(okReference, "departments.csv", gb)
	files = with(files, "districts.csv", "\xef\xbb\xbf"+"name,code\n市本级,140200\n阳高县,140221\n") // BOM, columns reordered
	files = with(files, "systems.csv", "")
	files["systems.csv.gz"] = gz.String()
	files = with(files, "providers.csv", "")
	files["providers.jsonl"] = `{"code":"ctc","name":"中国电信大同分公司"}` + "\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.Close()
		dir := writeReference(t, files)
		code, stdout, stderr := runCLI(t, db.DSN, "load", dir)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "2 departments") || !strings.Contains(stdout, "1 providers") {
			t.Errorf("stdout: %s", stdout)
		}
		db2, err := store.Open(context.Background(), db.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		ref, err := db2.ReadReference(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var name string
		for _, d := range ref.Departments {
			if d.Code == "D2" {
				name = d.Name
			}
		}
		if name != "阳高县卫健局" {
			t.Errorf("GB18030 name read back as %q", name)
		}
		code, stdout, _ = runCLI(t, db.DSN, "load", dir)
		if code != 0 || !strings.Contains(stdout, "nothing new") {
			t.Errorf("second load: exit %d, %s", code, stdout)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"load"}, 2},
		{[]string{"load", "a", "b"}, 2},
		{[]string{"settle"}, 2},
		{[]string{"settle", "--year", "x"}, 2},
		{[]string{"nosuch"}, 2},
		{[]string{"load", "--help"}, 0},
		{[]string{"--help"}, 0},
		{[]string{"load", filepath.Join(t.TempDir(), "missing")}, 1},
	} {
		if code, _, stderr := runCLI(t, dsn, c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.code, stderr)
		}
	}
}

func TestLoadRefusesAChangedEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.Close()
		if code, _, stderr := runCLI(t, db.DSN, "load", writeReference(t, okReference)); code != 0 {
			t.Fatal(stderr)
		}
		changed := with(okReference, "events.csv", strings.Replace(okReference["events.csv"], "VCPU,4,审-1", "VCPU,8,审-1", 1)+
			"R1,released,2024-09-01T10:00:00+08:00,,,退-1\n")
		code, _, stderr := runCLI(t, db.DSN, "load", writeReference(t, changed))
		if code != 1 || !strings.Contains(stderr, "events.csv:2: quantity: event approved of R1") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
}

func TestSettleRefusesAnEmptyYear(t *testing.T) {
	dsn := storetest.DSN(t, store.EngineSQLite)
	if code, _, stderr := runCLI(t, dsn, "load", writeReference(t, okReference)); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runCLI(t, dsn, "settle", "--year", "2024")
	if code != 1 || !strings.Contains(stderr, "no billable usage in 2024") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// A budgets.csv restates its years whole: reloaded without a budget, the
// load drops it and says so, and a second reload of the same set says
// nothing new.
func TestLoadSaysWhichBudgetsItDropped(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := storetest.DSN(t, e)
			two := "year,district_code,department_code,amount,approval_ref\n2024,140200,D1,1000.00,预-1\n2024,140221,,500.00,预-2\n"
			one := "year,district_code,department_code,amount,approval_ref\n2024,140200,D1,1000.00,预-1\n"
			if code, _, stderr := runCLI(t, dsn, "load", writeReference(t, with(okReference, "budgets.csv", two))); code != 0 {
				t.Fatalf("load: %d %s", code, stderr)
			}
			dir := writeReference(t, with(okReference, "budgets.csv", one))
			code, stdout, stderr := runCLI(t, dsn, "load", dir)
			if code != 0 || !strings.Contains(stdout, "new or changed rows: budgets dropped 1") {
				t.Fatalf("reload without a budget: %d\n%s%s", code, stdout, stderr)
			}
			if _, stdout, _ := runCLI(t, dsn, "load", dir); !strings.Contains(stdout, "nothing new") {
				t.Errorf("the same set again:\n%s", stdout)
			}
		})
	}
}
