package metering

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckCodeAndSafeCell(t *testing.T) {
	for _, tc := range []struct {
		in, cell string
		code     bool // accepted as a code
	}{
		{"vm-001", "vm-001", true},
		{"140213", "140213", true},
		{"", "", true},
		{"=1+1", "'=1+1", false},
		{"+86", "'+86", false},
		{"-1", "'-1", false},
		{"@SUM(A1)", "'@SUM(A1)", false},
		{"\tx", "'\tx", true}, // a code is trimmed before the check: no tab left
		{"\rx", "'\rx", true},
		{"a=b", "a=b", true},
		{"大同=", "大同=", true},
	} {
		err := CheckCode(tc.in)
		if (err == nil) != tc.code {
			t.Errorf("CheckCode(%q) = %v", tc.in, err)
		}
		if err != nil && (!errors.Is(err, ErrFormula) || err.Error() != "code starts with '"+tc.in[:1]+"': would run as a spreadsheet formula") {
			t.Errorf("CheckCode(%q) = %q", tc.in, err)
		}
		if got := SafeCell(tc.in); got != tc.cell {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.cell)
		}
	}
}

// Every code and id column of every parser in metering refuses formulas;
// free text does not.
func TestParsersRefuseFormulaCodes(t *testing.T) {
	type parser func(*Row) []Problem
	wrap := func(f func(*Row) (District, []Problem)) parser {
		return func(r *Row) []Problem { _, ps := f(r); return ps }
	}
	for _, tc := range []struct {
		name   string
		header string
		row    []string
		parse  parser
		codes  []string // the code columns
	}{
		{"district", "code,name", []string{"140213", "平城区"}, wrap(ParseDistrict), []string{"code"}},
		{"department", "code,name,district_code", []string{"D01", "局", "140200"},
			func(r *Row) []Problem { _, ps := ParseDepartment(r); return ps }, []string{"code", "district_code"}},
		{"provider", "code,name", []string{"P1", "某云"},
			func(r *Row) []Problem { _, ps := ParseProvider(r); return ps }, []string{"code"}},
		{"system", "id,department_code,name,protection_level", []string{"S1", "D01", "门户", "3"},
			func(r *Row) []Problem { _, ps := ParseSystem(r); return ps }, []string{"id", "department_code"}},
		{"resource", "id,system_id,provider_code,kind,name", []string{"vm-1", "S1", "P1", "vm", "应用"},
			func(r *Row) []Problem { _, ps := ParseResource(r); return ps }, []string{"id", "system_id", "provider_code"}},
		{"event", "resource_id,event,at,item_code,quantity,ref", []string{"vm-1", "approved", "2024-01-02T09:00:00+08:00", "VCPU", "4", "批复"},
			func(r *Row) []Problem { _, ps := ParseEvent(r); return ps }, []string{"resource_id", "item_code"}},
		{"usage", "day,resource_id,item_code,quantity", []string{"2024-01-02", "vm-1", "VCPU", "4"},
			func(r *Row) []Problem { _, ps := ParseUsage(r); return ps }, []string{"resource_id", "item_code"}},
		{"activity", "day,resource_id,cpu_avg_pct,cpu_max_pct,mem_avg_pct,disk_used_pct,net_in_bytes,net_out_bytes", []string{"2024-01-02", "vm-1", "1", "2", "3", "4", "5", "6"},
			func(r *Row) []Problem { _, ps := ParseActivity(r); return ps }, []string{"resource_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols := strings.Split(tc.header, ",")
			if ps := tc.parse(covRow(t, "x.csv", tc.header, strings.Join(tc.row, ","))); len(ps) != 0 {
				t.Fatalf("the valid row has problems: %v", Problems(ps))
			}
			for i, c := range cols {
				row := append([]string(nil), tc.row...)
				row[i] = "=" + row[i]
				ps := tc.parse(covRow(t, "x.csv", tc.header, strings.Join(row, ",")))
				isCode := strings.Contains(","+strings.Join(tc.codes, ",")+",", ","+c+",")
				formula := len(ps) == 1 && ps[0].Column == c && ps[0].Reason == "code starts with '=': would run as a spreadsheet formula"
				switch {
				case isCode && !formula:
					t.Errorf("%s =%s: problems %v, want the formula refused", c, tc.row[i], Problems(ps))
				case !isCode && formula:
					t.Errorf("%s is not a code but refuses a formula", c)
				}
			}
		})
	}
}

// A formula code is one problem, not also an unknown resource or item, and
// its row is not retried.
func TestCheckUsageFormulaCode(t *testing.T) {
	k := &Known{Resources: map[string]KnownResource{"vm-1": {Index: 1}}, Items: map[string]int32{"VCPU": 1}}
	_, ps, retry := k.CheckUsage(covRow(t, "u.csv", "day,resource_id,item_code,quantity", "2024-01-01,=vm-1,@VCPU,4"))
	if got := covProblems(t, ps); got != "resource_id: code starts with '=': would run as a spreadsheet formula\nitem_code: code starts with '@': would run as a spreadsheet formula" || retry != "" {
		t.Errorf("problems\n%s\nretry %q", got, retry)
	}
	_, ps, retry = k.CheckActivity(covRow(t, "a.csv", strings.Join(ActivityColumns, ","), "2024-01-01,+vm-1,1,2,3,4,5,6"))
	if got := covProblems(t, ps); got != "resource_id: code starts with '+': would run as a spreadsheet formula" || retry != "" {
		t.Errorf("problems\n%s\nretry %q", got, retry)
	}
}
