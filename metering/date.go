package metering

import (
	"database/sql/driver"
	"fmt"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on machines without tzdata
)

// Shanghai is the time zone of every business date.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// China has kept UTC+8 without daylight saving since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Date is a civil date in Asia/Shanghai, counted in days since 1970-01-01.
// Arithmetic on dates is integer arithmetic on days.
type Date int32

const dateLayout = "2006-01-02"

// NewDate returns the date y-m-d; out-of-range parts normalise like time.Date.
func NewDate(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses YYYY-MM-DD strictly.
func ParseDate(s string) (Date, error) {
	d, ok := parseCivil(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return d, nil
}

// parseCivil reads YYYY-MM-DD (a real day of the proleptic Gregorian
// calendar) with integer arithmetic: millions of stored days are read this
// way, and time.Parse costs several times as much.
func parseCivil(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(t string) (int, bool) {
		n := 0
		for i := 0; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	if d > [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m] && !(m == 2 && leap && d == 29) {
		return 0, false
	}
	// days from civil (H. Hinnant), 1970-01-01 = 0
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468), true
}

// MustDate parses s or panics; for tests and constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the civil date of instant t in Asia/Shanghai.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Shanghai).Date()
	return NewDate(y, m, d)
}

// ParseInstant parses an RFC 3339 timestamp with an offset.
func ParseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp with offset", s)
	}
	return t, nil
}

// Time returns midnight UTC of d (a neutral carrier for calendar fields).
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Start returns the instant d begins in Asia/Shanghai.
func (d Date) Start() time.Time {
	y, m, dd := d.Time().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, Shanghai)
}

func (d Date) String() string    { return d.Time().Format(dateLayout) }
func (d Date) Year() int         { return d.Time().Year() }
func (d Date) Month() time.Month { return d.Time().Month() }
func (d Date) Day() int          { return d.Time().Day() }
func (d Date) Weekday() time.Weekday {
	return d.Time().Weekday()
}

// AddDays returns d + n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Sub returns d − e in days.
func (d Date) Sub(e Date) int { return int(d - e) }

// DaysInYear is 365 or 366.
func (d Date) DaysInYear() int { return DaysInYear(d.Year()) }

// DaysInMonth is the length of d's month.
func (d Date) DaysInMonth() int {
	y, m := d.Year(), d.Month()
	return int(NewDate(y, m+1, 1) - NewDate(y, m, 1))
}

// DaysInYear is 365 or 366.
func DaysInYear(y int) int { return int(NewDate(y+1, 1, 1) - NewDate(y, 1, 1)) }

// YearStart and YearEnd bound a calendar year: [YearStart, YearEnd).
func YearStart(y int) Date { return NewDate(y, 1, 1) }
func YearEnd(y int) Date   { return NewDate(y+1, 1, 1) }

// MarshalText and UnmarshalText use YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores a date as YYYY-MM-DD (TEXT on SQLite, DATE on PostgreSQL).
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads a DATE (time.Time) or YYYY-MM-DD text.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case int64: // days since 1970-01-01 (store selects them so on PostgreSQL)
		*d = Date(v)
		return nil
	case time.Time:
		y, m, dd := v.Date()
		*d = NewDate(y, m, dd)
		return nil
	case string:
		if len(v) > 10 {
			v = v[:10]
		}
		return d.UnmarshalText([]byte(v))
	case []byte:
		if len(v) > 10 {
			v = v[:10]
		}
		return d.UnmarshalText(v)
	}
	return fmt.Errorf("cannot scan %T into a date", src)
}

// NullDate is an optional date (a release date that has not happened).
type NullDate struct {
	Date  Date
	Valid bool
}

func (n NullDate) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return n.Date.String(), nil
}

func (n *NullDate) Scan(src any) error {
	if src == nil {
		*n = NullDate{}
		return nil
	}
	n.Valid = true
	return n.Date.Scan(src)
}

func (n NullDate) String() string {
	if !n.Valid {
		return ""
	}
	return n.Date.String()
}
