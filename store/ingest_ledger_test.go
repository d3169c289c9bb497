package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// manyResources are 40 more resources, so that a file can be larger than
// the reader's buffers (several reads of the file).
func manyResources() []metering.Resource {
	var rs []metering.Resource
	for i := range 40 {
		id := fmt.Sprintf("X%03d", i)
		rs = append(rs, metering.Resource{ID: id, SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: id})
	}
	return rs
}

// bigUsage is a usage file of the 40 resources over 2024 (29,280 rows,
// about a megabyte) and its row count.
func bigUsage() (string, int) {
	var b strings.Builder
	b.WriteString("day,resource_id,item_code,quantity\n")
	n := 0
	for d := metering.MustDate("2024-01-01"); d < metering.MustDate("2025-01-01"); d = d.AddDays(1) {
		for i := range 40 {
			fmt.Fprintf(&b, "%s,X%03d,VCPU,%d\n%s,X%03d,MEM,%d\n", d, i, 2+i%4, d, i, 8+i%3)
			n += 2
		}
	}
	return b.String(), n
}

// fileInput reads path through an *os.File (a Statter); onRead, when
// set, is called after the first read of each reading of the file (the
// nth, from 1; an opening that only looks at the file's size is none).
func fileInput(path string, onRead func(n int)) store.IngestInput {
	readings := 0
	return store.IngestInput{Name: path, Open: func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil || onRead == nil {
			return f, err
		}
		return &firstRead{File: f, fn: func() { readings++; onRead(readings) }}, nil
	}}
}

// firstRead is an open file that calls fn after its first read.
type firstRead struct {
	*os.File // Read and Stat are the file's
	once     sync.Once
	fn       func()
}

func (r *firstRead) Read(p []byte) (int, error) {
	n, err := r.File.Read(p)
	r.once.Do(r.fn)
	return n, err
}

func ingestIn(t *testing.T, db *store.DB, in store.IngestInput) (store.IngestResult, error) {
	t.Helper()
	known, err := db.LoadKnown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return db.IngestFile(context.Background(), known, in)
}

