// Package fakeclock is the clock the module's tests inject where code would
// otherwise read the time or sleep: [Clock.Now] reads it, [Clock.Wait]
// records the wait and advances the clock instead of sleeping, so retry
// and rate-limit schedules are checked exactly and no test sleeps.
//
// Its Wait has the signature of the wait seams (httpx.WithWait,
// druva.WithWait, entra.WithWait, druvatest.WithSleep):
//
//	clk := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
//	c, err := druva.NewClient(token, druva.WithWait(clk.Wait))
//	// ... clk.Waits() lists what the client waited for.
//
// It is internal: only this module's tests use it.
package fakeclock
