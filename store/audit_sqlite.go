package store

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"

	"modernc.org/sqlite"
)

// SQLite has no SHA-256 of its own: cloudbill_sha256(text) is the lower-case
// hex SHA-256 of the text's UTF-8 bytes, for migration 0040, which chains
// the audit rows that existed before the chain. (PostgreSQL has sha256.)
// Registering fails only for a name already taken; migration 0040 then
// fails naming the function, which is where the error shows.
func init() {
	_ = sqlite.RegisterDeterministicScalarFunction("cloudbill_sha256", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var b []byte
		switch v := args[0].(type) {
		case string:
			b = []byte(v)
		case []byte:
			b = v
		default:
			return nil, fmt.Errorf("cloudbill_sha256: %T is not text", v)
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:]), nil
	})
}
