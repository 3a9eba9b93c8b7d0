// Package join resolves the planner's stored links and matching values
// against a million objects in linear time.
//
// [ResolveLinks] finds, for every stored link, the source object and the
// target user it names; [NewIndex] indexes the target users by one matching
// attribute's value. Both hide how: the links are resolved with two
// partitioned hash joins instead of probing maps of a million entries at
// random. Every side (the links, the source ids, the target ids) is hashed
// once and scattered into partitions of a few thousand entries, and each
// partition is joined with a small table that stays in the processor's
// cache, so the cost grows close to linearly instead of with the cache
// misses of ever larger maps.
package join
