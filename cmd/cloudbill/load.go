package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

func cmdLoad(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "load", "DIR")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("load takes one folder, got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	ref, files, problems := readReference(dir)
	if len(problems) > 0 {
		return reportProblems(a, dir, problems)
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	conflicts, err := db.ConflictingEvents(ctx, ref.Events)
	if err != nil {
		return err
	}
	for _, i := range conflicts {
		e := ref.Events[i]
		problems = append(problems, metering.Problem{File: metering.FindTable(dir, "events"), Line: ref.EventLines[i], Column: "quantity",
			Reason: fmt.Sprintf("event %s of %s at %s is already loaded with another quantity or ref; events are append-only, send a new event", e.Kind, e.ResourceID, e.At.Format(time.RFC3339))})
	}
	if len(problems) > 0 {
		return reportProblems(a, dir, problems)
	}
	counts, err := db.LoadReference(ctx, ref, files)
	if err != nil {
		return fmt.Errorf("load %s: %w", dir, err)
	}
	fmt.Fprintf(a.Stdout, "loaded %s: %d districts, %d departments, %d providers, %d systems, %d resources, %d price versions, %d events, %d scores, %d calendar days\n",
		dir, len(ref.Districts), len(ref.Departments), len(ref.Providers), len(ref.Systems), len(ref.Resources), len(ref.Catalogue), len(ref.Events), len(ref.Scores), len(ref.Calendar))
	var changed []string
	for _, t := range []string{"districts", "departments", "providers", "systems", "resources", "catalogue", "events", "scores", "calendar"} {
		if counts[t] > 0 {
			changed = append(changed, fmt.Sprintf("%s %d", t, counts[t]))
		}
	}
	if len(changed) == 0 {
		fmt.Fprintln(a.Stdout, "nothing new: the database already holds this data set")
	} else {
		fmt.Fprintf(a.Stdout, "new or changed rows: %s\n", strings.Join(changed, ", "))
	}
	a.Log.Info("reference data loaded", "dir", dir, "resources", len(ref.Resources), "events", len(ref.Events))
	return nil
}

func reportProblems(a *App, dir string, problems []metering.Problem) error {
	for _, p := range problems {
		fmt.Fprintln(a.Stderr, p.Error())
	}
	return fmt.Errorf("%s: %d problems, nothing loaded", dir, len(problems))
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

// readReference reads and validates the nine files of a reference data set:
// every row's types, and every code that must exist. It returns every
// problem found, sorted by file and line.
func readReference(dir string) (*store.Reference, []store.LoadedFile, []metering.Problem) {
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
		return s.ProviderCode + " " + s.Period + " " + string(s.Dimension) + " " + string(s.Evaluator)
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
