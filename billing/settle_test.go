package billing

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// TestSettleByHand runs the year's settlement (Segments → Tally →
// Settlement) on small cases whose every line is computed by hand; the
// arithmetic is in each case. 2024 is a leap year: 366 days, the first
// half (January–June) 31+29+31+30+31+30 = 182 days, the second 184.
func TestSettleByHand(t *testing.T) {
	const (
		approved  = metering.EventApproved
		confirmed = metering.EventConfirmed
		changed   = metering.EventChanged
		released  = metering.EventReleased
	)
	type want struct {
		days   int
		qd     string
		gross  string
		runs   int
		amount []string // exact run amounts (12 places), in run order
	}
	for _, c := range []struct {
		name   string
		events func(t *testing.T) []metering.Event
		usage  []metered
		want   want
	}{
		{
			// 4 cores all year; vCPU costs 360 until 30 June and 330 from 1 July:
			// (4×360×182 + 4×330×184) ÷ 366 = (262080 + 242880) ÷ 366 = 504960 ÷ 366 = 1379.672… → 1379.67
			// runs 262080 ÷ 366 = 716.065573770492…, 242880 ÷ 366 = 663.606557377049…
			name: "mid-year price change in a leap year",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2023-10-30T10:00:00+08:00", "VCPU", "4"),
					event(t, "R", confirmed, "2023-11-01T10:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "VCPU", "4", "2023-12-20", "2025-01-10"}},
			want:  want{366, "1464", "1379.67", 2, []string{"716.065573770492", "663.606557377049"}},
		},
		{
			// object storage 0.10 元/GB/month, 1000 GB from 1 February to 10 March:
			// February 1000 × 0.10 × 29 ÷ 29 = 100; March 1000 × 0.10 × 10 ÷ 31 = 32.258…
			// 132.258… → 132.26
			name: "month-cycle item across a leap February",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2024-01-20T10:00:00+08:00", "OBJ", "1000"),
					event(t, "R", confirmed, "2024-02-01T10:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "OBJ", "1000", "2024-02-01", "2024-03-10"}},
			want:  want{39, "39000", "132.26", 2, []string{"100", "32.258064516129"}},
		},
		{
			// 16 GB of memory for the whole leap year: 16 × 120 × 366 ÷ 366 = 1920 exactly
			name: "whole leap year at a constant price",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2023-06-01T10:00:00+08:00", "MEM", "16"),
					event(t, "R", confirmed, "2023-06-05T10:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "MEM", "16", "2023-12-25", "2025-01-05"}},
			want:  want{366, "5856", "1920.00", 1, []string{"1920"}},
		},
		{
			// 2 cores approved, changed to 4 on 1 March; metered 2 in January and
			// February (31 + 29 = 60 days), 4 in March (31 days):
			// (2×360×60 + 4×360×31) ÷ 366 = (43200 + 44640) ÷ 366 = 87840 ÷ 366 = 240
			// runs 43200 ÷ 366 = 118.032786885246…, 44640 ÷ 366 = 121.967213114754…
			name: "approval change following the metering",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2023-12-28T10:00:00+08:00", "VCPU", "2"),
					event(t, "R", confirmed, "2024-01-01T00:00:00+08:00", "", ""),
					event(t, "R", metering.EventChangeApproved, "2024-02-27T10:00:00+08:00", "VCPU", "4"),
					event(t, "R", changed, "2024-03-01T10:00:00+08:00", "VCPU", "4"),
				}
			},
			usage: []metered{{"R", "VCPU", "2", "2024-01-01", "2024-02-29"}, {"R", "VCPU", "4", "2024-03-01", "2024-03-31"}},
			want:  want{91, "244", "240.00", 2, []string{"118.032786885246", "121.967213114754"}},
		},
		{
			// metered 8 GB all year, approved 4 until the change to 8 on 1 April:
			// January–March (91 days) bill 4, April–December (275 days) bill 8:
			// 120 × (4×91 + 8×275) ÷ 366 = 120 × 2564 ÷ 366 = 307680 ÷ 366 = 840.655… → 840.66
			name: "approval change in the middle of a metered run",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2023-12-01T10:00:00+08:00", "MEM", "4"),
					event(t, "R", confirmed, "2023-12-02T10:00:00+08:00", "", ""),
					event(t, "R", changed, "2024-04-01T09:00:00+08:00", "MEM", "8"),
				}
			},
			usage: []metered{{"R", "MEM", "8", "2024-01-01", "2024-12-31"}},
			want:  want{366, "2564", "840.66", 2, []string{"119.344262295082", "721.311475409836"}},
		},
		{
			// 2 cores metered 1–10 and 21–31 January, nothing 11–20 (a gap: not billed):
			// 2 × 360 × 21 ÷ 366 = 15120 ÷ 366 = 41.311… → 41.31
			name: "a gap in the usage",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2023-12-01T10:00:00+08:00", "VCPU", "2"),
					event(t, "R", confirmed, "2023-12-02T10:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "VCPU", "2", "2024-01-01", "2024-01-10"}, {"R", "VCPU", "2", "2024-01-21", "2024-01-31"}},
			want:  want{21, "42", "41.31", 1, []string{"41.311475409836"}},
		},
		{
			// confirmed at 2024-06-30T17:30:00Z, which is 2024-07-01 01:30 in
			// Shanghai: billing starts 1 July; released 10 July (not billed).
			// Metered 25 June – 12 July; billed 1–9 July: 8 × 120 × 9 ÷ 366 = 8640 ÷ 366 = 23.606… → 23.61
			name: "confirmed at 2024-06-30T17:30:00Z",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2024-06-28T10:00:00+08:00", "MEM", "8"),
					event(t, "R", confirmed, "2024-06-30T17:30:00Z", "", ""),
					event(t, "R", released, "2024-07-10T09:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "MEM", "8", "2024-06-25", "2024-07-12"}},
			want:  want{9, "72", "23.61", 1, []string{"23.606557377049"}},
		},
		{
			// metered 6 GB, approved 4: the excess is not billed:
			// 4 × 120 × 10 ÷ 366 = 4800 ÷ 366 = 13.114… → 13.11
			name: "metered above the approval",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2023-12-01T10:00:00+08:00", "MEM", "4"),
					event(t, "R", confirmed, "2024-01-02T10:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "MEM", "6", "2024-08-01", "2024-08-10"}},
			want:  want{10, "40", "13.11", 1, []string{"13.114754098361"}},
		},
		{
			// a day-cycle item: 2.50 元 a day, two scans a day on 10 days: 2 × 2.50 × 10 = 50
			name: "day-cycle item",
			events: func(t *testing.T) []metering.Event {
				return []metering.Event{
					event(t, "R", approved, "2024-04-28T10:00:00+08:00", "SCAN", "2"),
					event(t, "R", confirmed, "2024-05-01T10:00:00+08:00", "", ""),
					event(t, "R", released, "2024-05-11T10:00:00+08:00", "", ""),
				}
			},
			usage: []metered{{"R", "SCAN", "2", "2024-05-01", "2024-05-31"}},
			want:  want{10, "20", "50.00", 1, []string{"50"}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := settle(t, 2024, c.events(t), catalogue(), usageMonths(c.usage...))
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			l := lines[0]
			if l.BillableDays != c.want.days || !l.QuantityDays.Equal(dec(c.want.qd)) || l.Gross.StringFixed(2) != c.want.gross {
				t.Errorf("days %d quantity·days %s gross %s; want %d %s %s", l.BillableDays, l.QuantityDays, l.Gross.StringFixed(2), c.want.days, c.want.qd, c.want.gross)
			}
			if len(l.Runs) != c.want.runs {
				t.Fatalf("%d runs %+v, want %d", len(l.Runs), l.Runs, c.want.runs)
			}
			days := 0
			for i, r := range l.Runs {
				if !r.Amount.Equal(dec(c.want.amount[i])) {
					t.Errorf("run %d amount %s, want %s", i, r.Amount, c.want.amount[i])
				}
				days += r.Days
			}
			if days != l.BillableDays {
				t.Errorf("runs hold %d days, the line %d", days, l.BillableDays)
			}
		})
	}
}

func TestSettleNothingBillable(t *testing.T) {
	events := []metering.Event{
		// never confirmed
		event(t, "R1", metering.EventApproved, "2024-01-10T10:00:00+08:00", "VCPU", "2"),
		// confirmed without an approval
		event(t, "R2", metering.EventConfirmed, "2024-01-10T10:00:00+08:00", "", ""),
		// released before the year
		event(t, "R3", metering.EventApproved, "2023-01-10T10:00:00+08:00", "MEM", "2"),
		event(t, "R3", metering.EventConfirmed, "2023-01-11T10:00:00+08:00", "", ""),
		event(t, "R3", metering.EventReleased, "2023-12-01T10:00:00+08:00", "", ""),
		// approved at 0
		event(t, "R4", metering.EventApproved, "2023-01-10T10:00:00+08:00", "MEM", "0"),
		event(t, "R4", metering.EventConfirmed, "2023-01-11T10:00:00+08:00", "", ""),
		// an item without a price
		event(t, "R5", metering.EventApproved, "2023-01-10T10:00:00+08:00", "GPU", "1"),
		event(t, "R5", metering.EventConfirmed, "2023-01-11T10:00:00+08:00", "", ""),
	}
	usage := usageMonths(
		metered{"R1", "VCPU", "2", "2024-01-01", "2024-12-31"},
		metered{"R2", "VCPU", "2", "2024-01-01", "2024-12-31"},
		metered{"R3", "MEM", "2", "2024-01-01", "2024-12-31"},
		metered{"R4", "MEM", "2", "2024-01-01", "2024-12-31"},
		metered{"R5", "GPU", "1", "2024-01-01", "2024-12-31"},
	)
	if lines := settle(t, 2024, events, catalogue(), usage); len(lines) != 0 {
		t.Errorf("%d lines, want none: %+v", len(lines), lines)
	}
}

// Property: cutting a year into runs never changes a line's gross. The
// same 3 cores all year are cut at random days by re-approvals of the same
// quantity, metered under random spellings of 3 ("3", "3.0", "3.00") and,
// on random runs, above the approval (5): the line stays
// (3×360×182 + 3×330×184) ÷ 366 = 378720 ÷ 366 = 1034.754… → 1034.75,
// 366 billable days and 1098 quantity·days.
func TestCuttingTheYearNeverChangesTheGross(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 1))
	y0, y1 := metering.YearStart(2024), metering.YearEnd(2024)
	for trial := range 100 {
		events := []metering.Event{
			event(t, "R", metering.EventApproved, "2023-10-30T10:00:00+08:00", "VCPU", "3"),
			event(t, "R", metering.EventConfirmed, "2023-11-01T10:00:00+08:00", "", ""),
		}
		var runs []metered
		for d := y0; d < y1; {
			next := min(y1, d.AddDays(1+rng.IntN(60)))
			if rng.IntN(2) == 0 {
				events = append(events, metering.Event{ResourceID: "R", Kind: metering.EventChanged, Day: d, At: d.Start().Add(9 * 3600e9), ItemCode: "VCPU", Quantity: dec("3")})
			}
			q := []string{"3", "3.0", "3.00", "5"}[rng.IntN(4)]
			runs = append(runs, metered{"R", "VCPU", q, d.String(), next.AddDays(-1).String()})
			d = next
		}
		l := lineOf(t, settle(t, 2024, events, catalogue(), usageMonths(runs...)), "R", "VCPU")
		if l.Gross.StringFixed(2) != "1034.75" || l.BillableDays != 366 || !l.QuantityDays.Equal(dec("1098")) {
			t.Fatalf("trial %d (%d runs, %d events): gross %s days %d quantity·days %s; want 1034.75 366 1098",
				trial, len(runs), len(events), l.Gross, l.BillableDays, l.QuantityDays)
		}
	}
}

