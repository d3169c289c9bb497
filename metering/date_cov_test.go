package metering

import (
	"database/sql/driver"
	"strings"
	"testing"
	"time"
)

func TestCovParseDateString(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		days int // days since 1970-01-01
	}{
		{"epoch", "1970-01-01", 0},
		{"day before epoch", "1969-12-31", -1},
		// 2000-01-01: 30 years of 365 days + 7 leap days (72 76 80 84 88 92 96) = 10957
		{"y2k", "2000-01-01", 10957},
		// 2024-01-01: 2000-01-01 + 24×365 + 6 leap days (00 04 08 12 16 20) = 10957 + 8766 = 19723
		{"2024 new year", "2024-01-01", 19723},
		// 2024-02-29: 19723 + 31 (January) + 28 = 19782
		{"2024 leap day", "2024-02-29", 19782},
		{"1900 start", "1900-01-01", -25567}, // 70 years back: 70×365 + 17 leap days (1904…1968) = 25567
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDate(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if int(d) != tc.days {
				t.Errorf("ParseDate(%q) = %d days, want %d", tc.in, int(d), tc.days)
			}
			if d.String() != tc.in {
				t.Errorf("String() = %q, want %q", d.String(), tc.in)
			}
		})
	}
}

func TestCovParseDateRejects(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"1900 is not a leap year (÷100, not ÷400)", "1900-02-29"},
		{"2023 is not a leap year", "2023-02-29"},
		{"2100 is not a leap year", "2100-02-29"},
		{"day 0", "2024-01-00"},
		{"month 0", "2024-00-01"},
		{"month 13", "2024-13-01"},
		{"June has 30 days", "2024-06-31"},
		{"slashes", "2024/01/01"},
		{"sign in year", "+024-01-01"},
		{"letter in day", "2024-01-0x"},
		{"letter in month", "2024-0x-01"},
		{"letter in year", "2x24-01-01"},
		{"trailing space", "2024-01-01 "},
		{"timestamp", "2024-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDate(tc.in)
			if err == nil {
				t.Fatalf("ParseDate(%q) accepted", tc.in)
			}
			if !strings.Contains(err.Error(), "is not a date (YYYY-MM-DD)") {
				t.Errorf("error %q does not say what a date is", err)
			}
		})
	}
	for _, ok := range []string{"2000-02-29", "2024-02-29", "1600-02-29"} { // ÷400 and ÷4 years are leap
		if _, err := ParseDate(ok); err != nil {
			t.Errorf("ParseDate(%q): %v", ok, err)
		}
	}
}

func TestCovMustDatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustDate of a bad date did not panic")
		}
	}()
	MustDate("2024-02-30")
}

func TestCovNewDateNormalises(t *testing.T) {
	for _, tc := range []struct {
		name string
		y    int
		m    time.Month
		d    int
		want string
	}{
		{"plain", 2024, time.March, 5, "2024-03-05"},
		{"day 0 is the last of the previous month", 2024, time.March, 0, "2024-02-29"},
		{"month 13 is January of the next year", 2024, 13, 1, "2025-01-01"},
		{"day 32 of December", 2023, time.December, 32, "2024-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewDate(tc.y, tc.m, tc.d).String(); got != tc.want {
				t.Errorf("NewDate(%d, %d, %d) = %s, want %s", tc.y, tc.m, tc.d, got, tc.want)
			}
		})
	}
}

func TestCovDateParts(t *testing.T) {
	for _, tc := range []struct {
		date    string
		year    int
		month   time.Month
		day     int
		weekday time.Weekday
	}{
		{"2024-02-18", 2024, time.February, 18, time.Sunday}, // a 调休 Sunday
		{"2024-10-12", 2024, time.October, 12, time.Saturday},
		{"2025-09-30", 2025, time.September, 30, time.Tuesday},
		{"1970-01-01", 1970, time.January, 1, time.Thursday},
	} {
		t.Run(tc.date, func(t *testing.T) {
			d := MustDate(tc.date)
			if d.Year() != tc.year || d.Month() != tc.month || d.Day() != tc.day || d.Weekday() != tc.weekday {
				t.Errorf("%s: %d %s %d %s, want %d %s %d %s", tc.date, d.Year(), d.Month(), d.Day(), d.Weekday(), tc.year, tc.month, tc.day, tc.weekday)
			}
		})
	}
}

