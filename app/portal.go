package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

// The review portal's read use cases (docs/portal.md). They take the
// filters the portal's scope computed; they never decide who may see what.

// ErrNotFound is a page, line or file that does not exist (or, to the
// portal, one outside the reader's scope: it answers both the same way).
var ErrNotFound = errors.New("not found")

// VersionInput names a year's statement version; 0 means the latest
// issued version, else the latest draft.
type VersionInput struct {
	Year    int
	Version int
}

// Validate checks the year and the version number.
func (in VersionInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	if in.Version < 0 {
		return &InputError{Field: "version", Reason: fmt.Sprintf("%d is not a version number", in.Version)}
	}
	return nil
}

// StatementVersion resolves in to one version of the year and lists all
// of them, newest first. ErrNotFound when the year has no such version.
func (a *App) StatementVersion(ctx context.Context, in VersionInput) (store.StatementVersion, []store.StatementVersion, error) {
	if err := in.Validate(); err != nil {
		return store.StatementVersion{}, nil, err
	}
	vs, err := a.DB.StatementVersionList(ctx, in.Year)
	if err != nil {
		return store.StatementVersion{}, nil, err
	}
	for _, v := range vs {
		if in.Version == v.Version || in.Version == 0 && v.Status == billing.StatementStatusIssued {
			return v, vs, nil
		}
	}
	if in.Version == 0 && len(vs) > 0 {
		return vs[0], vs, nil
	}
	return store.StatementVersion{}, vs, fmt.Errorf("statement %d version %d: %w", in.Year, in.Version, ErrNotFound)
}

// StatementHead reads a version's totals, district and department rows
// and evaluations, without its lines.
func (a *App) StatementHead(ctx context.Context, year, version int) (*billing.Statement, error) {
	return a.DB.StatementHead(ctx, year, version)
}

// Names reads the names of districts, departments and providers.
func (a *App) Names(ctx context.Context) (store.Names, error) { return a.DB.PortalNames(ctx) }

// Items reads the latest price version of each catalogue item, by code.
func (a *App) Items(ctx context.Context) (map[string]billing.PriceVersion, error) {
	return a.DB.CatalogueItems(ctx)
}

// Lines reads the lines of a version that f selects.
func (a *App) Lines(ctx context.Context, year, version int, f store.LineFilter) ([]store.PortalLine, error) {
	return a.DB.StatementLines(ctx, year, version, f)
}

// LineDay is one day of a line: what was metered, what was approved,
// whether the day is in the billing window, and what was billable.
type LineDay struct {
	Day      metering.Date
	Metered  decimal.NullDecimal
	Approved decimal.NullDecimal
	InWindow bool
	Billable decimal.Decimal // min(metered, approved) inside the window, else 0
}

// Excess is the metered quantity above the approval (0 when none).
func (d LineDay) Excess() decimal.Decimal {
	if !d.Metered.Valid || !d.InWindow {
		return decimal.Zero
	}
	return d.Metered.Decimal.Sub(d.Billable)
}

// Gap reports a day inside the window with an approval but no usage row.
func (d LineDay) Gap() bool { return d.InWindow && d.Approved.Valid && !d.Metered.Valid }

// LineDetail is everything a line's page shows: the line and its runs,
// where its resource sits, the lifecycle events, the billing window with
// its confirmation letter, every day of the year, and the findings of the
// resource.
type LineDetail struct {
	Year       int
	Line       store.PortalLine
	Place      evaluation.Place
	Events     []metering.Event
	Confirmed  metering.NullDate
	ConfirmRef string // the confirmation letter's reference
	Released   metering.NullDate
	ReleaseRef string
	Days       []LineDay
	Findings   []evaluation.Finding
	Versions   []billing.PriceVersion // the item's price versions
}

// Item is the latest price version of the line's item (its name, unit
// and category); zero when the catalogue has none.
func (d LineDetail) Item() billing.PriceVersion {
	if len(d.Versions) == 0 {
		return billing.PriceVersion{}
	}
	return d.Versions[len(d.Versions)-1]
}

