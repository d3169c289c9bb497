// Package reports renders the year's settlement documents: the statement
// for the finance bureau, one bill per district, the resource-use (idle)
// report and the provider evaluation report as PDF (gofpdf with a CJK
// TrueType font, reproducible byte for byte), the same tables as XLSX
// (excelize), and the CSV exports.
package reports
