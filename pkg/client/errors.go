package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
)

// Kind is what went wrong talking to the service.
type Kind int

// Kinds of failure, each with its own message for the operator.
const (
	KindOther Kind = iota
	KindDNS
	KindRefused
	KindTLS
	KindTimeout
	KindReset
	KindHTTP        // a non-2xx status
	KindNotContract // a 2xx whose body is not the contract's JSON
	KindTooLarge
	KindRedirect
	KindCanceled
)

// Error is a failed call to the in-house service. Its message names the
// cause and the fix, and never holds a secret: the URL is redacted and the
// body snippet scrubbed before the Error is built.
type Error struct {
	Kind       Kind
	Op         string // e.g. "POST /query"
	StatusCode int    // for KindHTTP
	RetryAfter string // for 429/503, as the service sent it
	msg        string
	err        error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

// Status is the Grafana status that matches the failure.
func (e *Error) Status() backend.Status {
	switch e.Kind {
	case KindTimeout:
		return backend.StatusTimeout
	case KindCanceled:
		return backend.StatusBadRequest
	case KindHTTP:
		switch e.StatusCode {
		case http.StatusUnauthorized:
			return backend.StatusUnauthorized
		case http.StatusForbidden:
			return backend.StatusForbidden
		case http.StatusNotFound:
			return backend.StatusNotFound
		case http.StatusTooManyRequests:
			return backend.StatusTooManyRequests
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			return backend.StatusBadRequest
		case http.StatusNotImplemented:
			return backend.StatusNotImplemented
		case http.StatusGatewayTimeout:
			return backend.StatusTimeout
		}
	}
	return backend.StatusBadGateway
}

// Explained is e with its message replaced by msg, which says more
// about the same failure (its kind, status and cause are kept).
func (e *Error) Explained(msg string) *Error {
	out := *e
	out.msg, out.err = msg, e
	return &out
}

// Retryable tells whether the same read may be tried again: connection
// failures and the statuses that mean "try later", never other 4xx.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindRefused, KindReset:
		return true
	case KindHTTP:
		switch e.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable:
			return true
		}
	}
	return false
}

// errRedirect is the credential guard's refusal of a request to a host
// that is neither the URL's nor allowed (the only way to reach one is a
// redirect).
type errRedirect struct{ from, to string }

func (e *errRedirect) Error() string {
	return fmt.Sprintf("the service redirected from host %s to host %s; redirects to other hosts are refused unless listed: point the URL at %s directly, or add %s to \"Allowed hosts\" in the data source settings (jsonData.allowedHosts; operators: allowed_hosts under [plugin.inhouse-metrics-datasource]). Credentials are never sent to other hosts", e.from, e.to, e.to, e.to)
}

// errDowngrade is the credential guard's refusal of a redirect from https
// to plain http.
type errDowngrade struct{ from, to string }

func (e *errDowngrade) Error() string {
	return fmt.Sprintf("the service at %s redirected to %s, which is plain http: the plugin never follows a redirect that leaves https, because the API key, basic auth and custom headers would travel in clear text; fix the redirect on the service, or point the URL at the address it redirects to if that is meant", e.from, e.to)
}

// errTooLarge is returned by the body reader past the size limit.
type errTooLarge struct{ limit int64 }

func (e *errTooLarge) Error() string {
	return fmt.Sprintf("the answer is larger than the %d MB limit; narrow the query (shorter range, fewer series) or raise \"Maximum response size\" in the data source settings", e.limit>>20)
}

