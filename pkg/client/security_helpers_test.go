package client

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// newClientWith builds a client from stored settings, as an instance
// would, trusting any certificate (the test servers' own).
func newClientWith(t *testing.T, url, jsonData string, secure map[string]string) *Client {
	t.Helper()
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{URL: url, JSONData: json.RawMessage(jsonData), DecryptedSecureJSONData: secure}, models.DefaultOperator())
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(s, httpclient.Options{TLS: &httpclient.TLSOptions{InsecureSkipVerify: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetBackoff(nil)
	t.Cleanup(c.Close)
	return c
}

// dualServer answers https and plain http on one port (it sniffs the
// first byte for a TLS handshake), so an https-to-http redirect stays on
// the same host:port, as it does on a real service behind one address.
func dualServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	certSrv := httptest.NewTLSServer(http.NotFoundHandler())
	cert := certSrv.TLS.Certificates
	certSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(&sniffListener{Listener: ln, tls: &tls.Config{Certificates: cert}}) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

type sniffListener struct {
	net.Listener
	tls *tls.Config
}

func (l *sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	conn := &peekedConn{Conn: c, r: br}
	if err == nil && first[0] == 0x16 {
		return tls.Server(conn, l.tls), nil
	}
	return conn, nil
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
