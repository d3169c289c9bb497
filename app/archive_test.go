package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// closedYear is apptest.ClosedYear on db; the clock says 1 March 2025.
func closedYear(t *testing.T, db *store.DB) *app.App {
	t.Helper()
	a := app.New(db, nil)
	a.Now = func() time.Time { return time.Date(2025, 3, 1, 10, 0, 0, 0, metering.Shanghai) }
	apptest.ClosedYear(t, a)
	return a
}

// rowsOf counts the rows of table dated in year.
func rowsOf(t *testing.T, db *store.DB, table string, year int) int {
	t.Helper()
	var n int
	if err := storetest.SQL(t, db).Get(&n, storetest.SQL(t, db).Rebind(`SELECT count(*) FROM `+table+` WHERE day >= ? AND day < ?`),
		metering.YearStart(year), metering.YearEnd(year)); err != nil {
		t.Fatal(err)
	}
	return n
}

// kept dumps what an archive must leave as it was.
func kept(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for table, q := range map[string]string{
		"usage_months":         `SELECT resource_id, item_code, month, CAST(quantity AS TEXT), days FROM usage_months`,
		"activity_idle_months": `SELECT resource_id, month, days FROM activity_idle_months`,
		"summary_state":        `SELECT name, value FROM summary_state`,
		"statements":           `SELECT year, version, status, sha256 FROM statements`,
		"statement_lines":      `SELECT year, version, resource_id, item_code, CAST(gross AS TEXT) FROM statement_lines`,
		"findings":             `SELECT kind, resource_id, item_code, first_day, last_day, CAST(amount AS TEXT) FROM findings`,
		"files":                `SELECT sha256, name, rows_read FROM files`,
	} {
		rows, err := storetest.SQL(t, db).Queryx(q)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		var lines []string
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rows.Close()
		sort.Strings(lines)
		out[table] = strings.Join(lines, "\n")
	}
	return out
}

func sameKept(t *testing.T, what string, got, want map[string]string, except ...string) {
	t.Helper()
	for table, w := range want {
		if strings.Contains(strings.Join(except, " "), table) {
			continue
		}
		if got[table] != w {
			t.Errorf("%s: %s changed (%d → %d lines)", what, table, strings.Count(w, "\n"), strings.Count(got[table], "\n"))
		}
	}
}

