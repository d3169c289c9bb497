package evaluation

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"cloudbill/metering"
)

// covFixtureDays reads the Datong reference calendar (2023–2026) through
// the same parser the loader uses.
func covFixtureDays(t testing.TB) []CalendarDay {
	t.Helper()
	tb, err := metering.OpenTable("../fixtures/datong/calendar.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	if err := tb.Require(CalendarColumns...); err != nil {
		t.Fatal(err)
	}
	var days []CalendarDay
	for {
		r, err := tb.Next()
		if err == io.EOF {
			return days
		}
		if err != nil {
			t.Fatal(err)
		}
		d, ps := ParseCalendarDay(r)
		if len(ps) != 0 {
			t.Fatal(metering.Problems(ps))
		}
		days = append(days, d)
	}
}

func covFixtureCalendar(t testing.TB) *Calendar {
	t.Helper()
	return NewCalendar(covFixtureDays(t))
}

// covDesignDays is docs/fixtures.md's holiday arrangement, written as there:
// off ranges "MM-DD..MM-DD" (or a full date where the range starts in the
// previous year) and 调休 working days.
func covDesignDays(t testing.TB) []CalendarDay {
	t.Helper()
	arrangement := map[int]struct{ off, on string }{
		2023: {"2022-12-31..01-02 01-21..01-27 04-05 04-29..05-03 06-22..06-24 09-29..10-06", "01-28 01-29 04-23 05-06 06-25 10-07 10-08"},
		2024: {"01-01 02-10..02-17 04-04..04-06 05-01..05-05 06-10 09-15..09-17 10-01..10-07", "02-04 02-18 04-07 04-28 05-11 09-14 09-29 10-12"},
		2025: {"01-01 01-28..02-04 04-04..04-06 05-01..05-05 05-31..06-02 10-01..10-08", "01-26 02-08 04-27 09-28 10-11"},
		2026: {"01-01..01-03 02-15..02-23 04-04..04-06 05-01..05-05 06-19..06-21 09-25..09-27 10-01..10-07", "01-04 02-14 02-28 05-09 09-20 10-10"},
	}
	date := func(year int, s string) metering.Date {
		if len(s) == 5 {
			s = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-") + s
		}
		return metering.MustDate(s)
	}
	var days []CalendarDay
	for year := 2023; year <= 2026; year++ {
		a := arrangement[year]
		for _, r := range strings.Fields(a.off) {
			from, to, ok := strings.Cut(r, "..")
			if !ok {
				to = from
			}
			for d := date(year, from); d <= date(year, to); d++ {
				days = append(days, CalendarDay{Day: d, Kind: DayHoliday})
			}
		}
		for _, s := range strings.Fields(a.on) {
			days = append(days, CalendarDay{Day: date(year, s), Kind: DayWorkday})
		}
	}
	return days
}

func TestCovCalendarWorkdaysPerYear(t *testing.T) {
	for _, src := range []struct {
		name string
		cal  *Calendar
	}{
		{"fixture calendar.csv", covFixtureCalendar(t)},
		{"docs/fixtures.md list", NewCalendar(covDesignDays(t))},
	} {
		// docs/fixtures.md: 2023 249, 2024 251, 2025 248, 2026 248
		for _, tc := range []struct{ year, want int }{{2023, 249}, {2024, 251}, {2025, 248}, {2026, 248}} {
			t.Run(src.name+" "+strings.TrimSuffix(metering.YearStart(tc.year).String(), "-01-01"), func(t *testing.T) {
				n := 0
				for d := metering.YearStart(tc.year); d < metering.YearEnd(tc.year); d++ {
					ok, err := src.cal.IsWorkday(d)
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						n++
					}
				}
				if n != tc.want {
					t.Errorf("%d working days, want %d", n, tc.want)
				}
				// (Dec 31 of the year before, Dec 31] counts the same days
				between, err := src.cal.WorkdaysBetween(metering.YearStart(tc.year).AddDays(-1), metering.YearEnd(tc.year).AddDays(-1))
				if err != nil || between != tc.want {
					t.Errorf("WorkdaysBetween = %d, %v; want %d", between, err, tc.want)
				}
			})
		}
	}
}

// The fixture file and docs/fixtures.md agree on every day of 2023–2026.
func TestCovFixtureCalendarMatchesDesign(t *testing.T) {
	fixture, design := covFixtureCalendar(t), NewCalendar(covDesignDays(t))
	for d := metering.YearStart(2023); d < metering.YearEnd(2026); d++ {
		a, errA := fixture.IsWorkday(d)
		b, errB := design.IsWorkday(d)
		if errA != nil || errB != nil || a != b {
			t.Errorf("%s: fixture %v (%v), docs/fixtures.md %v (%v)", d, a, errA, b, errB)
		}
	}
}

