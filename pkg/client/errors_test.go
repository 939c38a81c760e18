package client

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A service that offers only TLS 1.1 is named for its protocol version,
// not blamed on the client certificate.
func TestOldTLSVersionIsNamed(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	srv.StartTLS()
	defer srv.Close()
	c := newClientWith(t, srv.URL, `{}`, nil)
	_, err := c.Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "older than 1.2") || strings.Contains(err.Error(), "client certificate") {
		t.Errorf("error %v, want it to name the TLS version", err)
	}
}
