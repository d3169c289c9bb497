package store

// EncodeSnapshotForTest is the JSON a snapshot is stored as.
func EncodeSnapshotForTest(s Snapshot) ([]byte, error) { return encodeSnapshot(s) }
