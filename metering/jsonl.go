package metering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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
		pairs, err := t.walkJSON(text)
		if err != nil {
			return nil, t.problem(start, "", err.Error(), raw)
		}
		if first {
			keys := make([]string, 0, len(pairs))
			for _, p := range pairs {
				if hasNUL(p.key) {
					return nil, t.problem(start, "", reasonNUL, raw)
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

// replaced reports whether a decoded JSON string holds U+FFFD, what
// encoding/json and the GB18030 decoder put for bytes that are not text.
func replaced(s string) bool { return strings.Contains(s, "\uFFFD") }

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
