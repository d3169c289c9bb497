package metering

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// Options bound what a Table keeps in memory; the zero value means the
// defaults.
type Options struct {
	// MaxLineBytes is the longest record read, not counting its line end:
	// a JSON line, or a CSV record (all its lines, when a quoted field
	// spans several). A longer record is one rejected row and reading goes
	// on after it; a longer header refuses the file. 0 means
	// DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxRawBytes is the most of a row that a Problem's Raw keeps. 0 means
	// DefaultMaxRawBytes.
	MaxRawBytes int
}

// The default limits: a row of a metering or reference file is some
// hundred bytes.
const (
	DefaultMaxLineBytes = 1 << 20
	DefaultMaxRawBytes  = 1 << 10
)

func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxRawBytes <= 0 {
		o.MaxRawBytes = DefaultMaxRawBytes
	}
	return o
}

// Table streams the rows of one CSV or JSON Lines file, gzipped or not, in
// UTF-8 (with or without BOM) or GB18030. The encoding and format are
// detected from the content, never configured. It holds one record at a
// time, however large the file, and no record longer than
// Options.MaxLineBytes. Every value it returns is valid UTF-8 without NUL
// bytes: a row that is not is rejected.
type Table struct {
	Name     string // the name used in problems (the path as given)
	Format   Format
	Encoding Encoding
	Gzipped  bool

	opts    Options
	header  []string
	index   map[string]int
	closer  []io.Closer
	src     *bufio.Reader
	decided bool                  // the encoding is known (false while all was ASCII)
	gb      transform.Transformer // the GB18030 decoder, when Encoding is GB18030
	line    int                   // the lines read so far
	peeked  *Row                  // JSON Lines: the first row, read with the header
	peekErr error
	err     error // a *ReadError, once reading failed

	// the record being read (see readRecord)
	rec      []byte
	long     bool
	recLines int
	tail     int
	quoted   bool
	view     bool
	// its text in UTF-8, its fields and their unquoted values
	text   []byte
	fields []string
	vals   []byte
	ends   []int
	// JSON Lines
	jr    bytes.Reader
	pairs []jsonPair
	seen  []bool
}

// Row is one data row: its 1-based line number in the file (the first line
// of a CSV record that spans several) and its fields, addressed by column
// name.
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

// Raw returns the row as it was read: the CSV record (quotes and all) or
// the JSON line, in UTF-8, without its line end.
func (r *Row) Raw() string {
	if r.raw != "" {
		return r.raw
	}
	return strings.Join(r.Fields, ",")
}

// Problem builds a problem located at this row and column.
func (r *Row) Problem(col, format string, args ...any) Problem {
	return r.table.problem(r.Line, col, fmt.Sprintf(format, args...), r.Raw())
}

// problem builds a problem at line; raw is cut to MaxRawBytes (at a rune
// boundary) and its bytes that are not text (invalid UTF-8, NUL) are shown
// as U+FFFD.
func (t *Table) problem(line int, col, reason, raw string) Problem {
	max := t.opts.MaxRawBytes
	raw = raw[:min(len(raw), max+utf8.UTFMax)] // every character that starts within max
	if !utf8.ValidString(raw) {
		raw = strings.ToValidUTF8(raw, "\uFFFD")
	}
	if strings.IndexByte(raw, 0) >= 0 {
		raw = strings.ReplaceAll(raw, "\x00", "\uFFFD")
	}
	if len(raw) > max {
		n := max
		for n > 0 && !utf8.RuneStart(raw[n]) {
			n--
		}
		raw = raw[:n]
	}
	return Problem{File: t.Name, Line: line, Column: col, Reason: reason, Raw: raw}
}

// OpenTable opens path and reads its header.
func OpenTable(path string) (*Table, error) { return OpenTableWith(path, Options{}) }

// OpenTableWith is OpenTable with limits other than the defaults.
func OpenTableWith(path string, o Options) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t, err := NewTableWith(path, f, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.closer = append(t.closer, f)
	return t, nil
}

// NewTable reads a table from r with the default limits; name is used in
// problems.
func NewTable(name string, r io.Reader) (*Table, error) { return NewTableWith(name, r, Options{}) }

// readBuffer is the size of the read buffers (one, two when gzipped).
const readBuffer = 256 << 10

