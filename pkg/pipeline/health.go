package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
)

// Health checks that the service answers GET on the URL as configured;
// any 2xx body counts. It returns the URL that answered: servers that
// register only the exact path answer 404 to the other form of it (with or
// without a trailing slash, which READMEs write both ways), so on 404 the
// other form is tried before giving up.
func (p *Pipeline) Health(ctx context.Context) (string, error) {
	base := p.client.Base()
	err := p.client.Get(ctx, base)
	if client.StatusOf(err) != http.StatusNotFound {
		return p.client.BaseURL(), err
	}
	other, ok := toggleSlash(base)
	if !ok || p.client.Get(ctx, other) != nil {
		return p.client.BaseURL(), err
	}
	return secrets.RedactURL(other.String()), nil
}

// BaseURL is the configured URL without credentials or query, for messages.
func (p *Pipeline) BaseURL() string { return p.client.BaseURL() }

// toggleSlash returns u with its trailing slash added or removed; a URL
// without a path has no other form.
func toggleSlash(u *url.URL) (*url.URL, bool) {
	path := u.EscapedPath()
	if path == "" || path == "/" {
		return nil, false
	}
	other := *u
	if strings.HasSuffix(path, "/") {
		path = strings.TrimRight(path, "/")
	} else {
		path += "/"
	}
	other.RawPath = path
	if unescaped, err := url.PathUnescape(path); err == nil {
		other.Path = unescaped
	} else {
		other.Path = path
	}
	return &other, true
}

// probeTTL is how long a probe's finding is trusted: every panel of a
// dashboard may get the same 404, and one probe serves them all.
const probeTTL = 30 * time.Second

type probeMemo struct {
	mu       sync.Mutex
	at       time.Time
	answered string // the URL that answered health; "" if the probe failed
}

// ExplainNotFound rewords a 404 on a call the service should serve. The
// generic 404 message tells the user to check the base URL; when the
// service answers health and lists its metrics at that same URL (Save &
// test passed), the URL is right and the service lacks the endpoint, and
// the message says so. Anything else is returned unchanged.
func (p *Pipeline) ExplainNotFound(ctx context.Context, err error) error {
	return p.explainNotFound(ctx, err, func(ce *client.Error) string {
		return fmt.Sprintf("%s: the service answered 404 Not Found", ce.Op)
	}, func(ce *client.Error) string {
		return fmt.Sprintf("it has no %s endpoint: the service must implement %s of the contract (docs/contract.md)", strings.TrimPrefix(ce.Op, "POST "), ce.Op)
	})
}

// explainNoVariables rewords the 404 of /search after a 404 on /variable
// as ExplainNotFound does: neither dialect's variable endpoint is served.
func (p *Pipeline) explainNoVariables(ctx context.Context, err error) error {
	return p.explainNotFound(ctx, err, func(*client.Error) string {
		return fmt.Sprintf("POST %s and POST %s: the service answered 404 Not Found to both", contract.PathVariable, contract.PathSearch)
	}, func(*client.Error) string {
		return fmt.Sprintf("it has no variable endpoint: the service must implement POST %s of the contract (docs/contract.md), or SimpleJSON's POST %s, for template variable queries", contract.PathVariable, contract.PathSearch)
	})
}

func (p *Pipeline) explainNotFound(ctx context.Context, err error, what, missing func(*client.Error) string) error {
	var ce *client.Error
	if !errors.As(err, &ce) || client.StatusOf(err) != http.StatusNotFound {
		return err
	}
	answered := p.probeURL(ctx)
	if answered == "" {
		return err
	}
	return ce.Explained(fmt.Sprintf("%s. It answers health (GET %s) and lists metrics (POST %s or %s), so the URL is right, but %s",
		what(ce), answered, contract.PathMetrics, contract.PathSearch, missing(ce)))
}

// probeURL runs Save & test's two calls, or reuses their recent finding.
func (p *Pipeline) probeURL(ctx context.Context) string {
	p.probe.mu.Lock()
	defer p.probe.mu.Unlock()
	if time.Since(p.probe.at) < probeTTL {
		return p.probe.answered
	}
	answered, err := p.Health(ctx)
	if err == nil {
		_, err = p.Metrics(ctx, contract.MetricsRequest{})
	}
	if err != nil {
		answered = ""
	}
	if ctx.Err() == nil {
		// A canceled probe found nothing about the service.
		p.probe.at, p.probe.answered = time.Now(), answered
	}
	return answered
}

// ServiceStatus tells whether err is a fault of the service (or of the
// way to it) and the Grafana status that matches it.
func ServiceStatus(err error) (status backend.Status, ok bool) {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Status(), true
	}
	return 0, false
}
