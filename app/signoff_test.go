package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// The sign-off's test data set: two providers (ctc, cuc) and three
// districts (140200 with D1, 140221 with D2, 140222 with D3); R1 (D1,
// ctc, VCPU 4), R2 (D2, cuc, MEM 16), R3 (D3, ctc, VCPU 2), metered all
// of 2024. The calendar has 元旦 of 2023 to 2025 as holidays.
func signoffReference() *reference.Set {
	d := metering.MustDate
	dec := decimal.RequireFromString
	ev := func(res, kind, at, item, q string) metering.Event {
		t, err := metering.ParseInstant(at)
		if err != nil {
			panic(err)
		}
		e := metering.Event{ResourceID: res, Kind: metering.EventKind(kind), At: t, Day: metering.DateOf(t), ItemCode: item, Ref: "交付〔2023〕" + res}
		if q != "" {
			e.Quantity = dec(q)
		}
		return e
	}
	ref := &reference.Set{
		Inventory: metering.Inventory{
			Districts: []metering.District{{Code: "140200", Name: "市本级"}, {Code: "140221", Name: "阳高县"}, {Code: "140222", Name: "天镇县"}},
			Departments: []metering.Department{{Code: "D1", Name: "市大数据局", DistrictCode: "140200"}, {Code: "D2", Name: "阳高县卫健局", DistrictCode: "140221"},
				{Code: "D3", Name: "天镇县教育局", DistrictCode: "140222"}},
			Providers: []metering.Provider{{Code: "ctc", Name: "中国电信"}, {Code: "cuc", Name: "中国联通"}},
			Systems: []metering.System{{ID: "S1", DepartmentCode: "D1", Name: "政务服务网"}, {ID: "S2", DepartmentCode: "D2", Name: "健康档案"},
				{ID: "S3", DepartmentCode: "D3", Name: "学籍管理"}},
			Resources: []metering.Resource{
				{ID: "R1", SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: "门户主机"},
				{ID: "R2", SystemID: "S2", ProviderCode: "cuc", Kind: "vm", Name: "档案数据库"},
				{ID: "R3", SystemID: "S3", ProviderCode: "ctc", Kind: "vm", Name: "学籍主机"},
			},
		},
		Catalogue: []billing.PriceVersion{
			{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear, Price: dec("360"), EffectiveFrom: d("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
			{ItemCode: "MEM", Category: "计算", Name: "内存", Unit: "GB·年", Cycle: billing.CycleYear, Price: dec("120"), EffectiveFrom: d("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
		},
		Events: []metering.Event{
			ev("R1", "approved", "2023-12-01T10:00:00+08:00", "VCPU", "4"),
			ev("R1", "confirmed", "2023-12-05T10:00:00+08:00", "", ""),
			ev("R2", "approved", "2023-12-01T10:00:00+08:00", "MEM", "16"),
			ev("R2", "confirmed", "2023-12-05T10:00:00+08:00", "", ""),
			ev("R3", "approved", "2023-12-01T10:00:00+08:00", "VCPU", "2"),
			ev("R3", "confirmed", "2023-12-05T10:00:00+08:00", "", ""),
		},
	}
	for _, p := range []string{"ctc", "cuc"} {
		for q := 1; q <= 4; q++ {
			for _, dim := range []evaluation.Dimension{evaluation.DimensionResponse, evaluation.DimensionQuality, evaluation.DimensionSatisfaction, evaluation.DimensionSecurity} {
				ref.Scores = append(ref.Scores, evaluation.Score{ProviderCode: p, Period: fmt.Sprintf("2024Q%d", q), Dimension: dim, Evaluator: evaluation.EvaluatorDepartment, Score: decimal.NewFromInt(96)})
			}
		}
	}
	for _, y := range []int{2023, 2024, 2025} {
		ref.Calendar = append(ref.Calendar, evaluation.CalendarDay{Day: metering.NewDate(y, 1, 1), Kind: evaluation.DayHoliday, Name: "元旦"})
	}
	return ref
}

// signoffUsage is 2024's metering of the three resources; R2 at mem GB
// from day from on (a correction re-ingests it).
func signoffUsage(mem string, from metering.Date) string {
	var b strings.Builder
	b.WriteString("day,resource_id,item_code,quantity\n")
	for day := metering.MustDate("2024-01-01"); day <= metering.MustDate("2024-12-31"); day++ {
		if day >= from {
			fmt.Fprintf(&b, "%s,R2,MEM,%s\n", day, mem)
		}
		if from == metering.MustDate("2024-01-01") {
			fmt.Fprintf(&b, "%s,R1,VCPU,4\n%s,R3,VCPU,2\n", day, day)
		}
	}
	return b.String()
}

// signoffClock is a settable clock, Asia/Shanghai.
type signoffClock struct{ t time.Time }

func (c *signoffClock) set(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, metering.Shanghai)
	if err != nil {
		panic(err)
	}
	c.t = t
}

// newSignoffApp loads the data set, ingests 2024 and settles version 1
// on 5 January 2025.
func newSignoffApp(t *testing.T, db *store.DB) (*App, *signoffClock) {
	t.Helper()
	ctx := context.Background()
	clock := &signoffClock{}
	clock.set("2025-01-05 06:00")
	a := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.PolicyPath = ""
	a.Now = func() time.Time { return clock.t }
	if _, err := a.LoadSet(ctx, signoffReference()); err != nil {
		t.Fatal(err)
	}
	ingestCSV(t, a, "usage-2024.csv", signoffUsage("16", metering.MustDate("2024-01-01")))
	if _, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: metering.MustDate("2024-12-31")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Settle(ctx, YearInput{Year: 2024}); err != nil {
		t.Fatal(err)
	}
	return a, clock
}

func ingestCSV(t *testing.T, a *App, name, body string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ingest(context.Background(), IngestInput{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
}

var (
	office   = Actor{User: "ops", Role: "office"}
	finance  = Actor{User: "fin", Role: "finance"}
	ctc      = Actor{User: "ctc.zhang", Role: "provider", Provider: "ctc"}
	cuc      = Actor{User: "cuc.li", Role: "provider", Provider: "cuc"}
	city     = Actor{User: "city", Role: "district", District: "140200"}
	yanggao  = Actor{User: "yanggao", Role: "district", District: "140221"}
	tianzhen = Actor{User: "tianzhen", Role: "district", District: "140222"}
	dept     = Actor{User: "dep", Role: "department", Department: "D1"}
	eval     = Actor{User: "eval", Role: "evaluator"}
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func party(v SignoffView, code string) PartyState {
	for _, s := range append(append([]PartyState(nil), v.Providers...), v.Districts...) {
		if s.Code == code {
			return s
		}
	}
	return PartyState{}
}

// The whole flow for two providers and three districts: publish, confirm,
// object, reject with a reason, accept → settle v2 closes it, carry-over
// of unchanged parties, lapse, approve, issue; and the audit trail of it.
func TestSignoffFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, clock := newSignoffApp(t, db)

		if err := a.Confirm(ctx, ConfirmInput{Actor: ctc, Year: 2024}); !errors.Is(err, store.ErrNotPublished) {
			t.Fatalf("confirm before publication: %v", err)
		}
		clock.set("2025-01-06 09:00") // Monday
		must(t, a.Publish(ctx, PublishInput{Actor: office, Year: 2024}))
		if err := a.Publish(ctx, PublishInput{Actor: office, Year: 2024}); !errors.Is(err, store.ErrPublished) {
			t.Fatalf("second publication: %v", err)
		}
		v, err := a.Signoff(ctx, SignoffInput{Year: 2024})
		must(t, err)
		// 10 working days after Monday 6 January: 7, 8, 9, 10, 13, 14, 15, 16, 17, 20.
		if v.Deadline != metering.MustDate("2025-01-20") || !v.WindowOpen || v.Approvable {
			t.Fatalf("after publication: deadline %s, open %t, approvable %t", v.Deadline, v.WindowOpen, v.Approvable)
		}
		if len(v.Providers) != 2 || len(v.Districts) != 3 {
			t.Fatalf("%d providers, %d districts", len(v.Providers), len(v.Districts))
		}
		for _, c := range []struct {
			ac   Actor
			want SignoffSteps
		}{
			{office, SignoffSteps{}}, {ctc, SignoffSteps{Confirm: true, Object: true}}, {city, SignoffSteps{Confirm: true, Object: true}},
			{dept, SignoffSteps{}}, {finance, SignoffSteps{}},
		} {
			if v, _ := a.Signoff(ctx, SignoffInput{Actor: c.ac, Year: 2024}); v.May != c.want || (c.want.Confirm && v.Own == nil) {
				t.Errorf("%s may %+v (own %v), want %+v", c.ac.User, v.May, v.Own, c.want)
			}
		}

		clock.set("2025-01-07 10:00")
		must(t, a.Confirm(ctx, ConfirmInput{Actor: ctc, Year: 2024}))
		must(t, a.Confirm(ctx, ConfirmInput{Actor: city, Year: 2024}))
		accepted, err := a.Object(ctx, ObjectInput{Actor: cuc, Year: 2024, ResourceID: "R2", ItemCode: "MEM", Reason: "12 月只用了 8 GB",
			Evidence: strings.NewReader("day,quantity\n2024-12-01,8\n"), EvidenceName: "使用记录.csv"})
		must(t, err)
		rejected, err := a.Object(ctx, ObjectInput{Actor: tianzhen, Year: 2024, ResourceID: "R3", ItemCode: "VCPU", Reason: "该主机已于 11 月停用"})
		must(t, err)

		// Outside role or scope.
		for _, c := range []struct {
			name string
			err  error
		}{
			{"a provider publishing", a.Publish(ctx, PublishInput{Actor: ctc, Year: 2024})},
			{"a provider objecting to another provider's line", func() error {
				_, err := a.Object(ctx, ObjectInput{Actor: ctc, Year: 2024, ResourceID: "R2", ItemCode: "MEM", Reason: "x"})
				return err
			}()},
			{"a district objecting to another district's line", func() error {
				_, err := a.Object(ctx, ObjectInput{Actor: yanggao, Year: 2024, ResourceID: "R3", ItemCode: "VCPU", Reason: "x"})
				return err
			}()},
			{"a department confirming", a.Confirm(ctx, ConfirmInput{Actor: dept, Year: 2024})},
			{"the finance bureau confirming", a.Confirm(ctx, ConfirmInput{Actor: finance, Year: 2024})},
			{"a provider approving", a.Approve(ctx, ApproveInput{Actor: ctc, Year: 2024})},
			{"the finance bureau resolving", a.Resolve(ctx, ResolveInput{Actor: finance, ID: accepted, Outcome: store.ObjectionAccepted})},
			{"a district resolving its own objection", a.Resolve(ctx, ResolveInput{Actor: tianzhen, ID: rejected, Outcome: store.ObjectionAccepted})},
			{"a provider with an open objection confirming", a.Confirm(ctx, ConfirmInput{Actor: cuc, Year: 2024})},
			{"a confirmed provider objecting", func() error {
				_, err := a.Object(ctx, ObjectInput{Actor: ctc, Year: 2024, ResourceID: "R1", ItemCode: "VCPU", Reason: "x"})
				return err
			}()},
			{"the office issuing", func() error {
				_, err := a.Issue(ctx, IssueInput{Actor: office, Year: 2024, WithoutSignoff: "x"})
				return err
			}()},
			{"an evaluator listing objections", func() error { _, err := a.Objections(ctx, ObjectionFilter{Actor: eval}); return err }()},
			{"another provider reading the evidence", func() error { _, err := a.Evidence(ctx, EvidenceInput{Actor: ctc, ID: accepted}); return err }()},
		} {
			if !errors.Is(c.err, ErrRefused) {
				t.Errorf("%s: %v, want a refusal", c.name, c.err)
			}
		}
		if err := a.Confirm(ctx, ConfirmInput{Actor: ctc, Year: 2024}); !errors.Is(err, store.ErrConfirmed) {
			t.Errorf("second confirmation: %v", err)
		}
		ev, err := a.Evidence(ctx, EvidenceInput{Actor: cuc, ID: accepted})
		must(t, err)
		if string(ev.Body) != "day,quantity\n2024-12-01,8\n" || ev.Size != 26 || len(ev.SHA256) != 64 || ev.Name != "使用记录.csv" {
			t.Errorf("evidence %+v", ev)
		}
		if _, err := a.Object(ctx, ObjectInput{Actor: yanggao, Year: 2024, ResourceID: "R2", ItemCode: "MEM", Reason: "x",
			Evidence: io.LimitReader(zeros{}, store.MaxEvidenceBytes+1), EvidenceName: "big.bin"}); err == nil {
			t.Error("evidence over 10 MiB accepted")
		}

		err = a.Approve(ctx, ApproveInput{Actor: office, Year: 2024})
		if err == nil || !strings.Contains(err.Error(), "provider cuc has not confirmed") ||
			!strings.Contains(err.Error(), fmt.Sprintf("objection %d", rejected)) {
			t.Errorf("approve with an open objection: %v", err)
		}
		var se *StateError
		if !errors.Is(err, ErrState) || !errors.As(err, &se) || se.Op != "approve" || len(se.Gaps) != 5 {
			t.Errorf("approve with an open objection: %v (%+v), want a state error with its 5 gaps", err, se)
		} else if se.Gaps[0] != (Gap{Kind: GapUnconfirmed, Version: 1, Party: store.PartyProvider, Code: "cuc", State: PartyObjected}) ||
			se.Gaps[4] != (Gap{Kind: GapObjectionOpen, Version: 1, Objection: rejected, ResourceID: "R3", ItemCode: "VCPU"}) {
			t.Errorf("approve with an open objection: gaps %+v", se.Gaps)
		}
		// A second objection to a line whose objection is open; a line the version lacks.
		if _, err := a.Object(ctx, ObjectInput{Actor: tianzhen, Year: 2024, ResourceID: "R3", ItemCode: "VCPU", Reason: "again"}); !errors.Is(err, ErrState) ||
			!strings.Contains(err.Error(), fmt.Sprintf("objection %d to R3/VCPU is open already", rejected)) {
			t.Errorf("a second objection to an open one's line: %v, want ErrState", err)
		}
		if _, err := a.Object(ctx, ObjectInput{Actor: tianzhen, Year: 2024, ResourceID: "R9", ItemCode: "VCPU", Reason: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("an objection to a line the version lacks: %v, want ErrNotFound", err)
		}
		if err := a.Confirm(ctx, ConfirmInput{Actor: cuc, Year: 2024}); !errors.Is(err, ErrRefused) || !errors.Is(err, ErrObjectionOpen) {
			t.Errorf("a provider with an open objection confirming: %v, want ErrRefused and ErrObjectionOpen", err)
		}

		clock.set("2025-01-08 15:00")
		if v, _ := a.Signoff(ctx, SignoffInput{Actor: cuc, Year: 2024}); v.May.Confirm || !v.May.Object || v.Own.State != PartyObjected {
			t.Errorf("cuc with an open objection may %+v, state %s", v.May, v.Own.State)
		}
		if v, _ := a.Signoff(ctx, SignoffInput{Actor: office, Year: 2024}); !v.May.Resolve || v.May.Approve || v.May.Publish {
			t.Errorf("the office with open objections may %+v", v.May)
		}
		must(t, a.Resolve(ctx, ResolveInput{Actor: office, ID: rejected, Outcome: store.ObjectionRejected, Reason: "停用申请未获批准，资源仍在计费期内"}))
		if err := a.Resolve(ctx, ResolveInput{Actor: office, ID: rejected, Outcome: store.ObjectionRejected, Reason: "again"}); !errors.Is(err, store.ErrResolved) {
			t.Errorf("second resolution: %v", err)
		}
		if err := a.Resolve(ctx, ResolveInput{Actor: office, ID: rejected, Outcome: store.ObjectionRejected}); err == nil {
			t.Error("a rejection without a reason")
		}
		// The objecting district sees the outcome; another district does not see the objection.
		os, err := a.Objections(ctx, ObjectionFilter{Actor: tianzhen, Year: 2024})
		must(t, err)
		if len(os) != 1 || os[0].Status != store.ObjectionRejected || os[0].Resolution != "停用申请未获批准，资源仍在计费期内" || os[0].ResolvedBy != "ops" {
			t.Errorf("tianzhen sees %+v", os)
		}
		if os, _ := a.Objections(ctx, ObjectionFilter{Actor: city, Year: 2024}); len(os) != 0 {
			t.Errorf("市本级 sees %d objections of other districts", len(os))
		}
		if os, _ := a.Objections(ctx, ObjectionFilter{Actor: ctc, Year: 2024}); len(os) != 1 || os[0].ID != rejected {
			t.Errorf("ctc sees the objections to its lines: %+v", os)
		}
		// Its objection rejected, tianzhen has its lines to confirm again:
		// pending, no longer objected.
		if v, _ := a.Signoff(ctx, SignoffInput{Actor: tianzhen, Year: 2024}); v.Own == nil || v.Own.State != PartyPending || !v.May.Confirm {
			t.Errorf("tianzhen after the rejection: %+v may %+v", v.Own, v.May)
		}
		must(t, a.Confirm(ctx, ConfirmInput{Actor: tianzhen, Year: 2024}))

		must(t, a.Resolve(ctx, ResolveInput{Actor: office, ID: accepted, Outcome: store.ObjectionAccepted, Reason: "按实际用量更正"}))
		if err := a.Approve(ctx, ApproveInput{Actor: office, Year: 2024}); err == nil || !strings.Contains(err.Error(), "was accepted") {
			t.Errorf("approve before the correction is settled: %v", err)
		}

		// The correction: R2 used 8 GB from 1 December; settling makes v2
		// and closes the accepted objection.
		clock.set("2025-01-10 09:00")
		ingestCSV(t, a, "usage-r2-fix.csv", signoffUsage("8", metering.MustDate("2024-12-01")))
		r, err := a.Settle(ctx, YearInput{Year: 2024})
		must(t, err)
		if !r.Saved || r.Statement.Version != 2 {
			t.Fatalf("settle after the correction: saved %t version %d", r.Saved, r.Statement.Version)
		}
		o, err := db.Objection(ctx, accepted)
		must(t, err)
		if o.Status != store.ObjectionAccepted || o.ClosedByVersion != 2 {
			t.Errorf("accepted objection after v2: %s closed by %d", o.Status, o.ClosedByVersion)
		}
		if err := a.Confirm(ctx, ConfirmInput{Actor: cuc, Year: 2024, Version: 1}); !errors.Is(err, ErrState) || err.Error() != "confirm: 2024 version 1 is not the latest version: sign off the latest" {
			t.Errorf("confirming version 1 once version 2 exists: %v, want ErrState", err)
		}

		clock.set("2025-01-13 09:00") // Monday: the window runs to 27 January
		must(t, a.Publish(ctx, PublishInput{Actor: office, Year: 2024}))
		v, err = a.Signoff(ctx, SignoffInput{Actor: office, Year: 2024})
		must(t, err)
		// Unchanged lines carry their confirmation over (ctc, 140200, and
		// 140222, which confirmed v1 after the rejection); the parties of
		// the corrected line (cuc, 140221) answer again.
		for code, want := range map[string]PartyStateKind{"ctc": PartyConfirmed, "140200": PartyConfirmed, "140222": PartyConfirmed, "cuc": PartyPending, "140221": PartyPending} {
			if s := party(v, code); s.State != want {
				t.Errorf("v2 %s: %s, want %s", code, s.State, want)
			} else if want == PartyConfirmed && s.CarriedFrom != 1 {
				t.Errorf("v2 %s: carried from %d", code, s.CarriedFrom)
			}
		}
		if s := party(v, "ctc"); s.User != "ctc.zhang" {
			t.Errorf("carried confirmation of ctc by %q", s.User)
		}
		clock.set("2025-01-14 10:00")
		must(t, a.Confirm(ctx, ConfirmInput{Actor: cuc, Year: 2024}))

		if _, err := a.Issue(ctx, IssueInput{Actor: finance, Year: 2024}); !errors.Is(err, ErrNotApproved) || !strings.Contains(err.Error(), "district 140221 has not confirmed") {
			t.Errorf("issue before approval: %v", err)
		}
		// 阳高县 does not answer: approving after the window records its lapse.
		clock.set("2025-01-28 10:00")
		must(t, a.Approve(ctx, ApproveInput{Actor: office, Year: 2024}))
		if err := a.Confirm(ctx, ConfirmInput{Actor: cuc, Year: 2024}); err == nil {
			t.Error("confirming an approved version")
		}
		clock.set("2025-01-29 10:00")
		if _, err := a.Issue(ctx, IssueInput{Actor: finance, Year: 2024, WithoutSignoff: "x"}); err == nil {
			t.Error("--without-signoff on an approved version")
		}
		iv, err := a.Issue(ctx, IssueInput{Actor: finance, Year: 2024})
		must(t, err)
		if iv != 2 {
			t.Fatalf("issued version %d", iv)
		}
		v, err = a.Signoff(ctx, SignoffInput{Year: 2024, Version: 2})
		must(t, err)
		if v.Issue == nil || v.Issue.User != "fin" || v.Issue.Role != "finance" || v.Approval == nil || v.Approval.User != "ops" {
			t.Errorf("issued view: issue %+v approval %+v", v.Issue, v.Approval)
		}
		if len(v.Objections) != 2 {
			t.Errorf("the issued version lists %d objections, want 2", len(v.Objections))
		}

		// The documents: the statement's seal blocks, records and appendix;
		// 天镇县's bill its own objection only; the same bytes on a rerun.
		first := reportFiles(t, a, 2)
		if again := reportFiles(t, a, 2); sameFiles(first, again) != "" {
			t.Errorf("the issued version's documents changed on a rerun: %s", sameFiles(first, again))
		}
		text := pdfText(t, first["statement-2024.pdf"])
		for _, want := range []string{"对账确认：已确认（沿用第 1 版）", "ctc.zhang（云服务商）", "逾期视为确认", "审核批准：ops（市政府信息化中心）",
			"签发：fin（市财政局）", "签核记录", "附录：异议及处理情况", "停用申请未获批准，资源仍在计费期内", "已在第 2 版更正", "使用记录.csv（26 字节"} {
			if !strings.Contains(text, squeeze(want)) {
				t.Errorf("statement-2024.pdf lacks %q", want)
			}
		}
		for _, o := range v.Objections {
			if o.EvidenceSHA256 != "" && !strings.Contains(text, o.EvidenceSHA256) {
				t.Errorf("statement-2024.pdf does not print objection %d's evidence SHA-256 %s whole", o.ID, o.EvidenceSHA256)
			}
		}
		bill := pdfText(t, first["district-2024-140222.pdf"])
		if !strings.Contains(bill, squeeze("该主机已于 11 月停用")) || strings.Contains(bill, squeeze("12 月只用了 8 GB")) || !strings.Contains(bill, "县区确认") {
			t.Errorf("天镇县's bill:\n%s", bill)
		}

		counts := map[store.AuditAction]int{}
		entries, err := db.AuditYear(ctx, 2024, false)
		must(t, err)
		for _, e := range entries {
			counts[e.Action]++
			if e.Action == store.AuditActionObject && e.Subject == "R3/VCPU" && (e.User != "tianzhen" || e.Role != "district") {
				t.Errorf("objection entry %+v", e)
			}
		}
		if v, err := db.VerifyAudit(ctx); err != nil || v.Broken != nil {
			t.Errorf("audit chain: %+v %v", v.Broken, err)
		}
		// confirm: ctc, city, tianzhen (v1); ctc, city, tianzhen carried, cuc (v2).
		// resolve: the rejection, the acceptance, and its closing by v2.
		for action, want := range map[store.AuditAction]int{store.AuditActionPublish: 2, store.AuditActionConfirm: 7, store.AuditActionObject: 2, store.AuditActionLapse: 1,
			store.AuditActionResolve: 3, store.AuditActionApprove: 1, store.AuditActionIssue: 1} {
			if counts[action] != want {
				t.Errorf("%d %s entries, want %d", counts[action], action, want)
			}
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A district that does not answer within the window is confirmed by lapse,
// once, by whichever of the nightly job, a status read and the approval
// comes first.
func TestSignoffLapse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, clock := newSignoffApp(t, db)
		clock.set("2025-01-06 09:00")
		must(t, a.Publish(ctx, PublishInput{Actor: office, Year: 2024}))
		clock.set("2025-01-20 23:00") // the deadline's last hour
		must(t, a.Confirm(ctx, ConfirmInput{Actor: ctc, Year: 2024}))
		must(t, a.Confirm(ctx, ConfirmInput{Actor: cuc, Year: 2024}))
		must(t, a.Confirm(ctx, ConfirmInput{Actor: city, Year: 2024}))
		if n, err := a.LapseSignoffs(ctx); err != nil || n != 0 {
			t.Fatalf("lapses within the window: %d, %v", n, err)
		}
		clock.set("2025-01-21 01:30")
		if err := a.Confirm(ctx, ConfirmInput{Actor: yanggao, Year: 2024}); !errors.Is(err, ErrRefused) || !errors.Is(err, ErrWindowClosed) {
			t.Errorf("a district confirming after the window: %v", err)
		}
		n, err := a.LapseSignoffs(ctx)
		must(t, err)
		if n != 2 {
			t.Errorf("%d lapses, want 2 (140221, 140222)", n)
		}
		if n, _ := a.LapseSignoffs(ctx); n != 0 {
			t.Errorf("the second night lapses %d again", n)
		}
		if v, _ := a.Signoff(ctx, SignoffInput{Actor: yanggao, Year: 2024}); v.May != (SignoffSteps{}) || v.WindowOpen {
			t.Errorf("a district after the window may %+v", v.May)
		}
		v, err := a.Signoff(ctx, SignoffInput{Year: 2024})
		must(t, err)
		if s := party(v, "140222"); s.State != PartyLapsed {
			t.Errorf("140222: %s", s.State)
		}
		if !v.Approvable {
			t.Errorf("not approvable: %v", v.Missing)
		}
		// A draft's documents print its current state.
		if text := pdfText(t, reportFiles(t, a, 1)["statement-2024.pdf"]); !strings.Contains(text, squeeze("签核状态：已于 2025-01-06 09:00 发布审核")) ||
			!strings.Contains(text, "逾期视为确认") {
			t.Errorf("the draft's statement does not print its sign-off state")
		}
		must(t, a.Approve(ctx, ApproveInput{Actor: office, Year: 2024}))
		if entries, _ := db.Audit(ctx, store.AuditFilter{Action: store.AuditActionLapse}); len(entries) != 2 {
			t.Errorf("%d lapse entries", len(entries))
		}
	})
}

// An issue without approval is refused, except with a reason, which is
// recorded in the audit trail and frozen with the version.
func TestIssueWithoutSignoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, _ := newSignoffApp(t, db)
		if _, err := a.Issue(ctx, IssueInput{Year: 2024}); !errors.Is(err, ErrNotApproved) || !strings.Contains(err.Error(), "not published") {
			t.Fatalf("issue without sign-off: %v", err)
		}
		const reason = "年度预算执行截止，经市政府同意先行签发"
		v, err := a.Issue(ctx, IssueInput{Year: 2024, WithoutSignoff: reason})
		must(t, err)
		snap, ok, err := db.StatementSnapshot(ctx, 2024, v)
		must(t, err)
		if !ok || snap.Signoff == nil || snap.Signoff.Issue == nil || snap.Signoff.Issue.WithoutSignoff != reason || snap.Signoff.Issue.User == "" {
			t.Fatalf("snapshot sign-off %+v", snap.Signoff)
		}
		entries, err := db.Audit(ctx, store.AuditFilter{Action: store.AuditActionIssue})
		must(t, err)
		if len(entries) != 1 || !strings.Contains(entries[0].Detail, reason) {
			t.Errorf("audit %+v", entries)
		}
		files := reportFiles(t, a, v)
		for _, name := range []string{"statement-2024.pdf", "district-2024-140221.pdf"} {
			if text := pdfText(t, files[name]); !strings.Contains(text, "本结算单未经签核程序签发") || !strings.Contains(text, reason) {
				t.Errorf("%s does not print the issue without sign-off", name)
			}
		}
	})
}

// pdfText is the text of a PDF (pdftotext, without layout), without any
// white space (a table cell wraps anywhere); compare with squeeze(want).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils, make deps): %v", err)
	}
	return squeeze(string(out))
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// Gap.String is the English the command line prints (cloudbill signoff
// status: "approvable: false …"), unchanged.
func TestGapString(t *testing.T) {
	for _, c := range []struct {
		g    Gap
		want string
	}{
		{Gap{Kind: GapStatus, Version: 1, Status: billing.StatementStatusIssued}, "version 1 is issued"},
		{Gap{Kind: GapNotLatest, Version: 1}, "version 1 is not the latest version"},
		{Gap{Kind: GapNotPublished, Version: 2}, "version 2 is not published for review (cloudbill signoff publish)"},
		{Gap{Kind: GapApproved, Version: 2}, "version 2 is approved already"},
		{Gap{Kind: GapUnconfirmed, Version: 2, Party: store.PartyProvider, Code: "cuc", State: PartyObjected}, "provider cuc has not confirmed (objected)"},
		{Gap{Kind: GapUnconfirmed, Version: 2, Party: store.PartyDistrict, Code: "140221", State: PartyPending}, "district 140221 has not confirmed (pending)"},
		{Gap{Kind: GapUnconfirmed, Version: 2, Party: store.PartyDistrict, Code: "140221", State: PartyPending, Deadline: metering.MustDate("2025-01-20")},
			"district 140221 has not confirmed (pending, window until 2025-01-20)"},
		{Gap{Kind: GapObjectionOpen, Version: 1, Objection: 3, ResourceID: "R3", ItemCode: "VCPU"}, "objection 3 (R3/VCPU, version 1) is open"},
		{Gap{Kind: GapCorrection, Version: 1, Objection: 2, ResourceID: "R2", ItemCode: "MEM"},
			"objection 2 (R2/MEM) was accepted: its correction is not in version 1 (correct the input and settle again)"},
	} {
		if got := c.g.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.g, got, c.want)
		}
	}
}