// NewTableWith reads a table from r with the limits of o; name is used in
// problems. It detects compression, encoding and format and reads the
// header (a JSON Lines file's first row).
func NewTableWith(name string, r io.Reader, o Options) (*Table, error) {
	t := &Table{Name: name, opts: o.withDefaults()}
	br := bufio.NewReaderSize(r, readBuffer)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, Problem{File: name, Reason: fmt.Sprintf("bad gzip stream: %v", err)}
		}
		t.Gzipped = true
		t.closer = append(t.closer, gz)
		br = bufio.NewReaderSize(gz, readBuffer)
	}
	t.src = br
	head, _ := br.Peek(encodingWindow)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		t.Encoding, t.decided = EncodingUTF8BOM, true
	case asciiOnly(head):
		// Nothing tells the encodings apart yet (ASCII is the same in
		// both): unless that was the whole file, the first row that is
		// not ASCII decides.
		t.Encoding, t.decided = EncodingUTF8, len(head) < encodingWindow
	default:
		t.decide(head)
	}
	first, err := br.Peek(1)
	if len(first) == 0 {
		if err != nil && err != io.EOF {
			return nil, Problem{File: name, Reason: err.Error()}
		}
		return nil, Problem{File: name, Reason: "empty file: no header"}
	}
	if first[0] == '{' {
		t.Format = FormatJSONLines
		row, err := t.nextJSON(true)
		var p Problem
		var re *ReadError
		switch {
		case errors.As(err, &re):
			return nil, re.Problem
		case err != nil && (t.header == nil || !errors.As(err, &p)):
			return nil, err
		}
		t.peeked, t.peekErr = row, err
		return t, nil
	}
	t.Format = FormatCSV
	if err := t.readHeader(); err != nil {
		return nil, err
	}
	return t, nil
}

// decide sets the encoding from a window of bytes (looksGB18030).
func (t *Table) decide(window ...[]byte) {
	t.decided, t.Encoding = true, EncodingUTF8
	if looksGB18030(window...) {
		t.Encoding = EncodingGB18030
		t.gb = simplifiedchinese.GB18030.NewDecoder()
	}
}

// textOf returns rec as UTF-8 text and whether it is valid text: UTF-8
// that is valid, or GB18030 that decodes without a replacement character.
// A record whose UTF-8 text is longer than the limit is long (t.long).
// While the encoding is undecided, the first record that is not ASCII
// decides it, from its bytes and those that follow it.
func (t *Table) textOf(rec []byte) ([]byte, bool) {
	if !t.decided {
		i := firstNonASCII(rec)
		if i < 0 {
			return rec, true
		}
		if t.view { // Peek may move the read buffer
			t.rec = append(t.rec[:0], rec...)
			rec = t.rec
		}
		next, _ := t.src.Peek(encodingWindow)
		t.decide(rec[i:], next)
	}
	if t.gb == nil {
		return rec, utf8.Valid(rec)
	}
	if asciiOnly(rec) {
		return rec, true
	}
	t.gb.Reset()
	t.text = t.text[:0]
	for src := rec; ; {
		if cap(t.text)-len(t.text) < 3*len(src)+utf8.UTFMax {
			t.text = slices.Grow(t.text, 3*len(src)+utf8.UTFMax)
		}
		nDst, nSrc, err := t.gb.Transform(t.text[len(t.text):cap(t.text)], src, true)
		t.text = t.text[:len(t.text)+nDst]
		src = src[nSrc:]
		if err != transform.ErrShortDst {
			break
		}
	}
	if len(t.text) > t.opts.MaxLineBytes && !t.long {
		// Decoded, the record is longer than the limit: long too.
		t.long = true
		t.text = t.text[:min(len(t.text), t.opts.MaxRawBytes+utf8.UTFMax)]
	}
	return t.text, !bytes.Contains(t.text, []byte("\uFFFD"))
}

