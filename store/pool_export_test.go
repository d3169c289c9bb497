package store

import "github.com/jmoiron/sqlx"

// Pool is db's own connection pool, for the tests of its settings.
func Pool(db *DB) *sqlx.DB { return db.pool }
