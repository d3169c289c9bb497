package metering

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// covRow returns the one data row (line 2) of the CSV file name with
// header and line.
func covRow(t testing.TB, name, header, line string) *Row {
	t.Helper()
	tb, err := NewTable(name, strings.NewReader(header+"\n"+line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := tb.Next()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// covValue returns a row of the one-column file f.csv whose column col
// holds value (quoted, so that empty values and commas survive).
func covValue(t testing.TB, col, value string) *Row {
	t.Helper()
	return covRow(t, "f.csv", col, `"`+value+`"`)
}

// covProblems renders problems as "column: reason" lines, for comparison.
func covProblems(t testing.TB, ps []Problem) string {
	t.Helper()
	var out []string
	for _, p := range ps {
		out = append(out, p.Column+": "+p.Reason)
	}
	return strings.Join(out, "\n")
}

func TestCovFieldsText(t *testing.T) {
	r := covRow(t, "f.csv", "a,b,c", "  x  ,,   ")
	f := Fields{Row: r}
	if got := f.Text("a", true); got != "x" {
		t.Errorf("Text trims: %q", got)
	}
	if !f.OK() {
		t.Fatalf("problems after a good field: %v", f.Problems)
	}
	if got := f.Text("b", false); got != "" || !f.OK() {
		t.Errorf("optional empty: %q %v", got, f.Problems)
	}
	f.Text("c", true) // blanks only: empty
	f.Text("nope", true)
	if f.OK() {
		t.Fatal("required empty fields passed")
	}
	if want := "c: empty\nnope: empty"; covProblems(t, f.Problems) != want {
		t.Errorf("problems\n%s\nwant\n%s", covProblems(t, f.Problems), want)
	}
	p := f.Problems[0]
	if p.File != "f.csv" || p.Line != 2 || p.Raw != "  x  ,,   " {
		t.Errorf("problem located at %+v", p)
	}
	if p.Error() != "f.csv:2: c: empty" {
		t.Errorf("Error() = %q", p.Error())
	}
}

func TestCovFieldsFail(t *testing.T) {
	f := Fields{Row: covRow(t, "f.csv", "a", "1")}
	f.Fail("a", "%d is %s", 1, "odd")
	if !strings.Contains(Problems(f.Problems).Error(), "f.csv:2: a: 1 is odd") {
		t.Errorf("Fail formats: %v", f.Problems)
	}
}

func TestCovFieldsDate(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        string // date, "" for the zero date
		problem     string
	}{
		{"good", "2024-02-29", "2024-02-29", ""},
		{"padded", " 2024-02-29 ", "2024-02-29", ""},
		{"empty", "", "", "d: empty"},
		{"bad", "2024-02-30", "", `d: "2024-02-30" is not a date (YYYY-MM-DD)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fields{Row: covValue(t, "d", tc.value)}
			d := f.Date("d")
			if got := covProblems(t, f.Problems); got != tc.problem {
				t.Errorf("problems %q, want %q", got, tc.problem)
			}
			if tc.want != "" && d.String() != tc.want {
				t.Errorf("date %s, want %s", d, tc.want)
			}
			if tc.want == "" && d != 0 {
				t.Errorf("date %s, want the zero date", d)
			}
		})
	}
}

func TestCovFieldsOptionalDate(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        NullDate
		problem     string
	}{
		{"empty is no date", "", NullDate{}, ""},
		{"good", "2025-01-01", NullDate{Date: MustDate("2025-01-01"), Valid: true}, ""},
		{"bad", "01/01/2025", NullDate{}, `d: "01/01/2025" is not a date (YYYY-MM-DD)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fields{Row: covValue(t, "d", tc.value)}
			got := f.OptionalDate("d")
			if got != tc.want {
				t.Errorf("OptionalDate = %+v, want %+v", got, tc.want)
			}
			if p := covProblems(t, f.Problems); p != tc.problem {
				t.Errorf("problems %q, want %q", p, tc.problem)
			}
		})
	}
}

func TestCovFieldsInstant(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		zero        bool
		problem     string
	}{
		{"good", "2024-06-30T17:30:00Z", false, ""},
		{"empty", "", true, "at: empty"},
		{"no offset", "2024-06-30T17:30:00", true, `at: "2024-06-30T17:30:00" is not an RFC 3339 timestamp with offset`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fields{Row: covValue(t, "at", tc.value)}
			got := f.Instant("at")
			if got.IsZero() != tc.zero {
				t.Errorf("Instant = %v, want zero=%v", got, tc.zero)
			}
			if p := covProblems(t, f.Problems); p != tc.problem {
				t.Errorf("problems %q, want %q", p, tc.problem)
			}
		})
	}
}

