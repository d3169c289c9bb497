package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloudbill/app"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

func evalMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestPolicyCommand(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		t.Setenv(app.PolicyEnv, "")
		code, out, _ := evalMain(t, "policy")
		if code != 0 || !strings.Contains(out, "built-in defaults") || !strings.Contains(out, "weight.quality = 0.35") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("file in force", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "policy.txt")
		os.WriteFile(path, []byte("idle.min_days = 20\n"), 0o644)
		t.Setenv(app.PolicyEnv, path)
		code, out, _ := evalMain(t, "policy")
		if code != 0 || !strings.Contains(out, path) || !strings.Contains(out, "idle.min_days = 20") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("malformed names the key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "policy.txt")
		os.WriteFile(path, []byte("# ok\nzombie.min_days = ninety\n"), 0o644)
		t.Setenv(app.PolicyEnv, path)
		code, _, errs := evalMain(t, "policy")
		if code != 1 || !strings.Contains(errs, "zombie.min_days") || !strings.Contains(errs, ":2:") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

func TestFindingsCommandAndEvaluationCSVs(t *testing.T) {
	t.Setenv(app.PolicyEnv, "")
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := storetest.DSN(t, e)
			if code, _, errs := evalMain(t, "--db", dsn, "load", writeReference(t, okReference)); code != 0 {
				t.Fatalf("load: %s", errs)
			}
			code, out, errs := evalMain(t, "--db", dsn, "findings", "--as-of", "2024-03-31")
			// R1 is billable from 01-05 with nothing metered: one gap of
			// 27 + 29 + 31 = 87 days; R2 was never confirmed.
			if code != 0 || !strings.Contains(out, "1 findings as of 2024-03-31; gap 1") {
				t.Fatalf("findings: exit %d\n%s\n%s", code, out, errs)
			}
			if code, _, _ := evalMain(t, "--db", dsn, "findings", "--as-of", "March"); code != 2 {
				t.Fatalf("bad --as-of: exit %d, want 2", code)
			}
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a := app.New(db, nil)
			dir := t.TempDir()
			paths, err := a.WriteEvaluationCSVs(context.Background(), 2024, dir)
			if err != nil || len(paths) != 2 {
				t.Fatalf("paths %v err %v", paths, err)
			}
			sla, _ := os.ReadFile(filepath.Join(dir, "sla-2024.csv"))
			// approved 2024-01-02 (Tue) + 2 working days = 01-04, never provisioned
			if !strings.HasPrefix(string(sla), "provider_code,resource_id,obligation,started,due,done,status,late_working_days\n") ||
				!strings.Contains(string(sla), "ctc,R1,provision,2024-01-02,2024-01-04,,overdue,") {
				t.Errorf("sla-2024.csv:\n%s", sla)
			}
			fnd, _ := os.ReadFile(filepath.Join(dir, "findings-2024.csv"))
			if want := "kind,department_code,system_id,resource_id,item_code,first_day,last_day,days,amount\ngap,D1,S1,R1,VCPU,2024-01-05,2024-03-31,87,0.00\n"; string(fnd) != want {
				t.Errorf("findings-2024.csv:\n%s\nwant\n%s", fnd, want)
			}
		})
	}
}
