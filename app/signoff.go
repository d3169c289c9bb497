package app

// The sign-off of a draft version (docs/signoff.md): the office publishes
// it for review, each provider and each district office confirms its
// lines or objects to some of them, the office resolves the objections
// and approves the version, the finance bureau issues it. The rules of who
// may do what are here, so that the command line and the portal share
// them.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

// Actor is who acts: a portal account's name, role and scope code, and
// the address it acts from. The zero Actor (Role "") is the operator on
// the command line without --as: it may read everything and issue, and
// do nothing else of the sign-off.
type Actor struct {
	User, Role                     string
	District, Department, Provider string
	RemoteAddr                     string
}

// ActorOf is the actor of a signed-in account.
func ActorOf(u store.User, remote string) Actor {
	return Actor{User: u.Name, Role: u.Role, District: u.DistrictCode, Department: u.DepartmentCode, Provider: u.ProviderCode, RemoteAddr: remote}
}

// ActorByName is the actor of the account name (cloudbill … --as NAME):
// an error when there is none or it is disabled; "" is the operator (the
// zero Actor).
func (a *App) ActorByName(ctx context.Context, name string) (Actor, error) {
	if name == "" {
		return Actor{}, nil
	}
	if err := validateUserName(name); err != nil {
		return Actor{}, &InputError{Field: "as", Reason: err.(*InputError).Reason}
	}
	u, err := a.DB.User(ctx, name)
	if err != nil {
		return Actor{}, err
	}
	if u.Disabled() {
		return Actor{}, fmt.Errorf("user %s is disabled", name)
	}
	return ActorOf(u, ""), nil
}

func (ac Actor) role() Role { return Role(ac.Role) }

// name is how the actor is named in messages.
func (ac Actor) name() string {
	if ac.Role == "" {
		return "the operator"
	}
	return fmt.Sprintf("%s (%s)", ac.User, ac.Role)
}

// CountLapsed counts, in the nightly job's result, the districts it
// recorded as confirmed by lapse.
const CountLapsed = "lapsed"

// ErrRefused is wrapped by the error of an action outside the actor's
// role or scope.
var ErrRefused = errors.New("not allowed")

// ErrNotApproved is wrapped by the error of issuing a version that was
// not approved.
var ErrNotApproved = errors.New("not approved")

// ErrState is wrapped by the error of an action the sign-off's state does
// not allow now (a *StateError): on a version that is not the year's
// latest, a second objection to a line whose objection is open, an
// approval of a version that is not approvable. The store's sentinels
// (store.ErrPublished, ErrNotPublished, ErrConfirmed, ErrApproved,
// ErrResolved, ErrIssued) name the other states that say no.
var ErrState = errors.New("the sign-off's state does not allow it")

// ErrWindowClosed is wrapped, with ErrRefused, by the refusal of a
// district's confirmation or objection after the window closed.
var ErrWindowClosed = errors.New("the objection window closed")

// ErrObjectionOpen is wrapped, with ErrRefused, by the refusal of a
// confirmation by a party whose objection to the version is open.
var ErrObjectionOpen = errors.New("an objection is open")

// StateError is an action the sign-off's state does not allow now; it
// wraps ErrState. Gaps say why, one each (for Approve, what is missing:
// SignoffView.Gaps), so that a caller can word them in its own language;
// Error is the English the command line prints.
type StateError struct {
	Op   string // publish, confirm, object, approve
	Text string
	Gaps []Gap
}

func (e *StateError) Error() string { return e.Text }

// Is reports whether target is ErrState.
func (e *StateError) Is(target error) bool { return target == ErrState }

// tagged is err that wraps tags too (its text unchanged).
type tagged struct {
	error
	tags []error
}

func (e tagged) Unwrap() error { return e.error }

func (e tagged) Is(target error) bool {
	for _, t := range e.tags {
		if t == target {
			return true
		}
	}
	return false
}

func refuse(ac Actor, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", ac.name(), fmt.Sprintf(format, args...), ErrRefused)
}

// party is the sign-off party an actor speaks for: a provider or a
// district office; ok is false for the other roles.
func (ac Actor) party() (store.SignoffParty, string, bool) {
	switch ac.role() {
	case RoleProvider:
		return store.PartyProvider, ac.Provider, ac.Provider != ""
	case RoleDistrict:
		return store.PartyDistrict, ac.District, ac.District != ""
	}
	return "", "", false
}

// validateActor checks that an action has an account behind it.
func validateActor(ac Actor) error {
	if ac.User == "" || ac.Role == "" {
		return &InputError{Field: "as", Reason: "the acting account is required (--as USER)"}
	}
	return nil
}

func validateVersion(year, version int) error {
	if err := ValidateYear(year); err != nil {
		return err
	}
	if version < 0 {
		return &InputError{Field: "version", Reason: fmt.Sprintf("%d is not a version number", version)}
	}
	return nil
}

func validateText(field, v string, required bool, maxRunes int) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return &InputError{Field: field, Reason: "is required"}
	case !utf8.ValidString(v):
		return &InputError{Field: field, Reason: "is not UTF-8"}
	case utf8.RuneCountInString(v) > maxRunes:
		return &InputError{Field: field, Reason: fmt.Sprintf("is longer than %d characters", maxRunes)}
	}
	return nil
}

// PublishInput publishes version Version (0: the latest) of Year for
// review; the office's act.
type PublishInput struct {
	Actor         Actor
	Year, Version int
}

// Validate checks the actor, the year and the version.
func (in PublishInput) Validate() error {
	if err := validateActor(in.Actor); err != nil {
		return err
	}
	return validateVersion(in.Year, in.Version)
}

// ConfirmInput confirms the actor's lines of version Version (0: the
// latest) of Year: a provider's lines, or a district office's.
type ConfirmInput struct {
	Actor         Actor
	Year, Version int
}

// Validate checks the actor, the year and the version.
func (in ConfirmInput) Validate() error {
	if err := validateActor(in.Actor); err != nil {
		return err
	}
	return validateVersion(in.Year, in.Version)
}

