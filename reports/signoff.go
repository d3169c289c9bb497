package reports

import (
	"fmt"
	"strings"
	"time"

	"cloudbill/metering"
)

// Signoff is what the documents print of a version's sign-off
// (docs/signoff.md): its publication, each provider's and district's
// confirmation, the approval, the issue and the objections. Roles are
// printed as given (the portal's labels, 云服务商, 县区 …). An issued
// version prints the records frozen when it was issued; a draft its
// current state.
type Signoff struct {
	Published  *SignoffAct
	Deadline   metering.Date // the last day of the objection window
	Providers  []SignoffParty
	Districts  []SignoffParty
	Approval   *SignoffAct
	Issue      *SignoffAct
	Objections []SignoffObjection
	// WithoutSignoff is the reason a version was issued without its
	// sign-off ("" when approved, or a draft).
	WithoutSignoff string
}

// SignoffAct is who did something, in which role, and when.
type SignoffAct struct {
	User, Role string
	At         time.Time
}

// SignoffParty is one provider's or district's confirmation: State is
// its label (已确认, 逾期视为确认, 有异议, 待确认); Act is nil while it has
// not confirmed (a lapse has an Act without a user); CarriedFrom is the
// version whose confirmation carried over.
type SignoffParty struct {
	Code        string
	State       string
	Act         *SignoffAct
	CarriedFrom int
}

// SignoffObjection is an objection to a line and its resolution.
type SignoffObjection struct {
	ID                   int64
	Version              int
	By                   SignoffAct
	Party, Code          string // the objecting party: provider or district, and its code
	DistrictCode         string // the line's district
	ResourceID, ItemCode string
	Reason               string
	EvidenceName         string
	EvidenceSHA256       string
	EvidenceSize         int64
	Status               string // open, accepted or rejected
	Resolved             *SignoffAct
	Resolution           string
	ClosedByVersion      int
}

// instant is 2025-01-07 10:00 in Asia/Shanghai.
func instant(t time.Time) string { return t.In(metering.Shanghai).Format("2006-01-02 15:04") }

func (a *SignoffAct) who() string {
	if a == nil {
		return "—"
	}
	if a.User == "" {
		return "（系统记录）"
	}
	return fmt.Sprintf("%s（%s）", a.User, a.Role)
}

func (a *SignoffAct) when() string {
	if a == nil || a.At.IsZero() {
		return "—"
	}
	return instant(a.At)
}

func (p SignoffParty) state() string {
	if p.CarriedFrom > 0 {
		return fmt.Sprintf("%s（沿用第 %d 版）", p.State, p.CarriedFrom)
	}
	return p.State
}

// signoffNotice prints, under a document's status lines, that the version
// was issued without its sign-off and why (in red), or a draft's review
// state.
func (d *doc) signoffNotice(s *Signoff) {
	switch {
	case s == nil:
	case s.WithoutSignoff != "":
		d.f.SetTextColor(170, 0, 0)
		d.para(fmt.Sprintf("本结算单未经签核程序签发（未经各方对账确认与审核批准）。签发人 %s，%s；原因：%s", s.Issue.who(), s.Issue.when(), s.WithoutSignoff), sizeBody)
		d.f.SetTextColor(0, 0, 0)
		d.gap(2)
	case s.Issue == nil && s.Published != nil:
		state := fmt.Sprintf("已于 %s 发布审核，异议期至 %s（含当日）", s.Published.when(), chineseDate(s.Deadline.Start()))
		if s.Approval != nil {
			state += fmt.Sprintf("；已于 %s 审核批准，待签发", s.Approval.when())
		}
		d.para("签核状态："+state+"。各方签核记录见文末。", sizeBody)
		d.gap(2)
	}
}

// setSeals puts the sign-off records into the seal blocks: what each
// named party did (the office's publication and approval, the finance
// bureau's issue, each provider's and, on a district bill, the district's
// confirmation).
func (d *doc) setSeals(s *Signoff, dir *directory, office, finance, district string) {
	if s == nil {
		return
	}
	d.seals = map[string][]string{}
	add := func(party, label string, a *SignoffAct) {
		if a == nil {
			d.seals[party] = append(d.seals[party], label+"：未办理")
			return
		}
		d.seals[party] = append(d.seals[party], label+"："+a.who(), a.when())
	}
	if office != "" {
		if s.Published != nil {
			add(office, "发布审核", s.Published)
		}
		add(office, "审核批准", s.Approval)
	}
	if finance != "" {
		switch {
		case s.WithoutSignoff != "":
			d.seals[finance] = append(d.seals[finance], "未经签核签发："+s.Issue.who(), s.Issue.when())
		default:
			add(finance, "签发", s.Issue)
		}
	}
	party := func(name string, p SignoffParty) {
		if p.Act == nil {
			d.seals[name] = append(d.seals[name], "对账确认："+p.State)
			return
		}
		d.seals[name] = append(d.seals[name], "对账确认："+p.state(), p.Act.who()+" "+p.Act.when())
	}
	for _, p := range s.Providers {
		party("服务商："+dir.providerName(p.Code), p)
	}
	for _, p := range s.Districts {
		if p.Code == district {
			party(itOffice(dir, district), p)
		}
	}
}

