package store_test

import (
	"context"
	"testing"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

func TestInventory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := settleReference()
		if _, err := db.LoadReference(ctx, in); err != nil {
			t.Fatal(err)
		}
		n, err := db.Inventory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what      string
			got, want int
		}{
			{"districts", len(n.Districts), len(in.Districts)},
			{"departments", len(n.Departments), len(in.Departments)},
			{"providers", len(n.Providers), len(in.Providers)},
			{"systems", len(n.Systems), len(in.Systems)},
			{"resources", len(n.Resources), len(in.Resources)},
		} {
			t.Run(c.what, func(t *testing.T) {
				if c.got != c.want {
					t.Errorf("%d %s, want %d", c.got, c.what, c.want)
				}
			})
		}
		if len(n.Departments) > 0 && (n.Departments[0].Name == "" || n.Departments[0].DistrictCode == "") {
			t.Errorf("department read without name or district: %+v", n.Departments[0])
		}
	})
}
