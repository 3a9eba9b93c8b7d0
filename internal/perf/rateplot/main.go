// Command rateplot draws the per-second series BenchmarkLearnRate writes
// (PERF_LEARN_OUT) as an SVG: the server's limit R, the requests it
// accepted and the client's rate over time, with the 429s of each second
// as red bars.
//
//	PERF_LEARN_OUT=/tmp/learn go test -run '^$' -bench 'BenchmarkLearnRate/R=10$' -benchtime 1x ./internal/perf/
//	go run ./internal/perf/rateplot -title "R = 10" -o internal/perf/plots/learn-R10.svg /tmp/learn/R_10-*.csv
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

type sample struct {
	t, r, ok, refused, client float64
}

func main() {
	out := flag.String("o", "", "SVG file to write (default: standard output)")
	title := flag.String("title", "", "title above the plot")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: rateplot [-o FILE.svg] [-title TEXT] SERIES.csv")
		os.Exit(2)
	}
	samples, err := read(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "rateplot:", err)
		os.Exit(1)
	}
	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rateplot:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := draw(w, *title, samples); err != nil {
		fmt.Fprintln(os.Stderr, "rateplot:", err)
		os.Exit(1)
	}
}

// read parses the CSV: second, R, requests, throttled, creates, client_rate.
func read(path string) ([]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 || len(rows[0]) != 6 || rows[0][0] != "second" {
		return nil, fmt.Errorf("%s: not a BenchmarkLearnRate series (want the header second,R,requests,throttled,creates,client_rate)", path)
	}
	var out []sample
	for i, row := range rows[1:] {
		var v [6]float64
		for j, cell := range row {
			if v[j], err = strconv.ParseFloat(cell, 64); err != nil {
				return nil, fmt.Errorf("%s: line %d: %q is not a number", path, i+2, cell)
			}
		}
		out = append(out, sample{t: v[0], r: v[1], ok: v[2] - v[3], refused: v[3], client: v[5]})
	}
	return out, nil
}

const (
	width, height          = 900, 360
	left, right, top, base = 60, 20, 40, 50
)

// draw writes the SVG.
func draw(w io.Writer, title string, s []sample) error {
	tMax, yMax := 0.0, 1.0
	for _, p := range s {
		tMax = math.Max(tMax, p.t)
		yMax = math.Max(yMax, math.Max(p.r, math.Max(p.ok, p.client)))
	}
	yMax = math.Ceil(yMax*1.15/5) * 5
	x := func(t float64) float64 { return left + t/tMax*(width-left-right) }
	y := func(v float64) float64 { return height - base - v/yMax*(height-top-base) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="20" font-size="14">%s</text>`+"\n", left, escape(title))
	for i := 0; i <= 5; i++ { // horizontal grid and y labels
		v := yMax * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", left, width-right, y(v), y(v), left-6, y(v)+4, v)
	}
	for t := 0.0; t <= tMax; t += tickStep(tMax) { // x labels
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%g s</text>`+"\n", x(t), height-base+18, t)
	}
	for _, p := range s { // 429s per second
		if p.refused > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d62728"/>`+"\n", x(p.t-1), y(p.refused), math.Max(1, x(p.t)-x(p.t-1)-1), y(0)-y(p.refused))
		}
	}
	line(&b, s, x, y, func(p sample) float64 { return p.r }, "#000", "6,4")
	line(&b, s, x, y, func(p sample) float64 { return p.client }, "#2ca02c", "2,2")
	line(&b, s, x, y, func(p sample) float64 { return p.ok }, "#1f77b4", "")
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#000"/>`+"\n", left, width-right, y(0), y(0))
	legend := []struct{ color, dash, text string }{{"#000", "6,4", "R (server limit)"}, {"#1f77b4", "", "accepted requests/s"}, {"#2ca02c", "2,2", "client rate"}, {"#d62728", "", "429s/s"}}
	for i, l := range legend {
		lx := left + 10 + i*190
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3" stroke-dasharray="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, lx+24, height-12, height-12, l.color, l.dash, lx+30, height-8, l.text)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func line(b *strings.Builder, s []sample, x, y func(float64) float64, v func(sample) float64, color, dash string) {
	b.WriteString(`<polyline fill="none" stroke-width="1.5" stroke="` + color + `" stroke-dasharray="` + dash + `" points="`)
	for _, p := range s {
		fmt.Fprintf(b, "%.1f,%.1f ", x(p.t-0.5), y(v(p)))
	}
	b.WriteString("\"/>\n")
}

func tickStep(tMax float64) float64 {
	for _, s := range []float64{5, 10, 15, 30, 60} {
		if tMax/s <= 12 {
			return s
		}
	}
	return 120
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
