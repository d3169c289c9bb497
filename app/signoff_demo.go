package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

// demoClock sets a's clock to 06:00 on 5 January of the year after year
// (Asia/Shanghai, when the annual job settles it) and returns a function
// that moves it to a day and an hour of that January, and one that puts
// the wall clock back.
func (a *App) demoClock(year int) (at func(day, hour int), restore func()) {
	saved := a.Now
	t := time.Date(year+1, time.January, 5, 6, 0, 0, 0, metering.Shanghai)
	a.Now = func() time.Time { return t }
	return func(day, hour int) {
			t = time.Date(year+1, time.January, 1, hour, 0, 0, 0, metering.Shanghai).AddDate(0, 0, day-1)
		}, func() {
			a.Now = saved
		}
}

// demoSignoff runs the sign-off of st on the demo clock (docs/signoff.md,
// the demo): the office publishes it on 6 January; one provider confirms,
// the other objects to one of its lines with evidence, the office rejects
// the objection with its reason and the provider confirms; half the
// districts confirm, the others lapse when the window closes (the nightly
// job of the day after the deadline), and the office approves. It returns
// the issue to make: by the finance bureau the day after, or, when the
// fixtures' calendar does not cover January of the next year, without
// sign-off with the reason.
func (a *App) demoSignoff(ctx context.Context, st *billing.Statement, at func(day, hour int), w io.Writer) (IssueInput, error) {
	year := st.Year
	finance := Actor{User: "demo.finance", Role: string(RoleFinance)}
	days, err := a.DB.CalendarDays(ctx)
	if err != nil {
		return IssueInput{}, err
	}
	if !evaluation.NewCalendar(days).Covers(year + 1) {
		return IssueInput{Year: year, Actor: finance, WithoutSignoff: fmt.Sprintf("演示：节假日日历不含 %d 年，无法计算异议期限，未经签核签发", year+1)}, nil
	}
	office := Actor{User: "demo.office", Role: string(RoleOffice)}
	at(6, 9)
	if err := a.Publish(ctx, PublishInput{Actor: office, Year: year, Version: st.Version}); err != nil {
		return IssueInput{}, err
	}
	provs, dists := parties(st)
	actor := func(party store.SignoffParty, code string) Actor {
		if party == store.PartyProvider {
			return Actor{User: "demo." + code, Role: string(RoleProvider), Provider: code}
		}
		return Actor{User: "demo." + code, Role: string(RoleDistrict), District: code}
	}
	at(7, 10)
	for i, p := range provs {
		if i != len(provs)-1 || len(provs) < 2 {
			if err := a.Confirm(ctx, ConfirmInput{Actor: actor(store.PartyProvider, p), Year: year, Version: st.Version}); err != nil {
				return IssueInput{}, err
			}
		}
	}
	var objected []string
	if len(provs) >= 2 {
		p := provs[len(provs)-1]
		var line billing.Line
		for _, l := range st.Lines {
			if l.ProviderCode == p {
				line = l
				break
			}
		}
		evidence := fmt.Sprintf("resource_id,item_code,billable_days\n%s,%s,%d\n", line.ResourceID, line.ItemCode, line.BillableDays-1)
		id, err := a.Object(ctx, ObjectInput{Actor: actor(store.PartyProvider, p), Year: year, Version: st.Version, ResourceID: line.ResourceID, ItemCode: line.ItemCode,
			Reason: "我方记录的计费天数少一天（见附件对账记录）", Evidence: strings.NewReader(evidence), EvidenceName: "对账记录.csv"})
		if err != nil {
			return IssueInput{}, err
		}
		at(8, 15)
		if err := a.Resolve(ctx, ResolveInput{Actor: office, ID: id, Outcome: store.ObjectionRejected,
			Reason: "经核对资源交付确认单，计费起始日无误，计费天数正确"}); err != nil {
			return IssueInput{}, err
		}
		at(9, 10)
		if err := a.Confirm(ctx, ConfirmInput{Actor: actor(store.PartyProvider, p), Year: year, Version: st.Version}); err != nil {
			return IssueInput{}, err
		}
		objected = append(objected, fmt.Sprintf("objection %d rejected", id))
	}
	for i, d := range dists {
		if i%2 == 0 {
			if err := a.Confirm(ctx, ConfirmInput{Actor: actor(store.PartyDistrict, d), Year: year, Version: st.Version}); err != nil {
				return IssueInput{}, err
			}
		}
	}
	recs, err := a.DB.SignoffRecords(ctx, year, st.Version)
	if err != nil {
		return IssueInput{}, err
	}
	deadline := recs.Publication.Deadline
	// The nightly job of the day after the deadline records the lapses.
	next := deadline.AddDays(1)
	at(next.Sub(metering.NewDate(year+1, time.January, 1))+1, 1)
	lapsed, err := a.LapseSignoffs(ctx)
	if err != nil {
		return IssueInput{}, err
	}
	at(next.Sub(metering.NewDate(year+1, time.January, 1))+1, 10)
	if err := a.Approve(ctx, ApproveInput{Actor: office, Year: year, Version: st.Version}); err != nil {
		return IssueInput{}, err
	}
	fmt.Fprintf(w, "%-10s published %s, %d providers and %d districts confirmed, %d lapsed after %s, %s, approved %s\n", "signoff",
		metering.NewDate(year+1, time.January, 6), len(provs), len(dists)-lapsed, lapsed, deadline, strings.Join(append(objected, "no objection open"), ", "), next)
	at(next.Sub(metering.NewDate(year+1, time.January, 1))+2, 10)
	return IssueInput{Year: year, Actor: finance}, nil
}
