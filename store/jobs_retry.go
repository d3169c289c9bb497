package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"modernc.org/sqlite"
)

// SQLite primary result codes worth a retry (extended codes keep them in
// their low byte).
const (
	sqliteBusy   = 5 // SQLITE_BUSY: another connection holds the write lock
	sqliteLocked = 6 // SQLITE_LOCKED: a conflicting lock within the same connection
)

// IsTransient reports whether err is a database error that may go away when
// the same work is tried again: the server refused or dropped the connection,
// a serialization failure or deadlock (PostgreSQL 40001, 40P01), the server
// starting or shutting down, too many connections, or SQLITE_BUSY/LOCKED.
// A cancelled context is never transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		switch {
		case code == "40001", code == "40P01": // serialization_failure, deadlock_detected
			return true
		case len(code) == 5 && code[:2] == "08": // connection exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case code == "53300": // too_many_connections
			return true
		}
		return false
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return true
		}
		return false
	}
	var netErr *net.OpError
	return errors.As(err, &netErr)
}