// Line reads the line (resource, item) of a version; ErrNotFound when the
// version has no such line.
func (a *App) Line(ctx context.Context, year, version int, resource, item string) (LineDetail, error) {
	d := LineDetail{Year: year}
	l, ok, err := a.DB.StatementLine(ctx, year, version, resource, item)
	if err != nil {
		return d, err
	}
	if !ok {
		return d, fmt.Errorf("line %s %s of %d v%d: %w", resource, item, year, version, ErrNotFound)
	}
	d.Line = l
	d.Place = evaluation.Place{ResourceID: l.ResourceID, SystemID: l.SystemID, DepartmentCode: l.DepartmentCode, DistrictCode: l.DistrictCode, ProviderCode: l.ProviderCode, Kind: l.Kind}
	if d.Events, err = a.DB.ResourceEvents(ctx, resource); err != nil {
		return d, err
	}
	for _, e := range d.Events {
		switch e.Kind {
		case metering.EventConfirmed:
			if !d.Confirmed.Valid || e.Day < d.Confirmed.Date {
				d.Confirmed, d.ConfirmRef = metering.NullDate{Date: e.Day, Valid: true}, e.Ref
			}
		case metering.EventReleased:
			if !d.Released.Valid || e.Day < d.Released.Date {
				d.Released, d.ReleaseRef = metering.NullDate{Date: e.Day, Valid: true}, e.Ref
			}
		}
	}
	from, to := metering.YearStart(year), metering.YearEnd(year).AddDays(-1)
	usage, err := a.DB.UsageDays(ctx, resource, item, from, to)
	if err != nil {
		return d, err
	}
	var life billing.Lifecycle
	if ls := billing.Lifecycles(d.Events); len(ls) == 1 {
		life = ls[0]
	}
	wFrom, wTo, wOK := life.Window()
	d.Days = make([]LineDay, 0, to.Sub(from)+1)
	for day := from; day <= to; day++ {
		ld := LineDay{Day: day, InWindow: wOK && day >= wFrom && day < wTo}
		for len(usage) > 0 && usage[0].Day < day { // usage is in day order
			usage = usage[1:]
		}
		if len(usage) > 0 && usage[0].Day == day {
			ld.Metered = decimal.NullDecimal{Decimal: usage[0].Quantity, Valid: true}
		}
		for _, ap := range life.Approvals {
			if ap.ItemCode == item && day >= ap.From && day < ap.To {
				ld.Approved = decimal.NullDecimal{Decimal: ap.Quantity, Valid: true}
			}
		}
		if ld.InWindow && ld.Metered.Valid && ld.Approved.Valid {
			ld.Billable = billing.Billable(ld.Metered.Decimal, ld.Approved.Decimal)
		}
		d.Days = append(d.Days, ld)
	}
	if d.Findings, err = a.DB.FindingsOf(ctx, from, to, store.FindingFilter{ResourceID: resource}); err != nil {
		return d, err
	}
	if d.Versions, err = a.DB.ItemPriceVersions(ctx, item); err != nil {
		return d, err
	}
	return d, nil
}

// DayDetail is one day of a line: the day, the price in force, the day's
// exact amount (billable × price ÷ cycle days), the run it belongs to and
// the resource's activity that day.
type DayDetail struct {
	LineDay
	Price    billing.PriceVersion
	HasPrice bool
	Amount   *big.Rat
	Run      int // index in the line's runs, -1 when the day bills nothing
	Activity metering.Activity
	Active   bool
}

// LineDay picks one day of a line's detail, with the resource's activity
// that day; ErrNotFound for a day outside the line's year.
func (a *App) LineDay(ctx context.Context, d LineDetail, day metering.Date) (DayDetail, error) {
	out := DayDetail{Run: -1, Amount: new(big.Rat)}
	i := day.Sub(metering.YearStart(d.Year))
	if i < 0 || i >= len(d.Days) {
		return out, fmt.Errorf("day %s: %w", day, ErrNotFound)
	}
	out.LineDay = d.Days[i]
	for _, v := range d.Versions {
		if v.InForce(day) {
			out.Price, out.HasPrice = v, true
		}
	}
	if out.HasPrice && out.Billable.IsPositive() {
		out.Amount.Mul(out.Billable.Rat(), out.Price.Price.Rat())
		out.Amount.Quo(out.Amount, new(big.Rat).SetInt64(int64(out.Price.Cycle.Days(day))))
		for j, r := range d.Line.Runs {
			if r.Quantity.Equal(out.Billable) && r.EffectiveFrom == out.Price.EffectiveFrom && (r.Month == 0 || r.Month == int(day.Month())) {
				out.Run = j
				break
			}
		}
	}
	var err error
	out.Activity, out.Active, err = a.DB.ActivityOn(ctx, d.Line.ResourceID, day)
	return out, err
}

// Findings reads the stored findings of year that f selects, and the
// date they are as of (false when never computed).
func (a *App) Findings(ctx context.Context, year int, f store.FindingFilter) ([]evaluation.Finding, metering.NullDate, error) {
	if err := ValidateYear(year); err != nil {
		return nil, metering.NullDate{}, err
	}
	asOf, ok, err := a.DB.FindingsAsOf(ctx)
	if err != nil {
		return nil, metering.NullDate{}, err
	}
	fs, err := a.DB.FindingsOf(ctx, metering.YearStart(year), metering.YearEnd(year).AddDays(-1), f)
	return fs, metering.NullDate{Date: asOf, Valid: ok}, err
}

// FindingTotals counts the stored findings of year that f selects and
// adds up the amounts of those of the kinds sum (the district and
// department pages).
func (a *App) FindingTotals(ctx context.Context, year int, f store.FindingFilter, sum ...evaluation.FindingKind) (store.FindingTotals, error) {
	if err := ValidateYear(year); err != nil {
		return store.FindingTotals{}, err
	}
	return a.DB.FindingTotalsOf(ctx, metering.YearStart(year), metering.YearEnd(year).AddDays(-1), f, sum...)
}

// EvaluationView is what the evaluation page shows: the providers'
// evaluations stored with the statement version, the score rows they were
// computed from, the SLA obligations of the year and the policy text.
type EvaluationView struct {
	Providers   []billing.ProviderEvaluation
	Scores      []evaluation.Score
	Obligations []evaluation.Obligation
	AsOf        metering.Date
	Policy      string
}

