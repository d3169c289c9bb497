package app

import (
	"compress/gzip"
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
	"sync/atomic"
	"time"

	"cloudbill/metering"
	"cloudbill/store"
)

// IngestInput says what to ingest: Paths (files, and the files of
// folders) or every new file of an Inbox, which then moves each file to
// Inbox/done/ once committed (Inbox/failed/ when unreadable).
type IngestInput struct {
	Paths []string
	Inbox string
	// SettleTime is how long an inbox file must have been left alone (no
	// write) before it is taken, unless it was renamed into the inbox
	// after its last write (the .part convention); 0 means 60 s, a
	// negative value takes every file at once.
	SettleTime time.Duration
	// KeepDone is how long the compressed files of done/ are kept (0: 90
	// days, negative: forever); files there are compressed after a day.
	KeepDone time.Duration
	// Report, when set, is told of each file's result (and of the retried
	// rejects, with File ""), as soon as it is committed.
	Report func(FileReport)
	// Progress, when set, is called for each file before it is read; the
	// returned function is called when it is done. bytesRead and rows are
	// updated while the file is read.
	Progress func(path string, size int64, bytesRead, rows *atomic.Int64) (done func())
	// DryRun checks and counts everything as the run would, then stores
	// nothing: the files go through one transaction that is rolled back
	// (the ledger, the rejects, the metering and its summaries are left
	// as they were), and no inbox file moves.
	DryRun bool
	// Rejected, when set, is told each rejected row of each file, as
	// file:line: column: reason (a dry run lists them).
	Rejected func(metering.Problem)
}

// Validate checks that exactly one of Paths and Inbox is given.
func (in IngestInput) Validate() error {
	switch {
	case in.Inbox == "" && len(in.Paths) == 0:
		return &InputError{Field: "inbox", Reason: "ingest needs files or folders, or --inbox DIR"}
	case in.Inbox != "" && len(in.Paths) > 0:
		return &InputError{Field: "inbox", Reason: "ingest takes either paths or --inbox DIR, not both"}
	}
	return nil
}

// FileReport is one file's outcome: its result, how long it took, and
// whether it was already in the ledger (nothing changed).
type FileReport struct {
	store.IngestResult
	Took            time.Duration
	AlreadyIngested bool
	// Failed is why the file could not be read (nil when it was); MovedTo
	// the folder it was moved to then (inbox runs only).
	Failed  *store.FileError
	MovedTo string
	// Waiting says the file is still being written: left for the next run.
	Waiting bool
}

