package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// Snapshot is what the documents of an issued version print besides the
// version's own rows, frozen when it is issued (IssueStatement stores it in
// the transaction that issues the version): the names of the inventory
// and of the catalogue items, the holiday calendar and the policy the SLA
// obligations were judged with, and the year's obligations, findings and
// scores as they stood. Renaming a department or loading a holiday, an
// event or a score afterwards changes the live tables, never a snapshot.
type Snapshot struct {
	AsOf        metering.Date // the date the obligations were judged as of
	Policy      string        // the evaluation policy in force, as text
	Inventory   metering.Inventory
	Catalogue   []billing.PriceVersion
	Calendar    []evaluation.CalendarDay
	Obligations []evaluation.Obligation // those the year's documents list
	Findings    []evaluation.Finding    // those whose run overlaps the year
	Scores      []evaluation.Score      // the year's raw scores
	// Events are the lifecycle events the bills print billing windows and
	// approvals from (confirmation letters, releases).
	Events []metering.Event
	// Signoff are the version's sign-off records as they stood when it
	// was issued, with who issued it (nil in a version issued before
	// cloudbill kept them, docs/signoff.md).
	Signoff *SignoffRecords
}

// StatementSnapshot returns the snapshot of an issued version, checked
// against the SHA-256 its header was issued with. ok is false for a draft
// and for a version issued before cloudbill kept snapshots (migration
// 0016): their documents print the live tables. A snapshot that is
// missing, or does not hash to its header's value, is an error wrapping
// ErrTampered.
func (db *DB) StatementSnapshot(ctx context.Context, year, version int) (snap Snapshot, ok bool, err error) {
	var row struct {
		Status string         `db:"status"`
		SHA    sql.NullString `db:"snapshot_sha256"`
		Body   sql.NullString `db:"body"`
	}
	err = db.pool.GetContext(ctx, &row, db.pool.Rebind(`SELECT s.status, s.snapshot_sha256, p.body
FROM statements s LEFT JOIN statement_snapshots p ON p.year = s.year AND p.version = s.version
WHERE s.year = ? AND s.version = ?`), year, version)
	if errors.Is(err, sql.ErrNoRows) {
		return snap, false, fmt.Errorf("%d version %d: %w", year, version, ErrNoStatement)
	}
	if err != nil {
		return snap, false, fmt.Errorf("read the snapshot of statement %d version %d: %w", year, version, err)
	}
	switch {
	case row.Status != string(billing.StatementStatusIssued):
		return snap, false, nil
	case !row.SHA.Valid && !row.Body.Valid:
		return snap, false, nil // issued before migration 0016
	case !row.SHA.Valid:
		return snap, false, fmt.Errorf("statement %d version %d: it was issued without a snapshot but has one: %w", year, version, ErrTampered)
	case !row.Body.Valid:
		return snap, false, fmt.Errorf("statement %d version %d: it was issued with snapshot %s, which is gone: %w", year, version, row.SHA.String, ErrTampered)
	}
	if sum := sha256Hex([]byte(row.Body.String)); sum != row.SHA.String {
		return snap, false, fmt.Errorf("statement %d version %d: its snapshot hashes to %s but it was issued with %s: %w", year, version, sum, row.SHA.String, ErrTampered)
	}
	snap, err = decodeSnapshot([]byte(row.Body.String))
	if err != nil {
		return snap, false, fmt.Errorf("statement %d version %d: %w", year, version, err)
	}
	snap.Signoff.setVersion(year, version)
	return snap, true, nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// snapshotFormat numbers the JSON layout below; a later layout gets a new
// number and decodeSnapshot keeps reading this one.
const snapshotFormat = 1

// The stored form of a Snapshot: every field named in JSON, decimals as
// their text with their scale ("0.10" stays "0.10": the documents print a
// price with its own decimals), dates as YYYY-MM-DD. Renaming a Go field
// must never change what an issued version prints.
type (
	snapshotDoc struct {
		Format      int              `json:"format"`
		AsOf        string           `json:"as_of"`
		Policy      string           `json:"policy"`
		Districts   []snapDistrict   `json:"districts"`
		Departments []snapDepartment `json:"departments"`
		Providers   []snapProvider   `json:"providers"`
		Systems     []snapSystem     `json:"systems"`
		Resources   []snapResource   `json:"resources"`
		Catalogue   []snapPrice      `json:"catalogue"`
		Calendar    []snapDay        `json:"calendar"`
		Obligations []snapObligation `json:"obligations"`
		Findings    []snapFinding    `json:"findings"`
		Scores      []snapScore      `json:"scores"`
		Events      []snapEvent      `json:"events,omitempty"`
		Signoff     *snapSignoff     `json:"signoff,omitempty"`
	}
	snapEvent struct {
		ResourceID string `json:"resource_id"`
		Kind       string `json:"event"`
		At         string `json:"at"`
		Day        string `json:"day"`
		ItemCode   string `json:"item_code,omitempty"`
		Quantity   string `json:"quantity,omitempty"`
		Ref        string `json:"ref,omitempty"`
	}
	snapDistrict struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	snapDepartment struct {
		Code         string `json:"code"`
		Name         string `json:"name"`
		DistrictCode string `json:"district_code"`
	}
	snapProvider struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	snapSystem struct {
		ID              string `json:"id"`
		DepartmentCode  string `json:"department_code"`
		Name            string `json:"name"`
		ProtectionLevel string `json:"protection_level"`
	}
	snapResource struct {
		ID           string `json:"id"`
		SystemID     string `json:"system_id"`
		ProviderCode string `json:"provider_code"`
		Kind         string `json:"kind"`
		Name         string `json:"name"`
	}
	snapPrice struct {
		ItemCode      string `json:"item_code"`
		Category      string `json:"category"`
		Name          string `json:"name"`
		Unit          string `json:"unit"`
		Cycle         string `json:"cycle"`
		Price         string `json:"price"`
		EffectiveFrom string `json:"effective_from"`
		EffectiveTo   string `json:"effective_to"` // "" when open-ended
		ApprovalRef   string `json:"approval_ref"`
	}
	snapDay struct {
		Day  string `json:"day"`
		Kind string `json:"kind"`
		Name string `json:"name"`
	}
	snapObligation struct {
		ProviderCode    string `json:"provider_code"`
		ResourceID      string `json:"resource_id"`
		Kind            string `json:"kind"`
		Started         string `json:"started"`
		Due             string `json:"due"`
		Done            string `json:"done"` // "" when not done
		Status          string `json:"status"`
		LateWorkingDays int    `json:"late_working_days"`
	}
	snapFinding struct {
		Kind           string `json:"kind"`
		DistrictCode   string `json:"district_code"`
		DepartmentCode string `json:"department_code"`
		SystemID       string `json:"system_id"`
		ResourceID     string `json:"resource_id"`
		ItemCode       string `json:"item_code"`
		FirstDay       string `json:"first_day"`
		LastDay        string `json:"last_day"`
		Days           int    `json:"days"`
		Amount         string `json:"amount"`
		Action         string `json:"action"`
	}
	snapScore struct {
		ProviderCode string `json:"provider_code"`
		Period       string `json:"period"`
		Dimension    string `json:"dimension"`
		Evaluator    string `json:"evaluator"`
		Score        string `json:"score"`
	}
)

// encodeSnapshot is the stored JSON of s.
func encodeSnapshot(s Snapshot) ([]byte, error) {
	doc := snapshotDoc{Format: snapshotFormat, AsOf: s.AsOf.String(), Policy: s.Policy}
	for _, x := range s.Inventory.Districts {
		doc.Districts = append(doc.Districts, snapDistrict{x.Code, x.Name})
	}
	for _, x := range s.Inventory.Departments {
		doc.Departments = append(doc.Departments, snapDepartment{x.Code, x.Name, x.DistrictCode})
	}
	for _, x := range s.Inventory.Providers {
		doc.Providers = append(doc.Providers, snapProvider{x.Code, x.Name})
	}
	for _, x := range s.Inventory.Systems {
		doc.Systems = append(doc.Systems, snapSystem{x.ID, x.DepartmentCode, x.Name, x.ProtectionLevel})
	}
	for _, x := range s.Inventory.Resources {
		doc.Resources = append(doc.Resources, snapResource{x.ID, x.SystemID, x.ProviderCode, string(x.Kind), x.Name})
	}
	for _, x := range s.Catalogue {
		doc.Catalogue = append(doc.Catalogue, snapPrice{x.ItemCode, x.Category, x.Name, x.Unit, string(x.Cycle), Dec(x.Price),
			x.EffectiveFrom.String(), x.EffectiveTo.String(), x.ApprovalRef})
	}
	for _, x := range s.Calendar {
		doc.Calendar = append(doc.Calendar, snapDay{x.Day.String(), string(x.Kind), x.Name})
	}
	for _, x := range s.Obligations {
		doc.Obligations = append(doc.Obligations, snapObligation{x.ProviderCode, x.ResourceID, string(x.Kind), x.Started.String(), x.Due.String(),
			x.Done.String(), string(x.Status), x.LateWorkingDays})
	}
	for _, x := range s.Findings {
		doc.Findings = append(doc.Findings, snapFinding{string(x.Kind), x.DistrictCode, x.DepartmentCode, x.SystemID, x.ResourceID, x.ItemCode,
			x.FirstDay.String(), x.LastDay.String(), x.Days, Dec(x.Amount), string(x.Action)})
	}
	for _, x := range s.Events {
		q := ""
		if x.Kind.CarriesItem() {
			q = Dec(x.Quantity)
		}
		doc.Events = append(doc.Events, snapEvent{x.ResourceID, string(x.Kind), x.At.UTC().Format(time.RFC3339Nano), x.Day.String(), x.ItemCode, q, x.Ref})
	}
	for _, x := range s.Scores {
		doc.Scores = append(doc.Scores, snapScore{x.ProviderCode, x.Period, string(x.Dimension), string(x.Evaluator), Dec(x.Score)})
	}
	doc.Signoff = encodeSignoff(s.Signoff)
	return json.Marshal(doc)
}

// decodeSnapshot reads what encodeSnapshot wrote.
func decodeSnapshot(b []byte) (Snapshot, error) {
	var doc snapshotDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	if doc.Format != snapshotFormat {
		return Snapshot{}, fmt.Errorf("snapshot: format %d is not one this cloudbill reads (%d)", doc.Format, snapshotFormat)
	}
	var p snapParser
	s := Snapshot{AsOf: p.date("as_of", doc.AsOf), Policy: doc.Policy}
	for _, x := range doc.Districts {
		s.Inventory.Districts = append(s.Inventory.Districts, metering.District{Code: x.Code, Name: x.Name})
	}
	for _, x := range doc.Departments {
		s.Inventory.Departments = append(s.Inventory.Departments, metering.Department{Code: x.Code, Name: x.Name, DistrictCode: x.DistrictCode})
	}
	for _, x := range doc.Providers {
		s.Inventory.Providers = append(s.Inventory.Providers, metering.Provider{Code: x.Code, Name: x.Name})
	}
	for _, x := range doc.Systems {
		s.Inventory.Systems = append(s.Inventory.Systems, metering.System{ID: x.ID, DepartmentCode: x.DepartmentCode, Name: x.Name, ProtectionLevel: x.ProtectionLevel})
	}
	for _, x := range doc.Resources {
		s.Inventory.Resources = append(s.Inventory.Resources, metering.Resource{ID: x.ID, SystemID: x.SystemID, ProviderCode: x.ProviderCode, Kind: metering.Kind(x.Kind), Name: x.Name})
	}
	for _, x := range doc.Catalogue {
		s.Catalogue = append(s.Catalogue, billing.PriceVersion{ItemCode: x.ItemCode, Category: x.Category, Name: x.Name, Unit: x.Unit,
			Cycle: billing.Cycle(x.Cycle), Price: p.decimal("price", x.Price), EffectiveFrom: p.date("effective_from", x.EffectiveFrom),
			EffectiveTo: p.nullDate("effective_to", x.EffectiveTo), ApprovalRef: x.ApprovalRef})
	}
	for _, x := range doc.Calendar {
		s.Calendar = append(s.Calendar, evaluation.CalendarDay{Day: p.date("day", x.Day), Kind: evaluation.DayKind(x.Kind), Name: x.Name})
	}
	for _, x := range doc.Obligations {
		s.Obligations = append(s.Obligations, evaluation.Obligation{ProviderCode: x.ProviderCode, ResourceID: x.ResourceID,
			Kind: evaluation.ObligationKind(x.Kind), Started: p.date("started", x.Started), Due: p.date("due", x.Due),
			Done: p.nullDate("done", x.Done), Status: evaluation.ObligationStatus(x.Status), LateWorkingDays: x.LateWorkingDays})
	}
	for _, x := range doc.Findings {
		s.Findings = append(s.Findings, evaluation.Finding{Kind: evaluation.FindingKind(x.Kind), DistrictCode: x.DistrictCode,
			DepartmentCode: x.DepartmentCode, SystemID: x.SystemID, ResourceID: x.ResourceID, ItemCode: x.ItemCode,
			FirstDay: p.date("first_day", x.FirstDay), LastDay: p.date("last_day", x.LastDay), Days: x.Days,
			Amount: p.decimal("amount", x.Amount), Action: evaluation.Action(x.Action)})
	}
	for _, x := range doc.Scores {
		s.Scores = append(s.Scores, evaluation.Score{ProviderCode: x.ProviderCode, Period: x.Period, Dimension: evaluation.Dimension(x.Dimension),
			Evaluator: evaluation.Evaluator(x.Evaluator), Score: p.decimal("score", x.Score)})
	}
	for _, x := range doc.Events {
		at, err := time.Parse(time.RFC3339Nano, x.At)
		if err != nil {
			p.fail("at", x.At, err)
		}
		e := metering.Event{ResourceID: x.ResourceID, Kind: metering.EventKind(x.Kind), At: at, Day: p.date("day", x.Day), ItemCode: x.ItemCode, Ref: x.Ref}
		if x.Quantity != "" {
			e.Quantity = p.decimal("quantity", x.Quantity)
		}
		s.Events = append(s.Events, e)
	}
	s.Signoff = p.signoff(doc.Signoff)
	if p.err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", p.err)
	}
	return s, nil
}

// snapParser parses the text fields of a snapshot, keeping the first error.
type snapParser struct{ err error }

func (p *snapParser) fail(field, v string, err error) {
	if p.err == nil {
		p.err = fmt.Errorf("%s %q: %w", field, v, err)
	}
}

func (p *snapParser) date(field, v string) metering.Date {
	d, err := metering.ParseDate(v)
	if err != nil {
		p.fail(field, v, err)
	}
	return d
}

func (p *snapParser) nullDate(field, v string) metering.NullDate {
	if v == "" {
		return metering.NullDate{}
	}
	return metering.NullDate{Date: p.date(field, v), Valid: true}
}

func (p *snapParser) decimal(field, v string) decimal.Decimal {
	d, err := decimal.NewFromString(v)
	if err != nil {
		p.fail(field, v, err)
	}
	return d
}
