package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// MiddlewareName names the upstream middleware among the HTTP client's.
const MiddlewareName = "inhouse-telemetry"

// Scrub removes every secret the request may carry from a text (the
// data source's and the request's user's, models.Settings.ScrubFor).
type Scrub func(ctx context.Context, text string) string

// Middlewares are the SDK's default HTTP client middlewares with its
// tracing middleware replaced by m's Middleware. The SDK's records the
// request's whole URL on the span, user info and query string included,
// where a data source may keep a password or a token; this one records
// the host and the contract endpoint only.
func (m *Metrics) Middlewares(scrub Scrub) []httpclient.Middleware {
	var out []httpclient.Middleware
	for _, mw := range httpclient.DefaultMiddlewares() {
		if named, ok := mw.(httpclient.MiddlewareName); ok && named.MiddlewareName() == httpclient.TracingMiddlewareName {
			mw = m.Middleware(scrub)
		}
		out = append(out, mw)
	}
	return out
}

// Middleware observes every attempt of every call to the service: a
// client span, the trace context sent as W3C traceparent (the SDK's
// propagator), the duration and answer bytes by endpoint and status
// class, and a log line carrying the request's trace and data source.
// Nothing it records holds a URL's path beyond the endpoint, its query,
// its user info or a header: the log's error text is scrubbed.
func (m *Metrics) Middleware(scrub Scrub) httpclient.Middleware {
	return httpclient.NamedMiddlewareFunc(MiddlewareName, func(_ httpclient.Options, next http.RoundTripper) http.RoundTripper {
		return httpclient.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			endpoint := endpointOf(req)
			ctx, span := tracing.DefaultTracer().Start(req.Context(), "inhouse-metrics "+req.Method+" "+endpoint,
				trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
					attribute.String("http.request.method", req.Method),
					attribute.String("server.address", req.URL.Host),
					attribute.String("inhouse_metrics.endpoint", endpoint),
				))
			// A round tripper must not change its caller's request.
			req = req.Clone(ctx)
			otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
			start := time.Now()
			res, err := next.RoundTrip(req)
			lg := log.DefaultLogger.FromContext(ctx)
			if err != nil {
				took := time.Since(start)
				msg := scrub(ctx, err.Error())
				m.observe(endpoint, "error", took, 0)
				span.SetStatus(codes.Error, msg)
				span.End()
				args := []any{"endpoint", endpoint, "duration", took.String(), "error", msg}
				if errors.Is(err, context.Canceled) {
					// Every caller left (a closed dashboard, a stream's last
					// viewer): routine, not a fault of the service.
					lg.Debug("the call to the in-house service was canceled", args...)
				} else {
					lg.Warn("the call to the in-house service failed", args...)
				}
				return nil, err
			}
			class := statusClass(res.StatusCode)
			span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
			if res.StatusCode >= 400 {
				span.SetStatus(codes.Error, "HTTP "+strconv.Itoa(res.StatusCode))
			}
			res.Body = &observedBody{ReadCloser: res.Body, done: func(n int64) {
				took := time.Since(start)
				m.observe(endpoint, class, took, n)
				span.SetAttributes(attribute.Int64("http.response.body.size", n))
				span.End()
				args := []any{"endpoint", endpoint, "status", res.StatusCode, "duration", took.String(), "bytes", n}
				if res.StatusCode >= 500 {
					lg.Warn("the in-house service answered with an error", args...)
					return
				}
				lg.Debug("the in-house service answered", args...)
			}}
			return res, nil
		})
	})
}

func (m *Metrics) observe(endpoint, class string, took time.Duration, n int64) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(endpoint, class).Observe(took.Seconds())
	m.bytes.WithLabelValues(endpoint).Add(float64(n))
}

// endpoints are the contract's calls, the only endpoint label values
// besides "health" and "other".
var endpoints = []string{
	contract.PathQuery, contract.PathMetrics, contract.PathSearch, contract.PathMetricPayloadOptions,
	contract.PathOptions, contract.PathVariable, contract.PathTagKeys, contract.PathTagValues, contract.PathAnnotations,
}

// endpointOf names a request by the contract call it makes, read from
// the end of its path (the client appends the call's path to the base
// URL's): a bounded label, whatever base URL the data source has. The
// client's only GET is the health check, on the base URL itself; a
// request to anything else (a redirect's target) is "other".
func endpointOf(req *http.Request) string {
	if req.Method == http.MethodGet {
		return "health"
	}
	for _, p := range endpoints {
		if strings.HasSuffix(req.URL.Path, p) {
			return p
		}
	}
	return "other"
}

func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "error"
	}
	return strconv.Itoa(code/100) + "xx"
}

// observedBody counts the bytes read from an answer and reports them
// once, when the body is closed: the client closes every answer it gets.
type observedBody struct {
	io.ReadCloser
	n    int64
	once sync.Once
	done func(n int64)
}

func (b *observedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *observedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.done(b.n) })
	return err
}