func TestCovAddDaysSub(t *testing.T) {
	for _, tc := range []struct {
		name string
		from string
		n    int
		want string
	}{
		{"zero", "2024-06-30", 0, "2024-06-30"},
		{"into the leap day", "2024-02-28", 1, "2024-02-29"},
		{"over the leap day", "2024-02-28", 2, "2024-03-01"},
		{"no leap day in 2023", "2023-02-28", 1, "2023-03-01"},
		{"back over a year end", "2024-01-01", -1, "2023-12-31"},
		{"a leap year is 366 days", "2024-01-01", 366, "2025-01-01"},
		{"1900 has no leap day", "1900-02-28", 1, "1900-03-01"},
		{"2000 has one", "2000-02-28", 1, "2000-02-29"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := MustDate(tc.from)
			got := from.AddDays(tc.n)
			if got.String() != tc.want {
				t.Fatalf("%s + %d = %s, want %s", tc.from, tc.n, got, tc.want)
			}
			if got.Sub(from) != tc.n {
				t.Errorf("%s − %s = %d, want %d", got, from, got.Sub(from), tc.n)
			}
		})
	}
}

func TestCovDaysInMonthAndYear(t *testing.T) {
	t.Run("months of 2024", func(t *testing.T) {
		// 31 29 31 30 31 30 31 31 30 31 30 31, sum 366
		want := []int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
		sum := 0
		for m := time.January; m <= time.December; m++ {
			got := NewDate(2024, m, 15).DaysInMonth()
			if got != want[m-1] {
				t.Errorf("2024-%02d has %d days, want %d", m, got, want[m-1])
			}
			sum += got
		}
		if sum != 366 {
			t.Errorf("months of 2024 add up to %d, want 366", sum)
		}
	})
	for _, tc := range []struct {
		name     string
		feb      string
		febDays  int
		yearDays int
	}{
		{"2023 common", "2023-02-01", 28, 365},
		{"2024 leap (÷4)", "2024-02-01", 29, 366},
		{"1900 common (÷100)", "1900-02-01", 28, 365},
		{"2000 leap (÷400)", "2000-02-01", 29, 366},
		{"2100 common (÷100)", "2100-02-01", 28, 365},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustDate(tc.feb)
			if d.DaysInMonth() != tc.febDays {
				t.Errorf("February %d has %d days, want %d", d.Year(), d.DaysInMonth(), tc.febDays)
			}
			if d.DaysInYear() != tc.yearDays || DaysInYear(d.Year()) != tc.yearDays {
				t.Errorf("%d has %d/%d days, want %d", d.Year(), d.DaysInYear(), DaysInYear(d.Year()), tc.yearDays)
			}
		})
	}
	if MustDate("2024-12-31").DaysInMonth() != 31 {
		t.Error("December 2024 (month 13 wraps into 2025) is not 31 days")
	}
}

func TestCovYearBounds(t *testing.T) {
	for _, tc := range []struct {
		year       int
		start, end string
		days       int
	}{
		{2023, "2023-01-01", "2024-01-01", 365},
		{2024, "2024-01-01", "2025-01-01", 366},
		{1900, "1900-01-01", "1901-01-01", 365},
		{2000, "2000-01-01", "2001-01-01", 366},
	} {
		t.Run(tc.start, func(t *testing.T) {
			s, e := YearStart(tc.year), YearEnd(tc.year)
			if s.String() != tc.start || e.String() != tc.end {
				t.Errorf("[%s, %s), want [%s, %s)", s, e, tc.start, tc.end)
			}
			if e.Sub(s) != tc.days {
				t.Errorf("year %d spans %d days, want %d", tc.year, e.Sub(s), tc.days)
			}
		})
	}
}

func TestCovDateOfAndStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   string
		want string
	}{
		{"rules.md §1: 17:30 UTC on June 30 is July 1", "2024-06-30T17:30:00Z", "2024-07-01"},
		{"last second of June 30 in Shanghai", "2024-06-30T15:59:59.999999999Z", "2024-06-30"},
		{"Shanghai midnight", "2024-06-30T16:00:00Z", "2024-07-01"},
		{"offset −05:00", "2024-06-30T10:59:59-05:00", "2024-06-30"},                    // 15:59:59Z
		{"offset +09:00 a day ahead of UTC", "2024-07-01T00:30:00+09:00", "2024-06-30"}, // 23:30 Shanghai
		{"year end", "2024-12-31T16:00:00Z", "2025-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, err := ParseInstant(tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := DateOf(at).String(); got != tc.want {
				t.Errorf("DateOf(%s) = %s, want %s", tc.at, got, tc.want)
			}
		})
	}
	// 2024-07-01 begins at 00:00 +08:00 = 2024-06-30T16:00:00Z.
	start := MustDate("2024-07-01").Start()
	if want := time.Date(2024, 6, 30, 16, 0, 0, 0, time.UTC); !start.Equal(want) {
		t.Errorf("Start = %s, want %s", start, want)
	}
	if DateOf(start) != MustDate("2024-07-01") || DateOf(start.Add(-time.Nanosecond)) != MustDate("2024-06-30") {
		t.Error("Start is not the first instant of its day")
	}
	if tm := MustDate("2024-07-01").Time(); tm.Location() != time.UTC || tm.Hour() != 0 || tm.Format(dateLayout) != "2024-07-01" {
		t.Errorf("Time() = %s, want midnight UTC", tm)
	}
}

