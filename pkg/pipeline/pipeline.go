// Package pipeline is the one path a query takes to the in-house service
// and back. It encodes the request, answers it from the cache or shares it
// with an identical call already in flight, calls the service, decodes and
// redacts the answer, and reports the request exactly as it was sent.
// Every feature that reads /query (panels, alert rules, streams) goes
// through it, so none of them can skip a step or send something the query
// inspector does not show.
package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/cache"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// Pipeline runs queries against one data source instance: one version of
// its settings and its client.
type Pipeline struct {
	client   *client.Client
	settings *models.Settings
	inflight flights
	cache    *cache.Cache[*Result] // nil when the cache is off
	// decode reads an answer; tests replace it to inject faults.
	decode func(io.Reader, int) (*frames.Answer, error)
}

// New builds the pipeline of one instance.
func New(settings *models.Settings, c *client.Client) *Pipeline {
	p := &Pipeline{client: c, settings: settings, decode: frames.Decode}
	if settings.CacheTTL > 0 {
		p.cache = cache.New[*Result](settings.CacheTTL, settings.CacheMaxBytes)
	}
	return p
}

// Result is a decoded, redacted answer and the request that produced it.
// Identical queries and the cache share one Result, so it is read-only:
// each caller builds its own frames from it.
type Result struct {
	Answer *frames.Answer
	Sent   Sent
}

// Sent is one request as it left for the service.
type Sent struct {
	Method string
	// URL is the URL the client called, without user info (credentials
	// travel in headers, and the inspector is visible to viewers).
	URL  string
	Body []byte
}

// String is what the query inspector shows: the call and its body, which
// holds no secret.
func (s Sent) String() string {
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, s.Body, "", "  "); err != nil {
		pretty.Write(s.Body)
	}
	return fmt.Sprintf("%s %s\n%s", s.Method, s.URL, pretty.Bytes())
}

// Query runs one validated query. skipCache asks for a fresh answer (alert
// rules send X-Cache-Skip); the fresh answer still refreshes the cache.
//
// Identical queries share one upstream call: same instance, same body.
// The body is the whole key because the plugin forwards no per-user
// header, so two users asking the same query get the same answer.
func (p *Pipeline) Query(ctx context.Context, q *models.Query, skipCache bool) (*Result, error) {
	body, err := json.Marshal(q.ContractRequest())
	if err != nil {
		return nil, fmt.Errorf("cannot encode the query: %w", err)
	}
	key := string(body)
	if p.cache != nil && !skipCache {
		if res, ok := p.cache.Get(key); ok {
			return res, nil
		}
	}
	sizeHint := int(q.MaxDataPoints)
	return p.inflight.do(ctx, key, p.settings.Timeout, func(ctx context.Context) (*Result, error) {
		return p.call(ctx, body, sizeHint)
	})
}

// call is the one upstream exchange behind a key: call, decode, redact,
// keep. It runs on a goroutine of its own, shared by every waiter, where
// the SDK's per-query recover cannot reach: a panic here would end the
// plugin process, so it becomes this call's error instead.
func (p *Pipeline) call(ctx context.Context, body []byte, sizeHint int) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := p.settings.Scrub(fmt.Sprint(r))
			backend.Logger.Error("panic in the shared call to the service", "panic", msg, "stack", string(debug.Stack()))
			res, err = nil, fmt.Errorf("the plugin failed while reading the service's answer (%s); this is a bug in the plugin, please report it", msg)
		}
	}()
	var answer *frames.Answer
	called, err := p.client.Query(ctx, body, func(r io.Reader) error {
		var derr error
		answer, derr = p.decode(r, sizeHint)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if len(p.settings.Secrets) > 0 {
		answer.Redact(p.settings.Scrub)
	}
	res = &Result{Answer: answer, Sent: Sent{Method: "POST", URL: called, Body: body}}
	if p.cache != nil {
		// The cache counts its key; the Result holds the body once more.
		p.cache.Put(string(body), res, answer.SizeBytes()+int64(len(body)))
	}
	return res, nil
}
