package plugin

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/proxy"
	"github.com/grafana/grafana-plugin-sdk-go/config"
)

// The configuration page offers Grafana's secure SOCKS proxy toggle, which
// saves jsonData.enableSecureSocksProxy. Grafana turns the feature on for
// a plugin through its config (GF_SECURE_SOCKS_DATASOURCE_PROXY_*). These
// tests prove that, with both on, the options NewInstance builds its HTTP
// client from carry the proxy, and that the data source's calls really go
// through it. Grafana's proxy speaks SOCKS5 over mTLS; in insecure mode it
// is plain SOCKS5, which a loopback test can run without certificates.
func TestSocksProxyOptions(t *testing.T) {
	cases := []struct {
		name        string
		jsonData    map[string]any
		grafanaOn   bool
		wantEnabled bool
		wantUser    string
	}{
		{name: "toggle on, feature on", jsonData: map[string]any{"enableSecureSocksProxy": true}, grafanaOn: true, wantEnabled: true, wantUser: "socks-uid"},
		{name: "named proxy user", jsonData: map[string]any{"enableSecureSocksProxy": true, "secureSocksProxyUsername": "team-a"}, grafanaOn: true, wantEnabled: true, wantUser: "team-a"},
		{name: "toggle off", jsonData: map[string]any{"enableSecureSocksProxy": false}, grafanaOn: true},
		{name: "toggle absent", jsonData: map[string]any{}, grafanaOn: true},
		// The SDK keeps the data source's choice; without Grafana's proxy
		// config there is no address, so nothing is dialled through it.
		{name: "toggle on, feature off", jsonData: map[string]any{"enableSecureSocksProxy": true}, wantEnabled: true, wantUser: "socks-uid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := socksContext(tc.grafanaOn, "127.0.0.1:1")
			s := socksSettings(t, "http://127.0.0.1:1", tc.jsonData)
			opts, err := s.HTTPClientOptions(ctx)
			if err != nil {
				t.Fatalf("HTTPClientOptions: %v", err)
			}
			enabled := opts.ProxyOptions != nil && opts.ProxyOptions.Enabled
			if enabled != tc.wantEnabled {
				t.Fatalf("proxy enabled = %v, want %v (options %+v)", enabled, tc.wantEnabled, opts.ProxyOptions)
			}
			if !tc.wantEnabled {
				return
			}
			if got := opts.ProxyOptions.Auth.Username; got != tc.wantUser {
				t.Errorf("proxy user = %q, want %q", got, tc.wantUser)
			}
			if tc.grafanaOn && (opts.ProxyOptions.ClientCfg == nil || opts.ProxyOptions.ClientCfg.ProxyAddress != "127.0.0.1:1") {
				t.Errorf("proxy client config = %+v, want Grafana's address", opts.ProxyOptions.ClientCfg)
			}
		})
	}
}

// Save & test through an instance built by NewInstance: with the toggle on
// the service is reached through the proxy, which names the service's
// address; with it off the proxy sees nothing.
func TestSocksProxyCarriesCalls(t *testing.T) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	defer service.Close()

	cases := []struct {
		name     string
		toggle   bool
		wantVia  bool
		wantUser string
	}{
		{name: "toggle on", toggle: true, wantVia: true, wantUser: "socks-uid"},
		{name: "toggle off", toggle: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			socks := startSocks5(t)
			ctx := socksContext(true, socks.addr)
			s := socksSettings(t, service.URL, map[string]any{"enableSecureSocksProxy": tc.toggle})
			inst, err := NewInstance(ctx, s, nil)
			if err != nil {
				t.Fatalf("NewInstance: %v", err)
			}
			ds, ok := inst.(*Datasource)
			if !ok {
				t.Fatalf("NewInstance made %T, want *Datasource (invalid settings?)", inst)
			}
			defer ds.Dispose()
			res, err := ds.CheckHealth(ctx, &backend.CheckHealthRequest{})
			if err != nil {
				t.Fatalf("CheckHealth: %v", err)
			}
			if res.Status != backend.HealthStatusOk {
				t.Fatalf("health = %v %q, want OK", res.Status, res.Message)
			}
			targets, users := socks.seen()
			if !tc.wantVia {
				if len(targets) != 0 {
					t.Fatalf("the proxy carried %v with the toggle off", targets)
				}
				return
			}
			want := service.Listener.Addr().String()
			if len(targets) == 0 || targets[0] != want {
				t.Fatalf("proxy CONNECT targets = %v, want %s", targets, want)
			}
			if users[0] != tc.wantUser {
				t.Errorf("proxy user = %q, want %q", users[0], tc.wantUser)
			}
		})
	}
}

