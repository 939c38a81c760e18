package refserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
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
