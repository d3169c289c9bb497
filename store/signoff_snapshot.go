package store

import "time"

// The stored form of the sign-off records in a snapshot (snapshotDoc):
// every field named in JSON, instants as RFC 3339 UTC, dates as
// YYYY-MM-DD, so that an issued version prints the same sign-off forever.
type (
	snapSignoff struct {
		Publication   *snapPublication   `json:"publication,omitempty"`
		Confirmations []snapConfirmation `json:"confirmations"`
		Objections    []snapObjection    `json:"objections"`
		Approval      *snapApproval      `json:"approval,omitempty"`
		Issue         *snapIssuance      `json:"issue,omitempty"`
	}
	snapPublication struct {
		At       string `json:"at"`
		User     string `json:"user"`
		Role     string `json:"role"`
		Deadline string `json:"deadline"`
	}
	snapConfirmation struct {
		Party       string `json:"party"`
		Code        string `json:"code"`
		Kind        string `json:"kind"`
		User        string `json:"user"`
		Role        string `json:"role"`
		At          string `json:"at"`
		LinesSHA256 string `json:"lines_sha256"`
		CarriedFrom int    `json:"carried_from,omitempty"`
	}
	snapObjection struct {
		ID              int64  `json:"id"`
		Version         int    `json:"version"`
		Party           string `json:"party"`
		Code            string `json:"code"`
		User            string `json:"user"`
		Role            string `json:"role"`
		At              string `json:"at"`
		ProviderCode    string `json:"provider_code"`
		DistrictCode    string `json:"district_code"`
		DepartmentCode  string `json:"department_code"`
		ResourceID      string `json:"resource_id"`
		ItemCode        string `json:"item_code"`
		Reason          string `json:"reason"`
		EvidenceName    string `json:"evidence_name,omitempty"`
		EvidenceSHA256  string `json:"evidence_sha256,omitempty"`
		EvidenceSize    int64  `json:"evidence_size,omitempty"`
		Status          string `json:"status"`
		ResolvedBy      string `json:"resolved_by,omitempty"`
		ResolvedRole    string `json:"resolved_role,omitempty"`
		ResolvedAt      string `json:"resolved_at,omitempty"`
		Resolution      string `json:"resolution,omitempty"`
		ClosedByVersion int    `json:"closed_by_version,omitempty"`
	}
	snapApproval struct {
		User   string `json:"user"`
		Role   string `json:"role"`
		At     string `json:"at"`
		SHA256 string `json:"sha256"`
	}
	snapIssuance struct {
		User           string `json:"user"`
		Role           string `json:"role"`
		At             string `json:"at"`
		WithoutSignoff string `json:"without_signoff,omitempty"`
	}
)

func snapInstant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// encodeSignoff is the stored form of r (nil for nil).
func encodeSignoff(r *SignoffRecords) *snapSignoff {
	if r == nil {
		return nil
	}
	s := &snapSignoff{Confirmations: []snapConfirmation{}, Objections: []snapObjection{}}
	if p := r.Publication; p != nil {
		s.Publication = &snapPublication{snapInstant(p.PublishedAt), p.User, p.Role, p.Deadline.String()}
	}
	for _, c := range r.Confirmations {
		s.Confirmations = append(s.Confirmations, snapConfirmation{string(c.Party), c.Code, string(c.Kind), c.User, c.Role, snapInstant(c.At), c.LinesSHA256, c.CarriedFrom})
	}
	for _, o := range r.Objections {
		s.Objections = append(s.Objections, snapObjection{o.ID, o.Version, string(o.Party), o.Code, o.User, o.Role, snapInstant(o.At),
			o.ProviderCode, o.DistrictCode, o.DepartmentCode, o.ResourceID, o.ItemCode, o.Reason, o.EvidenceName, o.EvidenceSHA256, o.EvidenceSize,
			string(o.Status), o.ResolvedBy, o.ResolvedRole, snapInstant(o.ResolvedAt), o.Resolution, o.ClosedByVersion})
	}
	if a := r.Approval; a != nil {
		s.Approval = &snapApproval{a.User, a.Role, snapInstant(a.At), a.SHA256}
	}
	if i := r.Issue; i != nil {
		s.Issue = &snapIssuance{i.User, i.Role, snapInstant(i.At), i.WithoutSignoff}
	}
	return s
}

func (p *snapParser) instant(field, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.fail(field, v, err)
	}
	return t
}

// signoff reads what encodeSignoff wrote (nil for nil). The year and
// version of the records are those of the snapshot's version, filled in
// by the caller when needed.
func (p *snapParser) signoff(s *snapSignoff) *SignoffRecords {
	if s == nil {
		return nil
	}
	r := &SignoffRecords{}
	if x := s.Publication; x != nil {
		r.Publication = &Publication{PublishedAt: p.instant("publication.at", x.At), User: x.User, Role: x.Role, Deadline: p.date("publication.deadline", x.Deadline)}
	}
	for _, x := range s.Confirmations {
		r.Confirmations = append(r.Confirmations, Confirmation{Party: SignoffParty(x.Party), Code: x.Code, Kind: ConfirmationKind(x.Kind), User: x.User, Role: x.Role,
			At: p.instant("confirmation.at", x.At), LinesSHA256: x.LinesSHA256, CarriedFrom: x.CarriedFrom})
	}
	for _, x := range s.Objections {
		r.Objections = append(r.Objections, Objection{ID: x.ID, Version: x.Version, Party: SignoffParty(x.Party), Code: x.Code, User: x.User, Role: x.Role,
			At: p.instant("objection.at", x.At), ProviderCode: x.ProviderCode, DistrictCode: x.DistrictCode, DepartmentCode: x.DepartmentCode,
			ResourceID: x.ResourceID, ItemCode: x.ItemCode, Reason: x.Reason, EvidenceName: x.EvidenceName, EvidenceSHA256: x.EvidenceSHA256,
			EvidenceSize: x.EvidenceSize, Status: ObjectionStatus(x.Status), ResolvedBy: x.ResolvedBy, ResolvedRole: x.ResolvedRole,
			ResolvedAt: p.instant("objection.resolved_at", x.ResolvedAt), Resolution: x.Resolution, ClosedByVersion: x.ClosedByVersion})
	}
	if x := s.Approval; x != nil {
		r.Approval = &Approval{User: x.User, Role: x.Role, At: p.instant("approval.at", x.At), SHA256: x.SHA256}
	}
	if x := s.Issue; x != nil {
		r.Issue = &Issuance{User: x.User, Role: x.Role, At: p.instant("issue.at", x.At), WithoutSignoff: x.WithoutSignoff}
	}
	return r
}

// setVersion names the year and version of every record of r (nil: none).
func (r *SignoffRecords) setVersion(year, version int) {
	if r == nil {
		return
	}
	if r.Publication != nil {
		r.Publication.Year, r.Publication.Version = year, version
	}
	for i := range r.Confirmations {
		r.Confirmations[i].Year, r.Confirmations[i].Version = year, version
	}
	for i := range r.Objections {
		r.Objections[i].Year = year
	}
	if r.Approval != nil {
		r.Approval.Year, r.Approval.Version = year, version
	}
}
