package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The systemd units are hardened to an exposure of 2.5 or less, and the
// timers run the jobs in Asia/Shanghai, catching up a missed run.
func TestDeployUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: run make deps (Debian package systemd)")
	}
	deploy := filepath.Join("..", "..", "deploy")
	exposure := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)
	for _, unit := range []string{"cloudbill.service", "cloudbill-nightly.service", "cloudbill-annual.service", "cloudbill-monthly.service", "cloudbill-quarterly.service"} {
		t.Run(unit, func(t *testing.T) {
			out, err := exec.Command(analyze, "security", "--offline=true", filepath.Join(deploy, unit)).CombinedOutput()
			m := exposure.FindSubmatch(out)
			if m == nil {
				t.Fatalf("systemd-analyze security: %v\n%s", err, out)
			}
			if x, _ := strconv.ParseFloat(string(m[1]), 64); x > 2.5 {
				t.Errorf("exposure %.1f, want ≤ 2.5\n%s", x, out)
			}
		})
	}
	for _, c := range []struct{ timer, calendar string }{
		{"cloudbill-nightly.timer", "OnCalendar=*-*-* 01:30:00 Asia/Shanghai"},
		{"cloudbill-annual.timer", "OnCalendar=*-01-05 06:00:00 Asia/Shanghai"},
		{"cloudbill-monthly.timer", "OnCalendar=*-*-01 06:30:00 Asia/Shanghai"},
		{"cloudbill-quarterly.timer", "OnCalendar=*-01,04,07,10-01 07:00:00 Asia/Shanghai"},
	} {
		b, err := os.ReadFile(filepath.Join(deploy, c.timer))
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); !strings.Contains(s, c.calendar) || !strings.Contains(s, "Persistent=yes") {
			t.Errorf("%s lacks %q or Persistent=yes", c.timer, c.calendar)
		}
		unit := strings.TrimSuffix(c.timer, ".timer") + ".service"
		if s := string(b); !strings.Contains(s, "Unit="+unit) {
			t.Errorf("%s does not start %s", c.timer, unit)
		}
		if svc, err := os.ReadFile(filepath.Join(deploy, unit)); err != nil || !strings.Contains(string(svc), "run "+strings.TrimPrefix(strings.TrimSuffix(c.timer, ".timer"), "cloudbill-")) {
			t.Errorf("%s does not run its job (%v)", unit, err)
		}
		if out, err := exec.Command(analyze, "verify", filepath.Join(deploy, c.timer)).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify %s: %v\n%s", c.timer, err, out)
		}
		cal := strings.TrimPrefix(c.calendar, "OnCalendar=")
		if out, err := exec.Command(analyze, "calendar", cal).CombinedOutput(); err != nil {
			t.Errorf("%s: systemd-analyze calendar %q: %v\n%s", c.timer, cal, err, out)
		}
	}
	k8s, err := os.ReadFile(filepath.Join(deploy, "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`args: ["--log-format", "json", "run", "nightly"]`, `args: ["--log-format", "json", "run", "annual"]`,
		`args: ["--log-format", "json", "run", "monthly"]`, `schedule: "30 6 1 * *"`, `args: ["--log-format", "json", "run", "quarterly"]`, `schedule: "0 7 1 1,4,7,10 *"`,
		"timeZone: Asia/Shanghai"} {
		if !strings.Contains(string(k8s), want) {
			t.Errorf("deploy/cronjob.yaml lacks %s", want)
		}
	}
	if n := strings.Count(string(k8s), "timeZone: Asia/Shanghai"); n != 4 {
		t.Errorf("deploy/cronjob.yaml: %d CronJobs in Asia/Shanghai, want 4", n)
	}
	cron, err := os.ReadFile(filepath.Join(deploy, "cloudbill.cron"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"30   1  *   *   *", "0    6  5   1   *", "30   6  1   *   *", "0    7  1   1,4,7,10 *"} {
		if !strings.Contains(string(cron), want) {
			t.Errorf("deploy/cloudbill.cron lacks the line %q", want)
		}
	}
	for _, job := range []string{"nightly", "annual", "monthly", "quarterly"} {
		if !strings.Contains(string(cron), "exec /usr/local/bin/cloudbill run "+job+"\n") {
			t.Errorf("deploy/cloudbill.cron does not run the %s job", job)
		}
	}
}
