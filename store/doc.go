// Package store is the only package that speaks SQL. It opens the embedded
// SQLite database (modernc.org/sqlite, the default) or PostgreSQL (lib/pq)
// through sqlx, applies the embedded numbered migrations of each engine, and
// maps rows to the domain types of metering, billing and evaluation. Bulk
// paths are set-based: COPY and INSERT … SELECT on PostgreSQL, one
// transaction with prepared statements on SQLite.
package store
