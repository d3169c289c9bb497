package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// The sign-off in the portal. The test data set's 2024 is issued as
// version 1 (without sign-off); a draft portal adds the three days R2 had
// no meter reading in June, so that settle stores version 2, a draft, and
// accounts for the parties without one: provider cuc (prov2) and
// district 140221 (dist2).

// evidenceBody is the evidence file the tests upload.
var evidenceBody = []byte("%PDF-1.4 monitoring export R1 2024\n")

// newDraftPortal is the test portal with 2024 version 2 settled as a
// draft and the accounts of the other provider and district.
func newDraftPortal(t *testing.T, db *store.DB) *portal {
	t.Helper()
	p := newPortal(t, db)
	ctx := context.Background()
	usage := filepath.Join(t.TempDir(), "usage-2024-06.csv")
	if err := os.WriteFile(usage, []byte("day,resource_id,item_code,quantity\n2024-06-10,R2,MEM,16\n2024-06-11,R2,MEM,16\n2024-06-12,R2,MEM,16\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Ingest(ctx, app.IngestInput{Paths: []string{usage}}); err != nil {
		t.Fatal(err)
	}
	res, err := p.App.Settle(ctx, app.YearInput{Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Saved || res.Statement.Version != 2 {
		t.Fatalf("settle stored version %d (saved %v), want a new version 2", res.Statement.Version, res.Saved)
	}
	for _, in := range []app.UserInput{{Name: "prov2", Role: app.RoleProvider, Provider: "cuc"}, {Name: "dist2", Role: app.RoleDistrict, District: "140221"}} {
		in.Password = password(in.Name)
		if err := p.App.AddUser(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// signedIn signs a new client in as the account name (not a role).
func (p *portal) signedIn(t *testing.T, name string) *http.Client {
	t.Helper()
	c := client(t)
	if resp := p.signIn(t, c, name, password(name)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %s", name, resp.Status)
	}
	return c
}

// csrf reads the session's token from a page of c.
func (p *portal) csrf(t *testing.T, c *http.Client) string {
	t.Helper()
	_, page := get(t, c, p.URL+"/")
	tok := between(page, `name="csrf" value="`, `"`)
	if tok == "" {
		t.Fatal("no csrf token on the home page")
	}
	return tok
}

// post posts a URL-encoded form as c, same-origin unless header says
// otherwise, and returns the status, the redirect and the body.
func (p *portal) post(t *testing.T, c *http.Client, path string, form url.Values, header map[string]string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(t, c, req, header)
}

// postFile posts a multipart form with one file field.
func (p *portal) postFile(t *testing.T, c *http.Client, path string, form url.Values, field, name string, body []byte) (int, string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if field != "" {
		fw, _ := w.CreateFormFile(field, name)
		fw.Write(body)
	}
	w.Close()
	req, _ := http.NewRequest("POST", p.URL+path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return p.do(t, c, req, nil)
}

func (p *portal) do(t *testing.T, c *http.Client, req *http.Request, header map[string]string) (int, string, string) {
	t.Helper()
	req.Header.Set("Origin", p.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// flashOf follows a 303 and returns the flash message the page shows.
func (p *portal) flashOf(t *testing.T, c *http.Client, loc string) (string, string) {
	t.Helper()
	resp, body := get(t, c, p.URL+loc)
	if resp.StatusCode != 200 {
		t.Fatalf("%s after the action: %s", loc, resp.Status)
	}
	checkPage(t, loc, body)
	return between(body, `role="status">`, `</p>`), body
}

// signoffRouteCases extend the route × role table with the sign-off's
// routes on a draft portal where provider ctc objected to R1/VCPU with
// evidence (objection 1) and district 140221 to R2/MEM (objection 2).
var signoffRouteCases = []struct {
	route string
	path  string
	want  map[string]int
}{
	//                                                             anon fin  off  dist dep  prov eval
	{"GET /signoff/{year}", "/signoff/2024", expect(302, 200, 200, 200, 200, 200, 404)},
	{"GET /signoff/{year}", "/signoff/2024?version=1", expect(302, 200, 200, 200, 200, 200, 404)},
	{"GET /signoff/{year}", "/signoff/2024?version=2", expect(302, 200, 200, 200, 200, 200, 404)},
	{"GET /signoff/{year}", "/signoff/2024?version=7", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /signoff/{year}", "/signoff/2023", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /signoff/{year}", "/signoff/abc", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /signoff/{year}/objections/{id}/evidence", "/signoff/2024/objections/1/evidence", expect(302, 200, 200, 200, 200, 200, 404)},
	{"GET /signoff/{year}/objections/{id}/evidence", "/signoff/2024/objections/2/evidence", expect(302, 404, 404, 404, 404, 404, 404)}, // no evidence
	{"GET /signoff/{year}/objections/{id}/evidence", "/signoff/2023/objections/1/evidence", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /signoff/{year}/objections/{id}/evidence", "/signoff/2024/objections/9/evidence", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /signoff/{year}/objections/{id}/evidence", "/signoff/2024/objections/x/evidence", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /reconcile/{year}", "/reconcile/2024", expect(302, 404, 404, 404, 404, 200, 404)},
	{"GET /reconcile/{year}", "/reconcile/2024?version=1", expect(302, 404, 404, 404, 404, 200, 404)},
	{"GET /reconcile/{year}", "/reconcile/2023", expect(302, 404, 404, 404, 404, 404, 404)},
	// The posted actions: TestSignoffActions, TestSignoffRefusals, TestReconcilePage.
	{"POST /signoff/{year}/publish", "", nil},
	{"POST /signoff/{year}/confirm", "", nil},
	{"POST /signoff/{year}/approve", "", nil},
	{"POST /signoff/{year}/issue", "", nil},
	{"POST /signoff/{year}/objections/{id}/resolve", "", nil},
	{"POST /statements/{year}/lines/{resource}/{item}/objections", "", nil},
	{"POST /reconcile/{year}", "", nil},
}

// objectAs posts an objection to a line as c.
func (p *portal) objectAs(t *testing.T, c *http.Client, line, reason string, evidence []byte) (int, string, string) {
	t.Helper()
	name := ""
	if evidence != nil {
		name = "监控导出.pdf"
	}
	return p.postFile(t, c, "/statements/2024/lines/"+line+"/objections?version=2", url.Values{"csrf": {p.csrf(t, c)}, "reason": {reason}}, "evidence", name, evidence)
}

// publishedPortal is a draft portal whose version 2 the office published,
// with objection 1 (provider ctc to R1/VCPU, with evidence) and objection
// 2 (district 140221 to R2/MEM).
func publishedPortal(t *testing.T, db *store.DB) *portal {
	t.Helper()
	p := newDraftPortal(t, db)
	ops := p.as(t, "office")
	if code, loc, _ := p.post(t, ops, "/signoff/2024/publish", url.Values{"csrf": {p.csrf(t, ops)}, "version": {"2"}}, nil); code != http.StatusSeeOther || loc != "/signoff/2024?version=2" {
		t.Fatalf("publish: %d → %q, want 303 to the sign-off page", code, loc)
	}
	if code, _, body := p.objectAs(t, p.as(t, "provider"), "R1/VCPU", "R1 的 vCPU 计费天数与我方监控不符", evidenceBody); code != http.StatusSeeOther {
		t.Fatalf("provider objects: %d %s", code, body)
	}
	if code, _, body := p.objectAs(t, p.signedIn(t, "dist2"), "R2/MEM", "六月缺计量的三天已补录", nil); code != http.StatusSeeOther {
		t.Fatalf("district 140221 objects: %d %s", code, body)
	}
	return p
}

// TestSignoffRouteRoleMatrix walks the sign-off's pages as every role:
// 200 inside the role's scope, 404 outside it and for what does not
// exist, 302 to the sign-in page without a session; the evidence comes
// with its SHA-256, and each download is in the audit trail.
func TestSignoffRouteRoleMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := publishedPortal(t, db)
		sum := sha256.Sum256(evidenceBody)
		for _, role := range roles {
			c := p.as(t, role)
			t.Run(role, func(t *testing.T) {
				for _, rc := range signoffRouteCases {
					if rc.path == "" {
						continue
					}
					resp, body := get(t, c, p.URL+rc.path)
					if want := rc.want[role]; resp.StatusCode != want {
						t.Errorf("%s as %s: %d, want %d", rc.path, role, resp.StatusCode, want)
						continue
					}
					switch {
					case resp.StatusCode == 200 && strings.HasSuffix(rc.path, "/evidence"):
						if body != string(evidenceBody) || resp.Header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) {
							t.Errorf("%s as %s: the evidence (%d bytes, sha256 %s) is not the file uploaded", rc.path, role, len(body), resp.Header.Get("X-Content-SHA256"))
						}
						if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
							t.Errorf("%s: Content-Disposition %q", rc.path, cd)
						}
					case resp.StatusCode == 200:
						checkPage(t, rc.path, body)
					case resp.StatusCode == 404 && (strings.Contains(body, "R2") || strings.Contains(body, "监控")):
						t.Errorf("%s as %s: the 404 page shows data", rc.path, role)
					}
				}
			})
		}
		trail, err := p.App.AuditTrail(context.Background(), storeAuditDownloads())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range trail {
			if strings.Contains(e.Detail, "evidence of objection 1") && strings.Contains(e.Detail, hex.EncodeToString(sum[:])) && e.RemoteAddr != "" {
				n++
			}
		}
		if n != 5 { // finance, office, district, department, provider
			t.Errorf("%d evidence downloads in the audit trail, want 5", n)
		}
	})
}

// TestSignoffScope: each account sees the parties and the objections of
// its scope on the sign-off page, and only those.
func TestSignoffScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := publishedPortal(t, db)
		for _, c := range []struct {
			who       string
			see, hide []string
		}{
			{"fin", []string{`id="party-provider-ctc"`, `id="party-provider-cuc"`, `id="party-district-140200"`, `id="party-district-140221"`, `id="objection-1"`, `id="objection-2"`}, nil},
			{"ops", []string{`id="party-provider-cuc"`, `id="party-district-140221"`, `id="objection-1"`, `id="objection-2"`, `action="/signoff/2024/objections/1/resolve"`}, []string{`action="/signoff/2024/publish"`}},
			{"dist", []string{`id="party-district-140200"`, `id="objection-1"`, `action="/signoff/2024/confirm"`}, []string{`party-provider-`, `id="party-district-140221"`, `id="objection-2"`, `/resolve"`}},
			{"dist2", []string{`id="party-district-140221"`, `id="objection-2"`, "本方有待处理的异议"}, []string{`id="party-district-140200"`, `id="objection-1"`, `action="/signoff/2024/confirm"`}},
			{"prov", []string{`id="party-provider-ctc"`, `id="objection-1"`, `href="/reconcile/2024?version=2"`, "本方有待处理的异议"}, []string{`id="party-provider-cuc"`, `id="objection-2"`, `party-district-`}},
			{"prov2", []string{`id="party-provider-cuc"`, `id="objection-2"`, `action="/signoff/2024/confirm"`}, []string{`id="objection-1"`}},
			{"dep", []string{`id="objection-1"`}, []string{`party-provider-`, `party-district-`, `id="objection-2"`, `action="/signoff/2024/`}},
		} {
			cl := p.signedIn(t, c.who)
			resp, body := get(t, cl, p.URL+"/signoff/2024")
			if resp.StatusCode != 200 {
				t.Fatalf("sign-off as %s: %s", c.who, resp.Status)
			}
			checkPage(t, "/signoff/2024 as "+c.who, body)
			for _, s := range c.see {
				if !strings.Contains(body, s) {
					t.Errorf("sign-off as %s: no %s", c.who, s)
				}
			}
			for _, s := range c.hide {
				if strings.Contains(body, s) {
					t.Errorf("sign-off as %s shows %s", c.who, s)
				}
			}
		}
	})
}

// TestSignoffRefusals: an action outside the actor's role is refused by
// app (403), one on a page or objection outside its scope is 404, a POST
// without the session's token or from another site 403, and none of them
// records anything.
func TestSignoffRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := newDraftPortal(t, db)
		ctx := context.Background()
		v2 := url.Values{"version": {"2"}}
		form := func(c *http.Client, extra url.Values) url.Values {
			f := url.Values{"csrf": {p.csrf(t, c)}}
			for k, v := range extra {
				f[k] = v
			}
			return f
		}
		// Publishing is the office's.
		for _, c := range []struct {
			who  string
			want int
		}{{"dep", 403}, {"prov", 403}, {"dist", 403}, {"fin", 403}, {"eval", 404}} {
			cl := p.signedIn(t, c.who)
			if code, _, body := p.post(t, cl, "/signoff/2024/publish", form(cl, v2), nil); code != c.want {
				t.Errorf("publish as %s: %d, want %d", c.who, code, c.want)
			} else if code == 403 && !strings.Contains(body, "not allowed") {
				t.Errorf("publish as %s: the 403 page does not give app's reason", c.who)
			}
		}
		if code, _, _ := p.post(t, client(t), "/signoff/2024/publish", v2, nil); code != http.StatusUnauthorized {
			t.Errorf("publish without a session: %d, want 401", code)
		}
		ops := p.as(t, "office")
		if code, _, _ := p.post(t, ops, "/signoff/2024/publish", v2, nil); code != 403 {
			t.Errorf("publish without the token: %d, want 403", code)
		}
		if code, _, _ := p.post(t, ops, "/signoff/2024/publish", url.Values{"csrf": {"00"}, "version": {"2"}}, nil); code != 403 {
			t.Errorf("publish with a wrong token: %d, want 403", code)
		}
		if code, _, _ := p.post(t, ops, "/signoff/2024/publish", form(ops, v2), map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); code != 403 {
			t.Errorf("cross-site publish with the token: %d, want 403", code)
		}
		if h, err := p.App.SignoffHead(ctx, 2024, 2); err != nil || h.Publication != nil {
			t.Fatalf("a refused publish published (%v)", err)
		}
		// An objection without the token, from another site, outside the scope or by a non-party.
		prov := p.as(t, "provider")
		if code, _, _ := p.postFile(t, prov, "/statements/2024/lines/R1/VCPU/objections?version=2", url.Values{"reason": {"x"}}, "", "", nil); code != 403 {
			t.Errorf("an objection without the token: %d, want 403", code)
		}
		if code, loc, _ := p.post(t, ops, "/signoff/2024/publish", form(ops, url.Values{"version": {"1"}}), nil); code != 303 {
			t.Errorf("publish version 1: %d, want 303", code)
		} else if msg, _ := p.flashOf(t, ops, loc); !strings.Contains(msg, "不是本年度的最新版本") {
			t.Errorf("publish version 1: flash %q", msg)
		}
		if code, _, _ := p.post(t, ops, "/signoff/2024/publish", form(ops, v2), nil); code != 303 {
			t.Fatalf("publish: %d", code)
		}
		for _, c := range []struct {
			who, line string
			want      int
		}{{"dist", "R2/MEM", 404}, {"prov", "R2/MEM", 404}, {"dep", "R1/VCPU", 403}, {"eval", "R1/VCPU", 404}, {"fin", "R1/VCPU", 403}, {"ops", "R1/VCPU", 403}} {
			if code, _, _ := p.objectAs(t, p.signedIn(t, c.who), c.line, "不对", nil); code != c.want {
				t.Errorf("%s objects to %s: %d, want %d", c.who, c.line, code, c.want)
			}
		}
		if code, _, _ := p.objectAs(t, prov, "R1/VCPU", "", nil); code != 303 {
			t.Errorf("an objection without a reason: %d, want 303 (back to the form with the error)", code)
		}
		if code, _, _ := p.objectAs(t, prov, "R1/VCPU", "超过上限", bytes.Repeat([]byte("x"), store.MaxEvidenceBytes+1)); code != 303 {
			t.Errorf("an objection with 10 MiB + 1 of evidence: %d, want 303 (back with the error)", code)
		}
		if os, _ := p.App.Objections(ctx, app.ObjectionFilter{Year: 2024}); len(os) != 0 {
			t.Fatalf("%d objections recorded by refused or bad requests", len(os))
		}
		if code, _, _ := p.objectAs(t, prov, "R1/VCPU", "计费天数不符", nil); code != 303 {
			t.Fatalf("provider objects: %d", code)
		}
		if code, loc, _ := p.objectAs(t, prov, "R1/VCPU", "计费天数不符", nil); code != 303 {
			t.Errorf("the same objection again: %d, want 303", code)
		} else if msg, _ := p.flashOf(t, prov, loc); !strings.Contains(msg, "尚待处理") {
			t.Errorf("the same objection again: flash %q", msg)
		}
		// Resolving is the office's; the objection is of ctc's, 140200's and D1's scope.
		for _, c := range []struct {
			who  string
			want int
		}{{"dep", 403}, {"prov", 403}, {"dist", 403}, {"fin", 403}, {"prov2", 404}, {"dist2", 404}, {"eval", 404}} {
			cl := p.signedIn(t, c.who)
			if code, _, _ := p.post(t, cl, "/signoff/2024/objections/1/resolve", form(cl, url.Values{"outcome": {"rejected"}, "reason": {"无"}, "version": {"2"}}), nil); code != c.want {
				t.Errorf("resolve as %s: %d, want %d", c.who, code, c.want)
			}
		}
		if code, _, _ := p.post(t, ops, "/signoff/2024/objections/1/resolve", url.Values{"outcome": {"rejected"}, "reason": {"无"}}, nil); code != 403 {
			t.Errorf("resolve without the token: %d, want 403", code)
		}
		// Approving and issuing.
		for _, c := range []struct {
			who, action string
			want        int
		}{{"dep", "approve", 403}, {"prov", "approve", 403}, {"eval", "approve", 404}, {"fin", "approve", 403}, {"ops", "issue", 403}, {"dep", "issue", 403}, {"prov", "issue", 403}, {"dist", "confirm", 303}, {"dep", "confirm", 403}, {"ops", "confirm", 403}} {
			cl := p.signedIn(t, c.who)
			if code, _, _ := p.post(t, cl, "/signoff/2024/"+c.action, form(cl, v2), nil); code != c.want {
				t.Errorf("%s as %s: %d, want %d", c.action, c.who, code, c.want)
			}
		}
		if os, _ := p.App.Objections(ctx, app.ObjectionFilter{Year: 2024, Status: store.ObjectionOpen}); len(os) != 1 {
			t.Errorf("%d open objections after the refused resolutions, want 1", len(os))
		}
		if h, _ := p.App.SignoffHead(ctx, 2024, 2); h.Approval != nil || len(h.Confirmations) != 1 {
			t.Errorf("after the refusals: approval %v, %d confirmations (want none, 1: the district's)", h.Approval, len(h.Confirmations))
		}
	})
}

