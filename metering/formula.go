package metering

import (
	"errors"
	"fmt"
	"strings"
)

// Exports are opened in spreadsheets, which run a cell that starts with
// =, +, - or @ as a formula (CSV injection, OWASP). Codes and ids are
// refused at load when they start so (CheckCode); free text written to a
// CSV export goes through SafeCell.

// ErrFormula is what CheckCode's errors wrap.
var ErrFormula = errors.New("would run as a spreadsheet formula")

// CheckCode refuses a code or id that starts with =, +, - or @.
func CheckCode(code string) error {
	if code != "" && strings.IndexByte("=+-@", code[0]) >= 0 {
		return fmt.Errorf("code starts with '%c': %w", code[0], ErrFormula)
	}
	return nil
}

// SafeCell returns free text (a name, unit, category, approval or event
// reference) ready for a CSV cell: text that starts with =, +, -, @, a tab
// or a carriage return gets a leading single quote, which spreadsheets
// show instead of running the text. Every CSV writer of free text uses it;
// codes are refused at load instead and numbers are written as they are,
// so the canonical settlement CSV does not use it.
func SafeCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
