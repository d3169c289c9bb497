package metering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonPair is one key of a JSON Lines row and its value as text.
type jsonPair struct {
	key, val string
	scalar   bool
}

// nextJSON reads the next JSON Lines row. The first row (first) also sets
// the header: its keys, sorted. A first line that is not a JSON object, or
// whose keys cannot be column names, is returned as a Problem with
// t.header unset (the file is refused); a problem with its values leaves
// the header set and rejects the row only.
func (t *Table) nextJSON(first bool) (*Row, error) {
	for {
		rec, start, err := t.readRecord(false)
		switch {
		case err == io.EOF:
			if first {
				return nil, Problem{File: t.Name, Reason: "empty file: no rows"}
			}
			return nil, io.EOF
		case err != nil:
			return nil, t.readError(err)
		}
		text, ok := t.textOf(rec)
		if t.long {
			return nil, t.problem(start, "", t.longReason(), string(text))
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		raw := string(text)
		if bytes.IndexByte(text, 0) >= 0 {
			return nil, t.problem(start, "", reasonNUL, raw)
		}
		pairs, fast := t.scanJSON(raw)
		if !fast {
			pairs, err = t.walkJSON(text)
		}
		if err != nil {
			return nil, t.problem(start, "", err.Error(), raw)
		}
		if first {
			keys := make([]string, 0, len(pairs))
			for _, p := range pairs {
				switch {
				case hasNUL(p.key):
					return nil, t.problem(start, "", reasonNUL, raw)
				case !ok && replaced(p.key):
					return nil, t.problem(start, "", reasonText, raw)
				}
				keys = append(keys, p.key)
			}
			slices.Sort(keys)
			t.setHeader(slices.Compact(keys)) // a repeated key rejects the row, below
		}
		if p := t.checkPairs(pairs, ok); p != nil {
			return nil, t.problem(start, p.Column, p.Reason, raw)
		}
		row := &Row{Line: start, Fields: t.fieldsFor(), table: t, raw: raw}
		for _, p := range pairs {
			row.Fields[t.index[p.key]] = p.val
		}
		return row, nil
	}
}

// fieldsFor returns t.fields cleared, one per column.
func (t *Table) fieldsFor() []string {
	t.fields = slices.Grow(t.fields[:0], len(t.header))[:len(t.header)]
	clear(t.fields)
	return t.fields
}

// checkPairs finds the first fault of a row's keys and values, in the
// row's order: an unknown or repeated key, a value that is not a scalar,
// holds NUL or bad text (when text is false), then a missing key.
func (t *Table) checkPairs(pairs []jsonPair, text bool) *Problem {
	t.seen = slices.Grow(t.seen[:0], len(t.header))[:len(t.header)]
	clear(t.seen)
	for _, p := range pairs {
		i, known := t.index[p.key]
		switch {
		case hasNUL(p.key):
			return &Problem{Reason: reasonNUL}
		case !text && replaced(p.key):
			return &Problem{Reason: reasonText}
		case !known:
			return &Problem{Column: p.key, Reason: "unknown field"}
		case t.seen[i]:
			return &Problem{Column: p.key, Reason: "repeated key"}
		case !p.scalar:
			return &Problem{Column: p.key, Reason: "not a scalar value"}
		case hasNUL(p.val):
			return &Problem{Column: p.key, Reason: reasonNUL}
		case !text && replaced(p.val):
			return &Problem{Column: p.key, Reason: reasonText}
		}
		t.seen[i] = true
	}
	if !text {
		return &Problem{Reason: reasonText}
	}
	for i, c := range t.header {
		if !t.seen[i] {
			return &Problem{Column: c, Reason: "missing field"}
		}
	}
	return nil
}

// replaced reports whether a JSON string holds bytes that were not text:
// U+FFFD, what encoding/json and the GB18030 decoder put for them, or
// invalid UTF-8, which scanJSON leaves as it is.
func replaced(s string) bool { return strings.Contains(s, "\uFFFD") || !utf8.ValidString(s) }

// scanJSON is the fast way to read a line that is one JSON object of
// scalar values, the common case: keys and values without escapes are
// substrings of line, no allocation. It reports false for anything else
// (escapes are fine; nested values, a syntax error, are not), which
// walkJSON then reads, or explains. What it accepts, encoding/json
// accepts and reads the same (FuzzScanJSON).
func (t *Table) scanJSON(line string) ([]jsonPair, bool) {
	pairs := t.pairs[:0]
	i := skipSpace(line, 1)
	if len(line) == 0 || line[0] != '{' {
		return nil, false
	}
	if i < len(line) && line[i] == '}' {
		t.pairs = pairs
		return pairs, skipSpace(line, i+1) == len(line)
	}
	for {
		key, j, ok := scanString(line, i)
		if !ok {
			return nil, false
		}
		j = skipSpace(line, j)
		if j >= len(line) || line[j] != ':' {
			return nil, false
		}
		j = skipSpace(line, j+1)
		var val string
		switch {
		case j >= len(line):
			return nil, false
		case line[j] == '"':
			val, j, ok = scanString(line, j)
		case line[j] == 't' && strings.HasPrefix(line[j:], "true"):
			val, j, ok = "true", j+4, true
		case line[j] == 'f' && strings.HasPrefix(line[j:], "false"):
			val, j, ok = "false", j+5, true
		case line[j] == 'n' && strings.HasPrefix(line[j:], "null"):
			val, j, ok = "", j+4, true
		default:
			val, j, ok = scanNumber(line, j)
		}
		if !ok {
			return nil, false
		}
		pairs = append(pairs, jsonPair{key: key, val: val, scalar: true})
		j = skipSpace(line, j)
		switch {
		case j < len(line) && line[j] == ',':
			i = skipSpace(line, j+1)
			continue
		case j < len(line) && line[j] == '}':
			t.pairs = pairs
			return pairs, skipSpace(line, j+1) == len(line)
		}
		return nil, false
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanString reads the JSON string at s[i], returning its value and the
// index after it. A string with escapes is unquoted by encoding/json.
func scanString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			if !escaped {
				return s[i+1 : j], j + 1, true
			}
			var v string
			if json.Unmarshal([]byte(s[i:j+1]), &v) != nil {
				return "", j, false
			}
			return v, j + 1, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte; encoding/json checks the escape
		case c < 0x20:
			return "", j, false
		}
	}
	return "", len(s), false
}

