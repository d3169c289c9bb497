package store

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"
)

// copyStaged copies the file into the staging table, then merges it.
func (db *DB) copyStaged(ctx context.Context, tx *sqlx.Tx, sp *spec, s *scanner, first *record) error {
	if _, err := tx.ExecContext(ctx, sp.staging); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	stage := "ingest_" + sp.table
	// Empty at the start of a transaction (ON COMMIT DELETE ROWS), but not
	// after an earlier file of a dry run's.
	if _, err := tx.ExecContext(ctx, `TRUNCATE `+stage); err != nil {
		return fmt.Errorf("empty staging table: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s, line) FROM STDIN`, stage, strings.Join(sp.cols(), ", ")))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", stage, err)
	}
	defer stmt.Close()
	args := make([]any, len(first.args)+1)
	var rows int64
	for rec := first; ; {
		copy(args, rec.args)
		args[len(rec.args)] = int64(rec.line)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("copy into %s: %w", stage, err)
		}
		rows++
		if rec, err = s.next(); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", stage, err)
	}
	if sp.kind == RecordActivity {
		// Which staged rows are new is known only inside the merge: the
		// idle summary is rebuilt at the next findings refresh instead.
		if err := db.markIdleStale(ctx, tx); err != nil {
			return err
		}
	}
	distinct := int64(s.keys.n)
	dedupe := rows != distinct
	res := s.res
	res.Duplicates = rows - distinct
	keys := strings.Join(sp.keys, ", ")
	cols := strings.Join(sp.cols(), ", ")
	source := fmt.Sprintf(`SELECT %s FROM %s`, cols, stage)
	res.Path = "staging"
	if dedupe {
		res.Path = "staging+dedupe"
		// Each key counts once, as its first row in the file compares with
		// what was stored; the last row's value is what gets stored.
		firstRows := fmt.Sprintf(`SELECT DISTINCT ON (%s) %s FROM %s ORDER BY %s, line`, keys, cols, stage, keys)
		var join, differs []string
		for _, k := range sp.keys {
			join = append(join, fmt.Sprintf("t.%s = f.%s", k, k))
		}
		for _, v := range sp.vals {
			differs = append(differs, fmt.Sprintf("t.%s IS DISTINCT FROM f.%s", v, v))
		}
		var c struct {
			New     int64 `db:"new"`
			Changed int64 `db:"changed"`
		}
		q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE t.resource_id IS NULL) AS new,
			count(*) FILTER (WHERE t.resource_id IS NOT NULL AND (%s)) AS changed
			FROM (%s) f LEFT JOIN %s t ON %s`, strings.Join(differs, " OR "), firstRows, sp.table, strings.Join(join, " AND "))
		if err := tx.GetContext(ctx, &c, q); err != nil {
			return fmt.Errorf("compare %s: %w", stage, err)
		}
		res.Accepted, res.Replaced, res.Unchanged = c.New, c.Changed, distinct-c.New-c.Changed
		source = fmt.Sprintf(`SELECT DISTINCT ON (%s) %s FROM %s ORDER BY %s, line DESC`, keys, cols, stage, keys)
	}
	var set, differs, okey, newVals, oldVals []string
	for _, v := range sp.vals {
		set = append(set, fmt.Sprintf("%s = excluded.%s", v, v))
		differs = append(differs, fmt.Sprintf("t.%s IS DISTINCT FROM excluded.%s", v, v))
		newVals = append(newVals, "t."+v+"::text")
		oldVals = append(oldVals, "o."+v+"::text")
	}
	for _, k := range sp.keys {
		okey = append(okey, fmt.Sprintf("o.%s = t.%s", k, k))
	}
	// Skip unchanged rows before the INSERT: ON CONFLICT … WHERE false would
	// still lock (and so write) every row it leaves alone. The staging table
	// is small next to the target: probe the target's key index per row.
	var sCols, uJoin, uDiff []string
	for _, c := range sp.cols() {
		sCols = append(sCols, "s."+c)
	}
	for _, k := range sp.keys {
		uJoin = append(uJoin, fmt.Sprintf("u.%s = s.%s", k, k))
	}
	for _, v := range sp.vals {
		uDiff = append(uDiff, fmt.Sprintf("u.%s IS DISTINCT FROM s.%s", v, v))
	}
	source = fmt.Sprintf(`SELECT %s FROM (%s) s LEFT JOIN %s u ON %s WHERE u.resource_id IS NULL OR %s`,
		strings.Join(sCols, ", "), source, sp.table, strings.Join(uJoin, " AND "), strings.Join(uDiff, " OR "))
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`); err != nil {
		return err
	}
	item := "''"
	if len(sp.keys) == 3 {
		item = "t.item_code"
	}
	// The subquery in RETURNING reads the statement's snapshot: the value
	// before this statement replaced it.
	// Usage: the bits of inserted rows go into usage_months here; those
	// of replaced rows move through the table's UPDATE trigger.
	rawCols, months := "", ""
	if sp.kind == RecordUsage {
		rawCols = ", t.day AS d, t.quantity AS q"
		months = `, months AS (
		INSERT INTO usage_months AS m (resource_id, item_code, month, quantity, days)
		SELECT resource_id, item_code, date_trunc('month', d)::date, q, bit_or(1 << (extract(day FROM d)::int - 1))
		FROM up WHERE ins GROUP BY 1, 2, 3, 4
		ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = m.days | excluded.days)`
	}
	merge := fmt.Sprintf(`WITH up AS (
		INSERT INTO %[1]s AS t (%[2]s) %[3]s
		ON CONFLICT (%[4]s) DO UPDATE SET %[5]s WHERE %[6]s
		RETURNING xmax = 0 AS ins, t.resource_id, %[7]s AS item_code, t.day::text AS day,
			concat_ws(',', %[8]s) AS new,
			CASE WHEN xmax <> 0 THEN (SELECT concat_ws(',', %[9]s) FROM %[1]s o WHERE %[10]s) END AS old%[12]s)%[13]s
		SELECT 'n' AS tag, count(*) FILTER (WHERE ins) AS inserted, count(*) FILTER (WHERE NOT ins) AS changed,
			'' AS resource_id, '' AS item_code, '' AS day, '' AS new, '' AS old FROM up
		UNION ALL
		(SELECT 'r', 0, 0, resource_id, item_code, day, new, coalesce(old, '') FROM up WHERE NOT ins LIMIT %[11]d)`,
		sp.table, cols, source, keys, strings.Join(set, ", "), strings.Join(differs, " OR "),
		item, strings.Join(newVals, ", "), strings.Join(oldVals, ", "), strings.Join(okey, " AND "), maxReplacements, rawCols, months)
	rows2, err := tx.QueryxContext(ctx, merge)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", sp.table, err)
	}
	defer rows2.Close()
	var replacements []Replacement
	var inserted, changed int64
	for rows2.Next() {
		var r struct {
			Tag      string `db:"tag"`
			Inserted int64  `db:"inserted"`
			Changed  int64  `db:"changed"`
			Res      string `db:"resource_id"`
			Item     string `db:"item_code"`
			Day      string `db:"day"`
			New      string `db:"new"`
			Old      string `db:"old"`
		}
		if err := rows2.Scan(&r.Tag, &r.Inserted, &r.Changed, &r.Res, &r.Item, &r.Day, &r.New, &r.Old); err != nil {
			return fmt.Errorf("merge into %s: %w", sp.table, err)
		}
		if r.Tag == "n" {
			inserted, changed = r.Inserted, r.Changed
			continue
		}
		replacements = append(replacements, Replacement{ResourceID: r.Res, ItemCode: r.Item, Day: r.Day, Old: r.Old, New: r.New})
	}
	if err := rows2.Err(); err != nil {
		return fmt.Errorf("merge into %s: %w", sp.table, err)
	}
	if !dedupe {
		res.Accepted, res.Replaced, res.Unchanged = inserted, changed, distinct-inserted-changed
	}
	res.Replacements = replacements
	return nil
}
