package app

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

// The results as the command line prints them: a summary of one or a few
// lines each, as IngestSummary.String and FileReport.String are.

// String says which version the settlement stored (or that the latest
// already holds the same lines), its totals and the providers' scores.
func (r SettleResult) String() string {
	st := r.Statement
	if !r.Saved {
		return fmt.Sprintf("settlement %d unchanged: version %d already holds these %d lines (sha256 %s)", st.Year, st.Version, len(st.Lines), st.SHA256)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "settlement %d version %d (draft): %d lines, %d departments, %d districts, gross %s 元, net %s 元\nsha256 %s",
		st.Year, st.Version, len(st.Lines), len(st.Departments), len(st.Districts), st.Gross.StringFixed(2), st.Net.StringFixed(2), st.SHA256)
	for _, e := range st.Providers {
		fmt.Fprintf(&b, "\nprovider %s: annual score %s, coefficient %s", e.ProviderCode, e.Annual.StringFixed(4), e.Coefficient.StringFixed(2))
	}
	return b.String()
}

// String lists the changed lines as tab-separated columns under a header,
// between a line naming the versions and one with the totals.
func (d DiffResult) String() string {
	older, newer := d.Older, d.Newer
	var b strings.Builder
	fmt.Fprintf(&b, "settlement %d: version %d → %d, %d line(s) changed\n", newer.Year, older.Version, newer.Version, len(d.Changes))
	b.WriteString("change\tprovider\tresource\titem\tbillable_days\tquantity_days\tgross\tdelta\n")
	for _, ch := range d.Changes {
		l := ch.New
		if ch.Kind == billing.ChangeRemoved {
			l = ch.Old
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%d→%d\t%s→%s\t%s→%s\t%s\n", ch.Kind, l.ProviderCode, l.ResourceID, l.ItemCode,
			ch.Old.BillableDays, ch.New.BillableDays, ch.Old.QuantityDays, ch.New.QuantityDays, ch.Old.Gross.StringFixed(2), ch.New.Gross.StringFixed(2), ch.Delta().StringFixed(2))
	}
	fmt.Fprintf(&b, "gross %s → %s (%s), net %s → %s (%s)", older.Gross.StringFixed(2), newer.Gross.StringFixed(2), newer.Gross.Sub(older.Gross).StringFixed(2),
		older.Net.StringFixed(2), newer.Net.StringFixed(2), newer.Net.Sub(older.Net).StringFixed(2))
	return b.String()
}

// String names each archive file with its rows and checksum, then says
// where the checksums are and how to restore the rows.
func (r ArchiveResult) String() string {
	var b strings.Builder
	var names []string
	for _, f := range r.Files {
		names = append(names, f.Name)
		fmt.Fprintf(&b, "%s: %d %s rows of %d, sha256 %s\n", f.Name, f.Rows, f.Kind, r.Year, f.SHA256)
	}
	fmt.Fprintf(&b, "archived %d: the rows are out of the database, statements, findings and summaries kept; checksums in %s (sha256sum -c); restore with: cloudbill ingest %s",
		r.Year, r.Sums, strings.Join(names, " "))
	return b.String()
}

// Summary says what the load of dir read and which tables it changed.
func (r LoadResult) Summary(dir string) string {
	ref := r.Set
	var b strings.Builder
	fmt.Fprintf(&b, "loaded %s: %d districts, %d departments, %d providers, %d systems, %d resources, %d price versions, %d events, %d scores, %d calendar days\n",
		dir, len(ref.Districts), len(ref.Departments), len(ref.Providers), len(ref.Systems), len(ref.Resources), len(ref.Catalogue), len(ref.Events), len(ref.Scores), len(ref.Calendar))
	if len(ref.Budgets) > 0 {
		fmt.Fprintf(&b, "budgets: %d rows\n", len(ref.Budgets))
	}
	if changed := r.Changed(); len(changed) > 0 {
		b.WriteString("new or changed rows: " + strings.Join(changed, ", "))
	} else {
		b.WriteString("nothing new: the database already holds this data set")
	}
	return b.String()
}

// FindingsSummary counts found as of asOf, in all and by kind.
func FindingsSummary(found []evaluation.Finding, asOf metering.Date) string {
	byKind := map[evaluation.FindingKind]int{}
	for _, f := range found {
		byKind[f.Kind]++
	}
	line := fmt.Sprintf("%d findings as of %s", len(found), asOf)
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		line += fmt.Sprintf("; %s %d", k, byKind[k])
	}
	return line
}

