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
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != KindHTTP || ce.StatusCode != http.StatusNotFound {
		return err
	}
	answered := c.probeURL(ctx)
	if answered == "" {
		return err
	}
	out := *ce
	out.msg = fmt.Sprintf("%s: the service answered 404 Not Found. It answers health (GET %s) and lists metrics (POST %s or %s), so the URL is right, but it has no %s endpoint: the service must implement %s of the contract (docs/contract.md)",
		ce.Op, answered, contract.PathMetrics, contract.PathSearch, strings.TrimPrefix(ce.Op, "POST "), ce.Op)
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
