package grafanahost

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// The stream calls Grafana Live makes for a data source channel
// ds/<uid>/<path>: SubscribeStream for every subscriber, PublishStream
// when a client publishes, and one RunStream per channel (see Hub).

// SubscribeStream asks the plugin whether the admin may subscribe to
// path of ds with the subscription's data (what the frontend put in the
// channel address's data; nil for none), and for the subscriber's initial
// data.
func (h *Host) SubscribeStream(ctx context.Context, ds DataSource, path string, data json.RawMessage) (*backend.SubscribeStreamResponse, error) {
	return h.SubscribeStreamAs(ctx, ds, Admin, path, data)
}

// SubscribeStreamAs asks for c.
func (h *Host) SubscribeStreamAs(ctx context.Context, ds DataSource, c *Caller, path string, data json.RawMessage) (*backend.SubscribeStreamResponse, error) {
	req := &backend.SubscribeStreamRequest{PluginContext: ds.PluginContextFor(c), Path: path, Data: data}
	ds.forward(c, req)
	res, err := h.cur().stream.SubscribeStream(ctx, backend.ToProto().SubscribeStreamRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().SubscribeStreamResponse(res), nil
}

// PublishStream publishes data to path of ds, as a client writing to the
// channel does.
func (h *Host) PublishStream(ctx context.Context, ds DataSource, path string, data json.RawMessage) (*backend.PublishStreamResponse, error) {
	req := &backend.PublishStreamRequest{PluginContext: ds.PluginContext(), Path: path, Data: data}
	ds.forward(Admin, req)
	res, err := h.cur().stream.PublishStream(ctx, backend.ToProto().PublishStreamRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().PublishStreamResponse(res), nil
}

// RunStream runs the stream of path of ds, with the data of the
// subscription that started it, and hands each packet's data
// (for frames, data.FrameJSON) to packet, in order, until ctx ends, the
// plugin ends the stream or packet returns an error. It returns nil when
// the plugin ended the stream, ctx's error when ctx ended, and otherwise
// the error that stopped it.
func (h *Host) RunStream(ctx context.Context, ds DataSource, path string, data json.RawMessage, packet func(json.RawMessage) error) error {
	return h.RunStreamAs(ctx, ds, Admin, path, data, packet)
}

// RunStreamAs runs the stream for c, the user whose subscription started
// it (Grafana runs a channel's stream with the first subscriber's
// identity).
func (h *Host) RunStreamAs(ctx context.Context, ds DataSource, c *Caller, path string, data json.RawMessage, packet func(json.RawMessage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	// Cancelling ends the gRPC stream, so the plugin sees its context end
	// whichever way this returns.
	defer cancel()
	req := &backend.RunStreamRequest{PluginContext: ds.PluginContextFor(c), Path: path, Data: data}
	ds.forward(c, req)
	stream, err := h.cur().stream.RunStream(ctx, backend.ToProto().RunStreamRequest(req))
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && deadlinePassed(ctx):
			// gRPC may see the deadline a moment before the context does.
			return context.DeadlineExceeded
		case err != nil:
			return err
		}
		if err := packet(backend.FromProto().StreamPacket(msg).Data); err != nil {
			return err
		}
	}
}

func deadlinePassed(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
