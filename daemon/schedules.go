package daemon

import "cloudbill/app"

// DefaultSchedules are the jobs' schedules of `cloudbill serve` when no
// flag or environment variable names another (docs/operations.md), in
// Asia/Shanghai: the nightly job at 01:30, the annual one at 06:00 on 5
// January, the monthly one at 06:30 on the 1st (the previous month's
// report) and the quarterly one at 07:00 on a quarter's first day (the
// previous quarter's).
var DefaultSchedules = map[string]string{
	app.JobNightly:   "30 1 * * *",
	app.JobAnnual:    "0 6 5 1 *",
	app.JobMonthly:   "30 6 1 * *",
	app.JobQuarterly: "0 7 1 1,4,7,10 *",
}
