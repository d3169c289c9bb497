package reference

import (
	"fmt"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// check finds what no single row shows: keys repeated within a file,
// codes that name nothing, overlapping price versions, events of unknown
// resources or items.
func (s *Set) check() []metering.Problem {
	var ps []metering.Problem
	fail := func(table string, i int, col, format string, args ...any) {
		ps = append(ps, metering.Problem{File: s.Paths[table], Line: s.Lines[table][i], Column: col, Reason: fmt.Sprintf(format, args...)})
	}
	unique := func(table, col string, keys []string) map[string]bool {
		seen := make(map[string]int, len(keys))
		set := make(map[string]bool, len(keys))
		for i, k := range keys {
			if j, dup := seen[k]; dup {
				fail(table, i, col, "%s repeats line %d", k, s.Lines[table][j])
				continue
			}
			seen[k] = i
			set[k] = true
		}
		return set
	}
	districts := unique("districts", "code", keysOf(s.Districts, func(d metering.District) string { return d.Code }))
	departments := unique("departments", "code", keysOf(s.Departments, func(d metering.Department) string { return d.Code }))
	providers := unique("providers", "code", keysOf(s.Providers, func(p metering.Provider) string { return p.Code }))
	systems := unique("systems", "id", keysOf(s.Systems, func(x metering.System) string { return x.ID }))
	resources := unique("resources", "id", keysOf(s.Resources, func(r metering.Resource) string { return r.ID }))
	unique("calendar", "date", keysOf(s.Calendar, func(c evaluation.CalendarDay) string { return c.Day.String() }))
	unique("scores", "score", keysOf(s.Scores, func(x evaluation.Score) string {
		return x.ProviderCode + " " + x.Period + " " + string(x.Dimension) + " " + string(x.Evaluator)
	}))

	for i, d := range s.Departments {
		if !districts[d.DistrictCode] {
			fail("departments", i, "district_code", "unknown district %q", d.DistrictCode)
		}
	}
	for i, x := range s.Systems {
		if !departments[x.DepartmentCode] {
			fail("systems", i, "department_code", "unknown department %q", x.DepartmentCode)
		}
	}
	for i, r := range s.Resources {
		if !systems[r.SystemID] {
			fail("resources", i, "system_id", "unknown system %q", r.SystemID)
		}
		if !providers[r.ProviderCode] {
			fail("resources", i, "provider_code", "unknown provider %q", r.ProviderCode)
		}
	}
	items := map[string]bool{}
	located := make([]billing.LocatedPrice, len(s.Catalogue))
	for i, v := range s.Catalogue {
		items[v.ItemCode] = true
		located[i] = billing.LocatedPrice{PriceVersion: v, File: s.Paths["catalogue"], Line: s.Lines["catalogue"][i]}
	}
	ps = append(ps, billing.CheckOverlaps(located)...)
	for i, e := range s.Events {
		if !resources[e.ResourceID] {
			fail("events", i, "resource_id", "unknown resource %q", e.ResourceID)
		}
		if e.Kind.CarriesItem() && !items[e.ItemCode] {
			fail("events", i, "item_code", "unknown catalogue item %q", e.ItemCode)
		}
	}
	for i, x := range s.Scores {
		if !providers[x.ProviderCode] {
			fail("scores", i, "provider_code", "unknown provider %q", x.ProviderCode)
		}
	}
	ps = append(ps, s.checkBudgets(districts)...)
	return ps
}

// checkBudgets checks budgets.csv against the districts and departments:
// one row per (year, district, department); a department row names a
// department of its district; a district's budget of a year is either
// one district-wide row or rows per department, not both.
func (s *Set) checkBudgets(districts map[string]bool) []metering.Problem {
	var ps []metering.Problem
	fail := func(i int, col, format string, args ...any) {
		ps = append(ps, metering.Problem{File: s.Paths["budgets"], Line: s.Lines["budgets"][i], Column: col, Reason: fmt.Sprintf(format, args...)})
	}
	district := map[string]string{}
	for _, d := range s.Departments {
		district[d.Code] = d.DistrictCode
	}
	type key struct {
		year           int
		district, dept string
	}
	seen := map[key]int{}
	wide, perDept := map[key]int{}, map[key]int{} // (year, district) → first line
	for i, b := range s.Budgets {
		line := s.Lines["budgets"][i]
		k := key{b.Year, b.DistrictCode, b.DepartmentCode}
		if j, dup := seen[k]; dup {
			fail(i, "department_code", "budget of %d for %s repeats line %d", b.Year, budgetScope(b.DistrictCode, b.DepartmentCode), j)
			continue
		}
		seen[k] = line
		if !districts[b.DistrictCode] {
			fail(i, "district_code", "unknown district %q", b.DistrictCode)
			continue
		}
		yd := key{b.Year, b.DistrictCode, ""}
		if b.DepartmentCode == "" {
			wide[yd] = line
			if j, ok := perDept[yd]; ok {
				fail(i, "department_code", "district %s has department budgets for %d (line %d): a district's budget is either district-wide or per department", b.DistrictCode, b.Year, j)
			}
			continue
		}
		switch d, ok := district[b.DepartmentCode]; {
		case !ok:
			fail(i, "department_code", "unknown department %q", b.DepartmentCode)
		case d != b.DistrictCode:
			fail(i, "department_code", "department %s belongs to district %s, not %s", b.DepartmentCode, d, b.DistrictCode)
		default:
			if _, ok := perDept[yd]; !ok {
				perDept[yd] = line
			}
			if j, ok := wide[yd]; ok {
				fail(i, "department_code", "district %s has a district-wide budget for %d (line %d): a district's budget is either district-wide or per department", b.DistrictCode, b.Year, j)
			}
		}
	}
	return ps
}

func keysOf[T any](xs []T, key func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = key(x)
	}
	return out
}

// budgetScope names what a budget is for: a department of a district, or
// the whole district when department is blank.
func budgetScope(district, department string) string {
	if department == "" {
		return district + " (district-wide)"
	}
	return district + " " + department
}
