package store

import (
	"sync"

	"cloudbill/metering"
)

// produce runs fill in a goroutine, which hands values over with put
// until fill returns or put reports false (stop was called: the consumer
// gave up). The channel closes when fill returns; stop waits for it.
func produce[T any](fill func(put func(T) bool)) (<-chan T, func()) {
	work := make(chan T)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(work)
		fill(func(v T) bool {
			select {
			case work <- v:
				return true
			case <-quit:
				return false
			}
		})
	}()
	var once sync.Once
	return work, func() { once.Do(func() { close(quit) }); wg.Wait() }
}

// boxer turns values into arguments, boxing each resource, item and day
// once: building a row's arguments then allocates only for its other
// values.
type boxer struct {
	resAny, itemAny         []any
	dayAny                  map[metering.Date]any
	resCol, itemCol, dayCol int // in spec.cols() order; itemCol -1 when none
}

func newBoxer(sp *spec) *boxer {
	b := &boxer{dayAny: map[metering.Date]any{}, resCol: 0, itemCol: -1, dayCol: len(sp.keys) - 1}
	if len(sp.keys) == 3 {
		b.itemCol = 1
	}
	return b
}

// box returns v, column i of a row of resource and item numbers resIdx and
// itemIdx and of day, as an argument.
func (b *boxer) box(i int, v string, resIdx, itemIdx int32, day metering.Date) any {
	switch i {
	case b.resCol:
		return boxed(&b.resAny, resIdx, v)
	case b.itemCol:
		return boxed(&b.itemAny, itemIdx, v)
	case b.dayCol:
		a, ok := b.dayAny[day]
		if !ok {
			a = v
			b.dayAny[day] = a
		}
		return a
	}
	return v
}

// boxed returns the boxed value number i of *cache, v the first time.
func boxed(cache *[]any, i int32, v string) any {
	if int(i) >= len(*cache) {
		*cache = append(*cache, make([]any, int(i)+1-len(*cache))...)
	}
	if (*cache)[i] == nil {
		(*cache)[i] = v
	}
	return (*cache)[i]
}
