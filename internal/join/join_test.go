package join

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveLinks(t *testing.T) {
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			links := map[string]string{"s1": "t1", "s2": "gone", "s3": "t3", "s4": "t1"}
			sources := []string{"s0", "s1", "s2", "s4"}
			targets := []string{"t3", "t1", "t9"}
			l, err := ResolveLinks(context.Background(), links, sources, targets, workers)
			if err != nil {
				t.Fatal(err)
			}
			type res struct {
				Target int
				Status Status
			}
			var got []res
			for n := range sources {
				i, s := l.Of(n)
				got = append(got, res{i, s})
			}
			want := []res{{0, Unlinked}, {1, Linked}, {0, Stale}, {1, Linked}}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Of (-want +got):\n%s", d)
			}
			if got := []string{l.Owner(0), l.Owner(1), l.Owner(2)}; !slices.Equal(got, []string{"s3", "s1", ""}) {
				t.Errorf("owners %q", got)
			}
			orphans := l.Orphans()
			if d := cmp.Diff([]Orphan{{SourceID: "s3", TargetID: "t3", Target: 0}}, orphans); d != "" {
				t.Errorf("orphans (-want +got):\n%s", d)
			}
		})
	}
}

func TestResolveLinksDuplicateTarget(t *testing.T) {
	_, err := ResolveLinks(context.Background(), nil, nil, []string{"a", "b", "a"}, 2)
	var de *DuplicateTargetError
	if !errors.As(err, &de) || de.ID != "a" || de.First != 0 || de.Second != 2 {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveLinksManyPartitions(t *testing.T) {
	const n = 20_000
	links := map[string]string{}
	var sources, targets []string
	for i := range n {
		s, tg := fmt.Sprintf("s%d", i), fmt.Sprintf("t%d", i)
		links[s] = tg
		if i%2 == 0 {
			sources = append(sources, s)
		}
		if i%3 != 0 {
			targets = append(targets, tg)
		}
	}
	l, err := ResolveLinks(context.Background(), links, sources, targets, 4)
	if err != nil {
		t.Fatal(err)
	}
	for n, s := range sources {
		i, st := l.Of(n)
		var num int
		fmt.Sscanf(s, "s%d", &num)
		switch {
		case num%3 == 0 && st != Stale:
			t.Fatalf("%s: %v, want Stale", s, st)
		case num%3 != 0 && (st != Linked || targets[i] != "t"+s[1:]):
			t.Fatalf("%s: %v %d", s, st, i)
		}
	}
	if got := len(l.Orphans()); got != n/2 {
		t.Fatalf("%d orphans, want %d", got, n/2)
	}
}

func TestIndex(t *testing.T) {
	users := []string{"a", "b", "", "a", "c", "b", "d"}
	key := func(i int) (string, bool) { return users[i], users[i] != "" }
	for _, tc := range []struct {
		name    string
		want    map[string]struct{}
		workers int
	}{
		{"every value", nil, 1},
		{"wanted values", map[string]struct{}{"a": {}, "b": {}, "c": {}, "z": {}}, 1},
		{"wanted values in chunks", map[string]struct{}{"a": {}, "b": {}, "c": {}, "z": {}}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := NewIndex(context.Background(), len(users), key, tc.want, tc.workers)
			var got []string
			for _, k := range []string{"a", "b", "c", "z"} {
				i, hits := x.Lookup(k)
				got = append(got, fmt.Sprintf("%s:%d:%d", k, i, hits))
			}
			const want = "a:0:2 b:1:2 c:4:1 z:0:0"
			if g := strings.Join(got, " "); g != want {
				t.Fatalf("got %s, want %s", g, want)
			}
		})
	}
}

func TestIndexFewWantedInChunks(t *testing.T) {
	const n = 1000
	key := func(i int) (string, bool) { return fmt.Sprint(i % 500), true } // every value twice
	x := NewIndex(context.Background(), n, key, map[string]struct{}{"7": {}, "499": {}}, 4)
	for _, k := range []string{"7", "499"} {
		if _, hits := x.Lookup(k); hits != 2 {
			t.Fatalf("%s: %d hits, want 2 (found in different chunks)", k, hits)
		}
	}
	if _, hits := x.Lookup("8"); hits != 0 {
		t.Fatal("an unwanted value was indexed")
	}
}
