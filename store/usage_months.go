package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

// monthKey is one row of usage_months: a (resource, item, month) and the
// quantity exactly as stored in usage.
type monthKey struct {
	res, item string
	month     metering.Date
	q         string
}

// monthBits gathers the month bits of the rows one ingest transaction
// inserts; flush merges them into their summary with an OR (the rows are
// new, so their bits are too). Usage: usage_months bits per (resource,
// item, month, quantity). Activity (idle set): the idle days per
// (resource, month) of activity_idle_months, judged by the thresholds the
// summary was built with. Updated and deleted rows go through the
// triggers of migrations 0008 and 0009.
//
// Nothing in the map holds a pointer (names and quantities are numbers):
// a long file gathers hundreds of thousands of slots, which the garbage
// collector then need not scan.
type monthBits struct {
	m                   map[monthSlot]monthValue
	more                []monthMore // further quantities of a slot
	resNames, itemNames []string    // by resource and item number
	qs                  []string    // quantities by number
	qNum                map[string]int32
	idle                *evaluation.Policy
	// the month of the last day seen: files come in day order
	lastDay, lastMonth metering.Date
}

// monthSlot keys the gathered bits by numbers: resource and item indexes
// (metering.Known) and the month's first day.
type monthSlot struct {
	res, item int32
	month     metering.Date
}

// monthValue is the days of each quantity of a slot: almost always one
// quantity a month; others are chained in monthBits.more.
type monthValue struct {
	q, days int32 // a quantity's number and its days
	more    int32 // 1 + the index in monthBits.more of the next; 0 for none
}

type monthMore struct{ q, days, next int32 }

// monthQuantity is one quantity of a slot and its days.
type monthQuantity struct{ q, days int32 }

func newMonthBits() *monthBits {
	return &monthBits{m: map[monthSlot]monthValue{}, qNum: map[string]int32{}, lastDay: -1 << 31}
}

func newIdleBits(p evaluation.Policy) *monthBits {
	b := newMonthBits()
	b.idle = &p
	return b
}

// fresh returns an empty monthBits gathering what b gathers (nil for nil).
func (b *monthBits) fresh() *monthBits {
	if b == nil {
		return nil
	}
	n := newMonthBits()
	n.idle = b.idle
	return n
}

// name records s as the name of number i.
func name(names *[]string, i int32, s string) {
	if int(i) >= len(*names) {
		*names = append(*names, make([]string, int(i)+1-len(*names))...)
	}
	if (*names)[i] == "" {
		(*names)[i] = s
	}
}

// quantity returns the number of quantity q.
func (b *monthBits) quantity(q string) int32 {
	n, ok := b.qNum[q]
	if !ok {
		n = int32(len(b.qs))
		b.qs = append(b.qs, q)
		b.qNum[q] = n
	}
	return n
}

// quantities appends the quantities of v with their days to out[:0].
func (b *monthBits) quantities(v monthValue, out []monthQuantity) []monthQuantity {
	out = append(out[:0], monthQuantity{v.q, v.days})
	for i := v.more; i != 0; i = b.more[i-1].next {
		out = append(out, monthQuantity{b.more[i-1].q, b.more[i-1].days})
	}
	return out
}

// set ORs day into the bits of (res, item, q); resIdx and itemIdx number
// res and item.
func (b *monthBits) set(resIdx, itemIdx int32, res, item string, day metering.Date, q string) {
	if day != b.lastDay {
		b.lastDay, b.lastMonth = day, firstOfMonth(day)
	}
	name(&b.resNames, resIdx, res)
	name(&b.itemNames, itemIdx, item)
	k := monthSlot{resIdx, itemIdx, b.lastMonth}
	bit := int32(1) << (day - b.lastMonth)
	qn := b.quantity(q)
	v, ok := b.m[k]
	switch {
	case !ok:
		v = monthValue{q: qn, days: bit}
	case v.q == qn:
		v.days |= bit
	default:
		for i := v.more; i != 0; i = b.more[i-1].next {
			if b.more[i-1].q == qn {
				b.more[i-1].days |= bit
				return
			}
		}
		b.more = append(b.more, monthMore{q: qn, days: bit, next: v.more})
		v.more = int32(len(b.more))
	}
	b.m[k] = v
}

// unset clears the bit of day in (res, item, q), where q is not the
// value stored after all; a quantity left without days is dropped.
func (b *monthBits) unset(resIdx, itemIdx int32, day metering.Date, q string) {
	month := firstOfMonth(day)
	k := monthSlot{resIdx, itemIdx, month}
	v, ok := b.m[k]
	qn, known := b.qNum[q]
	if !ok || !known {
		return
	}
	bit := int32(1) << (day - month)
	var left []monthQuantity
	for _, mq := range b.quantities(v, nil) {
		if mq.q == qn {
			mq.days &^= bit
		}
		if mq.days != 0 {
			left = append(left, mq)
		}
	}
	if len(left) == 0 {
		delete(b.m, k)
		return
	}
	v = monthValue{q: left[0].q, days: left[0].days}
	for _, mq := range left[1:] {
		b.more = append(b.more, monthMore{q: mq.q, days: mq.days, next: v.more})
		v.more = int32(len(b.more))
	}
	b.m[k] = v
}

