package reports

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"cloudbill/billing"
)

// usedRunes are the characters of the package's source: every literal the
// documents can print (and more). Names built from characters outside it
// occur nowhere in the documents but in those names.
func usedRunes(t *testing.T) map[rune]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[rune]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(data) {
			used[r] = true
		}
	}
	return used
}

// runePool hands out ideographs the font has and the source never uses,
// each once.
type runePool struct {
	font Font
	used map[rune]bool
	next rune
}

func (p *runePool) name(n int) string {
	var sb strings.Builder
	for sb.Len() < 3*n {
		p.next++
		if p.next > 0x9FA5 {
			panic("rune pool exhausted")
		}
		if p.font.Has(p.next) && !p.used[p.next] {
			sb.WriteRune(p.next)
		}
	}
	return sb.String()
}

// namesBundle is the sample year with every name replaced by a long one
// (longer than any column it is printed in) made of characters found
// nowhere else, and every code by a long code (longer than its column)
// that starts and ends with a tag of its own. It returns the names and the
// codes.
func namesBundle(t *testing.T, font Font) (Bundle, []string, []string) {
	t.Helper()
	b := sampleBundle(billing.StatementStatusIssued)
	pool := &runePool{font: font, used: usedRunes(t), next: 0x4E00}
	var names, codes []string
	name := func(n int) string {
		s := pool.name(n)
		names = append(names, s)
		return s
	}
	tag := 0
	code := func(kind string) string {
		tag++
		c := fmt.Sprintf("Q%03dQ-%s-%03dZ", tag, kind, tag)
		codes = append(codes, c)
		return c
	}
	st := b.Statement
	rename := map[string]string{} // old code → new code
	recode := func(old, kind string) string {
		if c, ok := rename[kind+old]; ok {
			return c
		}
		c := code(kind)
		rename[kind+old] = c
		return c
	}
	for i := range b.Names.Districts {
		x := &b.Names.Districts[i]
		x.Code, x.Name = recode(x.Code, "district"), name(24)
	}
	for i := range b.Names.Departments {
		x := &b.Names.Departments[i]
		x.Code, x.DistrictCode, x.Name = recode(x.Code, "department-code"), recode(x.DistrictCode, "district"), name(40)
	}
	for i := range b.Names.Providers {
		x := &b.Names.Providers[i]
		x.Code, x.Name = recode(x.Code, "provider"), name(30)
	}
	for i := range b.Names.Systems {
		x := &b.Names.Systems[i]
		x.ID, x.DepartmentCode, x.Name = recode(x.ID, "system-identifier"), recode(x.DepartmentCode, "department-code"), name(44)
	}
	for i := range b.Names.Resources {
		x := &b.Names.Resources[i]
		x.ID, x.SystemID, x.ProviderCode, x.Name = recode(x.ID, "resource-identifier"), recode(x.SystemID, "system-identifier"), recode(x.ProviderCode, "provider"), name(36)
	}
	billed := map[string]bool{}
	for _, l := range st.Lines {
		billed[l.ItemCode] = true
	}
	items := map[string]string{}
	for i := range b.Names.Catalogue {
		v := &b.Names.Catalogue[i]
		if !billed[v.ItemCode] {
			v.ItemCode = recode(v.ItemCode, "item") // not printed: no name to check
			continue
		}
		if _, ok := items[v.ItemCode]; !ok {
			items[v.ItemCode] = name(20)
		}
		v.ItemCode, v.Name = recode(v.ItemCode, "item"), items[v.ItemCode]
	}
	refs := map[string]string{}
	ref := func(old string) string {
		if _, ok := refs[old]; !ok {
			refs[old] = name(18)
		}
		return refs[old]
	}
	for i := range b.Names.Catalogue {
		b.Names.Catalogue[i].ApprovalRef = ref(b.Names.Catalogue[i].ApprovalRef)
	}
	for i := range st.Lines {
		l := &st.Lines[i]
		l.ProviderCode, l.DistrictCode, l.DepartmentCode = recode(l.ProviderCode, "provider"), recode(l.DistrictCode, "district"), recode(l.DepartmentCode, "department-code")
		l.SystemID, l.ResourceID, l.ItemCode = recode(l.SystemID, "system-identifier"), recode(l.ResourceID, "resource-identifier"), recode(l.ItemCode, "item")
		for j := range l.Runs {
			r := &l.Runs[j]
			r.ResourceID, r.ItemCode, r.ApprovalRef = l.ResourceID, l.ItemCode, ref(r.ApprovalRef)
		}
	}
	for i := range st.Departments {
		r := &st.Departments[i]
		r.ProviderCode, r.DistrictCode, r.DepartmentCode = recode(r.ProviderCode, "provider"), recode(r.DistrictCode, "district"), recode(r.DepartmentCode, "department-code")
	}
	for i := range st.Districts {
		st.Districts[i].DistrictCode = recode(st.Districts[i].DistrictCode, "district")
	}
	for i := range st.Providers {
		st.Providers[i].ProviderCode = recode(st.Providers[i].ProviderCode, "provider")
	}
	for i := range b.Obligations {
		o := &b.Obligations[i]
		o.ProviderCode, o.ResourceID = recode(o.ProviderCode, "provider"), recode(o.ResourceID, "resource-identifier")
	}
	for i := range b.Findings {
		f := &b.Findings[i]
		f.DistrictCode, f.DepartmentCode, f.SystemID = recode(f.DistrictCode, "district"), recode(f.DepartmentCode, "department-code"), recode(f.SystemID, "system-identifier")
		if f.ResourceID != "" {
			f.ResourceID = recode(f.ResourceID, "resource-identifier")
		}
		if f.ItemCode != "" {
			f.ItemCode = recode(f.ItemCode, "item")
		}
	}
	for i := range b.Scores {
		b.Scores[i].ProviderCode = recode(b.Scores[i].ProviderCode, "provider")
	}
	windows := map[string]Window{}
	for id, w := range b.Windows {
		w.ConfirmRef = ref(w.ConfirmRef)
		w.Approvals = append([]Approval(nil), w.Approvals...)
		for k := range w.Approvals {
			w.Approvals[k].ItemCode = recode(w.Approvals[k].ItemCode, "item")
		}
		windows[recode(id, "resource-identifier")] = w
	}
	b.Windows = windows
	return b, names, codes
}

