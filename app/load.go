package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
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
	Set    *store.Reference
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
	ref, files, problems := ReadReference(in.Dir)
	if len(problems) > 0 {
		return LoadResult{}, &ProblemsError{in.Dir, problems}
	}
	return a.LoadSet(ctx, in.Dir, ref, files)
}

// LoadSet stores a reference set that ReadReference read from dir without
// problems, after checking its events against those already loaded.
func (a *App) LoadSet(ctx context.Context, dir string, ref *store.Reference, files []store.LoadedFile) (LoadResult, error) {
	var problems []metering.Problem
	conflicts, err := a.DB.ConflictingEvents(ctx, ref.Events)
	if err != nil {
		return LoadResult{}, err
	}
	for _, i := range conflicts {
		e := ref.Events[i]
		problems = append(problems, metering.Problem{File: metering.FindTable(dir, "events"), Line: ref.EventLines[i], Column: "quantity",
			Reason: fmt.Sprintf("event %s of %s at %s is already loaded with another quantity or ref; events are append-only, send a new event", e.Kind, e.ResourceID, e.At.Format(time.RFC3339))})
	}
	if len(problems) > 0 {
		return LoadResult{}, &ProblemsError{dir, problems}
	}
	counts, err := a.DB.LoadReference(ctx, ref, files)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load %s: %w", dir, err)
	}
	a.Log.Info("reference data loaded", "dir", dir, "resources", len(ref.Resources), "events", len(ref.Events))
	return LoadResult{Set: ref, Counts: counts}, nil
}

// readTable parses every row of one reference file with parse, collecting
// all problems.
func readTable[T any](dir, base string, cols []string, parse func(*metering.Row) (T, []metering.Problem), files *[]store.LoadedFile, problems *[]metering.Problem) ([]T, []int) {
	path := metering.FindTable(dir, base)
	if path == "" {
		*problems = append(*problems, metering.Problem{File: filepath.Join(dir, base+".csv"), Reason: "missing file"})
		return nil, nil
	}
	sum, err := fileSHA256(path)
	if err != nil {
		*problems = append(*problems, metering.Problem{File: path, Reason: err.Error()})
		return nil, nil
	}
	t, err := metering.OpenTable(path)
	if err != nil {
		*problems = append(*problems, asProblems(path, err)...)
		return nil, nil
	}
	defer t.Close()
	if err := t.Require(cols...); err != nil {
		*problems = append(*problems, asProblems(path, err)...)
		return nil, nil
	}
	var out []T
	var lines []int
	for {
		row, err := t.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			*problems = append(*problems, asProblems(path, err)...)
			if _, ok := err.(metering.Problem); ok {
				continue
			}
			break
		}
		v, ps := parse(row)
		if len(ps) > 0 {
			*problems = append(*problems, ps...)
			continue
		}
		out = append(out, v)
		lines = append(lines, row.Line)
	}
	*files = append(*files, store.LoadedFile{SHA256: sum, Name: filepath.Base(path), Kind: base, Rows: len(out)})
	return out, lines
}

