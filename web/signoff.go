package web

// The sign-off of a draft in the portal (docs/portal.md, docs/signoff.md):
// the page of a year's sign-off, the forms that publish, confirm, object,
// resolve, approve and issue, and the evidence of an objection. Who may
// do what is app's (app/signoff.go): the handlers pass the signed-in
// account as the actor and show what app answers. A refusal (app.ErrRefused)
// is answered 403; what is outside the user's scope 404, as everywhere.

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/store"
)

// flashCookie carries the message of an action to the page it redirects
// to, once.
const flashCookie = "cloudbill_flash"

// flash is an action's message: done, or not done and why.
type flash struct {
	OK   bool
	Text string
}

func (s *Server) setFlash(q *request, ok bool, text string) {
	k := "err:"
	if ok {
		k = "ok:"
	}
	v := url.QueryEscape(k + text)
	for r := []rune(text); len(v) > 3000; { // a cookie holds some 4 kB
		r = r[:len(r)*3/4]
		v = url.QueryEscape(k + string(r) + "…")
	}
	http.SetCookie(q.w, s.cookie(q.r, flashCookie, v, 120))
}

// takeFlash reads the message an action left for this page, and clears it.
func (s *Server) takeFlash(q *request) *flash {
	c, err := q.r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	http.SetCookie(q.w, s.cookie(q.r, flashCookie, "", -1))
	t, err := url.QueryUnescape(c.Value)
	if err != nil {
		return nil
	}
	k, text, ok := strings.Cut(t, ":")
	if !ok || !utf8.ValidString(text) {
		return nil
	}
	return &flash{OK: k == "ok", Text: text}
}

func (q *request) actor() app.Actor { return app.ActorOf(q.sess.User, q.remote) }

// errTooLarge is a form whose body is larger than its limit.
var errTooLarge = errors.New("the form is too large")

// postForm parses a POST form (URL-encoded or multipart, its body at most
// limit bytes) and reports whether it carries the session's CSRF token.
func (s *Server) postForm(q *request, limit int64) (bool, error) {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, limit)
	var err error
	if strings.HasPrefix(q.r.Header.Get("Content-Type"), "multipart/form-data") {
		err = q.r.ParseMultipartForm(1 << 20)
	} else {
		err = q.r.ParseForm()
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return false, errTooLarge
	}
	if err != nil {
		return false, nil
	}
	got := q.r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(q.sess.CSRF)) == 1, nil
}

// formVersion is the version a form acts on (its field version).
func formVersion(q *request) (int, error) {
	v, err := strconv.Atoi(q.r.PostFormValue("version"))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("version %q: %w", q.r.PostFormValue("version"), app.ErrNotFound)
	}
	return v, nil
}

// conflicts are the errors of an action that the sign-off's state
// explains, each with the sentence the user is shown (who acted on a page
// that is out of date); app.ErrState's sentence is its gaps'
// (conflictText).
var conflicts = []struct {
	err  error
	text string
}{
	{store.ErrPublished, "该版本已发布审阅，无需再次发布。"},
	{store.ErrNotPublished, "该版本尚未发布审阅，暂不能确认、提出异议或审批。"},
	{store.ErrConfirmed, "本方已确认该版本的结算行，无需再次确认。"},
	{store.ErrApproved, "该版本已审批，签核已结束。"},
	{store.ErrResolved, "该异议已处理，不能再次处理。"},
	{store.ErrIssued, "该版本已签发，不能再更改。"},
	{app.ErrNotApproved, "该版本尚未经市政府信息化中心审批，不能签发。"},
	{app.ErrState, "签核状态已变化，不能执行此操作，请刷新页面后查看。"},
}