// Property: a resource with a constant quantity and price for a whole year
// costs exactly quantity × catalogue price, in a 365- and a 366-day year,
// for any quantity: q × 120 for memory (year cycle), 12 × q × 0.10 for
// object storage (month cycle), days × q × 2.50 for a daily service.
func TestWholeYearCostsQuantityTimesPrice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, year := range []int{2023, 2024} {
		for trial := range 20 {
			q := decimal.New(int64(1+rng.IntN(100000)), -int32(rng.IntN(4))) // 0.0001 … 100000
			events := []metering.Event{
				event(t, "R", metering.EventApproved, "2022-06-01T10:00:00+08:00", "MEM", q.String()),
				event(t, "R", metering.EventApproved, "2022-06-01T10:00:00+08:00", "OBJ", q.String()),
				event(t, "R", metering.EventApproved, "2022-06-01T10:00:00+08:00", "SCAN", q.String()),
				event(t, "R", metering.EventConfirmed, "2022-06-02T10:00:00+08:00", "", ""),
			}
			from, to := metering.YearStart(year).String(), metering.YearEnd(year).AddDays(-1).String()
			lines := settle(t, year, events, catalogue(), usageMonths(
				metered{"R", "MEM", q.String(), from, to}, metered{"R", "OBJ", q.String(), from, to}, metered{"R", "SCAN", q.String(), from, to}))
			days := decimal.NewFromInt(int64(metering.DaysInYear(year)))
			for item, want := range map[string]decimal.Decimal{
				"MEM":  q.Mul(dec("120")),
				"OBJ":  q.Mul(dec("0.10")).Mul(decimal.NewFromInt(12)),
				"SCAN": q.Mul(dec("2.50")).Mul(days),
			} {
				l := lineOf(t, lines, "R", item)
				var exact Sum
				for _, r := range l.Runs {
					exact.AddRun(r.Quantity, r.Price, r.Days, r.CycleDays)
				}
				if exact.Rat().Cmp(want.Rat()) != 0 || !l.Gross.Equal(RoundMoney(want)) {
					t.Errorf("%d trial %d %s × %s: exact %s gross %s, want exactly %s", year, trial, item, q, exact.Rat().FloatString(6), l.Gross, want)
				}
			}
		}
	}
}

