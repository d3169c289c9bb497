package web

import (
	"html/template"
	"net/url"
	"strings"
	"testing"
)

// The HTML the pages write in Go (calendar, districtRows) is escaped as
// html/template escapes text and quoted attributes, and links built from
// url.PathEscape'd parts come out as the template wrote them.
func TestEscapeHTMLIsTemplates(t *testing.T) {
	text := template.Must(template.New("t").Parse(`<p title="{{.}}">{{.}}</p>`))
	link := template.Must(template.New("t").Parse(`<a href="{{.}}">x</a>`))
	check := func(tp *template.Template, s, want string) {
		t.Helper()
		var b strings.Builder
		if err := tp.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%q:\n template   %s\n escapeHTML %s", s, b.String(), want)
		}
	}
	for _, s := range []string{`plain`, `a&b<c>d"e'f+g`, "nul\x00", `市本级 100,000.00`, `—/—`} {
		check(text, s, `<p title="`+escapeHTML(s)+`">`+escapeHTML(s)+`</p>`)
	}
	for _, code := range []string{`R1`, `R+1&2 "x"`, `资源/1`, `a;b=c@d$e,f:g~h`} {
		s := "/statements/2024/lines/" + url.PathEscape(code) + "/VCPU/days/2024-01-01?version=1"
		check(link, s, `<a href="`+escapeHTML(s)+`">x</a>`)
	}
}
