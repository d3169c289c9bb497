package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// signoffDSN is a database on engine e with leastPrivilegeReference, its
// June metering ingested and 2024 settled, a calendar for this year and
// the next (the command line runs on the wall clock) and one account per
// role of the sign-off.
func signoffDSN(t *testing.T, e store.Engine) string {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t, e)
	db := openTestDB(t, dsn)
	ref := leastPrivilegeReference()
	for _, y := range []int{time.Now().Year(), time.Now().Year() + 1} {
		ref.Calendar = append(ref.Calendar, evaluation.CalendarDay{Day: metering.NewDate(y, 1, 1), Kind: evaluation.DayHoliday, Name: "元旦"})
	}
	if _, err := db.LoadReference(ctx, ref); err != nil {
		t.Fatal(err)
	}
	a := app.New(db, nil)
	a.Passwords = &app.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}
	for _, u := range []app.UserInput{{Name: "ops", Role: app.RoleOffice}, {Name: "fin", Role: app.RoleFinance}, {Name: "prov", Role: app.RoleProvider, Provider: "ctc"},
		{Name: "dist", Role: app.RoleDistrict, District: "140200"}, {Name: "dep", Role: app.RoleDepartment, Department: "D1"}} {
		u.Password = "password-of-" + u.Name
		if err := a.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString(ingestUsageHeader)
	for d := metering.MustDate("2024-06-10"); d <= metering.MustDate("2024-06-30"); d++ {
		b.WriteString(d.String() + ",R1,VCPU,4\n")
	}
	inbox := t.TempDir()
	writeFiles(t, inbox, map[string]string{"june.csv": b.String()})
	for _, args := range [][]string{{"ingest", "--inbox", inbox}, {"findings", "--as-of", "2024-12-31"}, {"settle", "--year", "2024"}} {
		if code, out, stderr := runCLI(t, dsn, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	return dsn
}

func TestSignoffCommand(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := signoffDSN(t, e)
			run := func(want int, args ...string) string {
				t.Helper()
				code, out, stderr := runCLI(t, dsn, args...)
				if code != want {
					t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, stderr)
				}
				return out + stderr
			}
			if out := run(2, "signoff"); !strings.Contains(out, "usage: cloudbill signoff") {
				t.Errorf("signoff without a step:\n%s", out)
			}
			run(2, "signoff", "publish", "--year", "2024")
			if out := run(1, "signoff", "publish", "--year", "2024", "--as", "prov"); !strings.Contains(out, "only 市政府信息化中心") {
				t.Errorf("a provider publishing:\n%s", out)
			}
			if out := run(0, "signoff", "publish", "--year", "2024", "--as", "ops"); !strings.Contains(out, "published ops (office)") || !strings.Contains(out, "provider  ctc      pending") {
				t.Errorf("publish:\n%s", out)
			}
			evidence := filepath.Join(t.TempDir(), "记录.txt")
			os.WriteFile(evidence, []byte("6 月 10 日未交付"), 0o644)
			if out := run(0, "signoff", "object", "--year", "2024", "--as", "dist", "--line", "R1/VCPU", "--reason", "6 月 10 日尚未交付", "--evidence", evidence); !strings.Contains(out, "objection 1 recorded") {
				t.Errorf("object:\n%s", out)
			}
			run(1, "signoff", "confirm", "--year", "2024", "--as", "dep")
			run(2, "signoff", "resolve", "--objection", "1", "--as", "ops", "--accept", "--reject")
			if out := run(0, "signoff", "resolve", "--objection", "1", "--as", "ops", "--reject", "--reason", "交付确认单日期为 6 月 10 日"); !strings.Contains(out, "objection 1 rejected") {
				t.Errorf("resolve:\n%s", out)
			}
			if out := run(0, "signoff", "status", "--year", "2024", "--as", "dist"); !strings.Contains(out, "[rejected by ops (office)") || !strings.Contains(out, "交付确认单日期为 6 月 10 日") {
				t.Errorf("the district sees the outcome:\n%s", out)
			}
			run(0, "signoff", "confirm", "--year", "2024", "--as", "dist")
			run(0, "signoff", "confirm", "--year", "2024", "--as", "prov")
			if out := run(1, "issue", "--year", "2024"); !strings.Contains(out, "not approved") {
				t.Errorf("issue before approval:\n%s", out)
			}
			if out := run(0, "signoff", "approve", "--year", "2024", "--as", "ops"); !strings.Contains(out, "approved ops (office)") {
				t.Errorf("approve:\n%s", out)
			}
			run(1, "issue", "--year", "2024", "--as", "ops")
			run(0, "issue", "--year", "2024", "--as", "fin")
			if out := run(0, "signoff", "status", "--year", "2024"); !strings.Contains(out, "issued fin (finance)") || !strings.Contains(out, "district  140200   confirmed  1 (0), dist (district)") {
				t.Errorf("status of the issued version:\n%s", out)
			}
		})
	}
}

// cloudbill issue refuses a version that was not approved, except with
// --without-signoff, whose reason is recorded.
func TestIssueWithoutSignoffCommand(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := signoffDSN(t, e)
			code, out, stderr := runCLI(t, dsn, "issue", "--year", "2024")
			if code != 1 || !strings.Contains(stderr, "version 1 is not approved") || !strings.Contains(stderr, "--without-signoff") {
				t.Fatalf("issue: exit %d\n%s%s", code, out, stderr)
			}
			const reason = "预算年度截止，经市政府同意先行签发"
			if code, out, stderr := runCLI(t, dsn, "issue", "--year", "2024", "--without-signoff", reason); code != 0 {
				t.Fatalf("issue --without-signoff: exit %d\n%s%s", code, out, stderr)
			}
			if _, out, _ := runCLI(t, dsn, "signoff", "status", "--year", "2024"); !strings.Contains(out, "without sign-off: "+reason) {
				t.Errorf("status:\n%s", out)
			}
			db := openTestDB(t, dsn)
			entries, err := db.Audit(context.Background(), store.AuditFilter{Action: store.AuditActionIssue})
			if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Detail, reason) {
				t.Errorf("audit: %+v %v", entries, err)
			}
		})
	}
}