// IngestSummary totals one ingest run over all its files. Files counts the
// files ingested, Skipped those already in the ledger, Failed those that
// could not be read; the row counts add up the files' results (Accepted =
// new keys) plus the earlier rejects retried at the start (Retried).
type IngestSummary struct {
	Files, Skipped, Failed                                        int
	Read, Accepted, Replaced, Unchanged, Rejected, NotYetBillable int64
	Duplicates, Retried                                           int64
	// Waiting counts inbox files left for the next run: still being written.
	Waiting int
	// FailedFiles are the files that could not be read, with the reason.
	FailedFiles []*store.FileError
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

// Count adds the summary's counts to a job's counts.
func (s IngestSummary) Count(c map[string]int64) {
	c[CountFiles] = int64(s.Files)
	c[CountFilesSkipped] = int64(s.Skipped)
	c[CountFilesFailed] = int64(s.Failed)
	c[CountFilesWaiting] = int64(s.Waiting)
	c[CountRowsRead] = s.Read
	c[CountRowsIngested] = s.Accepted + s.Replaced
	c[CountRowsUnchanged] = s.Unchanged
	c[CountRowsRejected] = s.Rejected
	c[CountNotYetBillable] = s.NotYetBillable
}

// String is the summary's counts on one line.
func (s IngestSummary) String() string {
	line := fmt.Sprintf("%d read, %d new, %d replaced, %d unchanged, %d repeated, %d rejected, %d not yet billable",
		s.Read, s.Accepted, s.Replaced, s.Unchanged, s.Duplicates, s.Rejected, s.NotYetBillable)
	if s.Retried > 0 {
		line += fmt.Sprintf("; %d earlier rejects retried", s.Retried)
	}
	return line
}

// Ingest ingests metering files, one transaction per file. A file that
// cannot be read is counted in Failed (and, with an inbox, moved to
// failed/); the run goes on. A failure of the database stops the run.
func (a *App) Ingest(ctx context.Context, in IngestInput) (IngestSummary, error) {
	if err := in.Validate(); err != nil {
		return IngestSummary{}, err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Ingestion streams: keep the heap (and so the RSS) flat however
		// large the file, at the price of more frequent collections.
		debug.SetMemoryLimit(128 << 20)
	}
	if in.Inbox != "" {
		return a.ingestInbox(ctx, in)
	}
	return a.ingestPaths(ctx, in)
}

// ingester holds what one run needs: the known resources and items,
// loaded once, where the files go, and the running totals.
type ingester struct {
	a     *App
	in    IngestInput
	known *metering.Known
	sink  fileSink
	sum   IngestSummary
}

// fileSink is where an ingest writes: the database (a transaction per
// file), or a store.DryRun.
type fileSink interface {
	IngestFile(ctx context.Context, known *metering.Known, in store.IngestInput) (store.IngestResult, error)
	RetryRejects(ctx context.Context, known *metering.Known) (store.IngestResult, error)
}

// startIngest loads what rows are checked against, then retries the
// earlier rejects whose resource has been loaded since. A dry run's
// ingester holds the dry run's transaction: call its close.
func (a *App) startIngest(ctx context.Context, in IngestInput) (*ingester, error) {
	known, err := a.DB.LoadKnown(ctx)
	if err != nil {
		return nil, err
	}
	known.Today = a.Today()
	ing := &ingester{a: a, in: in, known: known, sink: a.DB}
	if in.DryRun {
		dry, err := a.DB.BeginDryRun(ctx)
		if err != nil {
			return nil, err
		}
		ing.sink = dry
	}
	res, err := ing.sink.RetryRejects(ctx, known)
	if err != nil {
		ing.close()
		return nil, fmt.Errorf("retry earlier rejects: %w", err)
	}
	if res.Read > 0 {
		ing.sum.add(res)
		ing.sum.Retried = res.Read
		ing.sum.Read -= res.Read // retried rows were read before, in their own file
		ing.report(FileReport{IngestResult: res})
	}
	return ing, nil
}

// close ends a dry run: nothing it did stays.
func (ing *ingester) close() {
	if dry, ok := ing.sink.(*store.DryRun); ok {
		dry.Close()
	}
}

// errGone means the file disappeared: another ingest took it.
var errGone = errors.New("file taken by another ingest")

// file ingests one file. A *store.FileError means it cannot be read.
// read is the file as its last reading opened it (nil when it was not
// opened).
func (ing *ingester) file(ctx context.Context, path string, follow bool) (res store.IngestResult, read fs.FileInfo, err error) {
	if err := regularFile(path, follow); err != nil {
		return store.IngestResult{File: path}, nil, &store.FileError{Err: metering.Problem{File: path, Reason: err.Error()}}
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return store.IngestResult{File: path}, nil, errGone
	}
	if err != nil {
		return store.IngestResult{File: path}, nil, &store.FileError{Err: metering.Problem{File: path, Reason: err.Error()}}
	}
	// The store hashes the bytes it parses, as it reads them, and refuses
	// the file if it changes while it is read (countingReader.Stat).
	var bytesRead, rows atomic.Int64
	var opened fs.FileInfo // the file as the store's last reading found it
	input := store.IngestInput{
		Name: path,
		Open: func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			if opened, err = f.Stat(); err != nil {
				f.Close()
				return nil, err
			}
			bytesRead.Store(0)
			return &countingReader{ctx: ctx, f: f, n: &bytesRead}, nil
		},
		Progress: func(n int64) { rows.Store(n) },
		Rejected: ing.in.Rejected,
	}
	done := func() {}
	if ing.in.Progress != nil {
		done = ing.in.Progress(path, st.Size(), &bytesRead, &rows)
	}
	began := time.Now()
	res, err = ing.sink.IngestFile(ctx, ing.known, input)
	done()
	if err != nil && ctx.Err() != nil {
		// Stopped (SIGTERM): the file's transaction rolled back; it stays
		// where it is for the next run.
		return res, nil, fmt.Errorf("%s: interrupted, nothing of it stored: %w", path, context.Cause(ctx))
	}
	if err != nil {
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			return res, nil, errGone
		}
		return res, nil, err
	}
	if res.AlreadyIngested {
		ing.sum.Skipped++
		ing.a.Log.Info("file already ingested", "file", path, "sha256", res.SHA256)
		if ing.in.Report != nil {
			ing.in.Report(FileReport{IngestResult: res, AlreadyIngested: true})
		}
		return res, opened, nil
	}
	ing.sum.Files++
	ing.sum.add(res)
	ing.report(FileReport{IngestResult: res, Took: time.Since(began)})
	if !ing.in.DryRun {
		err = ing.a.record(ctx, store.AuditEntry{Action: store.AuditActionIngest, Subject: path,
			Detail: fmt.Sprintf("accepted: sha256 %s, %d read, %d new, %d replaced, %d unchanged, %d rejected", res.SHA256, res.Read, res.Accepted, res.Replaced, res.Unchanged, res.Rejected)})
	}
	return res, opened, err
}