// conflictText is the user's sentence for a conflict, and whether err is
// one: an app.StateError says its gaps (for an approval, what is
// missing), the others their sentence.
func conflictText(err error, names store.Names) (string, bool) {
	var se *app.StateError
	if errors.As(err, &se) && len(se.Gaps) > 0 {
		lead := ""
		switch {
		case se.Op == "approve":
			lead = "尚不能审批："
		case se.Op == "object" && se.Gaps[0].Kind == app.GapObjectionOpen:
			return fmt.Sprintf("未完成：本方对该结算行的异议（编号 %d）尚待处理，处理前不能再次提出。", se.Gaps[0].Objection), true
		}
		return "未完成：" + lead + strings.Join(gapTexts(se.Gaps, names), "；") + "。", true
	}
	for _, c := range conflicts {
		if errors.Is(err, c.err) {
			return "未完成：" + c.text, true
		}
	}
	return "", false
}

// refusals are the sentences of the 403 page: what the refusal wraps
// besides app.ErrRefused, else the role's or scope's.
var refusals = []struct {
	err  error
	text string
}{
	{app.ErrWindowClosed, "异议期已截止，县区不能再确认或提出异议。"},
	{app.ErrObjectionOpen, "本方有待处理的异议，处理后方可确认。"},
	{app.ErrRefused, "此操作不在您的角色或范围之内，未执行。"},
}

func refusalText(err error) string {
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			return r.text
		}
	}
	return refusals[len(refusals)-1].text
}

// gapTexts are the gaps in Chinese, naming the parties by name.
func gapTexts(gs []app.Gap, names store.Names) []string {
	var out []string
	for _, g := range gs {
		out = append(out, gapText(g, names))
	}
	return out
}

// gapText is a gap in Chinese (app.Gap.String is its English).
func gapText(g app.Gap, names store.Names) string {
	line := func() string { return g.ResourceID + " · " + g.ItemCode }
	switch g.Kind {
	case app.GapStatus:
		if g.Status == billing.StatementStatusIssued {
			return fmt.Sprintf("第 %d 版已签发", g.Version)
		}
		return fmt.Sprintf("第 %d 版的状态为 %s", g.Version, g.Status)
	case app.GapNotLatest:
		return fmt.Sprintf("第 %d 版已不是本年度的最新版本，请在最新版本上操作", g.Version)
	case app.GapNotPublished:
		return fmt.Sprintf("第 %d 版尚未发布审阅", g.Version)
	case app.GapApproved:
		return fmt.Sprintf("第 %d 版已审批", g.Version)
	case app.GapUnconfirmed:
		who := partyName(names, g.Party, g.Code) + "（" + g.Code + "）"
		if (g.Party == store.PartyDistrict && names.Districts[g.Code] == "") || (g.Party == store.PartyProvider && names.Providers[g.Code] == "") {
			who = partyName(names, g.Party, "") + g.Code // no name known: the code
		}
		t := who + "尚未确认"
		if g.State == app.PartyObjected {
			t = who + "有异议，尚未确认"
		}
		if g.Party == store.PartyDistrict && g.Deadline != 0 {
			t += "（异议期至 " + g.Deadline.String() + "）"
		}
		return t
	case app.GapObjectionOpen:
		return fmt.Sprintf("异议 %d（%s，第 %d 版）尚待处理", g.Objection, line(), g.Version)
	case app.GapCorrection:
		return fmt.Sprintf("异议 %d（%s）已采纳，其更正尚未计入第 %d 版（请更正输入后重新结算）", g.Objection, line(), g.Version)
	}
	return string(g.Kind)
}

// act runs a posted sign-off action and answers it: 303 to back with a
// flash message when done, or when app declined it for the state of the
// sign-off or a bad field; 403 when app refused the actor; 404 when what
// it names does not exist or is outside the user's scope; else 500.
func (s *Server) act(q *request, back string, do func() (string, error)) error {
	msg, err := do()
	var ie *app.InputError
	var ym *evaluation.YearMissingError
	switch {
	case err == nil:
		s.setFlash(q, true, msg)
	case errors.Is(err, app.ErrRefused):
		s.refused(q, err)
		return nil
	case errors.As(err, &ie):
		s.setFlash(q, false, "未完成："+ie.Error())
	case errors.As(err, &ym): // publishing: the window's deadline falls in a year the calendar lacks
		s.setFlash(q, false, fmt.Sprintf("未完成：工作日历缺少 %d 年，无法计算异议期（请先加载该年的日历）：%s", ym.Year, err))
	case errors.Is(err, store.ErrNoObjection):
		return fmt.Errorf("%w: %w", app.ErrNotFound, err)
	case errors.Is(err, app.ErrNotFound) || errors.Is(err, store.ErrNoStatement):
		return err
	default:
		var se *app.StateError
		var names store.Names
		if errors.As(err, &se) && len(se.Gaps) > 0 {
			var nerr error
			if names, nerr = s.app.Names(q.r.Context()); nerr != nil {
				return errors.Join(err, nerr)
			}
		}
		text, ok := conflictText(err, names)
		if !ok {
			return err
		}
		s.log.Info("portal action declined", "user", q.sess.User.Name, "path", q.r.URL.Path, "err", err.Error())
		s.setFlash(q, false, text)
	}
	http.Redirect(q.w, q.r, back, http.StatusSeeOther)
	return nil
}

