package metering

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// readAll reads every row and problem of tb; rows as covRead prints them,
// problems as their Error text.
func readAll(t testing.TB, tb *Table) (rows, problems []string, raws []string) {
	t.Helper()
	for {
		r, err := tb.Next()
		if err == io.EOF {
			return rows, problems, raws
		}
		if err != nil {
			var p Problem
			if !errors.As(err, &p) {
				t.Fatalf("Next: %v is not a Problem", err)
			}
			problems = append(problems, p.Error())
			raws = append(raws, p.Raw)
			continue
		}
		var parts []string
		for _, c := range tb.Header() {
			parts = append(parts, c+"="+r.Get(c))
		}
		rows = append(rows, fmt.Sprintf("%d %s", r.Line, strings.Join(parts, " ")))
	}
}

func TestTableLongRecords(t *testing.T) {
	opts := Options{MaxLineBytes: 64, MaxRawBytes: 16}
	long := strings.Repeat("长", 30) // 90 bytes
	for _, tc := range []struct {
		name, in string
		rows     []string
		problems []string
	}{
		{"csv line", "a,b\n1,2\n" + long + ",x\n3,4\n",
			[]string{"2 a=1 b=2", "4 a=3 b=4"}, []string{"x:3: line longer than 64 bytes"}},
		{"csv record over lines", "a,b\n\"" + long[:45] + "\n" + long[:45] + "\",x\n3,4\n",
			[]string{"4 a=3 b=4"}, []string{"x:2: record longer than 64 bytes"}},
		{"jsonl line", `{"a":"1","b":"2"}` + "\n" + `{"a":"` + long + `","b":"x"}` + "\n" + `{"a":"3","b":"4"}` + "\n",
			[]string{"1 a=1 b=2", "3 a=3 b=4"}, []string{"x:2: line longer than 64 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTableWith("x", strings.NewReader(tc.in), opts)
			if err != nil {
				t.Fatal(err)
			}
			rows, problems, raws := readAll(t, tb)
			if strings.Join(rows, "|") != strings.Join(tc.rows, "|") || strings.Join(problems, "|") != strings.Join(tc.problems, "|") {
				t.Errorf("rows %q problems %q, want %q %q", rows, problems, tc.rows, tc.problems)
			}
			for _, r := range raws {
				if len(r) > 16 || !strings.HasPrefix(strings.TrimLeft(r, `{"a:`), "长") {
					t.Errorf("raw %q: want the first 16 bytes at most, cut between characters", r)
				}
			}
		})
	}
	t.Run("header", func(t *testing.T) {
		for _, in := range []string{long + "\n1\n", `{"` + long + `":1}` + "\n"} {
			_, err := NewTableWith("x", strings.NewReader(in), opts)
			if err == nil || !strings.HasSuffix(err.Error(), "line longer than 64 bytes") || !strings.HasPrefix(err.Error(), "x:1: ") {
				t.Errorf("%.10q: error %v, want the file refused at line 1", in, err)
			}
		}
	})
}

