package reference

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// Set is a whole reference data set.
type Set struct {
	metering.Inventory
	Catalogue []billing.PriceVersion
	Events    []metering.Event
	Scores    []evaluation.Score
	Calendar  []evaluation.CalendarDay
	Budgets   []billing.Budget // the optional budgets file; none when absent

	// Files says what was read of each file, in the order of Tables.
	Files []File
	// Lines holds, per table, the line of each row in its file, and Paths
	// the file's name as problems cite it.
	Lines map[string][]int
	Paths map[string]string
}

// File is one reference file as read: the SHA-256 of its bytes, its base
// name, its table and how many rows it held.
type File struct {
	SHA256 string
	Name   string
	Kind   string
	Rows   int
}

// Tables are the nine files of a reference set, in load order.
var Tables = []string{"districts", "departments", "providers", "systems", "resources", "catalogue", "events", "scores", "calendar"}

// Optional are the files a reference set may hold besides the nine:
// budgets (docs/formats.md). An absent optional file is no problem and
// loads nothing.
var Optional = []string{"budgets"}

// ReadDir reads and checks the reference set in the folder dir.
func ReadDir(dir string) (*Set, []metering.Problem) {
	return Read(os.DirFS(dir), dir)
}

// Read parses the nine files of fsys (and the optional ones present) and
// checks them across files; dir is
// the folder problems name the files in ("" for none). It returns every
// problem found, sorted by file and line; a set with problems must not be
// loaded.
func Read(fsys fs.FS, dir string) (*Set, []metering.Problem) {
	return ReadWith(fsys, dir, metering.Options{})
}

// ReadWith is Read with table limits other than the defaults.
func ReadWith(fsys fs.FS, dir string, o metering.Options) (*Set, []metering.Problem) {
	s := &Set{Lines: map[string][]int{}, Paths: map[string]string{}}
	r := reader{fsys: fsys, dir: dir, set: s, opts: o}
	s.Districts = readTable(&r, "districts", metering.DistrictColumns, metering.ParseDistrict)
	s.Departments = readTable(&r, "departments", metering.DepartmentColumns, metering.ParseDepartment)
	s.Providers = readTable(&r, "providers", metering.ProviderColumns, metering.ParseProvider)
	s.Systems = readTable(&r, "systems", metering.SystemColumns, metering.ParseSystem)
	s.Resources = readTable(&r, "resources", metering.ResourceColumns, metering.ParseResource)
	s.Catalogue = readTable(&r, "catalogue", billing.CatalogueColumns, billing.ParsePriceVersion)
	s.Events = readTable(&r, "events", metering.EventColumns, metering.ParseEvent)
	s.Scores = readTable(&r, "scores", evaluation.ScoreColumns, evaluation.ParseScore)
	s.Calendar = readTable(&r, "calendar", evaluation.CalendarColumns, evaluation.ParseCalendarDay)
	if find(fsys, "budgets") != "" {
		s.Budgets = readTable(&r, "budgets", billing.BudgetColumns, billing.ParseBudget)
	}
	ps := append(r.problems, s.check()...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return s, ps
}

// Path is the name problems give the file of table (its expected name
// when it was missing).
func (s *Set) Path(table string) string { return s.Paths[table] }

type reader struct {
	fsys     fs.FS
	dir      string
	opts     metering.Options
	set      *Set
	problems []metering.Problem
}

// codeColumns are the code columns of the tables whose parsers live outside
// metering (billing.ParsePriceVersion, evaluation.ParseScore); readTable
// refuses their codes that would run as spreadsheet formulas. The metering
// parsers check their own codes (metering.Fields.Code).
var codeColumns = map[string][]string{
	"catalogue": {"item_code"},
	"scores":    {"provider_code"},
}

func (r *reader) name(file string) string {
	if r.dir == "" {
		return file
	}
	return filepath.Join(r.dir, file)
}

// find returns the file of base in fsys with any accepted extension.
func find(fsys fs.FS, base string) string {
	for _, ext := range []string{".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".json", ".json.gz"} {
		if _, err := fs.Stat(fsys, base+ext); err == nil {
			return base + ext
		}
	}
	return ""
}

// readTable parses every row of one reference file with parse, collecting
// all problems; the file's SHA-256 is taken of the very bytes parsed.
func readTable[T any](r *reader, base string, cols []string, parse func(*metering.Row) (T, []metering.Problem)) []T {
	file := find(r.fsys, base)
	if file == "" {
		r.set.Paths[base] = r.name(base + ".csv")
		r.problems = append(r.problems, metering.Problem{File: r.name(base + ".csv"), Reason: "missing file"})
		return nil
	}
	path := r.name(file)
	r.set.Paths[base] = path
	f, err := r.fsys.Open(file)
	if err != nil {
		r.problems = append(r.problems, metering.Problem{File: path, Reason: err.Error()})
		return nil
	}
	defer f.Close()
	h := sha256.New()
	t, err := metering.NewTableWith(path, io.TeeReader(f, h), r.opts)
	if err != nil {
		r.problems = append(r.problems, asProblems(path, err)...)
		return nil
	}
	defer t.Close()
	if err := t.Require(cols...); err != nil {
		r.problems = append(r.problems, asProblems(path, err)...)
		return nil
	}
	var out []T
	var lines []int
	for {
		row, err := t.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.problems = append(r.problems, asProblems(path, err)...)
			var p metering.Problem
			if errors.As(err, &p) {
				continue
			}
			return nil
		}
		v, ps := parse(row)
		for _, col := range codeColumns[base] {
			if err := metering.CheckCode(strings.TrimSpace(row.Get(col))); err != nil {
				ps = append(ps, row.Problem(col, "%v", err))
			}
		}
		if len(ps) > 0 {
			r.problems = append(r.problems, ps...)
			continue
		}
		out = append(out, v)
		lines = append(lines, row.Line)
	}
	r.set.Lines[base] = lines
	r.set.Files = append(r.set.Files, File{SHA256: sum(h, f), Name: filepath.Base(file), Kind: base, Rows: len(out)})
	return out
}

// sum finishes the hash of a file read to its end (the table reader may
// stop at the last row: what is left is hashed too).
func sum(h hash.Hash, rest io.Reader) string {
	io.Copy(h, rest)
	return hex.EncodeToString(h.Sum(nil))
}

func asProblems(name string, err error) []metering.Problem {
	var p metering.Problem
	var pl metering.Problems
	var re *metering.ReadError
	switch {
	case errors.As(err, &re):
		return []metering.Problem{re.Problem}
	case errors.As(err, &pl):
		return pl
	case errors.As(err, &p):
		return []metering.Problem{p}
	}
	return []metering.Problem{{File: name, Reason: fmt.Sprint(err)}}
}
