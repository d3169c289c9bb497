package web_test

import (
	"net/http"
	"strings"
	"testing"

	"cloudbill/web"
)

// roles are the columns of the route × role table.
var roles = []string{"anonymous", "finance", "office", "district", "department", "provider", "evaluator"}

// expect builds a row: the status for each role of roles, in order
// (302: to the sign-in page).
func expect(codes ...int) map[string]int {
	m := map[string]int{}
	for i, r := range roles {
		m[r] = codes[i]
	}
	return m
}

// routeCases walk every route of web.Routes, with pages, figures and files
// inside and outside each role's scope (district 140200, department D1,
// provider ctc) and ones that do not exist.
var routeCases = []struct {
	route string // the pattern of web.Routes the path belongs to
	path  string
	want  map[string]int
}{
	//                                                             anon fin  off  dist dep  prov eval
	{"GET /{$}", "/", expect(302, 200, 200, 200, 200, 200, 200)},
	{"GET /login", "/login", expect(200, 302, 302, 302, 302, 302, 302)},
	{"GET /statements/{year}", "/statements/2024", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}", "/statements/2024?version=1", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}", "/statements/2024?version=7", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}", "/statements/2023", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}", "/statements/abc", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/districts/{code}", "/statements/2024/districts/140200", expect(302, 200, 200, 200, 404, 404, 404)},
	{"GET /statements/{year}/districts/{code}", "/statements/2024/districts/140221", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/districts/{code}", "/statements/2024/districts/999999", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/departments/{code}", "/statements/2024/departments/D1", expect(302, 200, 200, 200, 200, 404, 404)},
	{"GET /statements/{year}/departments/{code}", "/statements/2024/departments/D2", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/departments/{code}", "/statements/2024/departments/D9", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/providers/{code}", "/statements/2024/providers/ctc", expect(302, 200, 200, 404, 404, 200, 404)},
	{"GET /statements/{year}/providers/{code}", "/statements/2024/providers/ctc?department=D2", expect(302, 200, 200, 404, 404, 200, 404)},
	{"GET /statements/{year}/providers/{code}", "/statements/2024/providers/ctc?department=D9", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/providers/{code}", "/statements/2024/providers/cuc", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}", "/statements/2024/lines/R1/VCPU", expect(302, 200, 200, 200, 200, 200, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}", "/statements/2024/lines/R2/MEM", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}", "/statements/2024/lines/R3/VCPU", expect(302, 200, 200, 404, 404, 200, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}", "/statements/2024/lines/R1/MEM", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}", "/statements/2024/lines/R9/VCPU?version=1", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}/days/{day}", "/statements/2024/lines/R1/VCPU/days/2024-07-01", expect(302, 200, 200, 200, 200, 200, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}/days/{day}", "/statements/2024/lines/R2/MEM/days/2024-05-03", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}/days/{day}", "/statements/2024/lines/R3/VCPU/days/2024-06-11", expect(302, 200, 200, 404, 404, 200, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}/days/{day}", "/statements/2024/lines/R1/VCPU/days/2025-01-01", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/lines/{resource}/{item}/days/{day}", "/statements/2024/lines/R1/VCPU/days/soon", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/statement-2024.pdf", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/settlement-2024.csv", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/departments-2024.csv", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/findings-2024.csv", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/idle-2024.pdf", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/cloudbill-2024.xlsx", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/district-2024-140200.pdf", expect(302, 200, 200, 200, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/district-2024-140221.pdf?version=1", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/district-2024-999999.pdf", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/provider-2024-ctc.csv", expect(302, 200, 200, 404, 404, 200, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/provider-2024-cuc.csv", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/provider-2023-ctc.csv", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/evaluation-2024.pdf", expect(302, 200, 200, 404, 404, 404, 200)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/sla-2024.csv", expect(302, 200, 200, 404, 404, 404, 200)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/statement-2023.pdf", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/..%2Fcloudbill.db", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /statements/{year}/files/{name}", "/statements/2024/files/.complete", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /findings/{year}", "/findings/2024", expect(302, 200, 200, 200, 200, 404, 404)},
	{"GET /findings/{year}", "/findings/2024?district=140221", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /findings/{year}", "/findings/2024?department=D1&kind=gap", expect(302, 200, 200, 200, 200, 404, 404)},
	{"GET /findings/{year}", "/findings/2024?department=D2", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /evaluation/{year}", "/evaluation/2024", expect(302, 200, 200, 404, 404, 404, 200)},
	{"GET /evaluation/{year}", "/evaluation/2025", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/2024", expect(302, 200, 200, 200, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/2024?month=7&district=140200", expect(302, 200, 200, 200, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/2024?district=140221", expect(302, 200, 200, 404, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/2024?district=999999", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/2024?month=13", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/2030", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /rhythm/{year}", "/rhythm/abc", expect(302, 404, 404, 404, 404, 404, 404)},
	{"GET /office/jobs", "/office/jobs", expect(302, 404, 200, 404, 404, 404, 404)},
	{"GET /office/rejects", "/office/rejects?all=1", expect(302, 404, 200, 404, 404, 404, 404)},
	{"GET /office/inbox", "/office/inbox", expect(302, 404, 200, 404, 404, 404, 404)},
	{"GET /office/audit", "/office/audit", expect(302, 404, 200, 404, 404, 404, 404)},
	{"GET /office/users", "/office/users", expect(302, 404, 200, 404, 404, 404, 404)},
	{"GET /static/", "/static/style.css", expect(200, 200, 200, 200, 200, 200, 200)},
	{"GET /static/", "/static/", expect(404, 404, 404, 404, 404, 404, 404)},
	{"GET /static/", "/static/missing.js", expect(404, 404, 404, 404, 404, 404, 404)},
	{"", "/etc/passwd", expect(302, 404, 404, 404, 404, 404, 404)},
}

// TestRouteRoleMatrix walks every route as every role against a settled,
// issued year on each engine: 200 inside the role's scope, 404 for every
// page, figure and file outside it (as for what does not exist), 302 to
// the sign-in page without a session.
func TestRouteRoleMatrix(t *testing.T) {
	covered := map[string]bool{"POST /login": true, "POST /logout": true} // TestSignIn*, TestCSRF
	for _, c := range routeCases {
		covered[c.route] = true
	}
	for _, c := range signoffRouteCases { // TestSignoffRouteRoleMatrix, on a draft with objections
		covered[c.route] = true
	}
	for _, r := range web.Routes {
		if !covered[r] {
			t.Errorf("route %s has no case in the route × role table", r)
		}
	}
	eachPortal(t, func(t *testing.T, p *portal) {
		for _, role := range roles {
			c := p.as(t, role)
			t.Run(role, func(t *testing.T) {
				for _, rc := range routeCases {
					resp, body := get(t, c, p.URL+rc.path)
					want := rc.want[role]
					if resp.StatusCode != want {
						t.Errorf("%s as %s: %d, want %d", rc.path, role, resp.StatusCode, want)
						continue
					}
					switch want {
					case http.StatusFound:
						if loc := resp.Header.Get("Location"); role == "anonymous" && !strings.HasPrefix(loc, "/login?next=") {
							t.Errorf("%s as %s: redirected to %q, want the sign-in page", rc.path, role, loc)
						}
					case http.StatusNotFound:
						// The same answer whether it exists or not: nothing of it is shown.
						if strings.Contains(body, "阳高县卫健局") || strings.Contains(body, "R2") && !strings.Contains(rc.path, "R2") {
							t.Errorf("%s as %s: the 404 page shows data", rc.path, role)
						}
					}
				}
			})
		}
	})
}
