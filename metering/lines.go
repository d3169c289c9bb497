package metering

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf8"
)

// The reader keeps at most one record in memory: a JSON line, or a CSV
// record, which is one line unless a quoted field holds line ends. A
// record longer than Options.MaxLineBytes is read on to its end without
// being kept (only its first Options.MaxRawBytes are) and becomes one
// rejected row; reading goes on with the next record.
//
// CSV follows encoding/csv (RFC 4180, no lazy quotes): a field that starts
// with a quote ends at the next lone quote, "" in it is a quote, and it may
// span lines. A quote anywhere else, or a closing quote followed by
// anything but a comma or the line end, spoils the record up to the end of
// that line, where the next record starts. A quoted field left open runs
// to the end of the file: one record, rejected.

// csvState is where a CSV record being read stands after a byte.
type csvState uint8

const (
	csvFieldStart csvState = iota // at the start of a field
	csvUnquoted                   // in a field that is not quoted
	csvQuoted                     // in a quoted field
	csvQuote                      // at a quote in a quoted field: its end, or the first of ""
	csvQuoteCR                    // at a carriage return after a closing quote
	csvBroken                     // after a quoting error: the record ends with its line
	csvEnd                        // the record has ended
)

// csvStep is one byte of the state machine.
func csvStep(st csvState, c byte) csvState {
	switch st {
	case csvFieldStart, csvUnquoted:
		switch c {
		case '\n':
			return csvEnd
		case ',':
			return csvFieldStart
		case '"':
			if st == csvFieldStart {
				return csvQuoted
			}
			return csvBroken
		}
		return csvUnquoted
	case csvQuoted:
		if c == '"' {
			return csvQuote
		}
		return csvQuoted
	case csvQuote:
		switch c {
		case '"':
			return csvQuoted
		case ',':
			return csvFieldStart
		case '\n':
			return csvEnd
		case '\r':
			return csvQuoteCR
		}
		return csvBroken
	case csvQuoteCR:
		if c == '\n' {
			return csvEnd
		}
		return csvBroken
	case csvBroken:
		if c == '\n' {
			return csvEnd
		}
	}
	return st
}

// csvAdvance runs the state machine over b, which holds at most one line
// end, as its last byte. Lines without quotes cost one IndexByte.
func csvAdvance(st csvState, b []byte) csvState {
	nl := b[len(b)-1] == '\n'
	if bytes.IndexByte(b, '"') < 0 {
		switch st {
		case csvFieldStart, csvUnquoted:
			switch {
			case nl:
				return csvEnd
			case b[len(b)-1] == ',':
				return csvFieldStart
			}
			return csvUnquoted
		case csvQuoted:
			return csvQuoted
		case csvBroken:
			if nl {
				return csvEnd
			}
			return csvBroken
		}
	}
	for _, c := range b {
		st = csvStep(st, c)
	}
	return st
}

// readRecord reads the next record, without its final line end ("\n" or
// "\r\n"), and returns it with the line it starts on; blank lines before it
// are skipped. A CSV record follows the quotes (see above); a JSON record
// is one line. The error is io.EOF after the last record, or the reader's.
//
// The record is in t.rec, or, when t.view is set, in the read buffer (valid
// until the next read). t.long says it was longer than the limit: then
// t.rec holds about its first MaxRawBytes only. t.recLines is how many
// lines it spans, t.quoted whether it holds a quote.
func (t *Table) readRecord(quotes bool) ([]byte, int, error) {
	t.rec, t.long, t.recLines, t.tail, t.quoted, t.view = t.rec[:0], false, 0, 0, false, false
	start := t.line + 1
	st := csvFieldStart
	for {
		chunk, err := t.src.ReadSlice('\n')
		if len(chunk) > 0 {
			nl := chunk[len(chunk)-1] == '\n'
			if nl && t.recLines == 0 {
				if len(chunk) == 1 || len(chunk) == 2 && chunk[0] == '\r' {
					t.line++ // a blank line between records
					start++
					continue
				}
				// The common case, a line that is the whole record, is
				// returned where it lies in the read buffer.
				if n := len(chunk) - lineEnd(chunk); n <= t.opts.MaxLineBytes && (!quotes || bytes.IndexByte(chunk, '"') < 0) {
					t.line++
					t.recLines, t.view = 1, true
					return chunk[:n], start, nil
				}
			}
			if quotes {
				st = csvAdvance(st, chunk)
				t.quoted = t.quoted || bytes.IndexByte(chunk, '"') >= 0
			} else if nl {
				st = csvEnd
			}
			if t.recLines == 0 || t.tail == 0 {
				t.recLines++ // the chunk starts a line
			}
			t.tail = len(chunk)
			if nl {
				t.tail = 0
			}
			t.keep(chunk, st == csvEnd)
			if nl {
				t.line++
				if st == csvEnd {
					break
				}
			}
		}
		if err == nil || err == bufio.ErrBufferFull {
			continue
		}
		if err != io.EOF {
			return nil, start, err
		}
		if !t.long && t.tail > 0 && t.rec[len(t.rec)-1] == '\r' {
			t.rec = t.rec[:len(t.rec)-1] // as encoding/csv, which drops a \r before the end of the file
		}
		if len(t.rec) == 0 && !t.long {
			return nil, start, io.EOF
		}
		break // the last record, without a line end
	}
	return t.rec, start, nil
}

