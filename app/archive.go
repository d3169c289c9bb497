package app

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cloudbill/metering"
	"cloudbill/store"
)

// ArchiveInput names a closed year and the folder its metering goes to.
type ArchiveInput struct {
	Year int
	Out  string
}

// Validate checks the year and the folder.
func (in ArchiveInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	if in.Out == "" {
		return &InputError{Field: "out", Reason: "a folder for the archive files is required"}
	}
	return nil
}

// ArchiveResult says what was archived: the files (usage, activity) and
// the checksum file beside them.
type ArchiveResult struct {
	Year  int
	Files []store.ArchivedFile
	Sums  string // the SHA256SUMS file
}

// SumsFile is the name of the checksum file of an archive folder, in the
// format of sha256sum (sha256sum -c SHA256SUMS checks the files).
const SumsFile = "SHA256SUMS"

// ArchiveFileName is the name of the archive file of a year's rows of
// kind: usage-2024.csv.gz, activity-2024.csv.gz.
func ArchiveFileName(kind store.RecordKind, year int) string {
	return fmt.Sprintf("%s-%d.csv.gz", kind, year)
}

// Archive moves the usage and activity rows of a closed year (ended, its
// statement issued) out of the database into two gzipped CSV files in the
// nightly formats, with their SHA-256 in Out/SHA256SUMS. Each file is
// written to a temporary name, read back and counted, then renamed into
// place and synced; the checksums are checked against the files on disk;
// only then are the rows deleted, in the same transaction that exported
// them. Statements, findings, the ledger and the summaries stay, so that
// settling the year or refreshing the findings gives what it gave before.
// `cloudbill ingest` of the two files restores the rows.
//
// Files of the same names in Out are replaced: the database is the record
// of which archive holds a year, and it refuses to archive a year again
// until its archive is restored.
func (a *App) Archive(ctx context.Context, in ArchiveInput) (ArchiveResult, error) {
	res := ArchiveResult{Year: in.Year, Sums: filepath.Join(in.Out, SumsFile)}
	if err := in.Validate(); err != nil {
		return res, err
	}
	policy, _, err := a.Policy()
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(in.Out, 0o755); err != nil {
		return res, fmt.Errorf("archive: %w", err)
	}
	written := a.now()
	out, err := a.DB.ArchiveYear(ctx, store.ArchiveInput{
		Year: in.Year, Today: a.Today(), IdlePolicy: policy,
		Export: func(ctx context.Context, parts []store.ArchivePart) ([]store.ArchivedFile, error) {
			var files []store.ArchivedFile
			for _, p := range parts {
				f, err := writeArchiveFile(ctx, filepath.Join(in.Out, ArchiveFileName(p.Kind, in.Year)), in.Year, p, written)
				if err != nil {
					return nil, err
				}
				files = append(files, f)
			}
			if err := writeSums(res.Sums, files); err != nil {
				return nil, err
			}
			if err := checkSums(res.Sums, files); err != nil {
				return nil, err
			}
			return files, nil
		},
	})
	res.Files = out.Files
	if err != nil {
		return res, err
	}
	for _, f := range res.Files {
		a.Log.Info("archived", "year", in.Year, "kind", string(f.Kind), "file", f.Name, "rows", f.Rows, "sha256", f.SHA256)
	}
	return res, nil
}

// writeArchiveFile writes part as a gzipped CSV file at path (through a
// temporary file, synced), reads it back as ingest would and counts its
// rows, then renames it into place. The gzip header carries the time of
// the archive and a random number, so that two archives of the same rows
// differ and the ledger never takes one for the other.
func writeArchiveFile(ctx context.Context, path string, year int, part store.ArchivePart, at time.Time) (store.ArchivedFile, error) {
	f := store.ArchivedFile{Kind: part.Kind, Name: path}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return f, err
	}
	defer os.Remove(tmp.Name())
	fail := func(err error) (store.ArchivedFile, error) {
		tmp.Close()
		return f, fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		return fail(err)
	}
	zw.Name = strings.TrimSuffix(filepath.Base(path), ".gz")
	zw.ModTime = at
	nonce := make([]byte, 8)
	rand.Read(nonce)
	zw.Comment = fmt.Sprintf("cloudbill archive of the %s of %d, written %s, %x", part.Kind, year, at.UTC().Format(time.RFC3339Nano), nonce)
	cw := csv.NewWriter(zw)
	if err := cw.Write(part.Columns); err != nil {
		return fail(err)
	}
	err = part.Each(func(row []string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return cw.Write(row)
	})
	if err != nil {
		return fail(err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fail(err)
	}
	if err := zw.Close(); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return f, fmt.Errorf("write %s: %w", path, err)
	}
	if f.SHA256, f.Rows, err = readArchiveFile(tmp.Name(), part.Columns); err != nil {
		return f, fmt.Errorf("read back %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return f, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return f, err
	}
	return f, syncDir(dir)
}

// readArchiveFile reads the archive file at path as ingest reads a
// nightly file and returns its SHA-256 and its number of rows; any row
// that does not parse is an error.
func readArchiveFile(path string, columns []string) (string, int64, error) {
	file, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer file.Close()
	h := sha256.New()
	t, err := metering.NewTable(path, io.TeeReader(file, h))
	if err != nil {
		return "", 0, err
	}
	defer t.Close()
	if !t.Gzipped || !slices.Equal(t.Header(), columns) {
		return "", 0, fmt.Errorf("not a gzipped file with the columns %s", strings.Join(columns, ","))
	}
	var n int64
	for {
		row, err := t.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, err
		}
		if len(row.Fields) != len(columns) {
			return "", 0, fmt.Errorf("line %d: %d fields", row.Line, len(row.Fields))
		}
		n++
	}
	if _, err := io.Copy(h, file); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeSums writes the digests of files into the checksum file at path,
// keeping the lines of other files (other years archived to the folder).
func writeSums(path string, files []store.ArchivedFile) error {
	mine := map[string]string{}
	for _, f := range files {
		mine[filepath.Base(f.Name)] = f.SHA256
	}
	var lines []string
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, l := range strings.Split(strings.TrimSpace(string(old)), "\n") {
		if _, name, ok := strings.Cut(l, "  "); ok && mine[name] == "" {
			lines = append(lines, l)
		}
	}
	for _, f := range files {
		lines = append(lines, f.SHA256+"  "+filepath.Base(f.Name))
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[strings.Index(a, "  "):], b[strings.Index(b, "  "):]) })
	err = writeFileAtomic(path, func(w *os.File) error {
		if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
			return err
		}
		return w.Sync()
	})
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// checkSums checks, as sha256sum -c would, that the checksum file at path
// lists each of files with the digest of its bytes on disk.
func checkSums(path string, files []store.ArchivedFile) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	listed := map[string]string{}
	for _, l := range strings.Split(string(body), "\n") {
		if sum, name, ok := strings.Cut(l, "  "); ok {
			listed[name] = sum
		}
	}
	for _, f := range files {
		name := filepath.Base(f.Name)
		sum, err := fileDigest(f.Name)
		if err != nil {
			return err
		}
		if sum != f.SHA256 || listed[name] != sum {
			return fmt.Errorf("%s: digest %s on disk, %s read back, %s in %s", f.Name, sum, f.SHA256, listed[name], path)
		}
	}
	return nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir makes the names in dir durable (a rename is not until then).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