// ObjectInput objects to one line (ResourceID, ItemCode) of version
// Version (0: the latest) of Year, with a reason and optional evidence
// (read up to store.MaxEvidenceBytes; EvidenceName names the file).
type ObjectInput struct {
	Actor                Actor
	Year, Version        int
	ResourceID, ItemCode string
	Reason               string
	Evidence             io.Reader
	EvidenceName         string
}

// Validate checks the actor, the line, the reason and the evidence's name.
func (in ObjectInput) Validate() error {
	if err := validateActor(in.Actor); err != nil {
		return err
	}
	if err := validateVersion(in.Year, in.Version); err != nil {
		return err
	}
	if in.ResourceID == "" || in.ItemCode == "" {
		return &InputError{Field: "line", Reason: "the line is named by its resource and item (RESOURCE/ITEM)"}
	}
	if err := validateText("reason", in.Reason, true, 2000); err != nil {
		return err
	}
	if in.Evidence != nil {
		if err := validateText("evidence", in.EvidenceName, true, 200); err != nil {
			return err
		}
		if strings.ContainsAny(in.EvidenceName, "/\\\x00") {
			return &InputError{Field: "evidence", Reason: fmt.Sprintf("%q: a file name, without a folder", in.EvidenceName)}
		}
	}
	return nil
}

// ResolveInput is the office's decision on objection ID: Outcome
// accepted (the input will be corrected and the year settled again) or
// rejected, with Reason (required for a rejection).
type ResolveInput struct {
	Actor   Actor
	ID      int64
	Outcome store.ObjectionStatus
	Reason  string
}

// Validate checks the actor, the objection, the outcome and the reason.
func (in ResolveInput) Validate() error {
	if err := validateActor(in.Actor); err != nil {
		return err
	}
	if in.ID <= 0 {
		return &InputError{Field: "objection", Reason: "an objection number is required"}
	}
	if in.Outcome != store.ObjectionAccepted && in.Outcome != store.ObjectionRejected {
		return &InputError{Field: "outcome", Reason: fmt.Sprintf("%q: accepted or rejected", in.Outcome)}
	}
	return validateText("reason", in.Reason, in.Outcome == store.ObjectionRejected, 2000)
}

// ApproveInput approves version Version (0: the latest) of Year; the
// office's act.
type ApproveInput struct {
	Actor         Actor
	Year, Version int
}

// Validate checks the actor, the year and the version.
func (in ApproveInput) Validate() error {
	if err := validateActor(in.Actor); err != nil {
		return err
	}
	return validateVersion(in.Year, in.Version)
}

// SignoffInput names the version (0: the latest) whose sign-off is read,
// and who reads it (the objections listed are those of its scope).
type SignoffInput struct {
	Actor         Actor
	Year, Version int
}

// Validate checks the year and the version.
func (in SignoffInput) Validate() error { return validateVersion(in.Year, in.Version) }

// PartyStateKind is where a party of the sign-off stands.
type PartyStateKind string

const (
	PartyConfirmed PartyStateKind = "confirmed" // confirmed (or carried over)
	PartyLapsed    PartyStateKind = "lapsed"    // a district, confirmed by lapse of the window
	PartyObjected  PartyStateKind = "objected"  // has an objection open to some of its lines and has not confirmed
	PartyPending   PartyStateKind = "pending"   // has not answered
)

// Label is the state's name in the portal and the documents.
func (k PartyStateKind) Label() string {
	switch k {
	case PartyConfirmed:
		return "已确认"
	case PartyLapsed:
		return "逾期视为确认"
	case PartyObjected:
		return "有异议"
	}
	return "待确认"
}

// PartyState is one provider's or district's sign-off of a version: its
// state, who confirmed and when (a carried confirmation: on version
// CarriedFrom), and its objections to this version (Open of them open).
type PartyState struct {
	Party       store.SignoffParty
	Code        string
	State       PartyStateKind
	User, Role  string
	At          time.Time
	CarriedFrom int
	LinesSHA256 string // the fingerprint of its lines in this version
	Objections  int
	Open        int
}

// SignoffView is the sign-off of one version as the actor may see it.
type SignoffView struct {
	Year, Version int
	Status        billing.StatementStatus
	SHA256        string
	// Latest is whether this is the year's latest version (only the latest
	// draft can be signed off).
	Latest      bool
	Publication *store.Publication // nil: not published for review
	Deadline    metering.Date      // the last day of the window (Asia/Shanghai)
	WindowOpen  bool               // today is on or before Deadline
	Providers   []PartyState
	Districts   []PartyState
	// Objections are the year's objections up to this version within the
	// actor's scope, oldest first.
	Objections []store.Objection
	Approval   *store.Approval
	Issue      *store.Issuance // an issued version: who issued it, and the reason of an issue without sign-off
	// Approvable says whether the office may approve the version now;
	// Gaps say why not, one reason each, and Missing is their English
	// (Gap.String: what the command line prints).
	Approvable bool
	Gaps       []Gap
	Missing    []string
	// Own is the actor's own party (a provider or a district office with
	// lines in the version; nil otherwise), and May what the actor may do
	// now: the steps the portal offers (the use cases check again).
	Own *PartyState
	May SignoffSteps
}

// GapKind is the kind of a reason why a version is not approvable.
type GapKind string

const (
	GapStatus        GapKind = "status"         // the version is not a draft (Status)
	GapNotLatest     GapKind = "not-latest"     // the version is not the year's latest
	GapNotPublished  GapKind = "not-published"  // the version is not published for review
	GapApproved      GapKind = "approved"       // the version is approved already
	GapUnconfirmed   GapKind = "unconfirmed"    // a party (Party, Code) has not confirmed (State; a district: its window until Deadline)
	GapObjectionOpen GapKind = "objection-open" // objection Objection to line ResourceID/ItemCode of version Version is open
	GapCorrection    GapKind = "correction"     // objection Objection was accepted: its correction is not in version Version
)

