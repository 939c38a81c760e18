package models

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestParseQuery(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := backend.TimeRange{From: from, To: from.Add(time.Hour)}
	tests := []struct {
		name    string
		json    string
		tr      *backend.TimeRange
		maxDP   int64
		ival    time.Duration
		wantErr string
		check   func(t *testing.T, q *Query)
	}{
		{name: "our model", json: `{"target":"m","payload":{"a":1},"format":"table","alias":"{{a}}"}`, maxDP: 100, ival: time.Minute, check: func(t *testing.T, q *Query) {
			if q.Target != "m" || q.Payload["a"] != 1.0 || q.Format != FormatTable || q.Alias != "{{a}}" || q.MaxDataPoints != 100 || q.IntervalMs != 60000 {
				t.Errorf("%+v", q)
			}
		}},
		{name: "JSON datasource model, payload as string", json: `{"target":"m","payload":"{\"a\":\"x\"}","editorMode":"code"}`, check: func(t *testing.T, q *Query) {
			if q.Payload["a"] != "x" || q.Format != FormatTimeSeries {
				t.Errorf("%+v", q)
			}
		}},
		{name: "empty string payload", json: `{"target":"m","payload":""}`, check: func(t *testing.T, q *Query) {
			if q.Payload == nil || len(q.Payload) != 0 {
				t.Errorf("%+v", q.Payload)
			}
		}},
		{name: "SimpleJSON type", json: `{"target":"m","type":"table"}`, check: func(t *testing.T, q *Query) {
			if q.Format != FormatTable {
				t.Errorf("format %q", q.Format)
			}
		}},
		{name: "resolution derived when Grafana sends zeros", json: `{"target":"m"}`, check: func(t *testing.T, q *Query) {
			if q.MaxDataPoints != DefaultMaxDataPoints || q.IntervalMs != 3600 {
				t.Errorf("maxDataPoints %d intervalMs %d", q.MaxDataPoints, q.IntervalMs)
			}
		}},
		{name: "negative maxDataPoints", json: `{"target":"m"}`, maxDP: -5, ival: 10 * time.Second, check: func(t *testing.T, q *Query) {
			if q.MaxDataPoints != 360 || q.IntervalMs != 10000 {
				t.Errorf("maxDataPoints %d intervalMs %d", q.MaxDataPoints, q.IntervalMs)
			}
		}},
		{name: "ad hoc filters", json: `{"target":"m","adhocFilters":[{"key":"k","operator":"=","value":"v"}]}`, check: func(t *testing.T, q *Query) {
			r := q.ContractRequest()
			if len(r.Filters) != 1 || len(r.AdhocFilters) != 1 || r.Targets[0].Type != "timeserie" || r.Interval != "3600ms" {
				t.Errorf("%+v", r)
			}
		}},
		{name: "times go out with milliseconds", json: `{"target":"m"}`, check: func(t *testing.T, q *Query) {
			b, _ := json.Marshal(q.ContractRequest())
			want := `"range":{"from":"2026-01-01T00:00:00.000Z","to":"2026-01-01T01:00:00.000Z","raw":{"from":"2026-01-01T00:00:00.000Z","to":"2026-01-01T01:00:00.000Z"}},"rangeRaw":{"from":"2026-01-01T00:00:00.000Z","to":"2026-01-01T01:00:00.000Z"}`
			if !strings.Contains(string(b), want) {
				t.Errorf("body %s\nwant %s", b, want)
			}
		}},
		{name: "the dashboard's relative range", json: `{"target":"m","rangeRaw":{"from":"now-1h","to":"now"}}`, check: func(t *testing.T, q *Query) {
			r := q.ContractRequest()
			if r.RangeRaw.From != "now-1h" || r.RangeRaw.To != "now" || r.Range.Raw != r.RangeRaw || !r.Range.From.Equal(q.From) {
				t.Errorf("%+v", r)
			}
		}},
		{name: "a rangeRaw that is not two strings is ignored", json: `{"target":"m","rangeRaw":{"from":{"_isAMomentObject":true},"to":"now"}}`, check: func(t *testing.T, q *Query) {
			if q.RangeRaw.From != "2026-01-01T00:00:00.000Z" || q.RangeRaw.To != "2026-01-01T01:00:00.000Z" {
				t.Errorf("%+v", q.RangeRaw)
			}
		}},
		{name: "filters as the frontend sends them", json: `{"target":"m","adhocFilters":[{"key":"region","operator":"=~","value":"eu-.*","condition":"AND"},{"key":"service","operator":"!=","value":"search"}]}`, check: func(t *testing.T, q *Query) {
			b, _ := json.Marshal(q.ContractRequest())
			f := `[{"key":"region","operator":"=~","value":"eu-.*","condition":"AND"},{"key":"service","operator":"!=","value":"search"}]`
			if !strings.Contains(string(b), `"filters":`+f+`,"adhocFilters":`+f) {
				t.Errorf("body %s", b)
			}
		}},
		{name: "malformed JSON", json: `{"target":`, wantErr: "not valid JSON"},
		{name: "target missing", json: `{}`, wantErr: "no metric selected"},
		{name: "target not a string", json: `{"target":5}`, wantErr: "target must be a metric name"},
		{name: "payload a list", json: `{"target":"m","payload":[1]}`, wantErr: "payload must be a JSON object"},
		{name: "payload string not JSON", json: `{"target":"m","payload":"{oops"}`, wantErr: "payload is not valid JSON"},
		{name: "huge payload", json: `{"target":"m","payload":{"a":"` + strings.Repeat("x", MaxPayloadBytes) + `"}}`, wantErr: "limit"},
		{name: "unknown format", json: `{"target":"m","format":"logs"}`, wantErr: `format "logs"`},
		{name: "inverted range", json: `{"target":"m"}`, tr: &backend.TimeRange{From: tr.To, To: tr.From}, wantErr: "inverted"},
		{name: "no range", json: `{"target":"m"}`, tr: &backend.TimeRange{}, wantErr: "no time range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr
			if tt.tr != nil {
				r = *tt.tr
			}
			q, err := ParseQuery(backend.DataQuery{RefID: "A", JSON: json.RawMessage(tt.json), TimeRange: r, MaxDataPoints: tt.maxDP, Interval: tt.ival})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, q)
		})
	}
}