// TestSignoffActions runs the whole sign-off of version 2 in the portal:
// the office publishes, a provider and a district object, the office
// rejects one with a reason and accepts none, the parties see the outcome
// on the sign-off page and the line page, every party confirms, the
// office approves, the finance bureau issues; each action answers 303
// back with its message.
func TestSignoffActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := publishedPortal(t, db)
		ctx := context.Background()
		ops, dist2, prov := p.as(t, "office"), p.signedIn(t, "dist2"), p.as(t, "provider")
		act := func(c *http.Client, path string, f url.Values) (string, string) {
			t.Helper()
			f.Set("csrf", p.csrf(t, c))
			code, loc, body := p.post(t, c, path, f, nil)
			if code != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", path, code, body)
			}
			return p.flashOf(t, c, loc)
		}
		// The office cannot approve yet: app's reasons.
		if msg, _ := act(ops, "/signoff/2024/approve", url.Values{"version": {"2"}}); !strings.Contains(msg, "尚不能审批") || !strings.Contains(msg, "异议 1") {
			t.Errorf("approve too early: flash %q", msg)
		}
		// A rejection needs its reason.
		if msg, _ := act(ops, "/signoff/2024/objections/2/resolve", url.Values{"outcome": {"rejected"}, "version": {"2"}}); !strings.Contains(msg, "reason") {
			t.Errorf("reject without a reason: flash %q", msg)
		}
		reason := "补录的三天已计入第 2 版，原计费无误"
		if msg, _ := act(ops, "/signoff/2024/objections/2/resolve", url.Values{"outcome": {"rejected"}, "reason": {reason}, "version": {"2"}}); !strings.Contains(msg, "异议 2 已处理") {
			t.Errorf("reject: flash %q", msg)
		}
		if msg, _ := act(ops, "/signoff/2024/objections/2/resolve", url.Values{"outcome": {"rejected"}, "reason": {reason}, "version": {"2"}}); !strings.Contains(msg, "未完成") {
			t.Errorf("reject twice: flash %q", msg)
		}
		act(ops, "/signoff/2024/objections/1/resolve", url.Values{"outcome": {"rejected"}, "reason": {"监控口径与计量口径不同"}, "version": {"2"}})
		// The district that objected sees the outcome and the reason, on the sign-off page and on the line.
		_, page := get(t, dist2, p.URL+"/signoff/2024")
		row := between(page, `id="objection-2"`, "</tr>")
		if !strings.Contains(row, "不予采纳") || !strings.Contains(row, reason) || !strings.Contains(row, "ops") {
			t.Errorf("the district's sign-off page shows objection 2 as %q", row)
		}
		_, page = get(t, dist2, p.URL+"/statements/2024/lines/R2/MEM?version=2")
		checkPage(t, "line R2/MEM", page)
		if row := between(page, `id="objection-2"`, "</tr>"); !strings.Contains(row, "不予采纳") || !strings.Contains(row, reason) {
			t.Errorf("the line page shows objection 2 as %q", row)
		}
		// Every party confirms; then the office approves and the finance bureau issues.
		for _, c := range []*http.Client{prov, p.signedIn(t, "prov2"), p.as(t, "district"), dist2} {
			if msg, _ := act(c, "/signoff/2024/confirm", url.Values{"version": {"2"}}); !strings.Contains(msg, "已确认第 2 版") {
				t.Errorf("confirm: flash %q", msg)
			}
		}
		if msg, _ := act(prov, "/signoff/2024/confirm", url.Values{"version": {"2"}}); !strings.Contains(msg, "未完成") {
			t.Errorf("confirm twice: flash %q", msg)
		}
		_, page = get(t, prov, p.URL+"/statements/2024/lines/R1/VCPU?version=2")
		if strings.Contains(page, `enctype="multipart/form-data" class="objection"`) {
			t.Error("a provider that confirmed is still offered the objection form")
		}
		if msg, _ := act(ops, "/signoff/2024/approve", url.Values{"version": {"2"}}); !strings.Contains(msg, "已审批") {
			t.Errorf("approve: flash %q", msg)
		}
		fin := p.as(t, "finance")
		_, page = get(t, fin, p.URL+"/signoff/2024")
		if !strings.Contains(page, `action="/signoff/2024/issue"`) {
			t.Error("the finance bureau is not offered to issue the approved version")
		}
		if msg, _ := act(fin, "/signoff/2024/issue", url.Values{"version": {"2"}}); !strings.Contains(msg, "第 2 版已签发") {
			t.Errorf("issue: flash %q", msg)
		}
		sv, _, err := p.App.StatementVersion(ctx, app.VersionInput{Year: 2024, Version: 2})
		if err != nil || sv.Status != billing.StatementStatusIssued {
			t.Fatalf("version 2 is %s (%v), want issued", sv.Status, err)
		}
		_, page = get(t, fin, p.URL+"/signoff/2024")
		if !strings.Contains(between(page, `id="signoff-state">`, "<"), "已签发") || strings.Contains(page, "未经签核签发") {
			t.Errorf("the issued version's sign-off page: state %q", between(page, `id="signoff-state">`, "<"))
		}
		trail, err := p.App.AuditTrail(ctx, store.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got := map[store.AuditAction]int{}
		for _, e := range trail {
			if e.Year == 2024 {
				got[e.Action]++
			}
		}
		for a, n := range map[store.AuditAction]int{store.AuditActionPublish: 1, store.AuditActionObject: 2, store.AuditActionResolve: 2, store.AuditActionConfirm: 4, store.AuditActionApprove: 1, store.AuditActionIssue: 2} {
			if got[a] != n {
				t.Errorf("%d %s entries in the audit trail, want %d", got[a], a, n)
			}
		}
	})
}

