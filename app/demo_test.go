package app

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrepareDemoDir(t *testing.T) {
	t.Run("new folder is created and marked", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "demo")
		if err := prepareDemoDir(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			t.Error(err)
		}
	})
	t.Run("a folder of the user's is refused", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("x"), 0o644)
		if err := prepareDemoDir(dir); err == nil {
			t.Error("a non-empty folder without the marker must be refused")
		}
		if _, err := os.Stat(filepath.Join(dir, "thesis.tex")); err != nil {
			t.Error("the user's file was touched")
		}
	})
	t.Run("a previous demo is cleared", func(t *testing.T) {
		dir := t.TempDir()
		for _, p := range []string{demoMarker, "cloudbill.db", "cloudbill.db-wal", "inbox/done/usage.csv", "reference/districts.csv", "statement-2024.pdf"} {
			os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
			os.WriteFile(filepath.Join(dir, p), []byte("old"), 0o644)
		}
		if err := prepareDemoDir(dir); err != nil {
			t.Fatal(err)
		}
		for _, gone := range []string{"cloudbill.db", "cloudbill.db-wal", "inbox", "reference"} {
			if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
				t.Errorf("%s survived", gone)
			}
		}
	})
}
