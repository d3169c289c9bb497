package metering

import (
	"slices"
	"strings"
	"testing"
)

func TestCovKindsAndFamilies(t *testing.T) {
	// docs/rules.md §8
	for _, tc := range []struct {
		family Family
		kinds  string // sorted
	}{
		{FamilyCompute, "baremetal cache container db gpu mq vm"},
		{FamilyStorage, "backup bucket disk nas"},
		{FamilyNetwork, "bandwidth eip lb nat vpn"},
		{FamilyService, "audit bastion crypto hids migration scan secpack waf"},
		{"other", ""},
	} {
		t.Run(string(tc.family), func(t *testing.T) {
			var got []string
			for _, k := range KindsOf(tc.family) {
				got = append(got, string(k))
				if f, ok := k.Family(); !ok || f != tc.family {
					t.Errorf("%s.Family() = %s, %v", k, f, ok)
				}
			}
			if strings.Join(got, " ") != tc.kinds {
				t.Errorf("KindsOf(%s) = %v, want %s", tc.family, got, tc.kinds)
			}
			if !slices.IsSorted(got) {
				t.Errorf("KindsOf(%s) not sorted: %v", tc.family, got)
			}
		})
	}
	for _, k := range []Kind{"", "VM", "server", "vm "} {
		if f, ok := k.Family(); ok {
			t.Errorf("unknown kind %q has family %s", k, f)
		}
	}
}

func TestCovParseInventory(t *testing.T) {
	for _, tc := range []struct {
		name     string
		header   string
		line     string
		parse    func(*Row) (any, []Problem)
		want     any
		problems string
	}{
		{"district", "code,name", "140213,平城区",
			func(r *Row) (any, []Problem) { return ParseDistrict(r) },
			District{Code: "140213", Name: "平城区"}, ""},
		{"district without name", "code,name", "140213, ",
			func(r *Row) (any, []Problem) { return ParseDistrict(r) },
			District{Code: "140213"}, "name: empty"},
		{"department", "name,code,district_code", "大同市财政局,D01,140200",
			func(r *Row) (any, []Problem) { return ParseDepartment(r) },
			Department{Code: "D01", Name: "大同市财政局", DistrictCode: "140200"}, ""},
		{"department without anything", "code,name,district_code", ",,",
			func(r *Row) (any, []Problem) { return ParseDepartment(r) },
			Department{}, "code: empty\nname: empty\ndistrict_code: empty"},
		{"provider", "code,name", "P1,某云",
			func(r *Row) (any, []Problem) { return ParseProvider(r) },
			Provider{Code: "P1", Name: "某云"}, ""},
		{"provider without code", "code,name", ",某云",
			func(r *Row) (any, []Problem) { return ParseProvider(r) },
			Provider{Name: "某云"}, "code: empty"},
		{"system with protection level", "id,department_code,name,protection_level", "S1,D01,财政一体化,3",
			func(r *Row) (any, []Problem) { return ParseSystem(r) },
			System{ID: "S1", DepartmentCode: "D01", Name: "财政一体化", ProtectionLevel: "3"}, ""},
		{"system: protection level optional", "id,department_code,name,protection_level", "S1,D01,门户,",
			func(r *Row) (any, []Problem) { return ParseSystem(r) },
			System{ID: "S1", DepartmentCode: "D01", Name: "门户"}, ""},
		{"system without department", "id,department_code,name,protection_level", "S1,,门户,2",
			func(r *Row) (any, []Problem) { return ParseSystem(r) },
			System{ID: "S1", Name: "门户", ProtectionLevel: "2"}, "department_code: empty"},
		{"resource", "id,system_id,provider_code,kind,name", "vm-1,S1,P1,vm,应用服务器",
			func(r *Row) (any, []Problem) { return ParseResource(r) },
			Resource{ID: "vm-1", SystemID: "S1", ProviderCode: "P1", Kind: "vm", Name: "应用服务器"}, ""},
		{"resource of a service kind", "id,system_id,provider_code,kind,name", "waf-1,S1,P1,waf,防火墙",
			func(r *Row) (any, []Problem) { return ParseResource(r) },
			Resource{ID: "waf-1", SystemID: "S1", ProviderCode: "P1", Kind: "waf", Name: "防火墙"}, ""},
		{"resource of an unknown kind", "id,system_id,provider_code,kind,name", "x-1,S1,P1,mainframe,大型机",
			func(r *Row) (any, []Problem) { return ParseResource(r) },
			Resource{ID: "x-1", SystemID: "S1", ProviderCode: "P1", Kind: "mainframe", Name: "大型机"}, `kind: unknown resource kind "mainframe"`},
		{"resource without kind: only empty", "id,system_id,provider_code,kind,name", "x-1,S1,P1,,大型机",
			func(r *Row) (any, []Problem) { return ParseResource(r) },
			Resource{ID: "x-1", SystemID: "S1", ProviderCode: "P1", Name: "大型机"}, "kind: empty"},
		{"resource without ids", "id,system_id,provider_code,kind,name", ",,,disk,盘",
			func(r *Row) (any, []Problem) { return ParseResource(r) },
			Resource{Kind: "disk", Name: "盘"}, "id: empty\nsystem_id: empty\nprovider_code: empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ps := tc.parse(covRow(t, "inv.csv", tc.header, tc.line))
			if got != tc.want {
				t.Errorf("parsed %+v, want %+v", got, tc.want)
			}
			if p := covProblems(t, ps); p != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", p, tc.problems)
			}
		})
	}
}

func TestCovInventoryColumns(t *testing.T) {
	for _, tc := range []struct {
		name string
		cols []string
		want string
	}{
		{"districts", DistrictColumns, "code,name"},
		{"departments", DepartmentColumns, "code,name,district_code"},
		{"providers", ProviderColumns, "code,name"},
		{"systems", SystemColumns, "id,department_code,name,protection_level"},
		{"resources", ResourceColumns, "id,system_id,provider_code,kind,name"},
		{"usage", UsageColumns, "day,resource_id,item_code,quantity"},
		{"activity", ActivityColumns, "day,resource_id,cpu_avg_pct,cpu_max_pct,mem_avg_pct,disk_used_pct,net_in_bytes,net_out_bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(tc.cols, ","); got != tc.want {
				t.Errorf("columns %s, want docs/formats.md's %s", got, tc.want)
			}
		})
	}
}
