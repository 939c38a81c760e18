// Package client speaks HTTP to the in-house metrics service: URLs,
// headers, credentials, redirects, size and time limits per call, retries,
// and turning failures into errors an operator can act on. It knows
// nothing of which call to make or what an answer means: pkg/pipeline
// decides that (dialect fallbacks, decoding, scrubbing answers, sharing,
// the bound on calls in flight) and is the only package that calls it.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
)

// Client calls one in-house metrics service. It is safe for concurrent use
// and keeps connections alive until Close.
type Client struct {
	base   *url.URL
	http   *http.Client
	apiKey string
	// basic is Grafana's basic auth, applied here rather than by the
	// SDK's middleware so that a forwarded user token can replace it.
	basic *httpclient.BasicAuthOptions
	// customHeaders tells whether the data source sends custom headers,
	// which may carry a credential.
	customHeaders bool
	maxBytes      int64
	timeout       time.Duration
	settings      *models.Settings
	// transport is the innermost transport: the SDK wraps it in
	// middlewares that do not pass CloseIdleConnections on.
	transport *http.Transport
	// acquire takes one of the calls the plugin may have in flight, from
	// the request until its answer's body is closed; nil is no bound.
	acquire func(context.Context) (release func(), err error)
	// backoff is the wait before each retry; its length is the number of
	// retries. Tests shorten it.
	backoff []time.Duration
}

// New builds a client from validated settings and the SDK's HTTP options
// (auth, headers, TLS) for the same data source. acquire, if not nil, is
// called before each request is sent (retries included) and its release
// when the answer's body is closed: the caller's bound on calls in flight.
func New(s *models.Settings, opts httpclient.Options, acquire func(context.Context) (func(), error)) (*Client, error) {
	c := &Client{
		acquire:  acquire,
		base:     s.URL,
		apiKey:   s.APIKey,
		maxBytes: s.MaxResponseBytes,
		timeout:  s.Timeout,
		settings: s,
		backoff:  []time.Duration{100 * time.Millisecond, 400 * time.Millisecond},
	}
	if opts.Timeouts == nil {
		t := httpclient.DefaultTimeoutOptions
		opts.Timeouts = &t
	}
	// The whole exchange, body included, is bounded: a body that drips
	// slowly is cut at the same deadline as a server that never answers.
	opts.Timeouts.Timeout = s.Timeout
	c.basic, opts.BasicAuth = opts.BasicAuth, nil
	c.customHeaders = len(opts.Header) > 0
	// The SDK would forward every header Grafana passed, on resource calls
	// every header of the browser, with two values where Grafana and the
	// browser both set one. The client sends the user's identity itself,
	// by name, one value each (identity.Identity.Apply).
	opts.ForwardHTTPHeaders = false
	opts.ConfigureTransport = func(_ httpclient.Options, t *http.Transport) {
		c.transport = t
	}
	// Innermost, so it sees the request after the SDK's middlewares have
	// added basic auth and custom headers.
	if opts.Middlewares == nil {
		opts.Middlewares = httpclient.DefaultMiddlewares()
	}
	opts.Middlewares = append(opts.Middlewares, c.credentialGuard())
	opts.ConfigureClient = func(_ httpclient.Options, hc *http.Client) {
		hc.CheckRedirect = c.checkRedirect
	}
	hc, err := httpclient.New(opts)
	if err != nil {
		return nil, fmt.Errorf("cannot build the HTTP client: %s", c.settings.Scrub(err.Error()))
	}
	c.http = hc
	return c, nil
}

// SetBackoff replaces the retry waits (tests use short ones).
func (c *Client) SetBackoff(b []time.Duration) { c.backoff = b }

// Close releases idle connections; the instance that owns the client is
// going away.
func (c *Client) Close() {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	c.http.CloseIdleConnections()
}

// BaseURL is the configured URL without credentials or query, for messages.
func (c *Client) BaseURL() string { return secrets.RedactURL(c.base.String()) }

// checkRedirect bounds redirect chains; which hosts a redirect may reach
// is the credential guard's decision, made where every request passes.
func (c *Client) checkRedirect(_ *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("the service redirected more than 10 times; check the URL")
	}
	return nil
}

func (c *Client) sameHost(u *url.URL) bool { return strings.EqualFold(u.Host, c.base.Host) }

// allowedHost matches an allowed-hosts entry as host:port or as host
// alone; an IPv6 entry may be written with or without its brackets.
func (c *Client) allowedHost(u *url.URL) bool {
	host, name := strings.ToLower(u.Host), strings.ToLower(u.Hostname())
	for _, h := range c.settings.AllowedHosts {
		if h == host || h == name || strings.Trim(h, "[]") == name {
			return true
		}
	}
	return false
}

