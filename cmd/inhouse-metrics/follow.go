package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
)

// followStream streams a live query's new points after its history, as a live
// panel does: it subscribes to the channel the answer's frame names, with
// the subscription data the frame carries (the query's model), and runs
// the channel's stream with that data over the plugin protocol, printing
// a line per new row until interrupted or, with d > 0, for d.
func followStream(h *grafanahost.Host, ds grafanahost.DataSource, refID string, r backend.DataResponse, d time.Duration, w io.Writer) error {
	p := &rowPrinter{w: w, refID: refID}
	var m live.Meta
	for _, f := range r.Frames {
		if lm, ok := live.MetaOf(f); ok {
			m = lm
			p.seen(f)
			break
		}
	}
	channel := m.Channel
	if channel == "" {
		return errors.New("the plugin answered the live query without a stream channel (meta.custom.live): rebuild the plugin, this build does not stream")
	}
	path, ok := strings.CutPrefix(channel, "ds/"+ds.UID+"/")
	if !ok {
		return fmt.Errorf("the plugin named channel %q, which is not one of this data source's (ds/%s/...)", channel, ds.UID)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	sub, err := h.SubscribeStream(ctx, ds, path, m.Data)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", channel, err)
	}
	switch sub.Status {
	case backend.SubscribeStreamStatusOK:
	case backend.SubscribeStreamStatusNotFound:
		return fmt.Errorf("the plugin does not know the stream %s (it refused the subscription as not found)", channel)
	case backend.SubscribeStreamStatusPermissionDenied:
		return fmt.Errorf("the plugin refused the stream %s: permission denied (streams are refused while the data source forwards the user's identity)", channel)
	default:
		return fmt.Errorf("the plugin refused the stream %s with status %d", channel, sub.Status)
	}
	if sub.InitialData != nil && len(sub.InitialData.Data()) > 0 {
		if err := p.packet(sub.InitialData.Data()); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "[%s] following %s (Ctrl-C to stop)\n", refID, printable(channel))
	fmt.Fprintf(w, "[%s] columns: %s\n", refID, p.header)
	err = h.RunStream(ctx, ds, path, m.Data, p.packet)
	return streamEnd(channel, err, ctx.Err(), deadline, time.Now())
}

// deadlineSlack is how much earlier than --for the plugin may end the
// stream for its deadline: gRPC sends a deadline as a timeout truncated to
// its unit (a millisecond at most below a day), which the plugin counts
// from when it got the call.
const deadlineSlack = 10 * time.Millisecond

// streamEnd tells what the end of a followed stream means: success when
// the user stopped it or --for ran out, an error otherwise. The plugin
// ends the stream at the deadline it got through gRPC, which may come
// before this process's own context sees its deadline (a timer that has
// not fired yet under load), so a normal end at or after the deadline is
// --for running out, whatever ctxErr says yet.
func streamEnd(channel string, err, ctxErr error, deadline, now time.Time) error {
	atDeadline := !deadline.IsZero() && !now.Before(deadline.Add(-deadlineSlack))
	switch {
	case ctxErr != nil, errors.Is(err, context.DeadlineExceeded):
		return nil
	case err == nil && atDeadline:
		return nil
	case err == nil:
		return fmt.Errorf("the plugin ended the stream %s", channel)
	}
	return fmt.Errorf("the stream %s: %w", channel, err)
}

// rowPrinter prints the rows of a stream's packets. A packet is a frame
// as data.FrameJSON: a full one carries the schema, the others only data
// laid out by the last schema.
type rowPrinter struct {
	w      io.Writer
	refID  string
	schema json.RawMessage
	header string
	// last is the newest time printed or in the history; the stream
	// sends only later points, and anything else would print twice.
	last time.Time
	// millis shows times to the millisecond, from the first time that is
	// not on a whole second (the history's, usually) for the rest of the
	// stream, so the rows keep one precision.
	millis bool
}

// seen notes the history's frame: its schema and newest time.
func (p *rowPrinter) seen(f *data.Frame) {
	if b, err := data.FrameToJSON(f, data.IncludeSchemaOnly); err == nil {
		var fj struct {
			Schema json.RawMessage `json:"schema"`
		}
		if json.Unmarshal(b, &fj) == nil {
			p.schema = fj.Schema
		}
	}
	p.header = columns(f)
	if len(f.Fields) > 0 {
		for i := 0; i < f.Fields[0].Len(); i++ {
			t, ok := timeAt(f.Fields[0], i)
			if ok && t.After(p.last) {
				p.last = t
			}
			p.millis = p.millis || ok && t.Nanosecond() != 0
		}
	}
}

func (p *rowPrinter) packet(raw json.RawMessage) error {
	var pk struct {
		Schema json.RawMessage `json:"schema"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &pk); err != nil {
		return fmt.Errorf("the plugin sent a packet that is not a frame: %w", err)
	}
	full := len(pk.Schema) > 0
	if full {
		p.schema = pk.Schema
	}
	if p.schema == nil {
		return errors.New("the plugin sent data before any schema")
	}
	// The SDK's reader wants the schema first.
	whole := append(append([]byte(`{"schema":`), p.schema...), '}')
	if len(pk.Data) > 0 {
		whole = append(append(append(whole[:len(whole)-1], `,"data":`...), pk.Data...), '}')
	}
	f := new(data.Frame)
	if err := f.UnmarshalJSON(whole); err != nil {
		return fmt.Errorf("the plugin sent a frame that cannot be read: %w", err)
	}
	if full && f.Meta != nil {
		for _, n := range f.Meta.Notices {
			printNotice(p.w, p.refID, n.Text)
		}
	}
	if h := columns(f); h != p.header && len(f.Fields) > 1 {
		p.header = h
		fmt.Fprintf(p.w, "[%s] columns: %s\n", p.refID, h)
	}
	rows, _ := f.RowLen()
	for r := 0; r < rows; r++ {
		t, ok := timeAt(f.Fields[0], r)
		if !ok || !t.After(p.last) {
			continue
		}
		p.last = t
		p.millis = p.millis || t.Nanosecond() != 0
		cells := make([]string, 0, len(f.Fields))
		cells = append(cells, stampAt(t, p.millis))
		for _, fld := range f.Fields[1:] {
			cells = append(cells, cell(fld.At(r)))
		}
		fmt.Fprintf(p.w, "[%s] %s\n", p.refID, strings.Join(cells, "  "))
	}
	return nil
}

// columns names a wide frame's columns: time, then each series'
// legend.
func columns(f *data.Frame) string {
	names := []string{"time"}
	for _, v := range f.Fields[min(1, len(f.Fields)):] {
		names = append(names, displayName(v))
	}
	return strings.Join(names, ", ")
}

func timeAt(f *data.Field, i int) (time.Time, bool) {
	switch v := f.At(i).(type) {
	case time.Time:
		return v, true
	case *time.Time:
		if v != nil {
			return *v, true
		}
	}
	return time.Time{}, false
}
