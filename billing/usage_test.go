package billing

import (
	"testing"

	"cloudbill/metering"
)

func TestCountDays(t *testing.T) {
	d := metering.MustDate
	all := uint32(1<<31 - 1)
	for _, c := range []struct {
		name            string
		days            uint32
		month, from, to string
		want            int
	}{
		{"whole January", all, "2024-01-01", "2023-12-01", "2024-02-01", 31},
		{"segment inside the month", all, "2024-01-01", "2024-01-10", "2024-01-20", 10},
		{"confirmed on the 31st", all, "2024-01-01", "2024-01-31", "2025-01-01", 1},
		{"released on the 1st: nothing", all, "2024-01-01", "2023-01-01", "2024-01-01", 0},
		{"leap February", all, "2024-02-01", "2024-01-01", "2025-01-01", 29},
		{"gaps are not counted", 0b101, "2024-03-01", "2024-03-01", "2024-03-03", 1},
		{"segment after the month", all, "2024-03-01", "2024-04-01", "2024-05-01", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := d(c.month)
			next := metering.NewDate(m.Year(), m.Month()+1, 1)
			if got := countDays(c.days, m, next, d(c.from), d(c.to)); got != c.want {
				t.Errorf("countDays = %d, want %d", got, c.want)
			}
		})
	}
}