// keep appends chunk to the record unless that makes it longer than the
// limit (not counting the line end that ends it): then the record is long
// and only its first MaxRawBytes stay.
func (t *Table) keep(chunk []byte, last bool) {
	if t.long {
		return
	}
	n := len(chunk)
	if last {
		n -= lineEnd(chunk)
		if n == 0 && len(t.rec) > 0 && t.rec[len(t.rec)-1] == '\r' {
			t.rec = t.rec[:len(t.rec)-1] // the \r was the end of the read buffer
		}
	}
	if len(t.rec)+n <= t.opts.MaxLineBytes {
		t.rec = append(t.rec, chunk[:n]...)
		return
	}
	// A few bytes more than MaxRawBytes, so that Table.problem can cut
	// the text between two characters.
	t.long = true
	keep := t.opts.MaxRawBytes + utf8.UTFMax
	if room := keep - len(t.rec); room > 0 {
		t.rec = append(t.rec, chunk[:min(room, len(chunk))]...)
	}
	t.rec = t.rec[:min(len(t.rec), keep)]
}

// lineEnd is the length of the "\n" or "\r\n" that b ends with.
func lineEnd(b []byte) int {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		return 2
	case bytes.HasSuffix(b, []byte("\n")):
		return 1
	}
	return 0
}

// splitCSV splits the record just read (rec, in UTF-8, without its final
// line end) into t.fields,
// which hold substrings of one string, returned as the record's raw text.
// A quoting error is returned as a *csv.ParseError whose Line and Column
// count from the record's first line (line 1) and byte (column 1).
func (t *Table) splitCSV(rec []byte) (string, error) {
	t.fields = t.fields[:0]
	if !t.quoted {
		s := string(rec)
		for i := 0; ; {
			j := strings.IndexByte(s[i:], ',')
			if j < 0 {
				t.fields = append(t.fields, s[i:])
				return s, nil
			}
			t.fields = append(t.fields, s[i:i+j])
			i += j + 1
		}
	}
	return t.splitQuoted(rec)
}

// splitQuoted is splitCSV for a record with quotes: the values are
// unquoted into t.vals, which becomes one string the fields slice; the raw
// text is a string of its own.
func (t *Table) splitQuoted(rec []byte) (string, error) {
	t.vals, t.ends = t.vals[:0], t.ends[:0] // the values, and where each ends in t.vals
	fail := func(pos int, err error) (string, error) {
		line := 1 + bytes.Count(rec[:pos], []byte("\n"))
		col := pos - bytes.LastIndexByte(rec[:pos], '\n')
		return "", &csv.ParseError{StartLine: 1, Line: line, Column: col, Err: err}
	}
	for i := 0; ; {
		if i < len(rec) && rec[i] == '"' {
			// a quoted field: runs to the lone quote that ends it
			i++
			for {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					return fail(len(rec), csv.ErrQuote)
				}
				t.vals = appendCRLFAsLF(t.vals, rec[i:i+j])
				i += j + 1
				if i < len(rec) && rec[i] == '"' {
					t.vals = append(t.vals, '"')
					i++
					continue
				}
				break
			}
			t.ends = append(t.ends, len(t.vals))
			switch {
			case i == len(rec):
				t.quotedFields()
				return string(rec), nil
			case rec[i] == ',':
				i++
				continue
			}
			return fail(i, csv.ErrQuote)
		}
		j := bytes.IndexByte(rec[i:], ',')
		field := rec[i:]
		if j >= 0 {
			field = rec[i : i+j]
		}
		if q := bytes.IndexByte(field, '"'); q >= 0 {
			return fail(i+q, csv.ErrBareQuote)
		}
		t.vals = append(t.vals, field...)
		t.ends = append(t.ends, len(t.vals))
		if j < 0 {
			t.quotedFields()
			return string(rec), nil
		}
		i += j + 1
	}
}

func (t *Table) quotedFields() {
	s := string(t.vals)
	from := 0
	for _, e := range t.ends {
		t.fields = append(t.fields, s[from:e])
		from = e
	}
}

// appendCRLFAsLF appends b with its "\r\n" as "\n", as encoding/csv reads
// the line ends inside a quoted field.
func appendCRLFAsLF(dst, b []byte) []byte {
	for {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		dst = append(dst, '\n')
		b = b[i+2:]
	}
}
