package metering

import "math"

// Known is what nightly ingestion checks rows against: the resources
// (with a dense index and their confirmation date) and the catalogue items
// (any version). It is loaded once per run and held in memory.
type Known struct {
	Resources map[string]KnownResource
	Items     map[string]int32 // item code → dense index (1-based)
	// Today, when set, is the latest day a row may meter (the run's date
	// in Asia/Shanghai): nothing can have been used in the future.
	Today Date
}

// future is the problem of a row dated after today, or nil.
func (k *Known) future(r *Row, d Date) []Problem {
	if k.Today == 0 || d <= k.Today {
		return nil
	}
	return []Problem{r.Problem("day", "%s is after today (%s, Asia/Shanghai): metering cannot be in the future", d, k.Today)}
}

// KnownResource is one resource as ingestion sees it.
type KnownResource struct {
	Index     int32  // dense index, 1-based
	Confirmed Date   // first confirmation day; NeverConfirmed when none
	Family    Family // of its kind, for the idle rules
}

// NeverConfirmed marks a resource without a confirmed event.
const NeverConfirmed = Date(math.MaxInt32)

// Billable reports whether metering of resource r on day d falls on or
// after its confirmation (billing alone decides what is finally billed).
func (r KnownResource) Billable(d Date) bool {
	return r.Confirmed != NeverConfirmed && d >= r.Confirmed
}

// CheckedUsage is a usage row that passed every check.
type CheckedUsage struct {
	Usage
	Resource KnownResource
	Item     int32
}

// CheckedActivity is an activity row that passed every check.
type CheckedActivity struct {
	Activity
	Resource KnownResource
}

// CheckUsage parses r and checks its resource and item exist (a code
// refused as a formula is not looked up). retry is the
// resource id when the only fault is that this resource is unknown (the row
// can succeed once the resource is loaded), "" otherwise.
func (k *Known) CheckUsage(r *Row) (c CheckedUsage, problems []Problem, retry string) {
	u, ps := ParseUsage(r)
	c.Usage = u
	if len(ps) == 0 {
		ps = k.future(r, u.Day)
	}
	var ok, unknown bool
	if u.ResourceID != "" && CheckCode(u.ResourceID) == nil {
		if c.Resource, ok = k.Resources[u.ResourceID]; !ok {
			ps = append(ps, r.Problem("resource_id", "unknown resource %q", u.ResourceID))
			unknown = true
		}
	}
	if u.ItemCode != "" && CheckCode(u.ItemCode) == nil {
		if c.Item, ok = k.Items[u.ItemCode]; !ok {
			ps = append(ps, r.Problem("item_code", "unknown catalogue item %q", u.ItemCode))
		}
	}
	return c, ps, onlyUnknownResource(ps, unknown, u.ResourceID)
}

// CheckActivity parses r and checks its resource exists; retry as in
// CheckUsage.
func (k *Known) CheckActivity(r *Row) (c CheckedActivity, problems []Problem, retry string) {
	a, ps := ParseActivity(r)
	c.Activity = a
	if len(ps) == 0 {
		ps = k.future(r, a.Day)
	}
	var ok, unknown bool
	if a.ResourceID != "" && CheckCode(a.ResourceID) == nil {
		if c.Resource, ok = k.Resources[a.ResourceID]; !ok {
			ps = append(ps, r.Problem("resource_id", "unknown resource %q", a.ResourceID))
			unknown = true
		}
	}
	return c, ps, onlyUnknownResource(ps, unknown, a.ResourceID)
}

// onlyUnknownResource returns id when the unknown resource is the row's
// only problem.
func onlyUnknownResource(ps []Problem, unknown bool, id string) string {
	if unknown && len(ps) == 1 {
		return id
	}
	return ""
}
