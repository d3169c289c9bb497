package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// auditAt is an instant with nanoseconds PostgreSQL cannot keep: the store
// truncates it to the microsecond before hashing, on both engines.
var auditAt = time.Date(2025, 1, 10, 1, 2, 3, 456789123, time.UTC)

func appendAudit(t *testing.T, db *store.DB, entries ...store.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		if err := db.InsertAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func verifyAudit(t *testing.T, db *store.DB) store.AuditVerification {
	t.Helper()
	v, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Appended rows chain onto each other and verify; the canonical encoding
// is the one docs/audit.md writes out.
func TestAuditChainAppendAndVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if v := verifyAudit(t, db); v.Rows != 0 || v.Broken != nil {
			t.Fatalf("empty trail: %+v", v)
		}
		appendAudit(t, db,
			store.AuditEntry{At: auditAt, User: "ops", Action: store.AuditActionLoad, Subject: "fixtures/datong", Detail: "2155 资源"},
			store.AuditEntry{At: auditAt.Add(time.Second), User: "li", Role: "office", Action: store.AuditActionSettle, Year: 2024, Subject: "v1", RemoteAddr: "10.0.0.1"},
			store.AuditEntry{User: "li", Action: store.AuditActionSignOut}, // the store's clock
		)
		v := verifyAudit(t, db)
		if v.Rows != 3 || v.Broken != nil || v.Last.ID != 3 {
			t.Fatalf("verify: %+v", v)
		}
		es, err := db.Audit(ctx, store.AuditFilter{})
		if err != nil || len(es) != 3 {
			t.Fatalf("audit: %d %v", len(es), err)
		}
		first := es[2]
		if first.PrevSHA256 != store.AuditGenesis || !first.At.Equal(auditAt.Truncate(time.Microsecond)) || es[1].PrevSHA256 != first.SHA256 {
			t.Errorf("chain: %+v", es)
		}
		want := "cloudbill-audit-v1\n1:1\n30:2025-01-10T01:02:03.456789000Z\n3:ops\n0:\n4:load\n1:0\n15:fixtures/datong\n0:\n11:2155 资源\n64:" + store.AuditGenesis + "\n"
		if got := string(store.AuditCanonical(first)); got != want {
			t.Errorf("canonical:\n%q\nwant\n%q", got, want)
		}
		if es[1].Year != 2024 || es[1].Role != "office" || es[1].Subject != "v1" {
			t.Errorf("fields: %+v", es[1])
		}
	})
}

// Neither UPDATE nor DELETE (nor an INSERT replacing a row, nor TRUNCATE)
// gets through, on the store's own connection.
func TestAuditAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendAudit(t, db, store.AuditEntry{At: auditAt, User: "ops", Action: store.AuditActionLoad})
		attempts := []string{`UPDATE audit SET detail = 'x'`, `DELETE FROM audit`}
		if db.Engine == store.EngineSQLite {
			attempts = append(attempts, `INSERT OR REPLACE INTO audit (id, at, user_name, action) VALUES (1, 'x', 'x', 'x')`, `REPLACE INTO audit (id, at, user_name, action) VALUES (1, 'x', 'x', 'x')`)
		} else {
			attempts = append(attempts, `TRUNCATE audit`)
		}
		x := storetest.SQL(t, db)
		// A second successor of row 1 (a fork) is refused by its key.
		if _, err := x.Exec(x.Rebind(`INSERT INTO audit (id, at, user_name, action, prev_sha256, sha256) VALUES (2, ?, 'x', 'x', ?, 'x')`), "2025-01-10T01:02:03.000000000Z", store.AuditGenesis); err == nil {
			t.Error("a fork of the chain was accepted")
		}
		for _, q := range attempts {
			_, err := x.Exec(q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v", q, err)
			}
		}
		if v := verifyAudit(t, db); v.Rows != 1 || v.Broken != nil {
			t.Errorf("after the refusals: %+v", v)
		}
	})
}