// billCSV is provider ctc's bill of version v: its R1 line with a gross
// 12.34 higher, without R3, and a line R9/VCPU the statement lacks.
func billCSV(t *testing.T, p *portal, v int) (string, billing.Line) {
	t.Helper()
	st, err := p.App.DB.Statement(context.Background(), 2024, v)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("resource_id,item_code,billable_days,quantity_days,gross\n")
	var r1 billing.Line
	for _, l := range st.Lines {
		if l.ResourceID == "R1" && l.ItemCode == "VCPU" {
			r1 = l
			fmt.Fprintf(&b, "R1,VCPU,%d,%s,%s\n", l.BillableDays, l.QuantityDays, l.Gross.Add(dec("12.34")).StringFixed(2))
		}
	}
	b.WriteString("R9,VCPU,10,20,19.67\n")
	return b.String(), r1
}

// TestReconcilePage: a provider uploads its bill and sees what cloudbill
// reconcile lists (app.Reconcile with nothing written): the line missing
// in its bill, the one missing in the statement, the one that differs
// with its difference, and totals; the differences add up to the
// totals' difference. A bad file names its rows; other roles get 404.
func TestReconcilePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := newDraftPortal(t, db)
		prov := p.as(t, "provider")
		bill, r1 := billCSV(t, p, 2)
		resp, page := get(t, prov, p.URL+"/reconcile/2024")
		if resp.StatusCode != 200 || !strings.Contains(page, `action="/reconcile/2024?version=2"`) {
			t.Fatalf("the reconcile page: %s, without the form on version 2", resp.Status)
		}
		tok := p.csrf(t, prov)
		code, _, page := p.postFile(t, prov, "/reconcile/2024?version=2", url.Values{"csrf": {tok}}, "bill", "ctc-2024.csv", []byte(bill))
		if code != 200 {
			t.Fatalf("reconcile: %d", code)
		}
		checkPage(t, "reconcile", page)
		want, err := p.App.Reconcile(context.Background(), app.ReconcileInput{Year: 2024, Version: 2, Provider: "ctc", Name: "ctc-2024.csv", File: strings.NewReader(bill)})
		if err != nil {
			t.Fatal(err)
		}
		if want.Matched != 0 || want.MissingInBill != 1 || want.MissingInStatement != 1 || want.Differing != 1 {
			t.Fatalf("app.Reconcile: %+v", want.Reconciliation)
		}
		for id, n := range map[string]int{"matched": want.Matched, "missing-in-bill": want.MissingInBill, "missing-in-statement": want.MissingInStatement, "differing": want.Differing} {
			if got := between(page, `id="`+id+`">`, "<"); got != fmt.Sprint(n) {
				t.Errorf("%s: the page says %q, app %d", id, got, n)
			}
		}
		if got := between(page, `id="statement-gross">`, "<"); got != money(want.StatementGross) {
			t.Errorf("statement gross %q, app %s", got, want.StatementGross)
		}
		if got := between(page, `id="difference">`, "<"); got != money(want.BillGross.Sub(want.StatementGross)) {
			t.Errorf("difference %q, want %s", got, want.BillGross.Sub(want.StatementGross))
		}
		if got := strings.Count(page, `<tr id="r-`); got != len(want.Lines) {
			t.Errorf("%d rows, app lists %d", got, len(want.Lines))
		}
		if !strings.Contains(between(page, `class="differs"`, "</tr>"), "12.34") || !strings.Contains(page, money(r1.Gross)) {
			t.Error("the differing line does not show its difference of 12.34")
		}
		// A bad file: its rows named, nothing compared.
		code, _, page = p.postFile(t, prov, "/reconcile/2024", url.Values{"csrf": {tok}}, "bill", "bad.csv", []byte("resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,many,4,1\n"))
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "bad.csv:2") {
			t.Errorf("a bad bill: %d, without its row named", code)
		}
		code, _, page = p.postFile(t, prov, "/reconcile/2024", url.Values{"csrf": {tok}}, "bill", "empty.csv", nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "empty file") {
			t.Errorf("an empty bill: %d, without the reason", code)
		}
		if code, _, _ := p.postFile(t, prov, "/reconcile/2024", nil, "bill", "ctc.csv", []byte(bill)); code != 403 {
			t.Errorf("reconcile without the token: %d, want 403", code)
		}
		for _, role := range []string{"finance", "office", "district", "department", "evaluator"} {
			c := p.as(t, role)
			if code, _, _ := p.postFile(t, c, "/reconcile/2024", url.Values{"csrf": {p.csrf(t, c)}}, "bill", "ctc.csv", []byte(bill)); code != 404 {
				t.Errorf("reconcile as %s: %d, want 404", role, code)
			}
		}
		trail, _ := p.App.AuditTrail(context.Background(), store.AuditFilter{Action: store.AuditActionReconcile})
		n := 0
		for _, e := range trail {
			if e.User == "prov" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d reconciliations by prov in the audit trail, want 1 (the bad file compares nothing)", n)
		}
	})
}

