package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"

	"cloudbill/metering"
)

// The ledger records what was read: the SHA-256 of a file is taken of the
// very bytes that are parsed, as they are parsed, never in a pass of its
// own (a file rewritten between two passes would be recorded under the
// digest of bytes that were not stored). A file that changes while it is
// read is refused whole.

// ErrChangedWhileRead means a file's size or modification time changed
// between its opening and the end of its reading: what was read is not a
// file anyone sent, and nothing of it is stored.
var ErrChangedWhileRead = errors.New("changed while it was read: not ingested, send it again")

// Statter is what a reader returned by IngestInput.Open offers when it
// reads a file (an *os.File does): IngestFile then compares the file's
// size and modification time at its opening and at the end of its reading.
type Statter interface {
	Stat() (fs.FileInfo, error)
}

// reading is the readings of one file for one ingest (PostgreSQL may read
// it twice): each is hashed as it is read, and each is compared with the
// file as it was at the first opening.
type reading struct {
	in    IngestInput
	first fs.FileInfo // at the first opening; nil when the reader cannot say
	last  *source     // the latest reading
	all   []*source
}

// source is one reading of a file: every byte read through it is hashed
// and counted.
type source struct {
	rc   io.ReadCloser
	stat Statter // nil when the reader cannot say
	h    hash.Hash
	n    int64
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	return n, err
}

// open starts a reading of the file and reads its header.
func (r *reading) open() (closeTable, error) {
	name := r.in.Name
	rc, err := r.in.Open()
	if err != nil {
		return closeTable{}, &FileError{fmt.Errorf("%s: %w", name, err)}
	}
	src := &source{rc: rc, h: sha256.New()}
	r.all = append(r.all, src)
	r.last = src
	if st, ok := rc.(Statter); ok {
		fi, err := st.Stat()
		if err != nil {
			return closeTable{}, &FileError{fmt.Errorf("%s: %w", name, err)}
		}
		src.stat = st
		if r.first == nil {
			r.first = fi
		} else if changed(r.first, fi) {
			return closeTable{}, r.changedError()
		}
	}
	t, err := metering.NewTable(name, src)
	if err != nil {
		var p metering.Problem
		if errors.As(err, &p) {
			return closeTable{}, &FileError{p}
		}
		return closeTable{}, &FileError{fmt.Errorf("%s: %w", name, err)}
	}
	return closeTable{t}, nil
}

// finish reads the latest reading to its end (bytes after the last row,
// or after a gzip stream, are part of the file too), checks that the file
// did not change since its first opening, and returns the SHA-256 and the
// size of what was read.
func (r *reading) finish() (string, int64, error) {
	src := r.last
	if _, err := io.Copy(io.Discard, src); err != nil {
		return "", 0, &FileError{fmt.Errorf("%s: %w", r.in.Name, err)}
	}
	if src.stat != nil {
		fi, err := src.stat.Stat()
		if err != nil {
			return "", 0, &FileError{fmt.Errorf("%s: %w", r.in.Name, err)}
		}
		if changed(r.first, fi) || fi.Size() != src.n {
			return "", 0, r.changedError()
		}
	}
	return hex.EncodeToString(src.h.Sum(nil)), src.n, nil
}

func (r *reading) changedError() error {
	return &FileError{fmt.Errorf("%s: %w", r.in.Name, ErrChangedWhileRead)}
}

// close closes every reading.
func (r *reading) close() {
	for _, s := range r.all {
		s.rc.Close()
	}
	r.all = nil
}

// changed reports whether b is not the file a was: another file, or the
// same one written to since (size or modification time).
func changed(a, b fs.FileInfo) bool {
	return a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) || !os.SameFile(a, b)
}

// sizeOf returns the size of the file in, when its reader can say.
func sizeOf(in IngestInput) (int64, bool, error) {
	rc, err := in.Open()
	if err != nil {
		return 0, false, &FileError{fmt.Errorf("%s: %w", in.Name, err)}
	}
	defer rc.Close()
	st, ok := rc.(Statter)
	if !ok {
		return 0, false, nil
	}
	fi, err := st.Stat()
	if err != nil {
		return 0, false, &FileError{fmt.Errorf("%s: %w", in.Name, err)}
	}
	return fi.Size(), true, nil
}

// digest reads in from start to end and returns its SHA-256, or "" when
// the file changed while it was read.
func digest(in IngestInput) (string, error) {
	r := &reading{in: in}
	defer r.close()
	rc, err := in.Open()
	if err != nil {
		return "", &FileError{fmt.Errorf("%s: %w", in.Name, err)}
	}
	src := &source{rc: rc, h: sha256.New()}
	r.all, r.last = []*source{src}, src
	if st, ok := rc.(Statter); ok {
		if r.first, err = st.Stat(); err != nil {
			return "", &FileError{fmt.Errorf("%s: %w", in.Name, err)}
		}
		src.stat = st
	}
	sum, _, err := r.finish()
	if errors.Is(err, ErrChangedWhileRead) {
		return "", nil
	}
	return sum, err
}