// Gap is one reason why a version is not approvable (or why an action's
// state does not allow it: StateError): its kind and what it names.
type Gap struct {
	Kind GapKind
	// Version is the version the gap is of: the version itself, or for
	// GapObjectionOpen the objection's version.
	Version int
	Status  billing.StatementStatus // GapStatus
	// Party, Code and State are the party that has not confirmed
	// (GapUnconfirmed); Deadline the last day of a district's window, when
	// the version is published.
	Party    store.SignoffParty
	Code     string
	State    PartyStateKind
	Deadline metering.Date
	// Objection, ResourceID and ItemCode are the objection and its line
	// (GapObjectionOpen, GapCorrection).
	Objection            int64
	ResourceID, ItemCode string
}

// String is the gap in English, as the command line prints it.
func (g Gap) String() string {
	switch g.Kind {
	case GapStatus:
		return fmt.Sprintf("version %d is %s", g.Version, g.Status)
	case GapNotLatest:
		return fmt.Sprintf("version %d is not the latest version", g.Version)
	case GapNotPublished:
		return fmt.Sprintf("version %d is not published for review (cloudbill signoff publish)", g.Version)
	case GapApproved:
		return fmt.Sprintf("version %d is approved already", g.Version)
	case GapUnconfirmed:
		until := ""
		if g.Party == store.PartyDistrict && g.Deadline != 0 {
			until = fmt.Sprintf(", window until %s", g.Deadline)
		}
		return fmt.Sprintf("%s %s has not confirmed (%s%s)", g.Party, g.Code, g.State, until)
	case GapObjectionOpen:
		return fmt.Sprintf("objection %d (%s/%s, version %d) is open", g.Objection, g.ResourceID, g.ItemCode, g.Version)
	case GapCorrection:
		return fmt.Sprintf("objection %d (%s/%s) was accepted: its correction is not in version %d (correct the input and settle again)", g.Objection, g.ResourceID, g.ItemCode, g.Version)
	}
	return string(g.Kind)
}

// SignoffSteps are the sign-off steps an actor may take on a version now.
type SignoffSteps struct {
	Publish, Confirm, Object, Resolve, Approve bool
}

// ObjectionFilter selects the objections an actor sees: of Year (0: every
// year), of Version (0: every version), with Status ("" any).
type ObjectionFilter struct {
	Actor         Actor
	Year, Version int
	Status        store.ObjectionStatus
}

// EvidenceInput names the objection whose evidence the actor reads.
type EvidenceInput struct {
	Actor Actor
	ID    int64
}

// EvidenceFile is an objection's evidence.
type EvidenceFile struct {
	Name   string
	SHA256 string
	Size   int64
	Body   []byte
}

// signoffVersion reads version (0: the latest) of year and says whether
// it is the latest.
func (a *App) signoffVersion(ctx context.Context, year, version int) (*billing.Statement, bool, error) {
	vs, err := a.DB.StatementVersions(ctx, year)
	if err != nil {
		return nil, false, err
	}
	if len(vs) == 0 {
		return nil, false, fmt.Errorf("%d: %w (run cloudbill settle --year %d)", year, store.ErrNoStatement, year)
	}
	if version == 0 {
		version = vs[0]
	}
	st, err := a.DB.Statement(ctx, year, version)
	if err != nil {
		return nil, false, err
	}
	return st, version == vs[0], nil
}

// openDraft reads the version an action is on and checks that it can
// still be signed off: the year's latest version, a draft.
func (a *App) openDraft(ctx context.Context, year, version int) (*billing.Statement, error) {
	st, latest, err := a.signoffVersion(ctx, year, version)
	if err != nil {
		return nil, err
	}
	if st.Status != billing.StatementStatusDraft {
		return nil, fmt.Errorf("%d version %d: %w", year, st.Version, store.ErrIssued)
	}
	if !latest {
		return nil, &StateError{Text: fmt.Sprintf("%d version %d is not the latest version: sign off the latest", year, st.Version),
			Gaps: []Gap{{Kind: GapNotLatest, Version: st.Version}}}
	}
	return st, nil
}

func (a *App) audit(ctx context.Context, ac Actor, action store.AuditAction, year int, subject, detail string) error {
	// The zero Actor is the operator: record names it from ctx.
	return a.record(ctx, store.AuditEntry{At: a.now().UTC(), User: ac.User, Role: ac.Role, Action: action, Year: year, Subject: subject, Detail: detail, RemoteAddr: ac.RemoteAddr})
}

func versionSubject(v int) string { return fmt.Sprintf("v%d", v) }

// signoffDeadline is the last day of the window of a draft published at
// t: objection.working_days working days after its date (docs/signoff.md).
func (a *App) signoffDeadline(ctx context.Context, t time.Time) (metering.Date, error) {
	p, _, err := a.Policy()
	if err != nil {
		return 0, err
	}
	days, err := a.DB.CalendarDays(ctx)
	if err != nil {
		return 0, err
	}
	d, err := evaluation.NewCalendar(days).AddWorkdays(metering.DateOf(t), p.ObjectionWorkdays)
	if err != nil {
		return 0, fmt.Errorf("the objection window (%d working days, objection.working_days): %w", p.ObjectionWorkdays, err)
	}
	return d, nil
}

