package plugin

import (
	"context"
	"encoding/json"
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

// pastRange tells whether a live query streams: not when its range ends
// before now, whatever the frontend sent, since every new point would fall
// outside it. The notice says why the panel is not live.
func pastRange(q *models.Query, now time.Time) (streamed bool, notice string) {
	if live.ReachesNow(q.To, now) {
		return true, ""
	}
	return false, fmt.Sprintf("live: not streaming: the time range ends at %s, before now, so new points would fall outside it; set the range to end at now to stream",
		q.To.UTC().Format(time.RFC3339))
}

// liveResponse answers a live query: one wide frame of the answer's
// series with, in meta.custom.live, the channel and the subscription data
// (the query's model as received), which the frontend subscribes with.
// Nothing is kept: any plugin process can run the channel from that data.
// Tables in the answer are sent as they are, without a stream.
func (d *Datasource) liveResponse(q *models.Query, model json.RawMessage, org string, res *pipeline.Result) backend.DataResponse {
	path, err := live.Path(org, d.settings.UID, model)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	cut := live.NewLayout(q.Alias).Bound(live.BoundsFor(q, d.settings.Limits.Series.Max)).Cut(res.Answer, time.Time{}, time.Now())
	frame := live.Answer(cut.Frame, q.RefID, live.Meta{Channel: live.Channel(d.settings.UID, path), Data: model}, res.Sent.String())
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

// streamQuery checks a subscription and reads its query. A refusal is
// logged with its reason, since Grafana shows the subscriber only a
// status; the status is PermissionDenied for data that does not hash to
// the path (someone else's channel) and NotFound for everything else.
func (d *Datasource) streamQuery(pc backend.PluginContext, path string, model json.RawMessage) (*models.Query, backend.SubscribeStreamStatus, error) {
	if d.settings.Forwarding.On() {
		return nil, backend.SubscribeStreamStatusPermissionDenied, errLiveForwarding
	}
	if err := live.Check(live.Org(pc), d.settings.UID, path, model); err != nil {
		if errors.Is(err, live.ErrDataMismatch) {
			return nil, backend.SubscribeStreamStatusPermissionDenied, err
		}
		return nil, backend.SubscribeStreamStatusNotFound, err
	}
	q, err := live.QueryOf(model, time.Now())
	if err == nil && !q.Live {
		err = errors.New("the subscription's query is not a live one (no \"live\": true)")
	}
	if err == nil {
		err = d.checkLive(q)
	}
	if err != nil {
		return nil, backend.SubscribeStreamStatusNotFound, err
	}
	return q, backend.SubscribeStreamStatusOK, nil
}

// SubscribeStream lets a viewer join a live channel whose subscription
// data is the channel's query. The initial data is the schema of the
// channel's stream when this instance runs it, so a viewer who joins
// reads its data-only packets against the fields the stream sends now;
// otherwise there is none, and the stream's first packet carries it.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	_, status, err := d.streamQuery(req.PluginContext, req.Path, req.Data)
	if err != nil {
		backend.Logger.Warn("live subscription refused", "path", clipPath(req.Path), "org", live.Org(req.PluginContext), "reason", err.Error())
		return &backend.SubscribeStreamResponse{Status: status}, nil
	}
	res := &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}
	if e, ok := d.streams.Lookup(req.Path); ok {
		initial, err := backend.NewInitialFrame(e.Schema(), data.IncludeSchemaOnly)
		if err != nil {
			return nil, fmt.Errorf("encoding the live channel's schema: %w", err)
		}
		res.InitialData = initial
	}
	return res, nil
}

// PublishStream is denied: viewers only read live channels.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream polls the channel's query, read from the subscription data,
// until Grafana cancels it when the last viewer leaves. Grafana runs one
// per channel, so one poll serves every viewer, and runs it again with the
// same data after the plugin restarts. A stream starts knowing nothing of
// what its viewers hold: its first poll asks for the query's span, and the
// frontend drops the rows at or before the newest it has, so neither a
// restart nor another process's answer leaves a gap or a duplicate row.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	q, _, err := d.streamQuery(req.PluginContext, req.Path, req.Data)
	if errors.Is(err, live.ErrNoData) {
		// A panel subscribed by a frontend older than stateless channels,
		// run again after a restart: tell it to refresh, and end.
		backend.Logger.Warn("live stream without a query", "path", clipPath(req.Path))
		return sender.SendFrame(live.NoticeFrame(live.ErrNoData.Error()), data.IncludeAll)
	}
	if err != nil {
		backend.Logger.Warn("live stream refused", "path", clipPath(req.Path), "org", live.Org(req.PluginContext), "reason", err.Error())
		return err
	}
	defer d.metrics.StreamStarted()()
	e := d.streams.Join(req.Path, func() *live.Entry { return live.NewEntry(d.settings.UID, req.Path, q, time.Time{}) })
	defer d.streams.Leave(e)
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

// clipPath keeps a refused path short enough for a log line.
func clipPath(p string) string {
	if len(p) > 64 {
		return p[:64] + "..."
	}
	return p
}
