package store

import "time"

// nowUTC is the wall clock for ledger timestamps; tests may replace it.
var nowUTC = func() time.Time { return time.Now().UTC() }