// refusedData is the 403 page: the refusal in Chinese, and app's reason.
type refusedData struct{ Text, Detail string }

// refused answers 403 with the refusal's sentence and app's reason.
func (s *Server) refused(q *request, err error) {
	s.log.Info("portal action refused", "user", q.sess.User.Name, "path", q.r.URL.Path, "err", err.Error())
	s.render(q, http.StatusForbidden, "signoff_refused", &view{Title: "无权执行此操作", Data: refusedData{Text: refusalText(err), Detail: err.Error()}})
}

// badForm answers a form without the session's token, or one too large.
func (s *Server) badForm(q *request, err error, back string) error {
	if errors.Is(err, errTooLarge) {
		s.setFlash(q, false, fmt.Sprintf("未完成：上传的文件过大（证据文件不超过 %d MiB）", store.MaxEvidenceBytes>>20))
		http.Redirect(q.w, q.r, back, http.StatusSeeOther)
		return nil
	}
	http.Error(q.w, "请求无效（CSRF）", http.StatusForbidden)
	return nil
}

func signoffHref(year, version int) string {
	return fmt.Sprintf("/signoff/%d%s", year, versionQuery(version))
}

func lineHref(year, version int, resource, item string) string {
	return fmt.Sprintf("/statements/%d/lines/%s/%s%s", year, url.PathEscape(resource), url.PathEscape(item), versionQuery(version))
}

func evidenceHref(o store.Objection) string {
	return fmt.Sprintf("/signoff/%d/objections/%d/evidence", o.Year, o.ID)
}

// stateName is the name of a version's sign-off state.
func stateName(status billing.StatementStatus, p *store.Publication, a *store.Approval) string {
	switch {
	case status == billing.StatementStatusIssued:
		return "已签发"
	case a != nil:
		return "已审批，待签发"
	case p != nil:
		return "已发布审阅"
	}
	return "草稿（未发布审阅）"
}

func objectionStatusName(st store.ObjectionStatus, closedBy int) string {
	switch st {
	case store.ObjectionAccepted:
		if closedBy > 0 {
			return fmt.Sprintf("已采纳（第 %d 版已更正）", closedBy)
		}
		return "已采纳（待更正）"
	case store.ObjectionRejected:
		return "不予采纳"
	}
	return "待处理"
}

func partyName(names store.Names, party store.SignoffParty, code string) string {
	if party == store.PartyDistrict {
		return "县区 " + names.Districts[code]
	}
	return "云服务商 " + names.Providers[code]
}

func roleName(r string) string {
	if r == "" {
		return ""
	}
	return app.Role(r).Label()
}

type partyRow struct {
	app.PartyState
	Name     string
	Href     string // the party's bill at this version
	RoleName string
}

type objectionRow struct {
	store.Objection
	PartyName    string
	RoleName     string
	ResolvedName string
	StatusName   string
	LineHref     string
	EvidenceHref string
	Mine         bool // objected by the user's own party
	Resolvable   bool // open, and the user is the office
}

