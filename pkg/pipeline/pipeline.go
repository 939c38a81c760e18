// Package pipeline is the one path a query takes to the in-house service
// and back: /query for panels and alert rules, /variable (or /search) for
// template variables, /query or /annotations for annotations. It encodes the request, answers it from the cache or shares it
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
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/telemetry"
)

// Pipeline runs queries against one data source instance: one version of
// its settings and its client.
type Pipeline struct {
	client   *client.Client
	settings *models.Settings
	inflight flights
	cache    *cache.Cache[*Result] // nil when the cache is off
	metrics  *telemetry.Metrics
	// decode reads an answer; tests replace it to inject faults.
	decode func(context.Context, io.Reader, int) (*frames.Answer, error)
}

// New builds the pipeline of one instance, counting its cache lookups and
// shared calls on metrics (nil: not counted).
func New(settings *models.Settings, c *client.Client, metrics *telemetry.Metrics) *Pipeline {
	p := &Pipeline{client: c, settings: settings, metrics: metrics, inflight: flights{joined: metrics.Coalesced}}
	p.decode = func(ctx context.Context, r io.Reader, sizeHint int) (*frames.Answer, error) {
		// The decoder scrubs only the head it quotes from a body that is
		// not JSON, which the body may go on past.
		window := settings.ScrubWindowFor(ctx)
		scrub := func(head string) string { return window(head, false) }
		return frames.DecodeWith(r, sizeHint, frames.DecodeOptions{Scrub: scrub, Limits: frames.Limits{
			Series: settings.Limits.Series, Points: settings.Limits.Points, Cells: settings.Limits.Cells,
		}})
	}
	if settings.CacheTTL > 0 {
		p.cache = cache.New[*Result](settings.CacheTTL, settings.CacheMaxBytes)
	}
	return p
}

// Value is a decoded answer: the /query answer (*frames.Answer) or a
// smaller one (variable options, annotation events). The pipeline scrubs
// it once, before it is shared, and counts it against the cache's budget.
type Value interface {
	Redact(scrub func(string) string)
	SizeBytes() int64
}

// Result is a decoded, redacted answer and the request that produced it.
// Identical queries and the cache share one Result, so it is read-only:
// each caller builds its own frames from it.
type Result struct {
	// Answer is the /query answer, for Query; nil for other calls.
	Answer *frames.Answer
	// Value is what the call's decoder returned (Answer too, for Query).
	Value Value
	Sent  Sent
}

// Call is one contract call the pipeline runs: a path, a body it encodes,
// and the decoder of the answer.
type Call struct {
	Path string
	Body any
	// Kind names the decoder. The same path and body read by another
	// decoder (a /query answer read as annotation events, not series)
	// is another answer, so Kind is part of the cache and sharing key.
	Kind   string
	Decode func(io.Reader) (Value, error)
	// Uncached calls neither read nor fill the cache: a live stream's
	// window is asked for once, and keeping it would only push out
	// answers that dashboards ask for again.
	Uncached bool
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
// A 404 is explained when the service answers everything but /query.
func (p *Pipeline) Query(ctx context.Context, q *models.Query, skipCache bool) (*Result, error) {
	res, err := p.Run(ctx, p.queryCall(ctx, q, false), skipCache)
	return res, p.client.ExplainNotFound(ctx, err)
}

// Poll runs one window of a live stream: the query's call, uncached,
// within the live polls' share of the calls in flight (client.LivePoll),
// so streams against a slow service cannot starve dashboards.
func (p *Pipeline) Poll(ctx context.Context, q *models.Query) (*Result, error) {
	ctx = client.LivePoll(ctx)
	res, err := p.Run(ctx, p.queryCall(ctx, q, true), true)
	return res, p.client.ExplainNotFound(ctx, err)
}

func (p *Pipeline) queryCall(ctx context.Context, q *models.Query, uncached bool) Call {
	sizeHint := int(q.MaxDataPoints)
	return Call{Path: contract.PathQuery, Body: q.ContractRequest(), Kind: "frames", Uncached: uncached,
		Decode: func(r io.Reader) (Value, error) { return p.decode(ctx, r, sizeHint) }}
}

// Run runs one call: encode, answer from the cache or share the call in
// flight, call, decode, redact, keep.
//
// Identical calls share one upstream call and one cached answer: same
// instance, kind, path, body and identity. With forwarding on, the
// service may answer each user differently, so the key holds a hash of
// what of the user reaches it (token, ID token, kept cookies, login) and
// whether an alert rule asks: a user's answer never serves another user
// or an alert rule. The hash, not the token, so a key printed or dumped
// shows no secret.
func (p *Pipeline) Run(ctx context.Context, c Call, skipCache bool) (*Result, error) {
	body, err := json.Marshal(c.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the request to %s: %w", c.Path, err)
	}
	key := models.IdentityFrom(ctx).Key() + " " + c.Kind + " " + c.Path + "\n" + string(body)
	if p.cache != nil && !skipCache && !c.Uncached {
		res, ok := p.cache.Get(key)
		p.metrics.CacheLookup(ok)
		if ok {
			return res, nil
		}
	}
	return p.inflight.do(ctx, key, p.settings.Timeout, func(ctx context.Context) (*Result, error) {
		return p.call(ctx, c, key, body)
	})
}

// call is the one upstream exchange behind a key: call, decode, redact,
// keep. It runs on a goroutine of its own, shared by every waiter, where
// the SDK's per-query recover cannot reach: a panic here would end the
// plugin process, so it becomes this call's error instead.
func (p *Pipeline) call(ctx context.Context, c Call, key string, body []byte) (res *Result, err error) {
	scrub := p.settings.ScrubFor(ctx)
	defer func() {
		if r := recover(); r != nil {
			msg := scrub(fmt.Sprint(r))
			backend.Logger.Error("panic in the shared call to the service", "panic", msg, "stack", string(debug.Stack()))
			res, err = nil, fmt.Errorf("the plugin failed while reading the service's answer (%s); this is a bug in the plugin, please report it", msg)
		}
	}()
	var v Value
	called, err := p.client.Post(ctx, c.Path, body, func(r io.Reader) error {
		var derr error
		v, derr = c.Decode(r)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if p.settings.HasSecrets(ctx) {
		// The flight's context carries the first caller's identity, which
		// every sharer has: the key holds it.
		v.Redact(scrub)
	}
	res = &Result{Value: v, Sent: Sent{Method: "POST", URL: called, Body: body}}
	res.Answer, _ = v.(*frames.Answer)
	if p.cache != nil && !c.Uncached {
		// The cache counts its key; the Result holds the body once more.
		p.cache.Put(key, res, v.SizeBytes()+int64(len(body)))
	}
	return res, nil
}
