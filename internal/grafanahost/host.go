// Package grafanahost emulates Grafana's side of the plugin, for the
// end-to-end tests and the command line only; product code must never
// import it. Grafana cannot run here, so this package plays it: Start
// launches the built plugin binary over the hashicorp/go-plugin handshake
// with the SDK's protocol constants and calls it over gRPC, exactly as
// Grafana does (host.go), and NewAPI serves the slice of Grafana's HTTP
// API the plugin's frontend calls, answered through that plugin (api.go),
// so the real frontend bundle can talk to the real backend binary in a
// browser. Streams (streams.go) run as Grafana Live runs them: one
// RunStream per channel for all its subscribers (live.go).
//
// It lives under internal/ and apart from pkg/ because in other plugins
// "plugin host" names the plugin's own handlers; this is the other end.
package grafanahost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// Host is one plugin, as Grafana runs it: one process at a time, started
// again when it exits if Options.Restart says so.
type Host struct {
	binary string
	opts   Options

	mu       sync.Mutex
	p        *proc
	closed   bool
	restarts int
}

// proc is one plugin process and its gRPC clients.
type proc struct {
	client      *goplugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	stream      grpcplugin.StreamClient
}

// Options configure Start.
type Options struct {
	// Logs receives the plugin's log output (default: discarded).
	Logs io.Writer
	// Env is added to the plugin's environment, as Grafana passes
	// GF_* settings.
	Env []string
	// Restart starts the plugin again when its process exits, as
	// Grafana's plugin manager does (it checks every second; the host
	// every restartCheck). Calls made while it is down fail.
	Restart bool
}

// restartCheck is how often a restarting host looks for an exited
// plugin.
const restartCheck = 50 * time.Millisecond

// BinaryName is the plugin executable name for this platform, as mage
// builds it.
func BinaryName() string {
	name := fmt.Sprintf("gpx_inhouse_metrics_%s_%s", runtime.GOOS, runtime.GOARCH)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// FindBinary looks for the built plugin in dir/dist and the dist folders
// of dir's parents, so commands and tests work from any folder of the
// repository.
func FindBinary(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "dist", BinaryName())
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("the plugin binary dist/%s was not found in %s or its parents: build it with `go run github.com/magefile/mage@v1.17.2 -v build:linux`", BinaryName(), abs)
		}
	}
}

// Start launches the plugin binary and completes the handshake.
func Start(binary string, opts Options) (*Host, error) {
	p, err := launch(binary, opts)
	if err != nil {
		return nil, err
	}
	h := &Host{binary: binary, opts: opts, p: p}
	if opts.Restart {
		go h.watch()
	}
	return h, nil
}

func launch(binary string, opts Options) (*proc, error) {
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), opts.Env...)
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"data":        &grpcplugin.DataGRPCPlugin{},
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"stream":      &grpcplugin.StreamGRPCPlugin{},
			},
		},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: logs, Level: hclog.Debug}),
		StartTimeout:     30 * time.Second,
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	p := &proc{client: c}
	for name, dst := range map[string]any{"data": &p.data, "diagnostics": &p.diagnostics, "resource": &p.resource, "stream": &p.stream} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			c.Kill()
			return nil, fmt.Errorf("plugin does not serve %s: %w", name, err)
		}
		switch d := dst.(type) {
		case *grpcplugin.DataClient:
			*d = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*d = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*d = raw.(grpcplugin.ResourceClient)
		case *grpcplugin.StreamClient:
			*d = raw.(grpcplugin.StreamClient)
		}
	}
	return p, nil
}

// watch starts the plugin again whenever its process has exited, until
// the host is closed.
func (h *Host) watch() {
	for range time.Tick(restartCheck) {
		h.mu.Lock()
		closed, exited := h.closed, h.p.client.Exited()
		h.mu.Unlock()
		if closed {
			return
		}
		if !exited {
			continue
		}
		p, err := launch(h.binary, h.opts)
		if err != nil {
			continue
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			p.client.Kill()
			return
		}
		h.p = p
		h.restarts++
		h.mu.Unlock()
	}
}

// cur is the running process.
func (h *Host) cur() *proc {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.p
}

// Close stops the plugin process, for good.
func (h *Host) Close() {
	h.mu.Lock()
	h.closed = true
	p := h.p
	h.mu.Unlock()
	p.client.Kill()
}

