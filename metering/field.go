package metering

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Fields parses the columns of one row and collects a Problem for every
// column that does not parse, so a row reports all its faults at once.
type Fields struct {
	Row      *Row
	Problems []Problem
}

// Fail records a problem for col.
func (f *Fields) Fail(col, format string, args ...any) {
	f.Problems = append(f.Problems, f.Row.Problem(col, format, args...))
}

// OK reports whether no problem was found.
func (f *Fields) OK() bool { return len(f.Problems) == 0 }

// Text returns the trimmed value of col; required ones may not be empty.
func (f *Fields) Text(col string, required bool) string {
	v := strings.TrimSpace(f.Row.Get(col))
	if required && v == "" {
		f.Fail(col, "empty")
	}
	return v
}

// Code returns the trimmed value of col as a code or id: required ones may
// not be empty, and none may start like a spreadsheet formula (CheckCode).
func (f *Fields) Code(col string, required bool) string {
	v := f.Text(col, required)
	if err := CheckCode(v); err != nil {
		f.Fail(col, "%v", err)
	}
	return v
}

// Date parses col as YYYY-MM-DD.
func (f *Fields) Date(col string) Date {
	v := f.Text(col, true)
	if v == "" {
		return 0
	}
	d, err := ParseDate(v)
	if err != nil {
		f.Fail(col, "%v", err)
	}
	return d
}

// OptionalDate parses col as YYYY-MM-DD when it is not empty.
func (f *Fields) OptionalDate(col string) NullDate {
	v := f.Text(col, false)
	if v == "" {
		return NullDate{}
	}
	d, err := ParseDate(v)
	if err != nil {
		f.Fail(col, "%v", err)
		return NullDate{}
	}
	return NullDate{Date: d, Valid: true}
}

// Instant parses col as an RFC 3339 timestamp with offset.
func (f *Fields) Instant(col string) time.Time {
	v := f.Text(col, true)
	if v == "" {
		return time.Time{}
	}
	t, err := ParseInstant(v)
	if err != nil {
		f.Fail(col, "%v", err)
	}
	return t
}

// Decimal parses col as a decimal number within [min, max] (nil: unbounded).
func (f *Fields) Decimal(col string, min, max *decimal.Decimal) decimal.Decimal {
	v := f.Text(col, true)
	if v == "" {
		return decimal.Zero
	}
	d, err := ParseDecimal(v)
	if err != nil {
		f.Fail(col, "%q is not a decimal number", v)
		return decimal.Zero
	}
	if min != nil && d.LessThan(*min) {
		f.Fail(col, "%s is below %s", v, min)
	}
	if max != nil && d.GreaterThan(*max) {
		f.Fail(col, "%s is above %s", v, max)
	}
	return d
}

// Count parses col as an integer ≥ 0.
func (f *Fields) Count(col string) int64 {
	v := f.Text(col, true)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		f.Fail(col, "%q is not an integer ≥ 0", v)
	}
	return n
}

// ParseDecimal accepts plain decimal notation only (no exponent, no NaN).
func ParseDecimal(s string) (decimal.Decimal, error) {
	if s == "" || strings.ContainsAny(s, "eEnNiI_ ") {
		return decimal.Zero, strconv.ErrSyntax
	}
	return decimal.NewFromString(s)
}

var (
	// Zero and Hundred bound percentages and scores.
	Zero    = decimal.Zero
	Hundred = decimal.NewFromInt(100)
)
