package metering

import "testing"

const (
	covUsageHeader    = "day,resource_id,item_code,quantity"
	covActivityHeader = "day,resource_id,cpu_avg_pct,cpu_max_pct,mem_avg_pct,disk_used_pct,net_in_bytes,net_out_bytes"
)

func TestCovParseUsage(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       Usage
		problems   string
	}{
		{"good", "2024-07-01,vm-1,VCPU,8", Usage{Day: MustDate("2024-07-01"), ResourceID: "vm-1", ItemCode: "VCPU"}, ""},
		{"zero quantity", "2024-07-01,vm-1,VCPU,0", Usage{Day: MustDate("2024-07-01"), ResourceID: "vm-1", ItemCode: "VCPU"}, ""},
		{"negative quantity", "2024-07-01,vm-1,VCPU,-1", Usage{Day: MustDate("2024-07-01"), ResourceID: "vm-1", ItemCode: "VCPU"}, "quantity: -1 is below 0"},
		{"bad day", "2024-07-32,vm-1,VCPU,8", Usage{ResourceID: "vm-1", ItemCode: "VCPU"}, `day: "2024-07-32" is not a date (YYYY-MM-DD)`},
		{"all empty", ",,,", Usage{}, "day: empty\nresource_id: empty\nitem_code: empty\nquantity: empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, ps := ParseUsage(covRow(t, "usage.csv", covUsageHeader, tc.line))
			if u.Day != tc.want.Day || u.ResourceID != tc.want.ResourceID || u.ItemCode != tc.want.ItemCode {
				t.Errorf("usage %+v, want %+v", u, tc.want)
			}
			if p := covProblems(t, ps); p != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", p, tc.problems)
			}
		})
	}
	u, _ := ParseUsage(covRow(t, "usage.csv", covUsageHeader, "2024-07-01,vm-1,OSS,1024.125"))
	if u.Quantity.String() != "1024.125" {
		t.Errorf("quantity %s, want 1024.125 exactly", u.Quantity)
	}
}

func TestCovParseActivity(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		problems   string
	}{
		{"good", "2024-07-01,vm-1,3.5,9.99,40,12,1048576,2097152", ""},
		{"bounds are inclusive", "2024-07-01,vm-1,0,100,0,100,0,0", ""},
		{"cpu over 100", "2024-07-01,vm-1,100.01,9,40,12,1,2", "cpu_avg_pct: 100.01 is above 100"},
		{"cpu max negative", "2024-07-01,vm-1,1,-9,40,12,1,2", "cpu_max_pct: -9 is below 0"},
		{"memory not a number", "2024-07-01,vm-1,1,9,forty,12,1,2", `mem_avg_pct: "forty" is not a decimal number`},
		{"disk over 100", "2024-07-01,vm-1,1,9,40,101,1,2", "disk_used_pct: 101 is above 100"},
		{"bytes fractional", "2024-07-01,vm-1,1,9,40,12,1.5,2", `net_in_bytes: "1.5" is not an integer ≥ 0`},
		{"bytes negative", "2024-07-01,vm-1,1,9,40,12,1,-2", `net_out_bytes: "-2" is not an integer ≥ 0`},
		{"all empty", ",,,,,,,", "day: empty\nresource_id: empty\ncpu_avg_pct: empty\ncpu_max_pct: empty\nmem_avg_pct: empty\ndisk_used_pct: empty\nnet_in_bytes: empty\nnet_out_bytes: empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := ParseActivity(covRow(t, "activity.csv", covActivityHeader, tc.line))
			if p := covProblems(t, ps); p != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", p, tc.problems)
			}
		})
	}
	a, ps := ParseActivity(covRow(t, "activity.csv", covActivityHeader, "2024-07-01,vm-1,3.5,9.99,40,12,1048576,2097152"))
	if len(ps) != 0 || a.Day.String() != "2024-07-01" || a.ResourceID != "vm-1" || a.CPUAvgPct.String() != "3.5" || a.CPUMaxPct.String() != "9.99" ||
		a.MemAvgPct.String() != "40" || a.DiskUsedPct.String() != "12" || a.NetInBytes != 1<<20 || a.NetOutBytes != 2<<20 {
		t.Errorf("activity %+v, problems %v", a, ps)
	}
}
