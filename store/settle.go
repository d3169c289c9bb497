package store

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
)

// ErrNoSegments is returned by DayGroups when the channel of segments
// closes without any: the caller failed to read them and has its error.
var ErrNoSegments = errors.New("no segments")

// YearSegments reads the events and the catalogue and cuts year into
// billing segments (billing.Segments).
func (db *DB) YearSegments(ctx context.Context, year int) ([]billing.Segment, error) {
	events, err := db.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, err
	}
	return billing.Segments(year, events, versions), nil
}

// DayGroups streams the year's day groups to fn. The year's usage_months
// rows are read while the segments are being computed (they arrive on
// segs, from events the caller reads for the evaluation too); each summary
// row is matched in Go with the segments of its (resource, item) that
// overlap its month, and its days are counted with a mask.
func (db *DB) DayGroups(ctx context.Context, year int, segc <-chan []billing.Segment, fn func(billing.DayGroup) error) error {
	lap := db.phaseTimer("settle")
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(`SELECT resource_id, item_code, `+db.dialect.dayNumber("month")+`, quantity, days FROM usage_months WHERE month >= ? AND month < ?`), y0, y1)
	if err != nil {
		return fmt.Errorf("usage of %d: %w", year, err)
	}
	defer rows.Close()

	// Days per (segment, billable quantity): a quantity at or above the
	// approved one bills the approved one, so all such days are one group.
	type group struct {
		q       string // the billable quantity as a number, "" for the approved one
		metered decimal.Decimal
		days    int
	}
	type pair struct{ res, item string }
	type monthRow struct {
		pair
		month metering.Date
		q     string
		days  uint32
	}
	var (
		segs    []billing.Segment
		byPair  map[pair][]int32 // indexes into segs, by seg_from
		acc     [][]group        // by segment index: a few groups each
		pending []monthRow       // read before the segments were there
	)
	type quantity struct {
		d    decimal.Decimal
		text string // as a number: "4" for "4.0"
	}
	quantities := map[string]quantity{}
	nextMonth := map[metering.Date]metering.Date{}
	add := func(r monthRow) error {
		next, ok := nextMonth[r.month]
		if !ok {
			next = metering.NewDate(r.month.Year(), r.month.Month()+1, 1)
			nextMonth[r.month] = next
		}
		for _, i := range byPair[r.pair] {
			s := &segs[i]
			if s.To <= r.month || s.From >= next {
				continue
			}
			n := countDays(r.days, r.month, next, s.From, s.To)
			if n == 0 {
				continue
			}
			q, ok := quantities[r.q]
			if !ok {
				d, err := decimal.NewFromString(r.q)
				if err != nil {
					return fmt.Errorf("usage of %s %s in %s: quantity %q: %w", r.res, r.item, r.month, r.q, err)
				}
				q = quantity{d, d.String()}
				quantities[r.q] = q
			}
			key, metered := "", s.Approved
			if q.d.LessThan(s.Approved) {
				key, metered = q.text, q.d
			}
			gs := &acc[i]
			j := slices.IndexFunc(*gs, func(g group) bool { return g.q == key })
			if j < 0 {
				*gs = append(*gs, group{q: key, metered: metered})
				j = len(*gs) - 1
			}
			(*gs)[j].days += n
		}
		return nil
	}
	ready := func(ss []billing.Segment, ok bool) error {
		if !ok {
			return ErrNoSegments
		}
		lap("segments")
		segs = ss
		acc = make([][]group, len(segs))
		byPair = make(map[pair][]int32, len(segs))
		for i, s := range segs {
			k := pair{s.ResourceID, s.ItemCode}
			byPair[k] = append(byPair[k], int32(i))
		}
		for _, r := range pending {
			if err := add(r); err != nil {
				return err
			}
		}
		pending = nil
		return nil
	}
	for rows.Next() {
		var r monthRow
		var days int64
		if err := rows.Scan(&r.res, &r.item, &r.month, &r.q, &days); err != nil {
			return err
		}
		r.days = uint32(days)
		if byPair == nil {
			select {
			case ss, ok := <-segc:
				if err := ready(ss, ok); err != nil {
					return err
				}
			default:
				pending = append(pending, r)
				continue
			}
		}
		if err := add(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage of %d: %w", year, err)
	}
	if byPair == nil {
		ss, ok := <-segc
		if err := ready(ss, ok); err != nil {
			return err
		}
	}
	lap("usage")
	for i, gs := range acc {
		slices.SortFunc(gs, func(a, b group) int { return a.metered.Cmp(b.metered) })
		s := &segs[i]
		for _, g := range gs {
			if err := fn(billing.DayGroup{ResourceID: s.ResourceID, ItemCode: s.ItemCode, EffectiveFrom: s.EffectiveFrom, Approved: s.Approved,
				Month: s.Month, Metered: g.metered, Days: g.days}); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstOfMonth is the first day of d's month.
func firstOfMonth(d metering.Date) metering.Date { return metering.NewDate(d.Year(), d.Month(), 1) }

// countDays counts the days of [from, to) whose bit is set in days, the
// usage_months bits of the month [month, next).
func countDays(days uint32, month, next, from, to metering.Date) int {
	lo, hi := max(from, month), min(to, next)
	if lo >= hi {
		return 0
	}
	mask := uint32((uint64(1)<<hi.Sub(lo) - 1) << lo.Sub(month))
	return bits.OnesCount32(days & mask)
}

// Placements maps every resource to its provider, district, department and system.
func (db *DB) Placements(ctx context.Context) (map[string]billing.Placement, error) {
	rows, err := db.pool.QueryxContext(ctx, `
SELECT r.id, r.provider_code, d.district_code, s.department_code, r.system_id
FROM resources r JOIN systems s ON s.id = r.system_id JOIN departments d ON d.code = s.department_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]billing.Placement{}
	for rows.Next() {
		var id string
		var p billing.Placement
		if err := rows.Scan(&id, &p.ProviderCode, &p.DistrictCode, &p.DepartmentCode, &p.SystemID); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}

// PriceVersions returns the whole catalogue.
func (db *DB) PriceVersions(ctx context.Context) ([]billing.PriceVersion, error) {
	var vs []billing.PriceVersion
	err := db.pool.SelectContext(ctx, &vs, `SELECT item_code, category, name, unit, cycle, price, effective_from, effective_to, approval_ref FROM catalogue ORDER BY item_code, effective_from`)
	return vs, err
}
