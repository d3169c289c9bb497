package store

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

// RecordKind names the kind of a nightly metering file.
type RecordKind string

const (
	RecordUsage    RecordKind = "usage"
	RecordActivity RecordKind = "activity"
)

// IngestInput is one metering file to ingest.
type IngestInput struct {
	Name   string // as reported in summaries, rejects and the ledger
	SHA256 string // hex digest of the file's bytes
	// Open returns the file's bytes from the start; it may be called twice
	// (PostgreSQL retries a failed direct COPY through the staging table).
	Open func() (io.ReadCloser, error)
	// Progress, when set, is told the rows read so far, now and then.
	Progress func(rows int64)
}

// spec describes the table a record kind lands in.
type spec struct {
	kind    RecordKind
	table   string
	keys    []string // resource_id first, day last
	vals    []string
	columns []string // the file's columns
	staging string   // PostgreSQL staging table DDL
}

var specs = map[RecordKind]*spec{
	RecordUsage: {
		kind: RecordUsage, table: "usage",
		keys: []string{"resource_id", "item_code", "day"}, vals: []string{"quantity"},
		columns: metering.UsageColumns,
		staging: `CREATE TEMP TABLE IF NOT EXISTS ingest_usage (
			resource_id TEXT NOT NULL, item_code TEXT NOT NULL, day DATE NOT NULL,
			quantity NUMERIC NOT NULL, line BIGINT NOT NULL) ON COMMIT DELETE ROWS`,
	},
	RecordActivity: {
		kind: RecordActivity, table: "activity",
		keys:    []string{"resource_id", "day"},
		vals:    []string{"cpu_avg_pct", "cpu_max_pct", "mem_avg_pct", "disk_used_pct", "net_in_bytes", "net_out_bytes"},
		columns: metering.ActivityColumns,
		staging: `CREATE TEMP TABLE IF NOT EXISTS ingest_activity (
			resource_id TEXT NOT NULL, day DATE NOT NULL,
			cpu_avg_pct NUMERIC NOT NULL, cpu_max_pct NUMERIC NOT NULL, mem_avg_pct NUMERIC NOT NULL,
			disk_used_pct NUMERIC NOT NULL, net_in_bytes BIGINT NOT NULL, net_out_bytes BIGINT NOT NULL,
			line BIGINT NOT NULL) ON COMMIT DELETE ROWS`,
	},
}

func (sp *spec) cols() []string { return append(append([]string{}, sp.keys...), sp.vals...) }

func (sp *spec) replacement(vals []string, old string) Replacement {
	rp := Replacement{ResourceID: vals[0], Day: vals[len(sp.keys)-1], Old: old, New: strings.Join(vals[len(sp.keys):], ",")}
	if len(sp.keys) == 3 {
		rp.ItemCode = vals[1]
	}
	return rp
}

// LoadKnown reads what ingestion validates against: every resource with
// its first confirmation day, and every catalogue item code.
func (db *DB) LoadKnown(ctx context.Context) (*metering.Known, error) {
	k := &metering.Known{Resources: map[string]metering.KnownResource{}, Items: map[string]int32{}}
	var rs []struct {
		ID   string        `db:"id"`
		Kind metering.Kind `db:"kind"`
	}
	if err := db.pool.SelectContext(ctx, &rs, `SELECT id, kind FROM resources ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read resources: %w", err)
	}
	for i, r := range rs {
		f, _ := r.Kind.Family()
		k.Resources[r.ID] = metering.KnownResource{Index: int32(i + 1), Confirmed: metering.NeverConfirmed, Family: f}
	}
	var confirmed []struct {
		ID  string        `db:"resource_id"`
		Day metering.Date `db:"day"`
	}
	if err := db.pool.SelectContext(ctx, &confirmed, `SELECT resource_id, min(day) AS day FROM events WHERE event = 'confirmed' GROUP BY resource_id`); err != nil {
		return nil, fmt.Errorf("read confirmations: %w", err)
	}
	for _, c := range confirmed {
		if r, ok := k.Resources[c.ID]; ok {
			r.Confirmed = c.Day
			k.Resources[c.ID] = r
		}
	}
	var items []string
	if err := db.pool.SelectContext(ctx, &items, `SELECT DISTINCT item_code FROM catalogue ORDER BY item_code`); err != nil {
		return nil, fmt.Errorf("read catalogue items: %w", err)
	}
	for i, it := range items {
		k.Items[it] = int32(i + 1)
	}
	return k, nil
}

// IngestFile ingests one usage or activity file in one transaction: valid
// rows are upserted, bad rows kept in rejects, the file recorded in the
// ledger. A file whose SHA-256 is already in the ledger changes nothing
// (AlreadyIngested). Two processes ingesting the same file serialise on it
// and the second finds it in the ledger.
func (db *DB) IngestFile(ctx context.Context, known *metering.Known, in IngestInput) (IngestResult, error) {
	res := IngestResult{File: in.Name, SHA256: in.SHA256}
	sp, err := detectKind(in)
	if err != nil {
		return res, err
	}
	res.Kind = sp.kind
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		done, err := db.claimFile(ctx, tx, in)
		if err != nil || done {
			res.AlreadyIngested = done
			return err
		}
		spool := &rejectSpool{}
		defer spool.close()
		months, err := db.newFileBits(ctx, tx, sp.kind)
		if err != nil {
			return err
		}
		if db.dialect.copyIn {
			err = db.ingestPostgres(ctx, tx, sp, known, in, &res, spool, months)
		} else {
			err = db.ingestRows(ctx, tx, sp, known, in, &res, spool, months)
		}
		if err != nil {
			return err
		}
		if err := db.flushMonthBits(ctx, tx, months); err != nil {
			return err
		}
		if err := db.writeRejects(ctx, tx, in, sp.kind, spool); err != nil {
			return err
		}
		return db.recordFile(ctx, tx, in, sp.kind, &res)
	})
	return res, err
}