func TestCovParseInstant(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"Z", "2024-06-30T17:30:00Z", true},
		{"offset", "2024-06-30T17:30:00+08:00", true},
		{"fraction", "2024-06-30T17:30:00.123456789+08:00", true},
		{"no offset", "2024-06-30T17:30:00", false},
		{"space instead of T", "2024-06-30 17:30:00Z", false},
		{"date only", "2024-06-30", false},
		{"hour 24", "2024-06-30T24:00:00Z", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInstant(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseInstant(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "RFC 3339") {
				t.Errorf("error %q does not name the format", err)
			}
		})
	}
}

func TestCovMustLoadFallsBack(t *testing.T) {
	loc := mustLoad("No/Such_Zone")
	_, off := time.Date(2024, 7, 1, 0, 0, 0, 0, loc).Zone()
	if off != 8*3600 {
		t.Errorf("fallback zone offset %d s, want 28800 (UTC+8)", off)
	}
	if Shanghai.String() != "Asia/Shanghai" {
		t.Errorf("Shanghai is %s (tzdata not embedded?)", Shanghai)
	}
}

func TestCovDateText(t *testing.T) {
	d := MustDate("2024-02-29")
	b, err := d.MarshalText()
	if err != nil || string(b) != "2024-02-29" {
		t.Fatalf("MarshalText = %q, %v", b, err)
	}
	var back Date
	if err := back.UnmarshalText(b); err != nil || back != d {
		t.Errorf("UnmarshalText(%q) = %s, %v", b, back, err)
	}
	back = d
	if err := back.UnmarshalText([]byte("2024-02-30")); err == nil {
		t.Error("UnmarshalText accepted 2024-02-30")
	}
	if back != d {
		t.Errorf("a failed UnmarshalText changed the date to %s", back)
	}
	v, err := d.Value()
	if err != nil || v != driver.Value("2024-02-29") {
		t.Errorf("Value = %v, %v", v, err)
	}
}

func TestCovDateScan(t *testing.T) {
	want := MustDate("2024-03-01")
	for _, tc := range []struct {
		name string
		src  any
		ok   bool
	}{
		{"days since epoch (int64)", int64(want), true},
		{"time.Time", time.Date(2024, 3, 1, 23, 59, 0, 0, time.UTC), true},
		{"time.Time keeps its own calendar date", time.Date(2024, 3, 1, 1, 0, 0, 0, Shanghai), true},
		{"text", "2024-03-01", true},
		{"text with time", "2024-03-01 00:00:00+00", true},
		{"bytes", []byte("2024-03-01"), true},
		{"bytes with time", []byte("2024-03-01T00:00:00Z"), true},
		{"bad text", "2024-3-1", false},
		{"bad bytes", []byte("yesterday"), false},
		{"float", 1.5, false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Date
			err := d.Scan(tc.src)
			if (err == nil) != tc.ok {
				t.Fatalf("Scan(%v) error %v, want ok=%v", tc.src, err, tc.ok)
			}
			if tc.ok && d != want {
				t.Errorf("Scan(%v) = %s, want %s", tc.src, d, want)
			}
		})
	}
	var d Date
	if err := d.Scan(3.0); err == nil || !strings.Contains(err.Error(), "float64") {
		t.Errorf("Scan(float64) error %v, want one naming the type", err)
	}
}

func TestCovNullDate(t *testing.T) {
	t.Run("invalid", func(t *testing.T) {
		var n NullDate
		if v, err := n.Value(); v != nil || err != nil {
			t.Errorf("Value = %v, %v; want nil, nil", v, err)
		}
		if n.String() != "" {
			t.Errorf("String = %q, want empty", n.String())
		}
	})
	t.Run("valid", func(t *testing.T) {
		n := NullDate{Date: MustDate("2024-07-01"), Valid: true}
		if v, err := n.Value(); v != driver.Value("2024-07-01") || err != nil {
			t.Errorf("Value = %v, %v", v, err)
		}
		if n.String() != "2024-07-01" {
			t.Errorf("String = %q", n.String())
		}
	})
	t.Run("scan nil clears", func(t *testing.T) {
		n := NullDate{Date: MustDate("2024-07-01"), Valid: true}
		if err := n.Scan(nil); err != nil || n.Valid || n.Date != 0 {
			t.Errorf("Scan(nil) = %+v, %v", n, err)
		}
	})
	t.Run("scan text", func(t *testing.T) {
		var n NullDate
		if err := n.Scan("2024-07-01"); err != nil || !n.Valid || n.Date != MustDate("2024-07-01") {
			t.Errorf("Scan = %+v, %v", n, err)
		}
	})
	t.Run("scan bad", func(t *testing.T) {
		var n NullDate
		if err := n.Scan(true); err == nil {
			t.Errorf("Scan(true) accepted: %+v", n)
		}
	})
}
