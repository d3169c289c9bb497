package billing

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// accrueLines computes year's accrual lines the way the period reports wire
// it (Segments → monthly Tally → Accruals), placed as settle places them.
func accrueLines(t *testing.T, year int, events []metering.Event, versions []PriceVersion, months []UsageMonth) []AccrualLine {
	t.Helper()
	placement := map[string]Placement{}
	for _, e := range events {
		placement[e.ResourceID] = Placement{ProviderCode: "P1", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1"}
	}
	tally := NewMonthlyTally()
	if err := tally.SetSegments(Segments(year, events, versions)); err != nil {
		t.Fatal(err)
	}
	for _, m := range months {
		if err := tally.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	a := NewAccruals(year, NewCatalogue(versions), placement)
	if err := tally.Groups(a.Add); err != nil {
		t.Fatal(err)
	}
	return a.Lines()
}

func accrualOf(t *testing.T, lines []AccrualLine, res, item string) AccrualLine {
	t.Helper()
	for _, l := range lines {
		if l.ResourceID == res && l.ItemCode == item {
			return l
		}
	}
	t.Fatalf("no accrual line for %s %s", res, item)
	return AccrualLine{}
}

// The example of docs/rules.md §10: 4 vCPU confirmed at 2024-06-19T18:30Z
// (02:30 on 20 June in Shanghai), metered at 4 from 1 June (the days
// before the confirmation are the testing period) to the year's end,
// across the price change of 1 July (360 → 330 元/核/年, 2024 has 366
// days). Exact amounts and the cumulative amounts rounded:
//
//	June  11 × 4 × 360 ÷ 366 = 15,840 ÷ 366 =  43.278… cum  43.278… →  43.28
//	July  31 × 4 × 330 ÷ 366 = 40,920 ÷ 366 = 111.803… cum 155.081… → 155.08
//	Aug   31 days                          111.803… cum 266.885… → 266.89
//	Sept  30 × 4 × 330 ÷ 366 = 39,600 ÷ 366 = 108.196… cum 375.081… → 375.08
//	Oct   31 days                                   cum 486.885… → 486.89
//	Nov   30 days                                   cum 595.081… → 595.08
//	Dec   31 days                                   cum 706.885… → 706.89
//
// accruals: the differences, 43.28, 111.80, 111.81, 108.19, 111.81,
// 108.19, 111.81; they add up to the line's gross 258,720 ÷ 366 =
// 706.885… → 706.89 (rounding each month on its own would give 706.88).
func TestAccrueByHand(t *testing.T) {
	events := []metering.Event{
		event(t, "vm-1", metering.EventApproved, "2024-05-28T10:00:00+08:00", "VCPU", "4"),
		event(t, "vm-1", metering.EventConfirmed, "2024-06-19T18:30:00Z", "", ""),
	}
	months := usageMonths(metered{"vm-1", "VCPU", "4", "2024-06-01", "2024-12-31"})
	l := accrualOf(t, accrueLines(t, 2024, events, catalogue(), months), "vm-1", "VCPU")
	want := []string{"0", "0", "0", "0", "0", "43.28", "111.80", "111.81", "108.19", "111.81", "108.19", "111.81"}
	wantDays := []int{0, 0, 0, 0, 0, 11, 31, 31, 30, 31, 30, 31}
	for i, w := range want {
		m := l.Months[i]
		if !m.Gross.Equal(dec(w)) || m.BillableDays != wantDays[i] || !m.QuantityDays.Equal(decimal.NewFromInt(int64(4*wantDays[i]))) {
			t.Errorf("month %d: gross %s, %d days, %s quantity-days; want %s, %d, %d", i+1, m.Gross, m.BillableDays, m.QuantityDays, w, wantDays[i], 4*wantDays[i])
		}
	}
	gross := lineOf(t, settle(t, 2024, events, catalogue(), months), "vm-1", "VCPU").Gross
	if y := l.Period(1, 12); !y.Gross.Equal(gross) || !gross.Equal(dec("706.89")) || y.BillableDays != 195 {
		t.Errorf("year: Σ accruals %s over %d days, statement gross %s; want 706.89 over 195", y.Gross, y.BillableDays, gross)
	}
	for _, c := range []struct {
		from, to int
		want     string
	}{{4, 6, "43.28"}, {7, 9, "331.80"}, {10, 12, "331.81"}, {1, 9, "375.08"}} {
		if got := l.Period(c.from, c.to).Gross; !got.Equal(dec(c.want)) {
			t.Errorf("months %d–%d: %s, want %s", c.from, c.to, got, c.want)
		}
	}
	if got := l.ToDate(9); !got.Equal(dec("375.08")) {
		t.Errorf("to the end of September: %s, want 375.08", got)
	}
}

func TestAccrue(t *testing.T) {
	r := func(a, b int64) *big.Rat { return big.NewRat(a, b) }
	for _, c := range []struct {
		name   string
		months []*big.Rat
		want   []string
	}{
		{"halves go away from zero on the cumulative amount", []*big.Rat{r(1, 200), r(1, 200), r(1, 200)}, []string{"0.01", "0", "0.01"}},
		{"nil months are zero", []*big.Rat{nil, r(5, 1), nil}, []string{"0", "5", "0"}},
		{"thirds: 0.33, 0.34, 0.33", []*big.Rat{r(1, 3), r(1, 3), r(1, 3)}, []string{"0.33", "0.34", "0.33"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Accrue(c.months)
			for i, w := range c.want {
				if !got[i].Equal(dec(w)) {
					t.Errorf("month %d: %s, want %s", i+1, got[i], w)
				}
			}
		})
	}
}

// For random lines of every cycle (a price change on 1 July, approval
// changes, metering above and below the approval, gaps, releases), the
// twelve months add up to the statement's line exactly: gross, billable
// days and quantity-days; every accrual is ≥ 0.
func TestAccrualsAddUpToTheYear(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 2024))
	items := []struct{ code, q string }{{"VCPU", "4"}, {"MEM", "16"}, {"OBJ", "1001"}, {"SCAN", "1"}}
	for trial := range 40 {
		var events []metering.Event
		var runs []metered
		for r := range 8 {
			res := fmt.Sprintf("R%d", r)
			it := items[rng.IntN(len(items))]
			approve := metering.NewDate(2024, 1, 1).AddDays(rng.IntN(200) - 30)
			confirm := approve.AddDays(rng.IntN(40))
			events = append(events,
				metering.Event{ResourceID: res, Kind: metering.EventApproved, Day: approve, At: approve.Start(), ItemCode: it.code, Quantity: dec(it.q)},
				metering.Event{ResourceID: res, Kind: metering.EventConfirmed, Day: confirm, At: confirm.Start().Add(3600e9)})
			if rng.IntN(2) == 0 {
				ch := confirm.AddDays(rng.IntN(150))
				events = append(events, metering.Event{ResourceID: res, Kind: metering.EventChanged, Day: ch, At: ch.Start(), ItemCode: it.code, Quantity: dec(it.q).Mul(dec("2"))})
			}
			if rng.IntN(3) == 0 {
				rel := confirm.AddDays(rng.IntN(300))
				events = append(events, metering.Event{ResourceID: res, Kind: metering.EventReleased, Day: rel, At: rel.Start()})
			}
			for d := metering.NewDate(2024, 1, 1); d < metering.NewDate(2025, 1, 1); {
				n := 1 + rng.IntN(40)
				last := min(d.AddDays(n-1), metering.NewDate(2024, 12, 31))
				if rng.IntN(6) > 0 { // else a gap
					q := dec(it.q).Mul(decimal.NewFromInt(int64(rng.IntN(4)))).Div(dec("2"))
					runs = append(runs, metered{res, it.code, q.String(), d.String(), last.String()})
				}
				d = last.AddDays(1)
			}
		}
		months := usageMonths(runs...)
		lines := settle(t, 2024, events, catalogue(), months)
		accruals := accrueLines(t, 2024, events, catalogue(), months)
		if len(lines) != len(accruals) {
			t.Fatalf("trial %d: %d statement lines, %d accrual lines", trial, len(lines), len(accruals))
		}
		for i, l := range lines {
			a := accruals[i]
			y := a.Period(1, 12)
			if a.ResourceID != l.ResourceID || a.ItemCode != l.ItemCode || !y.Gross.Equal(l.Gross) || y.BillableDays != l.BillableDays || !y.QuantityDays.Equal(l.QuantityDays) {
				t.Errorf("trial %d %s %s: months %s / %d / %s, statement %s / %d / %s", trial, l.ResourceID, l.ItemCode,
					y.Gross, y.BillableDays, y.QuantityDays, l.Gross, l.BillableDays, l.QuantityDays)
			}
			for q := 0; q < 4; q++ {
				sum := a.Period(3*q+1, 3*q+1).Gross.Add(a.Period(3*q+2, 3*q+2).Gross).Add(a.Period(3*q+3, 3*q+3).Gross)
				if !a.Period(3*q+1, 3*q+3).Gross.Equal(sum) {
					t.Errorf("trial %d %s: quarter %d is not the sum of its months", trial, l.ResourceID, q+1)
				}
			}
			for m, f := range a.Months {
				if f.Gross.IsNegative() {
					t.Errorf("trial %d %s %s: month %d accrues %s", trial, l.ResourceID, l.ItemCode, m+1, f.Gross)
				}
			}
		}
	}
}