func objectionRows(os []store.Objection, names store.Names, sc Scope) []objectionRow {
	var out []objectionRow
	for _, o := range os {
		r := objectionRow{Objection: o, PartyName: partyName(names, o.Party, o.Code), RoleName: roleName(o.Role), ResolvedName: roleName(o.ResolvedRole),
			StatusName: objectionStatusName(o.Status, o.ClosedByVersion), LineHref: lineHref(o.Year, o.Version, o.ResourceID, o.ItemCode),
			Mine:       o.Party == store.PartyDistrict && o.Code == sc.District || o.Party == store.PartyProvider && o.Code == sc.Provider,
			Resolvable: o.Status == store.ObjectionOpen && sc.Office()}
		if o.EvidenceName != "" {
			r.EvidenceHref = evidenceHref(o)
		}
		out = append(out, r)
	}
	return out
}

type signoffData struct {
	S          app.SignoffView
	State      string
	Providers  []partyRow
	Districts  []partyRow
	Objections []objectionRow
	Mine       *partyRow // the user's own party (a provider or a district account)
	Missing    []string  // why the version is not approvable, in Chinese (app's Gaps)
	// The forms shown; app decides again when one is posted.
	CanPublish, CanApprove, CanIssue, CanConfirm bool
	ConfirmNote                                  string // why the user's party cannot confirm now
	ReconcileHref                                string
	PublisherRole, ApproverRole, IssuerRole      string
}

// signoff is /signoff/Y (?version=N; default the year's latest version):
// the version's sign-off state and window, its parties' states as far
// as the user's scope goes, the objections app shows the user, and the
// forms of the user's role.
func (s *Server) signoff(q *request) error {
	if !q.scope.Signoff() {
		return app.ErrNotFound
	}
	year, sv, all, err := s.versionOrLatest(q)
	if err != nil {
		return err
	}
	ctx := q.r.Context()
	sov, err := s.app.Signoff(ctx, app.SignoffInput{Actor: q.actor(), Year: year, Version: sv.Version})
	if err != nil {
		return err
	}
	names, err := s.app.Names(ctx)
	if err != nil {
		return err
	}
	v := &view{Year: year, HasV: true, V: sv, Versions: all, Path: q.r.URL.Path}
	d := signoffData{S: sov, State: stateName(sov.Status, sov.Publication, sov.Approval)}
	row := func(p app.PartyState) partyRow {
		r := partyRow{PartyState: p, Name: partyName(names, p.Party, p.Code), RoleName: roleName(p.Role)}
		if p.Party == store.PartyDistrict && q.scope.DistrictPage(p.Code) {
			r.Href = fmt.Sprintf("/statements/%d/districts/%s%s", year, url.PathEscape(p.Code), v.VQ())
		}
		if p.Party == store.PartyProvider && q.scope.ProviderPage(p.Code) {
			r.Href = fmt.Sprintf("/statements/%d/providers/%s%s", year, url.PathEscape(p.Code), v.VQ())
		}
		return r
	}
	for _, p := range sov.Providers {
		if q.scope.Party(p.Party, p.Code) {
			d.Providers = append(d.Providers, row(p))
		}
	}
	for _, p := range sov.Districts {
		if q.scope.Party(p.Party, p.Code) {
			d.Districts = append(d.Districts, row(p))
		}
	}
	for _, r := range append(append([]partyRow{}, d.Providers...), d.Districts...) {
		if r.Party == store.PartyProvider && r.Code == q.scope.Provider || r.Party == store.PartyDistrict && r.Code == q.scope.District {
			d.Mine = &r
		}
	}
	d.Objections = objectionRows(sov.Objections, names, q.scope)
	d.Missing = gapTexts(sov.Gaps, names)
	open := sov.Latest && sov.Status == billing.StatementStatusDraft
	d.CanPublish = q.scope.Office() && open && sov.Publication == nil
	d.CanApprove = q.scope.Office() && open && sov.Publication != nil && sov.Approval == nil
	d.CanIssue = q.scope.Role == app.RoleFinance && open && sov.Approval != nil
	if m := d.Mine; m != nil && open && sov.Publication != nil && sov.Approval == nil {
		switch {
		case m.State == app.PartyConfirmed || m.State == app.PartyLapsed:
		case m.Party == store.PartyDistrict && !sov.WindowOpen:
			d.ConfirmNote = "异议期已截止。"
		case m.Open > 0:
			d.ConfirmNote = "本方有待处理的异议，处理后方可确认。"
		default:
			d.CanConfirm = true
		}
	}
	if q.scope.Reconcile() {
		d.ReconcileHref = fmt.Sprintf("/reconcile/%d%s", year, v.VQ())
	}
	if p := sov.Publication; p != nil {
		d.PublisherRole = roleName(p.Role)
	}
	if a := sov.Approval; a != nil {
		d.ApproverRole = roleName(a.Role)
	}
	if i := sov.Issue; i != nil {
		d.IssuerRole = roleName(i.Role)
	}
	v.Title = fmt.Sprintf("%d 年度结算签核", year)
	v.Data = d
	s.render(q, 200, "signoff", v)
	return nil
}