func TestSettlementAddRejects(t *testing.T) {
	cat := NewCatalogue(catalogue())
	place := map[string]Placement{"R": {ProviderCode: "P1"}}
	for _, c := range []struct {
		name string
		g    DayGroup
		err  string
	}{
		{"a resource outside the inventory", DayGroup{ResourceID: "X", ItemCode: "MEM", EffectiveFrom: day("2023-01-01"), Metered: dec("1"), Approved: dec("1"), Days: 1}, "not in the inventory"},
		{"no price version from that day", DayGroup{ResourceID: "R", ItemCode: "MEM", EffectiveFrom: day("2023-02-01"), Metered: dec("1"), Approved: dec("1"), Days: 1}, "no price version"},
		{"a month-cycle group without a month", DayGroup{ResourceID: "R", ItemCode: "OBJ", EffectiveFrom: day("2023-01-01"), Metered: dec("1"), Approved: dec("1"), Days: 1}, "without a month"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := NewSettlement(2024, cat, place)
			if err := s.Add(c.g); err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Add = %v, want an error containing %q", err, c.err)
			}
		})
	}
	t.Run("nothing billable is ignored", func(t *testing.T) {
		s := NewSettlement(2024, cat, place)
		for _, g := range []DayGroup{
			{ResourceID: "X", ItemCode: "MEM", Metered: dec("0"), Approved: dec("4"), Days: 3},
			{ResourceID: "X", ItemCode: "MEM", Metered: dec("4"), Approved: dec("4"), Days: 0},
		} {
			if err := s.Add(g); err != nil {
				t.Error(err)
			}
		}
		if n := len(s.Lines()); n != 0 {
			t.Errorf("%d lines", n)
		}
	})
}