func TestAccrualsAddRejects(t *testing.T) {
	a := NewAccruals(2024, NewCatalogue(catalogue()), map[string]Placement{"R1": {}})
	for name, g := range map[string]DayGroup{
		"no month":      {ResourceID: "R1", ItemCode: "VCPU", EffectiveFrom: day("2023-01-01"), Metered: dec("1"), Approved: dec("1"), Days: 1},
		"unknown place": {ResourceID: "R9", ItemCode: "VCPU", EffectiveFrom: day("2023-01-01"), Metered: dec("1"), Approved: dec("1"), Days: 1, Month: 1},
		"unknown price": {ResourceID: "R1", ItemCode: "VCPU", EffectiveFrom: day("2022-01-01"), Metered: dec("1"), Approved: dec("1"), Days: 1, Month: 1},
	} {
		if err := a.Add(g); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := a.Add(DayGroup{ResourceID: "R9", Metered: dec("0"), Approved: dec("1"), Days: 3}); err != nil {
		t.Errorf("nothing billable is not an error: %v", err)
	}
}

func TestWriteAccrualCSV(t *testing.T) {
	events := []metering.Event{
		event(t, "vm-1", metering.EventApproved, "2024-05-28T10:00:00+08:00", "VCPU", "4"),
		event(t, "vm-1", metering.EventConfirmed, "2024-06-19T18:30:00Z", "", ""),
		event(t, "vm-2", metering.EventApproved, "2024-01-02T10:00:00+08:00", "MEM", "8"),
		event(t, "vm-2", metering.EventConfirmed, "2024-01-02T11:00:00+08:00", "", ""),
		event(t, "vm-2", metering.EventReleased, "2024-03-01T11:00:00+08:00", "", ""),
		event(t, "vm-3", metering.EventApproved, "2024-08-02T10:00:00+08:00", "MEM", "8"),
		event(t, "vm-3", metering.EventConfirmed, "2024-08-02T11:00:00+08:00", "", ""),
	}
	months := usageMonths(metered{"vm-1", "VCPU", "4", "2024-06-01", "2024-12-31"},
		metered{"vm-2", "MEM", "8", "2024-01-01", "2024-02-29"}, metered{"vm-3", "MEM", "8", "2024-08-02", "2024-12-31"})
	var b bytes.Buffer
	if err := WriteAccrualCSV(&b, accrueLines(t, 2024, events, catalogue(), months), 7, 7); err != nil {
		t.Fatal(err)
	}
	// vm-2 (confirmed 2 January, released 1 March): 59 days × 8 × 120 ÷ 366
	// = 56,640 ÷ 366 = 154.754… → 154.75 to date; vm-3 has no day to July: left out.
	want := strings.Join([]string{
		"provider_code,district_code,department_code,system_id,resource_id,item_code,billable_days,quantity_days,gross,gross_to_date",
		"P1,140200,D1,S1,vm-1,VCPU,31,124,111.80,155.08",
		"P1,140200,D1,S1,vm-2,MEM,0,0,0.00,154.75",
		"",
	}, "\n")
	if b.String() != want {
		t.Errorf("month-2024-07.csv:\n%s\nwant:\n%s", b.String(), want)
	}
}

// The forecast of docs/rules.md §10, as of 30 September 2024, for the VM
// of TestAccrueByHand (4 vCPU at 330 from 1 July): 92 days (October to
// December) × 4 × 330 ÷ 366 = 121,440 ÷ 366 = 331.803… → 331.80. With a
// change to 8 approved on 30 September and due (two working days, the
// National Day holiday between) on 9 October: 8 days × 4 + 84 days × 8,
// (10,560 + 221,760) ÷ 366 = 232,320 ÷ 366 = 634.754… → 634.75.
func TestRemaining(t *testing.T) {
	cat := NewCatalogue(catalogue())
	base := []metering.Event{
		event(t, "vm-1", metering.EventApproved, "2024-05-28T10:00:00+08:00", "VCPU", "4"),
		event(t, "vm-1", metering.EventConfirmed, "2024-06-19T18:30:00Z", "", ""),
	}
	released := append(append([]metering.Event(nil), base...), event(t, "vm-1", metering.EventReleased, "2024-11-20T10:00:00+08:00", "", ""))
	for _, c := range []struct {
		name    string
		events  []metering.Event
		asOf    string
		changes []PendingChange
		exits   map[string]metering.Date
		days    int
		want    string // "" for no line
	}{
		{"in service to the year's end", base, "2024-09-30", nil, nil, 92, "331.80"},
		{"a pending change from its due date", base, "2024-09-30", []PendingChange{{"vm-1", "VCPU", dec("8"), day("2024-10-09")}}, nil, 92, "634.75"},
		{"a change already due counts from the next day", base, "2024-09-30", []PendingChange{{"vm-1", "VCPU", dec("8"), day("2024-09-01")}}, nil, 92, "663.61"},
		// released on 20 November: as of the end of November nothing is left
		{"released in November, as of 30 November", released, "2024-11-30", nil, nil, 0, ""},
		// as of the end of October the release (if known) stops the forecast on 19 November: 19 days × 4 × 330 ÷ 366 = 68.52…
		{"released in November, known as of 31 October", released, "2024-10-31", nil, nil, 19, "68.52"},
		// a pending exit approved in October, due 5 November: 4 days
		{"pending exit", base, "2024-10-31", nil, map[string]metering.Date{"vm-1": day("2024-11-05")}, 4, "14.43"},
		{"the year ended", base, "2024-12-31", nil, nil, 0, ""},
		{"next year, as of the previous year's end (a budget proposal): 365 days at 330", base, "2024-12-31", nil, nil, 365, "1320.00"},
		{"not confirmed yet", base[:1], "2024-09-30", nil, nil, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			year := 2024
			if strings.HasPrefix(c.name, "next year") {
				year = 2025
			}
			got := Remaining(year, day(c.asOf), Lifecycles(c.events), c.changes, c.exits, cat)
			if c.want == "" {
				if len(got) != 0 {
					t.Errorf("forecast %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Days != c.days || !got[0].Amount.Equal(dec(c.want)) {
				t.Errorf("forecast %+v, want %d days, %s", got, c.days, c.want)
			}
		})
	}
}

func TestExecutionRate(t *testing.T) {
	for _, c := range []struct{ accrued, budget, want string }{
		{"1234.56", "10000.00", "12.35"}, // 12.3456 → 12.35
		{"1", "8", "12.5"},
		{"0.005", "100", "0.01"}, // 0.005 % → half away from zero
		{"12000", "10000", "120"},
	} {
		got, ok := ExecutionRate(dec(c.accrued), dec(c.budget))
		if !ok || !got.Equal(dec(c.want)) {
			t.Errorf("rate of %s / %s = %s, want %s", c.accrued, c.budget, got, c.want)
		}
	}
	if _, ok := ExecutionRate(dec("5"), decimal.Zero); ok {
		t.Error("a zero budget has no rate")
	}
}