func TestFormatInterval(t *testing.T) {
	for ms, want := range map[int64]string{1: "1ms", 1500: "1500ms", 15000: "15s", 300000: "5m", 7200000: "2h", 172800000: "2d"} {
		if got := FormatInterval(ms); got != want {
			t.Errorf("FormatInterval(%d) = %q, want %q", ms, got, want)
		}
	}
}

// FuzzParseQuery: whatever a saved query holds, parsing returns a query or
// an error, never a panic, and a parsed query always has positive
// resolution.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`{"target":"m"}`, `{"target":"m","payload":"{\"a\":1}"}`, `{"target":"m","format":"table"}`, `{"payload":[]}`, `null`, `"x"`, `{"target":"m","type":"timeserie","adhocFilters":[{}]}`} {
		f.Add([]byte(s), int64(100), int64(1000))
	}
	from := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, raw []byte, maxDP, intervalMs int64) {
		q, err := ParseQuery(backend.DataQuery{JSON: raw, TimeRange: backend.TimeRange{From: from, To: from.Add(time.Hour)}, MaxDataPoints: maxDP, Interval: time.Duration(intervalMs) * time.Millisecond})
		if err != nil {
			return
		}
		if q.MaxDataPoints <= 0 || q.IntervalMs <= 0 || q.Target == "" || q.Payload == nil {
			t.Fatalf("invalid parsed query %+v", q)
		}
		if _, err := json.Marshal(q.ContractRequest()); err != nil {
			t.Fatalf("request does not encode: %v", err)
		}
	})
}