func TestBillable(t *testing.T) {
	for _, c := range []struct{ metered, approved, want string }{
		{"3", "4", "3"},   // below the approval: what was metered
		{"6", "4", "4"},   // above: the approved quantity, the excess 2 is not payable
		{"4.0", "4", "4"}, // equal: the approved quantity
		{"0", "4", "0"},   //
		{"2.5", "0", "0"}, // approved at zero: nothing
		{"0.001", "1", "0.001"},
	} {
		got := Billable(dec(c.metered), dec(c.approved))
		if !got.Equal(dec(c.want)) {
			t.Errorf("Billable(%s, %s) = %s, want %s", c.metered, c.approved, got, c.want)
		}
	}
	if got := Billable(dec("4.0"), dec("4")); got.String() != "4" || got.Exponent() != 0 {
		t.Errorf("a tie is the approved quantity itself, got %s (exponent %d)", got, got.Exponent())
	}
}

func TestRoundMoneyHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"9.585", "9.59"},   // half: away from zero (half-even would give 9.58)
		{"-9.585", "-9.59"}, // and below zero too
		{"0.005", "0.01"},
		{"1.004999", "1.00"},
		{"2", "2.00"},
		{"1310.6865", "1310.69"},
		{"-0.004", "0.00"},
	} {
		got := RoundMoney(dec(c.in))
		if got.StringFixed(2) != c.want || got.Exponent() != -2 {
			t.Errorf("RoundMoney(%s) = %s (exponent %d), want %s", c.in, got, got.Exponent(), c.want)
		}
	}
	// Round is the same rule at any precision.
	if got := Round(big.NewRat(2, 3), 12); got.String() != "0.666666666667" {
		t.Errorf("Round(2/3, 12) = %s", got)
	}
}

