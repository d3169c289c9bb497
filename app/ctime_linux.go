package app

import (
	"os"
	"syscall"
	"time"
)

// changeTime is the inode's change time (ctime) of st.
func changeTime(st os.FileInfo) (time.Time, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(s.Ctim.Sec, s.Ctim.Nsec), true
}
