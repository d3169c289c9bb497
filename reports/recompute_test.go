package reports

import (
	"fmt"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudbill/billing"
	"cloudbill/metering"
)

// realBundle is a realistic year cut into runs the way the settlement cuts
// it (docs/rules.md §3): resources confirmed and released on any day, some
// approvals changed in the year, the VCPU price lowered on 1 July,
// month-cycle storage (a run per month), a day-cycle service. Amounts are
// exact sums (billing.Sum), grosses rounded once.
func realBundle() Bundle {
	b := sampleBundle(billing.StatementStatusIssued)
	cat := append(catalogue(), billing.PriceVersion{ItemCode: "MIG", Category: "服务", Name: "数据迁移服务", Unit: "人天",
		Cycle: billing.CycleDay, Price: dec("1200"), EffectiveFrom: metering.MustDate("2023-01-01"), ApprovalRef: "同发改价〔2023〕12号"})
	versions := billing.NewCatalogue(cat)
	names := Names{Catalogue: cat, Inventory: metering.Inventory{Providers: b.Names.Providers}}
	districtOf := map[string]string{}
	st := &billing.Statement{Year: 2024, Version: 3, Status: billing.StatementStatusIssued, CreatedAt: b.Statement.CreatedAt,
		IssuedAt: b.Statement.IssuedAt, SHA256: b.Statement.SHA256, Policy: b.Statement.Policy, Providers: b.Statement.Providers}
	windows := map[string]Window{}
	items := []struct {
		code string
		q    []string // approved quantities: the second holds from a change day
	}{{"VCPU", []string{"4", "8"}}, {"MEM", []string{"16"}}, {"SSD", []string{"500", "300"}}, {"OSS", []string{"1024"}},
		{"WAF", []string{"2"}}, {"BW", []string{"20", "50"}}, {"MIG", []string{"3"}}, {"OSS", []string{"2048.5", "4096"}}}
	start := metering.MustDate("2024-01-01")
	for dist := 0; dist < 3; dist++ {
		dcode := fmt.Sprintf("1402%02d", 20+dist)
		names.Districts = append(names.Districts, metering.District{Code: dcode, Name: fmt.Sprintf("第%d县", dist+1)})
		for dept := 0; dept < 3; dept++ {
			pcode := fmt.Sprintf("%s-d%d", dcode, dept)
			names.Departments = append(names.Departments, metering.Department{Code: pcode, Name: fmt.Sprintf("第%d县第%d局", dist+1, dept+1), DistrictCode: dcode})
			districtOf[pcode] = dcode
			sys := pcode + "-s"
			names.Systems = append(names.Systems, metering.System{ID: sys, DepartmentCode: pcode, Name: "业务平台"})
			for r := 0; r < 14; r++ {
				k := dist*42 + dept*14 + r
				it := items[k%len(items)]
				id := fmt.Sprintf("res-%03d", k)
				prov := b.Names.Providers[k%2].Code
				names.Resources = append(names.Resources, metering.Resource{ID: id, SystemID: sys, ProviderCode: prov, Kind: "vm", Name: "资源" + strconv.Itoa(k)})
				confirmed := start.AddDays((k * 37) % 200)
				released := metering.NullDate{}
				end := metering.MustDate("2025-01-01")
				if k%5 == 0 {
					released = metering.NullDate{Date: confirmed.AddDays(60 + k%90), Valid: true}
					end = released.Date
				}
				change := confirmed.AddDays(20 + k%50)
				w := Window{Confirmed: metering.NullDate{Date: confirmed, Valid: true}, ConfirmRef: fmt.Sprintf("JFQR-2024-%04d", k), Released: released}
				w.Approvals = []Approval{{ItemCode: it.code, Quantity: dec(it.q[0]), From: confirmed.AddDays(-3), To: billing.OpenEnd}}
				if len(it.q) > 1 {
					w.Approvals[0].To = change
					w.Approvals = append(w.Approvals, Approval{ItemCode: it.code, Quantity: dec(it.q[1]), From: change, To: billing.OpenEnd})
				}
				windows[id] = w
				// cut the days into runs: same price version, quantity and (month cycle) month
				type key struct {
					from  metering.Date
					q     string
					month int
				}
				var order []key
				days := map[key]int{}
				run := map[key]billing.Run{}
				for d := confirmed; d < end; d = d.AddDays(1) {
					v, ok := versions.At(it.code, d)
					if !ok {
						continue
					}
					q := it.q[0]
					if len(it.q) > 1 && d >= change {
						q = it.q[1]
					}
					kk := key{v.EffectiveFrom, q, 0}
					if v.Cycle == billing.CycleMonth {
						kk.month = int(d.Month())
					}
					if _, ok := days[kk]; !ok {
						order = append(order, kk)
						run[kk] = billing.Run{ResourceID: id, ItemCode: it.code, EffectiveFrom: v.EffectiveFrom, Price: v.Price, Cycle: v.Cycle,
							ApprovalRef: v.ApprovalRef, Quantity: dec(q), CycleDays: v.Cycle.Days(d), Month: kk.month}
					}
					days[kk]++
				}
				var runs []billing.Run
				for _, kk := range order {
					r := run[kk]
					r.Days = days[kk]
					var s billing.Sum
					s.AddRun(r.Quantity, r.Price, r.Days, r.CycleDays)
					r.Amount = s.Exact()
					runs = append(runs, r)
				}
				st.Lines = append(st.Lines, lineOf(prov, dcode, pcode, sys, id, it.code, runs))
			}
		}
	}
	aggregate(st, districtOf)
	return Bundle{Statement: st, Names: names, AsOf: metering.MustDate("2024-12-31"), Windows: windows, Calendar: fixtureCalendar()}
}