// signoffRecords prints the sign-off records as a table: the publication,
// each provider's and district's confirmation (only the district's own on
// a district bill: district != ""), the approval and the issue.
func (d *doc) signoffRecords(s *Signoff, dir *directory, district string) {
	if s == nil {
		return
	}
	d.section("签核记录")
	if s.Published == nil {
		d.para("本版本未发布审核，无对账确认记录。", sizeTable)
	}
	d.table(cols(col("环节", 22, "L"), col("单位", 48, "L"), col("状态", 36, "L"), col("经办账号（角色）", 44, "L"), codeCol("时间", 30, "L")))
	if s.Published != nil {
		d.row(rowData, "发布审核", "大同市政府信息化中心", "异议期至 "+s.Deadline.String(), s.Published.who(), s.Published.when())
		for _, p := range s.Providers {
			d.row(rowData, "对账确认", "服务商："+dir.providerName(p.Code), p.state(), p.Act.who(), p.Act.when())
		}
		for _, p := range s.Districts {
			if district == "" || p.Code == district {
				d.row(rowData, "县区确认", dir.districtName(p.Code), p.state(), p.Act.who(), p.Act.when())
			}
		}
	}
	if s.Approval != nil || s.Published != nil {
		state := "已批准"
		if s.Approval == nil {
			state = "未批准"
		}
		d.row(rowData, "审核批准", "大同市政府信息化中心", state, s.Approval.who(), s.Approval.when())
	}
	if s.Issue != nil {
		state := "已签发"
		if s.WithoutSignoff != "" {
			state = "未经签核签发：" + s.WithoutSignoff
		}
		d.row(rowData, "签发", "大同市财政局", state, s.Issue.who(), s.Issue.when())
	}
	d.endTable()
}

// objectionAppendix lists the objections (on a district bill, those to
// the district's lines: district != "") with their resolution.
func (d *doc) objectionAppendix(s *Signoff, dir *directory, district string) {
	if s == nil {
		return
	}
	var os []SignoffObjection
	for _, o := range s.Objections {
		if district == "" || o.DistrictCode == district {
			os = append(os, o)
		}
	}
	if len(os) == 0 {
		if s.Published != nil {
			d.section("附录：异议及处理情况")
			d.para("签核期间未收到异议。", sizeTable)
		}
		return
	}
	d.section("附录：异议及处理情况")
	d.table(cols(codeCol("编号", 9, "R"), codeCol("版本", 9, "C"), col("计费行", 26, "L"), col("提出方", 30, "L"), col("理由", 34, "L"),
		col("证明材料", 36, "L"), col("处理结果", 36, "L")))
	for _, o := range os {
		evidence := "无"
		if o.EvidenceName != "" {
			// The whole hash, the reader checks the file it was sent
			// against it; in groups of 16 digits, so that it wraps.
			evidence = fmt.Sprintf("%s（%d 字节，SHA-256 %s）", o.EvidenceName, o.EvidenceSize, hashGroups(o.EvidenceSHA256))
		}
		outcome := "待处理"
		switch o.Status {
		case "accepted":
			outcome = "予以采纳"
			if o.ClosedByVersion > 0 {
				outcome += fmt.Sprintf("，已在第 %d 版更正", o.ClosedByVersion)
			} else {
				outcome += "，待更正后重新结算"
			}
		case "rejected":
			outcome = "不予采纳"
		}
		if o.Resolution != "" {
			outcome += "：" + o.Resolution
		}
		if o.Resolved != nil {
			outcome += "（" + o.Resolved.who() + " " + o.Resolved.when() + "）"
		}
		party := dir.districtName(o.Code)
		if o.Party == "provider" {
			party = "服务商：" + dir.providerName(o.Code)
		}
		d.row(rowData, fmt.Sprint(o.ID), fmt.Sprintf("第 %d 版", o.Version), o.ResourceID+" / "+o.ItemCode,
			fmt.Sprintf("%s %s %s", party, o.By.who(), o.By.when()), o.Reason, evidence, outcome)
	}
	d.endTable()
}

// districtSignoff is the sign-off a district bill prints: the version's,
// with its providers' confirmations limited to those billed to the
// district (nil when there is none).
func (b *Bundle) districtSignoff(district string) *Signoff {
	s := b.Signoff
	if s == nil {
		return nil
	}
	billed := map[string]bool{}
	for _, l := range b.Statement.Lines {
		if l.DistrictCode == district {
			billed[l.ProviderCode] = true
		}
	}
	out := *s
	out.Providers = nil
	for _, p := range s.Providers {
		if billed[p.Code] {
			out.Providers = append(out.Providers, p)
		}
	}
	return &out
}

// hashGroups writes a hex digest in groups of 16 digits a space apart.
func hashGroups(h string) string {
	var groups []string
	for len(h) > 16 {
		groups, h = append(groups, h[:16]), h[16:]
	}
	return strings.Join(append(groups, h), " ")
}