// collectOverflows records what the documents could not fit.
func collectOverflows(t *testing.T) func() map[string][]string {
	var mu sync.Mutex
	got := map[string][]string{}
	layoutReport = func(title string, o []string) {
		mu.Lock()
		defer mu.Unlock()
		if len(o) > 0 {
			got[title] = append(got[title], o...)
		}
	}
	t.Cleanup(func() { layoutReport = nil })
	return func() map[string][]string {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// TestWholeNames prints names longer than their columns, made of
// characters that occur nowhere else, and codes longer than their
// columns, on every document; it counts each character of every name in
// the whole text (pdftotext): all characters of a name occur equally often
// (none lost where a line wraps), every code is whole (never broken), no
// character is replaced by □, and nothing overflowed its box.
func TestWholeNames(t *testing.T) {
	needTool(t, "pdftotext")
	font := needFont(t)
	overflows := collectOverflows(t)
	b, names, codes := namesBundle(t, font)
	dir := t.TempDir()
	if out := os.Getenv("CLOUDBILL_SAMPLE_OUT"); out != "" {
		dir = filepath.Join(out, "names")
	}
	paths, err := WriteDocuments(dir, b, font)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	pdfs := 0
	for _, p := range paths {
		if filepath.Ext(p) != ".pdf" {
			continue
		}
		pdfs++
		t.Run(filepath.Base(p), func(t *testing.T) {
			out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			text := string(out)
			count := map[rune]int{}
			for _, r := range text {
				count[r]++
			}
			for _, n := range names {
				rs := []rune(n)
				first := count[rs[0]]
				for _, r := range rs {
					if count[r] != first {
						t.Errorf("name %s: %c printed %d times, %c %d times: characters lost", n, rs[0], first, r, count[r])
						break
					}
				}
				if first > 0 {
					seen[n] = true
				}
			}
			for _, c := range codes {
				head, tail := c[:5], c[len(c)-4:]
				whole, h, e := strings.Count(text, c), strings.Count(text, head), strings.Count(text, tail)
				if whole != h || whole != e {
					t.Errorf("code %s printed whole %d times, its head %d, its tail %d times: broken", c, whole, h, e)
				}
			}
			if strings.ContainsRune(text, '□') {
				t.Errorf("a character is missing from the font (□) in:\n%s", lineWith(text, "□"))
			}
		})
	}
	if pdfs != 1+3+4+2 {
		t.Errorf("%d PDF documents, want statement, 3 district bills, 4 department bills, idle and evaluation", pdfs)
	}
	var missing []string
	for _, n := range names {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("names printed nowhere: %v", missing)
	}
	noOverflows(t, overflows)
}

// noOverflows fails for any text the documents could not fit in its box.
func noOverflows(t *testing.T, overflows func() map[string][]string) {
	t.Helper()
	for title, o := range overflows() {
		sort.Strings(o)
		t.Errorf("%s: %d pieces of text did not fit: %v", title, len(o), o)
	}
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