// stillAsRead reports whether path is still the file read, as it was
// read: not written to nor replaced since (a file gone counts as unchanged:
// there is nothing to move).
func stillAsRead(path string, read fs.FileInfo) bool {
	st, err := os.Stat(path)
	if err != nil || read == nil {
		return true
	}
	return os.SameFile(st, read) && st.Size() == read.Size() && st.ModTime().Equal(read.ModTime())
}

// report logs a file's summary with every replacement listed and tells
// the caller's Report.
func (ing *ingester) report(fr FileReport) {
	r := fr.IngestResult
	log := ing.a.Log
	log.Info("file ingested", "file", r.File, "kind", string(r.Kind), "sha256", r.SHA256, "path", r.Path,
		"read", r.Read, "accepted", r.Accepted, "replaced", r.Replaced, "unchanged", r.Unchanged,
		"repeated", r.Duplicates, "rejected", r.Rejected, "not_yet_billable", r.NotYetBillable, "seconds", fr.Took.Seconds())
	for _, rp := range r.Replacements {
		log.Info("value replaced", "file", r.File, "resource", rp.ResourceID, "item", rp.ItemCode, "day", rp.Day, "old", rp.Old, "new", rp.New)
	}
	if more := r.Replaced - int64(len(r.Replacements)); more > 0 {
		log.Info("more values replaced than listed", "file", r.File, "unlisted", more)
	}
	if ing.in.Report != nil {
		ing.in.Report(fr)
	}
}

// failed counts a file that could not be read (moved to movedTo, if set).
// A real run records it in the audit trail.
func (ing *ingester) failed(ctx context.Context, path string, fe *store.FileError, movedTo string) error {
	ing.sum.Failed++
	ing.sum.FailedFiles = append(ing.sum.FailedFiles, fe)
	ing.a.Log.Error("file unreadable", "file", path, "err", fe)
	if ing.in.Report != nil {
		ing.in.Report(FileReport{IngestResult: store.IngestResult{File: path}, Failed: fe, MovedTo: movedTo})
	}
	if ing.in.DryRun {
		return nil
	}
	return ing.a.record(ctx, store.AuditEntry{Action: store.AuditActionIngest, Subject: path, Detail: "failed: " + fe.Error()})
}

// countingReader counts the bytes read of a file and stops reading when
// its context ends.
type countingReader struct {
	ctx context.Context
	f   *os.File
	n   *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.f.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.f.Close() }

