package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/pipeline"
)

// channels holds every live query the process has answered, for all data
// sources and instances: a stream may outlive the instance that answered
// its query (settings saved while a live panel is open).
var channels = live.NewRegistry(live.MaxChannels)

var _ backend.StreamHandler = (*Datasource)(nil)

// errLiveForwarding refuses streams while the service sees the user: a
// stream polls for every subscriber at once, with no user, so it would
// either leak one user's answer to the others or send no identity at all.
var errLiveForwarding = errors.New("live queries are refused because this data source forwards the signed-in user's identity (Forward OAuth identity, send user header or allowed cookies): a stream polls once for every viewer, so it has no user to forward; turn the Live switch off, or use a data source without forwarding")

// errLiveTable refuses a live table: a stream appends points to time
// series.
var errLiveTable = errors.New("live queries stream time series: set Format to \"Time series\", or turn the Live switch off for a table")

// checkLive tells whether a query may stream.
func (d *Datasource) checkLive(q *models.Query) error {
	if d.settings.Forwarding.On() {
		return errLiveForwarding
	}
	if q.Format == models.FormatTable {
		return errLiveTable
	}
	return nil
}

// liveResponse answers a live query: one wide frame of the answer's
// series, the channel Grafana's frontend subscribes to in its metadata,
// and the query registered under that channel for RunStream. Tables in
// the answer are sent as they are, without a stream.
func (d *Datasource) liveResponse(q *models.Query, res *pipeline.Result) backend.DataResponse {
	path := live.Path(d.settings.UID, q)
	layout := live.NewLayout(q.Alias).Bound(live.BoundsFor(q, d.settings.Limits.Series.Max))
	cut := layout.Cut(res.Answer, time.Time{}, time.Now())
	newest := cut.Newest
	if newest.IsZero() {
		newest = q.To
	}
	e := channels.Register(d.settings.UID, path, q, layout, newest)

	frame := e.Dress(cut.Frame, res.Sent.String())
	for i, n := range res.Answer.Notices {
		if i == maxLiveNotices {
			frame.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("and %d more notices", len(res.Answer.Notices)-i)})
			break
		}
		frame.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: n})
	}
	out := data.Frames{frame}
	for _, t := range res.Answer.Tables {
		tf := t.Frame()
		tf.RefID = q.RefID
		out = append(out, tf)
	}
	return backend.DataResponse{Frames: out}
}

const maxLiveNotices = 10

// SubscribeStream lets a viewer join a live channel the plugin knows for
// this data source. The initial data is the channel's schema, so a viewer
// who joins a running stream reads its data-only packets against the
// fields the stream sends now.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if d.settings.Forwarding.On() {
		backend.Logger.Warn("live subscription refused", "path", req.Path, "reason", errLiveForwarding.Error())
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
	}
	e, err := channels.Lookup(d.settings.UID, req.Path)
	if err != nil {
		backend.Logger.Warn("live subscription refused", "reason", err.Error())
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	initial, err := backend.NewInitialFrame(e.Schema(), data.IncludeSchemaOnly)
	if err != nil {
		return nil, fmt.Errorf("encoding the live channel's schema: %w", err)
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK, InitialData: initial}, nil
}

// PublishStream is denied: viewers only read live channels.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream polls the channel's query until Grafana cancels it, when the
// last viewer leaves. Grafana runs one per channel, so one poll serves
// every viewer.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	if d.settings.Forwarding.On() {
		return errLiveForwarding
	}
	e, err := channels.Lookup(d.settings.UID, req.Path)
	if errors.Is(err, live.ErrUnknownPath) {
		// Grafana runs a channel's stream again after the plugin restarts,
		// for panels still open, without a new subscription: tell those
		// panels to refresh rather than leave them still, and end.
		return sender.SendFrame(live.NoticeFrame(err.Error()), data.IncludeAll)
	}
	if err != nil {
		return err
	}
	s := &live.Stream{
		Entry:       e,
		MinInterval: d.settings.LiveMinInterval,
		MaxSeries:   d.settings.Limits.Series.Max,
		Logger:      backend.Logger,
		Poll: func(ctx context.Context, q *models.Query) (*frames.Answer, string, error) {
			res, err := d.pipeline.Poll(ctx, q)
			if err != nil {
				return nil, "", err
			}
			return res.Answer, res.Sent.String(), nil
		},
	}
	return s.Run(ctx, sender)
}
