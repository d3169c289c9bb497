// Package store is the only package that speaks SQL. It opens the embedded
// SQLite database (modernc.org/sqlite, the default) or PostgreSQL (lib/pq)
// through sqlx, applies the embedded numbered migrations of each engine, and
// maps rows to the domain types of metering, billing and evaluation. Bulk
// paths are set-based: COPY and INSERT … SELECT on PostgreSQL, one
// transaction with prepared statements on SQLite.
//
// Summaries. The settlement and the findings do not re-read a year of
// metering rows: they read two summaries kept in the same transaction as
// the rows they summarise. (The settlement's segments are cut in Go from
// the lifecycle events: billing.Segments.)
//
//   - usage_months (migration 0008): per (resource, item, month, quantity)
//     a 31-bit set of the days whose usage row has that quantity. Every
//     usage row has its bit in exactly one summary row. Ingestion ORs in the
//     bits of the rows it inserts (monthBits); triggers move the bits of
//     rows that are updated or deleted. The settlement counts a segment's
//     days per quantity with a mask and a popcount; the findings fold the
//     bits into runs. VerifyUsageMonths / RebuildUsageMonths check and
//     repair it (cloudbill summaries).
//   - activity_idle_months (migration 0009): per (resource, month) the idle
//     days under the thresholds recorded in summary_state (the default
//     policy's in a new database). Ingestion ORs in the idle days of new
//     rows; a replaced or deleted activity row, or a refresh with other
//     thresholds, makes the next findings refresh rebuild it in one pass
//     over activity.
//
// The metering tables are keyed by day first (SQLite migration 0010,
// PostgreSQL 0014): files come in day order, so their rows append to the
// primary key instead of touching a page of it per (resource, item).
// Ingestion sorts each chunk of a file in that order before writing it.
package store