// Stat is the open file's: the store compares it at the opening and at the
// end of the reading, and refuses a file that changed in between.
func (c *countingReader) Stat() (fs.FileInfo, error) { return c.f.Stat() }

func hashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, &countingReader{ctx: ctx, f: f, n: new(atomic.Int64)})
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ingestPaths ingests files and the files of folders (not their
// subfolders), in name order.
func (a *App) ingestPaths(ctx context.Context, in IngestInput) (IngestSummary, error) {
	var files []string
	explicit := map[string]bool{}
	for _, p := range in.Paths {
		st, err := os.Stat(p)
		if err != nil {
			return IngestSummary{}, err
		}
		if !st.IsDir() {
			files = append(files, p)
			explicit[p] = true
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
	ing, err := a.startIngest(ctx, in)
	if err != nil {
		return IngestSummary{}, err
	}
	defer ing.close()
	for _, f := range files {
		_, _, err := ing.file(ctx, f, explicit[f])
		var fe *store.FileError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			if err := ing.failed(ctx, f, fe, ""); err != nil {
				return ing.sum, err
			}
		default:
			return ing.sum, fmt.Errorf("ingest %s: %w", f, err)
		}
	}
	return ing.sum, nil
}

// regularFile refuses what is not a plain file: a FIFO or a device would
// block or never end (/dev/zero), a symbolic link may point anywhere.
// A path named on the command line may be a link to a plain file (follow).
func regularFile(path string, follow bool) error {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	st, err := stat(path)
	if err != nil {
		return err
	}
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("a symbolic link that cannot be followed (%w): not ingested", err)
		}
		return errors.New("a symbolic link: not ingested (move or copy the file itself in)")
	case m&fs.ModeNamedPipe != 0:
		return errors.New("a named pipe (FIFO), not a regular file: not ingested")
	case m&fs.ModeDevice != 0:
		return errors.New("a device, not a regular file: not ingested")
	case m.IsDir():
		return errors.New("a folder inside the folder: not ingested (its files are not read)")
	default:
		return fmt.Errorf("not a regular file (%s): not ingested", m.Type())
	}
}

