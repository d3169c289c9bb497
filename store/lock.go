package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrLocked is returned by TryLock when another holder has the lock.
var ErrLocked = errors.New("lock held by another process")

// lockNamespace is the first key of cloudbill's PostgreSQL advisory locks
// (the second is a hash of the lock name); the migration lock is 7420011.
const lockNamespace int32 = 7420012

// Lock is a named mutex shared by every process using the database, so that
// two daemons on one database never run the same job at once.
//
// On PostgreSQL it is a session advisory lock (pg_try_advisory_lock) held on
// a dedicated connection: the server releases it when that connection ends,
// whatever happens to the process. On SQLite it is a row of the locks table
// with a lease: taken with one conditional upsert when the row is absent or
// expired, renewed while held, deleted on release; a crashed holder's lease
// simply runs out.
type Lock struct {
	db     *DB
	name   string
	holder string
	lease  time.Duration
	conn   *sql.Conn // PostgreSQL: the session holding the advisory lock
	// tookOver names the holder whose lease was taken over because its
	// process no longer exists ("" otherwise).
	tookOver string

	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	release  sync.Once
	err      error
}

// TryLock takes the lock name for holder (as in "host:pid") without
// waiting. It returns an error wrapping ErrLocked, naming the current
// holder when known, if another process has it. lease is how long the lock
// survives a holder that stops renewing it (SQLite); the lock is renewed
// every lease/3 until Release.
func (db *DB) TryLock(ctx context.Context, name, holder string, lease time.Duration) (*Lock, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("lock %s: lease must be positive", name)
	}
	l := &Lock{
		db: db, name: name, holder: holder + "#" + token(), lease: lease,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	var err error
	if db.dialect.advisory {
		err = l.acquirePostgres(ctx)
	} else {
		err = l.acquireSQLite(ctx)
	}
	if err != nil {
		return nil, err
	}
	go l.keep()
	return l, nil
}

func token() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Lost is closed when the lock is known to be lost while held: on SQLite
// another holder took the row after the lease ran out, on PostgreSQL the
// session holding the advisory lock failed. Work done under the lock should
// stop (and roll back) when it closes.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

func (l *Lock) markLost() { l.lostOnce.Do(func() { close(l.lost) }) }

func advisoryKey(name string) int32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int32(h.Sum32())
}

