package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// Names is the directory the documents print names from: codes of
// districts, departments, providers, systems and resources, and the
// catalogue versions (item names, categories, units).
type Names struct {
	metering.Inventory
	Catalogue []billing.PriceVersion
}

// Bundle is everything the year's documents are made from.
type Bundle struct {
	Statement   *billing.Statement
	Names       Names
	Obligations []evaluation.Obligation
	Findings    []evaluation.Finding
	Scores      []evaluation.Score // the year's raw scores per evaluator group
	Policy      string             // the evaluation policy text; Statement.Policy when empty
	AsOf        metering.Date      // the date obligations were judged as of (zero: not printed)
}

// rules is the policy the documents print, as values (the deadline to
// rectify an idle resource, the days that make a run reclaimable): the
// statement stores it as Policy.String, which ParsePolicy reads back. A
// text that is not a policy file (none stored, a hand-written summary)
// leaves the defaults of docs/policy.md.
func (b *Bundle) rules() evaluation.Policy {
	p, err := evaluation.ParsePolicy(strings.NewReader(b.policy()), "statement policy")
	if err != nil {
		return evaluation.DefaultPolicy()
	}
	return p
}

// directory indexes Names by code.
type directory struct {
	district   map[string]string
	department map[string]metering.Department
	provider   map[string]string
	system     map[string]metering.System
	resource   map[string]metering.Resource
	items      map[string][]billing.PriceVersion // by item code, by effective_from
}

func newDirectory(n Names) *directory {
	d := &directory{
		district:   map[string]string{},
		department: map[string]metering.Department{},
		provider:   map[string]string{},
		system:     map[string]metering.System{},
		resource:   map[string]metering.Resource{},
		items:      map[string][]billing.PriceVersion{},
	}
	for _, x := range n.Districts {
		d.district[x.Code] = x.Name
	}
	for _, x := range n.Departments {
		d.department[x.Code] = x
	}
	for _, x := range n.Providers {
		d.provider[x.Code] = x.Name
	}
	for _, x := range n.Systems {
		d.system[x.ID] = x
	}
	for _, x := range n.Resources {
		d.resource[x.ID] = x
	}
	for _, v := range n.Catalogue {
		d.items[v.ItemCode] = append(d.items[v.ItemCode], v)
	}
	for _, vs := range d.items {
		sort.Slice(vs, func(i, j int) bool { return vs[i].EffectiveFrom < vs[j].EffectiveFrom })
	}
	return d
}

func orCode(name, code string) string {
	if name == "" {
		return code
	}
	return name
}

func (d *directory) districtName(code string) string { return orCode(d.district[code], code) }
func (d *directory) providerName(code string) string { return orCode(d.provider[code], code) }
func (d *directory) departmentName(code string) string {
	return orCode(d.department[code].Name, code)
}
func (d *directory) systemName(id string) string { return orCode(d.system[id].Name, id) }

// resourceLabel is "id name" (the id alone when the name is unknown).
func (d *directory) resourceLabel(id string) string {
	if r, ok := d.resource[id]; ok && r.Name != "" {
		return id + " " + r.Name
	}
	return id
}

// item returns the catalogue version of code in force on day, or the latest.
func (d *directory) item(code string, day metering.Date) (billing.PriceVersion, bool) {
	vs := d.items[code]
	for _, v := range vs {
		if v.EffectiveFrom == day || v.InForce(day) {
			return v, true
		}
	}
	if len(vs) > 0 {
		return vs[len(vs)-1], true
	}
	return billing.PriceVersion{}, false
}

// itemName is the catalogue name of code (its latest version), or the code.
func (d *directory) itemName(code string) string {
	if v, ok := d.item(code, 0); ok && v.Name != "" {
		return v.Name
	}
	return code
}

func (d *directory) category(code string) string {
	if v, ok := d.item(code, 0); ok && v.Category != "" {
		return v.Category
	}
	return "未分类"
}

// check verifies that the statement's totals are the sums of its rows, as
// the documents print them: lines → department rows → districts → city.
func check(st *billing.Statement) error {
	type key struct{ prov, dept string }
	lines := map[key]decimal.Decimal{}
	for _, l := range st.Lines {
		k := key{l.ProviderCode, l.DepartmentCode}
		lines[k] = lines[k].Add(l.Gross)
	}
	distG, distN := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, r := range st.Departments {
		k := key{r.ProviderCode, r.DepartmentCode}
		if !lines[k].Equal(r.Gross) {
			return fmt.Errorf("department %s provider %s: gross %s is not the sum of its lines %s", r.DepartmentCode, r.ProviderCode, r.Gross, lines[k])
		}
		delete(lines, k)
		distG[r.DistrictCode] = distG[r.DistrictCode].Add(r.Gross)
		distN[r.DistrictCode] = distN[r.DistrictCode].Add(r.Net)
	}
	for k, v := range lines {
		return fmt.Errorf("department %s provider %s: lines worth %s have no department row", k.dept, k.prov, v)
	}
	var g, n decimal.Decimal
	for _, r := range st.Districts {
		if !distG[r.DistrictCode].Equal(r.Gross) || !distN[r.DistrictCode].Equal(r.Net) {
			return fmt.Errorf("district %s: gross %s net %s are not the sums of its departments (%s, %s)", r.DistrictCode, r.Gross, r.Net, distG[r.DistrictCode], distN[r.DistrictCode])
		}
		delete(distG, r.DistrictCode)
		g, n = g.Add(r.Gross), n.Add(r.Net)
	}
	for code := range distG {
		return fmt.Errorf("district %s has department rows but no district row", code)
	}
	if !g.Equal(st.Gross) || !n.Equal(st.Net) {
		return fmt.Errorf("city gross %s net %s are not the sums of the districts (%s, %s)", st.Gross, st.Net, g, n)
	}
	return nil
}

// safeCode keeps file names built from codes free of path tricks.
func safeCode(code string) (string, error) {
	if code == "" || strings.Trim(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_") != "" {
		return "", fmt.Errorf("code %q cannot name a file", code)
	}
	return code, nil
}