// readHeader reads the CSV header; a header that cannot be read refuses
// the file.
func (t *Table) readHeader() error {
	rec, start, err := t.readRecord(true)
	switch {
	case err == io.EOF:
		return Problem{File: t.Name, Reason: "empty file: no header"}
	case err != nil:
		return Problem{File: t.Name, Line: start, Reason: "unreadable header: " + err.Error()}
	}
	text, ok := t.textOf(rec)
	if t.long {
		return Problem{File: t.Name, Line: start, Reason: "unreadable header: " + t.longReason()}
	}
	if _, err := t.splitCSV(text); err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += start - 1
			pe.Line += start - 1
		}
		return Problem{File: t.Name, Line: start, Reason: "unreadable header: " + err.Error()}
	}
	switch {
	case !ok:
		return Problem{File: t.Name, Line: start, Reason: "unreadable header: " + reasonText}
	case bytes.IndexByte(text, 0) >= 0:
		return Problem{File: t.Name, Line: start, Reason: "unreadable header: " + reasonNUL}
	}
	h := slices.Clone(t.fields)
	for i := range h {
		h[i] = strings.TrimSpace(h[i])
	}
	t.setHeader(h)
	return nil
}

// The reasons of rows whose bytes are not text.
const (
	reasonText = "not valid UTF-8 or GB18030 text"
	reasonNUL  = "NUL byte in field"
)

func (t *Table) longReason() string {
	if t.recLines > 1 {
		return fmt.Sprintf("record longer than %d bytes", t.opts.MaxLineBytes)
	}
	return fmt.Sprintf("line longer than %d bytes", t.opts.MaxLineBytes)
}

// setHeader sets the column names (a CSV header's are trimmed first).
func (t *Table) setHeader(h []string) {
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
// fields (bad quoting, bad JSON, wrong field count, too long) or whose
// bytes are not text (not UTF-8 or GB18030, NUL bytes) is returned as a
// Problem; reading may continue after it. A file that cannot be read on
// (a broken gzip stream, a failing disk) gives a *ReadError, then the same
// error on every later call. The row's Fields are reused by the next call.
func (t *Table) Next() (*Row, error) {
	if t.err != nil {
		return nil, t.err
	}
	if t.peeked != nil || t.peekErr != nil {
		r, err := t.peeked, t.peekErr
		t.peeked, t.peekErr = nil, nil
		return r, err
	}
	if t.Format == FormatJSONLines {
		return t.nextJSON(false)
	}
	for {
		rec, start, err := t.readRecord(true)
		switch {
		case err == io.EOF:
			return nil, io.EOF
		case err != nil:
			return nil, t.readError(err)
		}
		text, ok := t.textOf(rec)
		if t.long {
			return nil, t.problem(start, "", t.longReason(), string(text))
		}
		raw, err := t.splitCSV(text)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, t.problem(start, "", err.Error(), string(text))
		}
		if len(t.fields) == 1 && t.fields[0] == "" && len(t.header) > 1 {
			continue // a line holding "" only: blank
		}
		if len(t.fields) != len(t.header) {
			return nil, t.problem(start, "", fmt.Sprintf("%d fields, header has %d", len(t.fields), len(t.header)), raw)
		}
		if !ok {
			return nil, t.problem(start, t.header[t.firstField(t.badText)], reasonText, raw)
		}
		if bytes.IndexByte(text, 0) >= 0 {
			return nil, t.problem(start, t.header[t.firstField(hasNUL)], reasonNUL, raw)
		}
		return &Row{Line: start, Fields: t.fields, table: t, raw: raw}, nil
	}
}

// ReadError is a file that cannot be read on: where (the line the next row
// would have started on) and the reader's error. It is not a Problem: the
// rest of the file is lost, not one row.
type ReadError struct {
	Problem
	Err error
}

func (e *ReadError) Error() string { return e.Problem.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

func (t *Table) readError(err error) error {
	t.err = &ReadError{Problem: Problem{File: t.Name, Line: t.line + 1, Reason: err.Error()}, Err: err}
	return t.err
}

// firstField returns the index of the first field that is bad.
func (t *Table) firstField(bad func(string) bool) int {
	for i, f := range t.fields {
		if bad(f) {
			return i
		}
	}
	return 0
}

// badText reports whether s holds bytes that were not text: invalid
// UTF-8, or what the GB18030 decoder could not decode.
func (t *Table) badText(s string) bool {
	if t.gb != nil {
		return strings.Contains(s, "\uFFFD")
	}
	return !utf8.ValidString(s)
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

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
