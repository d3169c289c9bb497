package metering

import (
	"encoding/binary"
	"unicode/utf8"
)

// encodingWindow is how many bytes decide a file's encoding: the file's
// first bytes, or, when those are all ASCII, the bytes from the first row
// that is not.
const encodingWindow = 64 << 10

func asciiOnly(b []byte) bool { return firstNonASCII(b) < 0 }

// firstNonASCII returns the index of the first byte of b that is not
// ASCII, -1 when there is none.
func firstNonASCII(b []byte) int {
	i := 0
	for ; i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0; i += 8 {
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// encodingStats counts the bytes that are not ASCII in a window, read as
// UTF-8 and read as GB18030.
type encodingStats struct {
	utf8Bad          int // bytes in no valid UTF-8 sequence
	gbCommon, gbRare int // GB18030 characters: GB2312 hanzi, CJK punctuation and fullwidth forms; the others
	gbBad            int // bytes that start no GB18030 character
}

// looksGB18030 decides a file's encoding from a window of its bytes, given
// in pieces (a sequence cut between pieces counts as a stray byte or two).
// The window is GB18030 only when all of these hold:
//
//   - it is not UTF-8 (allowing a character cut at its end);
//   - GB18030 explains more of it: fewer of its bytes are invalid as
//     GB18030 than as UTF-8;
//   - as GB18030, at most one byte in ten characters is invalid;
//   - at least 80% of its GB18030 characters are common ones: GB2312
//     hanzi (rows B0–F7) and the CJK punctuation, symbols, numerals and
//     fullwidth forms of GB2312 rows A1–A3. UTF-8 Chinese read as GB18030 gives as many
//     rare GBK ideographs, Cyrillic and kana as common hanzi (澶у悓甯傚…).
//
// Otherwise the file is UTF-8 and every row with bytes that are not UTF-8
// is rejected.
func looksGB18030(pieces ...[]byte) bool {
	var s encodingStats
	for i, p := range pieces {
		s.add(p, i == len(pieces)-1)
	}
	if s.utf8Bad == 0 {
		return false
	}
	chars := s.gbCommon + s.gbRare
	return s.gbBad < s.utf8Bad &&
		chars > 0 && s.gbBad*10 <= chars &&
		s.gbCommon*10 >= chars*8
}

// add counts b; last says that b ends the window, so that a character cut
// at its end is not counted as invalid.
func (s *encodingStats) add(b []byte, last bool) {
	for i := 0; i < len(b); {
		j := firstNonASCII(b[i:])
		if j < 0 {
			break
		}
		i += j
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r != utf8.RuneError || n > 1:
		case last && !utf8.FullRune(b[i:]):
			i = len(b) // cut at the end of the window
			continue
		default:
			s.utf8Bad++
		}
		i += n
	}
	for i := 0; i < len(b); {
		j := firstNonASCII(b[i:])
		if j < 0 {
			break
		}
		i += j
		n, common, ok := gbChar(b[i:])
		switch {
		case n == 0:
			if !last {
				s.gbBad++
			}
			i = len(b)
			continue
		case !ok:
			s.gbBad++
		case common:
			s.gbCommon++
		default:
			s.gbRare++
		}
		i += n
	}
}

// gbChar reads the GB18030 character that b starts with (b[0] is not
// ASCII): its length (0 when b ends inside it), whether it is a common
// character and whether it is valid (length 1 when it is not). It follows
// the decoder of golang.org/x/text: 0x80 is the euro sign.
func gbChar(b []byte) (n int, common, ok bool) {
	c0 := b[0]
	switch {
	case c0 == 0x80:
		return 1, false, true
	case c0 == 0xff:
		return 1, false, false
	case len(b) < 2:
		return 0, false, false
	}
	switch c1 := b[1]; {
	case 0x40 <= c1 && c1 < 0x7f || 0x80 <= c1 && c1 < 0xff:
		common = (0xa1 <= c0 && c0 <= 0xa3 || 0xb0 <= c0 && c0 <= 0xf7) && c1 >= 0xa1
		return 2, common, true
	case 0x30 <= c1 && c1 < 0x3a:
		if len(b) < 4 {
			return 0, false, false
		}
		if 0x81 <= b[2] && b[2] < 0xff && 0x30 <= b[3] && b[3] < 0x3a {
			return 4, false, true
		}
	}
	return 1, false, false
}