func findingsText(t *testing.T, a *app.App, year int) string {
	t.Helper()
	fs, err := a.YearFindings(context.Background(), year)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range fs {
		lines = append(lines, fmt.Sprintf("%+v", f))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestArchiveYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := closedYear(t, db)
		issued, err := db.Statement(ctx, 2024, 0)
		if err != nil {
			t.Fatal(err)
		}
		usage24, activity24 := rowsOf(t, db, "usage", 2024), rowsOf(t, db, "activity", 2024)
		usage25, activity25 := rowsOf(t, db, "usage", 2025), rowsOf(t, db, "activity", 2025)
		if usage24 == 0 || activity24 == 0 || usage25 == 0 {
			t.Fatalf("fixture: usage %d+%d, activity %d+%d rows", usage24, usage25, activity24, activity25)
		}
		before := kept(t, db)
		findings24 := findingsText(t, a, 2024)
		out := t.TempDir()

		t.Run("a year that is not closed is refused", func(t *testing.T) {
			for _, tc := range []struct {
				year int
				want string
			}{
				{2025, "2025 is the current year: only a closed year can be archived"},
				{2026, "2026 has not begun"},
				{2023, "2023 has no issued statement: only a closed year can be archived"},
			} {
				_, err := a.Archive(ctx, app.ArchiveInput{Year: tc.year, Out: out})
				if !errors.Is(err, store.ErrYearNotClosed) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("archive %d: %v, want %q", tc.year, err, tc.want)
				}
			}
			if names, _ := os.ReadDir(out); len(names) != 0 {
				t.Errorf("a refused archive wrote %v", names)
			}
		})

		res, err := a.Archive(ctx, app.ArchiveInput{Year: 2024, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Files) != 2 || res.Files[0].Rows != int64(usage24) || res.Files[1].Rows != int64(activity24) {
			t.Fatalf("archived %+v, want %d usage and %d activity rows", res.Files, usage24, activity24)
		}
		for i, name := range []string{"usage-2024.csv.gz", "activity-2024.csv.gz"} {
			if res.Files[i].Name != filepath.Join(out, name) {
				t.Errorf("file %d is %s, want %s", i, res.Files[i].Name, name)
			}
		}
		sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Files {
			if !strings.Contains(string(sums), f.SHA256+"  "+filepath.Base(f.Name)+"\n") {
				t.Errorf("SHA256SUMS lacks %s:\n%s", f.Name, sums)
			}
		}
		if n := rowsOf(t, db, "usage", 2024) + rowsOf(t, db, "activity", 2024); n != 0 {
			t.Errorf("%d rows of 2024 left after the archive", n)
		}
		if u, ac := rowsOf(t, db, "usage", 2025), rowsOf(t, db, "activity", 2025); u != usage25 || ac != activity25 {
			t.Errorf("rows of 2025: usage %d activity %d, want %d and %d untouched", u, ac, usage25, activity25)
		}
		sameKept(t, "after the archive", kept(t, db), before)

		t.Run("the archived year settles and finds the same", func(t *testing.T) {
			st, err := a.Settle(ctx, app.YearInput{Year: 2024})
			if err != nil {
				t.Fatal(err)
			}
			if st.Saved || st.Statement.SHA256 != issued.SHA256 {
				t.Errorf("settle after the archive: saved %v, sha256 %s, want the issued %s", st.Saved, st.Statement.SHA256, issued.SHA256)
			}
			if _, _, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: metering.MustDate("2025-01-05")}); err != nil {
				t.Fatal(err)
			}
			if got := findingsText(t, a, 2024); got != findings24 {
				t.Errorf("findings of 2024 after the archive differ:\n%s\nwant\n%s", got, findings24)
			}
		})
		t.Run("rebuilding the summaries keeps the archived months", func(t *testing.T) {
			if err := db.VerifyUsageMonths(ctx); err != nil {
				t.Errorf("verify: %v", err)
			}
			if err := db.RebuildUsageMonths(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.MarkIdleSummaryStale(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: metering.MustDate("2025-01-05")}); err != nil {
				t.Fatal(err)
			}
			sameKept(t, "after the rebuilds", kept(t, db), before)
		})
		t.Run("an archived year is not archived twice", func(t *testing.T) {
			_, err := a.Archive(ctx, app.ArchiveInput{Year: 2024, Out: t.TempDir()})
			if !errors.Is(err, store.ErrArchived) {
				t.Errorf("archive 2024 again: %v, want ErrArchived", err)
			}
		})

		// Restore: ingest the two files.
		sum, err := a.Ingest(ctx, app.IngestInput{Paths: []string{res.Files[0].Name, res.Files[1].Name}})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Files != 2 || sum.Skipped != 0 || sum.Accepted != int64(usage24+activity24) || sum.Rejected != 0 || sum.Replaced != 0 {
			t.Errorf("restore: %+v, want %d new rows", sum, usage24+activity24)
		}
		if u, ac := rowsOf(t, db, "usage", 2024), rowsOf(t, db, "activity", 2024); u != usage24 || ac != activity24 {
			t.Errorf("restored usage %d activity %d, want %d and %d", u, ac, usage24, activity24)
		}
		if err := db.VerifyUsageMonths(ctx); err != nil {
			t.Errorf("verify after the restore: %v", err)
		}
		// The ledger now holds the two archive files too.
		sameKept(t, "after the restore", kept(t, db), before, "files")
		if _, _, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: metering.MustDate("2025-01-05")}); err != nil {
			t.Fatal(err)
		}
		sameKept(t, "after the restore and a rebuild of the idle summary", kept(t, db), before, "files")
		st, err := a.Settle(ctx, app.YearInput{Year: 2024})
		if err != nil || st.Saved || st.Statement.SHA256 != issued.SHA256 {
			t.Errorf("settle after the restore: %v, saved %v, want the issued sha256", err, st.Saved)
		}

		t.Run("a restored year can be archived again, to other bytes", func(t *testing.T) {
			again, err := a.Archive(ctx, app.ArchiveInput{Year: 2024, Out: out})
			if err != nil {
				t.Fatal(err)
			}
			if again.Files[0].SHA256 == res.Files[0].SHA256 {
				t.Error("the second archive of the same rows has the first's digest: the ledger would skip it when restored")
			}
		})
	})
}
