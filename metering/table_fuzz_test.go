package metering

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The limits of the fuzz targets: small, so that the fuzzer reaches them.
var fuzzOptions = Options{MaxLineBytes: 64, MaxRawBytes: 32}

// checkProblem fails t when p carries more than the limits allow or bytes
// that are not text.
func checkProblem(t *testing.T, p Problem) {
	t.Helper()
	if len(p.Raw) > fuzzOptions.MaxRawBytes {
		t.Errorf("raw of %d bytes: %q", len(p.Raw), p.Raw)
	}
	for _, s := range []string{p.Raw, p.Column, p.Reason} {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Errorf("problem %q carries bytes that are not text", p.Error())
		}
	}
}

// FuzzTable reads any bytes as a usage file: no panic, no value longer than
// the line limit or with bytes that are not text, no raw text over its cap,
// and every call to Next moves on.
func FuzzTable(f *testing.F) {
	usage := "day,resource_id,item_code,quantity\n2024-01-01,vm-1,VCPU,4\n2024-01-02,vm-1,VCPU,8\n"
	for _, s := range [][]byte{
		[]byte(usage),
		[]byte("\xef\xbb\xbf" + usage),
		covGzip(f, usage),
		covGB18030(f, "day,resource_id,item_code,quantity\n2024-01-01,云主机-1,VCPU,十二\n"),
		[]byte(`{"day":"2024-01-01","resource_id":"vm-1","item_code":"VCPU","quantity":4}` + "\n" + `{"day":"2024-01-01","day":"x","quantity":[1]}` + "\n"),
		[]byte("quantity,day,item_code,resource_id\n\"4\",\"2024-01-01\",\"VC\nPU\",\"vm\"\"1\"\n1,x\"y,3,4\n"),
		[]byte(usage + strings.Repeat("9", 100) + "\n2024-01-03,vm-1,VCPU,4\n"),
		[]byte(usage + "2024-01-03,vm\x00,VCPU,4\n2024-01-03,vm\xff,VCPU,4\n=1,+2,-3,@4\n"),
		[]byte("day,resource_id,item_code,quantity,day\n"),
		[]byte("\"open\n"),
		{},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := NewTableWith("f", bytes.NewReader(data), fuzzOptions)
		if err != nil {
			var p Problem
			if !errors.As(err, &p) {
				t.Fatalf("NewTable: %v is not a Problem", err)
			}
			checkProblem(t, p)
			return
		}
		defer tb.Close()
		for _, c := range tb.Header() {
			if len(c) > fuzzOptions.MaxLineBytes || !utf8.ValidString(c) || strings.IndexByte(c, 0) >= 0 {
				t.Errorf("column %q", c)
			}
		}
		tb.Require(UsageColumns...)
		size := len(data)
		if tb.Gzipped {
			zr, _ := gzip.NewReader(bytes.NewReader(data))
			n, _ := io.Copy(io.Discard, zr)
			size = int(n)
		}
		for calls := 0; ; calls++ {
			if calls > size+1 {
				t.Fatalf("%d calls to Next on %d bytes", calls, size)
			}
			row, err := tb.Next()
			if err == io.EOF {
				return
			}
			var p Problem
			var re *ReadError
			switch {
			case errors.As(err, &p):
				checkProblem(t, p)
				continue
			case errors.As(err, &re):
				checkProblem(t, re.Problem)
				if _, again := tb.Next(); again != err {
					t.Errorf("after %v, Next gives %v", err, again)
				}
				return
			case err != nil:
				t.Fatalf("Next: %v is not a Problem", err)
			}
			if len(row.Fields) != len(tb.Header()) {
				t.Errorf("%d fields, header has %d", len(row.Fields), len(tb.Header()))
			}
			for _, v := range row.Fields {
				if len(v) > fuzzOptions.MaxLineBytes || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
					t.Errorf("value %q", v)
				}
			}
			if len(row.Raw()) > fuzzOptions.MaxLineBytes {
				t.Errorf("raw row of %d bytes", len(row.Raw()))
			}
			u, ps := ParseUsage(row)
			for _, p := range ps {
				checkProblem(t, p)
			}
			if len(ps) == 0 && (CheckCode(u.ResourceID) != nil || CheckCode(u.ItemCode) != nil) {
				t.Errorf("usage %+v passed with a formula code", u)
			}
		}
	})
}

// FuzzScanJSON checks the fast JSON reader against encoding/json: a line it
// accepts is valid JSON and reads to the same keys and values.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{
		`{"day":"2024-01-01","resource_id":"vm-1","item_code":"VCPU","quantity":4}`,
		`{"a":-0.5e+3,"b":true,"c":false,"d":null,"e":"x\"y\u4e91"}`,
		`{ "a" : 1 , "b":"2" }`, `{}`, `{"a":01}`, `{"a":[1]}`, `{"a":1}x`, `{"a":"\x01"}`, "{\"a\":\"\xff\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if !utf8.ValidString(line) {
			return // invalid bytes reject the row whichever reader reads it
		}
		tb := &Table{}
		fast, ok := tb.scanJSON(line)
		if !ok {
			return
		}
		fast = append([]jsonPair(nil), fast...)
		if !json.Valid([]byte(line)) {
			t.Fatalf("%q accepted, but it is not JSON", line)
		}
		slow, err := (&Table{}).walkJSON([]byte(line))
		if err != nil {
			t.Fatalf("%q accepted, but walkJSON: %v", line, err)
		}
		if !slices.Equal(fast, slow) {
			t.Errorf("%q:\nfast %+v\nslow %+v", line, fast, slow)
		}
	})
}