func socksContext(enabled bool, address string) context.Context {
	cfg := map[string]string{}
	if enabled {
		cfg[proxy.PluginSecureSocksProxyEnabled] = "true"
		cfg[proxy.PluginSecureSocksProxyProxyAddress] = address
		cfg[proxy.PluginSecureSocksProxyAllowInsecure] = "true"
	}
	return config.WithGrafanaConfig(context.Background(), config.NewGrafanaCfg(cfg))
}

func socksSettings(t *testing.T, url string, jsonData map[string]any) backend.DataSourceInstanceSettings {
	t.Helper()
	raw, err := json.Marshal(jsonData)
	if err != nil {
		t.Fatal(err)
	}
	return backend.DataSourceInstanceSettings{
		UID:                     "socks-uid",
		Name:                    "In-house Metrics",
		Type:                    PluginID,
		URL:                     url,
		JSONData:                raw,
		DecryptedSecureJSONData: map[string]string{},
	}
}

// socks5 is a minimal SOCKS5 server (RFC 1928, user/password auth of RFC
// 1929, CONNECT only) that records where it was asked to connect.
type socks5 struct {
	addr    string
	mu      sync.Mutex
	targets []string
	users   []string
	conns   []net.Conn
}

func (s *socks5) seen() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.targets...), append([]string(nil), s.users...)
}

func startSocks5(t *testing.T) *socks5 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks5{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	// The HTTP client keeps its connections alive; closing them ends the
	// copies, so the test does not wait on an idle pool.
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = conn.Close() }()
				if err := s.serve(conn); err != nil && !errors.Is(err, io.EOF) {
					t.Logf("socks5: %v", err)
				}
			}()
		}
	}()
	return s
}

func (s *socks5) serve(conn net.Conn) error {
	head := make([]byte, 2)
	if _, err := io.ReadFull(conn, head); err != nil {
		return err
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(conn, methods); err != nil {
		return err
	}
	user := ""
	if containsByte(methods, 0x02) {
		if _, err := conn.Write([]byte{0x05, 0x02}); err != nil {
			return err
		}
		u, err := readUserPass(conn)
		if err != nil {
			return err
		}
		user = u
		if _, err := conn.Write([]byte{0x01, 0x00}); err != nil {
			return err
		}
	} else if _, err := conn.Write([]byte{0x05, 0x00}); err != nil {
		return err
	}
	target, err := readConnect(conn)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.targets = append(s.targets, target)
	s.users = append(s.users, user)
	s.mu.Unlock()
	upstream, err := net.Dial("tcp", target)
	if err != nil {
		_, _ = conn.Write([]byte{0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0})
		return err
	}
	s.mu.Lock()
	s.conns = append(s.conns, upstream)
	s.mu.Unlock()
	defer func() { _ = upstream.Close() }()
	if _, err := conn.Write([]byte{0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 0}); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(upstream, conn)
		close(done)
	}()
	_, _ = io.Copy(conn, upstream)
	_ = conn.Close()
	<-done
	return nil
}

func readUserPass(conn net.Conn) (string, error) {
	b := make([]byte, 2)
	if _, err := io.ReadFull(conn, b); err != nil {
		return "", err
	}
	user := make([]byte, b[1])
	if _, err := io.ReadFull(conn, user); err != nil {
		return "", err
	}
	n := make([]byte, 1)
	if _, err := io.ReadFull(conn, n); err != nil {
		return "", err
	}
	if _, err := io.ReadFull(conn, make([]byte, n[0])); err != nil {
		return "", err
	}
	return string(user), nil
}

func readConnect(conn net.Conn) (string, error) {
	req := make([]byte, 4)
	if _, err := io.ReadFull(conn, req); err != nil {
		return "", err
	}
	if req[1] != 0x01 {
		return "", fmt.Errorf("command %d is not CONNECT", req[1])
	}
	var host string
	switch req[3] {
	case 0x01:
		ip := make([]byte, 4)
		if _, err := io.ReadFull(conn, ip); err != nil {
			return "", err
		}
		host = net.IP(ip).String()
	case 0x03:
		n := make([]byte, 1)
		if _, err := io.ReadFull(conn, n); err != nil {
			return "", err
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(conn, name); err != nil {
			return "", err
		}
		host = string(name)
	case 0x04:
		ip := make([]byte, 16)
		if _, err := io.ReadFull(conn, ip); err != nil {
			return "", err
		}
		host = net.IP(ip).String()
	default:
		return "", fmt.Errorf("address type %d", req[3])
	}
	port := make([]byte, 2)
	if _, err := io.ReadFull(conn, port); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port)))), nil
}

func containsByte(b []byte, v byte) bool {
	for _, x := range b {
		if x == v {
			return true
		}
	}
	return false
}
