package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/fixtures"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// fixtureYear loads the Datong fixtures into db, ingests a generated 2024
// and settles it: a whole year, for the tests that need one.
func fixtureYear(t *testing.T, db *store.DB) *App {
	t.Helper()
	ctx := context.Background()
	a := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ref, problems := reference.Read(fixtures.Datong, "")
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	if _, err := a.LoadSet(ctx, ref); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(t.TempDir(), "inbox")
	if _, err := fixtures.Generate(fixtures.GenOptions{From: metering.YearStart(2024), To: metering.YearEnd(2024).AddDays(-1), Out: inbox, Seed: 1, Layout: fixtures.LayoutSingle}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ingest(ctx, IngestInput{Paths: []string{inbox}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: metering.MustDate("2024-12-31")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Settle(ctx, YearInput{Year: 2024}); err != nil {
		t.Fatal(err)
	}
	return a
}

// Every line of the fixture year: its twelve months of accruals add up to
// its gross on the statement, to the fen, and so do its billable days and
// quantity-days; each quarter's CSV figures are the sums of its months';
// the gross to date of December is the statement's city gross. On both
// engines.
func TestAccrualsAddUpToTheStatement(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole metered year: skipped with -short")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) { accrualsAddUp(t, fixtureYear(t, db)) })
}

func accrualsAddUp(t *testing.T, a *App) {
	ctx := context.Background()
	st, err := a.DB.Statement(ctx, 2024, 0)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := a.PeriodData(ctx, billing.Month(2024, 12))
	if err != nil {
		t.Fatal(err)
	}
	if len(dec.Lines) != len(st.Lines) {
		t.Fatalf("%d accrual lines, %d statement lines", len(dec.Lines), len(st.Lines))
	}
	var city decimal.Decimal
	for i, l := range st.Lines {
		acc := dec.Lines[i]
		y := acc.Period(1, 12)
		if acc.ResourceID != l.ResourceID || acc.ItemCode != l.ItemCode || acc.ProviderCode != l.ProviderCode ||
			!y.Gross.Equal(l.Gross) || y.BillableDays != l.BillableDays || !y.QuantityDays.Equal(l.QuantityDays) {
			t.Errorf("%s %s %s: months %s / %d / %s, statement %s / %d / %s", l.ProviderCode, l.ResourceID, l.ItemCode,
				y.Gross, y.BillableDays, y.QuantityDays, l.Gross, l.BillableDays, l.QuantityDays)
		}
		city = city.Add(acc.ToDate(12))
	}
	if !city.Equal(st.Gross) {
		t.Errorf("Σ gross to date in December %s, statement %s", city, st.Gross)
	}
	// Each month's report, computed from the usage to its end only, holds
	// the same accruals as December's for its months.
	var quarters [4]decimal.Decimal
	for m := 1; m <= 12; m++ {
		b, err := a.PeriodData(ctx, billing.Month(2024, m))
		if err != nil {
			t.Fatal(err)
		}
		byKey := map[string]billing.AccrualLine{}
		for _, l := range dec.Lines {
			byKey[l.ProviderCode+" "+l.ResourceID+" "+l.ItemCode] = l
		}
		var month decimal.Decimal
		for _, l := range b.Lines {
			want := byKey[l.ProviderCode+" "+l.ResourceID+" "+l.ItemCode]
			if got := l.Period(m, m); !got.Gross.Equal(want.Months[m-1].Gross) || got.BillableDays != want.Months[m-1].BillableDays {
				t.Errorf("month %d %s %s: %s over %d days, December's report says %s over %d", m, l.ResourceID, l.ItemCode,
					got.Gross, got.BillableDays, want.Months[m-1].Gross, want.Months[m-1].BillableDays)
			}
			month = month.Add(l.Period(m, m).Gross)
		}
		quarters[(m-1)/3] = quarters[(m-1)/3].Add(month)
	}
	var year decimal.Decimal
	for q := 1; q <= 4; q++ {
		b, err := a.PeriodData(ctx, billing.QuarterPeriod(2024, q))
		if err != nil {
			t.Fatal(err)
		}
		var got decimal.Decimal
		for _, r := range b.Rows {
			got = got.Add(r.Gross)
		}
		if !got.Equal(quarters[q-1]) {
			t.Errorf("quarter %d: %s, Σ of its months %s", q, got, quarters[q-1])
		}
		year = year.Add(got)
	}
	if !year.Equal(st.Gross) {
		t.Errorf("Σ quarters %s, statement gross %s", year, st.Gross)
	}
	// As of the year's last day nothing remains to forecast.
	for _, r := range dec.Rows {
		if !r.Remaining.IsZero() {
			t.Errorf("December's row %s %s forecasts %s more", r.DepartmentCode, r.ProviderCode, r.Remaining)
		}
	}
}

func TestPendingOf(t *testing.T) {
	d := metering.MustDate
	ev := func(res string, kind metering.EventKind, day, item, q string) metering.Event {
		e := metering.Event{ResourceID: res, Kind: kind, Day: d(day), At: d(day).Start(), ItemCode: item}
		if q != "" {
			e.Quantity = decimal.RequireFromString(q)
		}
		return e
	}
	known := []metering.Event{
		ev("R1", metering.EventChangeApproved, "2024-09-30", "VCPU", "8"),
		ev("R1", metering.EventChangeApproved, "2024-09-30", "MEM", "32"),
		ev("R1", metering.EventChanged, "2024-09-30", "MEM", "32"), // MEM done, VCPU pending
		ev("R2", metering.EventChangeApproved, "2024-08-01", "VCPU", "2"),
		ev("R3", metering.EventExitApproved, "2024-09-29", "", ""),
	}
	obs := []evaluation.Obligation{
		{ResourceID: "R1", Kind: evaluation.ObligationChange, Started: d("2024-09-30"), Due: d("2024-10-09")},
		{ResourceID: "R2", Kind: evaluation.ObligationChange, Started: d("2024-08-01"), Due: d("2024-08-05")}, // overdue: from tomorrow
		{ResourceID: "R3", Kind: evaluation.ObligationExit, Started: d("2024-09-29"), Due: d("2024-10-08")},
	}
	changes, exits := pendingOf(known, obs, d("2024-09-30"))
	if len(changes) != 2 || changes[0].ResourceID != "R1" || changes[0].ItemCode != "VCPU" || changes[0].From != d("2024-10-09") ||
		changes[1].ResourceID != "R2" || changes[1].From != d("2024-10-01") {
		t.Errorf("pending changes %+v", changes)
	}
	if len(exits) != 1 || exits["R3"] != d("2024-10-08") {
		t.Errorf("pending exits %v", exits)
	}
}
