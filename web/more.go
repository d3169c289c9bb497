package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

type kindSum struct {
	Kind   evaluation.FindingKind
	Count  int
	Days   int
	Amount decimal.Decimal
}

type findingRow struct {
	evaluation.Finding
	DistrictName, DepartmentName string
	Href                         string
}

type findingsData struct {
	AsOf     metering.NullDate
	Kinds    []kindSum
	KindsSum kindSum
	Rows     []findingRow
	Total    decimal.Decimal
	Days     int
	Filter   store.FindingFilter
	Kind     string
	Chart    string
	Idle     decimal.Decimal
	Truncate bool
}

// findings is /findings/Y: the resource-use findings of the user's
// district or department (the city's for finance and office), per kind;
// ?district=, ?department= and ?kind= narrow the list.
func (s *Server) findings(q *request) error {
	if !q.scope.Findings() {
		return app.ErrNotFound
	}
	v := &view{}
	st, names, err := s.statement(q, v)
	if err != nil {
		return err
	}
	f := q.scope.FindingFilter()
	qs := q.r.URL.Query()
	if p := qs.Get("district"); p != "" {
		if !q.scope.DistrictPage(p) {
			return fmt.Errorf("findings of district %s: %w", p, app.ErrNotFound)
		}
		f.DistrictCode = p
	}
	if p := qs.Get("department"); p != "" {
		if dep, ok := names.Departments[p]; !ok || !q.scope.DepartmentPage(p, dep.DistrictCode) {
			return fmt.Errorf("findings of department %s: %w", p, app.ErrNotFound)
		}
		f.DepartmentCode = p
	}
	fs, asOf, err := s.app.Findings(q.r.Context(), st.Year, f)
	if err != nil {
		return err
	}
	d := findingsData{AsOf: asOf, Filter: f, Kind: qs.Get("kind")}
	by := map[evaluation.FindingKind]*kindSum{}
	for _, fd := range fs {
		if !q.scope.Allows(fd.DistrictCode, fd.DepartmentCode, "") {
			continue
		}
		ks := by[fd.Kind]
		if ks == nil {
			ks = &kindSum{Kind: fd.Kind}
			by[fd.Kind] = ks
		}
		ks.Count++
		ks.Days += fd.Days
		ks.Amount = ks.Amount.Add(fd.Amount)
		if d.Kind != "" && string(fd.Kind) != d.Kind {
			continue
		}
		r := findingRow{Finding: fd, DistrictName: names.Districts[fd.DistrictCode], DepartmentName: names.Departments[fd.DepartmentCode].Name}
		switch {
		case fd.ResourceID != "" && fd.ItemCode != "":
			r.Href = fmt.Sprintf("/statements/%d/lines/%s/%s%s", st.Year, url.PathEscape(fd.ResourceID), url.PathEscape(fd.ItemCode), v.VQ())
		default:
			r.Href = fmt.Sprintf("/statements/%d/departments/%s%s#sys-%s", st.Year, url.PathEscape(fd.DepartmentCode), v.VQ(), url.PathEscape(fd.SystemID))
		}
		d.Rows = append(d.Rows, r)
		d.Total = d.Total.Add(fd.Amount)
		d.Days += fd.Days
	}
	for _, k := range []evaluation.FindingKind{evaluation.FindingIdle, evaluation.FindingZombie, evaluation.FindingBeyondApproval,
		evaluation.FindingUnconfirmed, evaluation.FindingAfterRelease, evaluation.FindingGap} {
		if ks := by[k]; ks != nil {
			d.Kinds = append(d.Kinds, *ks)
			d.KindsSum.Count += ks.Count
			d.KindsSum.Days += ks.Days
			d.KindsSum.Amount = d.KindsSum.Amount.Add(ks.Amount)
		}
	}
	if len(d.Rows) > 2000 {
		d.Rows, d.Truncate = d.Rows[:2000], true
		d.Total, d.Days = decimal.Zero, 0
		for _, r := range d.Rows {
			d.Total, d.Days = d.Total.Add(r.Amount), d.Days+r.Days
		}
	}
	v.Title = fmt.Sprintf("%d 年度资源使用评估", st.Year)
	v.Data = d
	s.render(q, 200, "findings", v)
	return nil
}

type evalData struct {
	app.EvaluationView
	Names map[string]string
	Files []fileLink
	// Groups holds the score rows of each provider, quarter and dimension:
	// Groups[provider+" "+period+" "+dimension].
	Groups     map[string][]evaluation.Score
	ScoreRows  []scoreRow
	Dimensions []evaluation.Dimension
	SLA        []slaRow
	Late       []evaluation.Obligation
}

// scoreRow is a score with the anchor of its group's first row.
type scoreRow struct {
	evaluation.Score
	Anchor string
}

type slaRow struct {
	Provider, Period string
	OnTime, Total    int
	Late, Overdue    int
}

