// Package grafanahost emulates Grafana's side of the plugin, for the
// end-to-end tests and the command line only; product code must never
// import it. Grafana cannot run here, so this package plays it: Start
// launches the built plugin binary over the hashicorp/go-plugin handshake
// with the SDK's protocol constants and calls it over gRPC, exactly as
// Grafana does (host.go), and NewAPI serves the slice of Grafana's HTTP
// API the plugin's frontend calls, answered through that plugin (api.go),
// so the real frontend bundle can talk to the real backend binary in a
// browser.
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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// Host is one running plugin process.
type Host struct {
	client      *goplugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
}

// Options configure Start.
type Options struct {
	// Logs receives the plugin's log output (default: discarded).
	Logs io.Writer
	// Env is added to the plugin's environment, as Grafana passes
	// GF_* settings.
	Env []string
}

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
	h := &Host{client: c}
	for name, dst := range map[string]any{"data": &h.data, "diagnostics": &h.diagnostics, "resource": &h.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			c.Kill()
			return nil, fmt.Errorf("plugin does not serve %s: %w", name, err)
		}
		switch p := dst.(type) {
		case *grpcplugin.DataClient:
			*p = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*p = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*p = raw.(grpcplugin.ResourceClient)
		}
	}
	return h, nil
}

// Close stops the plugin process.
func (h *Host) Close() { h.client.Kill() }

// Exited tells whether the plugin process has exited (crashed).
func (h *Host) Exited() bool { return h.client.Exited() }

// DataSource describes a configured data source, as Grafana stores it.
type DataSource struct {
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

// PluginContext is the context Grafana sends with every call.
func (ds DataSource) PluginContext() backend.PluginContext {
	jd, _ := json.Marshal(ds.JSONData)
	if ds.JSONData == nil {
		jd = []byte("{}")
	}
	updated := ds.Updated
	if updated.IsZero() {
		updated = time.Unix(1700000000, 0)
	}
	return backend.PluginContext{
		PluginID: PluginID,
		User:     &backend.User{Login: "admin", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: ds.ID, UID: ds.UID, Name: ds.Name, Type: PluginID,
			URL: ds.URL, BasicAuthEnabled: ds.BasicAuth, BasicAuthUser: ds.User,
			JSONData: jd, DecryptedSecureJSONData: ds.Secure, Updated: updated,
		},
	}
}

// CheckHealth runs Save & test.
func (h *Host) CheckHealth(ctx context.Context, ds DataSource) (*backend.CheckHealthResult, error) {
	req := &backend.CheckHealthRequest{PluginContext: ds.PluginContext()}
	res, err := h.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{
		PluginContext: backend.ToProto().PluginContext(req.PluginContext),
	})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(res), nil
}

// QueryData runs queries. headers are what Grafana adds (FromAlert for
// alert rules).
func (h *Host) QueryData(ctx context.Context, ds DataSource, queries []backend.DataQuery, headers map[string]string) (*backend.QueryDataResponse, error) {
	req := &backend.QueryDataRequest{PluginContext: ds.PluginContext(), Queries: queries, Headers: headers}
	res, err := h.data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(res)
}

// CallResource calls a resource route and gathers the streamed answer.
func (h *Host) CallResource(ctx context.Context, ds DataSource, method, path string, body []byte) (*backend.CallResourceResponse, error) {
	req := &backend.CallResourceRequest{PluginContext: ds.PluginContext(), Path: path, Method: method, URL: path, Body: body}
	stream, err := h.resource.CallResource(ctx, backend.ToProto().CallResourceRequest(req))
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
	if rc := h.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}