func TestCovFieldsDecimal(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		bounded     bool // [0, 100] instead of unbounded
		want        string
		problem     string
	}{
		{"plain", "12.50", false, "12.5", ""},
		{"negative unbounded", "-3", false, "-3", ""},
		{"zero at the lower bound", "0", true, "0", ""},
		{"hundred at the upper bound", "100", true, "100", ""},
		{"below", "-0.01", true, "-0.01", "q: -0.01 is below 0"},
		{"above", "100.5", true, "100.5", "q: 100.5 is above 100"},
		{"empty", "", false, "0", "q: empty"},
		{"exponent", "1e3", false, "0", `q: "1e3" is not a decimal number`},
		{"text", "four", false, "0", `q: "four" is not a decimal number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fields{Row: covValue(t, "q", tc.value)}
			var got decimal.Decimal
			if tc.bounded {
				got = f.Decimal("q", &Zero, &Hundred)
			} else {
				got = f.Decimal("q", nil, nil)
			}
			if got.String() != tc.want {
				t.Errorf("Decimal = %s, want %s", got, tc.want)
			}
			if p := covProblems(t, f.Problems); p != tc.problem {
				t.Errorf("problems %q, want %q", p, tc.problem)
			}
		})
	}
}

func TestCovFieldsCount(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        int64
		problem     string
	}{
		{"zero", "0", 0, ""},
		{"10 MiB", "10485760", 10485760, ""},
		{"max int64", "9223372036854775807", 9223372036854775807, ""},
		{"overflow", "9223372036854775808", 0, `n: "9223372036854775808" is not an integer ≥ 0`},
		{"negative", "-1", -1, `n: "-1" is not an integer ≥ 0`},
		{"fraction", "1.5", 0, `n: "1.5" is not an integer ≥ 0`},
		{"empty", "", 0, "n: empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fields{Row: covValue(t, "n", tc.value)}
			got := f.Count("n")
			if p := covProblems(t, f.Problems); p != tc.problem {
				t.Errorf("problems %q, want %q", p, tc.problem)
			}
			if tc.problem == "" && got != tc.want {
				t.Errorf("Count = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCovParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" when rejected
	}{
		{"0", "0"},
		{"0.10", "0.1"},
		{"+5", "5"},
		{".5", "0.5"},
		{"-360.00", "-360"},
		{"123456789012345678901234567890.000000001", "123456789012345678901234567890.000000001"},
		{"", ""},
		{"1e3", ""},
		{"1E3", ""},
		{"NaN", ""},
		{"nan", ""},
		{"Inf", ""},
		{"-Infinity", ""},
		{"1_000", ""},
		{"1 000", ""},
		{"1,5", ""},
		{"0x10", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDecimal(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Errorf("ParseDecimal(%q) = %s, want an error", tc.in, d)
				}
				return
			}
			if err != nil || d.String() != tc.want {
				t.Errorf("ParseDecimal(%q) = %s, %v; want %s", tc.in, d, err, tc.want)
			}
		})
	}
	if !Zero.IsZero() || Hundred.String() != "100" {
		t.Errorf("Zero %s, Hundred %s", Zero, Hundred)
	}
}
