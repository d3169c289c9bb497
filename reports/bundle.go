package reports

import (
	"fmt"
	"math/big"
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
	// Windows holds each resource's billing window and approvals, printed
	// with its lines (WindowsOf builds it from the lifecycle events); a
	// resource missing here prints its lines without them.
	Windows map[string]Window
	// Calendar is the working-day calendar: the bills' objection deadline
	// is counted on it (docs/rules.md §7). Without the issue date's year
	// the deadline is printed as a number of working days only.
	Calendar []evaluation.CalendarDay
	// Replaces is the issued version this issued one replaces (nil: none):
	// the statement's appendix lists what changed against it.
	Replaces *billing.Statement
	// Signoff is the version's sign-off (nil: none to print, a draft not
	// published for review or a version issued before cloudbill kept it):
	// the statement's and the district bills' seal blocks, records and
	// objection appendix (signoff.go).
	Signoff *Signoff
}

// Window is what a resource's lifecycle events fix for its bill
// (docs/rules.md §1): the billing window, from the first confirmation
// (with the reference of its delivery confirmation letter) to the first
// release, and the approved quantity of each item over time.
type Window struct {
	Confirmed  metering.NullDate
	ConfirmRef string
	Released   metering.NullDate
	Approvals  []Approval // in (item, From) order
}

// Approval is an item's approved quantity on the days [From, To) (To is
// billing.OpenEnd when nothing ends it), with the reference of the
// approval or change that set it.
type Approval struct {
	ItemCode string
	Quantity decimal.Decimal
	From, To metering.Date
	Ref      string
}

// WindowsOf derives every resource's Window from its lifecycle events with
// billing.Lifecycles, adding the references: that of the first confirmed
// event, and of the approved or changed event each approval comes from.
func WindowsOf(events []metering.Event) map[string]Window {
	type key struct {
		res, item string
		day       metering.Date
	}
	confirmRef := map[string]metering.Event{}
	approvalRef := map[key]metering.Event{}
	for _, e := range events {
		switch e.Kind {
		case metering.EventConfirmed:
			if c, ok := confirmRef[e.ResourceID]; !ok || e.Day < c.Day || e.Day == c.Day && e.At.Before(c.At) {
				confirmRef[e.ResourceID] = e
			}
		case metering.EventApproved, metering.EventChanged:
			// the latest event of the day holds (docs/rules.md §1)
			k := key{e.ResourceID, e.ItemCode, e.Day}
			if c, ok := approvalRef[k]; !ok || !e.At.Before(c.At) {
				approvalRef[k] = e
			}
		}
	}
	out := map[string]Window{}
	for _, l := range billing.Lifecycles(events) {
		w := Window{Confirmed: l.Confirmed, Released: l.Released, ConfirmRef: confirmRef[l.ResourceID].Ref}
		for _, a := range l.Approvals {
			w.Approvals = append(w.Approvals, Approval{ItemCode: a.ItemCode, Quantity: a.Quantity, From: a.From, To: a.To,
				Ref: approvalRef[key{l.ResourceID, a.ItemCode, a.From}].Ref})
		}
		out[l.ResourceID] = w
	}
	return out
}

// rules is the policy the documents print, as values (the deadline to
// rectify an idle resource, the days that make a run reclaimable): the
// statement stores it as Policy.String, which ParsePolicy reads back. A
// text that is not a policy file (none stored, a hand-written summary)
// leaves the defaults of docs/policy.md.
func (b *Bundle) rules() evaluation.Policy {
	p, _ := b.parsedPolicy()
	return p
}

// parsedPolicy is the policy text read as a policy file; ok is false (and
// the policy the defaults) when it is not one.
func (b *Bundle) parsedPolicy() (p evaluation.Policy, ok bool) {
	if strings.TrimSpace(b.policy()) == "" {
		return evaluation.DefaultPolicy(), false
	}
	p, err := evaluation.ParsePolicy(strings.NewReader(b.policy()), "statement policy")
	if err != nil {
		return evaluation.DefaultPolicy(), false
	}
	return p, true
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

// check verifies that the statement adds up as the documents print it:
// each line's gross is its runs' amounts (quantity × price × days ÷ cycle
// days, exact) rounded once, and the totals are the sums of their rows,
// lines → department rows → districts → city.
func check(st *billing.Statement) error {
	for _, l := range st.Lines {
		if len(l.Runs) == 0 {
			continue
		}
		sum := new(big.Rat)
		for _, r := range l.Runs {
			if r.CycleDays <= 0 {
				return fmt.Errorf("line %s %s: a run has no cycle days", l.ResourceID, l.ItemCode)
			}
			sum.Add(sum, runRat(r))
		}
		if g := billing.Round(sum, 2); !g.Equal(l.Gross) {
			return fmt.Errorf("line %s %s: gross %s is not the sum of its runs rounded once (%s)", l.ResourceID, l.ItemCode, l.Gross, g)
		}
	}
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
