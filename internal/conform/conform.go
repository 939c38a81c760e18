// Package conform checks an in-house metrics service against the HTTP
// contract (docs/contract.md) and reports, per check, a verdict and one
// line of advice that names the contract's section. The checks are data
// (a list of check values per group, one file per group); wire checks
// call the service directly over HTTP, and the checks of what Grafana
// will show go through the real plugin over the plugin protocol, when a
// plugin host is given.
package conform

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// Status is a check's verdict.
type Status string

const (
	Pass Status = "pass"
	// Warn is a quirk the plugin tolerates, which the service should
	// still fix.
	Warn Status = "warn"
	Fail Status = "fail"
	// Absent is an optional endpoint the service does not have: not a
	// failure.
	Absent Status = "absent"
	// Skip is a check that could not run (no credential configured, no
	// plugin, nothing to check it on).
	Skip Status = "skip"
)

// Result is one line of the report.
type Result struct {
	Group  string `json:"group"`
	Check  string `json:"check"`
	Status Status `json:"result"`
	// Detail is what was seen; Advice, for a warning or failure, what to
	// change, naming the contract's section.
	Detail string `json:"detail,omitempty"`
	Advice string `json:"advice,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	URL     string   `json:"url"`
	Results []Result `json:"results"`
	Passed  int      `json:"passed"`
	Warned  int      `json:"warnings"`
	Failed  int      `json:"failures"`
}

// OK tells whether no check failed.
func (r *Report) OK() bool { return r.Failed == 0 }

// Target is the service under test and how to reach it, as the data
// source would.
type Target struct {
	URL string
	// Header holds what the data source sends on every call: the
	// credential (Authorization) and custom headers.
	Header http.Header
	// TLS is the client's TLS configuration (CA, client certificate,
	// skip-verify); nil is Go's default.
	TLS *tls.Config
	// Timeout bounds each call (default 30 s, as the plugin's).
	Timeout time.Duration
	// Plugin and DataSource, when Plugin is set, run the checks of what
	// Grafana will show through the built plugin.
	Plugin     *grafanahost.Host
	DataSource grafanahost.DataSource
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
}

// check is one entry of a group's list.
type check struct {
	name string
	// section is the contract's heading the advice points at.
	section string
	run     func(ctx context.Context, s *session) []finding
}

// finding is one outcome of a check; a check that looks at several
// things (every metric) has one finding per thing, named by subject.
type finding struct {
	subject string
	status  Status
	detail  string
	// fix is the advice without the section, which Run appends.
	fix string
}

func pass(detail string) finding               { return finding{status: Pass, detail: detail} }
func skip(detail string) finding               { return finding{status: Skip, detail: detail} }
func absent(detail string) finding             { return finding{status: Absent, detail: detail} }
func warn(detail, fix string) finding          { return finding{status: Warn, detail: detail, fix: fix} }
func fail(detail, fix string) finding          { return finding{status: Fail, detail: detail, fix: fix} }
func (f finding) about(subject string) finding { f.subject = subject; return f }

// group is a named list of checks, in the order the report shows them.
type group struct {
	name   string
	checks []check
}

// groups are every check, in order: later groups use what earlier ones
// found (the metric list).
func groups() []group {
	return []group{
		{"endpoints", endpointChecks},
		{"quirks", quirkChecks},
		{"time series", seriesChecks},
		{"tables", tableChecks},
		{"errors", errorChecks},
		{"auth", authChecks},
		{"cost", costChecks},
		{"grafana", grafanaChecks},
	}
}

// Run runs every check against t.
func Run(ctx context.Context, t Target) *Report {
	s := newSession(t)
	rep := &Report{URL: redact(t.URL)}
	if _, err := url.Parse(t.URL); err != nil || !strings.Contains(t.URL, "://") {
		rep.Results = append(rep.Results, Result{Group: "endpoints", Check: "url", Status: Fail,
			Detail: fmt.Sprintf("%q is not a URL", t.URL), Advice: "give the service's base URL, such as http://metrics.internal:8080"})
		rep.Failed++
		return rep
	}
	for _, g := range groups() {
		for _, c := range g.checks {
			for _, f := range c.run(ctx, s) {
				name := c.name
				if f.subject != "" {
					name += " (" + f.subject + ")"
				}
				r := Result{Group: g.name, Check: name, Status: f.status, Detail: f.detail}
				if f.fix != "" {
					r.Advice = f.fix + " (contract: " + c.section + ")"
				}
				switch f.status {
				case Pass:
					rep.Passed++
				case Warn:
					rep.Warned++
				case Fail:
					rep.Failed++
				}
				rep.Results = append(rep.Results, r)
			}
		}
	}
	return rep
}

// session holds the client and what earlier checks learned.
type session struct {
	t   Target
	hc  *http.Client
	now time.Time

	listed     bool
	metrics    []metricInfo
	metricsVia string // the path that listed them
	sampled    *[]sampled
	costs      []cost
}

type metricInfo struct {
	name string
	// fields are the payload field names the metric declares.
	fields []string
}

func newSession(t Target) *session {
	if t.Timeout <= 0 {
		t.Timeout = 30 * time.Second
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if t.TLS != nil {
		tr.TLSClientConfig = t.TLS
	}
	// Each call on a fresh connection, so a server that hangs up on one
	// path does not spoil the next check.
	tr.DisableKeepAlives = true
	return &session{t: t, now: t.Now(), hc: &http.Client{Transport: tr, Timeout: t.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is one exchange with the service.
type answer struct {
	status int
	body   []byte
	took   time.Duration
	// err is a failure to get an answer at all (refused, closed, timeout).
	err error
}

// maxBody caps what a check reads of one answer: the plugin's own
// default limit.
const maxBody = 64 << 20

// call sends one request with the data source's headers, or with hdr
// instead when it is not nil (the auth checks).
func (s *session) call(ctx context.Context, method, path string, body []byte, hdr http.Header) answer {
	u := s.endpoint(path)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return answer{err: err}
	}
	if hdr == nil {
		hdr = s.t.Header
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := s.hc.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	a := answer{status: res.StatusCode, body: b, took: time.Since(start)}
	if err != nil {
		a.err = err
	}
	return a
}

// post sends v as JSON to path.
func (s *session) post(ctx context.Context, path string, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		return answer{err: err}
	}
	return s.call(ctx, http.MethodPost, path, b, nil)
}

// endpoint joins the base URL and a path as the plugin does: a trailing
// slash dropped, the query string kept.
func (s *session) endpoint(path string) string {
	u, err := url.Parse(s.t.URL)
	if err != nil {
		return s.t.URL + path
	}
	if path != "" {
		u.Path = strings.TrimSuffix(u.Path, "/") + path
		u.RawPath = ""
	}
	return u.String()
}

// missing tells an optional endpoint's "not here" answers.
func (a answer) missing() bool {
	return a.err == nil && (a.status == http.StatusNotFound || a.status == http.StatusNotImplemented)
}

// closed tells a connection the server hung up on.
func (a answer) closed() bool {
	return a.err != nil && (errors.Is(a.err, io.EOF) || errors.Is(a.err, io.ErrUnexpectedEOF) ||
		strings.Contains(a.err.Error(), "EOF") || strings.Contains(a.err.Error(), "connection reset"))
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// empty tells a 2xx with nothing in it.
func (a answer) empty() bool { return a.ok() && len(bytes.TrimSpace(a.body)) == 0 }

// describe says what came back, for a detail.
func (a answer) describe() string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	snip := strings.TrimSpace(string(a.body))
	if len(snip) > 80 {
		snip = snip[:80] + "..."
	}
	if snip == "" {
		return fmt.Sprintf("%d with an empty body", a.status)
	}
	return fmt.Sprintf("%d %q", a.status, snip)
}

// array decodes a 2xx body that must be a JSON array; numbers stay
// json.Number so integers and fractions can be told apart.
func (a answer) array() ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the body is not JSON (%s)", a.describe())
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("the body is JSON but not an array (%s)", a.describe())
	}
	return list, nil
}

// redact drops the URL's user info and query values from what the report
// prints.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User = nil
	q := u.Query()
	for k := range q {
		q.Set(k, "[redacted]")
	}
	u.RawQuery = q.Encode()
	return u.String()
}
