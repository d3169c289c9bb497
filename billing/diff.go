package billing

import (
	"sort"

	"github.com/shopspring/decimal"
)

// ChangeKind says how a line differs between two statement versions.
type ChangeKind string

const (
	ChangeAdded   ChangeKind = "added"
	ChangeRemoved ChangeKind = "removed"
	ChangeChanged ChangeKind = "changed"
)

// LineChange is one line that differs between two versions. Old is the zero
// Line when the line was added, New when it was removed.
type LineChange struct {
	Kind ChangeKind
	Old  Line
	New  Line
}

// Delta is New.Gross − Old.Gross.
func (c LineChange) Delta() decimal.Decimal { return c.New.Gross.Sub(c.Old.Gross) }

// Diff lists, in canonical order, every line whose billable days, quantity
// days or gross differ between old and new, or that exists in only one.
func Diff(old, new *Statement) []LineChange {
	type key struct{ provider, resource, item string }
	before := map[key]Line{}
	for _, l := range old.Lines {
		before[key{l.ProviderCode, l.ResourceID, l.ItemCode}] = l
	}
	var out []LineChange
	seen := map[key]bool{}
	for _, l := range new.Lines {
		k := key{l.ProviderCode, l.ResourceID, l.ItemCode}
		seen[k] = true
		o, ok := before[k]
		switch {
		case !ok:
			out = append(out, LineChange{Kind: ChangeAdded, New: l})
		case o.BillableDays != l.BillableDays || !o.QuantityDays.Equal(l.QuantityDays) || !o.Gross.Equal(l.Gross):
			out = append(out, LineChange{Kind: ChangeChanged, Old: o, New: l})
		}
	}
	for _, l := range old.Lines {
		if !seen[key{l.ProviderCode, l.ResourceID, l.ItemCode}] {
			out = append(out, LineChange{Kind: ChangeRemoved, Old: l})
		}
	}
	line := func(c LineChange) Line {
		if c.Kind == ChangeRemoved {
			return c.Old
		}
		return c.New
	}
	sort.SliceStable(out, func(i, j int) bool { return lineLess(line(out[i]), line(out[j])) })
	return out
}
