package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// WriteDocuments writes the year's documents into dir and returns their
// paths: statement-Y.pdf, district-Y-CODE.pdf for every district of the
// statement, department-Y-CODE.pdf for every department, idle-Y.pdf,
// evaluation-Y.pdf, cloudbill-Y.xlsx and district-Y-CODE.xlsx for every
// district. Documents are rendered by a few workers, each document loading
// the font from its file (gofpdf must not share one font's bytes between
// goroutines), and each written to a temporary name and renamed into
// place. The same bundle always gives byte-identical files.
func WriteDocuments(dir string, b Bundle, font Font) ([]string, error) {
	st := b.Statement
	if st == nil {
		return nil, errors.New("write documents: no statement")
	}
	if font.cover == nil {
		return nil, errors.New("write documents: no font loaded (use FindFont)")
	}
	if err := check(st); err != nil {
		return nil, fmt.Errorf("statement %d v%d is inconsistent: %w", st.Year, st.Version, err)
	}
	idx := newDirectory(b.Names)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write documents: %w", err)
	}
	type job struct {
		name   string
		render func() ([]byte, error)
	}
	y := st.Year
	jobs := []job{{fmt.Sprintf("statement-%d.pdf", y), func() ([]byte, error) { return renderStatement(&b, idx, font) }}}
	var districts, departments []string
	seen := map[string]bool{}
	for _, r := range st.Districts {
		districts = append(districts, r.DistrictCode)
	}
	deptDistrict := map[string]string{}
	for _, r := range st.Departments {
		if !seen[r.DepartmentCode] {
			seen[r.DepartmentCode] = true
			departments = append(departments, r.DepartmentCode)
			deptDistrict[r.DepartmentCode] = r.DistrictCode
		}
	}
	sort.Strings(districts)
	sort.Strings(departments)
	for _, code := range append(append([]string(nil), districts...), departments...) {
		if _, err := safeCode(code); err != nil {
			return nil, fmt.Errorf("district or department document: %w", err)
		}
	}
	for _, code := range districts {
		jobs = append(jobs, job{fmt.Sprintf("district-%d-%s.pdf", y, code), func() ([]byte, error) {
			return renderBill(&b, idx, font, scope{district: code})
		}})
	}
	for _, code := range departments {
		jobs = append(jobs, job{fmt.Sprintf("department-%d-%s.pdf", y, code), func() ([]byte, error) {
			return renderBill(&b, idx, font, scope{district: deptDistrict[code], department: code})
		}})
	}
	jobs = append(jobs,
		job{fmt.Sprintf("idle-%d.pdf", y), func() ([]byte, error) { return renderIdle(&b, idx, font) }},
		job{fmt.Sprintf("evaluation-%d.pdf", y), func() ([]byte, error) { return renderEvaluation(&b, idx, font) }},
		job{fmt.Sprintf("cloudbill-%d.xlsx", y), func() ([]byte, error) { return renderXLSX(&b, idx) }},
	)
	for _, code := range districts {
		jobs = append(jobs, job{fmt.Sprintf("district-%d-%s.xlsx", y, code), func() ([]byte, error) { return renderDistrictXLSX(&b, idx, code) }})
	}
	// Each document loads the font from its own file, so documents may be
	// rendered side by side; results are written in a fixed order.
	type result struct {
		data []byte
		err  error
	}
	results := make([]result, len(jobs))
	workers := runtime.GOMAXPROCS(0)
	if workers > 4 {
		workers = 4
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := safely(jobs[i].render)
				results[i] = result{data, err}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	var paths []string
	for i, j := range jobs {
		if err := results[i].err; err != nil {
			return paths, fmt.Errorf("render %s: %w", j.name, err)
		}
		p := filepath.Join(dir, j.name)
		if err := writeAtomic(p, results[i].data); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// safely turns a panic inside the PDF library into an error: a last resort,
// since every text is sanitized before it reaches gofpdf.
func safely(render func() ([]byte, error)) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("renderer panicked: %v", r)
		}
	}()
	return render()
}

// writeAtomic writes data to a temporary file in path's folder and renames
// it over path, so a reader never sees half a document.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