// signoffAction is a posted action on a version of /signoff/Y: publish,
// confirm, approve or issue, each by app's rules for the signed-in actor.
func (s *Server) signoffAction(kind string) func(q *request) error {
	return func(q *request) error {
		if !q.scope.Signoff() {
			return app.ErrNotFound
		}
		year, err := pathYear(q)
		if err != nil {
			return err
		}
		back := fmt.Sprintf("/signoff/%d", year)
		if ok, err := s.postForm(q, 64<<10); !ok {
			return s.badForm(q, err, back)
		}
		version, err := formVersion(q)
		if err != nil {
			return err
		}
		back = signoffHref(year, version)
		ctx, ac := q.r.Context(), q.actor()
		head, err := s.app.SignoffHead(ctx, year, version)
		if err != nil {
			return err
		}
		if !head.Latest {
			s.setFlash(q, false, fmt.Sprintf("未完成：第 %d 版已不是本年度的最新版本，请在最新版本上操作。", version))
			http.Redirect(q.w, q.r, back, http.StatusSeeOther)
			return nil
		}
		return s.act(q, back, func() (string, error) {
			switch kind {
			case "publish":
				if err := s.app.Publish(ctx, app.PublishInput{Actor: ac, Year: year, Version: version}); err != nil {
					return "", err
				}
				return fmt.Sprintf("第 %d 版已发布审阅，异议期开始。", version), nil
			case "confirm":
				if err := s.app.Confirm(ctx, app.ConfirmInput{Actor: ac, Year: year, Version: version}); err != nil {
					return "", err
				}
				return fmt.Sprintf("已确认第 %d 版中本方的结算行。", version), nil
			case "approve":
				if err := s.app.Approve(ctx, app.ApproveInput{Actor: ac, Year: year, Version: version}); err != nil {
					return "", err
				}
				return fmt.Sprintf("第 %d 版已审批。", version), nil
			case "issue":
				v, err := s.app.Issue(ctx, app.IssueInput{Actor: ac, Year: year})
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("第 %d 版已签发。", v), nil
			}
			return "", app.ErrNotFound
		})
	}
}

// resolveObjection is POST /signoff/Y/objections/ID/resolve: the office's decision
// on an objection of the year it may see.
func (s *Server) resolveObjection(q *request) error {
	year, o, err := s.objection(q)
	if err != nil {
		return err
	}
	back := signoffHref(year, o.Version)
	if ok, err := s.postForm(q, 64<<10); !ok {
		return s.badForm(q, err, back)
	}
	if v, err := formVersion(q); err == nil {
		back = signoffHref(year, v)
	}
	return s.act(q, back+"#objections", func() (string, error) {
		in := app.ResolveInput{Actor: q.actor(), ID: o.ID, Outcome: store.ObjectionStatus(q.r.PostFormValue("outcome")), Reason: q.r.PostFormValue("reason")}
		if err := s.app.Resolve(q.r.Context(), in); err != nil {
			return "", err
		}
		return fmt.Sprintf("异议 %d 已处理：%s。", o.ID, objectionStatusName(in.Outcome, 0)), nil
	})
}

