package evaluation

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

func ev(t testing.TB, res string, kind metering.EventKind, at string, item string) metering.Event {
	t.Helper()
	ts, err := metering.ParseInstant(at)
	if err != nil {
		t.Fatal(err)
	}
	e := metering.Event{ResourceID: res, Kind: kind, At: ts, Day: metering.DateOf(ts), ItemCode: item}
	if kind.CarriesItem() {
		e.Quantity = decimal.NewFromInt(4)
	}
	return e
}

func TestObligationStatus(t *testing.T) {
	cal := NewCalendar(prcCalendar(t))
	asOf := metering.MustDate("2024-12-31")
	type want struct {
		kind    ObligationKind
		started string
		due     string
		done    string
		status  ObligationStatus
		late    int
	}
	for _, tc := range []struct {
		name   string
		events []metering.Event
		want   []want
	}{
		{"provision on time, two items one obligation", []metering.Event{
			ev(t, "r1", metering.EventApproved, "2024-06-03T10:00:00+08:00", "vcpu"),
			ev(t, "r1", metering.EventApproved, "2024-06-03T10:00:00+08:00", "mem"),
			ev(t, "r1", metering.EventProvisioned, "2024-06-05T18:00:00+08:00", ""),
		}, []want{{ObligationProvision, "2024-06-03", "2024-06-05", "2024-06-05", ObligationOnTime, 0}}},
		{"provision late by two working days", []metering.Event{
			ev(t, "r1", metering.EventApproved, "2024-06-03T10:00:00+08:00", "vcpu"),
			ev(t, "r1", metering.EventProvisioned, "2024-06-07T09:00:00+08:00", ""),
		}, []want{{ObligationProvision, "2024-06-03", "2024-06-05", "2024-06-07", ObligationLate, 2}}},
		// 2024-10-11 is a Friday; Saturday 10-12 is a 调休 working day, so
		// the change is due Monday 10-14 (a weekend-only count says 10-15).
		{"change late only because of a 调休 Saturday", []metering.Event{
			ev(t, "r1", metering.EventChangeApproved, "2024-10-11T16:00:00+08:00", "vcpu"),
			ev(t, "r1", metering.EventChanged, "2024-10-15T09:00:00+08:00", "vcpu"),
		}, []want{{ObligationChange, "2024-10-11", "2024-10-14", "2024-10-15", ObligationLate, 1}}},
		{"exit open: due after the as-of date", []metering.Event{
			ev(t, "r1", metering.EventExitApproved, "2024-12-30T10:00:00+08:00", ""),
		}, []want{{ObligationExit, "2024-12-30", "2025-01-02", "", ObligationOpen, 0}}},
		// due 12-04; working days 12-05 … 12-31: 2 + 5 + 5 + 5 + 2 = 19
		{"exit overdue", []metering.Event{
			ev(t, "r1", metering.EventExitApproved, "2024-12-02T10:00:00+08:00", ""),
		}, []want{{ObligationExit, "2024-12-02", "2024-12-04", "", ObligationOverdue, 19}}},
		// 17:30 UTC on June 30 is July 1 in Shanghai: the 30 working days
		// start on July 2.
		{"go_live from a confirmation near midnight UTC", []metering.Event{
			ev(t, "r1", metering.EventConfirmed, "2024-06-30T17:30:00Z", ""),
			ev(t, "r1", metering.EventLive, "2024-08-12T10:00:00+08:00", ""),
		}, []want{{ObligationGoLive, "2024-07-01", "2024-08-12", "2024-08-12", ObligationOnTime, 0}}},
		{"go_live ends without status when released first", []metering.Event{
			ev(t, "r1", metering.EventConfirmed, "2024-03-01T10:00:00+08:00", ""),
			ev(t, "r1", metering.EventReleased, "2024-03-20T10:00:00+08:00", ""),
		}, nil},
		{"events after the as-of date are not known yet", []metering.Event{
			ev(t, "r1", metering.EventApproved, "2024-12-30T10:00:00+08:00", "vcpu"),
			ev(t, "r1", metering.EventProvisioned, "2025-01-02T10:00:00+08:00", ""),
		}, []want{{ObligationProvision, "2024-12-30", "2025-01-02", "", ObligationOpen, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Obligations(tc.events, []metering.Resource{{ID: "r1", ProviderCode: "P1"}}, cal, DefaultPolicy(), asOf)
			if err != nil {
				t.Fatal(err)
			}
			if len(obs) != len(tc.want) {
				t.Fatalf("got %d obligations %+v, want %d", len(obs), obs, len(tc.want))
			}
			for i, w := range tc.want {
				o := obs[i]
				if o.Kind != w.kind || o.Started.String() != w.started || o.Due.String() != w.due ||
					o.Done.String() != w.done || o.Status != w.status || o.LateWorkingDays != w.late || o.ProviderCode != "P1" {
					t.Errorf("got %s %s due %s done %q %s late %d, want %+v", o.Kind, o.Started, o.Due, o.Done, o.Status, o.LateWorkingDays, w)
				}
			}
		})
	}
}

func TestObligationsMissingCalendarYear(t *testing.T) {
	cal := NewCalendar(prcCalendar(t))
	evs := []metering.Event{ev(t, "r1", metering.EventApproved, "2026-12-31T10:00:00+08:00", "vcpu")}
	if _, err := Obligations(evs, nil, cal, DefaultPolicy(), metering.MustDate("2027-02-01")); err == nil {
		t.Fatal("obligation due in 2027 computed without a 2027 calendar")
	}
}

func TestObligationsOfYearAndShares(t *testing.T) {
	d := metering.MustDate
	obs := []Obligation{
		{ProviderCode: "P", ResourceID: "a", Kind: ObligationProvision, Started: d("2023-12-29"), Due: d("2024-01-03"), Done: metering.NullDate{Date: d("2024-01-02"), Valid: true}, Status: ObligationOnTime},
		{ProviderCode: "P", ResourceID: "b", Kind: ObligationExit, Started: d("2023-06-01"), Due: d("2023-06-05"), Status: ObligationOverdue},
		{ProviderCode: "P", ResourceID: "c", Kind: ObligationExit, Started: d("2023-06-01"), Due: d("2023-06-05"), Done: metering.NullDate{Date: d("2023-07-01"), Valid: true}, Status: ObligationLate},
		{ProviderCode: "P", ResourceID: "d", Kind: ObligationChange, Started: d("2024-02-01"), Due: d("2024-02-05"), Status: ObligationOverdue},
		{ProviderCode: "P", ResourceID: "e", Kind: ObligationGoLive, Started: d("2024-02-01"), Due: d("2024-03-15"), Status: ObligationOverdue},
	}
	got := ObligationsOfYear(obs, 2024)
	var ids []string
	for _, o := range got {
		ids = append(ids, o.ResourceID)
	}
	if want := "a b d e"; joinIDs(ids) != want {
		t.Errorf("2024 lists %v, want %s", ids, want)
	}
	sh := SLAShares(got)["P"]
	if s := sh["2024Q1"]; s.Due != 2 || s.OnTime != 1 {
		t.Errorf("2024Q1 share %+v, want 1 of 2 (go_live is the department's)", s)
	}
	if p := sh["2024Q1"].Percent(decimal.NewFromInt(100)); p.RatString() != "50" {
		t.Errorf("percent %s, want 50", p.RatString())
	}
	if p := (SLAShare{}).Percent(decimal.NewFromInt(100)); p.RatString() != "100" {
		t.Errorf("none due: %s, want 100", p.RatString())
	}
	_ = time.UTC
}

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += " "
		}
		s += id
	}
	return s
}