// A gzip of a few hundred kilobytes that inflates to one line of 200 MB
// is one rejected row, read in flat memory; the rows around it are kept.
func TestTableHugeLineInFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 200 MB")
	}
	for _, tc := range []struct {
		name, before, fill, after string
	}{
		{"csv", "day,resource_id,item_code,quantity\n2024-01-01,R1,VCPU,4\n2024-01-01,R2,", "9", ",4\n2024-01-01,R3,VCPU,4\n"},
		{"csv quoted", "day,resource_id,item_code,quantity\n2024-01-01,R1,VCPU,4\n2024-01-01,R2,\"", "\"\"\n", "\",4\n2024-01-01,R3,VCPU,4\n"},
		{"jsonl", `{"day":"2024-01-01","resource_id":"R1","item_code":"VCPU","quantity":"4"}` + "\n" + `{"day":"2024-01-01","resource_id":"`, "9",
			`","item_code":"VCPU","quantity":"4"}` + "\n" + `{"day":"2024-01-01","resource_id":"R3","item_code":"VCPU","quantity":"4"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const size = 200 << 20
			r := hugeGzip(t, tc.before, tc.fill, size, tc.after)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			tb, err := NewTable("big", r)
			if err != nil {
				t.Fatal(err)
			}
			rows, problems, raws := readAll(t, tb)
			runtime.ReadMemStats(&after)
			if len(rows) != 2 || len(problems) != 1 || !strings.HasSuffix(problems[0], "longer than 1048576 bytes") {
				t.Errorf("rows %q problems %q", rows, problems)
			}
			if len(raws) == 1 && len(raws[0]) > DefaultMaxRawBytes {
				t.Errorf("raw of %d bytes kept", len(raws[0]))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("reading allocated %d MB", alloc>>20)
			}
			if after.HeapAlloc > before.HeapAlloc+64<<20 {
				t.Errorf("heap grew from %d to %d MB", before.HeapAlloc>>20, after.HeapAlloc>>20)
			}
		})
	}
}

// hugeGzip streams a gzip of before, fill repeated up to size bytes, and
// after: a multi-member gzip whose middle member, one MiB of fill
// compressed once, is repeated.
func hugeGzip(t *testing.T, before, fill string, size int, after string) io.Reader {
	t.Helper()
	block := bytes.Repeat([]byte(fill), (1<<20)/len(fill))
	mid := covGzip(t, string(block))
	parts := []io.Reader{bytes.NewReader(covGzip(t, before))}
	for n := 0; n < size; n += len(block) {
		parts = append(parts, bytes.NewReader(mid))
	}
	parts = append(parts, bytes.NewReader(covGzip(t, after)))
	return io.MultiReader(parts...)
}

func TestTableNUL(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"csv", "a,b\n1,x\x00y\n2,z\n", []string{"x:2: b: NUL byte in field"}},
		{"csv quoted", "a,b\n\"1\x00\",x\n2,z\n", []string{"x:2: a: NUL byte in field"}},
		{"jsonl raw", `{"a":"1","b":"z"}` + "\n" + "{\"a\":\"\x00\",\"b\":\"z\"}\n", []string{"x:2: NUL byte in field"}},
		{"jsonl escaped", `{"a":"1","b":"z"}` + "\n" + `{"a":"x\u0000","b":"z"}` + "\n", []string{"x:2: a: NUL byte in field"}},
		{"jsonl escaped in a key", `{"a":"1","b":"z"}` + "\n" + `{"a\u0000":"1","b":"z"}` + "\n", []string{"x:2: NUL byte in field"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("x", strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			rows, problems, raws := readAll(t, tb)
			if strings.Join(problems, "|") != strings.Join(tc.want, "|") || len(rows) != 1 {
				t.Errorf("rows %q problems %q, want %q", rows, problems, tc.want)
			}
			for _, r := range raws {
				if strings.IndexByte(r, 0) >= 0 {
					t.Errorf("raw %q holds NUL", r)
				}
			}
		})
	}
	t.Run("header", func(t *testing.T) {
		for _, in := range []string{"a,b\x00\n1,2\n", `{"a\u0000":"1"}` + "\n"} {
			if _, err := NewTable("x", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "NUL byte in field") {
				t.Errorf("%q: %v", in, err)
			}
		}
		for _, in := range []string{"a,b\xff\n1,2\n", "{\"a\xff\":\"1\"}\n"} {
			if _, err := NewTable("x", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "not valid UTF-8 or GB18030 text") {
				t.Errorf("%q: %v", in, err)
			}
		}
	})
}

// The encoding: GB18030 only for text that is plausibly Chinese in
// GB18030 and not UTF-8; UTF-8 with stray bytes stays UTF-8, the rows
// holding them rejected and the others kept intact.
func TestTableEncodingDecision(t *testing.T) {
	names := "code,name\n140200,大同市\n140213,平城区\n140214,云冈区\n140221,阳高县\n"
	stray := "code,name\n140200,大同市\n140213,平城\xff区\n140214,云冈区\n140221,阳高县\n"
	latin1 := "code,name\n1,Caf\xe9\n2,plain\n"
	for _, tc := range []struct {
		name     string
		data     []byte
		enc      Encoding
		rows     int
		problems []string
	}{
		{"utf-8", []byte(names), EncodingUTF8, 4, nil},
		{"gb18030", covGB18030(t, names), EncodingGB18030, 4, nil},
		{"utf-8 with a stray byte", []byte(stray), EncodingUTF8, 3, []string{"x.csv:3: name: not valid UTF-8 or GB18030 text"}},
		{"utf-8 with a stray lead byte", []byte(strings.Replace(names, "平城区", "平\xe5城区", 1)), EncodingUTF8, 3, []string{"x.csv:3: name: not valid UTF-8 or GB18030 text"}},
		{"utf-8 cut in the middle of a character", []byte(strings.Replace(names, "阳高县", "阳高\xe5\x8e", 1)), EncodingUTF8, 3, []string{"x.csv:5: name: not valid UTF-8 or GB18030 text"}},
		{"gb18030 with a stray byte", bytes.Replace(covGB18030(t, names), covGB18030(t, "平城区"), append(covGB18030(t, "平城"), 0xff), 1), EncodingGB18030, 3,
			[]string{"x.csv:3: name: not valid UTF-8 or GB18030 text"}},
		{"gb18030, two characters only", covGB18030(t, "code,quantity\n1,十二\n"), EncodingGB18030, 1, nil},
		{"latin-1", []byte(latin1), EncodingUTF8, 1, []string{"x.csv:2: name: not valid UTF-8 or GB18030 text"}},
		{"utf-8 decided late", []byte(asciiRows(encodingWindow) + stray[len("code,name\n"):]), EncodingUTF8, 0, []string{"name: not valid UTF-8 or GB18030 text"}},
		{"gb18030 decided late", append([]byte(asciiRows(encodingWindow)), covGB18030(t, names[len("code,name\n"):])...), EncodingGB18030, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("x.csv", bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			rows, problems, _ := readAll(t, tb)
			if tb.Encoding != tc.enc {
				t.Errorf("encoding %s, want %s", tb.Encoding, tc.enc)
			}
			if tc.rows > 0 && len(rows) != tc.rows {
				t.Errorf("%d rows, want %d: %q", len(rows), tc.rows, rows)
			}
			if len(problems) != len(tc.problems) {
				t.Fatalf("problems %q, want %q", problems, tc.problems)
			}
			for i, p := range problems {
				if !strings.HasSuffix(p, tc.problems[i]) {
					t.Errorf("problem %q, want %q", p, tc.problems[i])
				}
			}
			for _, r := range rows {
				if strings.ContainsAny(r, "澶甯\uFFFD") {
					t.Errorf("row %q is mojibake", r)
				}
			}
			if tc.enc == EncodingGB18030 && tc.rows > 1 && !strings.Contains(strings.Join(rows, "|"), "name=云冈区") {
				t.Errorf("rows %q: 云冈区 not decoded", rows)
			}
		})
	}
}

// asciiRows is a districts header and ASCII rows of at least n bytes.
func asciiRows(n int) string {
	var b strings.Builder
	b.WriteString("code,name\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%06d,district %d\n", i, i)
	}
	return b.String()
}

// What the encoding rule says of text, in a window: the text of the
// fixtures and mojibake of it.
func TestLooksGB18030(t *testing.T) {
	utf := "大同市,平城区,云冈区,新荣区,阳高县,天镇县,广灵县,灵丘县,浑源县,左云县,云州区,山西大同经济开发区,市本级,计算,存储,网络,安全,云主机,核·年,ＧＢ（月）"
	gb := string(covGB18030(t, utf))
	for _, tc := range []struct {
		name string
		win  string
		want bool
	}{
		{"utf-8", utf, false},
		{"gb18030", gb, true},
		{"utf-8 and one stray byte", utf + "\xff", false},
		{"utf-8 with stray bytes all along", strings.ReplaceAll(utf, ",", "\xa0,"), false},
		{"gb18030 and one stray byte", gb + "\xff", true},
		{"ascii", "plain text", false},
		{"latin-1", "Caf\xe9 cr\xe8me br\xfbl\xe9e", false},
		{"gb18030 cut at the end of the window", gb[:len(gb)-1], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := looksGB18030([]byte(tc.win)); got != tc.want {
				var s encodingStats
				s.add([]byte(tc.win), true)
				t.Errorf("looksGB18030 = %v, want %v (%+v)", got, tc.want, s)
			}
		})
	}
}

func TestJSONRepeatedKeys(t *testing.T) {
	row := func(day string) string {
		return `{"day":"` + day + `","resource_id":"R1","item_code":"VCPU","quantity":4}`
	}
	repeated := `{"day":"2024-01-01","day":"2024-01-02","resource_id":"R1","item_code":"VCPU","quantity":4}`
	for _, tc := range []struct {
		name, in string
		rows     int
		problems []string
	}{
		{"a later row", row("2024-01-01") + "\n" + repeated + "\n" + row("2024-01-03") + "\n", 2, []string{"u.jsonl:2: day: repeated key"}},
		{"the first row", repeated + "\n" + row("2024-01-03") + "\n", 1, []string{"u.jsonl:1: day: repeated key"}},
		{"the same value twice", row("2024-01-01") + "\n" + `{"quantity":4,"day":"2024-01-01","resource_id":"R1","item_code":"VCPU","quantity":4}` + "\n", 1,
			[]string{"u.jsonl:2: quantity: repeated key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("u.jsonl", strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := tb.Require(UsageColumns...); err != nil {
				t.Fatalf("Require: %v", err)
			}
			rows, problems, _ := readAll(t, tb)
			if len(rows) != tc.rows || strings.Join(problems, "|") != strings.Join(tc.problems, "|") {
				t.Errorf("rows %q problems %q, want %d rows and %q", rows, problems, tc.rows, tc.problems)
			}
		})
	}
	t.Run("csv header", func(t *testing.T) {
		tb, err := NewTable("u.csv", strings.NewReader("day,resource_id,item_code,quantity,day\n2024-01-01,R1,VCPU,4,2024-01-02\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Require(UsageColumns...); err == nil || err.Error() != "u.csv:1: day: repeated column" {
			t.Errorf("Require: %v", err)
		}
		if tb.HasColumns(UsageColumns...) {
			t.Error("HasColumns accepts a repeated column")
		}
	})
}

func TestJSONLinesShape(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
	}{
		{"text after the object", `{"a":"1"} x`, "x:2: not a JSON object: invalid character 'x' after top-level value"},
		{"two objects", `{"a":"1"}{"a":"2"}`, "x:2: not a JSON object: invalid character '{' after top-level value"},
		{"an array", `[1]`, "x:2: not a JSON object: an array"},
		{"nested values are skipped to the next key", `{"a":[1,{"b":[2]}],"c":"3"}`, "x:2: a: not a scalar value"},
		{"invalid UTF-8 in a value", "{\"a\":\"x\xffy\"}", "x:2: a: not valid UTF-8 or GB18030 text"},
		{"invalid UTF-8 in a key", "{\"a\xff\":\"1\"}", "x:2: not valid UTF-8 or GB18030 text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := NewTable("x", strings.NewReader(`{"a":"0"}`+"\n"+tc.line+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, problems, _ := readAll(t, tb)
			if len(problems) != 1 || problems[0] != tc.want {
				t.Errorf("problems %q, want %q", problems, tc.want)
			}
		})
	}
	t.Run("a bad value in the first row rejects the row only", func(t *testing.T) {
		tb, err := NewTable("x", strings.NewReader(`{"a":[1],"b":"2"}`+"\n"+`{"a":"1","b":"2"}`+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		rows, problems, _ := readAll(t, tb)
		if strings.Join(tb.Header(), ",") != "a,b" || len(rows) != 1 || len(problems) != 1 || problems[0] != "x:1: a: not a scalar value" {
			t.Errorf("header %v rows %q problems %q", tb.Header(), rows, problems)
		}
	})
}

func TestProblemRawIsCutText(t *testing.T) {
	tb, err := NewTableWith("x", strings.NewReader("a,b\n"+strings.Repeat("云", 10)+",\x00\n"), Options{MaxRawBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, _, raws := readAll(t, tb)
	if len(raws) != 1 || raws[0] != "云云云" {
		t.Errorf("raws %q, want the first whole characters within 10 bytes", raws)
	}
	p := tb.problem(1, "", "r", "ab\x00c\xff")
	if p.Raw != "ab\uFFFDc\uFFFD" {
		t.Errorf("raw %q", p.Raw)
	}
}
