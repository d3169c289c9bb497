package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"cloudbill/app"
	"cloudbill/metering"
	"cloudbill/store"
)

// cmdJobs lists recent job runs, newest first.
func cmdJobs(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "jobs", "")
	limit := fs.Int("limit", 20, "how many runs to list")
	job := fs.String("job", "", "only this job (nightly, annual, monthly, quarterly, or a command: settle, issue, ingest)")
	status := fs.String("status", "", "only runs with this status (running, succeeded, failed, skipped, abandoned)")
	asJSON := fs.Bool("json", false, "one JSON object per line: job, scheduled, started, finished, status, error, counts…")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if st := store.JobStatus(*status); st != "" && !st.Valid() {
		return usagef("--status %q: running, succeeded, failed, skipped or abandoned", *status)
	}
	if *limit <= 0 {
		return usagef("--limit must be positive")
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.JobRuns(ctx, store.JobRunFilter{Job: *job, Status: store.JobStatus(*status), Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		return printRunsJSON(a.Stdout, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(a.Stdout, "no job runs recorded")
		return nil
	}
	w := tabwriter.NewWriter(a.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tJOB\tSTARTED (Asia/Shanghai)\tDURATION\tSTATUS\tSCOPE\tCOUNTS\tERROR")
	for _, r := range runs {
		dur := "-"
		if !r.FinishedAt.IsZero() {
			dur = r.Duration().Round(time.Millisecond).String()
		}
		var counts []string
		for _, k := range app.SortedKeys(r.Counts) {
			if r.Counts[k] != 0 { // zeros are the rule: keep the row readable
				counts = append(counts, fmt.Sprintf("%s=%d", k, r.Counts[k]))
			}
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Job, r.StartedAt.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
			dur, r.Status, r.Scope, strings.Join(counts, " "), oneLine(r.Error))
	}
	return w.Flush()
}

// oneLine keeps an error message on its table row.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// runJSON is one line of `jobs --json`; instants are RFC 3339 UTC, absent
// ones null.
type runJSON struct {
	ID        int64            `json:"id"`
	Job       string           `json:"job"`
	Scheduled *time.Time       `json:"scheduled"`
	Started   time.Time        `json:"started"`
	Finished  *time.Time       `json:"finished"`
	Seconds   *float64         `json:"seconds"`
	Status    store.JobStatus  `json:"status"`
	Scope     string           `json:"scope"`
	Holder    string           `json:"holder"`
	Error     string           `json:"error"`
	Counts    map[string]int64 `json:"counts"`
}

func printRunsJSON(w io.Writer, runs []store.JobRun) error {
	enc := json.NewEncoder(w)
	for _, r := range runs {
		j := runJSON{ID: r.ID, Job: r.Job, Started: r.StartedAt.UTC(), Status: r.Status, Scope: r.Scope, Holder: r.Holder, Error: r.Error, Counts: r.Counts}
		if !r.Scheduled.IsZero() {
			t := r.Scheduled.UTC()
			j.Scheduled = &t
		}
		if !r.FinishedAt.IsZero() {
			t, s := r.FinishedAt.UTC(), r.Duration().Seconds()
			j.Finished, j.Seconds = &t, &s
		}
		if j.Counts == nil {
			j.Counts = map[string]int64{}
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}
