package metering

import (
	"time"

	"github.com/shopspring/decimal"
)

// EventKind is one step of a resource's life (docs/rules.md §1).
type EventKind string

const (
	EventApplied        EventKind = "applied"
	EventApproved       EventKind = "approved"
	EventProvisioned    EventKind = "provisioned"
	EventConfirmed      EventKind = "confirmed"
	EventLive           EventKind = "live"
	EventChangeApproved EventKind = "change_approved"
	EventChanged        EventKind = "changed"
	EventExitApproved   EventKind = "exit_approved"
	EventReleased       EventKind = "released"
)

var eventCarriesItem = map[EventKind]bool{
	EventApplied: false, EventApproved: true, EventProvisioned: false,
	EventConfirmed: false, EventLive: false, EventChangeApproved: true,
	EventChanged: true, EventExitApproved: false, EventReleased: false,
}

// Known reports whether k is in the event vocabulary.
func (k EventKind) Known() bool { _, ok := eventCarriesItem[k]; return ok }

// CarriesItem reports whether the event must name an item and a quantity.
func (k EventKind) CarriesItem() bool { return eventCarriesItem[k] }

// Event is one lifecycle event. Day is At's date in Asia/Shanghai. ItemCode
// and Quantity are set only for approved, change_approved and changed.
type Event struct {
	ResourceID string          `db:"resource_id"`
	Kind       EventKind       `db:"event"`
	At         time.Time       `db:"at"`
	Day        Date            `db:"day"`
	ItemCode   string          `db:"item_code"`
	Quantity   decimal.Decimal `db:"quantity"`
	Ref        string          `db:"ref"`
}

// EventColumns are the columns of events.csv.
var EventColumns = []string{"resource_id", "event", "at", "item_code", "quantity", "ref"}

// ParseEvent reads one events.csv row.
func ParseEvent(r *Row) (Event, []Problem) {
	f := Fields{Row: r}
	e := Event{ResourceID: f.Code("resource_id", true), Kind: EventKind(f.Text("event", true)), At: f.Instant("at"), Ref: f.Text("ref", false)}
	if !e.At.IsZero() {
		e.Day = DateOf(e.At)
	}
	switch {
	case e.Kind == "":
	case !e.Kind.Known():
		f.Fail("event", "unknown event %q", e.Kind)
	case e.Kind.CarriesItem():
		e.ItemCode = f.Code("item_code", true)
		e.Quantity = f.Decimal("quantity", &Zero, nil)
	default:
		if f.Text("item_code", false) != "" {
			f.Fail("item_code", "event %s carries no item", e.Kind)
		}
		if f.Text("quantity", false) != "" {
			f.Fail("quantity", "event %s carries no quantity", e.Kind)
		}
	}
	return e, f.Problems
}