// RunSummary is a run of a job on one line: skipped and why, or its
// status, duration, id, scope and counts.
func RunSummary(run store.JobRun) string {
	if run.Status == store.JobStatusSkipped {
		return fmt.Sprintf("%s skipped: %s", run.Job, run.Error)
	}
	line := fmt.Sprintf("%s %s in %s (run %d, %s)", run.Job, run.Status, run.Duration().Round(1e6), run.ID, run.Scope)
	for _, k := range SortedKeys(run.Counts) {
		line += " " + k + "=" + strconv.FormatInt(run.Counts[k], 10)
	}
	return line
}

// Text is the demo's summary of year and the documents it wrote.
func (s DemoSummary) Text(year int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "summary %d: %d resources, %d statement lines, city total %s 元 gross, %s 元 net (statement version %d, issued), %d findings\ndocuments:",
		year, s.Resources, s.Lines, s.Gross, s.Net, s.Version, s.Findings)
	for _, p := range s.Files {
		b.WriteString("\n  " + p)
	}
	return b.String()
}

// loadTables are the tables a load writes, in the order a summary names
// them.
var loadTables = []string{"districts", "departments", "providers", "systems", "resources", "catalogue", "events", "scores", "calendar", "budgets", store.BudgetsDropped}

// Changed names the tables the load wrote rows into, with how many, as in
// "resources 12", and the budgets it dropped ("budgets dropped 3": those of
// a year the new budgets.csv restates without them); none when the
// database already held the set.
func (r LoadResult) Changed() []string {
	var changed []string
	for _, t := range loadTables {
		if r.Counts[t] > 0 {
			changed = append(changed, fmt.Sprintf("%s %d", t, r.Counts[t]))
		}
	}
	return changed
}

// table lays rows out in columns two spaces apart under header, as the
// listings print them (text/tabwriter), without the last line's end.
func table(header string, tabWidth int, rows func(w io.Writer)) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, tabWidth, 2, ' ', 0)
	fmt.Fprintln(w, header)
	rows(w)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// VersionTable lists a year's statement versions, a row each: status (and
// what superseded it), created and issued in Asia/Shanghai, lines, totals,
// fingerprint.
type VersionTable []StatementVersion

func (vs VersionTable) String() string {
	return table("VERSION\tSTATUS\tCREATED (Asia/Shanghai)\tISSUED\tLINES\tGROSS\tNET\tSHA256", 0, func(w io.Writer) {
		for _, v := range vs {
			issued := "-"
			if !v.IssuedAt.IsZero() {
				issued = v.IssuedAt.In(metering.Shanghai).Format("2006-01-02 15:04:05")
			}
			status := string(v.Status)
			if v.SupersededBy > 0 {
				status += fmt.Sprintf(" (by %d)", v.SupersededBy)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", v.Version, status, v.CreatedAt.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
				issued, v.Lines, v.Gross.StringFixed(2), v.Net.StringFixed(2), v.SHA256)
		}
	})
}

// JobTable lists job runs, a row each: started in Asia/Shanghai, how long
// it took, status, scope, the counts that are not zero, the error.
type JobTable []store.JobRun

func (runs JobTable) String() string {
	if len(runs) == 0 {
		return "no job runs recorded"
	}
	return table("RUN\tJOB\tSTARTED (Asia/Shanghai)\tDURATION\tSTATUS\tSCOPE\tCOUNTS\tERROR", 0, func(w io.Writer) {
		for _, r := range runs {
			dur := "-"
			if !r.FinishedAt.IsZero() {
				dur = r.Duration().Round(time.Millisecond).String()
			}
			var counts []string
			for _, k := range SortedKeys(r.Counts) {
				if r.Counts[k] != 0 { // zeros are the rule: keep the row readable
					counts = append(counts, fmt.Sprintf("%s=%d", k, r.Counts[k]))
				}
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Job, r.StartedAt.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
				dur, r.Status, r.Scope, strings.Join(counts, " "), oneLine(r.Error))
		}
	})
}

// oneLine keeps an error message on its table row: one line, at most
// 200 characters (cut between characters, never inside one).
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:197]) + "..."
	}
	return s
}

// UserTable lists the portal's accounts, a row each: role, scope (the
// district, department or provider), created (UTC), enabled or disabled.
type UserTable []store.User

func (us UserTable) String() string {
	return table("NAME\tROLE\tSCOPE\tCREATED\tSTATUS", 4, func(w io.Writer) {
		for _, u := range us {
			status := "enabled"
			if u.Disabled() {
				status = "disabled " + u.DisabledAt.UTC().Format("2006-01-02T15:04:05Z")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, u.DistrictCode+u.DepartmentCode+u.ProviderCode, u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), status)
		}
	})
}

// Line is the summary an ingest ends with: what it did (as "ingested")
// with how many files, then the counts.
func (s IngestSummary) Line(did string) string {
	return fmt.Sprintf("%s %d files (%d already ingested, %d unreadable): %s", did, s.Files, s.Skipped, s.Failed, s)
}