// Publish opens the latest draft for review: it starts the objection
// window, and carries over the confirmations of the previous version
// whose party's lines did not change.
func (a *App) Publish(ctx context.Context, in PublishInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Actor.role() != RoleOffice {
		return refuse(in.Actor, "only 市政府信息化中心 (role office) publishes a draft for review")
	}
	st, err := a.openDraft(ctx, in.Year, in.Version)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	now := a.now().UTC().Truncate(time.Second)
	deadline, err := a.signoffDeadline(ctx, now)
	if err != nil {
		return fmt.Errorf("publish %d version %d: %w", in.Year, st.Version, err)
	}
	carried, err := a.carriedConfirmations(ctx, st)
	if err != nil {
		return fmt.Errorf("publish %d version %d: %w", in.Year, st.Version, err)
	}
	p := store.Publication{Year: in.Year, Version: st.Version, PublishedAt: now, User: in.Actor.User, Role: in.Actor.Role, Deadline: deadline}
	if err := a.DB.PublishSignoff(ctx, p, carried); err != nil {
		return err
	}
	if err := a.audit(ctx, in.Actor, store.AuditActionPublish, in.Year, versionSubject(st.Version), "window until "+deadline.String()); err != nil {
		return err
	}
	for _, c := range carried {
		if err := a.audit(ctx, Actor{User: c.User, Role: c.Role}, store.AuditActionConfirm, in.Year, versionSubject(st.Version),
			fmt.Sprintf("%s %s: carried over from version %d (its lines did not change)", c.Party, c.Code, c.CarriedFrom)); err != nil {
			return err
		}
	}
	a.Log.Info("published for review", "year", in.Year, "version", st.Version, "deadline", deadline.String(), "carried", len(carried))
	return nil
}

// carriedConfirmations are the confirmations of the latest version
// before st that was published (explicit or carried, never a lapse) whose
// party's lines are the same in st.
func (a *App) carriedConfirmations(ctx context.Context, st *billing.Statement) ([]store.Confirmation, error) {
	var prev store.SignoffRecords
	for v := st.Version - 1; v >= 1 && prev.Publication == nil; v-- {
		var err error
		if prev, err = a.DB.SignoffRecords(ctx, st.Year, v); err != nil {
			return nil, err
		}
	}
	var out []store.Confirmation
	for _, c := range prev.Confirmations {
		if c.Kind == store.ConfirmationLapsed || PartyLinesSHA256(st, c.Party, c.Code) != c.LinesSHA256 {
			continue
		}
		from := c.Version
		if c.Kind == store.ConfirmationCarried {
			from = c.CarriedFrom
		}
		out = append(out, store.Confirmation{Year: st.Year, Version: st.Version, Party: c.Party, Code: c.Code, Kind: store.ConfirmationCarried,
			User: c.User, Role: c.Role, At: c.At, LinesSHA256: c.LinesSHA256, CarriedFrom: from})
	}
	return out, nil
}

// PartyLinesSHA256 is the fingerprint of a party's lines in st: the
// canonical CSV of its lines (billing.WriteSettlementCSV), then its
// department rows (gross, coefficient, net) and, for a provider, its
// coefficient; for a district, its district row. The same fingerprint on
// two versions means the party would confirm the same amounts.
func PartyLinesSHA256(st *billing.Statement, party store.SignoffParty, code string) string {
	var lines []billing.Line
	for _, l := range st.Lines {
		if (party == store.PartyProvider && l.ProviderCode == code) || (party == store.PartyDistrict && l.DistrictCode == code) {
			lines = append(lines, l)
		}
	}
	var b bytes.Buffer
	billing.WriteSettlementCSV(&b, lines)
	for _, d := range st.Departments {
		if (party == store.PartyProvider && d.ProviderCode == code) || (party == store.PartyDistrict && d.DistrictCode == code) {
			fmt.Fprintf(&b, "department,%s,%s,%s,%s,%s,%s\n", d.ProviderCode, d.DistrictCode, d.DepartmentCode, d.Gross.StringFixed(2), d.Coefficient.String(), d.Net.StringFixed(2))
		}
	}
	if party == store.PartyProvider {
		for _, e := range st.Providers {
			if e.ProviderCode == code {
				fmt.Fprintf(&b, "coefficient,%s\n", e.Coefficient.String())
			}
		}
	} else {
		for _, d := range st.Districts {
			if d.DistrictCode == code {
				fmt.Fprintf(&b, "district,%s,%s,%s\n", d.DistrictCode, d.Gross.StringFixed(2), d.Net.StringFixed(2))
			}
		}
	}
	h := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(h[:])
}

// parties are the providers and the districts that have lines in st,
// sorted by code.
func parties(st *billing.Statement) (providers, districts []string) {
	p, d := map[string]bool{}, map[string]bool{}
	for _, l := range st.Lines {
		if !p[l.ProviderCode] {
			p[l.ProviderCode] = true
			providers = append(providers, l.ProviderCode)
		}
		if !d[l.DistrictCode] {
			d[l.DistrictCode] = true
			districts = append(districts, l.DistrictCode)
		}
	}
	sort.Strings(providers)
	sort.Strings(districts)
	return providers, districts
}

// published reads the sign-off records of an open draft and checks that
// it is published and not approved.
func (a *App) published(ctx context.Context, st *billing.Statement) (store.SignoffRecords, error) {
	recs, err := a.DB.SignoffRecords(ctx, st.Year, st.Version)
	if err != nil {
		return recs, err
	}
	if recs.Publication == nil {
		return recs, fmt.Errorf("%d version %d: %w (cloudbill signoff publish)", st.Year, st.Version, store.ErrNotPublished)
	}
	if recs.Approval != nil {
		return recs, fmt.Errorf("%d version %d: %w", st.Year, st.Version, store.ErrApproved)
	}
	return recs, nil
}

// windowOpen reports whether today is within the window of p.
func (a *App) windowOpen(p *store.Publication) bool { return a.Today() <= p.Deadline }

// checkParty checks that the actor is a provider or a district office with
// lines in st, and a district within the window.
func (a *App) checkParty(ac Actor, st *billing.Statement, recs store.SignoffRecords, what string) (store.SignoffParty, string, error) {
	party, code, ok := ac.party()
	if !ok {
		return "", "", refuse(ac, "only a provider (role provider) or a district office (role district) %s", what)
	}
	provs, dists := parties(st)
	list := provs
	if party == store.PartyDistrict {
		list = dists
	}
	if i := sort.SearchStrings(list, code); i == len(list) || list[i] != code {
		return "", "", refuse(ac, "%s %s has no lines in %d version %d", party, code, st.Year, st.Version)
	}
	if party == store.PartyDistrict && !a.windowOpen(recs.Publication) {
		return "", "", tagged{refuse(ac, "the objection window of %d version %d closed on %s", st.Year, st.Version, recs.Publication.Deadline), []error{ErrWindowClosed}}
	}
	return party, code, nil
}

