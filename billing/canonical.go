package billing

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"strconv"

	"github.com/shopspring/decimal"
)

// SettlementColumns and DepartmentColumns are the export columns of
// docs/formats.md.
var (
	SettlementColumns = []string{"provider_code", "district_code", "department_code", "system_id", "resource_id", "item_code", "billable_days", "quantity_days", "gross"}
	DepartmentColumns = []string{"provider_code", "district_code", "department_code", "gross", "coefficient", "net"}
)

// WriteSettlementCSV writes the lines as settlement-Y.csv. This is the
// statement's canonical CSV: its SHA-256 is the statement's fingerprint, so
// `sha256sum settlement-Y.csv` checks a printed statement. Its columns are
// codes (refused at load when they start like a spreadsheet formula,
// metering.CheckCode) and numbers, written as they are: it holds no free
// text, so nothing in it goes through metering.SafeCell, and -1.00 stays
// -1.00.
func WriteSettlementCSV(w io.Writer, lines []Line) error {
	cw := csv.NewWriter(w)
	cw.Write(SettlementColumns)
	for _, l := range lines {
		cw.Write([]string{l.ProviderCode, l.DistrictCode, l.DepartmentCode, l.SystemID, l.ResourceID, l.ItemCode,
			strconv.Itoa(l.BillableDays), plain(l.QuantityDays), l.Gross.StringFixed(2)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteDepartmentsCSV writes departments-Y.csv: codes and numbers, as
// WriteSettlementCSV.
func WriteDepartmentsCSV(w io.Writer, rows []DepartmentRow) error {
	cw := csv.NewWriter(w)
	cw.Write(DepartmentColumns)
	for _, d := range rows {
		cw.Write([]string{d.ProviderCode, d.DistrictCode, d.DepartmentCode, d.Gross.StringFixed(2), d.Coefficient.StringFixed(2), d.Net.StringFixed(2)})
	}
	cw.Flush()
	return cw.Error()
}

// Fingerprint is the SHA-256 of the statement's canonical CSV (its lines).
func Fingerprint(st *Statement) (string, error) {
	var b bytes.Buffer
	if err := WriteSettlementCSV(&b, st.Lines); err != nil {
		return "", err
	}
	h := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(h[:]), nil
}

// plain prints a decimal without exponent and without trailing zeros.
func plain(d decimal.Decimal) string { return d.String() }
