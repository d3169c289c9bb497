package metering_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/metering"
)

// TestTableEncodingDecidedLate: a file whose first 64 KiB are ASCII and
// whose first Chinese text comes later is decoded by what that text is,
// GB18030 or UTF-8, and every row keeps its line number.
func TestTableEncodingDecidedLate(t *testing.T) {
	var ascii strings.Builder
	ascii.WriteString("day,resource_id,item_code,quantity\n")
	rows := 0
	for ascii.Len() < 80<<10 {
		fmt.Fprintf(&ascii, "2024-06-10,vm-%05d,VCPU,4\n", rows)
		rows++
	}
	late := "2024-06-10,云主机-1,VCPU,8\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(late)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tail string
		want metering.Encoding
	}{
		{"gb18030", gb, metering.EncodingGB18030},
		{"utf-8", late, metering.EncodingUTF8},
	} {
		t.Run(c.name, func(t *testing.T) {
			tab, err := metering.NewTable(c.name+".csv", bytes.NewReader([]byte(ascii.String()+c.tail+"2024-06-11,vm-00001,MEM,16\n")))
			if err != nil {
				t.Fatal(err)
			}
			type seen struct {
				line           int
				resource, item string
			}
			var last []seen // rows are reused: keep their values
			n := 0
			for {
				row, err := tab.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("row %d: %v", n+1, err)
				}
				n++
				if n > rows {
					last = append(last, seen{row.Line, row.Get("resource_id"), row.Get("item_code")})
				}
			}
			if n != rows+2 || len(last) != 2 {
				t.Fatalf("%d rows, want %d", n, rows+2)
			}
			if want := (seen{rows + 2, "云主机-1", "VCPU"}); last[0] != want {
				t.Errorf("late row %+v, want %+v", last[0], want)
			}
			if want := (seen{rows + 3, "vm-00001", "MEM"}); last[1] != want {
				t.Errorf("last row %+v, want %+v", last[1], want)
			}
			if tab.Encoding != c.want {
				t.Errorf("encoding %s, want %s", tab.Encoding, c.want)
			}
		})
	}
}