func confirmationOf(recs store.SignoffRecords, party store.SignoffParty, code string) *store.Confirmation {
	for i, c := range recs.Confirmations {
		if c.Party == party && c.Code == code {
			return &recs.Confirmations[i]
		}
	}
	return nil
}

// Confirm records that the actor (a provider, or a district office within
// the window) confirms its lines of the latest draft (对账确认). A party
// with an open objection to this version resolves it first.
func (a *App) Confirm(ctx context.Context, in ConfirmInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	st, err := a.openDraft(ctx, in.Year, in.Version)
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	recs, err := a.published(ctx, st)
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	party, code, err := a.checkParty(in.Actor, st, recs, "confirms its lines")
	if err != nil {
		return err
	}
	if c := confirmationOf(recs, party, code); c != nil {
		return fmt.Errorf("confirm %d version %d: %s %s: %w (%s)", in.Year, st.Version, party, code, store.ErrConfirmed, c.Kind)
	}
	for _, o := range recs.Objections {
		if o.Version == st.Version && o.Party == party && o.Code == code && o.Status == store.ObjectionOpen {
			return tagged{refuse(in.Actor, "objection %d of %s %s is open: it is resolved before %s %s confirms", o.ID, party, code, party, code), []error{ErrObjectionOpen}}
		}
	}
	c := store.Confirmation{Year: in.Year, Version: st.Version, Party: party, Code: code, Kind: store.ConfirmationConfirmed,
		User: in.Actor.User, Role: in.Actor.Role, At: a.now().UTC().Truncate(time.Second), LinesSHA256: PartyLinesSHA256(st, party, code)}
	ok, err := a.DB.InsertConfirmation(ctx, c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("confirm %d version %d: %s %s: %w", in.Year, st.Version, party, code, store.ErrConfirmed)
	}
	if err := a.audit(ctx, in.Actor, store.AuditActionConfirm, in.Year, versionSubject(st.Version), fmt.Sprintf("%s %s, lines sha256 %s", party, code, c.LinesSHA256)); err != nil {
		return err
	}
	a.Log.Info("confirmed", "year", in.Year, "version", st.Version, "party", string(party), "code", code, "user", in.Actor.User)
	return nil
}

// Object records the actor's objection to one of its lines of the latest
// draft (a provider's own line; a district office's district's line,
// within the window), with its evidence, and returns its number.
func (a *App) Object(ctx context.Context, in ObjectInput) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	st, err := a.openDraft(ctx, in.Year, in.Version)
	if err != nil {
		return 0, fmt.Errorf("object: %w", err)
	}
	recs, err := a.published(ctx, st)
	if err != nil {
		return 0, fmt.Errorf("object: %w", err)
	}
	party, code, err := a.checkParty(in.Actor, st, recs, "objects to its lines")
	if err != nil {
		return 0, err
	}
	line, ok := findLine(st, in.ResourceID, in.ItemCode)
	if !ok {
		return 0, fmt.Errorf("object: %d version %d has no line %s/%s: %w", in.Year, st.Version, in.ResourceID, in.ItemCode, ErrNotFound)
	}
	if (party == store.PartyProvider && line.ProviderCode != code) || (party == store.PartyDistrict && line.DistrictCode != code) {
		return 0, refuse(in.Actor, "line %s/%s is not one of %s %s's lines", in.ResourceID, in.ItemCode, party, code)
	}
	if c := confirmationOf(recs, party, code); c != nil {
		return 0, refuse(in.Actor, "%s %s confirmed %d version %d already (%s)", party, code, in.Year, st.Version, c.Kind)
	}
	for _, o := range recs.Objections {
		if o.Version == st.Version && o.Party == party && o.Code == code && o.Status == store.ObjectionOpen && o.ResourceID == line.ResourceID && o.ItemCode == line.ItemCode {
			return 0, &StateError{Op: "object", Text: fmt.Sprintf("object: objection %d to %s/%s is open already", o.ID, line.ResourceID, line.ItemCode),
				Gaps: []Gap{{Kind: GapObjectionOpen, Objection: o.ID, ResourceID: o.ResourceID, ItemCode: o.ItemCode, Version: o.Version}}}
		}
	}
	o := store.Objection{Year: in.Year, Version: st.Version, Party: party, Code: code, User: in.Actor.User, Role: in.Actor.Role,
		At: a.now().UTC().Truncate(time.Second), ProviderCode: line.ProviderCode, DistrictCode: line.DistrictCode, DepartmentCode: line.DepartmentCode,
		ResourceID: line.ResourceID, ItemCode: line.ItemCode, Reason: strings.TrimSpace(in.Reason)}
	var body []byte
	if in.Evidence != nil {
		body, err = io.ReadAll(io.LimitReader(in.Evidence, store.MaxEvidenceBytes+1))
		if err != nil {
			return 0, fmt.Errorf("object: read the evidence %s: %w", in.EvidenceName, err)
		}
		if len(body) > store.MaxEvidenceBytes {
			return 0, &InputError{Field: "evidence", Reason: fmt.Sprintf("%s is larger than %d MiB", in.EvidenceName, store.MaxEvidenceBytes>>20)}
		}
		h := sha256.Sum256(body)
		o.EvidenceName, o.EvidenceSHA256, o.EvidenceSize = in.EvidenceName, hex.EncodeToString(h[:]), int64(len(body))
	}
	id, err := a.DB.InsertObjection(ctx, o, body)
	if err != nil {
		return 0, err
	}
	detail := fmt.Sprintf("objection %d by %s %s: %s", id, party, code, o.Reason)
	if o.EvidenceName != "" {
		detail += fmt.Sprintf(" (evidence %s, %d bytes, sha256 %s)", o.EvidenceName, o.EvidenceSize, o.EvidenceSHA256)
	}
	if err := a.audit(ctx, in.Actor, store.AuditActionObject, in.Year, line.ResourceID+"/"+line.ItemCode, detail); err != nil {
		return id, err
	}
	a.Log.Info("objection", "year", in.Year, "version", st.Version, "id", id, "line", line.ResourceID+"/"+line.ItemCode, "user", in.Actor.User)
	return id, nil
}