func asProblems(path string, err error) []metering.Problem {
	switch e := err.(type) {
	case metering.Problem:
		return []metering.Problem{e}
	case metering.Problems:
		return e
	}
	return []metering.Problem{{File: path, Reason: err.Error()}}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadReference reads and validates the nine files of a reference data set:
// every row's types, and every code that must exist. It returns every
// problem found, sorted by file and line.
func ReadReference(dir string) (*store.Reference, []store.LoadedFile, []metering.Problem) {
	var ps []metering.Problem
	var files []store.LoadedFile
	ref := &store.Reference{}
	var lines = map[string][]int{}
	ref.Districts, lines["districts"] = readTable(dir, "districts", metering.DistrictColumns, metering.ParseDistrict, &files, &ps)
	ref.Departments, lines["departments"] = readTable(dir, "departments", metering.DepartmentColumns, metering.ParseDepartment, &files, &ps)
	ref.Providers, lines["providers"] = readTable(dir, "providers", metering.ProviderColumns, metering.ParseProvider, &files, &ps)
	ref.Systems, lines["systems"] = readTable(dir, "systems", metering.SystemColumns, metering.ParseSystem, &files, &ps)
	ref.Resources, lines["resources"] = readTable(dir, "resources", metering.ResourceColumns, metering.ParseResource, &files, &ps)
	ref.Catalogue, lines["catalogue"] = readTable(dir, "catalogue", billing.CatalogueColumns, billing.ParsePriceVersion, &files, &ps)
	ref.Events, ref.EventLines = readTable(dir, "events", metering.EventColumns, metering.ParseEvent, &files, &ps)
	lines["events"] = ref.EventLines
	ref.Scores, lines["scores"] = readTable(dir, "scores", evaluation.ScoreColumns, evaluation.ParseScore, &files, &ps)
	ref.Calendar, lines["calendar"] = readTable(dir, "calendar", evaluation.CalendarColumns, evaluation.ParseCalendarDay, &files, &ps)

	name := func(base string) string {
		if p := metering.FindTable(dir, base); p != "" {
			return p
		}
		return filepath.Join(dir, base+".csv")
	}
	fail := func(base string, i int, col, format string, args ...any) {
		ps = append(ps, metering.Problem{File: name(base), Line: lines[base][i], Column: col, Reason: fmt.Sprintf(format, args...)})
	}
	unique := func(base, col string, keys []string) map[string]bool {
		seen := make(map[string]int, len(keys))
		set := make(map[string]bool, len(keys))
		for i, k := range keys {
			if j, dup := seen[k]; dup {
				fail(base, i, col, "%s repeats line %d", k, lines[base][j])
				continue
			}
			seen[k] = i
			set[k] = true
		}
		return set
	}
	districts := unique("districts", "code", keysOf(ref.Districts, func(d metering.District) string { return d.Code }))
	departments := unique("departments", "code", keysOf(ref.Departments, func(d metering.Department) string { return d.Code }))
	providers := unique("providers", "code", keysOf(ref.Providers, func(p metering.Provider) string { return p.Code }))
	systems := unique("systems", "id", keysOf(ref.Systems, func(s metering.System) string { return s.ID }))
	resources := unique("resources", "id", keysOf(ref.Resources, func(r metering.Resource) string { return r.ID }))
	unique("calendar", "date", keysOf(ref.Calendar, func(c evaluation.CalendarDay) string { return c.Day.String() }))
	unique("scores", "score", keysOf(ref.Scores, func(s evaluation.Score) string {
		return s.ProviderCode + " " + s.Period + " " + s.Dimension + " " + s.Evaluator
	}))

	for i, d := range ref.Departments {
		if !districts[d.DistrictCode] {
			fail("departments", i, "district_code", "unknown district %q", d.DistrictCode)
		}
	}
	for i, s := range ref.Systems {
		if !departments[s.DepartmentCode] {
			fail("systems", i, "department_code", "unknown department %q", s.DepartmentCode)
		}
	}
	for i, r := range ref.Resources {
		if !systems[r.SystemID] {
			fail("resources", i, "system_id", "unknown system %q", r.SystemID)
		}
		if !providers[r.ProviderCode] {
			fail("resources", i, "provider_code", "unknown provider %q", r.ProviderCode)
		}
	}
	items := map[string]bool{}
	located := make([]billing.LocatedPrice, len(ref.Catalogue))
	for i, v := range ref.Catalogue {
		items[v.ItemCode] = true
		located[i] = billing.LocatedPrice{PriceVersion: v, File: name("catalogue"), Line: lines["catalogue"][i]}
	}
	ps = append(ps, billing.CheckOverlaps(located)...)
	for i, e := range ref.Events {
		if !resources[e.ResourceID] {
			fail("events", i, "resource_id", "unknown resource %q", e.ResourceID)
		}
		if e.Kind.CarriesItem() && !items[e.ItemCode] {
			fail("events", i, "item_code", "unknown catalogue item %q", e.ItemCode)
		}
	}
	for i, s := range ref.Scores {
		if !providers[s.ProviderCode] {
			fail("scores", i, "provider_code", "unknown provider %q", s.ProviderCode)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ref, files, ps
}

func keysOf[T any](xs []T, key func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = key(x)
	}
	return out
}
