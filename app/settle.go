package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"cloudbill/billing"
	"cloudbill/store"
)

// SettleResult is a settlement run's outcome: the statement and whether it
// was stored as a new draft version (false: the latest version already
// says the same, and Statement is that version).
type SettleResult struct {
	Statement *billing.Statement
	Saved     bool
}

// Settle computes the year's settlement and stores it as a new draft
// version (or reports that the latest version already says the same).
func (a *App) Settle(ctx context.Context, in YearInput) (SettleResult, error) {
	if err := in.Validate(); err != nil {
		return SettleResult{}, err
	}
	year := in.Year
	db := a.DB
	policy, _, err := a.Policy()
	if err != nil {
		return SettleResult{}, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return SettleResult{}, err
	}
	// Where each resource sits is needed only when the day groups arrive:
	// it is read beside the usage pass.
	type settlementResult struct {
		s   *billing.Settlement
		err error
	}
	settlementc := make(chan settlementResult, 1)
	go func() {
		placement, err := db.Placements(ctx)
		if err != nil {
			settlementc <- settlementResult{err: err}
			return
		}
		settlementc <- settlementResult{s: billing.NewSettlement(year, billing.NewCatalogue(versions), placement)}
	}()
	var s *billing.Settlement
	settlement := func() (*billing.Settlement, error) {
		if s == nil {
			r := <-settlementc
			if r.err != nil {
				return nil, r.err
			}
			s = r.s
		}
		return s, nil
	}
	// The lifecycle events are read once, beside the usage pass, on a
	// connection of their own: they give the billing segments (sent to the
	// usage pass as soon as they are cut) and then the SLA obligations of
	// the providers' evaluations.
	type evalResult struct {
		in  evalInputs
		err error
	}
	evalc := make(chan evalResult, 1)
	segc := make(chan []billing.Segment, 1)
	go func() {
		t0 := time.Now()
		events, err := db.LifecycleEvents(ctx)
		if err != nil {
			close(segc)
			evalc <- evalResult{err: err}
			return
		}
		segc <- billing.Segments(year, events, versions)
		close(segc)
		in, err := a.evaluationInputs(ctx, year, policy, events)
		a.Log.Debug("settle: events and evaluation inputs", "seconds", time.Since(t0).Seconds())
		evalc <- evalResult{in, err}
	}()
	// The year's usage months are streamed here while the events goroutine
	// cuts the segments: the tally keeps the months read before the
	// segments arrive, then matches each month with them and counts its
	// billable days; its day groups are rated by the settlement.
	errNoSegments := errors.New("no segments")
	tally := billing.NewTally()
	receive := func(segs []billing.Segment, ok bool) error {
		if !ok {
			return errNoSegments // the events goroutine has the cause
		}
		return tally.SetSegments(segs)
	}
	t0 := time.Now()
	err = db.UsageMonths(ctx, year, func(m billing.UsageMonth) error {
		if !tally.Ready() {
			select {
			case segs, ok := <-segc:
				if err := receive(segs, ok); err != nil {
					return err
				}
			default:
			}
		}
		return tally.Add(m)
	})
	if err == nil && !tally.Ready() {
		segs, ok := <-segc
		err = receive(segs, ok)
	}
	if err == nil {
		a.Log.Debug("settle: usage months", "seconds", time.Since(t0).Seconds())
		if s, err = settlement(); err == nil {
			err = tally.Groups(s.Add)
		}
	}
	if err != nil {
		ev := <-evalc
		if errors.Is(err, errNoSegments) && ev.err != nil {
			err = ev.err
		}
		return SettleResult{}, fmt.Errorf("settle %d: %w", year, err)
	}
	a.Log.Debug("settle: day groups", "seconds", time.Since(t0).Seconds())
	t0 = time.Now()
	lines := s.Lines()
	a.Log.Debug("settle: lines", "seconds", time.Since(t0).Seconds())
	ev := <-evalc
	if len(lines) == 0 {
		return SettleResult{}, fmt.Errorf("settle %d: no billable usage in %d: nothing to settle (ingest the year's metering, and check the resources' confirmed events)", year, year)
	}
	if ev.err != nil {
		return SettleResult{}, fmt.Errorf("settle %d: %w", year, ev.err)
	}
	seen := map[string]bool{}
	var providers []string
	for _, l := range lines {
		if !seen[l.ProviderCode] {
			seen[l.ProviderCode] = true
			providers = append(providers, l.ProviderCode)
		}
	}
	sort.Strings(providers)
	evals, err := ev.in.evaluate(year, providers, policy)
	if err != nil {
		return SettleResult{}, fmt.Errorf("settle %d: %w", year, err)
	}
	t0 = time.Now()
	st, err := billing.Assemble(year, lines, evals, policy.String())
	a.Log.Debug("settle: assemble", "seconds", time.Since(t0).Seconds())
	if err != nil {
		return SettleResult{}, fmt.Errorf("settle %d: %w", year, err)
	}
	st.CreatedAt = a.now().UTC().Truncate(time.Second)
	t0 = time.Now()
	saved, err := db.SaveStatement(ctx, st)
	if err != nil {
		return SettleResult{}, fmt.Errorf("settle %d: %w", year, err)
	}
	a.Log.Debug("settle: save", "seconds", time.Since(t0).Seconds())
	detail := fmt.Sprintf("unchanged: version %d already holds these %d lines", st.Version, len(st.Lines))
	if saved {
		if err := a.closeAccepted(ctx, year, st.Version); err != nil {
			return SettleResult{Statement: st, Saved: saved}, fmt.Errorf("settle %d: version %d stored: %w", year, st.Version, err)
		}
		a.Log.Info("settled", "year", year, "version", st.Version, "lines", len(st.Lines), "gross", st.Gross.StringFixed(2), "net", st.Net.StringFixed(2))
		detail = fmt.Sprintf("saved: %d lines, gross %s, net %s", len(st.Lines), st.Gross.StringFixed(2), st.Net.StringFixed(2))
	}
	if err := a.record(ctx, store.AuditEntry{Action: store.AuditActionSettle, Year: year, Subject: fmt.Sprintf("v%d", st.Version),
		Detail: detail + ", sha256 " + st.SHA256}); err != nil {
		return SettleResult{}, fmt.Errorf("settle %d: %w", year, err)
	}
	return SettleResult{Statement: st, Saved: saved}, nil
}