// A row changed behind the system's back, with the triggers out of the
// way, is the first broken row verify names; a rewritten row whose hash
// was recomputed too breaks the link of the next row; a deleted row
// breaks its successor's link.
func TestAuditVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name      string
		tamper    string
		args      []any
		id        int64
		field     string
		rowsValid int64
	}{
		{"detail changed", `UPDATE audit SET detail = 'nothing happened' WHERE id = 3`, nil, 3, "sha256", 2},
		{"row rewritten with its hash", `UPDATE audit SET detail = 'x', sha256 = ? WHERE id = 2`, nil, 3, "prev_sha256", 2},
		{"row deleted", `DELETE FROM audit WHERE id = 4`, nil, 5, "prev_sha256", 3},
		{"first row's link", `UPDATE audit SET prev_sha256 = replace(prev_sha256, '0', '1') WHERE id = 1`, nil, 1, "prev_sha256", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				for i := range 6 {
					appendAudit(t, db, store.AuditEntry{At: auditAt.Add(time.Duration(i) * time.Minute), User: "ops", Action: store.AuditActionIngest, Year: 2024, Detail: fmt.Sprintf("file %d", i)})
				}
				args := c.args
				if strings.Contains(c.tamper, "sha256 = ?") {
					es, _ := db.Audit(context.Background(), store.AuditFilter{})
					e := es[len(es)-2] // id 2
					e.Detail = "x"
					args = []any{store.AuditSHA256(e)}
				}
				storetest.TamperAudit(t, db, c.tamper, args...)
				v := verifyAudit(t, db)
				b := v.Broken
				if b == nil || b.ID != c.id || b.Field != c.field || v.Rows != c.rowsValid {
					t.Fatalf("verify: %+v %+v", v, b)
				}
				if !strings.Contains(b.Error(), fmt.Sprintf("audit row %d (2025-01-10T01:0", c.id)) || !strings.Contains(b.Error(), c.field) {
					t.Errorf("message: %s", b)
				}
				// The triggers are back.
				if _, err := storetest.SQL(t, db).Exec(`DELETE FROM audit`); err == nil {
					t.Error("the triggers were not restored")
				}
			})
		})
	}
}

// Writers appending at once never fork the chain.
func TestAuditConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const writers, each = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					errs <- db.InsertAudit(context.Background(), store.AuditEntry{User: fmt.Sprintf("w%d", w), Action: store.AuditActionDownload, Detail: fmt.Sprint(i)})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if v := verifyAudit(t, db); v.Rows != writers*each || v.Broken != nil {
			t.Fatalf("verify: %+v", v)
		}
	})
}

// A year's trail lists that year's entries only, oldest first.
func TestAuditYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendAudit(t, db,
			store.AuditEntry{At: auditAt, User: "ops", Action: store.AuditActionSettle, Year: 2024, Subject: "v1"},
			store.AuditEntry{At: auditAt, User: "ops", Action: store.AuditActionSettle, Year: 2025, Subject: "v1"},
			store.AuditEntry{At: auditAt, User: "li", Action: store.AuditActionSignIn},
			store.AuditEntry{At: auditAt, User: "ops", Action: store.AuditActionSettle, Year: 2024, Subject: "v2"},
		)
		es, err := db.AuditYear(context.Background(), 2024, false)
		if err != nil || len(es) != 2 || es[0].Subject != "v1" || es[1].Subject != "v2" {
			t.Fatalf("2024: %+v %v", es, err)
		}
		if es, _ := db.Audit(context.Background(), store.AuditFilter{Year: 2025}); len(es) != 1 {
			t.Errorf("filter 2025: %+v", es)
		}
	})
}

// The rows of a database from before the chain are chained by migration
// 0040, in the encoding Go computes.
func TestAuditMigrationChainsOldRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		storetest.LegacyAudit(t, db,
			store.AuditEntry{At: auditAt.Truncate(time.Microsecond), User: "li", Action: store.AuditActionSignIn, RemoteAddr: "10.0.0.7"},
			store.AuditEntry{At: auditAt.Add(time.Hour).Truncate(time.Microsecond), User: "王", Action: store.AuditActionDownload, Detail: "结算单-2024.pdf"},
			store.AuditEntry{At: auditAt.Add(2 * time.Hour).Truncate(time.Microsecond), User: "li", Action: store.AuditActionSignOut},
		)
		again, err := store.Open(ctx, db.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if v := verifyAudit(t, again); v.Rows != 3 || v.Broken != nil {
			t.Fatalf("after the migration: %+v %+v", v, v.Broken)
		}
		appendAudit(t, again, store.AuditEntry{At: auditAt.Add(3 * time.Hour), User: "ops", Action: store.AuditActionLoad})
		if v := verifyAudit(t, again); v.Rows != 4 || v.Broken != nil || v.Last.ID != 4 {
			t.Fatalf("after an append: %+v", v)
		}
		if _, err := storetest.SQL(t, again).Exec(`UPDATE audit SET detail = 'x'`); err == nil {
			t.Error("the migrated trail accepts an UPDATE")
		}
	})
}
