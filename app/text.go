package app

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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
var loadTables = []string{"districts", "departments", "providers", "systems", "resources", "catalogue", "events", "scores", "calendar", "budgets"}

// Changed names the tables the load wrote rows into, with how many, as in
// "resources 12"; none when the database already held the set.
func (r LoadResult) Changed() []string {
	var changed []string
	for _, t := range loadTables {
		if r.Counts[t] > 0 {
			changed = append(changed, fmt.Sprintf("%s %d", t, r.Counts[t]))
		}
	}
	return changed
}
