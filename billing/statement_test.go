package billing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"cloudbill/metering"
)

func TestCanonicalCSV(t *testing.T) {
	lines := []Line{
		{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R1", ItemCode: "MEM", BillableDays: 9, QuantityDays: dec("72.0"), Gross: dec("23.6")},
	}
	var b bytes.Buffer
	if err := WriteSettlementCSV(&b, lines); err != nil {
		t.Fatal(err)
	}
	want := "provider_code,district_code,department_code,system_id,resource_id,item_code,billable_days,quantity_days,gross\n" +
		"P1,140200,D1,S1,R1,MEM,9,72,23.60\n" // plain numbers: quantity without trailing zeros, money with two decimals
	if b.String() != want {
		t.Errorf("settlement CSV:\n%s\nwant\n%s", b.String(), want)
	}
	h := sha256.Sum256([]byte(want))
	if sum, err := Fingerprint(&Statement{Lines: lines}); err != nil || sum != hex.EncodeToString(h[:]) {
		t.Errorf("fingerprint %s %v, want the SHA-256 of the CSV", sum, err)
	}
	b.Reset()
	if err := WriteDepartmentsCSV(&b, []DepartmentRow{{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", Gross: dec("110.65"), Coefficient: dec("0.9"), Net: dec("99.59")}}); err != nil {
		t.Fatal(err)
	}
	if want := "provider_code,district_code,department_code,gross,coefficient,net\nP1,140200,D1,110.65,0.90,99.59\n"; b.String() != want {
		t.Errorf("departments CSV:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestDiff(t *testing.T) {
	line := func(res string, days int, gross string) Line {
		return Line{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: res, ItemCode: "MEM", BillableDays: days, QuantityDays: dec(fmt.Sprint(days)), Gross: dec(gross)}
	}
	old := &Statement{Lines: []Line{line("R1", 10, "1.00"), line("R2", 10, "2.00"), line("R3", 10, "3.00")}}
	new := &Statement{Lines: []Line{line("R1", 10, "1.00"), line("R2", 12, "2.40"), line("R4", 5, "0.50")}}
	var got []string
	for _, c := range Diff(old, new) {
		got = append(got, fmt.Sprintf("%s %s%s %s", c.Kind, c.Old.ResourceID, c.New.ResourceID, c.Delta().StringFixed(2)))
	}
	want := "changed R2R2 0.40|removed R3 -3.00|added R4 0.50"
	if strings.Join(got, "|") != want {
		t.Errorf("diff %q, want %q", strings.Join(got, "|"), want)
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Errorf("a statement differs from itself: %+v", d)
	}
}

func TestParsePriceVersion(t *testing.T) {
	csv := "item_code,category,name,unit,cycle,price,effective_from,effective_to,approval_ref\n" +
		"VCPU,计算,vCPU,核·年,year,360,2024-01-01,2024-07-01,同财〔2023〕1号\n" +
		"OBJ,存储,对象存储,GB·月,month,0.10,2024-01-01,,同财〔2023〕1号\n" +
		"BAD,计算,x,核,week,360,2024-01-01,,r\n" +
		"FREE,计算,x,核,year,0,2024-01-01,,r\n" +
		"BACK,计算,x,核,year,1,2024-07-01,2024-07-01,r\n"
	tab, err := metering.NewTable("catalogue.csv", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var located []LocatedPrice
	for {
		r, err := tab.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		v, ps := ParsePriceVersion(r)
		var reasons []string
		for _, p := range ps {
			reasons = append(reasons, p.Column)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s %v", v.ItemCode, v.Cycle, v.Price, v.EffectiveFrom, v.EffectiveTo, reasons))
		if len(ps) == 0 {
			located = append(located, LocatedPrice{PriceVersion: v, File: "catalogue.csv", Line: r.Line})
		}
	}
	want := []string{
		"VCPU year 360 2024-01-01 2024-07-01 []",
		"OBJ month 0.1 2024-01-01  []",
		"BAD week 360 2024-01-01  [cycle]",
		"FREE year 0 2024-01-01  [price]",
		"BACK year 1 2024-07-01 2024-07-01 [effective_to]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parsed:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ps := CheckOverlaps(located); len(ps) != 0 {
		t.Errorf("no overlaps expected: %v", ps)
	}
	// an open-ended version followed by another overlaps it
	located = append(located, LocatedPrice{PriceVersion: PriceVersion{ItemCode: "OBJ", EffectiveFrom: day("2024-06-01")}, File: "catalogue.csv", Line: 9})
	if ps := CheckOverlaps(located); len(ps) != 1 || ps[0].Line != 9 || ps[0].Column != "effective_from" {
		t.Errorf("overlap: %v", ps)
	}
}

func TestCycleAndCatalogue(t *testing.T) {
	for _, c := range []struct {
		cycle Cycle
		day   string
		days  int
		valid bool
	}{
		{CycleYear, "2024-03-01", 366, true}, {CycleYear, "2023-03-01", 365, true},
		{CycleMonth, "2024-02-10", 29, true}, {CycleMonth, "2023-02-10", 28, true}, {CycleMonth, "2024-07-31", 31, true},
		{CycleDay, "2024-02-10", 1, true}, {"week", "2024-02-10", 1, false},
	} {
		if got := c.cycle.Days(day(c.day)); got != c.days || c.cycle.Valid() != c.valid {
			t.Errorf("%s on %s: %d days valid %v, want %d %v", c.cycle, c.day, got, c.cycle.Valid(), c.days, c.valid)
		}
	}
	cat := NewCatalogue(catalogue())
	if got := strings.Join(cat.Items(), " "); got != "MEM OBJ SCAN VCPU" {
		t.Errorf("items %s", got)
	}
	if vs := cat.Versions("VCPU"); len(vs) != 2 || vs[0].EffectiveFrom != day("2023-01-01") {
		t.Errorf("versions %+v", vs)
	}
}

// Lifecycles: the first confirmed and released events make the window;
// approvals of an item hold until the next one, ties ordered by instant
// and then kind; an approval followed on its own day holds no day.
func TestLifecycles(t *testing.T) {
	events := []metering.Event{
		event(t, "R2", metering.EventConfirmed, "2024-03-01T10:00:00+08:00", "", ""),
		event(t, "R1", metering.EventReleased, "2024-09-01T10:00:00+08:00", "", ""),
		event(t, "R1", metering.EventConfirmed, "2024-02-01T10:00:00+08:00", "", ""),
		event(t, "R1", metering.EventConfirmed, "2024-01-15T10:00:00+08:00", "", ""), // the first one counts
		event(t, "R1", metering.EventReleased, "2024-10-01T10:00:00+08:00", "", ""),
		event(t, "R1", metering.EventChanged, "2024-05-01T15:00:00+08:00", "MEM", "8"),
		event(t, "R1", metering.EventApproved, "2024-01-10T10:00:00+08:00", "MEM", "4"),
		event(t, "R1", metering.EventChanged, "2024-05-01T09:00:00+08:00", "MEM", "6"), // same day, earlier: holds no day
		event(t, "R1", metering.EventApproved, "2024-01-10T10:00:00+08:00", "VCPU", "2"),
		event(t, "R1", metering.EventChangeApproved, "2024-04-01T10:00:00+08:00", "VCPU", "4"), // not an approval of the quantity
		event(t, "R3", metering.EventApproved, "2024-01-10T10:00:00+08:00", "", "1"),           // no item: ignored
	}
	var got []string
	for _, l := range Lifecycles(events) {
		from, to, ok := l.Window()
		s := fmt.Sprintf("%s window %v", l.ResourceID, ok)
		if ok {
			s += fmt.Sprintf(" %s..%s", from, to)
			if to == OpenEnd {
				s = strings.TrimSuffix(s, to.String()) + "open"
			}
		}
		for _, a := range l.Approvals {
			end := a.To.String()
			if a.To == OpenEnd {
				end = "open"
			}
			s += fmt.Sprintf(" | %s %s %s..%s", a.ItemCode, a.Quantity, a.From, end)
		}
		got = append(got, s)
	}
	want := []string{
		"R1 window true 2024-01-15..2024-09-01 | MEM 4 2024-01-10..2024-05-01 | MEM 8 2024-05-01..open | VCPU 2 2024-01-10..open",
		"R2 window true 2024-03-01..open",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lifecycles:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
