package web_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"cloudbill/app"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// chromium finds Debian's chromium (scripts/deps.sh installs it). Without
// it the browser test skips, unless CLOUDBILL_REQUIRE_BROWSER=1 or CI is
// set: then a missing browser fails it. -short skips it too (make
// test-sqlite), unless CLOUDBILL_REQUIRE_BROWSER=1.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("CLOUDBILL_REQUIRE_BROWSER") != "1" {
		t.Skip("-short: browser test skipped (make test runs it)")
	}
	for _, name := range []string{os.Getenv("CLOUDBILL_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CLOUDBILL_REQUIRE_BROWSER") == "1" || os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed and CLOUDBILL_REQUIRE_BROWSER=1 (or CI): install it with scripts/deps.sh (apt-get install chromium)")
	}
	t.Skip("chromium not installed: browser test skipped (scripts/deps.sh installs it)")
	return ""
}

// artefacts is where the browser test keeps its screenshots.
func artefacts(t *testing.T) string {
	dir := os.Getenv("CLOUDBILL_ARTEFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "portal-browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// a11y is what the accessibility pass reads from a page.
type a11y struct {
	Unlabelled []string    `json:"unlabelled"`
	H1         int         `json:"h1"`
	Headings   []int       `json:"headings"`
	Pairs      [][2]string `json:"pairs"`
}

// a11yScript lists inputs without a label, the h1 count, the heading
// levels in order, and every (text colour, background) pair on the page,
// the background being the first opaque one up the tree.
const a11yScript = `(() => {
  const bg = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor; if (c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0)')) return c; } return 'rgb(255, 255, 255)'; };
  const pairs = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName !== 'text') continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) continue;
    const r = el.getBoundingClientRect(); if (r.width === 0 && r.height === 0) continue;
    const s = getComputedStyle(el); if (s.visibility === 'hidden' || s.display === 'none') continue;
    const fg = el.tagName === 'text' ? s.fill : s.color;
    pairs.add(fg + '|' + bg(el));
  }
  return {
    unlabelled: [...document.querySelectorAll('input, select, textarea')].filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id),
    h1: document.querySelectorAll('h1').length,
    headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => +h.tagName[1]),
    pairs: [...pairs].map(p => p.split('|')),
  };
})()`

var rgbRE = regexp.MustCompile(`rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)`)

// luminance is the WCAG 2 relative luminance of a CSS rgb() colour.
func luminance(t *testing.T, c string) float64 {
	m := rgbRE.FindStringSubmatch(c)
	if m == nil {
		t.Fatalf("colour %q", c)
	}
	var l [3]float64
	for i := range l {
		v, _ := strconv.ParseFloat(m[i+1], 64)
		v /= 255
		if v <= 0.04045 {
			l[i] = v / 12.92
		} else {
			l[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// contrast is the WCAG 2 contrast ratio of two colours.
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestBrowserDistrictScenario drives headless Chromium through a district
// user's visit: sign in, the city page (404), the district's bill, a
// department, a line, one day's meter reading, the year's rhythm (months
// and budgets, as of December and of July), and the district's PDF
// downloaded and compared byte for byte with the report's; each page gets
// a screenshot and the accessibility pass (labels, one h1, headings in
// order, contrast of every text ≥ 4.5:1), and no page may trip the CSP.
func TestBrowserDistrictScenario(t *testing.T) {
	exe := chromium(t)
	shots := artefacts(t)
	p := newPortal(t, storetest.Open(t, store.EngineSQLite))

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var mu sync.Mutex
	status := map[string]int64{}
	var violations []string
	downloaded := make(chan string, 1)
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			if e.Type == network.ResourceTypeDocument {
				status[e.Response.URL] = e.Response.Status
			}
		case *log.EventEntryAdded:
			if strings.Contains(e.Entry.Text, "Content Security Policy") {
				violations = append(violations, e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case downloaded <- e.GUID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	dl := t.TempDir()
	yes := true
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	step := 0
	check := func(name string, wantStatus int64) {
		t.Helper()
		step++
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", name, err)
		}
		r, err := chromedp.Run(ctx, chromedp.Evaluate[a11y](a11yScript))
		if err != nil {
			t.Fatalf("%s: accessibility pass: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%02d-%s.png", step, name)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := status[loc]
		mu.Unlock()
		if got != wantStatus {
			t.Errorf("%s (%s): HTTP %d, want %d", name, loc, got, wantStatus)
		}
		checkA11y(t, name, r)
	}

	run("sign-in page", chromedp.Navigate(p.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`#user`)))
	check("login", 200)
	run("sign in", chromedp.SendKeys(chromedp.CSS(`#user`), "dist"), chromedp.SendKeys(chromedp.CSS(`#password`), password("dist")),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`ul.links`)))
	check("home", 200)

	run("city page", chromedp.Navigate(p.URL+"/statements/2024"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if h1 := text(`main h1`); h1 != "未找到" {
		t.Errorf("the city page shows %q to a district user, want 未找到", h1)
	}
	check("city-404", 404)

	run("district page", chromedp.Navigate(p.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`ul.links`)),
		chromedp.Click(chromedp.Search(`//a[text()="本县区结算"]`)), chromedp.WaitVisible(chromedp.CSS(`table[data-sum]`)))
	check("district", 200)
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
	if err != nil {
		t.Fatalf("print the district page: %v", err)
	}
	os.WriteFile(filepath.Join(shots, "district-print.pdf"), pdf, 0o644)

	run("department", chromedp.Click(chromedp.CSS(`table[data-sum] tbody a[href*="/departments/"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href*="/lines/"]`)))
	check("department", 200)
	run("line", chromedp.Click(chromedp.CSS(`table[data-sum] tbody a[href*="/lines/R1/VCPU"]`)), chromedp.WaitVisible(chromedp.CSS(`#calendar`)))
	check("line", 200)
	run("day", chromedp.Click(chromedp.CSS(`a[href*="/days/2024-07-01"]`)), chromedp.WaitVisible(chromedp.CSS(`#metered`)))
	if metered, amount := text(`#metered`), text(`#amount`); metered != "4" || !strings.Contains(amount, "3.606557") { // 4 × 330 ÷ 366 = 3.6065573…
		t.Errorf("2024-07-01 of R1 VCPU: metered %q, amount %q; want 4 and ≈ 3.606557", metered, amount)
	}
	check("day", 200)

	// The year's rhythm, from the navigation: the district's months and
	// budgets as of December, then as of July.
	run("rhythm", chromedp.Click(chromedp.Search(`//nav[@class="main-nav"]//a[text()="月度计提与预算"]`)), chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
	check("rhythm", 200)
	run("rhythm in July", chromedp.Click(chromedp.Search(`//nav[@aria-label="截至月份"]//a[text()="7 月"]`)), chromedp.WaitVisible(chromedp.CSS(`a[aria-current="page"]`)))
	if h := text(`#districts + table tfoot td`); h == "" {
		t.Error("the rhythm page in July shows no district total")
	}
	check("rhythm-july", 200)

	// The district's PDF, downloaded by the browser, is the report's.
	run("back to the district", chromedp.Navigate(p.URL+"/statements/2024/districts/140200"))
	run("download link", chromedp.WaitVisible(chromedp.CSS(`a[href*="district-2024-140200.pdf"]`)))
	// A click that starts a download loads no page: clicked from script,
	// so that nothing waits for a load.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('a[href*="district-2024-140200.pdf"]').click(), true`)); err != nil {
		t.Fatalf("click the PDF: %v", err)
	}
	var guid string
	select {
	case guid = <-downloaded:
	case <-time.After(time.Minute):
		t.Fatal("the PDF download did not complete")
	}
	got, err := os.ReadFile(filepath.Join(dl, guid))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := p.App.Report(context.Background(), app.ReportInput{Year: 2024, Out: out}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(out, "district-2024-140200.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) || len(got) == 0 {
		t.Errorf("the downloaded PDF (%d bytes) differs from cloudbill report's (%d bytes)", len(got), len(want))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(violations) > 0 {
		t.Errorf("CSP violations: %v", violations)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("the scenario ran out of time")
	}
}

// browserRun is a headless Chromium on the portal, for the sign-off
// scenario: its steps, and a check of each page like the district
// scenario's (screenshot, HTTP status, labels, one h1, headings in order,
// contrast ≥ 4.5:1, no CSP violation).
type browserRun struct {
	t          *testing.T
	ctx        context.Context
	shots      string
	step       int
	mu         sync.Mutex
	status     map[string]int64
	violations []string
}

func newBrowserRun(t *testing.T, shots string) *browserRun {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	b := &browserRun{t: t, ctx: ctx, shots: shots, status: map[string]int64{}}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			if e.Type == network.ResourceTypeDocument {
				b.status[e.Response.URL] = e.Response.Status
			}
		case *log.EventEntryAdded:
			if strings.Contains(e.Entry.Text, "Content Security Policy") {
				b.violations = append(b.violations, e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browserRun) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browserRun) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

func (b *browserRun) check(name string, wantStatus int64) {
	t := b.t
	t.Helper()
	b.step++
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("signoff-%02d-%s.png", b.step, name)), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := chromedp.Run(b.ctx, chromedp.Evaluate[a11y](a11yScript))
	if err != nil {
		t.Fatalf("%s: accessibility pass: %v", name, err)
	}
	loc, _, _ = strings.Cut(loc, "#") // the document's address has no fragment
	b.mu.Lock()
	got := b.status[loc]
	b.mu.Unlock()
	if got != wantStatus {
		t.Errorf("%s (%s): HTTP %d, want %d", name, loc, got, wantStatus)
	}
	checkA11y(t, name, r)
}

// signIn signs the browser in as user (signing out whoever was).
func (b *browserRun) signIn(url, user string) {
	b.t.Helper()
	b.run("sign in as "+user, chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS(`body`)))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login") {
		b.run("sign out", chromedp.Click(chromedp.CSS(`header.top form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#user`)))
	}
	b.run("sign in as "+user, chromedp.WaitVisible(chromedp.CSS(`#user`)), chromedp.SendKeys(chromedp.CSS(`#user`), user),
		chromedp.SendKeys(chromedp.CSS(`#password`), password(user)),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`ul.links`)))
}

// TestBrowserSignoffScenario drives headless Chromium through an
// objection: the office has published version 2; a district user opens
// the sign-off from the navigation, objects to one of its lines from the
// line's page with an evidence file, the office rejects the objection
// with a reason on the sign-off page, and the district user sees the
// outcome and the reason on the sign-off page and on the line; a provider
// reconciles its own bill. Each page gets a screenshot and the
// accessibility pass.
func TestBrowserSignoffScenario(t *testing.T) {
	shots := artefacts(t)
	b := newBrowserRun(t, shots)
	p := newDraftPortal(t, storetest.Open(t, store.EngineSQLite))
	ops, err := p.App.ActorByName(context.Background(), "ops")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Publish(context.Background(), app.PublishInput{Actor: ops, Year: 2024, Version: 2}); err != nil {
		t.Fatal(err)
	}
	evidence := filepath.Join(t.TempDir(), "monitoring-R1.csv")
	os.WriteFile(evidence, []byte("day,vcpu\n2024-07-01,2\n"), 0o644)
	reason := "七月起 R1 仅使用 2 核，已申请变更"
	rejection := "变更批复于 2025 年生效，2024 年按原批复计费"

	b.signIn(p.URL, "dist")
	b.run("sign-off page", chromedp.Click(chromedp.Search(`//nav[@aria-label="主导航"]//a[text()="结算签核"]`)), chromedp.WaitVisible(chromedp.CSS(`#state`)))
	if st := b.text(`#signoff-state`); st != "已发布审阅" {
		t.Errorf("the sign-off state is %q, want 已发布审阅", st)
	}
	b.check("district", 200)
	b.run("line page", chromedp.Navigate(p.URL+"/statements/2024/lines/R1/VCPU?version=2"), chromedp.WaitVisible(chromedp.CSS(`form.objection`)))
	b.check("line-form", 200)
	b.run("object", chromedp.SetValue(chromedp.CSS(`#reason`), reason), chromedp.SetUploadFiles(chromedp.CSS(`#evidence`), []string{evidence}),
		chromedp.Click(chromedp.CSS(`form.objection button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if msg := b.text(`p.flash`); !strings.Contains(msg, "已提出异议") {
		t.Errorf("after objecting: %q", msg)
	}
	if out := b.text(`#objection-1 td.outcome`); out != "待处理" {
		t.Errorf("the new objection's outcome: %q, want 待处理", out)
	}
	b.check("line-objected", 200)

	b.signIn(p.URL, "ops")
	b.run("office's sign-off page", chromedp.Navigate(p.URL+"/signoff/2024"), chromedp.WaitVisible(chromedp.CSS(`#objection-1 form.resolve`)))
	if ev := b.text(`#objection-1 a[href$="/evidence"]`); ev != "monitoring-R1.csv" {
		t.Errorf("the evidence link reads %q", ev)
	}
	b.check("office", 200)
	b.run("reject", chromedp.SetValue(chromedp.CSS(`#reason-1`), rejection),
		chromedp.Click(chromedp.CSS(`#objection-1 form.resolve button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if msg := b.text(`p.flash`); !strings.Contains(msg, "异议 1 已处理") {
		t.Errorf("after rejecting: %q", msg)
	}
	b.check("office-rejected", 200)

	b.signIn(p.URL, "dist")
	b.run("district's sign-off page", chromedp.Navigate(p.URL+"/signoff/2024"), chromedp.WaitVisible(chromedp.CSS(`#objection-1`)))
	if out, res := b.text(`#objection-1 td.outcome`), b.text(`#objection-1 td.resolution`); !strings.HasPrefix(out, "不予采纳") || res != rejection {
		t.Errorf("the district sees objection 1 as %q with the reason %q, want 不予采纳 and %q", out, res, rejection)
	}
	b.check("district-outcome", 200)
	b.run("line page again", chromedp.Click(chromedp.CSS(`#objection-1 a[href*="/lines/R1/VCPU"]`)), chromedp.WaitVisible(chromedp.CSS(`#signoff`)))
	if res := b.text(`#objection-1 td.resolution`); res != rejection {
		t.Errorf("the line page shows the reason %q, want %q", res, rejection)
	}
	b.check("line-outcome", 200)

	bill, _ := billCSV(t, p, 2)
	billFile := filepath.Join(t.TempDir(), "ctc-2024.csv")
	os.WriteFile(billFile, []byte(bill), 0o644)
	b.signIn(p.URL, "prov")
	b.run("reconcile", chromedp.Navigate(p.URL+"/signoff/2024"), chromedp.Click(chromedp.CSS(`a[href^="/reconcile/2024"]`)), chromedp.WaitVisible(chromedp.CSS(`#bill`)))
	b.check("reconcile-form", 200)
	b.run("upload the bill", chromedp.SetUploadFiles(chromedp.CSS(`#bill`), []string{billFile}),
		chromedp.Click(chromedp.CSS(`form.reconcile button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#summary`)))
	if n := b.text(`#differing`); n != "1" {
		t.Errorf("the reconciliation counts %q differing lines, want 1", n)
	}
	b.check("reconcile-result", 200)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.violations) > 0 {
		t.Errorf("CSP violations: %v", b.violations)
	}
}

// checkA11y checks a page's accessibility pass: every input labelled, one
// h1, headings that skip no level, and every text at a contrast of at
// least 4.5:1.
func checkA11y(t *testing.T, name string, r a11y) {
	t.Helper()
	if len(r.Unlabelled) > 0 {
		t.Errorf("%s: inputs without a label: %v", name, r.Unlabelled)
	}
	if r.H1 != 1 {
		t.Errorf("%s: %d h1, want 1", name, r.H1)
	}
	for i := 1; i < len(r.Headings); i++ {
		if r.Headings[i] > r.Headings[i-1]+1 {
			t.Errorf("%s: heading h%d after h%d", name, r.Headings[i], r.Headings[i-1])
		}
	}
	if len(r.Pairs) == 0 {
		t.Errorf("%s: the accessibility pass found no text", name)
	}
	for _, pr := range r.Pairs {
		if c := contrast(t, pr[0], pr[1]); c < 4.5 {
			t.Errorf("%s: text %s on %s has contrast %.2f:1, below 4.5:1", name, pr[0], pr[1], c)
		}
	}
}
