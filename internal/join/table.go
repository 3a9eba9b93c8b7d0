package join

import "math/bits"

// partitions returns how many partitions to use for n entries (a power of
// two) and the shift that maps a 64-bit hash to a partition.
func partitions(n int) (int, uint) {
	p := 1
	for p < 1<<12 && n/p > 2048 {
		p <<= 1
	}
	return p, uint(64 - bits.TrailingZeros(uint(p)))
}

func partOf(h uint64, shift uint) int {
	if shift >= 64 {
		return 0
	}
	return int(h >> shift)
}

// scatter groups the indexes 0..len(hs)-1 by partition: the members of
// partition p are out[start[p]:start[p+1]].
func scatter(hs []uint64, parts int, shift uint) (out, start []int32) {
	start = make([]int32, parts+1)
	for _, h := range hs {
		start[partOf(h, shift)+1]++
	}
	for p := range parts {
		start[p+1] += start[p]
	}
	next := make([]int32, parts)
	copy(next, start[:parts])
	out = make([]int32, len(hs))
	for k, h := range hs {
		p := partOf(h, shift)
		out[next[p]] = int32(k)
		next[p]++
	}
	return out, start
}

// table is a small open-addressing hash table of indexes into keys, keyed by
// the hashes computed once for the join (low bits; partitions use the high
// bits), so that no key is hashed twice.
type table struct {
	slots  []int32 // index + 1; 0 is empty
	mask   uint64
	keys   []string
	hashes []uint64
}

func newTable(keys []string, hashes []uint64) table {
	return table{keys: keys, hashes: hashes}
}

// reset empties the table, sized for n entries.
func (t *table) reset(n int) {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
		clear(t.slots)
	} else {
		t.slots = make([]int32, size)
	}
	t.mask = uint64(size - 1)
}

// find returns the index stored under hash h whose key equals key, and
// whether there is one.
func (t *table) find(h uint64, key string) (int32, bool) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if k := s - 1; t.hashes[k] == h && t.keys[k] == key {
			return k, true
		}
	}
}

// insert stores index k (whose hash is hashes[k]).
func (t *table) insert(k int32) {
	i := t.hashes[k] & t.mask
	for t.slots[i] != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = k + 1
}