// credentialGuard refuses a request that would leave TLS, strips every
// credential from a request to another host (an allowed redirect), and
// refuses any other host outright.
func (c *Client) credentialGuard() httpclient.Middleware {
	return httpclient.NamedMiddlewareFunc("inhouse-credential-guard", func(opts httpclient.Options, next http.RoundTripper) http.RoundTripper {
		return httpclient.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			if c.base.Scheme == "https" && req.URL.Scheme == "http" {
				// Even on the same host, or an allowed one: the API key,
				// basic auth and custom headers would travel in clear text.
				return nil, &errDowngrade{from: c.BaseURL(), to: secrets.RedactURL(req.URL.String())}
			}
			if c.sameHost(req.URL) {
				return next.RoundTrip(req)
			}
			req = req.Clone(req.Context())
			if !c.allowedHost(req.URL) {
				return nil, &errRedirect{from: c.base.Host, to: req.URL.Host}
			}
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
			req.Header.Del("X-Id-Token")
			req.Header.Del(identity.UserHeader)
			for name := range opts.Header {
				req.Header.Del(name)
			}
			return next.RoundTrip(req)
		})
	})
}

// Base is the configured URL, with its credentials and query string:
// the one to call. Messages use BaseURL.
func (c *Client) Base() *url.URL { u := *c.base; return &u }

// Get sends GET to u and discards the answer; any 2xx passes.
func (c *Client) Get(ctx context.Context, u *url.URL) error {
	res, err := c.do(ctx, http.MethodGet, u.String(), "GET "+secrets.RedactURL(u.String()), nil)
	if err != nil {
		return err
	}
	drainAndClose(res.Body)
	return nil
}

// Query sends one POST /query with body, an encoded
// contract.QueryRequest, and hands the answer's body to decode; see Post.
func (c *Client) Query(ctx context.Context, body []byte, decode func(io.Reader) error) (string, error) {
	return c.Post(ctx, contract.PathQuery, body, decode)
}

// Post sends one contract call with an encoded body and hands the
// answer's body to decode, which reads it as a stream, bounded by the
// size limit. It returns the URL it called, for the query inspector.
// Errors while reading (size limit, timeout, reset) are reported as such;
// anything else decode returns means the answer is not the contract.
func (c *Client) Post(ctx context.Context, path string, body []byte, decode func(io.Reader) error) (string, error) {
	op := "POST " + path
	target := c.endpoint(path)
	called := secrets.RedactURL(target.String())
	res, err := c.do(ctx, http.MethodPost, target.String(), op, body)
	if err != nil {
		return called, err
	}
	limited := &limitedBody{r: res.Body, left: c.maxBytes, limit: c.maxBytes}
	defer drainAndClose(res.Body)
	if err := decode(limited); err != nil {
		if limited.err != nil {
			return called, c.classify(ctx, op, limited.err)
		}
		return called, c.decodeError(ctx, op, err)
	}
	return called, nil
}

// overLimit is a decode error for an answer that follows the contract but
// holds more than the decoder's limits allow (frames.LimitError).
type overLimit interface{ OverLimit() bool }

// endpoint is the URL of a contract call: the base URL's path, without
// its trailing slash, then the call's path. The base URL's query string
// is kept on every call: a user who writes ?tenant=x means it.
func (c *Client) endpoint(path string) *url.URL {
	u := *c.base
	escaped := strings.TrimRight(u.EscapedPath(), "/") + path
	u.Path, u.RawPath = mustUnescape(escaped), escaped
	return &u
}

// mustUnescape unescapes a path that came from an already parsed URL, so
// it cannot fail; on a failure it keeps the escaped text.
func mustUnescape(p string) string {
	if s, err := url.PathUnescape(p); err == nil {
		return s
	}
	return p
}