// evaluation is /evaluation/Y: each provider's quarterly and annual
// score and coefficient as stored with the statement version, the score
// rows each dimension is the mean of, and the SLA obligations.
func (s *Server) evaluation(q *request) error {
	if !q.scope.Evaluation() {
		return app.ErrNotFound
	}
	v := &view{}
	st, names, err := s.statement(q, v)
	if err != nil {
		return err
	}
	ev, err := s.app.Evaluation(q.r.Context(), st)
	if err != nil {
		return err
	}
	d := evalData{EvaluationView: ev, Names: names.Providers, Groups: map[string][]evaluation.Score{},
		Dimensions: []evaluation.Dimension{evaluation.DimensionResponse, evaluation.DimensionQuality, evaluation.DimensionSatisfaction, evaluation.DimensionSecurity}}
	for _, sc := range ev.Scores {
		k := sc.ProviderCode + " " + sc.Period + " " + string(sc.Dimension)
		r := scoreRow{Score: sc}
		if len(d.Groups[k]) == 0 {
			r.Anchor = "g-" + sc.ProviderCode + "-" + sc.Period + "-" + string(sc.Dimension)
		}
		d.Groups[k] = append(d.Groups[k], sc)
		d.ScoreRows = append(d.ScoreRows, r)
	}
	by := map[string]*slaRow{}
	for _, o := range ev.Obligations {
		if !evaluation.IsProviderObligation(o.Kind) {
			continue
		}
		k := o.ProviderCode + " " + evaluation.Quarter(o.Due)
		r := by[k]
		if r == nil {
			r = &slaRow{Provider: o.ProviderCode, Period: evaluation.Quarter(o.Due)}
			by[k] = r
		}
		r.Total++
		switch o.Status {
		case evaluation.ObligationOnTime:
			r.OnTime++
		case evaluation.ObligationLate:
			r.Late++
			d.Late = append(d.Late, o)
		case evaluation.ObligationOverdue:
			r.Overdue++
			d.Late = append(d.Late, o)
		}
	}
	for _, r := range by {
		d.SLA = append(d.SLA, *r)
	}
	sort.Slice(d.SLA, func(i, j int) bool {
		a, b := d.SLA[i], d.SLA[j]
		return a.Provider < b.Provider || a.Provider == b.Provider && a.Period < b.Period
	})
	if len(d.Late) > 500 {
		d.Late = d.Late[:500]
	}
	y := fmt.Sprint(st.Year)
	d.Files = s.fileLinks(v, [2]string{"evaluation-" + y + ".pdf", "考核评价报告（PDF）"}, [2]string{"sla-" + y + ".csv", "时限考核（CSV）"})
	v.Title = fmt.Sprintf("%d 年度云服务商考核评价", st.Year)
	v.Data = d
	s.render(q, 200, "evaluation", v)
	return nil
}

// file is /statements/Y/files/NAME: a document of the version, as
// `cloudbill report` writes it, when the scope allows that file.
func (s *Server) file(q *request) error {
	name := q.r.PathValue("name")
	year, err := pathYear(q)
	if err != nil {
		return err
	}
	dept, isDept := DepartmentFile(year, name)
	if !isDept && !q.scope.File(year, name) {
		return fmt.Errorf("file %s: %w", name, app.ErrNotFound)
	}
	v := &view{}
	st, _, err := s.statement(q, v)
	if err != nil {
		return err
	}
	if isDept {
		allowed := false
		for _, d := range st.Departments {
			if d.DepartmentCode == dept && q.scope.DepartmentPage(dept, d.DistrictCode) {
				allowed = true
			}
		}
		if !allowed {
			return fmt.Errorf("file %s: %w", name, app.ErrNotFound)
		}
	}
	dir, files, err := s.files.Folder(q.r.Context(), st.Year, st.Version)
	if err != nil {
		return err
	}
	if !slices.Contains(files, name) {
		return fmt.Errorf("file %s of %d v%d: %w", name, st.Year, st.Version, app.ErrNotFound)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file %s: %w", name, app.ErrNotFound)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := s.app.RecordDownload(q.r.Context(), q.sess.User.Name, q.remote, fmt.Sprintf("%s (%d v%d)", name, st.Year, st.Version)); err != nil {
		return err
	}
	s.log.Info("portal download", "user", q.sess.User.Name, "remote", q.remote, "file", name, "year", st.Year, "version", st.Version)
	h := q.w.Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	h.Set("Content-Type", contentType(name))
	http.ServeContent(q.w, q.r, "", info.ModTime(), f)
	return nil
}

func contentType(name string) string {
	switch filepath.Ext(name) {
	case ".pdf":
		return "application/pdf"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

func (s *Server) jobs(q *request) error {
	runs, err := s.app.JobRuns(q.r.Context(), 200)
	if err != nil {
		return err
	}
	s.render(q, 200, "jobs", &view{Title: "作业记录", Path: q.r.URL.Path, Data: runs})
	return nil
}

type rejectsData struct {
	Rows  []store.Reject
	Total int
	All   bool
}

func (s *Server) rejects(q *request) error {
	all := q.r.URL.Query().Get("all") == "1"
	rows, n, err := s.app.Rejects(q.r.Context(), all, 1000)
	if err != nil {
		return err
	}
	s.render(q, 200, "rejects", &view{Title: "拒收记录", Path: q.r.URL.Path, Data: rejectsData{Rows: rows, Total: n, All: all}})
	return nil
}

type inboxData struct {
	Dir   string
	Files []app.InboxFile
}

func (s *Server) inbox(q *request) error {
	d := inboxData{Dir: s.cfg.Inbox}
	if d.Dir != "" {
		var err error
		if d.Files, err = app.Inbox(d.Dir, 500); err != nil {
			return err
		}
	}
	s.render(q, 200, "inbox", &view{Title: "收件箱", Path: q.r.URL.Path, Data: d})
	return nil
}

func (s *Server) audit(q *request) error {
	f := store.AuditFilter{User: q.r.URL.Query().Get("user"), Action: store.AuditAction(q.r.URL.Query().Get("action")), Limit: 1000}
	es, err := s.app.AuditTrail(q.r.Context(), f)
	if err != nil {
		return err
	}
	s.render(q, 200, "audit", &view{Title: "审计日志", Path: q.r.URL.Path, Data: es})
	return nil
}

func (s *Server) users(q *request) error {
	us, err := s.app.Users(q.r.Context())
	if err != nil {
		return err
	}
	s.render(q, 200, "users", &view{Title: "用户", Path: q.r.URL.Path, Data: us})
	return nil
}
