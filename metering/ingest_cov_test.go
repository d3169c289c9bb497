package metering

import "testing"

func covKnown() *Known {
	return &Known{
		Resources: map[string]KnownResource{
			"vm-1":   {Index: 1, Confirmed: MustDate("2024-03-05"), Family: FamilyCompute},
			"disk-1": {Index: 2, Confirmed: NeverConfirmed, Family: FamilyStorage},
		},
		Items: map[string]int32{"VCPU": 1, "SSD": 2},
	}
}

func TestCovBillable(t *testing.T) {
	k := covKnown()
	for _, tc := range []struct {
		name string
		res  string
		day  string
		want bool
	}{
		{"before confirmation (testing period)", "vm-1", "2024-03-04", false},
		{"on the confirmation day", "vm-1", "2024-03-05", true},
		{"after", "vm-1", "2030-01-01", true},
		{"never confirmed", "disk-1", "2024-03-05", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := k.Resources[tc.res].Billable(MustDate(tc.day)); got != tc.want {
				t.Errorf("Billable(%s) = %v, want %v", tc.day, got, tc.want)
			}
		})
	}
}

func TestCovCheckUsage(t *testing.T) {
	k := covKnown()
	for _, tc := range []struct {
		name, line string
		problems   string
		retry      string
		index      int32
		item       int32
	}{
		{"known", "2024-07-01,vm-1,VCPU,4", "", "", 1, 1},
		{"unknown resource: retry later", "2024-07-01,vm-9,VCPU,4", `resource_id: unknown resource "vm-9"`, "vm-9", 0, 1},
		{"unknown item: no retry", "2024-07-01,vm-1,GPU,4", `item_code: unknown catalogue item "GPU"`, "", 1, 0},
		{"both unknown: no retry", "2024-07-01,vm-9,GPU,4", "resource_id: unknown resource \"vm-9\"\nitem_code: unknown catalogue item \"GPU\"", "", 0, 0},
		{"unknown resource and a bad quantity: no retry", "2024-07-01,vm-9,VCPU,-4", "quantity: -4 is below 0\nresource_id: unknown resource \"vm-9\"", "", 0, 1},
		{"empty resource is not looked up", "2024-07-01,,SSD,4", "resource_id: empty", "", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ps, retry := k.CheckUsage(covRow(t, "usage.csv", covUsageHeader, tc.line))
			if p := covProblems(t, ps); p != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", p, tc.problems)
			}
			if retry != tc.retry {
				t.Errorf("retry %q, want %q", retry, tc.retry)
			}
			if c.Resource.Index != tc.index || c.Item != tc.item || c.Day.String() != "2024-07-01" {
				t.Errorf("checked %+v, want resource %d item %d", c, tc.index, tc.item)
			}
		})
	}
}

func TestCovCheckActivity(t *testing.T) {
	k := covKnown()
	for _, tc := range []struct {
		name, line string
		problems   string
		retry      string
		family     Family
	}{
		{"known", "2024-07-01,disk-1,0,0,0,3,0,0", "", "", FamilyStorage},
		{"unknown resource: retry later", "2024-07-01,nas-1,0,0,0,3,0,0", `resource_id: unknown resource "nas-1"`, "nas-1", ""},
		{"unknown resource and a bad value: no retry", "2024-07-01,nas-1,0,0,0,300,0,0", "disk_used_pct: 300 is above 100\nresource_id: unknown resource \"nas-1\"", "", ""},
		{"empty resource", "2024-07-01,,0,0,0,3,0,0", "resource_id: empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ps, retry := k.CheckActivity(covRow(t, "activity.csv", covActivityHeader, tc.line))
			if p := covProblems(t, ps); p != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", p, tc.problems)
			}
			if retry != tc.retry {
				t.Errorf("retry %q, want %q", retry, tc.retry)
			}
			if c.Resource.Family != tc.family {
				t.Errorf("family %q, want %q", c.Resource.Family, tc.family)
			}
		})
	}
}