// objection is the year of the path and its objection {id}, among those
// app shows the user; ErrNotFound for any other, and for a user who sees
// no sign-off.
func (s *Server) objection(q *request) (int, store.Objection, error) {
	if !q.scope.Signoff() {
		return 0, store.Objection{}, app.ErrNotFound
	}
	year, err := pathYear(q)
	if err != nil {
		return 0, store.Objection{}, err
	}
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Objection{}, fmt.Errorf("objection %q: %w", q.r.PathValue("id"), app.ErrNotFound)
	}
	os, err := s.app.Objections(q.r.Context(), app.ObjectionFilter{Actor: q.actor(), Year: year})
	if errors.Is(err, app.ErrRefused) {
		return 0, store.Objection{}, fmt.Errorf("objection %d: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return 0, store.Objection{}, err
	}
	for _, o := range os {
		if o.ID == id && q.scope.Allows(o.DistrictCode, o.DepartmentCode, o.ProviderCode) {
			return year, o, nil
		}
	}
	return 0, store.Objection{}, fmt.Errorf("objection %d of %d: %w", id, year, app.ErrNotFound)
}

// evidence is /signoff/Y/objections/ID/evidence: the objection's evidence
// file, for the accounts app shows the objection (finance, office, and
// the parties of its line), checked against its SHA-256 by app; the
// download is recorded in the audit trail.
func (s *Server) evidence(q *request) error {
	_, o, err := s.objection(q)
	if err != nil {
		return err
	}
	if o.EvidenceName == "" {
		return fmt.Errorf("objection %d has no evidence: %w", o.ID, app.ErrNotFound)
	}
	f, err := s.app.Evidence(q.r.Context(), app.EvidenceInput{Actor: q.actor(), ID: o.ID})
	if errors.Is(err, app.ErrRefused) {
		return fmt.Errorf("evidence of objection %d: %w", o.ID, app.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := s.app.RecordDownload(q.r.Context(), q.sess.User.Name, q.remote,
		fmt.Sprintf("evidence of objection %d (%d v%d %s/%s): %s, sha256 %s", o.ID, o.Year, o.Version, o.ResourceID, o.ItemCode, f.Name, f.SHA256)); err != nil {
		return err
	}
	s.log.Info("portal download", "user", q.sess.User.Name, "remote", q.remote, "evidence", o.ID, "year", o.Year)
	h := q.w.Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="evidence-%d"; filename*=UTF-8''%s`, o.ID, url.PathEscape(f.Name)))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("X-Content-SHA256", f.SHA256)
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(f.Body)
	return nil
}

// lineSignoff is what a line's page shows of the sign-off: the
// objections to the line app shows the user, with their outcome, and the
// form to object for a provider or district account while the version
// can be signed off.
type lineSignoff struct {
	Head        app.SignoffHead
	State       string
	Objections  []objectionRow
	CanObject   bool
	Action      string
	SignoffHref string
	MaxMiB      int
	// LatestHref is the line on the year's latest version, a draft, when
	// the page shows an older one: objections are made there.
	LatestHref    string
	LatestVersion int
}

func (s *Server) lineSignoff(q *request, v *view, l store.PortalLine) (lineSignoff, error) {
	ctx := q.r.Context()
	head, err := s.app.SignoffHead(ctx, v.Year, v.V.Version)
	if err != nil {
		return lineSignoff{}, err
	}
	ls := lineSignoff{Head: head, State: stateName(head.Status, head.Publication, head.Approval), SignoffHref: signoffHref(v.Year, v.V.Version),
		Action: fmt.Sprintf("/statements/%d/lines/%s/%s/objections%s", v.Year, url.PathEscape(l.ResourceID), url.PathEscape(l.ItemCode), versionQuery(v.V.Version)),
		MaxMiB: store.MaxEvidenceBytes >> 20}
	if len(v.Versions) > 0 && !head.Latest && v.Versions[0].Status == billing.StatementStatusDraft {
		latest := v.Versions[0]
		ls.LatestVersion, ls.LatestHref = latest.Version, lineHref(v.Year, latest.Version, l.ResourceID, l.ItemCode)+"#signoff"
	}
	os, err := s.app.Objections(ctx, app.ObjectionFilter{Actor: q.actor(), Year: v.Year})
	if err != nil && !errors.Is(err, app.ErrRefused) {
		return lineSignoff{}, err
	}
	var mine []store.Objection
	for _, o := range os {
		if o.ResourceID == l.ResourceID && o.ItemCode == l.ItemCode && o.Version <= v.V.Version {
			mine = append(mine, o)
		}
	}
	if len(mine) > 0 {
		names, err := s.app.Names(ctx)
		if err != nil {
			return lineSignoff{}, err
		}
		ls.Objections = objectionRows(mine, names, q.scope)
	}
	party, code := store.PartyProvider, q.scope.Provider
	if q.scope.District != "" {
		party, code = store.PartyDistrict, q.scope.District
	}
	ls.CanObject = code != "" && head.Open() && (party == store.PartyProvider || head.WindowOpen)
	for _, c := range head.Confirmations {
		if c.Party == party && c.Code == code {
			ls.CanObject = false
		}
	}
	for _, r := range ls.Objections {
		if r.Mine && r.Version == v.V.Version && r.Status == store.ObjectionOpen {
			ls.CanObject = false // its objection to this line is open
		}
	}
	return ls, nil
}

// object is POST /statements/Y/lines/RESOURCE/ITEM/objections?version=N:
// the objection of a provider or a district account to the line, with
// its reason and an optional evidence file (multipart, at most
// store.MaxEvidenceBytes).
func (s *Server) object(q *request) error {
	v := &view{}
	ld, err := s.lineDetail(q, v)
	if err != nil {
		return err
	}
	l := ld.Line
	back := lineHref(v.Year, v.V.Version, l.ResourceID, l.ItemCode) + "#signoff"
	if ok, err := s.postForm(q, store.MaxEvidenceBytes+64<<10); !ok {
		return s.badForm(q, err, back)
	}
	if q.r.MultipartForm != nil {
		defer q.r.MultipartForm.RemoveAll()
	}
	ctx := q.r.Context()
	head, err := s.app.SignoffHead(ctx, v.Year, v.V.Version)
	if err != nil {
		return err
	}
	if !head.Latest {
		s.setFlash(q, false, fmt.Sprintf("未完成：第 %d 版已不是本年度的最新版本，请在最新版本上提出异议。", v.V.Version))
		http.Redirect(q.w, q.r, back, http.StatusSeeOther)
		return nil
	}
	in := app.ObjectInput{Actor: q.actor(), Year: v.Year, Version: v.V.Version, ResourceID: l.ResourceID, ItemCode: l.ItemCode, Reason: q.r.PostFormValue("reason")}
	if f, fh, err := q.r.FormFile("evidence"); err == nil {
		defer f.Close()
		if fh.Size > 0 || fh.Filename != "" {
			in.Evidence, in.EvidenceName = f, fh.Filename
		}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		return err
	}
	return s.act(q, back, func() (string, error) {
		id, err := s.app.Object(ctx, in)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("已提出异议（编号 %d），等待市政府信息化中心处理。", id), nil
	})
}

// versionOrLatest is the year of the path and the version of ?version=N,
// else the year's latest version, draft or issued (the one a sign-off or
// a reconciliation is of; the statement pages default to the latest
// issued), with all of the year's versions.
func (s *Server) versionOrLatest(q *request) (int, store.StatementVersion, []store.StatementVersion, error) {
	year, err := pathYear(q)
	if err != nil {
		return 0, store.StatementVersion{}, nil, err
	}
	version := 0
	if vs := q.r.URL.Query().Get("version"); vs != "" {
		if version, err = strconv.Atoi(vs); err != nil || version <= 0 {
			return 0, store.StatementVersion{}, nil, fmt.Errorf("version %q: %w", vs, app.ErrNotFound)
		}
	}
	sv, all, err := s.app.StatementVersion(q.r.Context(), app.VersionInput{Year: year, Version: version})
	if err != nil {
		return 0, store.StatementVersion{}, nil, err
	}
	if version == 0 && len(all) > 0 {
		sv = all[0]
	}
	return year, sv, all, nil
}