func findLine(st *billing.Statement, resource, item string) (billing.Line, bool) {
	for _, l := range st.Lines {
		if l.ResourceID == resource && l.ItemCode == item {
			return l, true
		}
	}
	return billing.Line{}, false
}

// Resolve records the office's decision on an open objection. An accepted
// objection is closed by the next version settled (Settle), or at once by
// the latest version when one was settled after the objected version.
func (a *App) Resolve(ctx context.Context, in ResolveInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Actor.role() != RoleOffice {
		return refuse(in.Actor, "only 市政府信息化中心 (role office) resolves an objection")
	}
	o, err := a.DB.Objection(ctx, in.ID)
	if err != nil {
		return err
	}
	r := store.Resolution{ID: in.ID, Status: in.Outcome, User: in.Actor.User, Role: in.Actor.Role, At: a.now().UTC().Truncate(time.Second), Text: strings.TrimSpace(in.Reason)}
	if in.Outcome == store.ObjectionAccepted {
		vs, err := a.DB.StatementVersions(ctx, o.Year)
		if err != nil {
			return err
		}
		if len(vs) > 0 && vs[0] > o.Version {
			r.ClosedBy = vs[0]
		}
	}
	if err := a.DB.ResolveObjection(ctx, r); err != nil {
		return err
	}
	detail := fmt.Sprintf("objection %d %s", in.ID, in.Outcome)
	if r.Text != "" {
		detail += ": " + r.Text
	}
	if r.ClosedBy > 0 {
		detail += fmt.Sprintf(" (closed by version %d)", r.ClosedBy)
	}
	if err := a.audit(ctx, in.Actor, store.AuditActionResolve, o.Year, fmt.Sprintf("objection %d", in.ID), detail); err != nil {
		return err
	}
	a.Log.Info("objection resolved", "year", o.Year, "id", in.ID, "outcome", string(in.Outcome), "user", in.Actor.User)
	return nil
}

// Approve records the office's approval of the latest draft: every
// provider has confirmed, every district has confirmed or lapsed, and no
// objection is open or waits for its correction.
func (a *App) Approve(ctx context.Context, in ApproveInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Actor.role() != RoleOffice {
		return refuse(in.Actor, "only 市政府信息化中心 (role office) approves a version")
	}
	st, err := a.openDraft(ctx, in.Year, in.Version)
	if err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	if _, err := a.published(ctx, st); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	v, err := a.signoffView(ctx, in.Actor, st, true)
	if err != nil {
		return err
	}
	if !v.Approvable {
		return &StateError{Op: "approve", Text: fmt.Sprintf("approve %d version %d: %s", in.Year, st.Version, strings.Join(v.Missing, "; ")), Gaps: v.Gaps}
	}
	if err := a.DB.InsertApproval(ctx, store.Approval{Year: in.Year, Version: st.Version, User: in.Actor.User, Role: in.Actor.Role,
		At: a.now().UTC().Truncate(time.Second), SHA256: st.SHA256}); err != nil {
		return err
	}
	if err := a.audit(ctx, in.Actor, store.AuditActionApprove, in.Year, versionSubject(st.Version), "sha256 "+st.SHA256); err != nil {
		return err
	}
	a.Log.Info("approved", "year", in.Year, "version", st.Version, "user", in.Actor.User)
	return nil
}

// Signoff returns the sign-off of a version. Reading the latest draft
// after its window closed records the lapse of the districts that did not
// answer (as the nightly job and Approve do: whichever comes first).
func (a *App) Signoff(ctx context.Context, in SignoffInput) (SignoffView, error) {
	if err := in.Validate(); err != nil {
		return SignoffView{}, err
	}
	st, _, err := a.signoffVersion(ctx, in.Year, in.Version)
	if err != nil {
		return SignoffView{}, err
	}
	return a.signoffView(ctx, in.Actor, st, true)
}