// Evaluation reads the evaluation of a statement version.
func (a *App) Evaluation(ctx context.Context, st *billing.Statement) (EvaluationView, error) {
	v := EvaluationView{Providers: st.Providers, Policy: st.Policy, AsOf: a.ReportAsOf(st.Year)}
	var err error
	if v.Scores, err = a.DB.EvaluationScores(ctx, st.Year); err != nil {
		return v, err
	}
	v.Obligations, err = a.YearObligations(ctx, st.Year, v.AsOf)
	return v, err
}

// ReportCache keeps the documents of each statement version as
// `cloudbill report` writes them, rendered once into a folder of Dir per
// version and state of the inputs (store.DB.DataStamp and the report's
// as-of date): a new ingest, load or findings refresh renders them again.
type ReportCache struct {
	App  *App
	Dir  string
	Font string // "" means $CLOUDBILL_FONT, else a standard place

	mu      sync.Mutex
	folders map[string]*reportFolder
}

type reportFolder struct {
	once  sync.Once
	err   error
	files []string
}

// Folder returns the folder holding the documents of version of year,
// rendering them first when the cache has none for the current inputs,
// and the names of the files in it.
func (c *ReportCache) Folder(ctx context.Context, year, version int) (string, []string, error) {
	stamp, err := c.App.DB.DataStamp(ctx)
	if err != nil {
		return "", nil, err
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%d %d %s %s", year, version, c.App.ReportAsOf(year), stamp)))
	prefix := fmt.Sprintf("%d-v%d-", year, version)
	name := prefix + hex.EncodeToString(h[:6])
	dir := filepath.Join(c.Dir, name)
	c.mu.Lock()
	if c.folders == nil {
		c.folders = map[string]*reportFolder{}
	}
	f := c.folders[name]
	if f == nil {
		f = &reportFolder{}
		c.folders[name] = f
	}
	c.mu.Unlock()
	f.once.Do(func() {
		f.files, f.err = c.render(ctx, year, version, dir, prefix, name)
	})
	if f.err != nil {
		c.mu.Lock()
		delete(c.folders, name) // try again on the next request
		c.mu.Unlock()
	}
	return dir, f.files, f.err
}

func (c *ReportCache) render(ctx context.Context, year, version int, dir, prefix, name string) ([]string, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
			return fileNames(entries), nil
		}
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if _, err := c.App.Report(context.WithoutCancel(ctx), ReportInput{Year: year, Version: version, Out: tmp, Font: c.Font}); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return nil, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	// Older renderings of the same version are out of date.
	if old, err := os.ReadDir(c.Dir); err == nil {
		for _, e := range old {
			if strings.HasPrefix(e.Name(), prefix) && e.Name() != name && !strings.HasSuffix(e.Name(), ".tmp") {
				os.RemoveAll(filepath.Join(c.Dir, e.Name()))
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return fileNames(entries), nil
}

func fileNames(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// JobRuns lists the job history, newest first (the office's page).
func (a *App) JobRuns(ctx context.Context, limit int) ([]store.JobRun, error) {
	return a.DB.JobRuns(ctx, store.JobRunFilter{Limit: limit})
}

// Rejects lists up to limit rejected metering rows (unresolved unless all)
// and how many there are.
func (a *App) Rejects(ctx context.Context, all bool, limit int) ([]store.Reject, int, error) {
	var out []store.Reject
	n := 0
	err := a.DB.Rejects(ctx, store.RejectFilter{All: all}, func(r store.Reject) error {
		n++
		if len(out) < limit {
			out = append(out, r)
		}
		return nil
	})
	return out, n, err
}

// AuditTrail lists the portal's audit trail, newest first.
func (a *App) AuditTrail(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return a.DB.Audit(ctx, f)
}

// InboxFile is one file of the inbox or of its done/ and failed/ folders;
// Reason is the NAME.reason beside a failed file.
type InboxFile struct {
	Folder  string // "", "done" or "failed"
	Name    string
	Size    int64
	ModTime time.Time
	Reason  string
}

// Inbox lists the files waiting in the inbox folder dir, those done and
// those failed with their reasons, each newest first (at most limit per
// folder).
func Inbox(dir string, limit int) ([]InboxFile, error) {
	var out []InboxFile
	for _, sub := range []string{"", "done", "failed"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("inbox: %w", err)
		}
		var files []InboxFile
		for _, e := range entries {
			if e.IsDir() || strings.HasSuffix(e.Name(), ".reason") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			f := InboxFile{Folder: sub, Name: e.Name(), Size: info.Size(), ModTime: info.ModTime()}
			if sub == "failed" {
				if b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()+".reason")); err == nil {
					f.Reason = strings.TrimSpace(string(b))
				}
			}
			files = append(files, f)
		}
		sort.Slice(files, func(i, j int) bool { return files[i].ModTime.After(files[j].ModTime) })
		if len(files) > limit {
			files = files[:limit]
		}
		out = append(out, files...)
	}
	return out, nil
}