// classify turns a transport or body-read error into an Error with a
// message an operator can act on.
func (c *Client) classify(ctx context.Context, op string, err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	e := &Error{Op: op, err: err}
	host := c.base.Host
	var (
		dnsErr      *net.DNSError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		certErr     *tls.CertificateVerificationError
		redirect    *errRedirect
		downgrade   *errDowngrade
		tooLarge    *errTooLarge
		netErr      net.Error
		opErr       *net.OpError
	)
	switch {
	case errors.As(err, &redirect):
		e.Kind, e.msg = KindRedirect, redirect.Error()
	case errors.As(err, &downgrade):
		e.Kind, e.msg = KindRedirect, downgrade.Error()
	case errors.As(err, &tooLarge):
		e.Kind, e.msg = KindTooLarge, fmt.Sprintf("%s: %s", op, tooLarge.Error())
	case errors.Is(err, httpclient.ErrResponseBodyTooLarge):
		e.Kind, e.msg = KindTooLarge, fmt.Sprintf("%s: the answer is larger than Grafana's response limit (GF_DATAPROXY_RESPONSE_LIMIT); narrow the query", op)
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		e.Kind, e.msg = KindCanceled, fmt.Sprintf("%s: the request was canceled", op)
	case errors.As(err, &dnsErr):
		e.Kind, e.msg = KindDNS, fmt.Sprintf("cannot resolve the host name %q (DNS lookup failed): check the host in the URL", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind, e.msg = KindRefused, fmt.Sprintf("connection refused by %s: is the in-house metrics service running and listening on that port? Check the URL's host and port", host)
	case errors.As(err, &unknownAuth):
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the certificate of %s is signed by an unknown authority: turn on \"Add self-signed certificate\" under TLS settings and paste the CA certificate, or, for testing only, turn on \"Skip TLS certificate validation\"", host)
	case errors.As(err, &hostErr):
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the certificate of %s is not valid for that host name (%v): use the host name the certificate was issued for", host, hostErr)
	case errors.As(err, &invalidCert):
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the certificate of %s is not valid (%v): renew it on the service, or add the right CA certificate", host, invalidCert)
	case errors.As(err, &certErr):
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the certificate of %s could not be verified (%v)", host, certErr.Err)
	case errors.As(err, &alertErr):
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the service at %s refused the handshake (%v): check the client certificate and key under TLS settings (\"TLS Client Authentication\")", host, alertErr)
	case strings.Contains(err.Error(), "tls: protocol version not supported"):
		// Go speaks TLS 1.2 and 1.3 only; the alert otherwise reads like a
		// rejected client certificate.
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the service at %s offers only TLS versions older than 1.2, which Grafana does not accept: enable TLS 1.2 or 1.3 on the service", host)
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// The peer sent a TLS alert: over TCP this is how a rejected or
		// missing client certificate shows.
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: the service at %s rejected the connection (%v): check the client certificate and key under TLS settings (\"TLS Client Authentication\"), and that the service trusts their CA", host, opErr.Err)
	case errors.As(err, &recordErr):
		e.Kind, e.msg = KindTLS, fmt.Sprintf("TLS: %s did not answer with TLS: if the service speaks plain HTTP, start the URL with http://", host)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		e.Kind, e.msg = KindTimeout, fmt.Sprintf("%s: the service did not answer within %s: check the service's health, or raise Timeout in the data source settings", op, c.timeout)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE):
		e.Kind, e.msg = KindReset, fmt.Sprintf("%s: the service closed the connection before the answer was complete", op)
	default:
		e.Kind, e.msg = KindOther, fmt.Sprintf("%s: %s", op, c.scrub(ctx, err.Error()))
	}
	return e
}

// statusError builds the Error for a non-2xx answer. snippet is the first
// bytes of the body, already scrubbed.
func (c *Client) statusError(ctx context.Context, op string, res *http.Response, snippet string) *Error {
	e := &Error{Kind: KindHTTP, Op: op, StatusCode: res.StatusCode, RetryAfter: res.Header.Get("Retry-After")}
	status := fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode))
	switch code := res.StatusCode; {
	case code == http.StatusUnauthorized:
		e.msg = fmt.Sprintf("%s: the service answered %s: the credentials were rejected; check the API key or the basic auth user and password", op, status)
		if identity.From(ctx).Authorization != "" {
			e.msg = fmt.Sprintf("%s: the service answered %s: it rejected the signed-in user's forwarded OAuth token (Forward OAuth identity is on); sign in to Grafana again, or ask the service's owners for access", op, status)
		} else if !c.sentCredential(res.Request) {
			e.msg = fmt.Sprintf("%s: the service answered %s and no credential was sent: the service requires one; set the API key, basic auth or a custom header in the data source's settings", op, status)
		}
	case code == http.StatusForbidden:
		e.msg = fmt.Sprintf("%s: the service answered %s: the credentials are valid but not allowed to read metrics; ask the service's owners for access", op, status)
	case code == http.StatusNotFound:
		e.msg = fmt.Sprintf("%s: the service answered %s: check that the URL is the base URL of the metrics contract (for example http://host:8080/api/grafana/json), not a page or another service", op, status)
	case code == http.StatusTooManyRequests:
		e.msg = fmt.Sprintf("%s: the service answered %s: it is rate limiting Grafana", op, status)
		if e.RetryAfter != "" {
			e.msg += fmt.Sprintf(" (Retry-After: %s)", c.scrub(ctx, e.RetryAfter))
		}
	case code >= 500:
		e.msg = fmt.Sprintf("%s: the service failed with %s: %s", op, status, snippet)
	default:
		e.msg = fmt.Sprintf("%s: the service answered %s: %s", op, status, snippet)
	}
	return e
}

// sentCredential tells whether a request carried anything that may be a
// credential: an Authorization header, a custom header, a cookie, or
// user info in the URL.
func (c *Client) sentCredential(req *http.Request) bool {
	if c.customHeaders || c.base.User != nil {
		return true
	}
	return req == nil || req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != ""
}