// Exited tells whether the plugin process has exited (crashed).
func (h *Host) Exited() bool { return h.cur().client.Exited() }

// Restarts counts the times a restarting host started the plugin again.
func (h *Host) Restarts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.restarts
}

// DataSource describes a configured data source, as Grafana stores it.
type DataSource struct {
	// OrgID is the org the data source belongs to; 0 stands for Grafana's
	// first org, 1.
	OrgID     int64
	ID        int64
	UID       string
	Name      string
	URL       string
	BasicAuth bool
	User      string
	JSONData  map[string]any
	Secure    map[string]string
	// Updated changes when the settings change; the plugin keeps one
	// instance per (ID, Updated).
	Updated time.Time
}

// PluginContext is the context Grafana sends with every call, for the
// default signed-in user, admin.
func (ds DataSource) PluginContext() backend.PluginContext { return ds.PluginContextFor(Admin) }

// Caller is the signed-in user Grafana calls the plugin for, and what
// their browser session holds. A nil Caller is an alert rule's
// evaluation, which has no user.
type Caller struct {
	Login string
	// Token is the user's OAuth access token, IDToken their OpenID
	// Connect ID token.
	Token, IDToken string
	// Cookie is the browser's Cookie header.
	Cookie string
	// Headers go into the request's header map with their keys exactly as
	// written, before the forwarding above: what a browser sends, which
	// Grafana passes on to resource calls (9.3.2 passes all of it), and
	// what a given Grafana version writes under its own spelling
	// ("X-ID-Token"). Query and health maps take each key's last value.
	Headers map[string][]string
}

// Admin is the user of the calls that name none.
var Admin = &Caller{Login: "admin"}

// PluginContextFor is the context Grafana sends for c.
func (ds DataSource) PluginContextFor(c *Caller) backend.PluginContext {
	jd, _ := json.Marshal(ds.JSONData)
	if ds.JSONData == nil {
		jd = []byte("{}")
	}
	updated := ds.Updated
	if updated.IsZero() {
		updated = time.Unix(1700000000, 0)
	}
	org, ns := ds.OrgID, "default"
	if org == 0 {
		org = 1
	}
	if org != 1 {
		ns = fmt.Sprintf("org-%d", org)
	}
	// Both, as Grafana 11 and later send them (9 and 10 send the id alone).
	return backend.PluginContext{
		//lint:ignore SA1019 Grafana 9 and 10 send the org id alone, 11 and later both.
		OrgID:     org,
		Namespace: ns,
		PluginID:  PluginID,
		User:      c.user(),
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: ds.ID, UID: ds.UID, Name: ds.Name, Type: PluginID,
			URL: ds.URL, BasicAuthEnabled: ds.BasicAuth, BasicAuthUser: ds.User,
			JSONData: jd, DecryptedSecureJSONData: ds.Secure, Updated: updated,
		},
	}
}

func (c *Caller) user() *backend.User {
	if c == nil {
		return nil
	}
	return &backend.User{Login: c.Login, Name: c.Login, Email: c.Login + "@example.com", Role: "Admin"}
}

// forward adds what Grafana's plugin client middlewares add for a data
// source: with jsonData.oauthPassThru the user's token as
// "Authorization: Bearer ..." and X-Id-Token (OAuthTokenMiddleware), and
// with jsonData.keepCookies only the named cookies (CookiesMiddleware),
// all through the SDK's SetHTTPHeader, which prefixes them with http_ in
// the string maps of queries and health checks.
func (ds DataSource) forward(c *Caller, req backend.ForwardHTTPHeaders) {
	if c == nil {
		return
	}
	for k, vs := range c.Headers {
		switch r := req.(type) {
		case *backend.CallResourceRequest:
			if r.Headers == nil {
				r.Headers = map[string][]string{}
			}
			r.Headers[k] = append([]string(nil), vs...)
		case *backend.QueryDataRequest:
			r.Headers[k] = vs[len(vs)-1]
		case *backend.CheckHealthRequest:
			if r.Headers == nil {
				r.Headers = map[string]string{}
			}
			r.Headers[k] = vs[len(vs)-1]
		}
	}
	if pass, _ := ds.JSONData["oauthPassThru"].(bool); pass && c.Token != "" {
		req.SetHTTPHeader(backend.OAuthIdentityTokenHeaderName, "Bearer "+c.Token)
		if c.IDToken != "" {
			req.SetHTTPHeader(backend.OAuthIdentityIDTokenHeaderName, c.IDToken)
		}
	}
	keep := map[string]bool{}
	switch names := ds.JSONData["keepCookies"].(type) {
	case []string:
		for _, n := range names {
			keep[n] = true
		}
	case []any:
		for _, n := range names {
			keep[fmt.Sprint(n)] = true
		}
	}
	if len(keep) == 0 || c.Cookie == "" {
		return
	}
	var kept []string
	for _, ck := range (&http.Request{Header: http.Header{"Cookie": {c.Cookie}}}).Cookies() {
		if keep[ck.Name] {
			kept = append(kept, ck.String())
		}
	}
	if len(kept) > 0 {
		req.SetHTTPHeader(backend.CookiesHeaderName, strings.Join(kept, "; "))
	}
}

