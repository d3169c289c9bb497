package store

import (
	"encoding/binary"
	"encoding/hex"
)

// shaLockKey turns a file digest into a PostgreSQL advisory lock key.
func shaLockKey(sha string) int64 {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) < 8 {
		b = append([]byte(sha), make([]byte, 8)...)
	}
	return int64(binary.BigEndian.Uint64(b[:8]))
}