// IssueInput names the year whose latest draft is issued, who issues it
// (Actor; the zero Actor is the operator on the command line, else an
// account of the finance bureau) and, to issue a version that was not
// approved, the reason (WithoutSignoff; docs/signoff.md).
type IssueInput struct {
	Year           int
	WithoutSignoff string
	Actor          Actor
}

// Validate checks the year, the reason and the issuer's role.
func (in IssueInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	if in.WithoutSignoff != "" {
		if err := validateText("without-signoff", in.WithoutSignoff, true, 500); err != nil {
			return err
		}
	}
	return nil
}

// Issue freezes the year's latest draft as issued and returns its version.
// The version must be approved (docs/signoff.md), unless WithoutSignoff
// gives the reason to issue it anyway. The draft is read back and checked
// against its fingerprint, and what its documents print (liveInputs:
// names, catalogue, calendar, policy, obligations, findings, scores, and
// the sign-off records with who issued it), read just before, is stored
// with it in the transaction that issues it.
func (a *App) Issue(ctx context.Context, in IssueInput) (int, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	if r := in.Actor.role(); r != "" && r != RoleFinance {
		return 0, refuse(in.Actor, "only 市财政局 (role finance) issues a statement")
	}
	st, err := a.DB.Statement(ctx, in.Year, 0)
	if err != nil {
		return 0, fmt.Errorf("issue %d: %w", in.Year, err)
	}
	if st.Status == billing.StatementStatusIssued {
		return 0, fmt.Errorf("issue %d: %d version %d: %w", in.Year, in.Year, st.Version, store.ErrIssued)
	}
	recs, err := a.issueGate(ctx, in, st)
	if err != nil {
		return 0, err
	}
	snap, err := a.liveInputs(ctx, in.Year)
	if err != nil {
		return 0, fmt.Errorf("issue %d: %w", in.Year, err)
	}
	at := a.now().UTC().Truncate(time.Second)
	user, role := in.Actor.User, in.Actor.Role
	if user == "" {
		user, role = actorOf(ctx) // the operator (WithActor, else the system user)
	}
	recs.Issue = &store.Issuance{User: user, Role: role, At: at, WithoutSignoff: strings.TrimSpace(in.WithoutSignoff)}
	snap.Signoff = recs
	v, err := a.DB.IssueStatement(ctx, store.IssueInput{Year: in.Year, Version: st.Version, SHA256: st.SHA256,
		IssuedAt: at, Snapshot: snap})
	if err != nil {
		return 0, fmt.Errorf("issue %d: %w", in.Year, err)
	}
	detail := "without sign-off: " + recs.Issue.WithoutSignoff
	if recs.Approval != nil {
		detail = "approved by " + recs.Approval.User
	}
	if err := a.audit(ctx, in.Actor, store.AuditActionIssue, in.Year, versionSubject(v), detail+", sha256 "+st.SHA256); err != nil {
		return v, fmt.Errorf("issue %d: version %d issued, but the audit trail did not take it: %w", in.Year, v, err)
	}
	a.Log.Info("issued", "year", in.Year, "version", v, "sha256", st.SHA256, "without_signoff", recs.Issue.WithoutSignoff)
	return v, nil
}

