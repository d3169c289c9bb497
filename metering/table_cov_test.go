package metering

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// covGzip compresses s.
func covGzip(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// covGB18030 encodes s in GB18030.
func covGB18030(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b)
}

// covRead reads every row of tb as "line:col=value,…" strings and every
// problem as its Error text, in file order.
func covRead(t testing.TB, tb *Table) (rows, problems []string) {
	t.Helper()
	for {
		r, err := tb.Next()
		if err == io.EOF {
			return rows, problems
		}
		if err != nil {
			var p Problem
			if !errors.As(err, &p) {
				t.Fatalf("Next: %v is not a Problem", err)
			}
			problems = append(problems, p.Error())
			continue
		}
		var parts []string
		for _, c := range tb.Header() {
			parts = append(parts, c+"="+r.Get(c))
		}
		rows = append(rows, strings.Join(append([]string{strconv.Itoa(r.Line)}, parts...), " "))
	}
}

func TestCovProblemError(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Problem
		want string
	}{
		{"row and column", Problem{File: "u.csv", Line: 7, Column: "quantity", Reason: "empty"}, "u.csv:7: quantity: empty"},
		{"row only", Problem{File: "u.csv", Line: 7, Reason: "3 fields, header has 4"}, "u.csv:7: 3 fields, header has 4"},
		{"whole file", Problem{File: "u.csv", Reason: "empty file: no header"}, "u.csv: empty file: no header"},
		// Line 0 with a column still names line 0: the column form wins.
		{"column of the whole file", Problem{File: "u.csv", Column: "day", Reason: "x"}, "u.csv:0: day: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
	ps := Problems{{File: "a.csv", Line: 2, Column: "x", Reason: "r1"}, {File: "a.csv", Line: 3, Reason: "r2"}}
	if got, want := ps.Error(), "a.csv:2: x: r1\na.csv:3: r2"; got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
	if (Problems{}).Error() != "" {
		t.Error("no problems print something")
	}
}

func TestCovTableEncodings(t *testing.T) {
	const text = "code,name\n140213,平城区\n140221,阳高县\n"
	for _, tc := range []struct {
		name     string
		data     []byte
		enc      Encoding
		gzipped  bool
		problems int
	}{
		{"utf-8", []byte(text), EncodingUTF8, false, 0},
		{"utf-8 with BOM", append([]byte("\xef\xbb\xbf"), text...), EncodingUTF8BOM, false, 0},
		{"gb18030", covGB18030(t, text), EncodingGB18030, false, 0},
		{"gzipped utf-8", covGzip(t, text), EncodingUTF8, true, 0},
		{"gzipped BOM", covGzip(t, "\xef\xbb\xbf"+text), EncodingUTF8BOM, true, 0},
		{"gzipped gb18030", covGzip(t, string(covGB18030(t, text))), EncodingGB18030, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("districts.csv", bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			defer tb.Close()
			if tb.Encoding != tc.enc || tb.Gzipped != tc.gzipped || tb.Format != FormatCSV {
				t.Errorf("encoding %s gzipped %v format %s, want %s %v csv", tb.Encoding, tb.Gzipped, tb.Format, tc.enc, tc.gzipped)
			}
			if err := tb.Require(DistrictColumns...); err != nil {
				t.Errorf("Require: %v (BOM left in the header?)", err)
			}
			rows, problems := covRead(t, tb)
			want := []string{"2 code=140213 name=平城区", "3 code=140221 name=阳高县"}
			if strings.Join(rows, "|") != strings.Join(want, "|") || len(problems) != tc.problems {
				t.Errorf("rows %q problems %q, want %q", rows, problems, want)
			}
		})
	}
}

func TestCovTableASCIIIsUTF8(t *testing.T) {
	tb, err := NewTable("a.csv", strings.NewReader("a,b\n1,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Encoding != EncodingUTF8 || tb.Gzipped {
		t.Errorf("encoding %s gzipped %v", tb.Encoding, tb.Gzipped)
	}
}

func TestCovTableFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "x.csv: empty file: no header"},
		{"only a BOM", []byte("\xef\xbb\xbf"), "x.csv: empty file: no header"},
		{"empty gzip", covGzip(t, ""), "x.csv: empty file: no header"},
		{"bad gzip", []byte("\x1f\x8bnot really gzip"), "x.csv: bad gzip stream: gzip: invalid header"},
		{"unreadable header", []byte("a\"b,c\n1,2\n"), `x.csv:1: unreadable header: parse error on line 1, column 2: bare " in non-quoted-field`},
		{"first JSON line is not an object", []byte("{day: 1}\n"), "x.csv:1: not a JSON object: invalid character 'd' looking for beginning of object key string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTable("x.csv", bytes.NewReader(tc.data))
			var p Problem
			if !errors.As(err, &p) {
				t.Fatalf("error %v, want a Problem", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestCovTableRequire(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		want   string // Problems text, "" when the header is right
	}{
		{"exact", "day,resource_id,item_code,quantity", ""},
		{"free order", "quantity,item_code,day,resource_id", ""},
		{"spaces around names", " day , resource_id ,item_code,quantity ", ""},
		{"missing", "day,resource_id,item_code", "u.csv:1: quantity: missing column"},
		{"unknown", "day,resource_id,item_code,quantity,unit", "u.csv:1: unit: unknown column"},
		{"repeated", "day,resource_id,item_code,quantity,day", "u.csv:1: day: repeated column"},
		{"misspelt: missing and unknown", "Day,resource_id,item_code,quantity",
			"u.csv:1: day: missing column\nu.csv:1: Day: unknown column"},
		{"repeated unknown", "day,resource_id,item_code,quantity,x,x",
			"u.csv:1: x: unknown column\nu.csv:1: x: unknown column\nu.csv:1: x: repeated column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("u.csv", strings.NewReader(tc.header+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			err = tb.Require(UsageColumns...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Require: %v", err)
				}
				if !tb.HasColumns(UsageColumns...) {
					t.Error("HasColumns false for a header Require accepts")
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v, want Problems", err)
			}
			if err.Error() != tc.want {
				t.Errorf("Require:\n%s\nwant\n%s", err, tc.want)
			}
			for _, p := range ps {
				if p.Line != 1 || p.File != "u.csv" {
					t.Errorf("problem %+v not on the header line", p)
				}
			}
		})
	}
}

