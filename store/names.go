package store

import (
	"context"
	"fmt"

	"cloudbill/metering"
)

// Inventory reads the districts, departments, providers, systems and
// resources, each ordered by its code.
func (db *DB) Inventory(ctx context.Context) (metering.Inventory, error) {
	var n metering.Inventory
	for _, q := range []struct {
		what string
		dest any
		sql  string
	}{
		{"districts", &n.Districts, `SELECT code, name FROM districts ORDER BY code`},
		{"departments", &n.Departments, `SELECT code, name, district_code FROM departments ORDER BY code`},
		{"providers", &n.Providers, `SELECT code, name FROM providers ORDER BY code`},
		{"systems", &n.Systems, `SELECT id, department_code, name, protection_level FROM systems ORDER BY id`},
		{"resources", &n.Resources, `SELECT id, system_id, provider_code, kind, name FROM resources ORDER BY id`},
	} {
		if err := db.pool.SelectContext(ctx, q.dest, q.sql); err != nil {
			return n, fmt.Errorf("read %s: %w", q.what, err)
		}
	}
	return n, nil
}