func TestCovCalendarIsWorkday(t *testing.T) {
	cal := covFixtureCalendar(t)
	for _, tc := range []struct {
		name string
		day  string
		want bool
	}{
		{"plain Monday", "2024-06-03", true},
		{"plain Friday", "2024-06-07", true},
		{"plain Saturday", "2024-06-08", false},
		{"plain Sunday", "2024-06-09", false},
		{"端午 on a Monday", "2024-06-10", false},
		{"国庆 on a Wednesday", "2025-10-08", false},
		{"调休 Sunday", "2024-02-18", true},
		{"调休 Saturday", "2024-10-12", true},
		{"调休 Sunday 2023", "2023-01-29", true},
		{"元旦 2026 on a Saturday", "2026-01-03", false},
		{"调休 Sunday 2026", "2026-01-04", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cal.IsWorkday(metering.MustDate(tc.day))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.want)
			}
		})
	}
}

func TestCovCalendarAddWorkdays(t *testing.T) {
	cal := covFixtureCalendar(t)
	for _, tc := range []struct {
		name string
		from string
		n    int
		want string
	}{
		// docs/rules.md §7 fact checks
		{"rules.md §7: National Day", "2025-09-30", 2, "2025-10-10"}, // 10-01..08 off; 10-09 Thu (1), 10-10 Fri (2)
		{"rules.md §7: 调休 Sunday", "2024-02-08", 2, "2024-02-18"},    // 02-09 Fri (1), 02-10..17 off, 02-18 Sun 调休 (2)
		{"zero is the day itself", "2024-06-08", 0, "2024-06-08"},    // even a Saturday
		{"Friday + 1 is Monday", "2024-06-14", 1, "2024-06-17"},
		{"Saturday + 1 is Monday", "2024-06-15", 1, "2024-06-17"},
		{"into a 调休 Saturday", "2024-10-11", 1, "2024-10-12"},
		{"over the Spring Festival 2023", "2023-01-20", 1, "2023-01-28"}, // 01-21..27 off, 01-28 Sat 调休
		{"over the year end", "2023-12-29", 2, "2024-01-03"},             // 12-30/31 weekend, 01-01 off, 01-02 (1), 01-03 (2)
		// go_live: 30 working days from 2024-12-02: December 3–31 holds
		// 4+5+5+5+2 = 21, then 2025-01-02, 01-03 (23), 01-06..10 (28),
		// 01-13 (29), 01-14 (30)
		{"go_live limit", "2024-12-02", 30, "2025-01-14"},
		{"last working day of 2026", "2026-12-30", 1, "2026-12-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cal.AddWorkdays(metering.MustDate(tc.from), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("%s + %d working days = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}
}

func TestCovCalendarWorkdaysBetween(t *testing.T) {
	cal := covFixtureCalendar(t)
	for _, tc := range []struct {
		name     string
		from, to string
		want     int
	}{
		{"same day", "2024-06-03", "2024-06-03", 0},
		{"to before from", "2024-06-07", "2024-06-03", 0},
		{"next day", "2024-06-03", "2024-06-04", 1},
		{"Friday to Monday", "2024-06-07", "2024-06-11", 1},     // 06-08/09 weekend, 06-10 端午, 06-11 Tue
		{"over National Day", "2025-09-30", "2025-10-10", 2},    // 10-09, 10-10
		{"with a 调休 Saturday", "2024-10-11", "2024-10-14", 2},   // 10-12 Sat 调休, 10-14 Mon
		{"full week", "2024-06-16", "2024-06-23", 5},            // Mon 17 … Fri 21
		{"over the year end", "2024-12-30", "2025-01-02", 2},    // 12-31, 01-02 (01-01 off)
		{"a holiday as the end", "2024-09-30", "2024-10-07", 0}, // 10-01..07 off
		{"into the first 调休", "2024-09-30", "2024-10-12", 5},    // 10-08..11 (4), 10-12 Sat (5)
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cal.WorkdaysBetween(metering.MustDate(tc.from), metering.MustDate(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("working days in (%s, %s] = %d, want %d", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestCovCalendarMissingYear(t *testing.T) {
	cal := covFixtureCalendar(t)
	for _, tc := range []struct {
		name string
		call func() error
		year int
	}{
		{"IsWorkday before the calendar", func() error { _, err := cal.IsWorkday(metering.MustDate("2022-06-01")); return err }, 2022},
		{"IsWorkday after it", func() error { _, err := cal.IsWorkday(metering.MustDate("2027-01-04")); return err }, 2027},
		// 2026-12-31 Thu (1), then 2027-01-01 is unknown
		{"AddWorkdays into 2027", func() error { _, err := cal.AddWorkdays(metering.MustDate("2026-12-30"), 2); return err }, 2027},
		{"WorkdaysBetween into 2027", func() error {
			_, err := cal.WorkdaysBetween(metering.MustDate("2026-12-30"), metering.MustDate("2027-01-05"))
			return err
		}, 2027},
		{"WorkdaysBetween out of 2022", func() error {
			_, err := cal.WorkdaysBetween(metering.MustDate("2022-12-30"), metering.MustDate("2023-01-05"))
			return err
		}, 2022},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ym *YearMissingError
			if !errors.As(err, &ym) || ym.Year != tc.year {
				t.Fatalf("error %v, want YearMissingError for %d", err, tc.year)
			}
			want := "working-day calendar has no rows for " + strings.TrimSuffix(metering.YearStart(tc.year).String(), "-01-01") + ": load that year's holiday arrangement into calendar.csv"
			if err.Error() != want {
				t.Errorf("message %q, want %q", err, want)
			}
		})
	}
	// Zero working days asks nothing of the calendar.
	if d, err := cal.AddWorkdays(metering.MustDate("2027-03-01"), 0); err != nil || d.String() != "2027-03-01" {
		t.Errorf("AddWorkdays(2027-03-01, 0) = %s, %v", d, err)
	}
}

func TestCovCalendarCovers(t *testing.T) {
	cal := covFixtureCalendar(t)
	for year, want := range map[int]bool{2022: false, 2023: true, 2024: true, 2025: true, 2026: true, 2027: false} {
		if cal.Covers(year) != want {
			t.Errorf("Covers(%d) = %v, want %v", year, cal.Covers(year), want)
		}
	}
	empty := NewCalendar(nil)
	if empty.Covers(2024) {
		t.Error("an empty calendar covers 2024")
	}
	if _, err := empty.IsWorkday(metering.MustDate("2024-06-03")); err == nil {
		t.Error("an empty calendar answered for 2024-06-03")
	}
}

func TestCovCalendarLaterRowWins(t *testing.T) {
	d := metering.MustDate("2024-06-08") // a Saturday
	for _, tc := range []struct {
		name string
		rows []CalendarDay
		want bool
	}{
		{"holiday then workday", []CalendarDay{{Day: d, Kind: DayHoliday}, {Day: d, Kind: DayWorkday}}, true},
		{"workday then holiday", []CalendarDay{{Day: d, Kind: DayWorkday}, {Day: d, Kind: DayHoliday}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewCalendar(tc.rows).IsWorkday(d)
			if err != nil || got != tc.want {
				t.Errorf("IsWorkday = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// docs/rules.md §7: "A year missing from the calendar is an error, never a
// weekend-only guess." The official 2023 arrangement (docs/fixtures.md) starts on
// 2022-12-31, so loading it makes 2022 "covered" by that one row, and
// every other 2022 day is then answered by the weekday alone.
func TestCovCalendarSpilledRowDoesNotCoverAYear(t *testing.T) {
	cal := NewCalendar(covDesignDays(t))                     // holds 2022-12-31 from the 2023 arrangement
	_, err := cal.IsWorkday(metering.MustDate("2022-10-04")) // 国庆 2022, absent from the calendar
	var ym *YearMissingError
	if !errors.As(err, &ym) || ym.Year != 2022 {
		t.Errorf("IsWorkday(2022-10-04) on a calendar whose only 2022 row is the 2023 arrangement's 2022-12-31: %v, want *YearMissingError for 2022", err)
	}
	if !cal.Covers(2023) || cal.Covers(2022) {
		t.Errorf("covers 2023 %t, 2022 %t", cal.Covers(2023), cal.Covers(2022))
	}
	// The spilled row still counts as the holiday it is, for deadlines of
	// late 2022 once 2022's own arrangement is loaded.
	full := NewCalendar(append(covDesignDays(t), CalendarDay{Day: metering.MustDate("2022-10-03"), Kind: DayHoliday, Name: "国庆节"}))
	if ok, err := full.IsWorkday(metering.MustDate("2022-12-31")); err != nil || ok {
		t.Errorf("2022-12-31 with 2022 known: workday %t, %v; want a holiday", ok, err)
	}
}
