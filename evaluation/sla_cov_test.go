package evaluation

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// covEv is one lifecycle event of resource res at the RFC 3339 instant at.
func covEv(t testing.TB, res string, kind metering.EventKind, at, item string) metering.Event {
	t.Helper()
	ts, err := metering.ParseInstant(at)
	if err != nil {
		t.Fatal(err)
	}
	e := metering.Event{ResourceID: res, Kind: kind, At: ts, Day: metering.DateOf(ts), ItemCode: item}
	if kind.CarriesItem() {
		e.Quantity = decimal.NewFromInt(2)
	}
	return e
}

// covOb renders an obligation as "resource kind started→due done status late".
func covOb(o Obligation) string {
	done := o.Done.String()
	if done == "" {
		done = "-"
	}
	return fmt.Sprintf("%s/%s %s %s→%s %s %s %d", o.ProviderCode, o.ResourceID, o.Kind, o.Started, o.Due, done, o.Status, o.LateWorkingDays)
}

func covObs(obs []Obligation) []string {
	out := []string{}
	for _, o := range obs {
		out = append(out, covOb(o))
	}
	return out
}

func TestCovObligations(t *testing.T) {
	cal := covFixtureCalendar(t)
	const (
		approved       = metering.EventApproved
		provisioned    = metering.EventProvisioned
		confirmed      = metering.EventConfirmed
		live           = metering.EventLive
		changeApproved = metering.EventChangeApproved
		changed        = metering.EventChanged
		exitApproved   = metering.EventExitApproved
		released       = metering.EventReleased
	)
	type e = struct {
		kind     metering.EventKind
		at, item string
	}
	for _, tc := range []struct {
		name   string
		asOf   string
		events []e
		want   []string
	}{
		// 2024-06-03 Mon: 06-04 (1), 06-05 (2)
		{"provision on time, two items approved together are one obligation", "2024-12-31", []e{
			{approved, "2024-06-03T10:00:00+08:00", "VCPU"},
			{approved, "2024-06-03T10:05:00+08:00", "MEM"},
			{provisioned, "2024-06-05T18:00:00+08:00", ""},
		}, []string{"P1/r1 provision 2024-06-03→2024-06-05 2024-06-05 on_time 0"}},
		{"provision done on the day it was approved", "2024-12-31", []e{
			{approved, "2024-06-03T09:00:00+08:00", "VCPU"},
			{provisioned, "2024-06-03T17:00:00+08:00", ""},
		}, []string{"P1/r1 provision 2024-06-03→2024-06-05 2024-06-03 on_time 0"}},
		// due 06-05; (06-05, 06-12] = 06-06, 06-07, 06-11, 06-12 (06-10 端午) = 4
		{"a provisioning before the approval does not fulfil it", "2024-06-12", []e{
			{provisioned, "2024-06-01T10:00:00+08:00", ""},
			{approved, "2024-06-03T10:00:00+08:00", "VCPU"},
		}, []string{"P1/r1 provision 2024-06-03→2024-06-05 - overdue 4"}},
		// second: 2024-09-02 Mon, due 09-04; (09-04, 09-10] = 05, 06, 09, 10 = 4
		{"approvals on two days are two obligations", "2024-12-31", []e{
			{approved, "2024-06-03T10:00:00+08:00", "VCPU"},
			{provisioned, "2024-06-04T10:00:00+08:00", ""},
			{approved, "2024-09-02T10:00:00+08:00", "VCPU"},
			{provisioned, "2024-09-10T10:00:00+08:00", ""},
		}, []string{
			"P1/r1 provision 2024-06-03→2024-06-05 2024-06-04 on_time 0",
			"P1/r1 provision 2024-09-02→2024-09-04 2024-09-10 late 4",
		}},
		{"events listed out of order are read by time", "2024-12-31", []e{
			{provisioned, "2024-09-10T10:00:00+08:00", ""},
			{approved, "2024-09-02T10:00:00+08:00", "VCPU"},
			{provisioned, "2024-06-04T10:00:00+08:00", ""},
			{approved, "2024-06-03T10:00:00+08:00", "VCPU"},
		}, []string{
			"P1/r1 provision 2024-06-03→2024-06-05 2024-06-04 on_time 0",
			"P1/r1 provision 2024-09-02→2024-09-04 2024-09-10 late 4",
		}},
		// 2024-10-11 Fri: 10-12 Sat 调休 (1), 10-14 Mon (2); MEM changed 10-15: late (10-14, 10-15] = 1
		{"change of two items is done when the last one is changed", "2024-12-31", []e{
			{changeApproved, "2024-10-11T10:00:00+08:00", "VCPU"},
			{changeApproved, "2024-10-11T10:00:00+08:00", "MEM"},
			{changed, "2024-10-12T10:00:00+08:00", "VCPU"},
			{changed, "2024-10-15T10:00:00+08:00", "MEM"},
		}, []string{"P1/r1 change 2024-10-11→2024-10-14 2024-10-15 late 1"}},
		// due 10-14; (10-14, 10-18] = 15, 16, 17, 18 = 4
		{"change with one item never changed is overdue", "2024-10-18", []e{
			{changeApproved, "2024-10-11T10:00:00+08:00", "VCPU"},
			{changeApproved, "2024-10-11T10:00:00+08:00", "MEM"},
			{changed, "2024-10-12T10:00:00+08:00", "VCPU"},
		}, []string{"P1/r1 change 2024-10-11→2024-10-14 - overdue 4"}},
		{"another item's change does not count", "2024-10-14", []e{
			{changeApproved, "2024-10-11T10:00:00+08:00", "VCPU"},
			{changed, "2024-10-12T10:00:00+08:00", "MEM"},
		}, []string{"P1/r1 change 2024-10-11→2024-10-14 - open 0"}},
		{"a change before its approval does not count", "2024-10-14", []e{
			{changed, "2024-10-10T10:00:00+08:00", "VCPU"},
			{changeApproved, "2024-10-11T10:00:00+08:00", "VCPU"},
		}, []string{"P1/r1 change 2024-10-11→2024-10-14 - open 0"}},
		// 2024-09-13 Fri: 09-14 Sat 调休 (1), 09-15..17 中秋, 09-18 (2); released 09-19: late 1
		{"exit late over Mid-Autumn", "2024-12-31", []e{
			{exitApproved, "2024-09-13T10:00:00+08:00", ""},
			{released, "2024-09-19T10:00:00+08:00", ""},
		}, []string{"P1/r1 exit 2024-09-13→2024-09-18 2024-09-19 late 1"}},
		// 20:00Z on 09-13 is 04:00 on 09-14 (Sat 调休) in Shanghai: 09-18 (1),
		// 09-19 (2); released 09-19 23:00 Shanghai: on time
		{"exit dates are Shanghai dates", "2024-12-31", []e{
			{exitApproved, "2024-09-13T20:00:00Z", ""},
			{released, "2024-09-19T15:00:00Z", ""},
		}, []string{"P1/r1 exit 2024-09-14→2024-09-19 2024-09-19 on_time 0"}},
		{"open on its due date", "2024-06-05", []e{
			{exitApproved, "2024-06-03T10:00:00+08:00", ""},
		}, []string{"P1/r1 exit 2024-06-03→2024-06-05 - open 0"}},
		{"overdue the working day after", "2024-06-06", []e{
			{exitApproved, "2024-06-03T10:00:00+08:00", ""},
		}, []string{"P1/r1 exit 2024-06-03→2024-06-05 - overdue 1"}},
		// (06-05, 06-09] = 06-06, 06-07; the weekend adds nothing
		{"overdue as of a Sunday", "2024-06-09", []e{
			{exitApproved, "2024-06-03T10:00:00+08:00", ""},
		}, []string{"P1/r1 exit 2024-06-03→2024-06-05 - overdue 2"}},
		// 30 working days from 2024-12-02: due 2025-01-14 (see TestCovCalendarAddWorkdays)
		{"go_live open", "2024-12-31", []e{
			{confirmed, "2024-12-02T10:00:00+08:00", ""},
		}, []string{"P1/r1 go_live 2024-12-02→2025-01-14 - open 0"}},
		{"go_live late by a day", "2025-01-31", []e{
			{confirmed, "2024-12-02T10:00:00+08:00", ""},
			{live, "2025-01-15T10:00:00+08:00", ""},
		}, []string{"P1/r1 go_live 2024-12-02→2025-01-14 2025-01-15 late 1"}},
		// provision: 2024-03-01 Fri, 03-04 (1), 03-05 (2)
		{"go_live ends without status when released first; the provision stays", "2024-12-31", []e{
			{approved, "2024-03-01T10:00:00+08:00", "VCPU"},
			{provisioned, "2024-03-04T10:00:00+08:00", ""},
			{confirmed, "2024-03-05T10:00:00+08:00", ""},
			{released, "2024-03-20T10:00:00+08:00", ""},
		}, []string{"P1/r1 provision 2024-03-01→2024-03-05 2024-03-04 on_time 0"}},
		// exit: 2024-12-09 Mon, due 12-11
		{"go_live dropped, exit judged", "2025-03-01", []e{
			{confirmed, "2024-12-02T10:00:00+08:00", ""},
			{exitApproved, "2024-12-09T10:00:00+08:00", ""},
			{released, "2024-12-10T10:00:00+08:00", ""},
		}, []string{"P1/r1 exit 2024-12-09→2024-12-11 2024-12-10 on_time 0"}},
		// 30 working days from 2024-03-05: March 06–29 = 3+5+5+5 = 18,
		// 04-01..03 (21), 04-04..06 清明, 04-07 Sun 调休 (22), 04-08..12 (27),
		// 04-15..17 (30)
		{"go_live kept when live before the release", "2024-12-31", []e{
			{confirmed, "2024-03-05T10:00:00+08:00", ""},
			{live, "2024-03-06T10:00:00+08:00", ""},
			{released, "2024-03-20T10:00:00+08:00", ""},
		}, []string{"P1/r1 go_live 2024-03-05→2024-04-17 2024-03-06 on_time 0"}},
		{"go_live kept when live on the release day", "2024-12-31", []e{
			{confirmed, "2024-03-05T10:00:00+08:00", ""},
			{live, "2024-03-20T09:00:00+08:00", ""},
			{released, "2024-03-20T18:00:00+08:00", ""},
		}, []string{"P1/r1 go_live 2024-03-05→2024-04-17 2024-03-20 on_time 0"}},
		// 2024-12-31T16:30Z is 2025-01-01 in Shanghai: after the as-of date
		{"a start after the as-of date is not known yet", "2024-12-31", []e{
			{exitApproved, "2024-12-31T16:30:00Z", ""},
		}, nil},
		// provision 2024-01-02 Tue → 01-04; change 2024-05-06 Mon → 05-08;
		// exit 2024-11-04 Mon → 11-06; go_live 2024-01-05 → 30 working days:
		// January 08–31 = 18, 02-01/02 (20), 02-04 Sun 调休 (21), 02-05..09
		// (26), 02-10..17 off, 02-18 Sun 调休 (27), 02-19..21 (30)
		{"one resource, every kind, in rule order", "2024-12-31", []e{
			{released, "2024-11-05T10:00:00+08:00", ""},
			{exitApproved, "2024-11-04T10:00:00+08:00", ""},
			{changed, "2024-05-07T10:00:00+08:00", "VCPU"},
			{changeApproved, "2024-05-06T10:00:00+08:00", "VCPU"},
			{live, "2024-02-01T10:00:00+08:00", ""},
			{confirmed, "2024-01-05T10:00:00+08:00", ""},
			{provisioned, "2024-01-03T10:00:00+08:00", ""},
			{approved, "2024-01-02T10:00:00+08:00", "VCPU"},
		}, []string{
			"P1/r1 provision 2024-01-02→2024-01-04 2024-01-03 on_time 0",
			"P1/r1 change 2024-05-06→2024-05-08 2024-05-07 on_time 0",
			"P1/r1 exit 2024-11-04→2024-11-06 2024-11-05 on_time 0",
			"P1/r1 go_live 2024-01-05→2024-02-21 2024-02-01 on_time 0",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var evs []metering.Event
			for _, x := range tc.events {
				evs = append(evs, covEv(t, "r1", x.kind, x.at, x.item))
			}
			obs, err := Obligations(evs, []metering.Resource{{ID: "r1", ProviderCode: "P1"}}, cal, DefaultPolicy(), metering.MustDate(tc.asOf))
			if err != nil {
				t.Fatal(err)
			}
			got, want := covObs(obs), tc.want
			if want == nil {
				want = []string{}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("obligations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestCovObligationsPolicyLimits(t *testing.T) {
	cal := covFixtureCalendar(t)
	evs := []metering.Event{
		covEv(t, "r1", metering.EventApproved, "2024-06-03T10:00:00+08:00", "VCPU"),
		covEv(t, "r1", metering.EventProvisioned, "2024-06-04T10:00:00+08:00", ""),
	}
	for _, tc := range []struct {
		name string
		days int
		want string
	}{
		// limit 0: due the day itself; done 06-04: late (06-03, 06-04] = 1
		{"same day", 0, "P1/r1 provision 2024-06-03→2024-06-03 2024-06-04 late 1"},
		{"one day", 1, "P1/r1 provision 2024-06-03→2024-06-04 2024-06-04 on_time 0"},
		// 06-04 … 06-07 (4), 06-10 端午, 06-11 (5)
		{"five days", 5, "P1/r1 provision 2024-06-03→2024-06-11 2024-06-04 on_time 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			p.SLADays[ObligationProvision] = tc.days
			obs, err := Obligations(evs, []metering.Resource{{ID: "r1", ProviderCode: "P1"}}, cal, p, metering.MustDate("2024-12-31"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(covObs(obs), "\n"); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCovObligationsResourcesAndOrder(t *testing.T) {
	cal := covFixtureCalendar(t)
	evs := []metering.Event{
		covEv(t, "vm-b", metering.EventExitApproved, "2024-06-03T10:00:00+08:00", ""),
		covEv(t, "vm-c", metering.EventExitApproved, "2024-06-03T10:00:00+08:00", ""),
		covEv(t, "vm-a", metering.EventExitApproved, "2024-06-04T10:00:00+08:00", ""),
		covEv(t, "vm-a", metering.EventApproved, "2024-06-03T10:00:00+08:00", "VCPU"),
	}
	res := []metering.Resource{{ID: "vm-b", ProviderCode: "P2"}, {ID: "vm-a", ProviderCode: "P1"}} // vm-c unknown
	obs, err := Obligations(evs, res, cal, DefaultPolicy(), metering.MustDate("2024-06-04"))
	if err != nil {
		t.Fatal(err)
	}
	// by resource id; within one, provision before exit; an unknown
	// resource has no provider
	want := []string{
		"P1/vm-a provision 2024-06-03→2024-06-05 - open 0",
		"P1/vm-a exit 2024-06-04→2024-06-06 - open 0",
		"P2/vm-b exit 2024-06-03→2024-06-05 - open 0",
		"/vm-c exit 2024-06-03→2024-06-05 - open 0",
	}
	if got := covObs(obs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("obligations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if obs, err := Obligations(nil, res, cal, DefaultPolicy(), metering.MustDate("2024-06-04")); err != nil || len(obs) != 0 {
		t.Errorf("no events: %v, %v", obs, err)
	}
}

func TestCovObligationsCalendarErrors(t *testing.T) {
	cal := covFixtureCalendar(t) // 2023–2026
	for _, tc := range []struct {
		name   string
		events []metering.Event
		asOf   string
		msg    string
	}{
		// 2026-12-31 Thu: 2027-01-01 is not in the calendar
		{"due date in a missing year", []metering.Event{
			covEv(t, "r1", metering.EventApproved, "2026-12-31T10:00:00+08:00", "VCPU"),
		}, "2027-01-31", "resource r1 provision from 2026-12-31: working-day calendar has no rows for 2027"},
		// 2026-12-28 Mon: due 12-30; done 2027-01-04: counting the days late reaches 2027
		{"late into a missing year", []metering.Event{
			covEv(t, "r1", metering.EventApproved, "2026-12-28T10:00:00+08:00", "VCPU"),
			covEv(t, "r1", metering.EventProvisioned, "2027-01-04T10:00:00+08:00", ""),
		}, "2027-01-31", "resource r1 provision from 2026-12-28: working-day calendar has no rows for 2027"},
		{"overdue into a missing year", []metering.Event{
			covEv(t, "r1", metering.EventExitApproved, "2026-12-28T10:00:00+08:00", ""),
		}, "2027-01-31", "resource r1 exit from 2026-12-28: working-day calendar has no rows for 2027"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Obligations(tc.events, nil, cal, DefaultPolicy(), metering.MustDate(tc.asOf))
			var ym *YearMissingError
			if !errors.As(err, &ym) || ym.Year != 2027 {
				t.Fatalf("error %v, want a YearMissingError for 2027", err)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("error %q, want it to start %q", err, tc.msg)
			}
		})
	}
}

func TestCovIsProviderObligation(t *testing.T) {
	for _, tc := range []struct {
		kind ObligationKind
		want bool
	}{
		{ObligationProvision, true}, {ObligationChange, true}, {ObligationExit, true}, {ObligationGoLive, false},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			if IsProviderObligation(tc.kind) != tc.want {
				t.Errorf("IsProviderObligation(%s) = %v", tc.kind, !tc.want)
			}
		})
	}
}

func TestCovObligationsOfYear(t *testing.T) {
	d := metering.MustDate
	done := func(s string) metering.NullDate { return metering.NullDate{Date: d(s), Valid: true} }
	ob := func(id, started, due string, dn metering.NullDate) Obligation {
		return Obligation{ProviderCode: "P", ResourceID: id, Kind: ObligationExit, Started: d(started), Due: d(due), Done: dn}
	}
	obs := []Obligation{
		ob("01-started-in", "2024-03-01", "2024-03-05", done("2024-03-04")),
		ob("02-due-in", "2023-12-29", "2024-01-03", done("2023-12-29")),
		ob("03-done-in", "2023-06-01", "2023-06-05", done("2024-01-10")),
		ob("04-all-before", "2023-06-01", "2023-06-05", done("2023-07-01")),
		ob("05-overdue-never-done", "2023-06-01", "2023-06-05", metering.NullDate{}),
		ob("06-overdue-done-after", "2023-06-01", "2023-06-05", done("2025-02-01")),
		ob("07-all-after", "2025-01-02", "2025-01-06", metering.NullDate{}),
		ob("08-late-done-before", "2023-12-27", "2023-12-29", done("2023-12-31")),
		ob("09-due-last-day-before", "2023-12-28", "2023-12-29", metering.NullDate{}),
		ob("10-open-across", "2024-12-30", "2025-01-02", metering.NullDate{}),
		ob("11-long-ago", "2022-01-03", "2022-01-05", done("2023-12-31")),
		ob("12-due-new-year-eve", "2024-12-27", "2024-12-31", metering.NullDate{}),
	}
	for _, tc := range []struct {
		year int
		want string
	}{
		// 2024: started (01, 10, 12), due (02, 12), done (03), overdue during the
		// year (05, 06, 09)
		{2024, "01-started-in 02-due-in 03-done-in 05-overdue-never-done 06-overdue-done-after 09-due-last-day-before 10-open-across 12-due-new-year-eve"},
		// 2025: started/due (07, 10), done (06), overdue (05, 06, 09, 12)
		{2025, "05-overdue-never-done 06-overdue-done-after 07-all-after 09-due-last-day-before 10-open-across 12-due-new-year-eve"},
		// 2023: everything that started, was due or done in 2023, or overdue
		// (11 is done on 2023-12-31)
		{2023, "02-due-in 03-done-in 04-all-before 05-overdue-never-done 06-overdue-done-after 08-late-done-before 09-due-last-day-before 11-long-ago"},
		{2021, ""},
	} {
		t.Run(fmt.Sprint(tc.year), func(t *testing.T) {
			var ids []string
			for _, o := range ObligationsOfYear(obs, tc.year) {
				ids = append(ids, o.ResourceID)
			}
			if got := strings.Join(ids, " "); got != tc.want {
				t.Errorf("%d lists\n%s\nwant\n%s", tc.year, got, tc.want)
			}
		})
	}
}

func TestCovObligationsOfYearOrder(t *testing.T) {
	d := metering.MustDate
	mk := func(prov, res string, kind ObligationKind, started string) Obligation {
		return Obligation{ProviderCode: prov, ResourceID: res, Kind: kind, Started: d(started), Due: d(started).AddDays(2)}
	}
	obs := []Obligation{
		mk("P2", "a", ObligationProvision, "2024-01-02"),
		mk("P1", "b", ObligationProvision, "2024-05-02"),
		mk("P1", "b", ObligationProvision, "2024-03-01"),
		mk("P1", "b", ObligationChange, "2024-06-03"),
		mk("P1", "a", ObligationGoLive, "2024-02-01"),
		mk("P1", "a", ObligationExit, "2024-02-01"),
	}
	// provider, then resource, then kind (as text: change < exit < go_live
	// < provision), then start
	want := []string{
		"P1 a exit 2024-02-01", "P1 a go_live 2024-02-01",
		"P1 b change 2024-06-03", "P1 b provision 2024-03-01", "P1 b provision 2024-05-02",
		"P2 a provision 2024-01-02",
	}
	var got []string
	for _, o := range ObligationsOfYear(obs, 2024) {
		got = append(got, fmt.Sprintf("%s %s %s %s", o.ProviderCode, o.ResourceID, o.Kind, o.Started))
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("order\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if obs[0].ProviderCode != "P2" {
		t.Error("ObligationsOfYear reordered its input")
	}
}

func TestCovQuarter(t *testing.T) {
	for _, tc := range []struct{ day, want string }{
		{"2024-01-01", "2024Q1"}, {"2024-03-31", "2024Q1"},
		{"2024-04-01", "2024Q2"}, {"2024-06-30", "2024Q2"},
		{"2024-07-01", "2024Q3"}, {"2024-09-30", "2024Q3"},
		{"2024-10-01", "2024Q4"}, {"2024-12-31", "2024Q4"},
		{"2025-02-28", "2025Q1"},
	} {
		t.Run(tc.day, func(t *testing.T) {
			if got := Quarter(metering.MustDate(tc.day)); got != tc.want {
				t.Errorf("Quarter(%s) = %s, want %s", tc.day, got, tc.want)
			}
		})
	}
}

func TestCovSLAShares(t *testing.T) {
	d := metering.MustDate
	mk := func(prov string, kind ObligationKind, due string, st ObligationStatus) Obligation {
		return Obligation{ProviderCode: prov, ResourceID: "r", Kind: kind, Started: d(due).AddDays(-3), Due: d(due), Status: st}
	}
	obs := []Obligation{
		mk("P1", ObligationProvision, "2024-03-29", ObligationOnTime),
		mk("P1", ObligationChange, "2024-04-01", ObligationLate), // started 03-29 (Q1), due in Q2
		mk("P1", ObligationExit, "2024-04-02", ObligationOpen),   // open counts as not on time
		mk("P1", ObligationExit, "2024-06-28", ObligationOnTime),
		mk("P1", ObligationGoLive, "2024-05-01", ObligationOnTime), // the department's: left out
		mk("P2", ObligationProvision, "2024-12-31", ObligationOverdue),
		mk("P3", ObligationGoLive, "2024-05-01", ObligationOverdue),
	}
	shares := SLAShares(obs)
	hundred := decimal.NewFromInt(100)
	for _, tc := range []struct {
		prov, period string
		due, onTime  int
		percent      string // exact
	}{
		{"P1", "2024Q1", 1, 1, "100"},   // 100 × 1 ÷ 1
		{"P1", "2024Q2", 3, 1, "100/3"}, // 100 × 1 ÷ 3
		{"P2", "2024Q4", 1, 0, "0"},     // 100 × 0 ÷ 1
		{"P1", "2024Q3", 0, 0, "100"},   // none due → 100
	} {
		t.Run(tc.prov+" "+tc.period, func(t *testing.T) {
			s := shares[tc.prov][tc.period]
			if s.Due != tc.due || s.OnTime != tc.onTime {
				t.Errorf("share %+v, want %d of %d", s, tc.onTime, tc.due)
			}
			if tc.due > 0 && (s.ProviderCode != tc.prov || s.Period != tc.period) {
				t.Errorf("share names %s %s", s.ProviderCode, s.Period)
			}
			if p := s.Percent(hundred).RatString(); p != tc.percent {
				t.Errorf("percent %s, want %s", p, tc.percent)
			}
		})
	}
	if len(shares) != 2 || len(shares["P1"]) != 2 {
		t.Errorf("shares %+v: want P1 (Q1, Q2) and P2 only", shares)
	}
	if _, ok := shares["P3"]; ok {
		t.Error("a provider with only go_live obligations has a share")
	}
	if got := SLAShares(nil); got == nil || len(got) != 0 {
		t.Errorf("SLAShares(nil) = %v, want an empty map", got)
	}
}

func TestCovSLASharePercent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		share   SLAShare
		noneDue string
		want    string
	}{
		{"none due, default", SLAShare{}, "100", "100"},
		{"none due, policy 97.5", SLAShare{}, "97.5", "195/2"}, // 97.5 = 195/2
		{"two of three", SLAShare{Due: 3, OnTime: 2}, "100", "200/3"},
		{"all", SLAShare{Due: 7, OnTime: 7}, "0", "100"},
		{"one of eight", SLAShare{Due: 8, OnTime: 1}, "100", "25/2"}, // 100/8 = 12.5
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.share.Percent(decimal.RequireFromString(tc.noneDue)).RatString(); got != tc.want {
				t.Errorf("Percent = %s, want %s", got, tc.want)
			}
		})
	}
}
