package metering

import (
	"slices"
	"strings"
)

// Inventory is who uses and who runs the cloud: the districts, their
// departments, the departments' information systems, the resources of the
// systems, and the providers that run them.
type Inventory struct {
	Districts   []District
	Departments []Department
	Providers   []Provider
	Systems     []System
	Resources   []Resource
}

// District is a settlement district: 市本级, a district, a county or a
// development zone, identified by its administrative code.
type District struct {
	Code string `db:"code"`
	Name string `db:"name"`
}

// Department is a city or county department; it belongs to one district.
type Department struct {
	Code         string `db:"code"`
	Name         string `db:"name"`
	DistrictCode string `db:"district_code"`
}

// Provider runs the cloud and is paid for it.
type Provider struct {
	Code string `db:"code"`
	Name string `db:"name"`
}

// System is an information system (政务信息系统) of one department.
type System struct {
	ID              string `db:"id"`
	DepartmentCode  string `db:"department_code"`
	Name            string `db:"name"`
	ProtectionLevel string `db:"protection_level"`
}

// Resource is one billed resource (a VM, a disk, a bandwidth line…) of one
// system, run by one provider.
type Resource struct {
	ID           string `db:"id"`
	SystemID     string `db:"system_id"`
	ProviderCode string `db:"provider_code"`
	Kind         Kind   `db:"kind"`
	Name         string `db:"name"`
}

// Kind is a resource kind; each belongs to one family.
type Kind string

// Family groups kinds for the idle rules of Art. 27.
type Family string

const (
	FamilyCompute Family = "compute"
	FamilyStorage Family = "storage"
	FamilyNetwork Family = "network"
	FamilyService Family = "service"
)

var kindFamily = map[Kind]Family{}

func init() {
	for fam, kinds := range map[Family]string{
		FamilyCompute: "vm baremetal gpu db cache mq container",
		FamilyStorage: "disk bucket nas backup",
		FamilyNetwork: "bandwidth eip lb nat vpn",
		FamilyService: "waf bastion hids audit scan secpack crypto migration",
	} {
		for _, k := range strings.Fields(kinds) {
			kindFamily[Kind(k)] = fam
		}
	}
}

// KindsOf returns the kinds of family f, sorted.
func KindsOf(f Family) []Kind {
	var out []Kind
	for k, kf := range kindFamily {
		if kf == f {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Family returns the kind's family and whether the kind is known.
func (k Kind) Family() (Family, bool) {
	f, ok := kindFamily[k]
	return f, ok
}

// Columns of the inventory files.
var (
	DistrictColumns   = []string{"code", "name"}
	DepartmentColumns = []string{"code", "name", "district_code"}
	ProviderColumns   = []string{"code", "name"}
	SystemColumns     = []string{"id", "department_code", "name", "protection_level"}
	ResourceColumns   = []string{"id", "system_id", "provider_code", "kind", "name"}
)

// ParseDistrict reads one districts.csv row.
func ParseDistrict(r *Row) (District, []Problem) {
	f := Fields{Row: r}
	d := District{Code: f.Code("code", true), Name: f.Text("name", true)}
	return d, f.Problems
}

// ParseDepartment reads one departments.csv row.
func ParseDepartment(r *Row) (Department, []Problem) {
	f := Fields{Row: r}
	d := Department{Code: f.Code("code", true), Name: f.Text("name", true), DistrictCode: f.Code("district_code", true)}
	return d, f.Problems
}

// ParseProvider reads one providers.csv row.
func ParseProvider(r *Row) (Provider, []Problem) {
	f := Fields{Row: r}
	p := Provider{Code: f.Code("code", true), Name: f.Text("name", true)}
	return p, f.Problems
}

// ParseSystem reads one systems.csv row.
func ParseSystem(r *Row) (System, []Problem) {
	f := Fields{Row: r}
	s := System{ID: f.Code("id", true), DepartmentCode: f.Code("department_code", true), Name: f.Text("name", true), ProtectionLevel: f.Text("protection_level", false)}
	return s, f.Problems
}

// ParseResource reads one resources.csv row; an unknown kind is a problem.
func ParseResource(r *Row) (Resource, []Problem) {
	f := Fields{Row: r}
	res := Resource{ID: f.Code("id", true), SystemID: f.Code("system_id", true), ProviderCode: f.Code("provider_code", true), Kind: Kind(f.Text("kind", true)), Name: f.Text("name", true)}
	if res.Kind != "" {
		if _, ok := res.Kind.Family(); !ok {
			f.Fail("kind", "unknown resource kind %q", res.Kind)
		}
	}
	return res, f.Problems
}