// addRow records a new row read from a file (b may be nil: nothing is
// gathered); idle says whether an activity row is an idle day.
func (b *monthBits) addRow(vals []string, resIdx, itemIdx int32, day metering.Date, idle bool) {
	switch {
	case b == nil:
	case b.idle != nil:
		if idle {
			b.set(resIdx, 0, vals[0], "", day, "")
		}
	default:
		b.set(resIdx, itemIdx, vals[0], vals[1], day, vals[3])
	}
}

func (b *monthBits) addRecord(r *record) { b.addRow(r.vals, r.resIdx, r.itemIdx, r.day, r.idle) }

// reset forgets everything gathered (the rows were rolled back, or are
// merged).
func (b *monthBits) reset() {
	if b != nil {
		clear(b.m)
		b.more = b.more[:0]
	}
}

// flushMonthBits merges the gathered bits into their summary inside tx,
// streaming them (a long file gathers hundreds of thousands).
func (db *DB) flushMonthBits(ctx context.Context, tx *sqlx.Tx, b *monthBits) error {
	if b == nil || len(b.m) == 0 {
		return nil
	}
	defer b.reset()
	// In key order: the summary's B-tree then takes neighbouring rows
	// together (resources and items are numbered in name order).
	slots := make([]monthSlot, 0, len(b.m))
	for k := range b.m {
		slots = append(slots, k)
	}
	slices.SortFunc(slots, func(x, y monthSlot) int {
		return cmp.Or(cmp.Compare(x.res, y.res), cmp.Compare(x.item, y.item), cmp.Compare(x.month, y.month))
	})
	textMonths := db.dialect.copyIn // COPY takes its dates as text
	rows := func(yield func(row []any) error) error {
		row := make([]any, 0, 5)
		var qs []monthQuantity
		for _, k := range slots {
			v := b.m[k]
			var month any = k.month
			if textMonths {
				month = k.month.String()
			}
			res, item := b.resNames[k.res], b.itemNames[k.item]
			qs = b.quantities(v, qs)
			for _, q := range qs {
				if b.idle != nil {
					row = append(row[:0], res, month, int64(q.days))
				} else {
					row = append(row[:0], res, item, month, b.qs[q.q], int64(q.days))
				}
				if err := yield(row); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if b.idle != nil {
		return db.orMerge(ctx, tx, "activity_idle_months", []string{"resource_id", "month", "days"}, rows)
	}
	cols := []string{"resource_id", "item_code", "month", "quantity", "days"}
	if !db.dialect.copyIn {
		return db.orMerge(ctx, tx, "usage_months", cols, rows)
	}
	// Quantities equal as numbers but not as text ("4", "4.0") are one key
	// of the NUMERIC primary key: group them before the upsert.
	fail := func(err error) error { return fmt.Errorf("usage_months: %w", err) }
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS usage_months_new (LIKE usage_months) ON COMMIT DELETE ROWS`); err != nil {
		return fail(err)
	}
	stmt, err := tx.PrepareContext(ctx, `COPY usage_months_new (resource_id, item_code, month, quantity, days) FROM STDIN`)
	if err != nil {
		return fail(err)
	}
	defer stmt.Close()
	if err := rows(func(r []any) error { _, err := stmt.ExecContext(ctx, r...); return err }); err != nil {
		return fail(err)
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fail(err)
	}
	if err := stmt.Close(); err != nil {
		return fail(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO usage_months AS m (resource_id, item_code, month, quantity, days)
		SELECT resource_id, item_code, month, quantity, bit_or(days) FROM usage_months_new GROUP BY 1, 2, 3, 4
		ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = m.days | excluded.days`)
	if err == nil {
		_, err = tx.ExecContext(ctx, `TRUNCATE usage_months_new`)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// orMerge upserts rows (the last column days, the others the key) into a
// summary table, ORing days into the stored bits, a few hundred rows a
// statement.
func (db *DB) orMerge(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows func(yield func([]any) error) error) error {
	const batch = 200
	var (
		args []any
		n    int
		full *sql.Stmt // prepared once for the full batches
	)
	query := func(n int) string {
		return db.pool.Rebind(fmt.Sprintf(`INSERT INTO %[1]s (%[2]s) VALUES %[3]s ON CONFLICT (%[4]s) DO UPDATE SET days = %[1]s.days | excluded.days`,
			table, strings.Join(cols, ", "), valuesList(n, len(cols)), strings.Join(cols[:len(cols)-1], ", ")))
	}
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	exec := func() error {
		if n == 0 {
			return nil
		}
		var err error
		switch {
		case n < batch:
			_, err = tx.ExecContext(ctx, query(n), args...)
		case full == nil:
			if full, err = tx.PrepareContext(ctx, query(n)); err != nil {
				break
			}
			fallthrough
		default:
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		args, n = args[:0], 0
		return nil
	}
	err := rows(func(r []any) error {
		args = append(args, r...)
		if n++; n == batch {
			return exec()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return exec()
}

// valuesList is "(?, …), (?, …)" for n rows of c columns.
func valuesList(n, c int) string {
	row := inList(c)
	out := make([]byte, 0, n*(len(row)+2))
	for i := range n {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, row...)
	}
	return string(out)
}

// VerifyUsageMonths recomputes usage_months from every usage row and
// reports the first difference from the stored summary. It reads the
// whole usage table: a check for tests and for an operator in doubt, not
// for the nightly path. The months of an archived year are left out: their
// rows are in the archive files (ArchiveYear).
func (db *DB) VerifyUsageMonths(ctx context.Context) error {
	frozen, err := db.archivedYears(ctx, db.pool, RecordUsage)
	if err != nil {
		return err
	}
	return db.verifyUsageMonths(ctx, db.pool, 0, 0, frozen)
}

// verifyUsageMonths compares usage_months with the usage rows dated
// from..to (exclusive; both zero for every row), leaving out the years
// frozen.
func (db *DB) verifyUsageMonths(ctx context.Context, q sqlx.QueryerContext, from, to metering.Date, frozen []int) error {
	where, args := "", []any{}
	if from != 0 || to != 0 {
		where, args = ` WHERE day >= ? AND day < ?`, []any{from, to}
	}
	skip := func(d metering.Date) bool { return slices.Contains(frozen, d.Year()) }
	want := map[monthKey]int32{}
	rows, err := q.QueryxContext(ctx, db.pool.Rebind(`SELECT resource_id, item_code, day, quantity FROM usage`+where), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var res, item, q string
		var day metering.Date
		if err := rows.Scan(&res, &item, &day, &q); err != nil {
			return err
		}
		if skip(day) {
			continue
		}
		want[monthKey{res, item, metering.NewDate(day.Year(), day.Month(), 1), normalQuantity(q)}] |= 1 << (day.Day() - 1)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	got := map[monthKey]int32{}
	sums, err := q.QueryxContext(ctx, db.pool.Rebind(`SELECT resource_id, item_code, month, quantity, days FROM usage_months`+strings.ReplaceAll(where, "day", "month")), args...)
	if err != nil {
		return err
	}
	defer sums.Close()
	for sums.Next() {
		var k monthKey
		var days int32
		if err := sums.Scan(&k.res, &k.item, &k.month, &k.q, &days); err != nil {
			return err
		}
		if skip(k.month) {
			continue
		}
		k.q = normalQuantity(k.q)
		if got[k]&days != 0 {
			return fmt.Errorf("usage_months: %s %s %s: a day counted twice", k.res, k.item, k.month)
		}
		got[k] |= days
	}
	if err := sums.Err(); err != nil {
		return err
	}
	for k, w := range want {
		if got[k] != w {
			return fmt.Errorf("usage_months: %s %s %s quantity %s: days %031b, want %031b", k.res, k.item, k.month, k.q, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			return fmt.Errorf("usage_months: %s %s %s quantity %s: days %031b without usage rows", k.res, k.item, k.month, k.q, g)
		}
	}
	return nil
}

// normalQuantity is q as a number ("4.0" and "4" alike).
func normalQuantity(q string) string {
	d, err := decimal.NewFromString(q)
	if err != nil {
		return q
	}
	return d.String()
}

// RebuildUsageMonths recomputes usage_months from every usage row in one
// transaction: the repair when VerifyUsageMonths finds a difference (usage
// rows inserted by hand in SQL, which no trigger sees). The months of an
// archived year are kept as they are (ArchiveYear).
func (db *DB) RebuildUsageMonths(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error { return db.rebuildUsageMonths(ctx, tx) })
}

func (db *DB) rebuildUsageMonths(ctx context.Context, tx *sqlx.Tx) error {
	frozen, err := db.archivedYears(ctx, tx, RecordUsage)
	if err != nil {
		return err
	}
	del, ins := `DELETE FROM usage_months`, `FROM usage`
	months, args := outsideYears("month", frozen)
	days, _ := outsideYears("day", frozen)
	if months != "" {
		del += ` WHERE ` + months
		ins += ` WHERE ` + days
	}
	q := `INSERT INTO usage_months (resource_id, item_code, month, quantity, days)
		SELECT resource_id, item_code, ` + db.dialect.monthOf("day") + `, quantity, ` + db.dialect.dayBits("day") + `
		` + ins + ` GROUP BY 1, 2, 3, 4`
	if _, err := tx.ExecContext(ctx, db.pool.Rebind(del), args...); err != nil {
		return fmt.Errorf("rebuild usage_months: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.pool.Rebind(q), args...); err != nil {
		return fmt.Errorf("rebuild usage_months: %w", err)
	}
	return nil
}