// CheckHealth runs Save & test.
func (h *Host) CheckHealth(ctx context.Context, ds DataSource) (*backend.CheckHealthResult, error) {
	return h.CheckHealthAs(ctx, ds, Admin)
}

// CheckHealthAs runs Save & test for c.
func (h *Host) CheckHealthAs(ctx context.Context, ds DataSource, c *Caller) (*backend.CheckHealthResult, error) {
	req := &backend.CheckHealthRequest{PluginContext: ds.PluginContextFor(c)}
	ds.forward(c, req)
	res, err := h.cur().diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{
		PluginContext: backend.ToProto().PluginContext(req.PluginContext),
		Headers:       req.Headers,
	})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(res), nil
}

// CollectMetrics returns the plugin's Prometheus metrics in the text
// format, as Grafana scrapes them.
func (h *Host) CollectMetrics(ctx context.Context) (string, error) {
	res, err := h.cur().diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{})
	if err != nil {
		return "", err
	}
	return string(res.GetMetrics().GetPrometheus()), nil
}

// QueryData runs queries. headers are what Grafana adds (FromAlert for
// alert rules).
func (h *Host) QueryData(ctx context.Context, ds DataSource, queries []backend.DataQuery, headers map[string]string) (*backend.QueryDataResponse, error) {
	c := Admin
	if headers[backend.FromAlertHeaderName] == "true" {
		c = nil
	}
	return h.QueryDataAs(ctx, ds, c, queries, headers)
}

// QueryDataAs runs queries for c (nil: an alert rule).
func (h *Host) QueryDataAs(ctx context.Context, ds DataSource, c *Caller, queries []backend.DataQuery, headers map[string]string) (*backend.QueryDataResponse, error) {
	all := map[string]string{}
	for k, v := range headers {
		all[k] = v
	}
	req := &backend.QueryDataRequest{PluginContext: ds.PluginContextFor(c), Queries: queries, Headers: all}
	ds.forward(c, req)
	res, err := h.cur().data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(res)
}

// CallResource calls a resource route and gathers the streamed answer.
func (h *Host) CallResource(ctx context.Context, ds DataSource, method, path string, body []byte) (*backend.CallResourceResponse, error) {
	return h.CallResourceAs(ctx, ds, Admin, method, path, body)
}

// CallResourceAs calls a resource route for c.
func (h *Host) CallResourceAs(ctx context.Context, ds DataSource, c *Caller, method, path string, body []byte) (*backend.CallResourceResponse, error) {
	req := &backend.CallResourceRequest{PluginContext: ds.PluginContextFor(c), Path: path, Method: method, URL: path, Body: body}
	ds.forward(c, req)
	stream, err := h.cur().resource.CallResource(ctx, backend.ToProto().CallResourceRequest(req))
	if err != nil {
		return nil, err
	}
	var out *backend.CallResourceResponse
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		part := backend.FromProto().CallResourceResponse(msg)
		if out == nil {
			out = part
		} else {
			out.Body = append(out.Body, part.Body...)
		}
	}
	if out == nil {
		return nil, errors.New("the plugin sent no resource response")
	}
	return out, nil
}

// Pid is the plugin process id, for tests that watch its resources.
func (h *Host) Pid() int {
	if rc := h.cur().client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}
