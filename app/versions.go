package app

import (
	"context"
	"fmt"

	"cloudbill/billing"
	"cloudbill/store"
)

// StatementVersion is one version of a year as `cloudbill versions` lists it: its
// header, with the status an issued version has once a later one is
// issued (superseded) and the version that replaced it.
type StatementVersion struct {
	store.StatementHeader
	SupersededBy int
}

// Versions lists the versions of a year, oldest first.
func (a *App) Versions(ctx context.Context, in YearInput) ([]StatementVersion, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	hs, err := a.DB.StatementHeaders(ctx, in.Year)
	if err != nil {
		return nil, err
	}
	var issued []int
	for _, h := range hs {
		if h.Status == billing.StatementStatusIssued {
			issued = append(issued, h.Version)
		}
	}
	out := make([]StatementVersion, len(hs))
	for i, h := range hs {
		out[i] = StatementVersion{StatementHeader: h}
		if h.Status == billing.StatementStatusIssued {
			if by := billing.Superseded(h.Version, issued); by > 0 {
				out[i].Status, out[i].SupersededBy = billing.StatementStatusSuperseded, by
			}
		}
	}
	return out, nil
}

// statement reads a version of year: version > 0 that one; 0 the latest
// issued version if there is one, else the latest draft. The statement
// carries SupersededBy.
func (a *App) statement(ctx context.Context, year, version int) (*billing.Statement, error) {
	vs, err := a.Versions(ctx, YearInput{Year: year})
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%d: %w (run cloudbill settle --year %d)", year, store.ErrNoStatement, year)
	}
	pick := 0
	if version > 0 {
		pick = version
	} else {
		pick = vs[len(vs)-1].Version
		for _, v := range vs {
			if v.Status == billing.StatementStatusIssued {
				pick = v.Version // the last one issued (a superseded one is not "issued" any more)
			}
		}
	}
	st, err := a.DB.Statement(ctx, year, pick)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Version == pick {
			st.SupersededBy = v.SupersededBy
		}
	}
	return st, nil
}
