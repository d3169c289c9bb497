package app

import (
	"runtime/debug"
	"strings"
)

// Version names this build: the module version, and the VCS revision
// and time it was built from when the build recorded them.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	var b strings.Builder
	b.WriteString(v)
	if rev != "" {
		b.WriteString(" " + rev[:min(12, len(rev))])
		if dirty {
			b.WriteString("+dirty")
		}
	}
	if at != "" {
		b.WriteString(" " + at)
	}
	return b.String()
}
