package reports

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

var (
	benchResources = flag.Int("docs.resources", 1000, "resources in BenchmarkDocuments' synthetic statement")
	benchDistricts = flag.Int("docs.districts", 12, "districts in BenchmarkDocuments' synthetic statement")
)

// synthBundle is a realistic year: resources spread over districts, five
// departments each, three systems per department, two providers, two or
// three lines per resource, an idle finding for one resource in twenty.
func synthBundle(resources, districts int) Bundle {
	base := sampleBundle(billing.StatementStatusIssued)
	names := Names{
		Inventory: metering.Inventory{
			Providers: base.Names.Providers,
		},
		Catalogue: catalogue(),
	}
	districtOf := map[string]string{}
	for i := 0; i < districts; i++ {
		code := fmt.Sprintf("1402%02d", 10+i)
		names.Districts = append(names.Districts, metering.District{Code: code, Name: fmt.Sprintf("第%d县区", i+1)})
		for j := 0; j < 5; j++ {
			dept := fmt.Sprintf("%s%03d", code, j+1)
			names.Departments = append(names.Departments, metering.Department{Code: dept, Name: fmt.Sprintf("第%d县区政务服务和数据管理局第%d科室", i+1, j+1), DistrictCode: code})
			districtOf[dept] = code
			for k := 0; k < 3; k++ {
				names.Systems = append(names.Systems, metering.System{ID: fmt.Sprintf("%s-S%d", dept, k+1), DepartmentCode: dept, Name: fmt.Sprintf("业务应用系统%d（含数据交换与共享平台）", k+1)})
			}
		}
	}
	st := &billing.Statement{Year: 2024, Version: 1, Status: billing.StatementStatusIssued,
		CreatedAt: base.Statement.CreatedAt, IssuedAt: base.Statement.IssuedAt, SHA256: base.Statement.SHA256,
		Policy: base.Statement.Policy, Providers: base.Statement.Providers}
	items := []struct {
		code, price, q string
		cyc            billing.Cycle
	}{{"VCPU", "360", "8", billing.CycleYear}, {"MEM", "120", "16", billing.CycleYear}, {"SSD", "12", "500", billing.CycleYear},
		{"BW", "960", "20", billing.CycleYear}, {"OSS", "0.10", "1024", billing.CycleMonth}, {"WAF", "3000", "1", billing.CycleYear}}
	b := Bundle{Names: names, Scores: base.Scores, AsOf: metering.MustDate("2024-12-31")}
	for r := 0; r < resources; r++ {
		sys := names.Systems[r%len(names.Systems)]
		prov := names.Providers[r%2].Code
		id := fmt.Sprintf("R%05d", r)
		b.Names.Resources = append(b.Names.Resources, metering.Resource{ID: id, SystemID: sys.ID, ProviderCode: prov, Kind: "vm", Name: fmt.Sprintf("应用服务器%03d", r%1000)})
		for k := 0; k < 2+r%2; k++ {
			it := items[(r+k)%len(items)]
			days := 366 - r%200
			q, p := decimal.RequireFromString(it.q), decimal.RequireFromString(it.price)
			cycleDays := 366
			if it.cyc == billing.CycleMonth {
				cycleDays = 30
			}
			amt := q.Mul(p).Mul(decimal.NewFromInt(int64(days))).Div(decimal.NewFromInt(int64(cycleDays)))
			st.Lines = append(st.Lines, billing.Line{ProviderCode: prov, DistrictCode: districtOf[sys.DepartmentCode], DepartmentCode: sys.DepartmentCode,
				SystemID: sys.ID, ResourceID: id, ItemCode: it.code, BillableDays: days, QuantityDays: q.Mul(decimal.NewFromInt(int64(days))), Gross: amt.Round(2),
				Runs: []billing.Run{{ResourceID: id, ItemCode: it.code, EffectiveFrom: metering.MustDate("2023-01-01"), Price: p, Cycle: it.cyc,
					ApprovalRef: "同发改价〔2023〕12号", Quantity: q, Days: days, CycleDays: cycleDays, Amount: amt}}})
		}
		if r%20 == 0 {
			b.Findings = append(b.Findings, evaluation.Finding{Kind: evaluation.FindingIdle, DistrictCode: districtOf[sys.DepartmentCode],
				DepartmentCode: sys.DepartmentCode, SystemID: sys.ID, ResourceID: id, FirstDay: metering.MustDate("2024-03-01"),
				LastDay: metering.MustDate("2024-04-29"), Days: 60, Amount: decimal.NewFromInt(int64(100 + r))})
		}
		b.Obligations = append(b.Obligations, evaluation.Obligation{ProviderCode: prov, ResourceID: id, Kind: evaluation.ObligationProvision,
			Started: metering.MustDate("2024-01-02"), Due: metering.MustDate("2024-01-04"), Done: metering.NullDate{Date: metering.MustDate("2024-01-04"), Valid: true}, Status: evaluation.ObligationOnTime})
	}
	aggregate(st, districtOf)
	b.Statement = st
	return b
}

// pageCount counts the pages of a gofpdf PDF.
func pageCount(pdf []byte) int {
	return bytes.Count(pdf, []byte("<</Type /Page\n"))
}

func BenchmarkDocuments(b *testing.B) {
	font := needFont(b)
	bundle := synthBundle(*benchResources, *benchDistricts)
	dir := b.TempDir()
	pages := 0
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		paths, err := WriteDocuments(dir, bundle, font)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		pages = 0
		for _, p := range paths {
			if filepath.Ext(p) == ".pdf" {
				data, _ := os.ReadFile(p)
				pages += pageCount(data)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(pages), "pages/op")
	b.ReportMetric(float64(pages*b.N)/elapsed.Seconds(), "pages/s")
}
