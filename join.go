package druvascim

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
)

// The planner resolves the stored links with two partitioned hash joins
// instead of probing maps of a million entries at random: every side (the
// links, the source objects, the target users) is hashed once and
// scattered into partitions of a few thousand entries, and each partition
// is joined with a small table that stays in the processor's cache. The
// work is linear in the number of objects and its memory traffic mostly
// sequential, so the cost grows close to linearly instead of with the cache
// misses of ever larger maps.

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

// parallel runs fn(lo, hi) over [0, n) in workers chunks and waits.
func parallel(workers, n int, fn func(w, lo, hi int)) {
	if workers <= 1 || n < 2 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { fn(w, lo, hi) })
	}
	wg.Wait()
}

// table is a small open-addressing hash table of indexes keyed by the
// hashes computed once for the join (low bits; partitions use the high
// bits), so that no key is hashed twice.
type table struct {
	slots []int32 // index + 1; 0 is empty
	mask  uint64
}

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

// find returns the index stored under hash h whose key equals key, or -1;
// keyOf and hashOf read an index's key and hash.
func (t *table) find(h uint64, key string, keyOf func(int32) string, hashOf func(int32) uint64) int32 {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if k := s - 1; hashOf(k) == h && keyOf(k) == key {
			return k
		}
	}
}

func (t *table) insert(h uint64, k int32) {
	i := h & t.mask
	for t.slots[i] != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = k + 1
}

// linkJoin is the outcome of resolving the stored links.
type linkJoin struct {
	src, tgt []string // the links, in map iteration order
	at       []int32  // per link: the target user's index, or noLink when gone
	probed   []bool   // per link: a source object of this read has it
	linkOf   []int32  // per order position: the link's index, or -1
}

// joinLinks resolves every stored link against the source objects (by
// source id) and the current users (by target id), sets r.owner (the
// smallest linked source id per user) and checks that user ids are unique.
func (r *planRun) joinLinks(workers int, order []int32) (*linkJoin, error) {
	in, links := r.in, r.state.Links
	seed := maphash.MakeSeed()
	j := &linkJoin{src: make([]string, 0, len(links)), tgt: make([]string, 0, len(links))}
	for s, t := range links {
		j.src = append(j.src, s)
		j.tgt = append(j.tgt, t)
	}
	nl, nd, nc := len(j.src), len(order), len(in.Current)
	hs, ht := make([]uint64, nl), make([]uint64, nl)
	hd, hc := make([]uint64, nd), make([]uint64, nc)
	parallel(workers, nl, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			hs[k] = maphash.String(seed, j.src[k])
			ht[k] = maphash.String(seed, j.tgt[k])
		}
	})
	parallel(workers, nd, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			hd[n] = maphash.String(seed, in.Desired[order[n]].SourceID)
		}
	})
	parallel(workers, nc, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			hc[i] = maphash.String(seed, r.ids[i])
		}
	})

	// Join A: links × source objects, by source id.
	parts, shift := partitions(max(nl, nd))
	lS, lSStart := scatter(hs, parts, shift)
	dS, dSStart := scatter(hd, parts, shift)
	j.linkOf = make([]int32, nd)
	j.probed = make([]bool, nl)
	srcOf := func(k int32) string { return j.src[k] }
	srcHash := func(k int32) uint64 { return hs[k] }
	parallel(workers, parts, func(_, lo, hi int) {
		var t table
		for p := lo; p < hi; p++ {
			ls := lS[lSStart[p]:lSStart[p+1]]
			t.reset(len(ls))
			for _, k := range ls {
				t.insert(hs[k], k)
			}
			for _, n := range dS[dSStart[p]:dSStart[p+1]] {
				k := t.find(hd[n], in.Desired[order[n]].SourceID, srcOf, srcHash)
				j.linkOf[n] = k
				if k >= 0 {
					j.probed[k] = true
				}
			}
		}
	})

	// Join B: links × current users, by target id. Each user falls in one
	// partition, so its owner is decided there without locks.
	parts, shift = partitions(max(nl, nc))
	lT, lTStart := scatter(ht, parts, shift)
	cT, cTStart := scatter(hc, parts, shift)
	j.at = make([]int32, nl)
	errs := make([]error, max(workers, 1))
	idOf := func(i int32) string { return r.ids[i] }
	idHash := func(i int32) uint64 { return hc[i] }
	parallel(workers, parts, func(w, lo, hi int) {
		var t table
		for p := lo; p < hi; p++ {
			cs := cT[cTStart[p]:cTStart[p+1]]
			t.reset(len(cs))
			for _, i := range cs {
				if prev := t.find(hc[i], r.ids[i], idOf, idHash); prev >= 0 {
					if errs[w] == nil {
						errs[w] = fmt.Errorf("druvascim: plan: target user id %q listed twice (users #%d and #%d; the target listing is inconsistent)", r.ids[i], min(prev, i), max(prev, i))
					}
					continue
				}
				t.insert(hc[i], i)
			}
			for _, k := range lT[lTStart[p]:lTStart[p+1]] {
				i := t.find(ht[k], j.tgt[k], idOf, idHash)
				if i < 0 {
					j.at[k] = noLink
					continue
				}
				j.at[k] = i
				if s := j.src[k]; r.owner[i] == "" || s < r.owner[i] {
					r.owner[i] = s
				}
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return j, nil
}
