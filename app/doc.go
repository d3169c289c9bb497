// Package app holds cloudbill's use cases: load a reference set, ingest
// metering, settle, issue and report a year, refresh the findings, and the
// nightly and annual jobs that chain them. The command line, the daemon
// and the web portal call it; it returns results and errors and never
// prints. Each use case takes an <Op>Input whose Validate says what is
// wrong with it before anything is read.
package app
