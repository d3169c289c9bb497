// Package web is cloudbill's review portal: server-rendered pages (Chinese,
// html/template, every asset embedded) on which each party sees its own
// bill and traces every figure down to one day's meter reading, downloads
// its documents, and the office watches the jobs, rejects and inbox.
// Accounts, sessions and the audit trail are kept by app and store; who
// may see what is decided in one place, Scope (scope.go). See
// docs/portal.md.
package web
