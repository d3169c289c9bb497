package store

import (
	"math/bits"
	"slices"

	"cloudbill/metering"
)

// keySet is an exact set of record keys packed into uint64s, kept in
// 65,536-wide containers (a sorted array when sparse, a bitmap when dense).
// Keys of one day and item differ only in their resource index, which sits
// in the low bits, so a file costs about two bytes a row whatever its size.
type keySet struct {
	m                 map[uint64]*keyContainer
	n                 int
	resBits, itemBits uint
}

type keyContainer struct {
	arr  []uint16
	bits []uint64
}

// dayOffset keeps the day field positive for any four-digit year.
const dayOffset = 800_000

func newKeySet(k *metering.Known) *keySet {
	return &keySet{
		m:        make(map[uint64]*keyContainer),
		resBits:  uint(bits.Len32(uint32(len(k.Resources) + 1))),
		itemBits: uint(bits.Len32(uint32(len(k.Items) + 1))),
	}
}

// key packs (day, item, resource); item is 0 for activity.
func (s *keySet) key(day metering.Date, item, res int32) uint64 {
	return uint64(int64(day)+dayOffset)<<(s.resBits+s.itemBits) | uint64(item)<<s.resBits | uint64(res)
}

// add inserts k and reports whether it was new.
func (s *keySet) add(k uint64) bool {
	hi, lo := k>>16, uint16(k)
	c := s.m[hi]
	if c == nil {
		c = &keyContainer{}
		s.m[hi] = c
	}
	if c.bits != nil {
		w, b := lo>>6, uint64(1)<<(lo&63)
		if c.bits[w]&b != 0 {
			return false
		}
		c.bits[w] |= b
		s.n++
		return true
	}
	i, found := slices.BinarySearch(c.arr, lo)
	if found {
		return false
	}
	if len(c.arr) >= 4096 {
		c.bits = make([]uint64, 1024)
		for _, v := range c.arr {
			c.bits[v>>6] |= 1 << (v & 63)
		}
		c.arr = nil
		c.bits[lo>>6] |= 1 << (lo & 63)
		s.n++
		return true
	}
	c.arr = slices.Insert(c.arr, i, lo)
	s.n++
	return true
}
