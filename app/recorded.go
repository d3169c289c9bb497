package app

import (
	"context"
	"fmt"
	"strings"
)

// The commands a person runs by hand (settle, issue, ingest, archive) are
// recorded in the job history the way the jobs are (Recorded): under the
// command's lock, with the scope and the counts `cloudbill jobs` lists.

// recorded runs fn as the command name, recorded with scope and the counts
// count takes from fn's result (on an error too), and returns that result.
func recorded[T any](ctx context.Context, a *App, name, scope string, fn func(context.Context) (T, error), count func(T, map[string]int64)) (T, error) {
	var out T
	_, err := a.Recorded(ctx, name, func(ctx context.Context) (JobResult, error) {
		res := JobResult{Scope: scope, Counts: map[string]int64{}}
		var err error
		out, err = fn(ctx)
		count(out, res.Counts)
		return res, err
	})
	return out, err
}

// SettleRecorded is Settle, recorded as the command settle.
func (a *App) SettleRecorded(ctx context.Context, in YearInput) (SettleResult, error) {
	return recorded(ctx, a, "settle", fmt.Sprintf("year=%d", in.Year),
		func(ctx context.Context) (SettleResult, error) { return a.Settle(ctx, in) },
		func(r SettleResult, counts map[string]int64) {
			if r.Statement != nil {
				counts[CountVersion] = int64(r.Statement.Version)
				counts[CountLines] = int64(len(r.Statement.Lines))
			}
		})
}

// IssueRecorded is Issue, recorded as the command issue.
func (a *App) IssueRecorded(ctx context.Context, in IssueInput) (int, error) {
	return recorded(ctx, a, "issue", fmt.Sprintf("year=%d", in.Year),
		func(ctx context.Context) (int, error) { return a.Issue(ctx, in) },
		func(v int, counts map[string]int64) { counts[CountVersion] = int64(v) })
}

// IngestRecorded is Ingest, recorded as the command ingest, and failed
// when a file could not be read. A dry run is not recorded: it stores
// nothing.
func (a *App) IngestRecorded(ctx context.Context, in IngestInput) (IngestSummary, error) {
	ingest := func(ctx context.Context) (IngestSummary, error) {
		sum, err := a.Ingest(ctx, in)
		if err == nil && sum.Failed > 0 {
			err = fmt.Errorf("%d files could not be read", sum.Failed)
		}
		return sum, err
	}
	if in.DryRun {
		return ingest(ctx)
	}
	return recorded(ctx, a, "ingest", ingestScope(in), ingest, IngestSummary.Count)
}

// ingestScope says what an ingest covered, for the job history.
func ingestScope(in IngestInput) string {
	if in.Inbox != "" {
		return "inbox=" + in.Inbox
	}
	scope := "paths=" + strings.Join(in.Paths, ",")
	if len(scope) > 200 {
		scope = scope[:197] + "..."
	}
	return scope
}

// ArchiveRecorded is Archive, recorded as the command archive with the rows
// of each file archived.
func (a *App) ArchiveRecorded(ctx context.Context, in ArchiveInput) (ArchiveResult, error) {
	return recorded(ctx, a, "archive", fmt.Sprintf("year=%d out=%s", in.Year, in.Out),
		func(ctx context.Context) (ArchiveResult, error) { return a.Archive(ctx, in) },
		func(r ArchiveResult, counts map[string]int64) {
			for _, f := range r.Files {
				counts[string(f.Kind)+"_rows"] = f.Rows
			}
		})
}
