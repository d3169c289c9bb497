package main

import "syscall"

// peakRSSMB is this process's peak resident set size in MB (Linux: maxrss is in KiB).
func peakRSSMB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return int64(ru.Maxrss) / 1024
}
