package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"cloudbill/billing"
	"cloudbill/metering"
)

// The sign-off of a draft version (docs/signoff.md). The rules (who may
// do what, when) are the application's; the store keeps the records and
// refuses what would contradict them: a second publication, confirmation
// or approval of the same version, the resolution of an objection that is
// not open.

// SignoffParty is a kind of party that signs a version off.
type SignoffParty string

const (
	PartyProvider SignoffParty = "provider" // a cloud provider, for its lines
	PartyDistrict SignoffParty = "district" // a district office, for its district's lines
)

// ConfirmationKind is how a party's confirmation came about.
type ConfirmationKind string

const (
	ConfirmationConfirmed ConfirmationKind = "confirmed" // the party confirmed
	ConfirmationCarried   ConfirmationKind = "carried"   // carried over: its lines did not change since it confirmed an older version
	ConfirmationLapsed    ConfirmationKind = "lapsed"    // a district that did not answer within the window
)

// ObjectionStatus is where an objection stands.
type ObjectionStatus string

const (
	ObjectionOpen     ObjectionStatus = "open"
	ObjectionAccepted ObjectionStatus = "accepted" // closed by the version settled after the correction (ClosedByVersion)
	ObjectionRejected ObjectionStatus = "rejected" // with the office's reason
)

// Errors of the sign-off records.
var (
	ErrPublished    = errors.New("already published for review")
	ErrNotPublished = errors.New("not published for review")
	ErrConfirmed    = errors.New("already confirmed")
	ErrApproved     = errors.New("already approved")
	ErrNoObjection  = errors.New("no such objection")
	ErrResolved     = errors.New("objection already resolved")
)

// Publication is a draft version opened for review: by whom, when, and
// the last day of its objection window (Asia/Shanghai).
type Publication struct {
	Year, Version int
	PublishedAt   time.Time
	User, Role    string
	Deadline      metering.Date
}

// Confirmation is a party's sign-off of its lines of a version: Code is
// the provider's or the district's code, LinesSHA256 the fingerprint of
// the party's lines it confirmed (app.PartyLinesSHA256), CarriedFrom the
// version a carried confirmation was given on (User, Role and At are of
// that original confirmation). A lapse has the user "" and the role "".
type Confirmation struct {
	Year, Version int
	Party         SignoffParty
	Code          string
	Kind          ConfirmationKind
	User, Role    string
	At            time.Time
	LinesSHA256   string
	CarriedFrom   int
}

// Objection is a party's objection to one line of a version, with its
// evidence (name, SHA-256, size; the file itself is read with Evidence)
// and, once resolved, the office's decision.
type Objection struct {
	ID                       int64
	Year, Version            int
	Party                    SignoffParty
	Code                     string // the objecting provider's or district's code
	User, Role               string
	At                       time.Time
	ProviderCode             string // the line: its provider, district, department, resource and item
	DistrictCode             string
	DepartmentCode           string
	ResourceID, ItemCode     string
	Reason                   string
	EvidenceName             string
	EvidenceSHA256           string
	EvidenceSize             int64
	Status                   ObjectionStatus
	ResolvedBy, ResolvedRole string
	ResolvedAt               time.Time
	Resolution               string // the reason of a rejection, the note of an acceptance
	ClosedByVersion          int    // an accepted objection: the version that corrected the line (0 until settled)
}

// Approval is the office's approval of a version with the fingerprint it
// approved.
type Approval struct {
	Year, Version int
	User, Role    string
	At            time.Time
	SHA256        string
}

// Issuance is who issued a version and when, and the reason given when it
// was issued without its sign-off (cloudbill issue --without-signoff);
// kept in the version's snapshot.
type Issuance struct {
	User, Role     string
	At             time.Time
	WithoutSignoff string
}

// SignoffRecords are the sign-off records of one version: its
// publication (nil: not published), confirmations, the year's objections
// up to this version, its approval (nil: not approved) and, in an issued
// version's snapshot, its issue.
type SignoffRecords struct {
	Publication   *Publication
	Confirmations []Confirmation
	Objections    []Objection
	Approval      *Approval
	Issue         *Issuance
}

// PublishSignoff records the publication of version p.Version of p.Year,
// which must be the year's latest version and a draft, together with the
// confirmations carried over from the previous version, in one
// transaction. ErrPublished when it was published already.
func (db *DB) PublishSignoff(ctx context.Context, p Publication, carried []Confirmation) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.dialect.lockTx(ctx, tx, lockNamespace, p.Year); err != nil {
			return err
		}
		if err := db.latestDraft(ctx, tx, p.Year, p.Version); err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM signoff_publications WHERE year = ? AND version = ?`), p.Year, p.Version); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d version %d: %w", p.Year, p.Version, ErrPublished)
		}
		if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO signoff_publications (year, version, published_at, user_name, role, deadline) VALUES (?, ?, ?, ?, ?, ?)`),
			p.Year, p.Version, db.dialect.instant(p.PublishedAt), p.User, p.Role, p.Deadline); err != nil {
			return err
		}
		for _, c := range carried {
			if err := db.insertConfirmation(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("publish %d version %d: %w", p.Year, p.Version, err)
	}
	return nil
}