func TestAssemble(t *testing.T) {
	lines := []Line{
		{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R1", ItemCode: "MEM", Gross: dec("10.65")},
		{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R2", ItemCode: "VCPU", Gross: dec("100.00")},
		{ProviderCode: "P2", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S2", ResourceID: "R3", ItemCode: "MEM", Gross: dec("10.65")},
		{ProviderCode: "P1", DistrictCode: "140221", DepartmentCode: "D2", SystemID: "S3", ResourceID: "R4", ItemCode: "MEM", Gross: dec("0.01")},
	}
	SortLines(lines)
	evals := []ProviderEvaluation{{ProviderCode: "P1", Coefficient: dec("0.90")}, {ProviderCode: "P2", Coefficient: dec("0.95")}}
	st, err := Assemble(2024, lines, evals, "policy text")
	if err != nil {
		t.Fatal(err)
	}
	// D1 with P1: gross 10.65 + 100.00 = 110.65, net 110.65 × 0.90 = 99.585 → 99.59
	// D1 with P2: gross 10.65, net 10.65 × 0.95 = 10.1175 → 10.12
	// D2 with P1: gross 0.01, net 0.009 → 0.01
	// district 140200: 121.30 / 109.71; 140221: 0.01 / 0.01; city 121.31 / 109.72
	want := []string{"140200 D1 P1 110.65 0.90 99.59", "140200 D1 P2 10.65 0.95 10.12", "140221 D2 P1 0.01 0.90 0.01"}
	if len(st.Departments) != len(want) {
		t.Fatalf("%d department rows, want %d", len(st.Departments), len(want))
	}
	for i, d := range st.Departments {
		got := strings.Join([]string{d.DistrictCode, d.DepartmentCode, d.ProviderCode, d.Gross.StringFixed(2), d.Coefficient.StringFixed(2), d.Net.StringFixed(2)}, " ")
		if got != want[i] {
			t.Errorf("department row %d: %s, want %s", i, got, want[i])
		}
	}
	if len(st.Districts) != 2 || st.Districts[0].Gross.StringFixed(2) != "121.30" || st.Districts[0].Net.StringFixed(2) != "109.71" ||
		st.Districts[1].Gross.StringFixed(2) != "0.01" || st.Districts[1].Net.StringFixed(2) != "0.01" {
		t.Errorf("districts %+v", st.Districts)
	}
	if st.Gross.StringFixed(2) != "121.31" || st.Net.StringFixed(2) != "109.72" {
		t.Errorf("city %s / %s, want 121.31 / 109.72", st.Gross, st.Net)
	}
	// Every total is the exact sum of the rows under it.
	var g, n decimal.Decimal
	for _, d := range st.Districts {
		g, n = g.Add(d.Gross), n.Add(d.Net)
	}
	if !g.Equal(st.Gross) || !n.Equal(st.Net) {
		t.Errorf("city %s/%s is not the sum of the districts %s/%s", st.Gross, st.Net, g, n)
	}
	sum, err := Fingerprint(st)
	if err != nil || sum != st.SHA256 || st.Status != StatementStatusDraft || st.Policy != "policy text" {
		t.Errorf("fingerprint %s (%v), statement %s %q", st.SHA256, err, st.Status, st.Policy)
	}
	if _, err := Assemble(2024, lines, evals[:1], ""); err == nil || !strings.Contains(err.Error(), "provider P2") {
		t.Errorf("a provider without an evaluation: %v", err)
	}
}

func TestSortLinesByPlace(t *testing.T) {
	ls := []Line{
		{ProviderCode: "P1", DistrictCode: "140221", DepartmentCode: "D2", ResourceID: "R1"},
		{ProviderCode: "P2", DistrictCode: "140200", DepartmentCode: "D1", ResourceID: "R2"},
		{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", ResourceID: "R3", ItemCode: "VCPU"},
		{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", ResourceID: "R3", ItemCode: "MEM"},
	}
	SortLinesByPlace(ls)
	var got []string
	for _, l := range ls {
		got = append(got, l.ResourceID+l.ItemCode)
	}
	if strings.Join(got, " ") != "R3MEM R3VCPU R2 R1" {
		t.Errorf("order %v", got)
	}
}

func TestTallyWithoutSegments(t *testing.T) {
	if err := NewTally().Groups(func(DayGroup) error { return nil }); !errors.Is(err, ErrNoSegments) {
		t.Errorf("Groups before SetSegments = %v, want ErrNoSegments", err)
	}
}