func (l *Lock) acquirePostgres(ctx context.Context) error {
	conn, err := l.db.pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock %s: %w", l.name, err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockNamespace, advisoryKey(l.name)).Scan(&got); err != nil {
		conn.Close()
		return fmt.Errorf("lock %s: %w", l.name, err)
	}
	if !got {
		conn.Close()
		return l.lockedError(ctx)
	}
	l.conn = conn
	// The row only tells operators who holds the lock; the advisory lock is the mutex.
	now := l.db.now()
	if _, err := conn.ExecContext(ctx, `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
		l.name, l.holder, now, now.Add(l.lease)); err != nil {
		l.unlockPostgres(context.WithoutCancel(ctx))
		return fmt.Errorf("lock %s: record holder: %w", l.name, err)
	}
	return nil
}

func (l *Lock) acquireSQLite(ctx context.Context) error {
	// On a connection of its own that never waits for another writer
	// (busy_timeout 0): a busy database is a transient error the caller
	// may try again, not a wait of up to the pool's busy timeout.
	conn, err := l.db.pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock %s: %w", l.name, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return fmt.Errorf("lock %s: %w", l.name, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA busy_timeout = %d`, sqliteBusyTimeoutMillis))
	now := l.db.now()
	res, err := conn.ExecContext(ctx, `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
		WHERE locks.expires_at <= excluded.acquired_at`,
		l.name, l.holder, l.db.dialect.instant(now), l.db.dialect.instant(now.Add(l.lease)))
	if err != nil {
		return fmt.Errorf("lock %s: %w", l.name, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	// Held, with a lease still running: by a process of this host that no
	// longer exists (killed, crashed)? Then its lease is taken over at once.
	var holder string
	if err := conn.QueryRowContext(ctx, `SELECT holder FROM locks WHERE name = ?`, l.name).Scan(&holder); err == nil && deadHolder(holder) {
		res, err := conn.ExecContext(ctx, `UPDATE locks SET holder = ?, acquired_at = ?, expires_at = ? WHERE name = ? AND holder = ?`,
			l.holder, l.db.dialect.instant(now), l.db.dialect.instant(now.Add(l.lease)), l.name, holder)
		if err != nil {
			return fmt.Errorf("lock %s: take over from %s: %w", l.name, holder, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			l.tookOver = holder
			return nil
		}
	}
	return l.lockedError(ctx)
}

// deadHolder reports whether holder ("host:pid#token") names a process of
// this host that no longer runs.
func deadHolder(holder string) bool {
	hp, _, _ := strings.Cut(holder, "#")
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(hp[i+1:])
	if err != nil || hp[:i] != host || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func (l *Lock) lockedError(ctx context.Context) error {
	var holder string
	var expires Instant
	err := l.db.pool.QueryRowContext(ctx, l.db.pool.Rebind(`SELECT holder, expires_at FROM locks WHERE name = ?`), l.name).Scan(&holder, &expires)
	if err != nil || holder == "" {
		return fmt.Errorf("lock %s: %w", l.name, ErrLocked)
	}
	return fmt.Errorf("lock %s: %w: %s (lease until %s)", l.name, ErrLocked, holder, expires.UTC().Format(time.RFC3339))
}

// keep renews the lock every lease/3 until Release, and marks it lost when
// renewal shows another holder has it (SQLite) or the session failed
// (PostgreSQL). On SQLite a renewal that fails for another reason (the
// database busy with a long write, most likely our own job's) is tried again
// at the next tick: nobody can take a row while a write is in progress.
func (l *Lock) keep() {
	defer close(l.done)
	t := time.NewTicker(l.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
		now := l.db.now()
		var res sql.Result
		var err error
		if l.conn != nil {
			// PostgreSQL: the advisory lock is the mutex; the row only shows
			// who holds it, so its renewal's count does not matter.
			_, err = l.conn.ExecContext(ctx, `UPDATE locks SET expires_at = $1 WHERE name = $2 AND holder = $3`,
				now.Add(l.lease), l.name, l.holder)
			if err != nil {
				cancel()
				l.markLost()
				return
			}
		} else {
			res, err = l.db.pool.ExecContext(ctx, `UPDATE locks SET expires_at = ? WHERE name = ? AND holder = ?`,
				l.db.dialect.instant(now.Add(l.lease)), l.name, l.holder)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					cancel()
					l.markLost()
					return
				}
			}
		}
		cancel()
	}
}

// Release stops renewing and frees the lock. It is safe to call more than
// once; only the first call does anything.
func (l *Lock) Release(ctx context.Context) error {
	l.release.Do(func() {
		close(l.stop)
		<-l.done
		if l.conn != nil {
			l.err = l.unlockPostgres(ctx)
			return
		}
		if _, err := l.db.pool.ExecContext(ctx, `DELETE FROM locks WHERE name = ? AND holder = ?`, l.name, l.holder); err != nil {
			l.err = fmt.Errorf("unlock %s: %w", l.name, err)
		}
	})
	return l.err
}

func (l *Lock) unlockPostgres(ctx context.Context) error {
	_, err := l.conn.ExecContext(ctx, `DELETE FROM locks WHERE name = $1 AND holder = $2`, l.name, l.holder)
	if err == nil {
		var unlocked bool
		err = l.conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockNamespace, advisoryKey(l.name)).Scan(&unlocked)
	}
	if err != nil {
		// Never hand a session that may still hold the lock back to the
		// pool: discard it, and ending the session frees the lock.
		l.conn.Raw(func(any) error { return driver.ErrBadConn })
		l.conn.Close()
		return fmt.Errorf("unlock %s: %w", l.name, err)
	}
	return l.conn.Close()
}

// TookOver names the holder whose lease this lock took over because its
// process no longer exists on this host ("" when the lock was free).
func (l *Lock) TookOver() string { return l.tookOver }