// latestDraft checks in tx that version is the year's latest and a draft.
func (db *DB) latestDraft(ctx context.Context, tx *sqlx.Tx, year, version int) error {
	var last struct {
		Version int    `db:"version"`
		Status  string `db:"status"`
	}
	err := tx.GetContext(ctx, &last, db.pool.Rebind(`SELECT version, status FROM statements WHERE year = ? ORDER BY version DESC LIMIT 1`), year)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%d: %w", year, ErrNoStatement)
	}
	if err != nil {
		return err
	}
	if last.Version != version {
		return fmt.Errorf("%d version %d is not the latest: version %d is", year, version, last.Version)
	}
	if last.Status != string(billing.StatementStatusDraft) {
		return fmt.Errorf("%d version %d: %w", year, version, ErrIssued)
	}
	return nil
}

func (db *DB) insertConfirmation(ctx context.Context, tx sqlx.ExecerContext, c Confirmation) error {
	_, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO signoff_confirmations (year, version, party, code, kind, user_name, role, at, lines_sha256, carried_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		c.Year, c.Version, string(c.Party), c.Code, string(c.Kind), c.User, c.Role, db.dialect.instant(c.At), c.LinesSHA256, c.CarriedFrom)
	return err
}

// InsertConfirmation records a confirmation (or a lapse) of a published
// version. It returns false, and stores nothing, when the party has one
// already (a lapse recorded twice by two readers is recorded once).
func (db *DB) InsertConfirmation(ctx context.Context, c Confirmation) (bool, error) {
	r, err := db.pool.ExecContext(ctx, db.pool.Rebind(`INSERT INTO signoff_confirmations (year, version, party, code, kind, user_name, role, at, lines_sha256, carried_from)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM signoff_publications WHERE year = ? AND version = ?)
ON CONFLICT (year, version, party, code) DO NOTHING`),
		c.Year, c.Version, string(c.Party), c.Code, string(c.Kind), c.User, c.Role, db.dialect.instant(c.At), c.LinesSHA256, c.CarriedFrom, c.Year, c.Version)
	if err != nil {
		return false, fmt.Errorf("record the %s of %s %s on %d version %d: %w", c.Kind, c.Party, c.Code, c.Year, c.Version, err)
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

// MaxEvidenceBytes is the largest evidence file an objection may carry.
const MaxEvidenceBytes = 10 << 20

// InsertObjection records an objection and its evidence (nil: none) in
// one transaction and returns its id.
func (db *DB) InsertObjection(ctx context.Context, o Objection, evidence []byte) (int64, error) {
	if len(evidence) > MaxEvidenceBytes {
		return 0, fmt.Errorf("objection: the evidence has %d bytes, more than %d", len(evidence), MaxEvidenceBytes)
	}
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, db.pool.Rebind(`INSERT INTO signoff_objections (year, version, party, code, user_name, role, at, provider_code, district_code, department_code, resource_id, item_code, reason, evidence_name, evidence_sha256, evidence_size, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') RETURNING id`),
			o.Year, o.Version, string(o.Party), o.Code, o.User, o.Role, db.dialect.instant(o.At), o.ProviderCode, o.DistrictCode, o.DepartmentCode,
			o.ResourceID, o.ItemCode, o.Reason, o.EvidenceName, o.EvidenceSHA256, o.EvidenceSize)
		if err != nil {
			return err
		}
		if evidence != nil {
			if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO signoff_evidence (objection_id, body) VALUES (?, ?)`), id, evidence); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record the objection to %s/%s of %d version %d: %w", o.ResourceID, o.ItemCode, o.Year, o.Version, err)
	}
	return id, nil
}

// Resolution is the office's decision on an open objection. ClosedBy > 0
// closes an accepted objection at once (the correction is in that
// version already).
type Resolution struct {
	ID         int64
	Status     ObjectionStatus // accepted or rejected
	User, Role string
	At         time.Time
	Text       string
	ClosedBy   int
}

// ResolveObjection records the decision on an open objection:
// ErrNoObjection when there is none of that id, ErrResolved when it was
// resolved already.
func (db *DB) ResolveObjection(ctx context.Context, r Resolution) error {
	res, err := db.pool.ExecContext(ctx, db.pool.Rebind(`UPDATE signoff_objections SET status = ?, resolved_by = ?, resolved_role = ?, resolved_at = ?, resolution = ?, closed_by_version = ?
WHERE id = ? AND status = 'open'`), string(r.Status), r.User, r.Role, db.dialect.instant(r.At), r.Text, r.ClosedBy, r.ID)
	if err != nil {
		return fmt.Errorf("resolve objection %d: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	if _, err := db.Objection(ctx, r.ID); err != nil {
		return err
	}
	return fmt.Errorf("objection %d: %w", r.ID, ErrResolved)
}

// CloseAcceptedObjections marks the accepted objections of year's versions
// before version, not closed yet, as closed by version (the version that
// settling after the correction made); it returns their ids.
func (db *DB) CloseAcceptedObjections(ctx context.Context, year, version int) ([]int64, error) {
	var ids []int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &ids, db.pool.Rebind(`SELECT id FROM signoff_objections WHERE year = ? AND version < ? AND status = 'accepted' AND closed_by_version = 0 ORDER BY id`), year, version); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, db.pool.Rebind(`UPDATE signoff_objections SET closed_by_version = ? WHERE year = ? AND version < ? AND status = 'accepted' AND closed_by_version = 0`), version, year, version)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("close the accepted objections of %d by version %d: %w", year, version, err)
	}
	return ids, nil
}

// InsertApproval records the approval of a published version;
// ErrApproved when it was approved already.
func (db *DB) InsertApproval(ctx context.Context, a Approval) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.latestDraft(ctx, tx, a.Year, a.Version); err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM signoff_approvals WHERE year = ? AND version = ?`), a.Year, a.Version); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d version %d: %w", a.Year, a.Version, ErrApproved)
		}
		_, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO signoff_approvals (year, version, user_name, role, at, sha256) VALUES (?, ?, ?, ?, ?, ?)`),
			a.Year, a.Version, a.User, a.Role, db.dialect.instant(a.At), a.SHA256)
		return err
	})
	if err != nil {
		return fmt.Errorf("approve %d version %d: %w", a.Year, a.Version, err)
	}
	return nil
}

// SignoffRecords reads the sign-off records of version of year: its
// publication, confirmations and approval, and the objections to the
// year's versions up to this one.
func (db *DB) SignoffRecords(ctx context.Context, year, version int) (SignoffRecords, error) {
	var r SignoffRecords
	var p struct {
		At       Instant       `db:"published_at"`
		User     string        `db:"user_name"`
		Role     string        `db:"role"`
		Deadline metering.Date `db:"deadline"`
	}
	err := db.pool.GetContext(ctx, &p, db.pool.Rebind(`SELECT published_at, user_name, role, deadline FROM signoff_publications WHERE year = ? AND version = ?`), year, version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return r, fmt.Errorf("sign-off of %d version %d: %w", year, version, err)
	default:
		r.Publication = &Publication{Year: year, Version: version, PublishedAt: p.At.Time, User: p.User, Role: p.Role, Deadline: p.Deadline}
	}
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(`SELECT party, code, kind, user_name, role, at, lines_sha256, carried_from FROM signoff_confirmations
WHERE year = ? AND version = ? ORDER BY party DESC, code`), year, version)
	if err != nil {
		return r, fmt.Errorf("sign-off of %d version %d: %w", year, version, err)
	}
	defer rows.Close()
	for rows.Next() {
		c := Confirmation{Year: year, Version: version}
		var party, kind string
		var at Instant
		if err := rows.Scan(&party, &c.Code, &kind, &c.User, &c.Role, &at, &c.LinesSHA256, &c.CarriedFrom); err != nil {
			return r, fmt.Errorf("sign-off of %d version %d: %w", year, version, err)
		}
		c.Party, c.Kind, c.At = SignoffParty(party), ConfirmationKind(kind), at.Time
		r.Confirmations = append(r.Confirmations, c)
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	var a struct {
		User string  `db:"user_name"`
		Role string  `db:"role"`
		At   Instant `db:"at"`
		SHA  string  `db:"sha256"`
	}
	err = db.pool.GetContext(ctx, &a, db.pool.Rebind(`SELECT user_name, role, at, sha256 FROM signoff_approvals WHERE year = ? AND version = ?`), year, version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return r, fmt.Errorf("sign-off of %d version %d: %w", year, version, err)
	default:
		r.Approval = &Approval{Year: year, Version: version, User: a.User, Role: a.Role, At: a.At.Time, SHA256: a.SHA}
	}
	r.Objections, err = db.Objections(ctx, ObjectionQuery{Year: year, UpToVersion: version})
	return r, err
}

// ObjectionQuery selects objections: Year (0: every year), Version (0:
// every version), UpToVersion (0: no limit), the line's provider, district
// or department ("" any), Status ("" any), ID (0 any).
type ObjectionQuery struct {
	Year, Version, UpToVersion int
	ProviderCode               string
	DistrictCode               string
	DepartmentCode             string
	Status                     ObjectionStatus
	ID                         int64
}

const objectionColumns = `id, year, version, party, code, user_name, role, at, provider_code, district_code, department_code, resource_id, item_code, reason,
evidence_name, evidence_sha256, evidence_size, status, resolved_by, resolved_role, resolved_at, resolution, closed_by_version`

// Objections lists the objections q selects, oldest first.
func (db *DB) Objections(ctx context.Context, q ObjectionQuery) ([]Objection, error) {
	var where []string
	var args []any
	for _, f := range []struct {
		frag string
		set  bool
		v    any
	}{
		{"year = ?", q.Year != 0, q.Year},
		{"version = ?", q.Version != 0, q.Version},
		{"version <= ?", q.UpToVersion != 0, q.UpToVersion},
		{"provider_code = ?", q.ProviderCode != "", q.ProviderCode},
		{"district_code = ?", q.DistrictCode != "", q.DistrictCode},
		{"department_code = ?", q.DepartmentCode != "", q.DepartmentCode},
		{"status = ?", q.Status != "", string(q.Status)},
		{"id = ?", q.ID != 0, q.ID},
	} {
		if f.set {
			where = append(where, f.frag)
			args = append(args, f.v)
		}
	}
	sqlText := `SELECT ` + objectionColumns + ` FROM signoff_objections`
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(sqlText+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("read objections: %w", err)
	}
	defer rows.Close()
	var out []Objection
	for rows.Next() {
		var o Objection
		var party, status string
		var at, resolved Instant
		if err := rows.Scan(&o.ID, &o.Year, &o.Version, &party, &o.Code, &o.User, &o.Role, &at, &o.ProviderCode, &o.DistrictCode, &o.DepartmentCode,
			&o.ResourceID, &o.ItemCode, &o.Reason, &o.EvidenceName, &o.EvidenceSHA256, &o.EvidenceSize, &status, &o.ResolvedBy, &o.ResolvedRole,
			&resolved, &o.Resolution, &o.ClosedByVersion); err != nil {
			return nil, fmt.Errorf("read objections: %w", err)
		}
		o.Party, o.Status, o.At, o.ResolvedAt = SignoffParty(party), ObjectionStatus(status), at.Time, resolved.Time
		out = append(out, o)
	}
	return out, rows.Err()
}

// Objection reads one objection; ErrNoObjection when there is none.
func (db *DB) Objection(ctx context.Context, id int64) (Objection, error) {
	os, err := db.Objections(ctx, ObjectionQuery{ID: id})
	if err != nil {
		return Objection{}, err
	}
	if len(os) == 0 {
		return Objection{}, fmt.Errorf("objection %d: %w", id, ErrNoObjection)
	}
	return os[0], nil
}

// Evidence reads the evidence file of objection id (nil when it has
// none).
func (db *DB) Evidence(ctx context.Context, id int64) ([]byte, error) {
	var body []byte
	err := db.pool.GetContext(ctx, &body, db.pool.Rebind(`SELECT body FROM signoff_evidence WHERE objection_id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the evidence of objection %d: %w", id, err)
	}
	return body, nil
}

// OpenPublications lists the publications of draft versions that are
// their year's latest and not approved: those whose windows may lapse.
func (db *DB) OpenPublications(ctx context.Context) ([]Publication, error) {
	rows, err := db.pool.QueryContext(ctx, `SELECT p.year, p.version, p.published_at, p.user_name, p.role, p.deadline FROM signoff_publications p
JOIN statements s ON s.year = p.year AND s.version = p.version
WHERE s.status = 'draft' AND NOT EXISTS (SELECT 1 FROM statements n WHERE n.year = p.year AND n.version > p.version)
AND NOT EXISTS (SELECT 1 FROM signoff_approvals a WHERE a.year = p.year AND a.version = p.version)
ORDER BY p.year, p.version`)
	if err != nil {
		return nil, fmt.Errorf("read open publications: %w", err)
	}
	defer rows.Close()
	var out []Publication
	for rows.Next() {
		var p Publication
		var at Instant
		if err := rows.Scan(&p.Year, &p.Version, &at, &p.User, &p.Role, &p.Deadline); err != nil {
			return nil, fmt.Errorf("read open publications: %w", err)
		}
		p.PublishedAt = at.Time
		out = append(out, p)
	}
	return out, rows.Err()
}
