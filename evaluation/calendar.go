package evaluation

import (
	"fmt"
	"time"

	"cloudbill/metering"
)

// Calendar answers whether a day is a working day under the PRC holiday
// arrangement loaded from calendar.csv: Monday–Friday are working days
// unless listed as holidays, Saturday and Sunday are off unless listed as
// 调休 working days. A year is covered when it has at least one calendar
// row dated before 1 December (docs/rules.md §7: a row of late December
// may belong to the next year's arrangement, whose 元旦 it starts); asking
// about a year that is not covered is an error, never a weekend-only
// guess.
type Calendar struct {
	years map[int]bool
	kinds map[metering.Date]DayKind
}

// NewCalendar indexes calendar rows. A later row for the same day replaces
// an earlier one.
func NewCalendar(days []CalendarDay) *Calendar {
	c := &Calendar{years: map[int]bool{}, kinds: make(map[metering.Date]DayKind, len(days))}
	for _, d := range days {
		if d.Day.Month() < time.December {
			c.years[d.Day.Year()] = true
		}
		c.kinds[d.Day] = d.Kind
	}
	return c
}

// YearMissingError says the calendar has no rows for a year.
type YearMissingError struct{ Year int }

func (e *YearMissingError) Error() string {
	return fmt.Sprintf("working-day calendar has no rows for %d: load that year's holiday arrangement into calendar.csv", e.Year)
}

// Covers reports whether year has at least one calendar row before
// December.
func (c *Calendar) Covers(year int) bool { return c.years[year] }

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d metering.Date) (bool, error) {
	if !c.years[d.Year()] {
		return false, &YearMissingError{Year: d.Year()}
	}
	switch c.kinds[d] {
	case DayHoliday:
		return false, nil
	case DayWorkday:
		return true, nil
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// AddWorkdays returns the n-th working day after d (n ≥ 0): counting starts
// on the working day after d, so AddWorkdays(d, 0) is d itself.
func (c *Calendar) AddWorkdays(d metering.Date, n int) (metering.Date, error) {
	for n > 0 {
		d = d.AddDays(1)
		ok, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// WorkdaysBetween counts the working days e with from < e ≤ to (0 when
// to ≤ from): the working days late of something due on from and done on to.
func (c *Calendar) WorkdaysBetween(from, to metering.Date) (int, error) {
	n := 0
	for d := from.AddDays(1); d <= to; d = d.AddDays(1) {
		ok, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
