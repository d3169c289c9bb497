package daemon

import (
	"context"
	"fmt"
	"os"
	"time"

	"cloudbill/store"
)

// Health is what /healthz answers: ok, or the problems found.
type Health struct {
	Status   string   `json:"status"` // "ok" or "unavailable"
	Database string   `json:"database"`
	Problems []string `json:"problems,omitempty"`
}

// health checks that the database answers, the inbox is there and the
// latest run of every job did not fail.
func (d *Daemon) health(ctx context.Context) Health {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h := Health{Status: "ok", Database: string(d.Runner.DB.Engine)}
	if err := d.Runner.DB.PingContext(ctx); err != nil {
		h.Problems = append(h.Problems, fmt.Sprintf("database unreachable: %v", err))
	} else {
		for _, job := range d.Runner.JobNames() {
			last, ok, err := d.Runner.DB.LastJobRun(ctx, job, "")
			switch {
			case err != nil:
				h.Problems = append(h.Problems, fmt.Sprintf("job history unreadable: %v", err))
			case ok && (last.Status == store.JobStatusFailed || last.Status == store.JobStatusAbandoned):
				h.Problems = append(h.Problems, fmt.Sprintf("latest %s run %s (run %d, started %s): %s",
					job, last.Status, last.ID, last.StartedAt.UTC().Format(time.RFC3339), last.Error))
			}
		}
	}
	if n := d.Runner.Pending(); n > 0 {
		h.Problems = append(h.Problems, fmt.Sprintf("%d failed runs not yet recorded in job_runs", n))
	}
	if in := d.Config.Inbox; in != "" {
		if st, err := os.Stat(in); err != nil {
			h.Problems = append(h.Problems, fmt.Sprintf("inbox: %v", err))
		} else if !st.IsDir() {
			h.Problems = append(h.Problems, fmt.Sprintf("inbox %s: not a folder", in))
		}
	}
	if len(h.Problems) > 0 {
		h.Status = "unavailable"
	}
	return h
}
