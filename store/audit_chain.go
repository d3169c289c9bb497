package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// AuditGenesis is the PrevSHA256 of the first row of the chain: 64 zeros.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// auditTimeLayout writes an instant in the canonical encoding: UTC, RFC
// 3339 with nine fractional digits, always the same width.
const auditTimeLayout = "2006-01-02T15:04:05.000000000Z"

// AuditCanonical is the canonical encoding of an audit row that its
// SHA256 is the hash of (docs/audit.md): the line "cloudbill-audit-v1",
// then each field as its length in bytes (decimal), ":", its UTF-8
// bytes and "\n", in this order: id, at (auditTimeLayout), user, role,
// action, year, subject, remote address, detail, prev_sha256. Migration
// 0040 builds the same bytes in SQL for the rows that existed before the
// chain.
func AuditCanonical(e AuditEntry) []byte {
	b := []byte("cloudbill-audit-v1\n")
	for _, f := range []string{
		strconv.FormatInt(e.ID, 10), e.At.UTC().Format(auditTimeLayout), e.User, e.Role, string(e.Action),
		strconv.Itoa(e.Year), e.Subject, e.RemoteAddr, e.Detail, e.PrevSHA256,
	} {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, '\n')
	}
	return b
}

// AuditSHA256 is the lower-case hex SHA-256 of AuditCanonical(e).
func AuditSHA256(e AuditEntry) string {
	sum := sha256.Sum256(AuditCanonical(e))
	return hex.EncodeToString(sum[:])
}

// AuditVerification is what VerifyAudit found: how many rows it checked,
// the last good row, and the first broken one (nil when none is).
type AuditVerification struct {
	Rows   int64
	Last   AuditEntry
	Broken *AuditBreak
}

// AuditBreak names the first row whose hashes do not hold.
type AuditBreak struct {
	ID int64
	At time.Time
	// Field is the hash that differs: "prev_sha256" (it is not the sha256
	// of the row before: that row was rewritten, or rows were deleted or
	// inserted between) or "sha256" (it is not the hash of the row's own
	// content: the row was rewritten).
	Field    string
	Stored   string // the value the row carries
	Computed string // what the chain says it should be
	PrevID   int64  // the row before (0 for none)
}

func (b *AuditBreak) Error() string {
	if b.Field == "prev_sha256" {
		before := "the chain's start (" + AuditGenesis[:8] + "…)"
		if b.PrevID > 0 {
			before = fmt.Sprintf("the sha256 of row %d", b.PrevID)
		}
		return fmt.Sprintf("audit row %d (%s): prev_sha256 %s is not %s, %s: a row before it was changed, deleted or inserted behind the system's back",
			b.ID, b.At.Format(time.RFC3339Nano), b.Stored, before, b.Computed)
	}
	return fmt.Sprintf("audit row %d (%s): sha256 %s is not the hash of its content, %s: the row was changed behind the system's back",
		b.ID, b.At.Format(time.RFC3339Nano), b.Stored, b.Computed)
}

// VerifyAudit recomputes the whole chain in id order and stops at the
// first broken row. It reads in one statement: appends made meanwhile are
// not checked (nor broken).
func (db *DB) VerifyAudit(ctx context.Context) (AuditVerification, error) {
	var v AuditVerification
	prev := AuditEntry{SHA256: AuditGenesis}
	err := db.eachAudit(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY id`, nil, func(e AuditEntry) error {
		switch {
		case e.PrevSHA256 != prev.SHA256:
			v.Broken = &AuditBreak{ID: e.ID, At: e.At, Field: "prev_sha256", Stored: e.PrevSHA256, Computed: prev.SHA256, PrevID: prev.ID}
		case AuditSHA256(e) != e.SHA256:
			v.Broken = &AuditBreak{ID: e.ID, At: e.At, Field: "sha256", Stored: e.SHA256, Computed: AuditSHA256(e), PrevID: prev.ID}
		}
		if v.Broken != nil {
			return errStopAudit
		}
		v.Rows++
		v.Last, prev = e, e
		return nil
	})
	if err != nil && err != errStopAudit {
		return v, err
	}
	return v, nil
}

var errStopAudit = fmt.Errorf("stop")
