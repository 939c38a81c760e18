package plugin

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/telemetry"
)

// NewManagedInstance is the factory main gives the SDK. The SDK rebuilds
// an instance only when the settings' "updated" time changes, which has
// one-second resolution: settings saved twice in one second
// (provisioning, API automation) kept the first version's instance for
// good. The instance it returns compares the settings themselves on every
// call and rebuilds what it holds (NewInstance) when they differ. Every
// instance counts on the process's one set of metrics.
func NewManagedInstance(metrics *telemetry.Metrics) datasource.InstanceFactoryFunc {
	return func(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
		inst, err := NewInstance(ctx, s, metrics)
		if err != nil {
			return nil, err
		}
		return &managed{settings: s, inst: inst, metrics: metrics}, nil
	}
}

type managed struct {
	mu       sync.Mutex
	settings backend.DataSourceInstanceSettings
	inst     instancemgmt.Instance
	metrics  *telemetry.Metrics
}

var (
	_ backend.QueryDataHandler      = (*managed)(nil)
	_ backend.CheckHealthHandler    = (*managed)(nil)
	_ backend.CallResourceHandler   = (*managed)(nil)
	_ backend.StreamHandler         = (*managed)(nil)
	_ instancemgmt.InstanceDisposer = (*managed)(nil)
)

// handlers is what every instance NewInstance builds answers.
type handlers interface {
	backend.QueryDataHandler
	backend.CheckHealthHandler
	backend.CallResourceHandler
	backend.StreamHandler
}

// current is the instance for the settings a call carries, rebuilt when
// they differ from the ones it was built from. Calls already running keep
// the instance they started with; disposing it closes only idle
// connections.
func (m *managed) current(ctx context.Context, pc backend.PluginContext) handlers {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := pc.DataSourceInstanceSettings; s != nil && !sameSettings(*s, m.settings) {
		if next, err := NewInstance(ctx, *s, m.metrics); err == nil {
			dispose(m.inst)
			m.inst, m.settings = next, *s
		}
	}
	return m.inst.(handlers)
}

// sameSettings compares everything an instance is built from but the
// "updated" time. Secrets are compared in memory, never logged.
func sameSettings(a, b backend.DataSourceInstanceSettings) bool {
	a.Updated, b.Updated = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func dispose(inst instancemgmt.Instance) {
	if d, ok := inst.(instancemgmt.InstanceDisposer); ok {
		d.Dispose()
	}
}

// Dispose disposes the instance held.
func (m *managed) Dispose() {
	m.mu.Lock()
	defer m.mu.Unlock()
	dispose(m.inst)
}

func (m *managed) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return m.current(ctx, req.PluginContext).QueryData(ctx, req)
}

func (m *managed) CheckHealth(ctx context.Context, req *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	return m.current(ctx, req.PluginContext).CheckHealth(ctx, req)
}

func (m *managed) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return m.current(ctx, req.PluginContext).CallResource(ctx, req, sender)
}

func (m *managed) SubscribeStream(ctx context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	return m.current(ctx, req.PluginContext).SubscribeStream(ctx, req)
}

func (m *managed) PublishStream(ctx context.Context, req *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return m.current(ctx, req.PluginContext).PublishStream(ctx, req)
}

func (m *managed) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	return m.current(ctx, req.PluginContext).RunStream(ctx, req, sender)
}
