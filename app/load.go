package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
)

// LoadInput names a reference data set: a folder with the nine files.
type LoadInput struct{ Dir string }

// Validate checks that a folder is named.
func (in LoadInput) Validate() error {
	if in.Dir == "" {
		return &InputError{Field: "dir", Reason: "load takes one folder"}
	}
	return nil
}

// LoadResult is what a load read and what it changed.
type LoadResult struct {
	Set    *reference.Set
	Counts store.LoadCounts // per table, rows inserted or changed
}

// ProblemsError lists every problem of a reference set that was not
// loaded, in file and line order.
type ProblemsError struct {
	Dir      string
	Problems []metering.Problem
}

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("%s: %d problems, nothing loaded", e.Dir, len(e.Problems))
}

// Load reads, checks and stores a reference data set, all or nothing: any
// problem (a bad row, an unknown code, an event already loaded with
// another quantity) is a *ProblemsError and nothing is written.
func (a *App) Load(ctx context.Context, in LoadInput) (LoadResult, error) {
	if err := in.Validate(); err != nil {
		return LoadResult{}, err
	}
	ref, problems := reference.ReadDir(in.Dir)
	if len(problems) > 0 {
		err := &ProblemsError{in.Dir, problems}
		return LoadResult{}, errors.Join(err, a.record(ctx, store.AuditEntry{Action: store.AuditActionLoad, Subject: in.Dir, Detail: "refused: " + err.Error()}))
	}
	return a.LoadSet(ctx, ref)
}

// LoadSet stores a reference set read without problems, after checking its
// events against those already loaded.
func (a *App) LoadSet(ctx context.Context, ref *reference.Set) (LoadResult, error) {
	var problems []metering.Problem
	conflicts, err := a.DB.ConflictingEvents(ctx, ref.Events)
	if err != nil {
		return LoadResult{}, err
	}
	for _, i := range conflicts {
		e := ref.Events[i]
		problems = append(problems, metering.Problem{File: ref.Path("events"), Line: ref.Lines["events"][i], Column: "quantity",
			Reason: fmt.Sprintf("event %s of %s at %s is already loaded with another quantity or ref; events are append-only, send a new event", e.Kind, e.ResourceID, e.At.Format(time.RFC3339))})
	}
	dir := filepath.Dir(ref.Path("events"))
	if len(problems) > 0 {
		err := &ProblemsError{dir, problems}
		return LoadResult{}, errors.Join(err, a.record(ctx, store.AuditEntry{Action: store.AuditActionLoad, Subject: dir, Detail: "refused: " + err.Error()}))
	}
	counts, err := a.DB.LoadReference(ctx, ref)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load %s: %w", dir, err)
	}
	a.Log.Info("reference data loaded", "resources", len(ref.Resources), "events", len(ref.Events))
	detail := fmt.Sprintf("loaded: %d resources, %d events; new or changed rows:", len(ref.Resources), len(ref.Events))
	for _, k := range SortedKeys(counts) {
		if counts[k] > 0 {
			detail += fmt.Sprintf(" %s %d", k, counts[k])
		}
	}
	if err := a.record(ctx, store.AuditEntry{Action: store.AuditActionLoad, Subject: dir, Detail: detail}); err != nil {
		return LoadResult{}, fmt.Errorf("load %s: stored, but %w", dir, err)
	}
	return LoadResult{Set: ref, Counts: counts}, nil
}