// inboxFiles lists the files of dir by name, leaving out hidden files,
// files being uploaded (.tmp, .part) and folders (done/, failed/).
// Anything else that is not a plain file is listed too, so that it is
// reported rather than silently ignored.
func inboxFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".part") {
			continue
		}
		if e.IsDir() {
			continue // done/, failed/ and any other folder: not read
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// settling reports whether path is still being written: written to within
// the settle time and not renamed into place since (a rename after the last
// write, the .part convention, changes the inode's ctime past its mtime).
func settling(path string, settle time.Duration, now time.Time) bool {
	if settle < 0 {
		return false
	}
	if settle == 0 {
		settle = time.Minute
	}
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	mtime := st.ModTime()
	if ctime, ok := changeTime(st); ok && ctime.After(mtime) {
		return false // renamed (or chmod'ed) after its last write: complete
	}
	return now.Sub(mtime) < settle
}

// ingestInbox ingests every new file of the inbox (the nightly job's step),
// one transaction per file. After its transaction commits a file moves to
// done/; a file that cannot be read moves to failed/ with a NAME.reason
// beside it. A failure of the database stops the run and leaves the file
// in the inbox: the next run takes it again. A file whose SHA-256 is in
// the ledger (committed by a run that stopped before moving it, or by a
// concurrent ingest) just moves to done/. A file written to or replaced
// after it was read stays in the inbox: the next run reads it again. A dry
// run moves nothing.
func (a *App) ingestInbox(ctx context.Context, in IngestInput) (IngestSummary, error) {
	dir := in.Inbox
	done, failed := filepath.Join(dir, "done"), filepath.Join(dir, "failed")
	for _, d := range []string{done, failed} {
		if in.DryRun {
			break
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return IngestSummary{}, fmt.Errorf("inbox: %w", err)
		}
	}
	names, err := inboxFiles(dir)
	if err != nil {
		return IngestSummary{}, fmt.Errorf("inbox: %w", err)
	}
	ing, err := a.startIngest(ctx, in)
	if err != nil {
		return IngestSummary{}, err
	}
	defer ing.close()
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return ing.sum, err
		}
		path := filepath.Join(dir, name)
		if settling(path, in.SettleTime, a.now()) {
			ing.sum.Waiting++
			a.Log.Info("file still being written: left for the next run", "file", path)
			if in.Report != nil {
				in.Report(FileReport{IngestResult: store.IngestResult{File: path}, Waiting: true})
			}
			continue
		}
		res, read, err := ing.file(ctx, path, false)
		var fe *store.FileError
		switch {
		case errors.Is(err, errGone):
			a.Log.Info("file taken by another ingest", "file", path)
		case errors.As(err, &fe) && in.DryRun:
			ing.failed(ctx, path, fe, "")
		case errors.As(err, &fe):
			if err := ing.failed(ctx, path, fe, failed); err != nil {
				return ing.sum, err
			}
			if err := os.WriteFile(filepath.Join(failed, name+".reason"), []byte(fe.Error()+"\n"), 0o644); err != nil {
				return ing.sum, fmt.Errorf("inbox: %w", err)
			}
			if err := os.Rename(path, filepath.Join(failed, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return ing.sum, fmt.Errorf("inbox: %w", err)
			}
		case err != nil:
			return ing.sum, fmt.Errorf("ingest %s: %w", path, err)
		case in.DryRun:
		case !stillAsRead(path, read):
			a.Log.Warn("file written to or replaced after it was read: left in the inbox for the next run", "file", path)
		default:
			if err := moveDone(path, done, name, res.SHA256); err != nil {
				return ing.sum, fmt.Errorf("inbox: %w", err)
			}
		}
	}
	if in.DryRun {
		return ing.sum, nil
	}
	if err := a.rotateDone(done, in.KeepDone); err != nil {
		return ing.sum, fmt.Errorf("inbox: rotate done/: %w", err)
	}
	return ing.sum, nil
}

// moveDone renames an ingested file into done/, keeping an earlier file of
// the same name (a different digest gets its own name).
func moveDone(path, done, name, sha string) error {
	target := filepath.Join(done, name)
	if _, err := os.Stat(target); err == nil && len(sha) >= 12 {
		if other, _, err := hashFile(context.Background(), target); err == nil && other != sha {
			target = filepath.Join(done, sha[:12]+"-"+name)
		}
	}
	if err := os.Rename(path, target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// rotateDone compresses the files of done/ last written more than a day
// ago (NAME → NAME.gz) and removes compressed files older than keep (zero:
// 90 days; negative: kept forever). A file the ledger holds is never
// needed again to bill; it is kept for the operator, who may re-ingest it.
func (a *App) rotateDone(done string, keep time.Duration) error {
	if keep == 0 {
		keep = 90 * 24 * time.Hour
	}
	entries, err := os.ReadDir(done)
	if err != nil {
		return err
	}
	now := a.now()
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		path := filepath.Join(done, e.Name())
		age := now.Sub(info.ModTime())
		switch {
		case strings.HasSuffix(e.Name(), ".gz"):
			if keep > 0 && age > keep {
				if err := os.Remove(path); err != nil {
					return err
				}
				a.Log.Info("removed an old ingested file", "file", path, "days", int(age.Hours()/24))
			}
		case age > 24*time.Hour:
			if err := gzipFile(path, info.ModTime()); err != nil {
				return fmt.Errorf("compress %s: %w", path, err)
			}
		}
	}
	return nil
}

// gzipFile replaces path by path.gz, written through a temp file and a
// rename, keeping the modification time.
func gzipFile(path string, mtime time.Time) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.gz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw := gzip.NewWriter(tmp)
	zw.Name = filepath.Base(path)
	if _, err := io.Copy(zw, in); err != nil {
		tmp.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chtimes(tmp.Name(), mtime, mtime); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path+".gz"); err != nil {
		return err
	}
	return os.Remove(path)
}
