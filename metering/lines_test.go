package metering

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// split is one record as split: its first line and fields, or its error.
type split struct {
	line   int
	fields []string
	err    string
}

func (s split) String() string {
	if s.err != "" {
		return fmt.Sprintf("%d: error %s", s.line, s.err)
	}
	return fmt.Sprintf("%d: %q", s.line, s.fields)
}

// splitOurs splits in with the table's record reader, through a read
// buffer of 16 bytes so that records cross buffer boundaries.
func splitOurs(t testing.TB, in string, max int) []split {
	t.Helper()
	tb := &Table{Name: "x.csv", opts: Options{MaxLineBytes: max}.withDefaults(), Encoding: EncodingUTF8, decided: true,
		src: bufio.NewReaderSize(strings.NewReader(in), 16)}
	var out []split
	for {
		rec, start, err := tb.readRecord(true)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if tb.long {
			out = append(out, split{line: start, err: tb.longReason()})
			continue
		}
		if _, err := tb.splitCSV(rec); err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a csv.ParseError", err)
			}
			out = append(out, split{line: start, err: pe.Err.Error()})
			continue
		}
		out = append(out, split{line: start, fields: slices.Clone(tb.fields)})
	}
}

// splitStd splits in with encoding/csv.
func splitStd(t testing.TB, in string) []split {
	t.Helper()
	r := csv.NewReader(strings.NewReader(in))
	r.FieldsPerRecord = -1
	var out []split
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			out = append(out, split{line: pe.StartLine, err: pe.Err.Error()})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		line, _ := r.FieldPos(0)
		out = append(out, split{line: line, fields: slices.Clone(rec)})
	}
}

func sameSplits(a, b []split) bool {
	return slices.EqualFunc(a, b, func(x, y split) bool {
		return x.line == y.line && x.err == y.err && slices.Equal(x.fields, y.fields)
	})
}

// The record reader splits CSV as encoding/csv does: the same records,
// the same fields, the same errors on the same lines, and reading goes on
// where encoding/csv goes on.
func TestSplitLikeEncodingCSV(t *testing.T) {
	for _, in := range []string{
		"a,b\n1,2\n",
		"a,b\n1,2",
		"a,b\r\n1,2\r\n",
		"a,b\r\n1,2\r",
		"\n\na,b\n\n\n1,2\n\r\n3,4\n",
		`a,"b,c",d` + "\n",
		`"a""b",c` + "\n",
		`"",""` + "\n" + `""` + "\n",
		"\"two\nlines\",x\n5,6\n",
		"\"two\r\nlines\",x\r\n5,6\r\n",
		"\"three\n\nlines\"\n7\n",
		"1,x\"y\n5,6\n",
		"1,\"x\"y\n5,6\n",
		"\"open\n1,2\n3,4\n",
		"\"open at the end",
		"\"a\"\r\n",
		"\"a\"\rb\nc\n",
		"\"a\"\r",
		"a\rb,c\n",
		",,\n,\n",
		" \"a\",b\n",
		"\"a\" ,b\n",
		"\"a\nb\"x\nnext\n",
		"x,\"a\nb\",\"c\"\n\"d\n",
		strings.Repeat("abcdefgh,", 10) + "\n" + strings.Repeat("\"ab\"\"cd\",", 10) + "\n",
		"\"" + strings.Repeat("0123456789", 5) + "\"\n",
	} {
		t.Run(fmt.Sprintf("%.20q", in), func(t *testing.T) {
			ours, std := splitOurs(t, in, 0), splitStd(t, in)
			if !sameSplits(ours, std) {
				t.Errorf("input %q\nours %v\nstd  %v", in, ours, std)
			}
		})
	}
}

// A record longer than the limit is one problem; the records around it,
// and the line numbers after it, are as without it.
func TestSplitLongRecords(t *testing.T) {
	long := strings.Repeat("x", 40)
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"a long line", "a,b\n" + long + "\n1,2\n", []string{`1: ["a" "b"]`, "2: error line longer than 32 bytes", `3: ["1" "2"]`}},
		{"the line end does not count", "a\n" + long[:32] + "\r\n" + long[:33] + "\n1\n",
			[]string{`1: ["a"]`, `2: ["` + long[:32] + `"]`, "3: error line longer than 32 bytes", `4: ["1"]`}},
		{"a long last line", "a\n" + long, []string{`1: ["a"]`, "2: error line longer than 32 bytes"}},
		{"a quoted field over lines, long in total", "a\n\"" + long[:20] + "\n" + long[:20] + "\"\nb\n",
			[]string{`1: ["a"]`, "2: error record longer than 32 bytes", `4: ["b"]`}},
		{"a long line holding quotes", "a\n\"x\",\"" + long + "\"\"\",y\nb\n",
			[]string{`1: ["a"]`, "2: error line longer than 32 bytes", `3: ["b"]`}},
		{"a quote left open: the rest of the file", "a\n\"" + long + "\n1\n2\n", []string{`1: ["a"]`, "2: error record longer than 32 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range splitOurs(t, tc.in, 32) {
				got = append(got, s.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// FuzzSplitCSV checks the record reader against encoding/csv on any input.
func FuzzSplitCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"a\"\"b\",\"c\nd\"\r\n", "1,x\"y\n5,6\n", "\"open\n", "\"a\"\rb\n", "\n\r\n,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// a hang is a crash, so that the fuzzer keeps the input
		tm := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("hang on %q", in)) })
		defer tm.Stop()
		ours, std := splitOurs(t, in, len(in)+1), splitStd(t, in)
		if !sameSplits(ours, std) {
			t.Errorf("input %q\nours %v\nstd  %v", in, ours, std)
		}
	})
}
