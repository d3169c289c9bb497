package reference

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/metering"
)

// fuzzOptions are small limits, so that the fuzzer reaches them.
var fuzzOptions = metering.Options{MaxLineBytes: 96, MaxRawBytes: 32}

// fuzzSep separates the files of a fuzz input, in the order of Tables.
const fuzzSep = "\x1e"

// fuzzFS makes a reference set of data: the files of Tables in order,
// separated by fuzzSep; a file whose part starts with '{' is named .jsonl,
// the others .csv (the reader decides by content anyway); missing parts
// are missing files.
func fuzzFS(data []byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i, part := range bytes.SplitN(data, []byte(fuzzSep), len(Tables)) {
		name := Tables[i] + ".csv"
		if bytes.HasPrefix(part, []byte("{")) {
			name = Tables[i] + ".jsonl"
		}
		fsys[name] = &fstest.MapFile{Data: part}
	}
	return fsys
}

func fuzzSeed(set map[string][2][]string, edit func(table string, file []byte) []byte) []byte {
	var parts [][]byte
	for _, table := range Tables {
		t := set[table]
		file := []byte(strings.Join(t[0], ",") + "\n" + strings.Join(t[1], ",") + "\n")
		if edit != nil {
			file = edit(table, file)
		}
		parts = append(parts, file)
	}
	return bytes.Join(parts, []byte(fuzzSep))
}

// FuzzRead reads any bytes as a reference set: no panic, every problem's raw
// text within its cap and every value read within the line limit, text
// without NUL, and no code that starts like a formula.
func FuzzRead(f *testing.F) {
	f.Add(fuzzSeed(validSet(), nil))
	f.Add(fuzzSeed(validSet(), func(table string, file []byte) []byte {
		if table == "districts" {
			return []byte(`{"code":"140200","name":"市本级"}` + "\n" + `{"code":"1","code":"2","name":[1]}` + "\n")
		}
		return file
	}))
	f.Add(fuzzSeed(validSet(), func(table string, file []byte) []byte {
		var b bytes.Buffer
		switch table {
		case "providers":
			zw := gzip.NewWriter(&b)
			zw.Write(file)
			zw.Close()
			return b.Bytes()
		case "systems":
			gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes(file)
			return gb
		case "resources":
			return append(file, "R2,S1,P1,vm,\"web\n"+strings.Repeat("x", 120)+"\"\nR3,S1,P1,vm,a\x00b\nR4,S1,P1,vm,a\xffb\n"...)
		case "catalogue":
			return bytes.Replace(file, []byte("VCPU"), []byte("=VCPU"), 1)
		case "scores":
			return bytes.Replace(file, []byte("P1"), []byte("@P1"), 1)
		}
		return file
	}))
	f.Add([]byte("code,name\n" + fuzzSep + "\x1f\x8b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, ps := ReadWith(fuzzFS(data), "", fuzzOptions)
		for _, p := range ps {
			if len(p.Raw) > fuzzOptions.MaxRawBytes {
				t.Errorf("raw of %d bytes: %q", len(p.Raw), p.Raw)
			}
			for _, x := range []string{p.Raw, p.Column} {
				if !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 {
					t.Errorf("problem %q carries bytes that are not text", p.Error())
				}
			}
		}
		checkStrings(t, reflect.ValueOf(s).Elem(), "")
	})
}

// checkStrings walks v and checks every string in it: at most the line
// limit, valid UTF-8 without NUL, and, in a code field (db tag code, id,
// *_code, *_id), no formula start.
func checkStrings(t *testing.T, v reflect.Value, tag string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if len(s) > fuzzOptions.MaxLineBytes || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Errorf("%s: value %q", tag, s)
		}
		if tag == "code" || tag == "id" || strings.HasSuffix(tag, "_code") || strings.HasSuffix(tag, "_id") {
			if err := metering.CheckCode(s); err != nil {
				t.Errorf("%s %q read: %v", tag, s, err)
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				checkStrings(t, v.Field(i), v.Type().Field(i).Tag.Get("db"))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkStrings(t, v.Index(i), tag)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			checkStrings(t, it.Key(), "")
			checkStrings(t, it.Value(), "")
		}
	}
}
