package metering

import "github.com/shopspring/decimal"

// Usage is one nightly metering record: the quantity of item used by a
// resource on a day. Key: (ResourceID, ItemCode, Day).
type Usage struct {
	Day        Date            `db:"day"`
	ResourceID string          `db:"resource_id"`
	ItemCode   string          `db:"item_code"`
	Quantity   decimal.Decimal `db:"quantity"`
}

// Activity is one nightly utilisation record of a resource. Key:
// (ResourceID, Day).
type Activity struct {
	Day         Date            `db:"day"`
	ResourceID  string          `db:"resource_id"`
	CPUAvgPct   decimal.Decimal `db:"cpu_avg_pct"`
	CPUMaxPct   decimal.Decimal `db:"cpu_max_pct"`
	MemAvgPct   decimal.Decimal `db:"mem_avg_pct"`
	DiskUsedPct decimal.Decimal `db:"disk_used_pct"`
	NetInBytes  int64           `db:"net_in_bytes"`
	NetOutBytes int64           `db:"net_out_bytes"`
}

// Columns of the nightly files; a file is recognised by its header.
var (
	UsageColumns    = []string{"day", "resource_id", "item_code", "quantity"}
	ActivityColumns = []string{"day", "resource_id", "cpu_avg_pct", "cpu_max_pct", "mem_avg_pct", "disk_used_pct", "net_in_bytes", "net_out_bytes"}
)

// ParseUsage reads one usage row. It checks syntax and ranges only; whether
// the resource and item exist is the ingester's question.
func ParseUsage(r *Row) (Usage, []Problem) {
	f := Fields{Row: r}
	u := Usage{Day: f.Date("day"), ResourceID: f.Code("resource_id", true), ItemCode: f.Code("item_code", true), Quantity: f.Decimal("quantity", &Zero, nil)}
	return u, f.Problems
}

// ParseActivity reads one activity row.
func ParseActivity(r *Row) (Activity, []Problem) {
	f := Fields{Row: r}
	a := Activity{
		Day:         f.Date("day"),
		ResourceID:  f.Code("resource_id", true),
		CPUAvgPct:   f.Decimal("cpu_avg_pct", &Zero, &Hundred),
		CPUMaxPct:   f.Decimal("cpu_max_pct", &Zero, &Hundred),
		MemAvgPct:   f.Decimal("mem_avg_pct", &Zero, &Hundred),
		DiskUsedPct: f.Decimal("disk_used_pct", &Zero, &Hundred),
		NetInBytes:  f.Count("net_in_bytes"),
		NetOutBytes: f.Count("net_out_bytes"),
	}
	return a, f.Problems
}
