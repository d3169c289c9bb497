// Package reference reads a reference data set: the nine files that
// describe the cloud's inventory, its price catalogue, the resources'
// lifecycle events, the providers' scores and the working-day calendar
// (docs/formats.md). It parses every row with the metering, billing and
// evaluation parsers, checks every code across files, and hashes the bytes
// it parses, so the ledger records exactly what was read.
package reference