func TestIngestFileChangedWhileRead(t *testing.T) {
	complete, rows := bigUsage()
	// What was there when the reading started: the first 60 % of the
	// upload, cut inside a line.
	partial := complete[:len(complete)*6/10]
	for _, tc := range []struct {
		name string
		// stored is a usage row stored before, a key of the file (in its
		// partial part): on PostgreSQL the direct COPY then fails and the
		// file is read again
		stored string
		// rewriteAt is the reading during which the file is rewritten in
		// place with other bytes (an upload writing the file while it is
		// read, without the .part rename)
		rewriteAt int
		pgOnly    bool
	}{
		{name: "rewritten during its reading", rewriteAt: 1},
		{name: "rewritten during its second reading", stored: "2024-07-01,X039,MEM,10\n", rewriteAt: 2, pgOnly: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				if tc.pgOnly && db.Engine != store.EnginePostgres {
					t.Skip("SQLite reads a file once")
				}
				loadIngestReference(t, db, manyResources()...)
				before := 0
				if tc.stored != "" {
					mustIngest(t, db, "earlier.csv", "day,resource_id,item_code,quantity\n"+tc.stored)
					before = 1
				}
				path := filepath.Join(t.TempDir(), "usage-2024.csv")
				if err := os.WriteFile(path, []byte(partial), 0o644); err != nil {
					t.Fatal(err)
				}
				res, err := ingestIn(t, db, fileInput(path, func(n int) {
					if n == tc.rewriteAt {
						if err := os.WriteFile(path, []byte(complete), 0o644); err != nil {
							t.Error(err)
						}
					}
				}))
				var fe *store.FileError
				if !errors.As(err, &fe) || !errors.Is(err, store.ErrChangedWhileRead) {
					t.Fatalf("a file rewritten while read: err %v (%+v), want a FileError, changed while it was read", err, res)
				}
				if want := path + ": changed while it was read: not ingested, send it again"; err.Error() != want {
					t.Errorf("err %q, want %q", err, want)
				}
				if n := countRows(t, db, "usage"); n != before {
					t.Errorf("usage rows = %d after the refused file, want %d: nothing of it is stored", n, before)
				}
				if n := countRows(t, db, "files"); n != before {
					t.Errorf("ledger rows = %d, want %d", n, before)
				}
				if n := countRows(t, db, "rejects"); n != 0 {
					t.Errorf("rejects = %d, want none", n)
				}
				// The complete file, sent again, is ingested whole.
				res, err = ingestIn(t, db, fileInput(path, nil))
				if err != nil {
					t.Fatal(err)
				}
				if res.AlreadyIngested || int(res.Read) != rows || int(res.Accepted+res.Replaced) != rows || res.Rejected != 0 {
					t.Errorf("the complete file: %+v, want %d rows read and stored", res, rows)
				}
				if n := countRows(t, db, "usage"); n != rows {
					t.Errorf("usage rows = %d, want %d", n, rows)
				}
				if err := db.VerifyUsageMonths(context.Background()); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

func TestIngestLedgerRecordsTheBytesRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db, manyResources()...)
		content, rows := bigUsage()
		dir := t.TempDir()
		path := filepath.Join(dir, "usage.csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := ingestIn(t, db, fileInput(path, nil))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(content))
		if res.SHA256 != hex.EncodeToString(sum[:]) || res.Bytes != int64(len(content)) || int(res.Accepted) != rows {
			t.Errorf("result %s %d bytes %d new, want %x %d bytes %d new", res.SHA256, res.Bytes, res.Accepted, sum, len(content), rows)
		}
		var ledger struct {
			SHA   string `db:"sha256"`
			Bytes int64  `db:"bytes"`
		}
		if err := storetest.SQL(t, db).Get(&ledger, `SELECT sha256, bytes FROM files`); err != nil {
			t.Fatal(err)
		}
		if ledger.SHA != res.SHA256 || ledger.Bytes != int64(len(content)) {
			t.Errorf("ledger %+v, want %s and %d bytes", ledger, res.SHA256, len(content))
		}
		// The same bytes under another name: known from the ledger.
		copyPath := filepath.Join(dir, "usage-copy.csv")
		if err := os.WriteFile(copyPath, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := ingestIn(t, db, fileInput(copyPath, nil))
		if err != nil || !again.AlreadyIngested || again.SHA256 != res.SHA256 {
			t.Errorf("the same bytes again: %+v, %v; want already ingested", again, err)
		}
		// Bytes of the same size that differ are not.
		other := strings.Replace(content, "2024-12-31,X039,MEM,8", "2024-12-31,X039,MEM,9", 1)
		if err := os.WriteFile(copyPath, []byte(other), 0o644); err != nil {
			t.Fatal(err)
		}
		changed, err := ingestIn(t, db, fileInput(copyPath, nil))
		if err != nil || changed.AlreadyIngested || changed.Replaced != 1 {
			t.Errorf("a file of the same size with one value changed: %+v, %v; want one replaced", changed, err)
		}
	})
}

// TestIngestSameBytesAtOnce: two ingests of the same bytes under two names
// at the same time store them once; the second, deciding at the end of its
// reading, finds the first's ledger row and rolls back.
func TestIngestSameBytesAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db, manyResources()...)
		content, rows := bigUsage()
		known, err := db.LoadKnown(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]store.IngestResult, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				results[i], errs[i] = db.IngestFile(context.Background(), known, store.IngestInput{Name: fmt.Sprintf("copy-%d.csv", i), Open: func() (io.ReadCloser, error) {
					return io.NopCloser(strings.NewReader(content)), nil
				}})
			})
		}
		wg.Wait()
		applied := 0
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("ingest %d: %v", i, errs[i])
			}
			if !results[i].AlreadyIngested {
				applied++
			}
		}
		if applied != 1 {
			t.Errorf("%d of the two ingests applied the bytes (%+v), want one", applied, results)
		}
		if n := countRows(t, db, "usage"); n != rows {
			t.Errorf("usage rows = %d, want %d", n, rows)
		}
		if n := countRows(t, db, "files"); n != 1 {
			t.Errorf("ledger rows = %d, want 1", n)
		}
		if err := db.VerifyUsageMonths(context.Background()); err != nil {
			t.Error(err)
		}
	})
}

// TestIngestDigestIsOfTheBytesParsed is the lost night of the report: the
// file was hashed in one pass and parsed in another, and the complete file
// that came next was skipped as already ingested. Here the reader (no
// Statter: nothing can see the change) gives the complete file to the first
// reading and a partial one to the next: the ledger must record the digest
// of the partial bytes that were parsed, so that the complete file is
// ingested whole when it comes.
func TestIngestDigestIsOfTheBytesParsed(t *testing.T) {
	complete, rows := bigUsage()
	partial := complete[:strings.LastIndex(complete[:len(complete)/3], "\n")+1]
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadIngestReference(t, db, manyResources()...)
		opens := 0
		res, err := ingestIn(t, db, store.IngestInput{Name: "usage.csv", Open: func() (io.ReadCloser, error) {
			opens++
			if opens == 1 {
				return io.NopCloser(strings.NewReader(complete)), nil
			}
			return io.NopCloser(strings.NewReader(partial)), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		part := sha256.Sum256([]byte(partial))
		if res.SHA256 != hex.EncodeToString(part[:]) || res.Bytes != int64(len(partial)) {
			t.Fatalf("ledger digest %s of %d bytes, want that of the %d bytes parsed, %x", res.SHA256, res.Bytes, len(partial), part)
		}
		stored := countRows(t, db, "usage")
		full, err := ingestIn(t, db, store.IngestInput{Name: "usage.csv", Open: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(complete)), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if full.AlreadyIngested || int(full.Accepted) != rows-stored {
			t.Errorf("the complete file after a partial one: %+v, want %d new rows", full, rows-stored)
		}
		if n := countRows(t, db, "usage"); n != rows {
			t.Errorf("usage rows = %d, want %d", n, rows)
		}
	})
}
