package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

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
func (c *Client) ExplainNotFound(ctx context.Context, err error) error {
	return c.explainNotFound(ctx, err, func(ce *Error) string {
		return fmt.Sprintf("%s: the service answered 404 Not Found", ce.Op)
	}, func(ce *Error) string {
		return fmt.Sprintf("it has no %s endpoint: the service must implement %s of the contract (docs/contract.md)", strings.TrimPrefix(ce.Op, "POST "), ce.Op)
	})
}

// ExplainNoVariables rewords the 404 of /search after a 404 on /variable
// as ExplainNotFound does: neither dialect's variable endpoint is served.
func (c *Client) ExplainNoVariables(ctx context.Context, err error) error {
	return c.explainNotFound(ctx, err, func(*Error) string {
		return fmt.Sprintf("POST %s and POST %s: the service answered 404 Not Found to both", contract.PathVariable, contract.PathSearch)
	}, func(*Error) string {
		return fmt.Sprintf("it has no variable endpoint: the service must implement POST %s of the contract (docs/contract.md), or SimpleJSON's POST %s, for template variable queries", contract.PathVariable, contract.PathSearch)
	})
}

func (c *Client) explainNotFound(ctx context.Context, err error, what, missing func(*Error) string) error {
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != KindHTTP || ce.StatusCode != http.StatusNotFound {
		return err
	}
	answered := c.probeURL(ctx)
	if answered == "" {
		return err
	}
	out := *ce
	out.msg = fmt.Sprintf("%s. It answers health (GET %s) and lists metrics (POST %s or %s), so the URL is right, but %s",
		what(ce), answered, contract.PathMetrics, contract.PathSearch, missing(ce))
	out.err = err
	return &out
}

// probeURL runs Save & test's two calls, or reuses their recent finding.
func (c *Client) probeURL(ctx context.Context) string {
	c.probe.mu.Lock()
	defer c.probe.mu.Unlock()
	if time.Since(c.probe.at) < probeTTL {
		return c.probe.answered
	}
	answered, err := c.Health(ctx)
	if err == nil {
		_, err = c.Metrics(ctx, contract.MetricsRequest{})
	}
	if err != nil {
		answered = ""
	}
	if ctx.Err() == nil {
		// A canceled probe found nothing about the service.
		c.probe.at, c.probe.answered = time.Now(), answered
	}
	return answered
}