// LogAttrs are the summary's counts as log attributes.
func (s IngestSummary) LogAttrs() []any {
	return []any{"files", s.Files, "already_ingested", s.Skipped, "unreadable", s.Failed,
		"read", s.Read, "new", s.Accepted, "replaced", s.Replaced, "unchanged", s.Unchanged,
		"repeated", s.Duplicates, "rejected", s.Rejected, "not_yet_billable", s.NotYetBillable, "retried", s.Retried}
}

// VersionStatus is the status of a statement version as a report names
// it: draft, issued, or superseded by which version.
func VersionStatus(st *billing.Statement) string {
	if st.SupersededBy > 0 {
		return fmt.Sprintf("superseded by version %d", st.SupersededBy)
	}
	return string(st.Status)
}

// OverBudgetNote warns, when the forecast of the period's year exceeds
// budgets, of the over_budget findings stored; "" when it exceeds none.
func (r PeriodResult) OverBudgetNote(year int) string {
	if r.OverBudget <= 0 {
		return ""
	}
	return fmt.Sprintf("%d budget(s) of %d forecast to be exceeded: over_budget findings (findings-%d.csv)", r.OverBudget, year, year)
}

// AuditTable lists audit entries, a row each: time in Asia/Shanghai, user,
// role, action, year, subject, detail ("-" for none).
type AuditTable []store.AuditEntry

func (es AuditTable) String() string {
	if len(es) == 0 {
		return "no audit entries"
	}
	dash := func(s string) string {
		if s == "" || s == "0" {
			return "-"
		}
		return s
	}
	return table("ID\tTIME (Asia/Shanghai)\tUSER\tROLE\tACTION\tYEAR\tSUBJECT\tDETAIL", 0, func(w io.Writer) {
		for _, e := range es {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
				e.User, dash(e.Role), e.Action, dash(fmt.Sprint(e.Year)), dash(e.Subject), oneLine(e.Detail))
		}
	})
}

// String is the sign-off of a version as cloudbill signoff prints it: the
// publication and its window, a row per provider and district, the
// objections with their outcome, the approval (or what it lacks) and the
// issue.
func (v SignoffView) String() string {
	var b strings.Builder
	stamp := func(u, role string, t time.Time) string {
		return fmt.Sprintf("%s (%s) %s", u, role, t.In(metering.Shanghai).Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(&b, "settlement %d version %d (%s), sha256 %s\n", v.Year, v.Version, v.Status, v.SHA256)
	if p := v.Publication; p != nil {
		fmt.Fprintf(&b, "published %s; window until %s (open: %t)\n", stamp(p.User, p.Role, p.PublishedAt), v.Deadline, v.WindowOpen)
	}
	fmt.Fprintf(&b, "%-9s %-8s %-10s %s\n", "PARTY", "CODE", "STATE", "OBJECTIONS (OPEN), BY")
	for _, s := range append(append([]PartyState(nil), v.Providers...), v.Districts...) {
		by := "-"
		if !s.At.IsZero() {
			by = strings.Replace(stamp(s.User, s.Role, s.At), " () ", "lapse ", 1)
		}
		if s.CarriedFrom > 0 {
			by += fmt.Sprintf(", carried from version %d", s.CarriedFrom)
		}
		fmt.Fprintf(&b, "%-9s %-8s %-10s %d (%d), %s\n", s.Party, s.Code, s.State, s.Objections, s.Open, by)
	}
	for _, o := range v.Objections {
		outcome := string(o.Status)
		if o.Status != store.ObjectionOpen {
			outcome += fmt.Sprintf(" by %s: %s", stamp(o.ResolvedBy, o.ResolvedRole, o.ResolvedAt), o.Resolution)
		}
		if o.ClosedByVersion > 0 {
			outcome += fmt.Sprintf("; closed by version %d", o.ClosedByVersion)
		}
		fmt.Fprintf(&b, "objection %d v%d %s/%s by %s: %s [%s]\n", o.ID, o.Version, o.ResourceID, o.ItemCode, stamp(o.User, o.Role, o.At), o.Reason, outcome)
	}
	switch {
	case v.Approval != nil:
		fmt.Fprintf(&b, "approved %s\n", stamp(v.Approval.User, v.Approval.Role, v.Approval.At))
	case v.Status == "draft":
		fmt.Fprintf(&b, "approvable: %t %s\n", v.Approvable, strings.Join(v.Missing, "; "))
	}
	if i := v.Issue; i != nil {
		without := ""
		if i.WithoutSignoff != "" {
			without = " without sign-off: " + i.WithoutSignoff
		}
		fmt.Fprintf(&b, "issued %s%s\n", stamp(i.User, i.Role, i.At), without)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
