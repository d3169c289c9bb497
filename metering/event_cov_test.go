package metering

import (
	"strings"
	"testing"
)

const covEventHeader = "resource_id,event,at,item_code,quantity,ref"

func TestCovEventVocabulary(t *testing.T) {
	for _, tc := range []struct {
		kind  EventKind
		known bool
		item  bool
	}{
		{EventApplied, true, false},
		{EventApproved, true, true},
		{EventProvisioned, true, false},
		{EventConfirmed, true, false},
		{EventLive, true, false},
		{EventChangeApproved, true, true},
		{EventChanged, true, true},
		{EventExitApproved, true, false},
		{EventReleased, true, false},
		{"deleted", false, false},
		{"", false, false},
		{"Approved", false, false}, // case matters
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			if tc.kind.Known() != tc.known || tc.kind.CarriesItem() != tc.item {
				t.Errorf("%q: known %v carries %v, want %v %v", tc.kind, tc.kind.Known(), tc.kind.CarriesItem(), tc.known, tc.item)
			}
		})
	}
	if len(EventColumns) != 6 || strings.Join(EventColumns, ",") != covEventHeader {
		t.Errorf("EventColumns %v", EventColumns)
	}
}

func TestCovParseEventEveryKind(t *testing.T) {
	for _, tc := range []struct {
		line     string
		kind     EventKind
		item     string
		quantity string
	}{
		{"vm-1,applied,2024-03-01T09:00:00+08:00,,,SQ-1", EventApplied, "", "0"},
		{"vm-1,approved,2024-03-02T09:00:00+08:00,VCPU,4,SP-1", EventApproved, "VCPU", "4"},
		{"vm-1,provisioned,2024-03-04T09:00:00+08:00,,,", EventProvisioned, "", "0"},
		{"vm-1,confirmed,2024-03-05T09:00:00+08:00,,,JF-1", EventConfirmed, "", "0"},
		{"vm-1,live,2024-03-20T09:00:00+08:00,,,", EventLive, "", "0"},
		{"vm-1,change_approved,2024-06-03T09:00:00+08:00,MEM,16.5,BG-1", EventChangeApproved, "MEM", "16.5"},
		{"vm-1,changed,2024-06-04T09:00:00+08:00,MEM,16.5,", EventChanged, "MEM", "16.5"},
		{"vm-1,exit_approved,2024-11-01T09:00:00+08:00,,,TC-1", EventExitApproved, "", "0"},
		{"vm-1,released,2024-11-04T09:00:00+08:00,,,", EventReleased, "", "0"},
		{"vm-1,approved,2024-03-02T09:00:00+08:00,SEC,0,", EventApproved, "SEC", "0"}, // zero is a quantity
	} {
		t.Run(string(tc.kind)+" "+tc.item, func(t *testing.T) {
			e, ps := ParseEvent(covRow(t, "events.csv", covEventHeader, tc.line))
			if len(ps) != 0 {
				t.Fatalf("problems: %v", Problems(ps))
			}
			if e.ResourceID != "vm-1" || e.Kind != tc.kind || e.ItemCode != tc.item || e.Quantity.String() != tc.quantity {
				t.Errorf("event %+v, want %s item %q quantity %s", e, tc.kind, tc.item, tc.quantity)
			}
			// every timestamp is 09:00 +08:00: its date is the date written
			if want := strings.Split(tc.line, ",")[2][:10]; e.Day.String() != want {
				t.Errorf("day %s, want %s", e.Day, want)
			}
		})
	}
}

func TestCovParseEventDayIsShanghai(t *testing.T) {
	// 2024-06-30T17:30:00Z = 2024-07-01 01:30 in Shanghai (docs/rules.md §1)
	e, ps := ParseEvent(covRow(t, "events.csv", covEventHeader, "r,confirmed,2024-06-30T17:30:00Z,,,"))
	if len(ps) != 0 || e.Day.String() != "2024-07-01" || e.At.UTC().Hour() != 17 {
		t.Errorf("day %s at %s, problems %v", e.Day, e.At, ps)
	}
	if e.Ref != "" {
		t.Errorf("ref %q, want empty", e.Ref)
	}
}

func TestCovParseEventProblems(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		problems   string
	}{
		{"unknown event", "r,deleted,2024-06-01T10:00:00+08:00,,,", `event: unknown event "deleted"`},
		{"empty event names only the empty column", "r,,2024-06-01T10:00:00+08:00,VCPU,4,", "event: empty"},
		{"approved without item and quantity", "r,approved,2024-06-01T10:00:00+08:00,,,", "item_code: empty\nquantity: empty"},
		{"changed without quantity", "r,changed,2024-06-01T10:00:00+08:00,VCPU,,", "quantity: empty"},
		{"change_approved with a negative quantity", "r,change_approved,2024-06-01T10:00:00+08:00,VCPU,-2,", "quantity: -2 is below 0"},
		{"approved with a non-number", "r,approved,2024-06-01T10:00:00+08:00,VCPU,four,", `quantity: "four" is not a decimal number`},
		{"released with an item", "r,released,2024-06-01T10:00:00+08:00,VCPU,,", "item_code: event released carries no item"},
		{"confirmed with a quantity", "r,confirmed,2024-06-01T10:00:00+08:00,,1,", "quantity: event confirmed carries no quantity"},
		{"live with both", "r,live,2024-06-01T10:00:00+08:00,VCPU,1,", "item_code: event live carries no item\nquantity: event live carries no quantity"},
		{"timestamp without offset", "r,applied,2024-06-01T10:00:00,,,", `at: "2024-06-01T10:00:00" is not an RFC 3339 timestamp with offset`},
		{"date instead of timestamp", "r,applied,2024-06-01,,,", `at: "2024-06-01" is not an RFC 3339 timestamp with offset`},
		{"empty timestamp", "r,applied,,,,", "at: empty"},
		{"empty resource", ",applied,2024-06-01T10:00:00+08:00,,,", "resource_id: empty"},
		{"every fault at once", ",approved,noon,,-1,", "resource_id: empty\nat: \"noon\" is not an RFC 3339 timestamp with offset\nitem_code: empty\nquantity: -1 is below 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ps := ParseEvent(covRow(t, "events.csv", covEventHeader, tc.line))
			if got := covProblems(t, ps); got != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", got, tc.problems)
			}
			for _, p := range ps {
				if p.File != "events.csv" || p.Line != 2 || p.Raw != tc.line {
					t.Errorf("problem %+v not located at events.csv:2 with the raw row", p)
				}
			}
			if e.At.IsZero() && e.Day != 0 {
				t.Errorf("no instant but day %s", e.Day)
			}
		})
	}
}

func TestCovParseEventFreeColumnOrder(t *testing.T) {
	r := covRow(t, "events.csv", "ref,quantity,item_code,at,event,resource_id", "SP-9,2,GPU,2024-01-02T08:00:00+08:00,approved,gpu-1")
	e, ps := ParseEvent(r)
	if len(ps) != 0 || e.ResourceID != "gpu-1" || e.ItemCode != "GPU" || e.Quantity.String() != "2" || e.Ref != "SP-9" || e.Day.String() != "2024-01-02" {
		t.Errorf("event %+v, problems %v", e, ps)
	}
}
