package billing

import (
	"testing"

	"cloudbill/metering"
)

// Helpers shared by the billing tests: events from RFC 3339 instants (the
// day is the instant's date in Asia/Shanghai, as ParseEvent makes it),
// usage months from runs of metered days, and the whole settlement of a
// year the way settleYear wires it (Segments → Tally → Settlement).

func day(s string) metering.Date { return metering.MustDate(s) }

func event(t *testing.T, res string, kind metering.EventKind, at, item, q string) metering.Event {
	t.Helper()
	when, err := metering.ParseInstant(at)
	if err != nil {
		t.Fatal(err)
	}
	e := metering.Event{ResourceID: res, Kind: kind, At: when, Day: metering.DateOf(when), ItemCode: item}
	if q != "" {
		e.Quantity = dec(q)
	}
	return e
}

// metered is a run of days [From, To] (inclusive) metered at Quantity.
type metered struct {
	res, item, q string
	from, to     string
}

// usageMonths turns runs of metered days into the usage months the store
// keeps (one per resource, item, month and quantity text).
func usageMonths(runs ...metered) []UsageMonth {
	type key struct {
		res, item, q string
		month        metering.Date
	}
	var order []key
	bits := map[key]uint32{}
	for _, r := range runs {
		for d := day(r.from); d <= day(r.to); d++ {
			k := key{r.res, r.item, r.q, metering.NewDate(d.Year(), d.Month(), 1)}
			if _, ok := bits[k]; !ok {
				order = append(order, k)
			}
			bits[k] |= 1 << (d.Day() - 1)
		}
	}
	out := make([]UsageMonth, len(order))
	for i, k := range order {
		out[i] = UsageMonth{ResourceID: k.res, ItemCode: k.item, Month: k.month, Quantity: k.q, Days: bits[k]}
	}
	return out
}

// settle computes year's lines from events, the catalogue and usage
// months, every resource placed with provider P1 in department D1.
func settle(t *testing.T, year int, events []metering.Event, versions []PriceVersion, months []UsageMonth) []Line {
	t.Helper()
	placement := map[string]Placement{}
	for _, e := range events {
		placement[e.ResourceID] = Placement{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1"}
	}
	tally := NewTally()
	if err := tally.SetSegments(Segments(year, events, versions)); err != nil {
		t.Fatal(err)
	}
	for _, m := range months {
		if err := tally.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	s := NewSettlement(year, NewCatalogue(versions), placement)
	if err := tally.Groups(s.Add); err != nil {
		t.Fatal(err)
	}
	return s.Lines()
}

// lineOf returns the line of (res, item), failing when there is none.
func lineOf(t *testing.T, lines []Line, res, item string) Line {
	t.Helper()
	for _, l := range lines {
		if l.ResourceID == res && l.ItemCode == item {
			return l
		}
	}
	t.Fatalf("no line for %s %s in %d lines", res, item, len(lines))
	return Line{}
}

// catalogue is the test catalogue: vCPU 360 元/核/年 until 2024-07-01 and
// 330 from then on, memory 120 元/GB/年, object storage 0.10 元/GB/月 and
// a daily service at 2.50 元/日.
func catalogue() []PriceVersion {
	until := metering.NullDate{Date: day("2024-07-01"), Valid: true}
	return []PriceVersion{
		{ItemCode: "VCPU", Name: "vCPU", Cycle: CycleYear, Price: dec("360"), EffectiveFrom: day("2023-01-01"), EffectiveTo: until, ApprovalRef: "同财〔2023〕1号"},
		{ItemCode: "VCPU", Name: "vCPU", Cycle: CycleYear, Price: dec("330"), EffectiveFrom: day("2024-07-01"), ApprovalRef: "同财〔2024〕9号"},
		{ItemCode: "MEM", Name: "内存", Cycle: CycleYear, Price: dec("120"), EffectiveFrom: day("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
		{ItemCode: "OBJ", Name: "对象存储", Cycle: CycleMonth, Price: dec("0.10"), EffectiveFrom: day("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
		{ItemCode: "SCAN", Name: "漏洞扫描", Cycle: CycleDay, Price: dec("2.50"), EffectiveFrom: day("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
	}
}