func TestCovTableHasColumns(t *testing.T) {
	tb, err := NewTable("a.csv", strings.NewReader("b,a\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cols []string
		want bool
	}{
		{"same set", []string{"a", "b"}, true},
		{"fewer", []string{"a"}, false},
		{"more", []string{"a", "b", "c"}, false},
		{"same count, other name", []string{"a", "c"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tb.HasColumns(tc.cols...); got != tc.want {
				t.Errorf("HasColumns(%v) = %v, want %v", tc.cols, got, tc.want)
			}
		})
	}
	if h := tb.Header(); strings.Join(h, ",") != "b,a" {
		t.Errorf("Header() = %v, want file order b,a", h)
	}
}

func TestCovTableCSVRows(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		rows     []string
		problems []string
	}{
		{"quoted empty line is blank", "a,b\n1,2\n\"\"\n3,4\n",
			[]string{"2 a=1 b=2", "4 a=3 b=4"}, nil},
		{"empty lines", "a,b\n\n1,2\n\n\n3,4\n",
			[]string{"3 a=1 b=2", "6 a=3 b=4"}, nil},
		{"CRLF", "a,b\r\n1,2\r\n3,4\r\n",
			[]string{"2 a=1 b=2", "3 a=3 b=4"}, nil},
		{"quoted comma and a field over two lines: the row's first line", "a,b\n\"x,y\",\"two\nlines\"\n5,6\n",
			[]string{"2 a=x,y b=two\nlines", "4 a=5 b=6"}, nil},
		{"too many fields", "a,b\n1,2,3\n4,5\n",
			[]string{"3 a=4 b=5"}, []string{"x.csv:2: 3 fields, header has 2"}},
		{"too few fields", "a,b\n1\n4,5\n",
			[]string{"3 a=4 b=5"}, []string{"x.csv:2: 1 fields, header has 2"}},
		{"bad quote, then reading goes on", "a,b\n1,2\n3,x\"y\n5,6\n",
			[]string{"2 a=1 b=2", "4 a=5 b=6"}, []string{`x.csv:3: bare " in non-quoted-field`}},
		{"no rows", "a,b\n", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("x.csv", strings.NewReader(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			rows, problems := covRead(t, tb)
			if strings.Join(rows, "|") != strings.Join(tc.rows, "|") {
				t.Errorf("rows %q, want %q", rows, tc.rows)
			}
			if strings.Join(problems, "|") != strings.Join(tc.problems, "|") {
				t.Errorf("problems %q, want %q", problems, tc.problems)
			}
		})
	}
}

func TestCovTableRowRawAndProblem(t *testing.T) {
	tb, err := NewTable("x.csv", strings.NewReader("a,b\n\"1\", 2\n1,2,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := tb.Next()
	if err != nil {
		t.Fatal(err)
	}
	if r.Raw() != `"1", 2` { // as read: quotes and space kept
		t.Errorf("Raw() = %q", r.Raw())
	}
	if r.Get("missing") != "" || r.Get("b") != " 2" {
		t.Errorf("Get: missing %q, b %q", r.Get("missing"), r.Get("b"))
	}
	p := r.Problem("b", "%q is odd", r.Get("b"))
	if p.Error() != `x.csv:2: b: " 2" is odd` || p.Raw != `"1", 2` {
		t.Errorf("Problem %+v", p)
	}
	_, err = tb.Next()
	var wrong Problem
	if !errors.As(err, &wrong) || wrong.Raw != "1,2,3" || wrong.Line != 3 {
		t.Errorf("short row problem %+v (%v), want its raw text", wrong, err)
	}
}

// A file whose head is valid UTF-8 and that later holds bytes that are
// neither: the row is a problem naming the column, and reading goes on.
func TestCovTableInvalidUTF8AfterTheWindow(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name,n\n")
	n := 0
	for b.Len() <= encodingWindow {
		b.WriteString("云主机,1\n")
		n++
	}
	b.WriteString("\xff\xfe,2\n")
	b.WriteString("磁盘,3\n")
	tb, err := NewTable("x.csv", &b)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Encoding != EncodingUTF8 {
		t.Fatalf("encoding %s, want utf-8", tb.Encoding)
	}
	rows, problems := covRead(t, tb)
	// header on line 1, n good rows on lines 2…n+1, the bad one on n+2
	if want := "x.csv:" + strconv.Itoa(n+2) + ": name: not valid UTF-8 or GB18030 text"; len(problems) != 1 || problems[0] != want {
		t.Errorf("problems %q, want [%s]", problems, want)
	}
	if len(rows) != n+1 || rows[n] != strconv.Itoa(n+3)+" name=磁盘 n=3" {
		t.Errorf("%d rows, last %q", len(rows), rows[len(rows)-1])
	}
}

func TestCovTableInvalidUTF8RawIsValid(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name,n\n")
	for b.Len() <= encodingWindow {
		b.WriteString("云主机,1\n")
	}
	b.WriteString("a\xffb,2\n")
	tb, err := NewTable("x.csv", &b)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := tb.Next()
		if err == io.EOF {
			t.Fatal("no problem for the invalid row")
		}
		var p Problem
		if errors.As(err, &p) {
			if p.Raw != "a\uFFFDb,2" {
				t.Errorf("raw %q, want the row with U+FFFD", p.Raw)
			}
			return
		}
	}
}

func TestCovTableReadError(t *testing.T) {
	disk := errors.New("disk gone")
	t.Run("csv", func(t *testing.T) {
		tb, err := NewTable("x.csv", io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(disk)))
		if err != nil {
			t.Fatal(err)
		}
		rows, problems := covReadN(t, tb, 2)
		if len(rows) != 1 || len(problems) != 1 || problems[0] != "x.csv:3: disk gone" {
			t.Errorf("rows %q problems %q", rows, problems)
		}
	})
	t.Run("jsonl", func(t *testing.T) {
		tb, err := NewTable("x.jsonl", io.MultiReader(strings.NewReader(`{"a":"1"}`+"\n"), iotest.ErrReader(disk)))
		if err != nil {
			t.Fatal(err)
		}
		rows, problems := covReadN(t, tb, 2)
		if len(rows) != 1 || len(problems) != 1 || problems[0] != "x.jsonl:2: disk gone" {
			t.Errorf("rows %q problems %q", rows, problems)
		}
	})
}

// covReadN is covRead for a reader that never reaches EOF: it stops after n calls.
func covReadN(t testing.TB, tb *Table, n int) (rows, problems []string) {
	t.Helper()
	for i := 0; i < n; i++ {
		r, err := tb.Next()
		switch {
		case err == io.EOF:
			return rows, problems
		case err != nil:
			problems = append(problems, err.Error())
		default:
			rows = append(rows, r.Raw())
		}
	}
	return rows, problems
}

func TestCovJSONLines(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		header   string
		rows     []string
		problems []string
	}{
		{"keys sorted into the header", `{"quantity":4,"day":"2024-01-01","resource_id":"R1","item_code":"VCPU"}` + "\n",
			"day,item_code,quantity,resource_id",
			[]string{"1 day=2024-01-01 item_code=VCPU quantity=4 resource_id=R1"}, nil},
		{"scalars: number text kept, bool, null", `{"a":"x","n":1.50,"b":true,"z":null}` + "\n" + `{"a":"y","n":-2,"b":false,"z":"s"}`,
			"a,b,n,z",
			[]string{"1 a=x b=true n=1.50 z=", "2 a=y b=false n=-2 z=s"}, nil},
		{"blank lines skipped, lines still counted", `{"a":"1"}` + "\n\n   \n" + `{"a":"2"}` + "\n",
			"a",
			[]string{"1 a=1", "4 a=2"}, nil},
		{"CRLF", "{\"a\":\"1\"}\r\n{\"a\":\"2\"}\r\n", "a", []string{"1 a=1", "2 a=2"}, nil},
		{"unknown field", `{"a":"1"}` + "\n" + `{"a":"2","b":"3"}` + "\n" + `{"a":"4"}`,
			"a", []string{"1 a=1", "3 a=4"}, []string{"x.jsonl:2: b: unknown field"}},
		{"missing field", `{"a":"1","b":"2"}` + "\n" + `{"a":"3"}` + "\n",
			"a,b", []string{"1 a=1 b=2"}, []string{"x.jsonl:2: b: missing field"}},
		{"array value", `{"a":"1"}` + "\n" + `{"a":[1,2]}` + "\n",
			"a", []string{"1 a=1"}, []string{"x.jsonl:2: a: not a scalar value"}},
		{"object value", `{"a":"1"}` + "\n" + `{"a":{"b":1}}` + "\n",
			"a", []string{"1 a=1"}, []string{"x.jsonl:2: a: not a scalar value"}},
		{"not JSON", `{"a":"1"}` + "\n" + `a=2` + "\n" + `{"a":"3"}` + "\n",
			"a", []string{"1 a=1", "3 a=3"}, []string{"x.jsonl:2: not a JSON object: invalid character 'a' looking for beginning of value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("x.jsonl", strings.NewReader(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if tb.Format != FormatJSONLines {
				t.Errorf("format %s", tb.Format)
			}
			if h := strings.Join(tb.Header(), ","); h != tc.header {
				t.Errorf("header %s, want %s", h, tc.header)
			}
			rows, problems := covRead(t, tb)
			if strings.Join(rows, "|") != strings.Join(tc.rows, "|") {
				t.Errorf("rows %q, want %q", rows, tc.rows)
			}
			if strings.Join(problems, "|") != strings.Join(tc.problems, "|") {
				t.Errorf("problems %q, want %q", problems, tc.problems)
			}
		})
	}
}