// LapseSignoffs records the lapse of every district that did not answer
// within the window of an open publication, and returns how many it
// recorded: the nightly job's step.
func (a *App) LapseSignoffs(ctx context.Context) (int, error) {
	ps, err := a.DB.OpenPublications(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		st, err := a.DB.Statement(ctx, p.Year, p.Version)
		if err != nil {
			return n, err
		}
		recs, err := a.DB.SignoffRecords(ctx, p.Year, p.Version)
		if err != nil {
			return n, err
		}
		k, err := a.lapse(ctx, st, recs)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// lapse records as confirmed by lapse each district of st without a
// confirmation once the window of its publication closed, unless the
// version is approved or no longer the latest draft.
func (a *App) lapse(ctx context.Context, st *billing.Statement, recs store.SignoffRecords) (int, error) {
	p := recs.Publication
	if p == nil || recs.Approval != nil || st.Status != billing.StatementStatusDraft || a.windowOpen(p) {
		return 0, nil
	}
	_, dists := parties(st)
	n := 0
	for _, d := range dists {
		if confirmationOf(recs, store.PartyDistrict, d) != nil {
			continue
		}
		ok, err := a.DB.InsertConfirmation(ctx, store.Confirmation{Year: st.Year, Version: st.Version, Party: store.PartyDistrict, Code: d,
			Kind: store.ConfirmationLapsed, At: a.now().UTC().Truncate(time.Second), LinesSHA256: PartyLinesSHA256(st, store.PartyDistrict, d)})
		if err != nil {
			return n, err
		}
		if !ok {
			continue // recorded meanwhile by another reader
		}
		n++
		if err := a.audit(ctx, Actor{}, store.AuditActionLapse, st.Year, versionSubject(st.Version),
			fmt.Sprintf("district %s did not answer by %s: confirmed by lapse", d, p.Deadline)); err != nil {
			return n, err
		}
	}
	if n > 0 {
		a.Log.Info("sign-off window lapsed", "year", st.Year, "version", st.Version, "districts", n)
	}
	return n, nil
}

// signoffView assembles the sign-off of st for ac, recording lapses first
// when doLapse is set and st is the latest draft.
func (a *App) signoffView(ctx context.Context, ac Actor, st *billing.Statement, doLapse bool) (SignoffView, error) {
	vs, err := a.DB.StatementVersions(ctx, st.Year)
	if err != nil {
		return SignoffView{}, err
	}
	latest := len(vs) > 0 && vs[0] == st.Version
	recs, err := a.DB.SignoffRecords(ctx, st.Year, st.Version)
	if err != nil {
		return SignoffView{}, err
	}
	if doLapse && latest {
		n, err := a.lapse(ctx, st, recs)
		if err != nil {
			// A reader that may not write (PostgreSQL's reader role) still
			// reads; the nightly job or the approval records the lapse.
			a.Log.Warn("sign-off: the lapse of the window could not be recorded", "year", st.Year, "version", st.Version, "err", err)
		}
		if n > 0 || err != nil {
			if recs, err = a.DB.SignoffRecords(ctx, st.Year, st.Version); err != nil {
				return SignoffView{}, err
			}
		}
	}
	if st.Status == billing.StatementStatusIssued {
		if snap, ok, err := a.DB.StatementSnapshot(ctx, st.Year, st.Version); err != nil {
			return SignoffView{}, err
		} else if ok && snap.Signoff != nil {
			recs = *snap.Signoff
		}
	}
	v := viewOf(st, recs, latest, a.Today())
	v.Objections = visibleObjections(ac, recs.Objections)
	v.Own, v.May = stepsOf(ac, v)
	return v, nil
}

// viewOf is the sign-off of st from its records, as of today (every
// objection listed: the caller filters them).
func viewOf(st *billing.Statement, recs store.SignoffRecords, latest bool, today metering.Date) SignoffView {
	v := SignoffView{Year: st.Year, Version: st.Version, Status: st.Status, SHA256: st.SHA256, Latest: latest,
		Publication: recs.Publication, Approval: recs.Approval, Issue: recs.Issue, Objections: recs.Objections}
	if p := recs.Publication; p != nil {
		v.Deadline, v.WindowOpen = p.Deadline, today <= p.Deadline
	}
	provs, dists := parties(st)
	state := func(party store.SignoffParty, code string) PartyState {
		s := PartyState{Party: party, Code: code, State: PartyPending, LinesSHA256: PartyLinesSHA256(st, party, code)}
		for _, o := range recs.Objections {
			if o.Version == st.Version && o.Party == party && o.Code == code {
				s.Objections++
				if o.Status == store.ObjectionOpen {
					s.Open++
				}
			}
		}
		if s.Open > 0 { // objections all resolved: it has its lines to confirm again
			s.State = PartyObjected
		}
		if c := confirmationOf(recs, party, code); c != nil {
			s.State, s.User, s.Role, s.At, s.CarriedFrom = PartyConfirmed, c.User, c.Role, c.At, c.CarriedFrom
			if c.Kind == store.ConfirmationLapsed {
				s.State = PartyLapsed
			}
		}
		return s
	}
	for _, p := range provs {
		v.Providers = append(v.Providers, state(store.PartyProvider, p))
	}
	for _, d := range dists {
		v.Districts = append(v.Districts, state(store.PartyDistrict, d))
	}
	switch {
	case st.Status != billing.StatementStatusDraft:
		v.Gaps = append(v.Gaps, Gap{Kind: GapStatus, Version: st.Version, Status: st.Status})
	case !latest:
		v.Gaps = append(v.Gaps, Gap{Kind: GapNotLatest, Version: st.Version})
	case recs.Publication == nil:
		v.Gaps = append(v.Gaps, Gap{Kind: GapNotPublished, Version: st.Version})
	case recs.Approval != nil:
		v.Gaps = append(v.Gaps, Gap{Kind: GapApproved, Version: st.Version})
	}
	for _, s := range v.Providers {
		if s.State != PartyConfirmed {
			v.Gaps = append(v.Gaps, Gap{Kind: GapUnconfirmed, Version: st.Version, Party: s.Party, Code: s.Code, State: s.State})
		}
	}
	for _, s := range v.Districts {
		if s.State != PartyConfirmed && s.State != PartyLapsed {
			g := Gap{Kind: GapUnconfirmed, Version: st.Version, Party: s.Party, Code: s.Code, State: s.State}
			if recs.Publication != nil {
				g.Deadline = recs.Publication.Deadline
			}
			v.Gaps = append(v.Gaps, g)
		}
	}
	for _, o := range recs.Objections {
		switch {
		case o.Status == store.ObjectionOpen:
			v.Gaps = append(v.Gaps, Gap{Kind: GapObjectionOpen, Version: o.Version, Objection: o.ID, ResourceID: o.ResourceID, ItemCode: o.ItemCode})
		case o.Status == store.ObjectionAccepted && (o.ClosedByVersion == 0 || o.ClosedByVersion > st.Version):
			v.Gaps = append(v.Gaps, Gap{Kind: GapCorrection, Version: st.Version, Objection: o.ID, ResourceID: o.ResourceID, ItemCode: o.ItemCode})
		}
	}
	for _, g := range v.Gaps {
		v.Missing = append(v.Missing, g.String())
	}
	v.Approvable = len(v.Missing) == 0
	return v
}

// visibleObjections are the objections ac may see: all for the office, the
// finance bureau, the evaluators and the operator; those on its lines for
// a provider, a district office and a department.
func visibleObjections(ac Actor, os []store.Objection) []store.Objection {
	var out []store.Objection
	for _, o := range os {
		if canSeeObjection(ac, o) {
			out = append(out, o)
		}
	}
	return out
}

func canSeeObjection(ac Actor, o store.Objection) bool {
	switch ac.role() {
	case "", RoleOffice, RoleFinance:
		return true
	case RoleProvider:
		return o.ProviderCode == ac.Provider
	case RoleDistrict:
		return o.DistrictCode == ac.District
	case RoleDepartment:
		return o.DepartmentCode == ac.Department
	}
	return false
}

// Objections lists the objections the filter selects within the actor's
// scope, oldest first.
func (a *App) Objections(ctx context.Context, f ObjectionFilter) ([]store.Objection, error) {
	if f.Year != 0 {
		if err := validateVersion(f.Year, f.Version); err != nil {
			return nil, err
		}
	}
	q := store.ObjectionQuery{Year: f.Year, Version: f.Version, Status: f.Status}
	switch f.Actor.role() {
	case "", RoleOffice, RoleFinance:
	case RoleProvider:
		q.ProviderCode = f.Actor.Provider
	case RoleDistrict:
		q.DistrictCode = f.Actor.District
	case RoleDepartment:
		q.DepartmentCode = f.Actor.Department
	default:
		return nil, refuse(f.Actor, "role %s sees no objections", f.Actor.Role)
	}
	os, err := a.DB.Objections(ctx, q)
	if err != nil {
		return nil, err
	}
	return visibleObjections(f.Actor, os), nil
}

// Evidence returns the evidence of an objection the actor may see.
func (a *App) Evidence(ctx context.Context, in EvidenceInput) (EvidenceFile, error) {
	o, err := a.DB.Objection(ctx, in.ID)
	if err != nil {
		return EvidenceFile{}, err
	}
	if !canSeeObjection(in.Actor, o) {
		return EvidenceFile{}, refuse(in.Actor, "objection %d is not on its lines", in.ID)
	}
	if o.EvidenceName == "" {
		return EvidenceFile{}, fmt.Errorf("objection %d has no evidence", in.ID)
	}
	body, err := a.DB.Evidence(ctx, in.ID)
	if err != nil {
		return EvidenceFile{}, err
	}
	h := sha256.Sum256(body)
	if sum := hex.EncodeToString(h[:]); sum != o.EvidenceSHA256 || int64(len(body)) != o.EvidenceSize {
		return EvidenceFile{}, fmt.Errorf("objection %d: its evidence hashes to %s (%d bytes), not %s (%d bytes): %w", in.ID, sum, len(body), o.EvidenceSHA256, o.EvidenceSize, store.ErrTampered)
	}
	return EvidenceFile{Name: o.EvidenceName, SHA256: o.EvidenceSHA256, Size: o.EvidenceSize, Body: body}, nil
}

// closeAccepted closes, after settle stored version, the accepted
// objections of the year's older versions (their correction is in it).
func (a *App) closeAccepted(ctx context.Context, year, version int) error {
	ids, err := a.DB.CloseAcceptedObjections(ctx, year, version)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.audit(ctx, Actor{}, store.AuditActionResolve, year, fmt.Sprintf("objection %d", id), fmt.Sprintf("accepted objection %d closed by version %d", id, version)); err != nil {
			return err
		}
	}
	return nil
}

// issueGate checks that version st may be issued by ac: approved with the
// fingerprint it has, or issued without sign-off with a reason. It
// returns the records to freeze with the version.
func (a *App) issueGate(ctx context.Context, in IssueInput, st *billing.Statement) (*store.SignoffRecords, error) {
	// No lapse is recorded here: on PostgreSQL the issuer's role writes
	// no sign-off records (the nightly job, a status read or the
	// approval records them).
	v, err := a.signoffView(ctx, in.Actor, st, false)
	if err != nil {
		return nil, err
	}
	recs, err := a.DB.SignoffRecords(ctx, st.Year, st.Version)
	if err != nil {
		return nil, err
	}
	approved := recs.Approval != nil && recs.Approval.SHA256 == st.SHA256
	switch {
	case approved && in.WithoutSignoff != "":
		return nil, &InputError{Field: "without-signoff", Reason: fmt.Sprintf("%d version %d is approved: issue it without --without-signoff", st.Year, st.Version)}
	case !approved && in.WithoutSignoff == "":
		missing := v.Missing
		if len(missing) == 0 {
			missing = []string{"the office has not approved it (cloudbill signoff approve)"}
		}
		return nil, fmt.Errorf("issue %d: version %d is %w: %s (or issue it with --without-signoff REASON)", st.Year, st.Version, ErrNotApproved, strings.Join(missing, "; "))
	}
	return &recs, nil
}

// stepsOf is the actor's party in v and the steps it may take now, by
// the rules of Publish, Confirm, Object, Resolve and Approve.
func stepsOf(ac Actor, v SignoffView) (*PartyState, SignoffSteps) {
	var may SignoffSteps
	open := v.Status == billing.StatementStatusDraft && v.Latest
	review := open && v.Publication != nil && v.Approval == nil
	if ac.role() == RoleOffice {
		may.Publish = open && v.Publication == nil
		may.Approve = review && v.Approvable
		for _, o := range v.Objections {
			may.Resolve = may.Resolve || o.Status == store.ObjectionOpen
		}
	}
	party, code, ok := ac.party()
	if !ok {
		return nil, may
	}
	list := v.Providers
	if party == store.PartyDistrict {
		list = v.Districts
	}
	for i := range list {
		if s := &list[i]; s.Code == code {
			answering := review && s.State != PartyConfirmed && s.State != PartyLapsed && (party == store.PartyProvider || v.WindowOpen)
			may.Object = answering
			may.Confirm = answering && s.Open == 0
			return s, may
		}
	}
	return nil, may
}