// money is the portal's format of an amount (thousands separators, two decimals).
func money(d interface{ StringFixed(int32) string }) string {
	s := d.StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	i := strings.Index(s, ".")
	var b strings.Builder
	for j, c := range s[:i] {
		if j > 0 && (i-j)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + s[i:]
	if neg {
		out = "-" + out
	}
	return out
}

// TestSignoffPublishWithoutCalendar: a window whose deadline falls in a
// year the working-day calendar lacks cannot be opened; the office is
// told so, and nothing is published.
func TestSignoffPublishWithoutCalendar(t *testing.T) {
	p := newDraftPortal(t, storetest.Open(t, store.EngineSQLite))
	late := now.AddDate(0, 11, 10) // 20 December 2025: ten working days on is 2026
	p.App.Now = func() time.Time { return late }
	ops := p.as(t, "office")
	code, loc, _ := p.post(t, ops, "/signoff/2024/publish", url.Values{"csrf": {p.csrf(t, ops)}, "version": {"2"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("publish: %d, want 303", code)
	}
	if msg, _ := p.flashOf(t, ops, loc); !strings.Contains(msg, "工作日历缺少 2026 年") {
		t.Errorf("publish: flash %q", msg)
	}
	if h, _ := p.App.SignoffHead(context.Background(), 2024, 2); h.Publication != nil {
		t.Error("published without a window")
	}
}

// TestSignoffAccepted: an accepted objection shows as accepted and waiting
// for its correction to the party that objected, and blocks the approval
// until a version corrects it; the line's page of the issued version
// points to the draft under review.
func TestSignoffAccepted(t *testing.T) {
	p := publishedPortal(t, storetest.Open(t, store.EngineSQLite))
	ops, dist2 := p.as(t, "office"), p.signedIn(t, "dist2")
	code, loc, _ := p.post(t, ops, "/signoff/2024/objections/2/resolve", url.Values{"csrf": {p.csrf(t, ops)}, "outcome": {"accepted"}, "reason": {"将更正后重新结算"}, "version": {"2"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("accept: %d", code)
	}
	if msg, _ := p.flashOf(t, ops, loc); !strings.Contains(msg, "已采纳") {
		t.Errorf("accept: flash %q", msg)
	}
	_, page := get(t, dist2, p.URL+"/signoff/2024")
	if row := between(page, `id="objection-2"`, "</tr>"); !strings.Contains(row, "已采纳（待更正）") || !strings.Contains(row, "将更正后重新结算") {
		t.Errorf("the district sees objection 2 as %q", row)
	}
	_, page = get(t, ops, p.URL+"/signoff/2024")
	if !strings.Contains(between(page, `class="missing"`, "</ul>"), "异议 2（R2 · MEM）已采纳，其更正尚未计入第 2 版") {
		t.Error("the office's page does not say the accepted objection waits for its correction")
	}
	_, page = get(t, dist2, p.URL+"/statements/2024/lines/R2/MEM")
	if !strings.Contains(page, `href="/statements/2024/lines/R2/MEM?version=2#signoff"`) || strings.Contains(page, `class="objection"`) {
		t.Error("the line's page of version 1 does not point to version 2 under review (or offers to object on version 1)")
	}
}

// englishSentence finds three English words in a row: a sentence of app's
// that the portal should have said in Chinese (codes such as R1 · VCPU
// are not one).
var englishSentence = regexp.MustCompile(`[A-Za-z]{2,}[ ,:;()-]+[A-Za-z]{2,}[ ,:;()-]+[A-Za-z]{2,}`)

// TestSignoffChineseMessages: the sign-off's refusals and conflicts are
// told in Chinese: a premature approval answers 303 with the gaps (the
// parties by name), a second objection to a line whose objection is open
// and a second confirmation 303 with their sentence, a confirmation with
// an open objection 403 with its sentence (app's English kept in a
// <details>); the page lists what is missing in Chinese.
func TestSignoffChineseMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := publishedPortal(t, db)
		ops, prov, prov2 := p.as(t, "office"), p.as(t, "provider"), p.signedIn(t, "prov2")
		names, err := p.App.Names(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		flash := func(what string, c *http.Client, code int, loc, body string, want ...string) string {
			t.Helper()
			if code != http.StatusSeeOther {
				t.Fatalf("%s: %d, want 303: %s", what, code, body)
			}
			msg, page := p.flashOf(t, c, loc)
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s: flash %q lacks %q", what, msg, w)
				}
			}
			if e := englishSentence.FindString(msg); e != "" {
				t.Errorf("%s: flash %q has English %q", what, msg, e)
			}
			return page
		}
		post := func(c *http.Client, action string) (int, string, string) {
			return p.post(t, c, "/signoff/2024/"+action, url.Values{"csrf": {p.csrf(t, c)}, "version": {"2"}}, nil)
		}

		code, loc, body := post(ops, "approve")
		page := flash("a premature approval", ops, code, loc, body, "未完成：尚不能审批：", "云服务商 "+names.Providers["cuc"]+"（cuc）尚未确认",
			"县区 "+names.Districts["140221"]+"（140221）有异议，尚未确认", "异议 1（R1 · VCPU，第 2 版）尚待处理")
		missing := between(page, `<ul class="missing">`, "</ul>")
		if !strings.Contains(missing, "异议 2（R2 · MEM，第 2 版）尚待处理") {
			t.Errorf("the sign-off page lists as missing %q", missing)
		}
		if e := englishSentence.FindString(missing); e != "" {
			t.Errorf("the sign-off page lists as missing in English: %q", e)
		}
		if h, _ := p.App.SignoffHead(context.Background(), 2024, 2); h.Approval != nil {
			t.Fatal("a premature approval approved")
		}

		code, loc, body = p.objectAs(t, prov, "R1/VCPU", "再次提出", nil)
		flash("a second objection to the line", prov, code, loc, body, "异议（编号 1）尚待处理")

		code, loc, body = post(prov2, "confirm")
		flash("a confirmation", prov2, code, loc, body, "已确认第 2 版")
		code, loc, body = post(prov2, "confirm")
		flash("a second confirmation", prov2, code, loc, body, "未完成：本方已确认")

		code, _, body = post(prov, "confirm")
		if code != http.StatusForbidden || !strings.Contains(between(body, `id="refusal">`, "</p>"), "本方有待处理的异议") {
			t.Errorf("a confirmation with an open objection: %d %q, want 403 with its sentence", code, between(body, `id="refusal">`, "</p>"))
		}
		if !strings.Contains(between(body, "<details>", "</details>"), "not allowed") {
			t.Error("the 403 page does not keep app's reason in its details")
		}
		checkPage(t, "the 403 page", body)
		code, _, body = post(p.as(t, "department"), "approve")
		if code != http.StatusForbidden || !strings.Contains(between(body, `id="refusal">`, "</p>"), "不在您的角色或范围之内") {
			t.Errorf("a department approving: %d %q, want 403 with its sentence", code, between(body, `id="refusal">`, "</p>"))
		}
		if os, _ := p.App.Objections(context.Background(), app.ObjectionFilter{Year: 2024}); len(os) != 2 {
			t.Errorf("%d objections, want the 2 of before", len(os))
		}
	})
}