// DiffResult is what changed per line between two versions of a year.
type DiffResult struct {
	Older, Newer *billing.Statement
	Changes      []billing.LineChange
}

// DiffInput names two versions of a year to compare: From (0: the latest
// issued version other than To, else the one before To) and To (0: the
// latest).
type DiffInput struct {
	Year     int
	From, To int
}

// Validate checks the year and the version numbers.
func (in DiffInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	if in.From < 0 || in.To < 0 {
		return &InputError{Field: "from", Reason: "versions are numbered from 1"}
	}
	if in.From > 0 && in.From == in.To {
		return &InputError{Field: "to", Reason: fmt.Sprintf("version %d against itself changes nothing", in.From)}
	}
	return nil
}

// Diff compares two versions of a year, line by line.
func (a *App) Diff(ctx context.Context, in DiffInput) (DiffResult, error) {
	if err := in.Validate(); err != nil {
		return DiffResult{}, err
	}
	year := in.Year
	vs, err := a.Versions(ctx, YearInput{Year: year})
	if err != nil {
		return DiffResult{}, err
	}
	if len(vs) < 2 {
		return DiffResult{}, fmt.Errorf("diff %d: %d version(s); a diff needs two (settle again after correcting the inputs)", year, len(vs))
	}
	to, from := in.To, in.From
	if to == 0 {
		to = vs[len(vs)-1].Version
	}
	if from == 0 {
		for _, v := range vs {
			if v.Version != to && v.Status != billing.StatementStatusDraft && v.Version < to {
				from = v.Version // the latest issued (or superseded) before To
			}
		}
		if from == 0 {
			from = to - 1
		}
	}
	older, err := a.DB.Statement(ctx, year, from)
	if err != nil {
		return DiffResult{}, err
	}
	newer, err := a.DB.Statement(ctx, year, to)
	if err != nil {
		return DiffResult{}, err
	}
	return DiffResult{Older: older, Newer: newer, Changes: billing.Diff(older, newer)}, nil
}

// ReportVersion is the statement a report of year prints for version (0:
// the latest issued, else the latest draft), with SupersededBy set.
func (a *App) ReportVersion(ctx context.Context, year, version int) (*billing.Statement, error) {
	return a.statement(ctx, year, version)
}
