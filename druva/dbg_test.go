package druva_test

import (
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
)

func TestDbgRate(t *testing.T) {
	srv, _ := druvatest.New(druvatest.WithRateLimit(200, 10))
	defer srv.Close()
	c, _ := srv.NewClient(druva.WithRateLimit(200, 5))
	start := time.Now()
	timeCreates(nil, func(i int) error {
		_, err := c.CreateUser(t.Context(), benchUser(i))
		return err
	}, 0, 300)
	t.Log(time.Since(start), srv.Stats(), c.Stats(), c.RateLimit())
	for _, r := range srv.Requests() {
		if r.Status == 429 {
			t.Log(r)
			break
		}
	}
}
