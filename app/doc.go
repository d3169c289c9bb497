// Package app holds cloudbill's use cases: load a reference set, ingest
// metering, settle, issue and report a year, refresh the findings, and the
// nightly and annual jobs that chain them. The command line, the daemon
// and the web portal call it; it returns results and errors and never
// prints. Each use case takes an <Op>Input whose Validate says what is
// wrong with it before anything is read.
//
// The sign-off of a draft version (docs/signoff.md) is one set of rules
// shared by the command line and the portal: an Actor (ActorOf a portal
// account; the zero Actor is the operator on the command line) calls
// Publish (the office), Confirm or Object (a provider for its lines, a
// district office for its district's, within the window), Resolve and
// Approve (the office); Signoff is a version's SignoffView (each party's
// state, the objections in the actor's scope, the deadline, whether it is
// approvable and why not, the actor's own party and the steps it May take
// now), Objections and Evidence list and read the
// objections; Issue refuses a version that was not approved unless
// IssueInput.WithoutSignoff gives the reason. An action outside the
// actor's role or scope is an error wrapping ErrRefused.
package app
