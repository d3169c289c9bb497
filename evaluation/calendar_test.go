package evaluation

import (
	"errors"
	"strings"
	"testing"

	"cloudbill/metering"
)

// prcCalendar is docs/fixtures.md's holiday arrangement for 2023–2026.
func prcCalendar(t testing.TB) []CalendarDay {
	t.Helper()
	var rows []CalendarDay
	off := func(from, to string) {
		for d := metering.MustDate(from); d <= metering.MustDate(to); d++ {
			rows = append(rows, CalendarDay{Day: d, Kind: DayHoliday, Name: "holiday"})
		}
	}
	on := func(days ...string) {
		for _, d := range days {
			rows = append(rows, CalendarDay{Day: metering.MustDate(d), Kind: DayWorkday, Name: "调休"})
		}
	}
	off("2022-12-31", "2023-01-02")
	off("2023-01-21", "2023-01-27")
	off("2023-04-05", "2023-04-05")
	off("2023-04-29", "2023-05-03")
	off("2023-06-22", "2023-06-24")
	off("2023-09-29", "2023-10-06")
	on("2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08")
	off("2024-01-01", "2024-01-01")
	off("2024-02-10", "2024-02-17")
	off("2024-04-04", "2024-04-06")
	off("2024-05-01", "2024-05-05")
	off("2024-06-10", "2024-06-10")
	off("2024-09-15", "2024-09-17")
	off("2024-10-01", "2024-10-07")
	on("2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12")
	off("2025-01-01", "2025-01-01")
	off("2025-01-28", "2025-02-04")
	off("2025-04-04", "2025-04-06")
	off("2025-05-01", "2025-05-05")
	off("2025-05-31", "2025-06-02")
	off("2025-10-01", "2025-10-08")
	on("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")
	off("2026-01-01", "2026-01-03")
	off("2026-02-15", "2026-02-23")
	off("2026-04-04", "2026-04-06")
	off("2026-05-01", "2026-05-05")
	off("2026-06-19", "2026-06-21")
	off("2026-09-25", "2026-09-27")
	off("2026-10-01", "2026-10-07")
	on("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
	return rows
}

func TestCalendarWorkdaysPerYear(t *testing.T) {
	cal := NewCalendar(prcCalendar(t))
	for year, want := range map[int]int{2023: 249, 2024: 251, 2025: 248, 2026: 248} {
		t.Run(metering.YearStart(year).String(), func(t *testing.T) {
			n, err := cal.WorkdaysBetween(metering.YearStart(year).AddDays(-1), metering.YearEnd(year).AddDays(-1))
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("%d working days in %d, want %d", n, year, want)
			}
		})
	}
}

func TestCalendarAddWorkdays(t *testing.T) {
	cal := NewCalendar(prcCalendar(t))
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2025-09-30", 2, "2025-10-10"}, // 10-01..10-08 off, 10-09 Thu, 10-10 Fri
		{"2024-02-08", 2, "2024-02-18"}, // 02-09 Fri, 02-10..17 off, 02-18 a 调休 Sunday
		{"2024-06-03", 0, "2024-06-03"},
		{"2024-06-07", 1, "2024-06-11"}, // Fri → Mon 06-10 is 端午 → Tue
		{"2023-12-29", 2, "2024-01-03"}, // crosses years: 2024-01-01 off
	} {
		t.Run(tc.from, func(t *testing.T) {
			got, err := cal.AddWorkdays(metering.MustDate(tc.from), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("%s + %d = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}
}

func TestCalendarMissingYear(t *testing.T) {
	cal := NewCalendar(prcCalendar(t))
	_, err := cal.IsWorkday(metering.MustDate("2027-03-01"))
	var ym *YearMissingError
	if !errors.As(err, &ym) || ym.Year != 2027 || !strings.Contains(err.Error(), "2027") {
		t.Fatalf("error %v, want one naming 2027", err)
	}
	if _, err := cal.AddWorkdays(metering.MustDate("2026-12-30"), 3); err == nil {
		t.Fatal("adding into 2027 succeeded without a 2027 calendar")
	}
	if ok, err := cal.IsWorkday(metering.MustDate("2024-02-18")); !ok || err != nil {
		t.Fatalf("2024-02-18 (调休 Sunday) workday=%v err=%v", ok, err)
	}
}