// scanNumber reads the JSON number at s[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(s string, i int) (string, int, bool) {
	j := i
	digits := func() bool {
		k := j
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case !digits():
		return "", j, false
	}
	if j < len(s) && s[j] == '.' {
		j++
		if !digits() {
			return "", j, false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if !digits() {
			return "", j, false
		}
	}
	return s[i:j], j, true
}

// walkJSON reads line as one JSON object into its keys and values, in
// order, keeping repeated keys. Numbers keep their text; true, false and
// null become "true", "false" and "".
func (t *Table) walkJSON(line []byte) ([]jsonPair, error) {
	if line[0] != '{' {
		return nil, jsonError(line)
	}
	t.jr.Reset(line)
	dec := json.NewDecoder(&t.jr)
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(line)
	}
	pairs := t.pairs[:0]
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, jsonError(line)
		}
		key, _ := k.(string)
		v, err := dec.Token()
		if err != nil {
			return nil, jsonError(line)
		}
		p := jsonPair{key: key, scalar: true}
		switch v := v.(type) {
		case string:
			p.val = v
		case json.Number:
			p.val = v.String()
		case bool:
			p.val = strconv.FormatBool(v)
		case nil:
		case json.Delim:
			p.scalar = false
			for depth := 1; depth > 0; {
				tok, err := dec.Token()
				if err != nil {
					return nil, jsonError(line)
				}
				switch tok {
				case json.Delim('{'), json.Delim('['):
					depth++
				case json.Delim('}'), json.Delim(']'):
					depth--
				}
			}
		}
		pairs = append(pairs, p)
	}
	t.pairs = pairs
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, jsonError(line)
	}
	if _, err := dec.Token(); err != io.EOF { // and nothing after it
		return nil, jsonError(line)
	}
	return pairs, nil
}

// jsonError says why line is not one JSON object, in encoding/json's words.
func jsonError(line []byte) error {
	var v any
	if err := json.Unmarshal(line, &v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	what := "a value"
	switch v.(type) {
	case []any:
		what = "an array"
	case string:
		what = "a string"
	case float64:
		what = "a number"
	case bool, nil:
		what = "true, false or null"
	}
	return fmt.Errorf("not a JSON object: %s", what)
}
