package main

import (
	"context"
	"strings"

	"github.com/druvascim/druvascim"
)

// lockState takes the state's lock for a run that writes (sync, provision),
// for the whole run: one writer per state. It is refused, as bad input
// (exit status 2), when another run holds the lock, naming that run, or
// when the state could not be saved, before anything is written to Druva.
func (f *syncFlags) lockState(ctx context.Context, store druvascim.StateStore) (unlock func(), err error) {
	u, err := store.Lock(ctx)
	if err != nil {
		return nil, badInput("--state %s: %s", f.state, strings.TrimPrefix(err.Error(), "druvascim: "))
	}
	return func() { _ = u() }, nil
}
