package store

import (
	"context"
	"fmt"

	"cloudbill/billing"
	"cloudbill/metering"
)

// Names is the directory the documents print names from: the inventory
// (districts, departments, providers, systems, resources) and every
// catalogue version (item names, categories, units).
type Names struct {
	Districts   []metering.District
	Departments []metering.Department
	Providers   []metering.Provider
	Systems     []metering.System
	Resources   []metering.Resource
	Catalogue   []billing.PriceVersion
}

// Names reads the inventory and the catalogue, each ordered by its code.
func (db *DB) Names(ctx context.Context) (*Names, error) {
	n := &Names{}
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
			return nil, fmt.Errorf("read %s: %w", q.what, err)
		}
	}
	cat, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	n.Catalogue = cat
	return n, nil
}
