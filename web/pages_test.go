package web_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/net/html"

	"cloudbill/app"
	"cloudbill/billing"
)

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func element(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == tag }
}

func number(t *testing.T, page, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("%s: %q is not a number", page, s)
	}
	return d
}

// checkPage checks one page: one h1 and headings in order, every table
// marked data-sum adds up (each tfoot cell data-v="K" equals the sum of
// the tbody cells data-v="K"), and every figure of such a table's body
// links to the rows that make it up. It returns the page's links.
func checkPage(t *testing.T, page, body string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	if h1 := find(doc, element("h1")); len(h1) != 1 {
		t.Errorf("%s: %d h1, want 1", page, len(h1))
	}
	level := 0
	for _, h := range find(doc, func(n *html.Node) bool {
		return n.Type == html.ElementNode && len(n.Data) == 2 && n.Data[0] == 'h' && n.Data[1] >= '1' && n.Data[1] <= '6'
	}) {
		l := int(h.Data[1] - '0')
		if l > level+1 {
			t.Errorf("%s: heading %s %q after h%d", page, h.Data, text(h), level)
		}
		level = l
	}
	for i, tbl := range find(doc, func(n *html.Node) bool { _, ok := attr(n, "data-sum"); return element("table")(n) && ok }) {
		sums := map[string]decimal.Decimal{}
		for _, body := range find(tbl, element("tbody")) {
			for _, td := range find(body, func(n *html.Node) bool { _, ok := attr(n, "data-v"); return ok }) {
				k, _ := attr(td, "data-v")
				sums[k] = sums[k].Add(number(t, page, text(td)))
				if len(find(td, element("a"))) == 0 {
					t.Errorf("%s: table %d: figure %s %q links to nothing", page, i, k, text(td))
				}
			}
		}
		for _, foot := range find(tbl, element("tfoot")) {
			for _, td := range find(foot, func(n *html.Node) bool { _, ok := attr(n, "data-v"); return ok }) {
				k, _ := attr(td, "data-v")
				if total := number(t, page, text(td)); !total.Equal(sums[k]) {
					t.Errorf("%s: table %d: total %s %s, the rows add up to %s", page, i, k, total, sums[k])
				}
			}
		}
	}
	// The runs of a line add up exactly; rounded once they are its gross.
	for _, td := range find(doc, func(n *html.Node) bool { _, ok := attr(n, "data-gross"); return ok }) {
		gross := number(t, page, text(td))
		var exact decimal.Decimal
		for _, c := range find(doc, func(n *html.Node) bool { v, _ := attr(n, "data-v"); return v == "amount" }) {
			if c.Parent.Parent.Data == "tfoot" {
				exact = number(t, page, text(c))
			}
		}
		if r := billing.RoundMoney(exact); !r.Equal(gross) {
			t.Errorf("%s: runs add up to %s, rounded %s, but the gross is %s", page, exact, r, gross)
		}
	}
	var links []string
	for _, a := range find(doc, element("a")) {
		if h, ok := attr(a, "href"); ok {
			links = append(links, h)
		}
	}
	return links
}

// TestPagesAddUp crawls the portal from the home page as the finance
// bureau and as a district: every page opens, has one h1 and its headings
// in order, every total equals the sum of its rows, every figure of a
// table links to the rows making it up, and every link a page shows is
// one the user may open (no link into another scope).
func TestPagesAddUp(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		for _, role := range []string{"finance", "district", "department", "provider", "evaluator"} {
			t.Run(role, func(t *testing.T) {
				c := p.as(t, role)
				seen := map[string]bool{}
				queue := []string{"/"}
				days := 0
				for len(queue) > 0 && len(seen) < 400 {
					u := queue[0]
					queue = queue[1:]
					if seen[u] {
						continue
					}
					seen[u] = true
					resp, body := get(t, c, p.URL+u)
					if resp.StatusCode != 200 {
						t.Errorf("%s as %s: %s (a link on a page it may see)", u, role, resp.Status)
						continue
					}
					if strings.Contains(u, "/files/") || strings.HasPrefix(u, "/static/") {
						continue
					}
					for _, l := range checkPage(t, u, body) {
						ref, err := url.Parse(l)
						if err != nil || ref.Host != "" || ref.Path == "" || l[0] == '#' {
							continue
						}
						ref.Fragment = ""
						next := ref.String()
						if strings.Contains(next, "/days/") {
							if days++; days > 6 {
								continue // a few days of each line are enough
							}
						}
						if !seen[next] && !strings.HasPrefix(next, "/logout") {
							queue = append(queue, next)
						}
					}
				}
				if len(seen) < 3 {
					t.Errorf("as %s only %d pages were reachable", role, len(seen))
				}
			})
		}
	})
}

// TestDownloadsAreTheReport checks that every document of the version
// downloaded from the portal is byte for byte what `cloudbill report`
// writes, and that each download is in the audit trail.
func TestDownloadsAreTheReport(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		out := t.TempDir()
		paths, err := p.App.Report(context.Background(), app.ReportInput{Year: 2024, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		c := p.as(t, "finance")
		for _, path := range paths {
			name := filepath.Base(path)
			resp, body := get(t, c, p.URL+"/statements/2024/files/"+name)
			if resp.StatusCode != 200 {
				t.Errorf("%s: %s", name, resp.Status)
				continue
			}
			want, _ := os.ReadFile(path)
			if !bytes.Equal([]byte(body), want) {
				t.Errorf("%s: the download (%d bytes) differs from the report (%d bytes)", name, len(body), len(want))
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
				t.Errorf("%s: Content-Disposition %q", name, cd)
			}
		}
		trail, err := p.App.AuditTrail(context.Background(), storeAuditDownloads())
		if err != nil {
			t.Fatal(err)
		}
		if len(trail) != len(paths) {
			t.Errorf("%d downloads in the audit trail, want %d", len(trail), len(paths))
		}
		for _, e := range trail {
			if e.User != "fin" || e.RemoteAddr != "127.0.0.1" || !strings.Contains(e.Detail, "2024 v1") {
				t.Errorf("audit entry %+v", e)
			}
		}
	})
}
