package druvascim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// read reads the source and the target and maps the source objects. On a
// full read the source and the target are read at the same time, and the
// source objects are mapped while the target listing goes on; a failure on
// either side stops the other. An incremental read comes first: when it
// returns few objects, their target users are looked up one by one rather
// than listed.
func (c *cycleRun) read(ctx context.Context) error {
	s := c.s
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	var listErr error
	var listTime time.Duration
	listed := make(chan struct{})
	if c.delta == "" {
		go func() {
			defer close(listed)
			t := s.cfg.now()
			c.current, listErr = s.readTarget(readCtx)
			c.readCalls++
			listTime = s.cfg.now().Sub(t)
			if listErr != nil {
				stopReading()
			}
		}()
	} else {
		close(listed) // nothing to wait for until the source is read
	}
	err := c.readSource(readCtx)
	if err != nil {
		stopReading()
		<-listed
		if listErr != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) {
			return listErr // the source read was stopped by the failed listing
		}
		return err
	}
	<-listed
	if listErr != nil {
		return listErr
	}
	if c.delta != "" {
		t := s.cfg.now()
		if err := c.readChangedTarget(ctx); err != nil {
			return err
		}
		listTime = s.cfg.now().Sub(t)
	}
	c.sum.ReadTarget, c.sum.TargetUsers = listTime, len(c.current)
	return nil
}

// readSource reads the source and maps its objects.
func (c *cycleRun) readSource(ctx context.Context) error {
	s := c.s
	t := s.cfg.now()
	s.progress(PhaseReadSource, 0, 0)
	b, err := s.src.Fetch(ctx, c.delta)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIncompleteSource, err)
	}
	if c.delta == "" && !b.Full {
		return fmt.Errorf("%w: a full read was asked for but the source returned a partial one", ErrIncompleteSource)
	}
	if len(c.retry) > 0 {
		if b.Objects, err = c.readRetries(ctx, b.Objects); err != nil {
			return fmt.Errorf("%w: %w", ErrIncompleteSource, err)
		}
	}
	c.next, c.full = b.DeltaLink, b.Full
	if b.Full && c.delta != "" && c.sum.FullReason == "" {
		c.sum.FullReason = b.FullReason
	}
	c.sum.ReadSource, c.sum.Full, c.sum.SourceObjects = s.cfg.now().Sub(t), b.Full, len(b.Objects)
	s.logf("druvascim: source read", "objects", len(b.Objects), "full", b.Full)

	t = s.cfg.now()
	c.desired, err = Prepare(ctx, s.set, b.Objects, s.cfg.evalOpts...)
	if err != nil {
		return err
	}
	c.sum.Map = s.cfg.now().Sub(t)
	s.progress(PhaseReadSource, len(b.Objects), len(b.Objects))
	return nil
}

// readRetries adds to the objects of an incremental read the objects due
// for a retry that the read did not return, read one by one. An object the
// source no longer has is not retried: its escrow or veto goes.
func (c *cycleRun) readRetries(ctx context.Context, objs []Object) ([]Object, error) {
	f := c.s.src.(objectFetcher)
	have := make(map[string]bool, len(objs))
	for i := range objs {
		have[objs[i].ID] = true
	}
	for _, id := range c.retry {
		if have[id] {
			continue
		}
		o, err := f.FetchObject(ctx, id)
		if errors.Is(err, ErrNotFound) {
			delete(c.st.Escrows, id)
			delete(c.st.Vetoed, id)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read escrowed object %s: %w", id, err)
		}
		objs = append(objs, o)
	}
	c.s.logf("druvascim: due objects read one by one", "objects", len(c.retry))
	return objs, nil
}

// lookupsPerLink bounds when an incremental cycle looks its objects' target
// users up one by one ([Syncer.lookup]) instead of listing every target
// user: at most one object per lookupsPerLink links, so that the lookups
// (one or two requests an object) cost fewer requests than a list pass
// (Druva pages hold 100 users).
const lookupsPerLink = 200

// readChangedTarget reads the target users an incremental read needs: the
// users of the objects read, looked up one by one when they are few, else
// the whole listing.
func (c *cycleRun) readChangedTarget(ctx context.Context) error {
	s := c.s
	if c.full || len(c.desired)*lookupsPerLink > len(c.st.Links) {
		var err error
		c.current, err = s.readTarget(ctx)
		c.readCalls++
		return err
	}
	seen := map[string]bool{}
	for i := range c.desired {
		users, _, calls, err := s.lookup(ctx, c.st, &c.desired[i], seen)
		c.readCalls += calls
		if err != nil {
			return fmt.Errorf("druvascim: read target users: %w", err)
		}
		c.current = append(c.current, users...)
	}
	s.logf("druvascim: target users looked up", "objects", len(c.desired), "users", len(c.current))
	return nil
}

// readTarget lists every target user; any error aborts (a partial listing
// would look like users gone).
func (s *Syncer) readTarget(ctx context.Context) ([]scim.Resource, error) {
	var users []scim.Resource
	for u, err := range s.dst.ListUsers(ctx) {
		if err != nil {
			return nil, fmt.Errorf("druvascim: read target users: %w", err)
		}
		users = append(users, u)
		if len(users)%1000 == 0 {
			s.progress(PhaseReadTarget, len(users), 0)
		}
	}
	s.progress(PhaseReadTarget, len(users), len(users))
	return users, nil
}

// lookup finds the target users one desired object may match without
// listing them all, as on-demand provisioning does: its linked user (by id),
// or else the users holding its matching keys, in precedence order until one
// key finds any. Users already in seen are not returned again. notes say
// what each key lookup found; calls counts the target calls made.
func (s *Syncer) lookup(ctx context.Context, st *State, d *Desired, seen map[string]bool) (users []scim.Resource, notes []string, calls int64, err error) {
	if tgt, ok := st.Links[d.SourceID]; ok {
		calls++
		u, err := s.dst.GetUser(ctx, tgt)
		switch {
		case err == nil:
			if !seen[tgt] {
				users = append(users, u)
			}
			seen[tgt] = true
			return users, nil, calls, nil
		case statusOf(err) != http.StatusNotFound:
			return nil, nil, calls, fmt.Errorf("read linked user %s: %w", tgt, err)
		}
	}
	for _, k := range d.Keys {
		calls++
		found, err := s.dst.FindUsers(ctx, k.Path, k.Value)
		if err != nil {
			return nil, nil, calls, fmt.Errorf("look up %s = %q: %w", k.Path, k.Value, err)
		}
		notes = append(notes, fmt.Sprintf("%s = %q: %d user(s)", k.Path, k.Value, len(found)))
		for _, u := range found {
			if id := u.ID(); id != "" && !seen[id] {
				seen[id] = true
				users = append(users, u)
			}
		}
		if len(found) > 0 {
			break
		}
	}
	return users, notes, calls, nil
}
