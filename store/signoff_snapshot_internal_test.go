package store

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"cloudbill/metering"
)

// The sign-off records survive the snapshot's JSON, field for field; a
// snapshot written before they existed reads as none.
func TestSignoffSnapshotRoundTrip(t *testing.T) {
	at := func(s string) time.Time {
		return time.Date(2025, 1, 7, 10, 0, 0, 0, time.UTC).Add(time.Duration(len(s)) * time.Minute)
	}
	recs := &SignoffRecords{
		Publication: &Publication{Year: 2024, Version: 2, PublishedAt: at("p"), User: "ops", Role: "office", Deadline: metering.MustDate("2025-01-20")},
		Confirmations: []Confirmation{
			{Year: 2024, Version: 2, Party: PartyProvider, Code: "ctc", Kind: ConfirmationCarried, User: "zhang", Role: "provider", At: at("c"), LinesSHA256: "ab", CarriedFrom: 1},
			{Year: 2024, Version: 2, Party: PartyDistrict, Code: "140221", Kind: ConfirmationLapsed, At: at("lapse"), LinesSHA256: "cd"},
		},
		Objections: []Objection{{ID: 7, Year: 2024, Version: 1, Party: PartyDistrict, Code: "140222", User: "tz", Role: "district", At: at("o"),
			ProviderCode: "ctc", DistrictCode: "140222", DepartmentCode: "D3", ResourceID: "R3", ItemCode: "VCPU", Reason: "停用",
			EvidenceName: "a.csv", EvidenceSHA256: "ef", EvidenceSize: 26, Status: ObjectionAccepted, ResolvedBy: "ops", ResolvedRole: "office",
			ResolvedAt: at("resolved"), Resolution: "更正", ClosedByVersion: 2}},
		Approval: &Approval{Year: 2024, Version: 2, User: "ops", Role: "office", At: at("approved"), SHA256: "12"},
		Issue:    &Issuance{User: "fin", Role: "finance", At: at("issued!"), WithoutSignoff: ""},
	}
	body, err := encodeSnapshot(Snapshot{AsOf: metering.MustDate("2024-12-31"), Signoff: recs})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSnapshot(body)
	if err != nil {
		t.Fatal(err)
	}
	got.Signoff.setVersion(2024, 2)
	if !reflect.DeepEqual(got.Signoff, recs) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got.Signoff, recs)
	}
	old, err := encodeSnapshot(Snapshot{AsOf: metering.MustDate("2024-12-31")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(old), "signoff") {
		t.Errorf("a snapshot without sign-off writes it: %s", old)
	}
	if s, err := decodeSnapshot(old); err != nil || s.Signoff != nil {
		t.Errorf("a snapshot without sign-off reads %+v, %v", s.Signoff, err)
	}
}
