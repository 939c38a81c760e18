package live

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

func TestPath(t *testing.T) {
	base := models.Query{RefID: "A", Target: "cpu", Payload: map[string]any{"region": "eu", "service": []any{"a", "b"}}, IntervalMs: 1000,
		From: t0.Add(-time.Hour), To: t0}
	same := base
	same.Payload = map[string]any{"service": []any{"a", "b"}, "region": "eu"} // same payload, other map
	same.From, same.To = t0.Add(-24*time.Hour), t0.Add(time.Minute)           // the range is not part of a channel
	long := base
	long.Payload = map[string]any{"big": strings.Repeat("x", models.MaxPayloadBytes-100)}
	p := Path("ds1", &base)
	if Path("ds1", &same) != p {
		t.Error("the same query over another range got another channel")
	}
	if len(Channel(strings.Repeat("u", 40), Path("ds1", &long))) > 160 {
		t.Error("a long payload made a channel name longer than Grafana's 160 characters")
	}
	for name, change := range map[string]func(*models.Query){
		"target":   func(q *models.Query) { q.Target = "mem" },
		"payload":  func(q *models.Query) { q.Payload = map[string]any{"region": "us"} },
		"alias":    func(q *models.Query) { q.Alias = "{{region}}" },
		"interval": func(q *models.Query) { q.IntervalMs = 2000 },
		"refId":    func(q *models.Query) { q.RefID = "B" },
		"format":   func(q *models.Query) { q.Format = models.FormatTable },
	} {
		q := base
		change(&q)
		if Path("ds1", &q) == p {
			t.Errorf("another %s kept the channel", name)
		}
	}
	if Path("ds2", &base) == p {
		t.Error("another data source kept the channel")
	}
	if !pathPattern.MatchString(p) {
		t.Errorf("path %q is not one Lookup accepts", p)
	}
}

func TestLookup(t *testing.T) {
	r := NewRegistry(10)
	q := &models.Query{Target: "cpu"}
	p := Path("ds1", q)
	r.Register("ds1", p, q, NewLayout(""), t0)
	tests := []struct {
		name, ds, path string
		want           error
	}{
		{"registered", "ds1", p, nil},
		{"another data source's channel", "ds2", p, ErrUnknownPath},
		{"never registered", "ds1", "live/AAAAAAAAAAAAAAAAAAAAAA", ErrUnknownPath},
		{"not ours", "ds1", "tail/xyz", ErrMalformedPath},
		{"too long", "ds1", p + "x", ErrMalformedPath},
		{"empty", "ds1", "", ErrMalformedPath},
		{"path traversal", "ds1", "live/../../etc/passwd", ErrMalformedPath},
	}
	for _, tt := range tests {
		_, err := r.Lookup(tt.ds, tt.path)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Lookup = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// The registry stays within its bound, forgetting the channel seen
// longest ago and never one a stream serves.
func TestRegistryBound(t *testing.T) {
	r := NewRegistry(3)
	paths := make([]string, 5)
	for i := range paths {
		q := &models.Query{Target: "m", IntervalMs: int64(i + 1)}
		paths[i] = Path("ds", q)
		e := r.Register("ds", paths[i], q, NewLayout(""), t0)
		if i == 0 {
			e.running = 1 // a stream serves the first
		}
		time.Sleep(time.Millisecond)
	}
	if r.Len() != 3 {
		t.Fatalf("%d channels held, want 3", r.Len())
	}
	for i, want := range []bool{true, false, false, true, true} {
		if _, err := r.Lookup("ds", paths[i]); (err == nil) != want {
			t.Errorf("channel %d held = %v, want %v", i, err == nil, want)
		}
	}
}
