package metering

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"
)

// usageCSV is a usage file of a million rows, built once: 2,000 resources
// by 500 days, one item each, in day order as the nightly files come.
var usageCSV = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString("day,resource_id,item_code,quantity\n")
	day := MustDate("2024-01-01")
	for d := 0; d < 500; d++ {
		ds := day.AddDays(d).String()
		for r := 0; r < 2000; r++ {
			fmt.Fprintf(&b, "%s,vm-%05d,VCPU,%d\n", ds, r, 1+r%16)
		}
	}
	return b.Bytes()
})

// usageJSONL is usageCSV's first 100,000 rows as JSON Lines.
var usageJSONL = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	day := MustDate("2024-01-01")
	for d := 0; d < 50; d++ {
		ds := day.AddDays(d).String()
		for r := 0; r < 2000; r++ {
			fmt.Fprintf(&b, `{"day":"%s","resource_id":"vm-%05d","item_code":"VCPU","quantity":%d}`+"\n", ds, r, 1+r%16)
		}
	}
	return b.Bytes()
})

// BenchmarkTableUsage reads the million-row usage file from memory and
// looks up the four columns of every row, as ingestion does.
func BenchmarkTableUsage(b *testing.B) { benchTable(b, usageCSV(), 1_000_000) }

// BenchmarkTableUsageJSONL reads 100,000 usage rows of JSON Lines.
func BenchmarkTableUsageJSONL(b *testing.B) { benchTable(b, usageJSONL(), 100_000) }

func benchTable(b *testing.B, data []byte, rows int) {
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		t, err := NewTable("usage.csv", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			r, err := t.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if r.Get("day") == "" || r.Get("resource_id") == "" || r.Get("item_code") == "" || r.Get("quantity") == "" {
				b.Fatal("empty field")
			}
			n++
		}
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}
