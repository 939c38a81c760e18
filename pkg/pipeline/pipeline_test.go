package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

func newPipeline(t *testing.T, url, jsonData string, secure map[string]string) *Pipeline {
	t.Helper()
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{URL: url, JSONData: json.RawMessage(jsonData), DecryptedSecureJSONData: secure})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(s, httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return New(s, c, nil)
}

func parse(t *testing.T, model string) *models.Query {
	t.Helper()
	to := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	q, err := models.ParseQuery(backend.DataQuery{RefID: "A", JSON: json.RawMessage(model),
		TimeRange: backend.TimeRange{From: to.Add(-time.Hour), To: to}, MaxDataPoints: 60})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// One pass does every step: the body sent is the body reported, the
// answer is decoded and scrubbed of secrets the service echoed, and the
// cache serves the same Result until a caller asks for a fresh one.
func TestQuery(t *testing.T) {
	var calls atomic.Int64
	var sent []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		sent, _ = io.ReadAll(r.Body)
		// A service that echoes the request's Authorization header.
		_, _ = io.WriteString(w, `[{"target":"up `+r.Header.Get("Authorization")+`","datapoints":[[1,1764000000000]]}]`)
	}))
	defer srv.Close()
	p := newPipeline(t, srv.URL+"/api/?tenant=x", `{"cacheTTLSeconds": 60}`, map[string]string{"apiKey": "k3y-value"})
	q := parse(t, `{"target":"up"}`)

	res, err := p.Query(context.Background(), q, false)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Sent.Body) != string(sent) || res.Sent.URL != srv.URL+"/api/query?tenant=[redacted]" || res.Sent.Method != http.MethodPost {
		t.Errorf("reported %s %s %s, the service received %s", res.Sent.Method, res.Sent.URL, res.Sent.Body, sent)
	}
	if got := res.Answer.Series[0].Name; got != "up Bearer [redacted]" {
		t.Errorf("series name %q: the echoed key was not scrubbed", got)
	}
	if !strings.HasPrefix(res.Sent.String(), "POST "+srv.URL+"/api/query?tenant=[redacted]\n{\n  \"range\"") {
		t.Errorf("inspector text %q", res.Sent.String())
	}

	again, err := p.Query(context.Background(), q, false)
	if err != nil || again != res || calls.Load() != 1 {
		t.Errorf("a repeated query was not served from the cache: %d calls, same result %v, %v", calls.Load(), again == res, err)
	}
	fresh, err := p.Query(context.Background(), q, true)
	if err != nil || fresh == res || calls.Load() != 2 {
		t.Errorf("skipCache did not call the service: %d calls, %v", calls.Load(), err)
	}
}

func TestQueryErrorsKeepTheirSource(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"not":"a list"}`)
	}))
	defer srv.Close()
	_, err := newPipeline(t, srv.URL, `{}`, nil).Query(context.Background(), parse(t, `{"target":"up"}`), false)
	var ce *client.Error
	if err == nil || !strings.Contains(err.Error(), "does not follow the in-house metrics contract") || !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a client.Error saying the answer is not the contract", err, err)
	}
}

// An answer over the decoder's limits is reported as too large, not as
// one that breaks the contract.
func TestAnswerOverTheLimitIsTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"target":"a","datapoints":[[1,1000],[2,2000],[3,3000]]}]`)
	}))
	defer srv.Close()
	p := newPipeline(t, srv.URL, `{}`, nil)
	p.decode = func(_ context.Context, r io.Reader, hint int) (*frames.Answer, error) {
		return frames.DecodeWith(r, hint, frames.DecodeOptions{Limits: frames.Limits{Points: contract.Limit{Max: 2}}})
	}
	_, err := p.Query(context.Background(), parse(t, `{"target":"a"}`), false)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Kind != client.KindTooLarge || strings.Contains(err.Error(), "contract") || !strings.Contains(err.Error(), "more than 2 points") {
		t.Errorf("error %v", err)
	}
}
