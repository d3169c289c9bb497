package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloudbill/metering"
	"cloudbill/store"
)

// IngestSummary totals one ingest run over all its files. Files counts the
// files ingested, Skipped those already in the ledger, Failed those that
// could not be read; the row counts add up the files' results (Accepted =
// new keys) plus the earlier rejects retried at the start (Retried).
type IngestSummary struct {
	Files, Skipped, Failed                                        int
	Read, Accepted, Replaced, Unchanged, Rejected, NotYetBillable int64
	Duplicates, Retried                                           int64
}

func (s *IngestSummary) add(r store.IngestResult) {
	s.Read += r.Read
	s.Accepted += r.Accepted
	s.Replaced += r.Replaced
	s.Unchanged += r.Unchanged
	s.Rejected += r.Rejected
	s.NotYetBillable += r.NotYetBillable
	s.Duplicates += r.Duplicates
}

func cmdIngest(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "ingest", "PATH... | --inbox DIR")
	inbox := fs.String("inbox", "", "ingest every new file of `DIR`, moving each to DIR/done/ once committed (or DIR/failed/ when unreadable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *inbox == "" && fs.NArg() == 0:
		return usagef("ingest needs files or folders, or --inbox DIR")
	case *inbox != "" && fs.NArg() > 0:
		return usagef("ingest takes either paths or --inbox DIR, not both")
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Ingestion streams: keep the heap (and so the RSS) flat however
		// large the file, at the price of more frequent collections.
		debug.SetMemoryLimit(128 << 20)
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var sum IngestSummary
	if *inbox != "" {
		sum, err = ingestInbox(ctx, a, db, *inbox)
	} else {
		sum, err = ingestPaths(ctx, a, db, fs.Args())
	}
	fmt.Fprintf(a.Stderr, "ingested %d files (%d already ingested, %d unreadable): %s\n", sum.Files, sum.Skipped, sum.Failed, sumLine(sum))
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d files could not be read", sum.Failed)
	}
	return nil
}

func sumLine(s IngestSummary) string {
	line := fmt.Sprintf("%d read, %d new, %d replaced, %d unchanged, %d repeated, %d rejected, %d not yet billable",
		s.Read, s.Accepted, s.Replaced, s.Unchanged, s.Duplicates, s.Rejected, s.NotYetBillable)
	if s.Retried > 0 {
		line += fmt.Sprintf("; %d earlier rejects retried", s.Retried)
	}
	return line
}

// ingester holds what one run needs: the known resources and items,
// loaded once, and the running totals.
type ingester struct {
	a     *App
	db    *store.DB
	known *metering.Known
	sum   IngestSummary
}

// start loads what rows are checked against, then retries the earlier
// rejects whose resource has been loaded since.
func startIngest(ctx context.Context, a *App, db *store.DB) (*ingester, error) {
	known, err := db.LoadKnown(ctx)
	if err != nil {
		return nil, err
	}
	in := &ingester{a: a, db: db, known: known}
	res, err := db.RetryRejects(ctx, known)
	if err != nil {
		return nil, fmt.Errorf("retry earlier rejects: %w", err)
	}
	if res.Read > 0 {
		in.sum.add(res)
		in.sum.Retried = res.Read
		in.sum.Read -= res.Read // retried rows were read before, in their own file
		in.report(res, 0)
	}
	return in, nil
}

// errGone means the file disappeared: another ingest took it.
var errGone = errors.New("file taken by another ingest")

// file ingests one file. A *store.FileError means it cannot be read.
func (in *ingester) file(ctx context.Context, path string) (store.IngestResult, error) {
	sum, size, err := hashFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return store.IngestResult{File: path}, errGone
	}
	if err != nil {
		return store.IngestResult{File: path}, &store.FileError{Err: metering.Problem{File: path, Reason: err.Error()}}
	}
	var bytesRead, rows atomic.Int64
	input := store.IngestInput{
		Name:   path,
		SHA256: sum,
		Open: func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			bytesRead.Store(0)
			return &countingReader{f: f, n: &bytesRead}, nil
		},
		Progress: func(n int64) { rows.Store(n) },
	}
	stop := in.progress(path, size, &bytesRead, &rows)
	began := time.Now()
	res, err := in.db.IngestFile(ctx, in.known, input)
	stop()
	if err != nil {
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			return res, errGone
		}
		return res, err
	}
	if res.AlreadyIngested {
		in.sum.Skipped++
		fmt.Fprintf(in.a.Stderr, "%s: already ingested, nothing changed\n", path)
		in.a.Log.Info("file already ingested", "file", path, "sha256", sum)
		return res, nil
	}
	in.sum.Files++
	in.sum.add(res)
	in.report(res, time.Since(began))
	return res, nil
}

