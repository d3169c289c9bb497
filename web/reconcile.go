package web

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/metering"
)

// maxBillBytes caps a provider's uploaded bill (some 60 bytes a line).
const maxBillBytes = 32 << 20

type reconcileRow struct {
	billing.ReconcileLine
	StatusName                string
	StatementGross, BillGross decimal.Decimal
	Difference                decimal.Decimal
	Fields                    string
	Href                      string // the statement's line, or the row itself when the statement lacks it
	ID                        string
	Place                     string
}

type reconcileData struct {
	Provider, ProviderName string
	Version                int
	Action                 string
	SignoffHref            string
	Done                   bool // a bill was compared
	File                   string
	Result                 billing.Reconciliation
	Rows                   []reconcileRow
	Difference             decimal.Decimal // BillGross − StatementGross: the sum of the rows' differences
	Problems               metering.Problems
	Error                  string
}

func reconcileStatusName(s billing.ReconcileStatus) string {
	switch s {
	case billing.ReconcileMissingInBill:
		return "服务商账单缺此行"
	case billing.ReconcileMissingInStatement:
		return "结算单无此行"
	}
	return "数字不一致"
}

func reconcileFieldName(f string) string {
	switch f {
	case "billable_days":
		return "计费天数"
	case "quantity_days":
		return "数量 × 天"
	case "gross":
		return "毛额"
	}
	return f
}

// reconcile is /reconcile/Y (?version=N; default the year's latest
// version): a provider's account uploads its own bill (CSV) and sees it
// compared with its lines of the version, line by line, as cloudbill
// reconcile writes it (app.Reconcile without Out: nothing is stored but
// the audit entry app records). GET shows the form; POST the comparison.
func (s *Server) reconcile(q *request) error {
	if !q.scope.Reconcile() {
		return app.ErrNotFound
	}
	year, sv, all, err := s.versionOrLatest(q)
	if err != nil {
		return err
	}
	ctx := q.r.Context()
	names, err := s.app.Names(ctx)
	if err != nil {
		return err
	}
	v := &view{Year: year, HasV: true, V: sv, Versions: all, Path: q.r.URL.Path}
	code := q.scope.Provider
	d := reconcileData{Provider: code, ProviderName: names.Providers[code], Version: sv.Version,
		Action: fmt.Sprintf("/reconcile/%d%s", year, v.VQ()), SignoffHref: signoffHref(year, sv.Version)}
	v.Title = fmt.Sprintf("%d 年度对账：%s", year, d.ProviderName)
	v.Data = &d
	if q.r.Method != http.MethodPost {
		s.render(q, 200, "reconcile", v)
		return nil
	}
	if ok, err := s.postForm(q, maxBillBytes); !ok {
		if errors.Is(err, errTooLarge) {
			d.Error = fmt.Sprintf("账单文件过大（不超过 %d MiB）。", maxBillBytes>>20)
			s.render(q, http.StatusRequestEntityTooLarge, "reconcile", v)
			return nil
		}
		return s.badForm(q, err, d.Action)
	}
	defer q.r.MultipartForm.RemoveAll()
	f, fh, err := q.r.FormFile("bill")
	if err != nil {
		d.Error = "请选择本服务商的账单文件（CSV）。"
		s.render(q, http.StatusUnprocessableEntity, "reconcile", v)
		return nil
	}
	defer f.Close()
	d.File = filepath.Base(fh.Filename)
	res, err := s.app.Reconcile(app.WithActor(ctx, q.sess.User.Name, q.sess.User.Role), app.ReconcileInput{
		Year: year, Version: sv.Version, Provider: code, Name: d.File, File: f})
	var ie *app.InputError
	var one metering.Problem // a file that is no table at all (empty, unreadable header)
	if !errors.As(err, &d.Problems) && errors.As(err, &one) {
		d.Problems = metering.Problems{one}
	}
	switch {
	case d.Problems != nil:
		s.render(q, http.StatusUnprocessableEntity, "reconcile", v)
		return nil
	case errors.As(err, &ie):
		d.Error = ie.Error()
		s.render(q, http.StatusUnprocessableEntity, "reconcile", v)
		return nil
	case err != nil:
		return err
	}
	d.Done, d.Result = true, res.Reconciliation
	d.Difference = res.BillGross.Sub(res.StatementGross)
	for i, l := range res.Lines {
		st, bill, diff := l.Gross()
		r := reconcileRow{ReconcileLine: l, StatusName: reconcileStatusName(l.Status), StatementGross: st, BillGross: bill, Difference: diff,
			ID: fmt.Sprintf("r-%d", i)}
		for j, f := range l.Diffs {
			if j > 0 {
				r.Fields += "、"
			}
			r.Fields += reconcileFieldName(f.Field)
		}
		if l.Statement != nil {
			r.Href = lineHref(year, sv.Version, l.ResourceID, l.ItemCode)
			r.Place = names.Departments[l.Statement.DepartmentCode].Name
		} else {
			r.Href = "#" + r.ID
		}
		d.Rows = append(d.Rows, r)
	}
	s.render(q, 200, "reconcile", v)
	return nil
}
