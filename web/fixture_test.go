package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
	"cloudbill/web"
)

// The portal's test data set: two districts (140200 市本级 with
// department D1, 140221 阳高县 with D2), two providers (ctc, cuc), three
// resources: R1 (D1, ctc, VCPU 4 all year, across the 1 July price
// change), R2 (D2, cuc, MEM 16, metered 20 on ten days of May and missing
// on three days of June), R3 (D2, ctc, VCPU 2 from March). Settled and
// issued for 2024; findings as of 2024-12-31.

// now is the portal's clock in the tests: 10 January 2025, Shanghai.
var now = time.Date(2025, 1, 10, 10, 0, 0, 0, metering.Shanghai)

func d(s string) metering.Date { return metering.MustDate(s) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func ev(res, kind, at, item, q string) metering.Event {
	t, err := metering.ParseInstant(at)
	if err != nil {
		panic(err)
	}
	e := metering.Event{ResourceID: res, Kind: metering.EventKind(kind), At: t, Day: metering.DateOf(t), ItemCode: item, Ref: "交付〔2024〕" + res}
	if q != "" {
		e.Quantity = dec(q)
	}
	return e
}

func portalReference() *reference.Set {
	until := metering.NullDate{Date: d("2024-07-01"), Valid: true}
	ref := &reference.Set{
		Inventory: metering.Inventory{
			Districts:   []metering.District{{Code: "140200", Name: "市本级"}, {Code: "140221", Name: "阳高县"}},
			Departments: []metering.Department{{Code: "D1", Name: "市大数据局", DistrictCode: "140200"}, {Code: "D2", Name: "阳高县卫健局", DistrictCode: "140221"}},
			Providers:   []metering.Provider{{Code: "ctc", Name: "中国电信"}, {Code: "cuc", Name: "中国联通"}},
			Systems:     []metering.System{{ID: "S1", DepartmentCode: "D1", Name: "政务服务网"}, {ID: "S2", DepartmentCode: "D2", Name: "健康档案"}},
			Resources: []metering.Resource{
				{ID: "R1", SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: "门户主机"},
				{ID: "R2", SystemID: "S2", ProviderCode: "cuc", Kind: "vm", Name: "档案数据库"},
				{ID: "R3", SystemID: "S2", ProviderCode: "ctc", Kind: "vm", Name: "档案前置机"},
			},
		},
		Catalogue: []billing.PriceVersion{
			{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear, Price: dec("360"), EffectiveFrom: d("2023-01-01"), EffectiveTo: until, ApprovalRef: "同财〔2023〕1号"},
			{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear, Price: dec("330"), EffectiveFrom: d("2024-07-01"), ApprovalRef: "同财〔2024〕9号"},
			{ItemCode: "MEM", Category: "计算", Name: "内存", Unit: "GB·年", Cycle: billing.CycleYear, Price: dec("120"), EffectiveFrom: d("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
		},
		Events: []metering.Event{
			ev("R1", "approved", "2023-12-01T10:00:00+08:00", "VCPU", "4"),
			ev("R1", "confirmed", "2023-12-05T10:00:00+08:00", "", ""),
			ev("R2", "approved", "2023-12-01T10:00:00+08:00", "MEM", "16"),
			ev("R2", "confirmed", "2023-12-05T10:00:00+08:00", "", ""),
			ev("R3", "approved", "2024-02-26T10:00:00+08:00", "VCPU", "2"),
			ev("R3", "confirmed", "2024-02-29T17:30:00Z", "", ""), // 2024-03-01 in Shanghai
		},
	}
	for _, p := range []string{"ctc", "cuc"} {
		for q := 1; q <= 4; q++ {
			for i, dim := range []evaluation.Dimension{evaluation.DimensionResponse, evaluation.DimensionQuality, evaluation.DimensionSatisfaction, evaluation.DimensionSecurity} {
				ref.Scores = append(ref.Scores, evaluation.Score{ProviderCode: p, Period: fmt.Sprintf("2024Q%d", q), Dimension: dim, Evaluator: evaluation.EvaluatorDepartment, Score: decimal.NewFromInt(int64(88 + i + q))})
				ref.Scores = append(ref.Scores, evaluation.Score{ProviderCode: p, Period: fmt.Sprintf("2024Q%d", q), Dimension: dim, Evaluator: evaluation.EvaluatorPublic, Score: decimal.NewFromInt(int64(90 + q))})
			}
		}
	}
	for _, y := range []int{2023, 2024, 2025} {
		ref.Calendar = append(ref.Calendar, evaluation.CalendarDay{Day: metering.NewDate(y, 1, 1), Kind: evaluation.DayHoliday, Name: "元旦"})
	}
	return ref
}

// usageCSV is the year's metering of the three resources.
func usageCSV() string {
	var b strings.Builder
	b.WriteString("day,resource_id,item_code,quantity\n")
	for day := d("2024-01-01"); day <= d("2024-12-31"); day++ {
		fmt.Fprintf(&b, "%s,R1,VCPU,4\n", day)
		switch {
		case day >= d("2024-05-01") && day <= d("2024-05-10"):
			fmt.Fprintf(&b, "%s,R2,MEM,20\n", day)
		case day >= d("2024-06-10") && day <= d("2024-06-12"):
		default:
			fmt.Fprintf(&b, "%s,R2,MEM,16\n", day)
		}
		if day >= d("2024-03-01") {
			fmt.Fprintf(&b, "%s,R3,VCPU,2\n", day)
		}
	}
	return b.String()
}

// cheap keeps the tests' password hashing fast; the hash records them.
var cheap = &app.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

// accounts are the test's users, one per role, each with its password.
var accounts = []struct {
	name string
	in   app.UserInput
}{
	{"finance", app.UserInput{Name: "fin", Role: app.RoleFinance}},
	{"office", app.UserInput{Name: "ops", Role: app.RoleOffice}},
	{"district", app.UserInput{Name: "dist", Role: app.RoleDistrict, District: "140200"}},
	{"department", app.UserInput{Name: "dep", Role: app.RoleDepartment, Department: "D1"}},
	{"provider", app.UserInput{Name: "prov", Role: app.RoleProvider, Provider: "ctc"}},
	{"evaluator", app.UserInput{Name: "eval", Role: app.RoleEvaluator}},
}

func password(user string) string { return "password-of-" + user }

// portal is a running portal on a database with the test data set.
type portal struct {
	URL   string
	App   *app.App
	Inbox string
}

// newPortal loads, ingests, settles and issues the test data set on db
// and serves the portal on it.
func newPortal(t *testing.T, db *store.DB) *portal {
	t.Helper()
	ctx := context.Background()
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Now = func() time.Time { return now }
	a.Passwords = cheap
	if _, err := a.LoadSet(ctx, portalReference()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	for _, sub := range []string{"", "done", "failed"} {
		os.MkdirAll(filepath.Join(inbox, sub), 0o755)
	}
	usage := filepath.Join(dir, "usage-2024.csv")
	if err := os.WriteFile(usage, []byte(usageCSV()+"2024-13-01,R1,VCPU,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inbox, "failed", "broken.csv"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(inbox, "failed", "broken.csv.reason"), []byte("broken.csv:1: unknown header"), 0o644)
	os.WriteFile(filepath.Join(inbox, "waiting.csv"), []byte("day\n"), 0o644)
	if _, err := a.Ingest(ctx, app.IngestInput{Paths: []string{usage}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: d("2024-12-31")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Settle(ctx, app.YearInput{Year: 2024}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Issue(ctx, app.IssueInput{Year: 2024, WithoutSignoff: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, ac := range accounts {
		in := ac.in
		in.Password = password(in.Name)
		if err := a.AddUser(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := web.New(a, web.Config{Inbox: inbox, CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &portal{URL: ts.URL, App: a, Inbox: inbox}
}

// client is a browser-like HTTP client that keeps cookies and does not
// follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// signIn signs c in as user with pw and returns the POST's response.
func (p *portal) signIn(t *testing.T, c *http.Client, user, pw string) *http.Response {
	t.Helper()
	_, page := get(t, c, p.URL+"/login")
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the sign-in page")
	}
	resp, err := c.PostForm(p.URL+"/login", url.Values{"token": {m[1]}, "user": {user}, "password": {pw}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// as returns a client signed in as the account of role.
func (p *portal) as(t *testing.T, role string) *http.Client {
	t.Helper()
	c := client(t)
	if role == "anonymous" {
		return c
	}
	for _, ac := range accounts {
		if ac.name == role {
			if resp := p.signIn(t, c, ac.in.Name, password(ac.in.Name)); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in as %s: %s", role, resp.Status)
			}
			return c
		}
	}
	t.Fatalf("no account of role %s", role)
	return nil
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// eachPortal runs fn on a portal over each engine.
func eachPortal(t *testing.T, fn func(t *testing.T, p *portal)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, newPortal(t, db)) })
}