// report prints a file's summary on stderr and logs it with every
// replacement listed.
func (in *ingester) report(r store.IngestResult, took time.Duration) {
	line := fmt.Sprintf("%s: %d read, %d new, %d replaced, %d unchanged, %d repeated, %d rejected, %d not yet billable",
		r.File, r.Read, r.Accepted, r.Replaced, r.Unchanged, r.Duplicates, r.Rejected, r.NotYetBillable)
	if took > 0 {
		line += fmt.Sprintf(" (%s, %s, %.1fs, %.0f rows/s)", r.Kind, r.Path, took.Seconds(), float64(r.Read)/max(took.Seconds(), 1e-9))
	}
	fmt.Fprintln(in.a.Stderr, line)
	in.a.Log.Info("file ingested", "file", r.File, "kind", string(r.Kind), "sha256", r.SHA256, "path", r.Path,
		"read", r.Read, "accepted", r.Accepted, "replaced", r.Replaced, "unchanged", r.Unchanged,
		"repeated", r.Duplicates, "rejected", r.Rejected, "not_yet_billable", r.NotYetBillable, "seconds", took.Seconds())
	for _, rp := range r.Replacements {
		in.a.Log.Info("value replaced", "file", r.File, "resource", rp.ResourceID, "item", rp.ItemCode, "day", rp.Day, "old", rp.Old, "new", rp.New)
	}
	if more := r.Replaced - int64(len(r.Replacements)); more > 0 {
		in.a.Log.Info("more values replaced than listed", "file", r.File, "unlisted", more)
	}
	if r.Rejected > 0 {
		fmt.Fprintf(in.a.Stderr, "%s: see the rejected rows with: cloudbill rejects --file %s\n", r.File, r.File)
	}
}

// progress draws a progress bar on a terminal until stop is called.
func (in *ingester) progress(name string, size int64, bytesRead, rows *atomic.Int64) (stop func()) {
	if !in.a.IsTerminal || size < 4<<20 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(in.a.Stderr, "\r\033[K")
				return
			case <-tick.C:
				frac := min(float64(bytesRead.Load())/float64(size), 1)
				const width = 30
				bar := strings.Repeat("█", int(frac*width)) + strings.Repeat("░", width-int(frac*width))
				fmt.Fprintf(in.a.Stderr, "\r%s %s %3.0f%% %d rows", filepath.Base(name), bar, frac*100, rows.Load())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

type countingReader struct {
	f *os.File
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.f.Close() }

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ingestPaths ingests files and the files of folders (not their
// subfolders), in name order.
func ingestPaths(ctx context.Context, a *App, db *store.DB, paths []string) (IngestSummary, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return IngestSummary{}, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		names, err := inboxFiles(p)
		if err != nil {
			return IngestSummary{}, err
		}
		for _, n := range names {
			files = append(files, filepath.Join(p, n))
		}
	}
	in, err := startIngest(ctx, a, db)
	if err != nil {
		return IngestSummary{}, err
	}
	for _, f := range files {
		_, err := in.file(ctx, f)
		var fe *store.FileError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			in.sum.Failed++
			fmt.Fprintf(a.Stderr, "%v: file not ingested\n", fe)
			a.Log.Error("file unreadable", "file", f, "err", fe.Error())
		default:
			return in.sum, fmt.Errorf("ingest %s: %w", f, err)
		}
	}
	return in.sum, nil
}

// inboxFiles lists the regular files of dir by name, leaving out hidden
// files and files still being written (.tmp, .part).
func inboxFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".part") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// ingestInbox ingests every new file of dir (the nightly job's step), one
// transaction per file. After its transaction commits a file moves to
// dir/done/; a file that cannot be read moves to dir/failed/ with a
// NAME.reason beside it. A failure of the database stops the run and
// leaves the file in the inbox: the next run takes it again. A file whose
// SHA-256 is in the ledger (committed by a run that stopped before moving
// it, or by a concurrent ingest) just moves to done/.
func ingestInbox(ctx context.Context, a *App, db *store.DB, dir string) (IngestSummary, error) {
	done, failed := filepath.Join(dir, "done"), filepath.Join(dir, "failed")
	for _, d := range []string{done, failed} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return IngestSummary{}, fmt.Errorf("inbox: %w", err)
		}
	}
	names, err := inboxFiles(dir)
	if err != nil {
		return IngestSummary{}, fmt.Errorf("inbox: %w", err)
	}
	in, err := startIngest(ctx, a, db)
	if err != nil {
		return IngestSummary{}, err
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return in.sum, err
		}
		path := filepath.Join(dir, name)
		res, err := in.file(ctx, path)
		var fe *store.FileError
		switch {
		case errors.Is(err, errGone):
			a.Log.Info("file taken by another ingest", "file", path)
		case errors.As(err, &fe):
			in.sum.Failed++
			fmt.Fprintf(a.Stderr, "%v: moved to %s\n", fe, failed)
			a.Log.Error("file unreadable", "file", path, "err", fe.Error())
			if err := os.WriteFile(filepath.Join(failed, name+".reason"), []byte(fe.Error()+"\n"), 0o644); err != nil {
				return in.sum, fmt.Errorf("inbox: %w", err)
			}
			if err := os.Rename(path, filepath.Join(failed, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return in.sum, fmt.Errorf("inbox: %w", err)
			}
		case err != nil:
			return in.sum, fmt.Errorf("ingest %s: %w", path, err)
		default:
			if err := moveDone(path, done, name, res.SHA256); err != nil {
				return in.sum, fmt.Errorf("inbox: %w", err)
			}
		}
	}
	return in.sum, nil
}

// moveDone renames an ingested file into done/, keeping an earlier file of
// the same name (a different digest gets its own name).
func moveDone(path, done, name, sha string) error {
	target := filepath.Join(done, name)
	if _, err := os.Stat(target); err == nil && len(sha) >= 12 {
		if other, _, err := hashFile(target); err == nil && other != sha {
			target = filepath.Join(done, sha[:12]+"-"+name)
		}
	}
	if err := os.Rename(path, target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
