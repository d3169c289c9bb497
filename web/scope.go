package web

import (
	"fmt"
	"regexp"
	"strconv"

	"cloudbill/app"
	"cloudbill/store"
)

// Scope is what the signed-in user may see, computed from the account
// alone. Every handler asks it, and nothing else, whether a page, a
// figure or a file is the user's; what is not is answered 404, exactly
// like what does not exist.
type Scope struct {
	User       string
	Role       app.Role
	District   string // the district of a district account
	Department string // the department of a department account
	Provider   string // the provider of a provider account
}

// ScopeOf is the scope of an account.
func ScopeOf(u store.User) Scope {
	s := Scope{User: u.Name, Role: app.Role(u.Role)}
	switch s.Role {
	case app.RoleDistrict:
		s.District = u.DistrictCode
	case app.RoleDepartment:
		s.Department = u.DepartmentCode
	case app.RoleProvider:
		s.Provider = u.ProviderCode
	}
	return s
}

// City reports whether the user sees the whole city (finance, office).
func (s Scope) City() bool { return s.Role == app.RoleFinance || s.Role == app.RoleOffice }

// Office reports whether the user sees the operator's pages.
func (s Scope) Office() bool { return s.Role == app.RoleOffice }

// Statements reports whether the user sees any statement line at all.
func (s Scope) Statements() bool {
	return s.City() || s.District != "" || s.Department != "" || s.Provider != ""
}

// Evaluation reports whether the user sees the providers' evaluation.
func (s Scope) Evaluation() bool { return s.City() || s.Role == app.RoleEvaluator }

// Findings reports whether the user sees resource-use findings (of its
// district or department only, see FindingFilter).
func (s Scope) Findings() bool { return s.City() || s.District != "" || s.Department != "" }

// Allows reports whether a line (or finding) of this district, department
// and provider is the user's.
func (s Scope) Allows(district, department, provider string) bool {
	switch {
	case s.City():
		return true
	case s.District != "":
		return district == s.District
	case s.Department != "":
		return department == s.Department
	case s.Provider != "":
		return provider == s.Provider
	}
	return false
}

// DistrictPage reports whether the user sees the page of district code
// (all of the district's departments).
func (s Scope) DistrictPage(code string) bool {
	return s.City() || s.District != "" && code == s.District
}

// DepartmentPage reports whether the user sees the page of department
// code, which belongs to district.
func (s Scope) DepartmentPage(code, district string) bool {
	return s.City() || s.District != "" && district == s.District || s.Department != "" && code == s.Department
}

// ProviderPage reports whether the user sees the page of provider code
// (all of its lines).
func (s Scope) ProviderPage(code string) bool {
	return s.City() || s.Provider != "" && code == s.Provider
}

// LineFilter limits the statement lines read to the user's.
func (s Scope) LineFilter() store.LineFilter {
	return store.LineFilter{DistrictCode: s.District, DepartmentCode: s.Department, ProviderCode: s.Provider}
}

// FindingFilter limits the findings read to the user's (findings carry no
// provider: a provider account sees none, see Findings).
func (s Scope) FindingFilter() store.FindingFilter {
	return store.FindingFilter{DistrictCode: s.District, DepartmentCode: s.Department}
}

var (
	cityFile     = regexp.MustCompile(`^(statement-(\d{4})\.pdf|settlement-(\d{4})\.csv|departments-(\d{4})\.csv|findings-(\d{4})\.csv|idle-(\d{4})\.pdf|cloudbill-(\d{4})\.xlsx)$`)
	districtFile = regexp.MustCompile(`^district-(\d{4})-([A-Za-z0-9_-]+)\.(?:pdf|xlsx)$`)
	providerFile = regexp.MustCompile(`^provider-(\d{4})-([A-Za-z0-9_-]+)\.csv$`)
	deptFile     = regexp.MustCompile(`^department-(\d{4})-([A-Za-z0-9_-]+)\.pdf$`)
	evalFile     = regexp.MustCompile(`^(evaluation-(\d{4})\.pdf|sla-(\d{4})\.csv)$`)
)

// File reports whether the user may download the document name of year
// (a file `cloudbill report` writes): the city's documents for finance
// and office, a district's statement for that district's accounts too,
// a provider's lines for that provider's accounts too, the evaluation and
// the SLA list for the evaluator too.
func (s Scope) File(year int, name string) bool {
	y := strconv.Itoa(year)
	if m := cityFile.FindStringSubmatch(name); m != nil {
		return yearIn(y, m[2:]) && s.City()
	}
	if m := districtFile.FindStringSubmatch(name); m != nil {
		return m[1] == y && s.DistrictPage(m[2])
	}
	if m := providerFile.FindStringSubmatch(name); m != nil {
		return m[1] == y && s.ProviderPage(m[2])
	}
	if m := evalFile.FindStringSubmatch(name); m != nil {
		return yearIn(y, m[2:]) && s.Evaluation()
	}
	return false
}

// DepartmentFile reports whether name is the bill of a department in year,
// and names the department: whether the user may have it depends on the
// department's district (DepartmentPage).
func DepartmentFile(year int, name string) (code string, ok bool) {
	m := deptFile.FindStringSubmatch(name)
	if m == nil || m[1] != strconv.Itoa(year) {
		return "", false
	}
	return m[2], true
}

func yearIn(y string, groups []string) bool {
	for _, g := range groups {
		if g != "" {
			return g == y
		}
	}
	return false
}

// String names the scope for logs.
func (s Scope) String() string {
	return fmt.Sprintf("%s(%s%s%s%s)", s.User, s.Role, prefixed(" district=", s.District), prefixed(" department=", s.Department), prefixed(" provider=", s.Provider))
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}
