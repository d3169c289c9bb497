package metering

import (
	"strings"
	"testing"
	"time"
)

func TestDateArithmetic(t *testing.T) {
	d := MustDate("2024-02-28")
	if got := d.AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("leap day: %s", got)
	}
	if d.DaysInYear() != 366 || MustDate("2023-06-01").DaysInYear() != 365 {
		t.Error("days in year")
	}
	if d.DaysInMonth() != 29 || MustDate("2023-02-01").DaysInMonth() != 28 || MustDate("2024-12-31").DaysInMonth() != 31 {
		t.Error("days in month")
	}
	if MustDate("2025-01-01").Sub(MustDate("2024-01-01")) != 366 {
		t.Error("sub")
	}
	for _, bad := range []string{"2024-2-1", "2024-02-30", "20240201", "", "2024-02-01T00:00:00Z"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func TestDateOfIsShanghai(t *testing.T) {
	for _, c := range []struct{ at, want string }{
		{"2024-06-30T17:30:00Z", "2024-07-01"},
		{"2024-06-30T15:59:59Z", "2024-06-30"},
		{"2024-06-30T16:00:00Z", "2024-07-01"},
		{"2024-07-01T00:10:00+08:00", "2024-07-01"},
		{"2024-06-30T12:00:00-05:00", "2024-07-01"},
	} {
		at, err := ParseInstant(c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := DateOf(at).String(); got != c.want {
			t.Errorf("DateOf(%s) = %s, want %s", c.at, got, c.want)
		}
	}
	if _, err := ParseInstant("2024-06-30 17:30:00"); err == nil {
		t.Error("a timestamp without offset was accepted")
	}
}

func TestDateScan(t *testing.T) {
	var d Date
	for _, src := range []any{"2024-03-01", []byte("2024-03-01"), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "2024-03-01T00:00:00Z"} {
		if err := d.Scan(src); err != nil || d.String() != "2024-03-01" {
			t.Errorf("Scan(%v) = %s, %v", src, d, err)
		}
	}
}

func TestTableRequire(t *testing.T) {
	tb, err := NewTable("x.csv", strings.NewReader("b,a,c\n1,2,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = tb.Require("a", "b", "d")
	if err == nil || !strings.Contains(err.Error(), "x.csv:1: d: missing column") || !strings.Contains(err.Error(), "x.csv:1: c: unknown column") {
		t.Errorf("Require: %v", err)
	}
	row, err := tb.Next()
	if err != nil || row.Get("a") != "2" || row.Line != 2 {
		t.Errorf("row %+v %v", row, err)
	}
}

func TestTableRowProblems(t *testing.T) {
	tb, err := NewTable("u.csv", strings.NewReader("day,resource_id,item_code,quantity\n2024-01-01,R1,VCPU,4\n2024-01-01,R1\n\"bad,R1,VCPU,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = tb.Next()
	if err == nil || !strings.Contains(err.Error(), "u.csv:3: 2 fields, header has 4") {
		t.Errorf("short row: %v", err)
	}
	_, err = tb.Next()
	if err == nil || !strings.HasPrefix(err.Error(), "u.csv:4") {
		t.Errorf("bad quote: %v", err)
	}
}

func TestJSONLines(t *testing.T) {
	tb, err := NewTable("u.jsonl", strings.NewReader(`{"day":"2024-01-01","resource_id":"R1","item_code":"VCPU","quantity":4}`+"\n"+`{"day":"2024-01-02","resource_id":"R1","item_code":"VCPU"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !tb.HasColumns(UsageColumns...) || tb.Format != FormatJSONLines {
		t.Fatalf("header %v", tb.Header())
	}
	r, err := tb.Next()
	if err != nil || r.Get("quantity") != "4" {
		t.Errorf("%v %v", r, err)
	}
	if _, err := tb.Next(); err == nil || !strings.Contains(err.Error(), "u.jsonl:2: quantity: missing field") {
		t.Errorf("missing field: %v", err)
	}
}

// The integer parser agrees with time.Parse on every day of 1900–2100 and
// refuses what it refuses.
func TestParseDateAgreesWithTime(t *testing.T) {
	for d := NewDate(1900, 1, 1); d < NewDate(2101, 1, 1); d++ {
		s := d.Time().Format("2006-01-02")
		got, err := ParseDate(s)
		if err != nil || got != d {
			t.Fatalf("ParseDate(%q) = %v, %v; want %v", s, got, err, d)
		}
	}
	for _, bad := range []string{"2023-02-29", "2024-02-30", "2024-13-01", "2024-00-10", "2024-04-31", "2024-1-01", "2024/01/01", "20240101xx", "2024-01-0a", "1900-02-29", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
		if _, err := time.Parse("2006-01-02", bad); err == nil && len(bad) == 10 {
			t.Errorf("time.Parse accepts %q: the test is wrong", bad)
		}
	}
	if d, err := ParseDate("2000-02-29"); err != nil || d != NewDate(2000, 2, 29) {
		t.Errorf("2000-02-29: %v %v", d, err)
	}
}
