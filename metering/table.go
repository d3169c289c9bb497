package metering

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Problem is one reason a row (or a whole file) cannot be used, reported as
// file:line: column: reason. Line 0 means the file as a whole.
type Problem struct {
	File   string
	Line   int
	Column string
	Reason string
	Raw    string
}

func (p Problem) Error() string {
	switch {
	case p.Line == 0 && p.Column == "":
		return fmt.Sprintf("%s: %s", p.File, p.Reason)
	case p.Column == "":
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Column, p.Reason)
}

// Problems is a list of problems that is itself an error.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Format names the syntax of a tabular file.
type Format string

const (
	FormatCSV       Format = "csv"
	FormatJSONLines Format = "jsonl"
)

// Encoding names the character set a file was decoded from.
type Encoding string

const (
	EncodingUTF8    Encoding = "utf-8"
	EncodingUTF8BOM Encoding = "utf-8-bom"
	EncodingGB18030 Encoding = "gb18030"
)

// Table streams the rows of one CSV or JSON Lines file, gzipped or not, in
// UTF-8 (with or without BOM) or GB18030. The encoding and format are
// detected from the content, never configured.
type Table struct {
	Name     string // the name used in problems (the path as given)
	Format   Format
	Encoding Encoding
	Gzipped  bool

	header []string
	index  map[string]int
	closer []io.Closer
	csv    *csv.Reader
	lines  *bufio.Reader
	line   int
	peeked *Row
}

// Row is one data row: its 1-based line number in the file and its fields,
// addressed by column name.
type Row struct {
	Line   int
	Fields []string
	table  *Table
	raw    string
}

// Get returns the value of column col ("" when the table lacks it).
func (r *Row) Get(col string) string {
	i, ok := r.table.index[col]
	if !ok || i >= len(r.Fields) {
		return ""
	}
	return r.Fields[i]
}

// Raw returns the row as it was read (CSV fields re-joined, or the JSON line).
func (r *Row) Raw() string {
	if r.raw != "" {
		return r.raw
	}
	return strings.Join(r.Fields, ",")
}

// Problem builds a problem located at this row and column.
func (r *Row) Problem(col, format string, args ...any) Problem {
	return Problem{File: r.table.Name, Line: r.Line, Column: col, Reason: fmt.Sprintf(format, args...), Raw: r.Raw()}
}

// OpenTable opens path and reads its header.
func OpenTable(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t, err := NewTable(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.closer = append(t.closer, f)
	return t, nil
}

// NewTable reads a table from r; name is used in problems.
func NewTable(name string, r io.Reader) (*Table, error) {
	t := &Table{Name: name}
	br := bufio.NewReaderSize(r, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, Problem{File: name, Reason: fmt.Sprintf("bad gzip stream: %v", err)}
		}
		t.Gzipped = true
		t.closer = append(t.closer, gz)
		br = bufio.NewReaderSize(gz, 256<<10)
	}
	var src io.Reader = br
	head, _ := br.Peek(encodingWindow)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		t.Encoding = EncodingUTF8BOM
	case len(head) == encodingWindow && asciiOnly(head):
		// Nothing to tell the encodings apart yet (ASCII is the same in
		// both): decide at the first byte that is not ASCII.
		t.Encoding = EncodingUTF8
		src = &lateEncoding{br: br, t: t}
	case validUTF8Prefix(head):
		t.Encoding = EncodingUTF8
	default:
		t.Encoding = EncodingGB18030
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	lines := bufio.NewReaderSize(src, 256<<10)
	first, _ := lines.Peek(1)
	if len(first) == 0 {
		return nil, Problem{File: name, Reason: "empty file: no header"}
	}
	if first[0] == '{' {
		t.Format = FormatJSONLines
		t.lines = lines
		row, err := t.nextJSON(true)
		if err != nil {
			return nil, err
		}
		t.peeked = row
		return t, nil
	}
	t.Format = FormatCSV
	t.csv = csv.NewReader(lines)
	t.csv.ReuseRecord = true
	t.csv.FieldsPerRecord = -1
	hdr, err := t.csv.Read()
	if err != nil {
		return nil, Problem{File: name, Line: 1, Reason: fmt.Sprintf("unreadable header: %v", err)}
	}
	t.line = 1
	t.setHeader(slices.Clone(hdr))
	return t, nil
}

// encodingWindow is how many bytes decide a file's encoding.
const encodingWindow = 64 << 10

func asciiOnly(b []byte) bool { return firstNonASCII(b) < 0 }

