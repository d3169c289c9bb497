package web

import (
	"fmt"
	"net/url"

	"cloudbill/store"
)

// link is a navigation link.
type link struct {
	Href, Label string
	Current     bool
}

// view is what every page's template gets: the page's title and data,
// the user and scope, the navigation, and the statement version shown.
type view struct {
	Title    string
	Scope    Scope
	User     store.User
	CSRF     string
	Nav      []link
	Crumbs   []link
	Year     int
	HasV     bool
	V        store.StatementVersion
	Versions []store.StatementVersion
	Path     string // the page's path, for the version links
	Data     any
	Flash    *flash // the message of the action that redirected here
}

// VQ is the query naming the version shown, for links that keep it.
func (v *view) VQ() string {
	if !v.HasV {
		return ""
	}
	return versionQuery(v.V.Version)
}

// VersionHref links this page at version n.
func (v *view) VersionHref(n int) string { return v.Path + versionQuery(n) }

// nav builds the navigation the user's scope allows.
func (v *view) nav() {
	if v.User.Name == "" {
		return
	}
	s := v.Scope
	v.Nav = append(v.Nav, link{Href: "/", Label: "首页"})
	if y := v.Year; y > 0 {
		vq := v.VQ()
		switch {
		case s.City():
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/statements/%d%s", y, vq), Label: "全市结算"})
		case s.District != "":
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/statements/%d/districts/%s%s", y, url.PathEscape(s.District), vq), Label: "本县区结算"})
		case s.Department != "":
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/statements/%d/departments/%s%s", y, url.PathEscape(s.Department), vq), Label: "本部门结算"})
		case s.Provider != "":
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/statements/%d/providers/%s%s", y, url.PathEscape(s.Provider), vq), Label: "本服务商结算"})
		}
		if s.Findings() {
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/findings/%d%s", y, vq), Label: "资源使用评估"})
		}
		if s.City() || s.District != "" {
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/rhythm/%d", y), Label: "月度计提与预算"})
		}
		if s.Evaluation() {
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/evaluation/%d%s", y, vq), Label: "考核评价"})
		}
		if s.Signoff() {
			v.Nav = append(v.Nav, link{Href: fmt.Sprintf("/signoff/%d", y), Label: "结算签核"})
		}
	}
	if s.Office() {
		v.Nav = append(v.Nav, link{Href: "/office/jobs", Label: "作业记录"}, link{Href: "/office/rejects", Label: "拒收记录"},
			link{Href: "/office/inbox", Label: "收件箱"}, link{Href: "/office/audit", Label: "审计日志"}, link{Href: "/office/users", Label: "用户"})
	}
	for i := range v.Nav {
		if u, err := url.Parse(v.Nav[i].Href); err == nil && u.Path == v.Path {
			v.Nav[i].Current = true
		}
	}
}
