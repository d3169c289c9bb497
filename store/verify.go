package store

import (
	"fmt"

	"cloudbill/billing"
)

// verifyStatement checks that st's rows are those cloudbill stored: its
// lines hash to its fingerprint (billing.Fingerprint, the SHA-256 of the
// settlement-Y.csv that report writes beside the PDFs), and its department
// rows, district rows and city totals are what its lines and its stored
// coefficients give (billing.Assemble). Anything else is an error wrapping
// ErrTampered: the fingerprint printed in a footer must be the hash of the
// rows printed above it.
func verifyStatement(st *billing.Statement) error {
	sum, err := billing.Fingerprint(st)
	if err != nil {
		return err
	}
	if sum != st.SHA256 {
		how := "settled"
		if st.Status == billing.StatementStatusIssued {
			how = "issued"
		}
		return fmt.Errorf("statement %d version %d: its rows hash to %s but it was %s with %s: %w", st.Year, st.Version, sum, how, st.SHA256, ErrTampered)
	}
	want, err := billing.Assemble(st.Year, st.Lines, st.Providers, st.Policy)
	if err != nil {
		return fmt.Errorf("statement %d version %d: %w: %w", st.Year, st.Version, err, ErrTampered)
	}
	tampered := func(format string, args ...any) error {
		return fmt.Errorf("statement %d version %d: %s: %w", st.Year, st.Version, fmt.Sprintf(format, args...), ErrTampered)
	}
	type depKey struct{ provider, department string }
	deps := map[depKey]billing.DepartmentRow{}
	for _, d := range want.Departments {
		deps[depKey{d.ProviderCode, d.DepartmentCode}] = d
	}
	for _, d := range st.Departments {
		k := depKey{d.ProviderCode, d.DepartmentCode}
		w, ok := deps[k]
		if !ok {
			return tampered("department %s of provider %s has a row but no lines", d.DepartmentCode, d.ProviderCode)
		}
		if d.DistrictCode != w.DistrictCode || !d.Gross.Equal(w.Gross) || !d.Coefficient.Equal(w.Coefficient) || !d.Net.Equal(w.Net) {
			return tampered("department %s of provider %s reads district %s, gross %s × %s = net %s, but its lines and coefficient give district %s, gross %s × %s = net %s",
				d.DepartmentCode, d.ProviderCode, d.DistrictCode, d.Gross, d.Coefficient, d.Net, w.DistrictCode, w.Gross, w.Coefficient, w.Net)
		}
		delete(deps, k)
	}
	for k := range deps {
		return tampered("department %s of provider %s has lines but no row", k.department, k.provider)
	}
	dists := map[string]billing.DistrictRow{}
	for _, d := range want.Districts {
		dists[d.DistrictCode] = d
	}
	for _, d := range st.Districts {
		w, ok := dists[d.DistrictCode]
		if !ok {
			return tampered("district %s has a row but no departments", d.DistrictCode)
		}
		if !d.Gross.Equal(w.Gross) || !d.Net.Equal(w.Net) {
			return tampered("district %s reads gross %s net %s, but its departments sum to %s and %s", d.DistrictCode, d.Gross, d.Net, w.Gross, w.Net)
		}
		delete(dists, d.DistrictCode)
	}
	for code := range dists {
		return tampered("district %s has departments but no row", code)
	}
	if !st.Gross.Equal(want.Gross) || !st.Net.Equal(want.Net) {
		return tampered("the city reads gross %s net %s, but its districts sum to %s and %s", st.Gross, st.Net, want.Gross, want.Net)
	}
	return nil
}
