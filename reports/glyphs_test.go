package reports

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLiteralsInFont checks every string and character literal of the
// package's code against the font's character map: whatever the documents
// print from the code itself exists in the font (the table of fallbacks,
// which names characters the font lacks, excepted).
func TestLiteralsInFont(t *testing.T) {
	font := needFont(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if v, ok := n.(*ast.ValueSpec); ok && len(v.Names) == 1 && v.Names[0].Name == "glyphFallback" {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING && lit.Kind != token.CHAR {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			for _, r := range s {
				if r < 0x80 && r != 0x7f || r == '\n' {
					continue
				}
				checked++
				if !font.Has(r) {
					t.Errorf("%s: %q (U+%04X) in %s is not in the font %s", fset.Position(lit.Pos()), r, r, lit.Value, font.Path)
				}
			}
			return true
		})
	}
	if checked < 1000 {
		t.Errorf("only %d characters checked", checked)
	}
	for r, g := range glyphFallback {
		if font.Has(r) || !font.Has(g) {
			t.Errorf("fallback %q → %q: the font has %q %v, %q %v", r, g, r, font.Has(r), g, font.Has(g))
		}
	}
}
