package app

import "fmt"

// loadTables are the tables a load writes, in the order a report names them.
var loadTables = []string{"districts", "departments", "providers", "systems", "resources", "catalogue", "events", "scores", "calendar", "budgets"}

// Changed names the tables the load wrote rows into, with how many, as in
// "resources 12"; none when the database already held the set.
func (r LoadResult) Changed() []string {
	var changed []string
	for _, t := range loadTables {
		if r.Counts[t] > 0 {
			changed = append(changed, fmt.Sprintf("%s %d", t, r.Counts[t]))
		}
	}
	return changed
}
