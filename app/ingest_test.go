package app

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRotateDone(t *testing.T) {
	now := time.Date(2024, 6, 30, 2, 0, 0, 0, time.UTC)
	a := New(nil, nil)
	a.Now = func() time.Time { return now }
	done := t.TempDir()
	write := func(name, body string, age time.Duration) {
		p := filepath.Join(done, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		at := now.Add(-age)
		os.Chtimes(p, at, at)
	}
	write("fresh.csv", "day,resource_id\n", time.Hour)
	write("old.csv", "day,resource_id,item_code,quantity\n2024-06-01,R1,VCPU,4\n", 48*time.Hour)
	write("ancient.csv.gz", "x", 100*24*time.Hour)
	write("recent.csv.gz", "x", 10*24*time.Hour)
	if err := a.rotateDone(done, 0); err != nil {
		t.Fatal(err)
	}
	names, _ := os.ReadDir(done)
	var got []string
	for _, e := range names {
		got = append(got, e.Name())
	}
	want := []string{"fresh.csv", "old.csv.gz", "recent.csv.gz"}
	if len(got) != len(want) {
		t.Fatalf("done/ holds %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("done/ holds %v, want %v", got, want)
		}
	}
	f, err := os.Open(filepath.Join(done, "old.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if string(b) != "day,resource_id,item_code,quantity\n2024-06-01,R1,VCPU,4\n" {
		t.Errorf("compressed content %q", b)
	}
	if st, _ := os.Stat(filepath.Join(done, "old.csv.gz")); !st.ModTime().Equal(now.Add(-48 * time.Hour)) {
		t.Errorf("mtime not kept: %s", st.ModTime())
	}
}
