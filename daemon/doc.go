// Package daemon runs cloudbill's jobs on their cron schedules (robfig/cron,
// Asia/Shanghai): one run per tick through app.Runner, a missed run caught
// up at start, a graceful shutdown that lets a running job finish for a
// grace period, and /healthz and /metrics over HTTP.
package daemon