// firstNonASCII returns the index of the first byte of b that is not
// ASCII, -1 when there is none.
func firstNonASCII(b []byte) int {
	i := 0
	for ; i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0; i += 8 {
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// lateEncoding passes ASCII through until the first byte that is not
// ASCII, then decides the encoding from the window that starts there (as
// NewTable does from the start of a file) and sets t.Encoding.
type lateEncoding struct {
	br *bufio.Reader
	t  *Table
	r  io.Reader // once decided
}

func (l *lateEncoding) Read(p []byte) (int, error) {
	if l.r != nil {
		return l.r.Read(p)
	}
	if l.br.Buffered() == 0 {
		if _, err := l.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := l.br.Peek(l.br.Buffered())
	if i := firstNonASCII(buf); i != 0 {
		if i > 0 {
			buf = buf[:i]
		}
		n := copy(p, buf)
		l.br.Discard(n)
		return n, nil
	}
	if win, _ := l.br.Peek(encodingWindow); validUTF8Prefix(win) {
		l.r = l.br
	} else {
		l.t.Encoding = EncodingGB18030
		l.r = transform.NewReader(l.br, simplifiedchinese.GB18030.NewDecoder())
	}
	return l.r.Read(p)
}

// validUTF8Prefix reports whether b is UTF-8, allowing a rune cut at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func (t *Table) setHeader(h []string) {
	for i := range h {
		h[i] = strings.TrimSpace(h[i])
	}
	t.header = h
	t.index = make(map[string]int, len(h))
	for i, c := range h {
		t.index[c] = i
	}
}

// Header returns the column names in file order.
func (t *Table) Header() []string { return t.header }

// HasColumns reports whether the header is exactly the set cols.
func (t *Table) HasColumns(cols ...string) bool {
	if len(cols) != len(t.header) {
		return false
	}
	for _, c := range cols {
		if _, ok := t.index[c]; !ok {
			return false
		}
	}
	return true
}

// Require checks the header holds exactly cols, in any order; it names every
// missing, unknown or repeated column.
func (t *Table) Require(cols ...string) error {
	var ps Problems
	want := map[string]bool{}
	for _, c := range cols {
		want[c] = true
		if _, ok := t.index[c]; !ok {
			ps = append(ps, Problem{File: t.Name, Line: 1, Column: c, Reason: "missing column"})
		}
	}
	seen := map[string]bool{}
	for _, c := range t.header {
		if !want[c] {
			ps = append(ps, Problem{File: t.Name, Line: 1, Column: c, Reason: "unknown column"})
		}
		if seen[c] {
			ps = append(ps, Problem{File: t.Name, Line: 1, Column: c, Reason: "repeated column"})
		}
		seen[c] = true
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// Next returns the next row, or io.EOF. A row that cannot be split into
// fields at all (bad quoting, bad JSON, wrong field count) is returned as a
// Problem; reading may continue after it.
func (t *Table) Next() (*Row, error) {
	if t.peeked != nil {
		r := t.peeked
		t.peeked = nil
		return r, nil
	}
	if t.lines != nil {
		return t.nextJSON(false)
	}
	rec, err := t.csv.Read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.line = pe.Line
			return nil, Problem{File: t.Name, Line: pe.Line, Reason: pe.Err.Error()}
		}
		return nil, Problem{File: t.Name, Line: t.line + 1, Reason: err.Error()}
	}
	line, _ := t.csv.FieldPos(0)
	t.line = line
	row := &Row{Line: line, Fields: rec, table: t}
	if len(rec) == 1 && rec[0] == "" && len(t.header) > 1 {
		return t.Next() // a blank line
	}
	if len(rec) != len(t.header) {
		return nil, Problem{File: t.Name, Line: line, Reason: fmt.Sprintf("%d fields, header has %d", len(rec), len(t.header)), Raw: row.Raw()}
	}
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return nil, Problem{File: t.Name, Line: line, Column: t.header[i], Reason: "not valid UTF-8 or GB18030 text", Raw: strings.ToValidUTF8(row.Raw(), "\uFFFD")}
		}
	}
	return row, nil
}

func (t *Table) nextJSON(first bool) (*Row, error) {
	for {
		b, err := t.lines.ReadBytes('\n')
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				if first {
					return nil, Problem{File: t.Name, Reason: "empty file: no rows"}
				}
				return nil, io.EOF
			}
			return nil, Problem{File: t.Name, Line: t.line + 1, Reason: err.Error()}
		}
		t.line++
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		raw := string(b)
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, Problem{File: t.Name, Line: t.line, Reason: "not a JSON object: " + err.Error(), Raw: raw}
		}
		if first {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			t.setHeader(keys)
		}
		row := &Row{Line: t.line, Fields: make([]string, len(t.header)), table: t, raw: raw}
		for k, v := range obj {
			i, ok := t.index[k]
			if !ok {
				return nil, Problem{File: t.Name, Line: t.line, Column: k, Reason: "unknown field", Raw: raw}
			}
			switch v := v.(type) {
			case nil:
			case string:
				row.Fields[i] = v
			case json.Number:
				row.Fields[i] = v.String()
			case bool:
				row.Fields[i] = fmt.Sprint(v)
			default:
				return nil, Problem{File: t.Name, Line: t.line, Column: k, Reason: "not a scalar value", Raw: raw}
			}
		}
		if len(obj) != len(t.header) {
			for _, c := range t.header {
				if _, ok := obj[c]; !ok {
					return nil, Problem{File: t.Name, Line: t.line, Column: c, Reason: "missing field", Raw: raw}
				}
			}
		}
		return row, nil
	}
}

// Close releases the file.
func (t *Table) Close() error {
	var err error
	for i := len(t.closer) - 1; i >= 0; i-- {
		if e := t.closer[i].Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// FindTable returns the path of base in dir with any of the accepted
// extensions (.csv, .jsonl, optionally .gz), or "" when there is none.
func FindTable(dir, base string) string {
	for _, ext := range []string{".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".json", ".json.gz"} {
		p := filepath.Join(dir, base+ext)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
