package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloudbill/store"
)

// The store refuses a file that changes while it is read only when the
// reader can stat the open file.
var _ store.Statter = (*countingReader)(nil)

func TestStillAsRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "usage.csv")
	write := func(body string, age time.Duration) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	read := func() *countingReader {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return &countingReader{ctx: context.Background(), f: f}
	}
	stat := func(c *countingReader) os.FileInfo {
		t.Helper()
		fi, err := c.Stat()
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	t.Run("unchanged", func(t *testing.T) {
		write("a,b\n", time.Hour)
		if fi := stat(read()); !stillAsRead(path, fi) {
			t.Error("an untouched file: not as read")
		}
	})
	t.Run("written to", func(t *testing.T) {
		write("a,b\n", time.Hour)
		fi := stat(read())
		write("a,b\n1,2\n", 0)
		if stillAsRead(path, fi) {
			t.Error("a file written after it was read: as read")
		}
	})
	t.Run("replaced by a rename", func(t *testing.T) {
		write("a,b\n", time.Hour)
		fi := stat(read())
		other := filepath.Join(dir, "usage.csv.part")
		if err := os.WriteFile(other, []byte("a,b\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(other, fi.ModTime(), fi.ModTime())
		if err := os.Rename(other, path); err != nil {
			t.Fatal(err)
		}
		if stillAsRead(path, fi) {
			t.Error("another file of the same size and time renamed over it: as read")
		}
	})
	t.Run("gone", func(t *testing.T) {
		write("a,b\n", time.Hour)
		fi := stat(read())
		os.Remove(path)
		if !stillAsRead(path, fi) {
			t.Error("a file gone (moved by another ingest) must count as unchanged: nothing to move")
		}
	})
}