func ratOf(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(strings.ReplaceAll(s, ",", ""))
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r
}

// TestLinesRecomputableFromPrint reads every line of every bill back from
// the printed text and recomputes it: each run's amount from its printed
// quantity, unit price, days and cycle days (the cycle days those of the
// printed month, or of the year), and the line's gross as the runs' exact
// sum rounded once, half away from zero (docs/rules.md §3–§4).
func TestLinesRecomputableFromPrint(t *testing.T) {
	needTool(t, "pdftotext")
	font := needFont(t)
	overflows := collectOverflows(t)
	defer noOverflows(t, overflows)
	b := realBundle()
	st := b.Statement
	multi, monthly := 0, 0
	for _, l := range st.Lines {
		if len(l.Runs) > 1 {
			multi++
		}
		if len(l.Runs) > 0 && l.Runs[0].Cycle == billing.CycleMonth {
			monthly++
		}
	}
	if multi < 40 || monthly < 20 {
		t.Fatalf("the bundle has %d lines of several runs, %d of a month cycle: not realistic enough", multi, monthly)
	}
	dir := t.TempDir()
	if _, err := WriteDocuments(dir, b, font); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, path string, want []billing.Line) {
		lines, _ := readBillLines(t, pdfText(t, path))
		if len(lines) != len(want) {
			t.Fatalf("read %d lines back, the statement has %d", len(lines), len(want))
		}
		billing.SortLinesByPlace(want)
		for i, pl := range lines {
			l := want[i]
			if len(pl.runs) != len(l.Runs) {
				t.Errorf("line %s %s: %d runs printed, %d in the statement", l.ResourceID, l.ItemCode, len(pl.runs), len(l.Runs))
			}
			sum := new(big.Rat)
			for _, r := range pl.runs {
				cycle, days := ratOf(t, r.cycle), ratOf(t, r.days)
				switch {
				case r.month != "":
					m, _ := strconv.Atoi(r.month)
					if want := metering.NewDate(st.Year, time.Month(m), 1).DaysInMonth(); cycle.Cmp(big.NewRat(int64(want), 1)) != 0 {
						t.Errorf("line %s %s month %s: cycle days %s, the month has %d", l.ResourceID, l.ItemCode, r.month, r.cycle, want)
					}
				case r.cycle != "1" && r.cycle != "366":
					t.Errorf("line %s %s: cycle days %s in 2024 (366 days)", l.ResourceID, l.ItemCode, r.cycle)
				}
				if days.Cmp(cycle) > 0 && r.cycle != "1" {
					t.Errorf("line %s %s: %s days in a cycle of %s", l.ResourceID, l.ItemCode, r.days, r.cycle)
				}
				amt := new(big.Rat).Mul(ratOf(t, r.qty), ratOf(t, r.price))
				amt.Mul(amt, days).Quo(amt, cycle)
				if got := exact(amt); got != r.amount {
					t.Errorf("line %s %s: run printed %s, its factors %s × %s × %s ÷ %s give %s", l.ResourceID, l.ItemCode, r.amount, r.qty, r.price, r.days, r.cycle, got)
				}
				sum.Add(sum, amt)
			}
			if g := billing.Round(sum, 2); !g.Equal(pl.gross) || !pl.gross.Equal(l.Gross) {
				t.Errorf("line %s %s: printed gross %s, recomputed from the printed runs %s, statement %s", l.ResourceID, l.ItemCode, pl.gross, g, l.Gross)
			}
		}
	}
	for _, r := range st.Districts {
		t.Run("district "+r.DistrictCode, func(t *testing.T) {
			var want []billing.Line
			for _, l := range st.Lines {
				if l.DistrictCode == r.DistrictCode {
					want = append(want, l)
				}
			}
			check(t, filepath.Join(dir, "district-2024-"+r.DistrictCode+".pdf"), want)
		})
	}
	t.Run("department 140220-d1", func(t *testing.T) {
		var want []billing.Line
		for _, l := range st.Lines {
			if l.DepartmentCode == "140220-d1" {
				want = append(want, l)
			}
		}
		check(t, filepath.Join(dir, "department-2024-140220-d1.pdf"), want)
	})
}
