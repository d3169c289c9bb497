package main

import (
	"context"
	"testing"
	"time"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

func TestReadingCommandsTakeNoWriteLock(t *testing.T) {
	dsn := ingestTestDB(t, store.EngineSQLite)
	if code, _, stderr := ingestRun(t, dsn, "ingest", writeUsage(t, "u.csv", "2024-06-10,R1,VCPU,4\n2024-06-11,RX,VCPU,4\n")); code != 0 {
		t.Fatal(stderr)
	}
	db := openTestDB(t, dsn)
	tx, err := storetest.SQL(t, db).Beginx() // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ('held', 'test', '2024-01-01', '2999-01-01')`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"jobs"}, {"rejects"}, {"summaries"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t0 := time.Now()
		code, stdout, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...)
		cancel()
		t.Logf("%v: exit %d in %s\n%s%s", args, code, time.Since(t0), stdout, stderr)
	}
}
