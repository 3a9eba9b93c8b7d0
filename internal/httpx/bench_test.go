package httpx_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/druvascim/druvascim/internal/httpx"
)

// BenchmarkDo measures the client's own cost per request: a POST of a
// small body to a loopback server that answers 201 with a small body, through
// httpx.Client.Do (limiter off) and, side by side, through a bare
// net/http.Client doing the same exchange (the "bare" sub-benchmark). The
// server's work is the same and tiny, so the difference is the stack's.
func BenchmarkDo(b *testing.B) {
	answer := []byte(`{"id":"1","userName":"a@example.com"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(answer)
	}))
	b.Cleanup(srv.Close)
	body := bytes.Repeat([]byte("x"), 600)

	b.Run("httpx", func(b *testing.B) {
		c, err := httpx.New(srv.URL, httpx.WithToken("t0ken"), httpx.WithRateLimit(0, 0))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetParallelism(4) // 8 goroutines on 2 cores: CPU-bound, not latency-bound
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := c.Do(b.Context(), &httpx.Request{Method: http.MethodPost, Path: "Users", Body: body,
					ContentType: "application/scim+json", Header: http.Header{"Accept": {"application/scim+json"}}})
				if err != nil || resp.StatusCode != http.StatusCreated || !bytes.Equal(resp.Body, answer) {
					b.Errorf("Do: %v %v", resp, err)
					return
				}
			}
		})
	})
	b.Run("bare", func(b *testing.B) {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		hc := &http.Client{Transport: t}
		b.ReportAllocs()
		b.SetParallelism(4) // 8 goroutines on 2 cores: CPU-bound, not latency-bound
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL+"/Users", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer t0ken")
				req.Header.Set("Content-Type", "application/scim+json")
				req.Header.Set("Accept", "application/scim+json")
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				got, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusCreated || !bytes.Equal(got, answer) {
					b.Errorf("bare: %d %v", resp.StatusCode, err)
					return
				}
			}
		})
	})
}
