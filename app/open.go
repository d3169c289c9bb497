package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"cloudbill/store"
)

// OpenInput names the database a command works on.
type OpenInput struct {
	DSN string
	// Create allows a SQLite file that is not there yet (load, migrate
	// create the database); for the other commands a missing file is a
	// mistyped --db, and nothing is created.
	Create bool
	// ConnectTimeout bounds how long a PostgreSQL server may take to
	// answer (0: store.DefaultConnectTimeout).
	ConnectTimeout time.Duration
}

// Open opens (and migrates) the database of in and returns the use cases
// on it, logging to log; the caller closes a.DB.
func Open(ctx context.Context, in OpenInput, log *slog.Logger) (*App, error) {
	if engine, path, err := store.ParseDSN(in.DSN); err == nil && engine == store.EngineSQLite && !in.Create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist (check --db or CLOUDBILL_DB; cloudbill load DIR or cloudbill migrate creates it)", path)
		}
	}
	db, err := store.OpenWith(ctx, in.DSN, store.Options{ConnectTimeout: in.ConnectTimeout})
	if err != nil {
		return nil, err
	}
	return New(db, log), nil
}
