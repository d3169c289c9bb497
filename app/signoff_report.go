package app

import (
	"context"
	"time"

	"cloudbill/billing"
	"cloudbill/reports"
	"cloudbill/store"
)

// draftSignoff reads the sign-off records a draft's documents print: its
// current state; nil when it was not published for review (its documents
// then print no sign-off, as before there was one).
func (a *App) draftSignoff(ctx context.Context, st *billing.Statement) (*store.SignoffRecords, error) {
	recs, err := a.DB.SignoffRecords(ctx, st.Year, st.Version)
	if err != nil || recs.Publication == nil {
		return nil, err
	}
	return &recs, nil
}

// signoffDocument is what the documents of st print of its sign-off
// records (nil: nothing). It depends on the records only, never on the
// clock, so that a document printed twice is the same.
func signoffDocument(st *billing.Statement, recs *store.SignoffRecords) *reports.Signoff {
	if recs == nil {
		return nil
	}
	mk := func(user, role string, t time.Time) *reports.SignoffAct {
		label := Role(role).Label()
		if role == "" {
			label = "命令行操作员"
		}
		return &reports.SignoffAct{User: user, Role: label, At: t}
	}
	v := viewOf(st, *recs, true, 0)
	out := &reports.Signoff{}
	if p := recs.Publication; p != nil {
		out.Published, out.Deadline = mk(p.User, p.Role, p.PublishedAt), p.Deadline
	}
	if ap := recs.Approval; ap != nil {
		out.Approval = mk(ap.User, ap.Role, ap.At)
	}
	if i := recs.Issue; i != nil {
		out.Issue, out.WithoutSignoff = mk(i.User, i.Role, i.At), i.WithoutSignoff
	}
	party := func(s PartyState) reports.SignoffParty {
		p := reports.SignoffParty{Code: s.Code, State: s.State.Label(), CarriedFrom: s.CarriedFrom}
		if s.State == PartyConfirmed || s.State == PartyLapsed {
			p.Act = mk(s.User, s.Role, s.At)
		}
		return p
	}
	for _, s := range v.Providers {
		out.Providers = append(out.Providers, party(s))
	}
	for _, s := range v.Districts {
		out.Districts = append(out.Districts, party(s))
	}
	for _, o := range recs.Objections {
		x := reports.SignoffObjection{ID: o.ID, Version: o.Version, By: *mk(o.User, o.Role, o.At), Party: string(o.Party), Code: o.Code,
			DistrictCode: o.DistrictCode, ResourceID: o.ResourceID, ItemCode: o.ItemCode, Reason: o.Reason, EvidenceName: o.EvidenceName,
			EvidenceSHA256: o.EvidenceSHA256, EvidenceSize: o.EvidenceSize, Status: string(o.Status), Resolution: o.Resolution, ClosedByVersion: o.ClosedByVersion}
		if o.Status != store.ObjectionOpen {
			x.Resolved = mk(o.ResolvedBy, o.ResolvedRole, o.ResolvedAt)
		}
		out.Objections = append(out.Objections, x)
	}
	return out
}
