package refserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func query(t testing.TB, s *Server, req contract.QueryRequest) []byte {
	body, _ := json.Marshal(req)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("POST", "/query", bytes.NewReader(body)))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	out, _ := io.ReadAll(w.Body)
	return out
}

// The data set is deterministic: the same query gives the same bytes, and
// respects maxDataPoints.
func TestQueryDeterministic(t *testing.T) {
	to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := contract.QueryRequest{Range: contract.Range{From: to.Add(-time.Hour), To: to}, IntervalMs: 60000, MaxDataPoints: 30,
		Targets: []contract.Target{{Target: "cpu_usage", Payload: map[string]any{"region": "eu-west"}}}}
	a, b := query(t, New(Options{}), req), query(t, New(Options{}), req)
	if !bytes.Equal(a, b) {
		t.Fatal("two identical queries gave different answers")
	}
	var series []contract.TimeSeries
	if err := json.Unmarshal(a, &series); err != nil {
		t.Fatal(err)
	}
	if len(series) != 3 {
		t.Fatalf("%d series, want 3 (one per service in eu-west)", len(series))
	}
	for _, s := range series {
		if len(s.Datapoints) != 30 || s.Tags["region"] != "eu-west" {
			t.Errorf("%s %v: %d points", s.Target, s.Tags, len(s.Datapoints))
		}
	}
}

// BenchmarkMillionPoints measures the server's share of the end-to-end
// million-point benchmark.
func BenchmarkMillionPoints(b *testing.B) {
	const per = 166_667
	to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := contract.QueryRequest{Range: contract.Range{From: to.Add(-per * time.Second), To: to}, IntervalMs: 1000, MaxDataPoints: per,
		Targets: []contract.Target{{Target: "cpu_usage"}}}
	s := New(Options{})
	for b.Loop() {
		query(b, s, req)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/answer")
}

// TestQueryStopsAtNow: the data set moves in real time. A range reaching
// past the server's clock gets the points up to it, on the same step as
// if the whole range existed, and a poll for the window since the last
// point gets the points that have come into being since.
func TestQueryStopsAtNow(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		clock    time.Time
		from, to time.Time
		want     []int64 // point times, ms after base
	}{
		{name: "range in the past", clock: base.Add(time.Hour), from: base, to: base.Add(5 * time.Second), want: []int64{0, 1000, 2000, 3000, 4000, 5000}},
		{name: "range past now", clock: base.Add(2500 * time.Millisecond), from: base, to: base.Add(time.Minute), want: []int64{0, 1000, 2000}},
		{name: "now on a point", clock: base.Add(2 * time.Second), from: base, to: base.Add(time.Minute), want: []int64{0, 1000, 2000}},
		{name: "later poll of the window since the last point", clock: base.Add(4200 * time.Millisecond), from: base.Add(2001 * time.Millisecond), to: base.Add(time.Minute), want: []int64{3000, 4000}},
		{name: "range wholly in the future", clock: base, from: base.Add(time.Second), to: base.Add(time.Minute), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Now: func() time.Time { return tt.clock }})
			req := contract.QueryRequest{Range: contract.Range{From: tt.from, To: tt.to}, IntervalMs: 1000, MaxDataPoints: 1000,
				Targets: []contract.Target{{Target: "cpu_usage", Payload: map[string]any{"service": "search", "region": "eu-west"}}}}
			var series []contract.TimeSeries
			if err := json.Unmarshal(query(t, s, req), &series); err != nil {
				t.Fatal(err)
			}
			if len(series) != 1 {
				t.Fatalf("%d series, want 1", len(series))
			}
			var got []int64
			for _, p := range series[0].Datapoints {
				ms, _ := p[1].(float64)
				got = append(got, int64(ms)-base.UnixMilli())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("points at %v ms, want %v", got, tt.want)
			}
		})
	}
}