func TestCovJSONLinesRawAndEncodings(t *testing.T) {
	line := `{"code":"140213","name":"平城区"}`
	for _, tc := range []struct {
		name    string
		data    []byte
		enc     Encoding
		gzipped bool
	}{
		{"utf-8", []byte(line + "\n"), EncodingUTF8, false},
		{"BOM", []byte("\xef\xbb\xbf" + line + "\n"), EncodingUTF8BOM, false},
		{"gzip", covGzip(t, line+"\n"), EncodingUTF8, true},
		{"gb18030 gzip", covGzip(t, string(covGB18030(t, line+"\n"))), EncodingGB18030, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("d.jsonl", bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			defer tb.Close()
			if tb.Encoding != tc.enc || tb.Gzipped != tc.gzipped || tb.Format != FormatJSONLines {
				t.Errorf("encoding %s gzipped %v format %s", tb.Encoding, tb.Gzipped, tb.Format)
			}
			if err := tb.Require(DistrictColumns...); err != nil {
				t.Error(err)
			}
			r, err := tb.Next()
			if err != nil {
				t.Fatal(err)
			}
			if r.Raw() != line || r.Get("name") != "平城区" {
				t.Errorf("raw %q name %q", r.Raw(), r.Get("name"))
			}
			if _, err := tb.Next(); err != io.EOF {
				t.Errorf("after the last row: %v", err)
			}
		})
	}
	tb, err := NewTable("d.jsonl", strings.NewReader(`{"code":"1"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Require(DistrictColumns...); err == nil || err.Error() != "d.jsonl:1: name: missing column" {
		t.Errorf("Require on a JSON table without name: %v", err)
	}
}

func TestCovOpenTableAndFindTable(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csvPath := write("districts.csv", []byte("code,name\n140213,平城区\n"))
	gzPath := write("events.csv.gz", covGzip(t, "resource_id,event,at,item_code,quantity,ref\nr,applied,2024-01-02T10:00:00+08:00,,,\n"))
	jsonPath := write("scores.jsonl", []byte(`{"provider_code":"P1"}`+"\n"))
	write("empty.csv", nil)

	t.Run("open csv", func(t *testing.T) {
		tb, err := OpenTable(csvPath)
		if err != nil {
			t.Fatal(err)
		}
		if tb.Name != csvPath {
			t.Errorf("name %q, want the path as given", tb.Name)
		}
		rows, _ := covRead(t, tb)
		if len(rows) != 1 {
			t.Errorf("rows %q", rows)
		}
		if err := tb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("open gzip", func(t *testing.T) {
		tb, err := OpenTable(gzPath)
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Gzipped || !tb.HasColumns(EventColumns...) {
			t.Errorf("gzipped %v header %v", tb.Gzipped, tb.Header())
		}
		r, err := tb.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e, ps := ParseEvent(r); len(ps) != 0 || e.Kind != EventApplied {
			t.Errorf("event %+v %v", e, ps)
		}
		if err := tb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := OpenTable(filepath.Join(dir, "nope.csv"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		_, err := OpenTable(filepath.Join(dir, "empty.csv"))
		if err == nil || !strings.HasSuffix(err.Error(), "empty.csv: empty file: no header") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("find", func(t *testing.T) {
		for _, tc := range []struct{ base, want string }{
			{"districts", csvPath},
			{"events", gzPath},
			{"scores", jsonPath},
			{"calendar", ""},
		} {
			if got := FindTable(dir, tc.base); got != tc.want {
				t.Errorf("FindTable(%s) = %q, want %q", tc.base, got, tc.want)
			}
		}
	})
	t.Run("csv before csv.gz before jsonl", func(t *testing.T) {
		d := t.TempDir()
		for _, n := range []string{"x.jsonl", "x.csv.gz", "x.json.gz"} {
			if err := os.WriteFile(filepath.Join(d, n), []byte("a\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := FindTable(d, "x"); got != filepath.Join(d, "x.csv.gz") {
			t.Errorf("FindTable = %s, want x.csv.gz", got)
		}
		if err := os.WriteFile(filepath.Join(d, "x.csv"), []byte("a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := FindTable(d, "x"); got != filepath.Join(d, "x.csv") {
			t.Errorf("FindTable = %s, want x.csv", got)
		}
	})
}
