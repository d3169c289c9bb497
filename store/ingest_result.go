package store

// Replacement is a stored value that a file changed.
type Replacement struct {
	ResourceID, ItemCode, Day string
	Old, New                  string // value columns joined with ","
}

// maxReplacements bounds how many replacements a result lists (all are counted).
const maxReplacements = 100

// IngestResult says what one file did. Read = Accepted + Replaced +
// Unchanged + Duplicates + Rejected; NotYetBillable counts the valid rows
// (each key once) dated before their resource's confirmation or for a
// resource never confirmed.
type IngestResult struct {
	File            string
	SHA256          string // of the bytes read
	Bytes           int64  // how many were read
	Kind            RecordKind
	AlreadyIngested bool
	Read            int64 // data rows read
	Accepted        int64 // new keys stored
	Replaced        int64 // existing keys given a different value
	Unchanged       int64 // existing keys with the same value
	Duplicates      int64 // rows repeating a key seen earlier in the file (the last value wins)
	Rejected        int64 // rows kept in rejects
	NotYetBillable  int64
	Replacements    []Replacement // the first maxReplacements
	Path            string        // how it was written: "copy", "staging", "staging+dedupe", "upsert"
}

func (r *IngestResult) reset() {
	*r = IngestResult{File: r.File, Kind: r.Kind}
}

func (r *IngestResult) replaced(rp Replacement) {
	r.Replaced++
	if len(r.Replacements) < maxReplacements {
		r.Replacements = append(r.Replacements, rp)
	}
}
