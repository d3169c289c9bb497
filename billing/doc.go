// Package billing prices metered use: the finance bureau's catalogue and its
// price versions, the rating of runs of days (docs/rules.md §2–§3), the annual
// settlement arithmetic and the versioned statement (§2.3). It declares the
// reads it needs as interfaces; store implements them.
package billing
