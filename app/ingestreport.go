package app

import "fmt"

// String is the file's outcome on one line, as `cloudbill ingest` prints
// it: moved or not ingested (why), left for the next run, already
// ingested, or its counts (with the time it took and its rate, when
// timed).
func (fr FileReport) String() string {
	r := fr.IngestResult
	switch {
	case fr.Failed != nil && fr.MovedTo != "":
		return fmt.Sprintf("%v: moved to %s", fr.Failed, fr.MovedTo)
	case fr.Failed != nil:
		return fmt.Sprintf("%v: file not ingested", fr.Failed)
	case fr.Waiting:
		return r.File + ": still being written, left for the next run"
	case fr.AlreadyIngested:
		return r.File + ": already ingested, nothing changed"
	}
	line := fmt.Sprintf("%s: %d read, %d new, %d replaced, %d unchanged, %d repeated, %d rejected, %d not yet billable",
		r.File, r.Read, r.Accepted, r.Replaced, r.Unchanged, r.Duplicates, r.Rejected, r.NotYetBillable)
	if fr.Took > 0 {
		line += fmt.Sprintf(" (%s, %s, %.1fs, %.0f rows/s)", r.Kind, r.Path, fr.Took.Seconds(), float64(r.Read)/max(fr.Took.Seconds(), 1e-9))
	}
	return line
}

// Ingested reports whether the file was read and stored (not failed, not
// left waiting, not already in the ledger).
func (fr FileReport) Ingested() bool { return fr.Failed == nil && !fr.Waiting && !fr.AlreadyIngested }