// do sends one request, retrying reads that failed for a reason that may
// pass (connection refused or reset, 429, 502, 503) while the context's
// deadline leaves room. Non-2xx answers become *Error.
func (c *Client) do(ctx context.Context, method, target, op string, body []byte) (*http.Response, error) {
	// Retries stay inside one timeout even when the caller set no deadline.
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for attempt := 0; ; attempt++ {
		res, err := c.once(ctx, method, target, op, body)
		if err == nil {
			return res, nil
		}
		var ce *Error
		if !errors.As(err, &ce) || !ce.Retryable() || attempt >= len(c.backoff) {
			return nil, err
		}
		wait := c.backoff[attempt]
		if secs, perr := strconv.Atoi(ce.RetryAfter); perr == nil && secs >= 0 {
			wait = max(wait, time.Duration(secs)*time.Second)
		}
		if time.Until(deadline) < wait {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

func (c *Client) once(ctx context.Context, method, target, op string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot build the request: %s", op, c.scrub(ctx, err.Error()))
	}
	if body != nil {
		// One known server silently answers [] without it.
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	// The user's forwarded token wins over the data source's own
	// credentials; calls without one (alert rules, forwarding off) send
	// the data source's. Its custom headers, added further down, replace
	// any header of the same name.
	id := identity.From(ctx)
	id.Apply(req.Header)
	if id.Authorization == "" {
		switch {
		case c.apiKey != "":
			req.Header.Set("Authorization", "Bearer "+c.apiKey)
		case c.basic != nil:
			req.SetBasicAuth(c.basic.User, c.basic.Password)
		}
	}
	release := func() {}
	if c.acquire != nil {
		release, err = c.acquire(ctx)
	}
	if err != nil {
		return nil, &Error{Kind: KindTimeout, Op: op, err: err, msg: op + ": " + err.Error()}
	}
	res, err := c.http.Do(req)
	if err != nil {
		release()
		var ue *url.Error
		if errors.As(err, &ue) {
			// Go's URL errors print the URL with its query string and a
			// masked password, wherever they end up (messages, the log).
			ue.URL = secrets.RedactURL(ue.URL)
		}
		return nil, c.classify(ctx, op, err)
	}
	res.Body = &releasingBody{ReadCloser: res.Body, release: release}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		// Scrubbed before it is cut short, so no part of an echoed secret
		// survives the cut. The window holds the quote and, past it, the
		// longest secret whole: one that starts inside the quote is
		// matched whole, whatever its length (OAuth tokens with group
		// claims pass 4 KB); the start of one at the window's edge goes
		// too.
		window := int64(snippetQuote + max(snippetRoom, c.settings.LongestSecretFor(ctx)))
		head, _ := io.ReadAll(io.LimitReader(res.Body, window+1))
		cut := int64(len(head)) > window
		if cut {
			head = head[:window]
		}
		drainAndClose(res.Body)
		text := c.settings.ScrubWindowFor(ctx)(string(head), cut)
		return nil, c.statusError(ctx, op, res, contract.Snippet([]byte(text), snippetQuote))
	}
	return res, nil
}

// decodeError reports an answer that could not be decoded: valid JSON,
// just more of it than one query may decode (too large), or not the
// contract.
func (c *Client) decodeError(ctx context.Context, op string, err error) error {
	var over overLimit
	if errors.As(err, &over) && over.OverLimit() {
		return &Error{Kind: KindTooLarge, Op: op, err: err, msg: op + ": " + c.scrub(ctx, err.Error())}
	}
	return c.notContract(ctx, op, err)
}

func (c *Client) notContract(ctx context.Context, op string, err error) *Error {
	// Decoders name the endpoint too, for their own callers; said once.
	why := strings.TrimPrefix(err.Error(), op+": ")
	return &Error{Kind: KindNotContract, Op: op, err: err,
		msg: fmt.Sprintf("%s: the answer does not follow the in-house metrics contract: %s", op, c.scrub(ctx, why))}
}

// scrub removes the data source's secrets and the request's user's
// tokens and cookies, which the instance's list does not know.
func (c *Client) scrub(ctx context.Context, s string) string { return c.settings.ScrubFor(ctx)(s) }

// StatusOf is the HTTP status of a call the service answered with a
// non-2xx status, and 0 for every other outcome.
func StatusOf(err error) int {
	var ce *Error
	if errors.As(err, &ce) && ce.Kind == KindHTTP {
		return ce.StatusCode
	}
	return 0
}

// An error body is quoted by its first snippetQuote bytes, read with
// room past them for a secret that starts inside them: snippetRoom, or
// the longest secret's length if that is more.
const (
	snippetQuote = 200
	snippetRoom  = 4 << 10
)

// drainAndClose reads a little of what is left so the connection can be
// reused, then closes the body.
// releasingBody frees the call's slot when the body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// limitedBody stops reading past the size limit and remembers the first
// read error, so a decoder's failure can be told apart from the
// connection's.
type limitedBody struct {
	r     io.Reader
	left  int64
	limit int64
	err   error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a larger one.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			b.err = &errTooLarge{limit: b.limit}
			return 0, b.err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}
