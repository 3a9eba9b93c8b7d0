package mapping

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDotNetFormats(t *testing.T) {
	tm := time.Date(2021, 3, 5, 14, 7, 9, 123_456_700, time.UTC)
	for _, tt := range []struct{ format, want string }{
		{"yyyy-MM-dd", "2021-03-05"},
		{"M/d/yy h:m:s tt", "3/5/21 2:7:9 PM"},
		{"dd MMM yyyy HH:mm:ss.fff", "05 Mar 2021 14:07:09.123"},
		{"dddd, MMMM d", "Friday, March 5"},
		{"ddd hh t", "Fri 02 P"},
		{"yyyyMMddHHmmss.fffffffK", "20210305140709.1234567Z"},
		{"HH:mm:ss.FFF", "14:07:09.123"},
		{"'Q'yyyy \\T HH zzz", "Q2021 T 14 +00:00"},
		{"s", "2021-03-05T14:07:09"},
		{"u", "2021-03-05 14:07:09Z"},
		{"%d", "5"},
		{"yyyyy gg", "02021 A.D."},
	} {
		got, err := formatDotNet(tm, tt.format)
		if err != nil || got != tt.want {
			t.Errorf("format %q = %q, %v; want %q", tt.format, got, err, tt.want)
		}
	}
	noFrac, _ := formatDotNet(time.Date(2021, 3, 5, 1, 2, 3, 0, time.UTC), "HH:mm:ss.FFF")
	if noFrac != "01:02:03" {
		t.Errorf("F with zero fraction = %q", noFrac)
	}
	for _, tt := range []struct{ in, format, want string }{
		{"2021-03-05", "yyyy-MM-dd", "2021-03-05T00:00:00Z"},
		{"  3/5/2021 2:07:09 PM ", "M/d/yyyy h:mm:ss tt", "2021-03-05T14:07:09Z"},
		{"12/31/2021 12:00:00 AM", "MM/dd/yyyy hh:mm:ss tt", "2021-12-31T00:00:00Z"},
		{"20210305140709", "yyyyMMddHHmmss", "2021-03-05T14:07:09Z"},
		{"2020-12-31-08:00", "yyyy-MM-ddzzz", "2020-12-31T08:00:00Z"},
		{"2020-12-31T23:00:00+01:00", "yyyy-MM-ddTHH:mm:ssK", "2020-12-31T22:00:00Z"},
		{"2020-12-31T23:00:00Z", "yyyy-MM-ddTHH:mm:ssK", "2020-12-31T23:00:00Z"},
		{"05 Mar 21", "dd MMM yy", "2021-03-05T00:00:00Z"},
		{"Friday, March 5, 1999", "dddd, MMMM d, yyyy", "1999-03-05T00:00:00Z"},
		{"20150123105347.1Z", "yyyyMMddHHmmss.fZ", "2015-01-23T10:53:47.1Z"},
		{"14:07:09.5", "HH:mm:ss.FFF", "0001-01-01T14:07:09.5Z"},
	} {
		got, err := parseDotNet(tt.in, tt.format)
		if err != nil || got.Format(time.RFC3339Nano) != tt.want {
			t.Errorf("parse %q with %q = %v, %v; want %s", tt.in, tt.format, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, format string }{
		{"2021-02-30", "yyyy-MM-dd"},
		{"2021-03-05x", "yyyy-MM-dd"},
		{"13/5/2021", "M/d/yyyy"},
		{"3/5/2021 13:00 PM", "M/d/yyyy h:mm tt"},
		{"2021-03-05", "yyyy/MM/dd"},
		{"2021", "'unterminated"},
		{"2021", "yyyy\\"},
		{"2021", "ffffffff"},
		{"Xyz 2021", "MMM yyyy"},
	} {
		if _, err := parseDotNet(tt.in, tt.format); err == nil {
			t.Errorf("parse %q with %q succeeded", tt.in, tt.format)
		}
	}
}

func TestValueAccessors(t *testing.T) {
	tm := time.Date(2020, 3, 16, 7, 0, 0, 0, time.UTC)
	if got, ok := timeValue(tm).asTime(); !ok || !got.Equal(tm) {
		t.Errorf("Time() = %v %v", got, ok)
	}
	if _, ok := stringValue("x").asTime(); ok {
		t.Error("string has a Time")
	}
	if i, ok := stringValue("&H10").asInt(); !ok || i != 16 {
		t.Errorf("Int(&H10) = %d %v", i, ok)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("mapped", "value", stringValue("secret").withRedacted(true), "plain", stringValue("ok"))
	if s := buf.String(); strings.Contains(s, "secret") || !strings.Contains(s, "value=[Redact]") || !strings.Contains(s, "plain=ok") {
		t.Errorf("slog output %q", s)
	}
	for k := KindNull; k <= KindMulti+1; k++ {
		if k.String() == "" {
			t.Errorf("kind %d has no name", k)
		}
	}
}

func TestExpressionText(t *testing.T) {
	if s := mustParseExpression(`Not([IsSoftDeleted])`).String(); s != `Not([IsSoftDeleted])` {
		t.Errorf("String = %s", s)
	}
	v, err := mustParseExpression(`ToUpper(Split("a,b", ","))`).Evaluate(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A", "B"}, v.Strings()); diff != "" {
		t.Errorf("multi-valued ToUpper: %s", diff)
	}
	paths := DruvaDefault().updatePaths()
	if len(paths) != 9 || paths[1] != "active" {
		t.Errorf("updatePaths = %v", paths)
	}
}
