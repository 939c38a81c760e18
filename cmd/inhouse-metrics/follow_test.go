package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
)

// t0 is the fake plugin's history's first point.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// wide builds the fake's frames: times t0+secs, one series per name, each
// value its row's second.
func wide(secs []int, names ...string) *data.Frame {
	times := make([]time.Time, len(secs))
	for i, s := range secs {
		times[i] = t0.Add(time.Duration(s) * time.Second)
	}
	f := data.NewFrame("", data.NewField("Time", nil, times))
	for _, n := range names {
		vals := make([]*float64, len(secs))
		for i, s := range secs {
			v := float64(s)
			vals[i] = &v
		}
		f.Fields = append(f.Fields, data.NewField(n, data.Labels{"host": n}, vals))
	}
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide}
	return f
}

// liveFrame answers the fake's live queries: the history t0 and t0+1s,
// and a channel named after the target ("nochannel" gets none) with the
// model as subscription data.
func liveFrame(model json.RawMessage) *data.Frame {
	var q struct {
		Target string `json:"target"`
		Live   bool   `json:"live"`
	}
	if json.Unmarshal(model, &q) != nil || !q.Live {
		return nil
	}
	f := wide([]int{0, 1}, "a")
	if q.Target != "nochannel" {
		f.Meta.Custom = map[string]any{"live": live.Meta{Channel: "ds/cli/live/" + q.Target, Data: model}}
	}
	return f
}

// sentModel tells whether data is a live model the CLI sent, as the
// fake's channels want it: a subscription without the query is refused.
func sentModel(data json.RawMessage) bool {
	var q struct {
		Live       bool  `json:"live"`
		IntervalMs int64 `json:"intervalMs"`
	}
	return json.Unmarshal(data, &q) == nil && q.Live && q.IntervalMs > 0
}

// fakeStreams: "live/known" sends a duplicate of the history's last row
// and new rows, data only, an error notice, a new series; "live/ends"
// ends its stream; "live/deadline" ends it when its gRPC deadline comes;
// "live/denied" is refused; other paths, and subscriptions without the
// query as data, are unknown.
type fakeStreams struct{}

func (fakeStreams) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if !sentModel(req.Data) {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	switch req.Path {
	case "live/known", "live/ends", "live/deadline":
		initial, _ := backend.NewInitialFrame(wide(nil, "a"), data.IncludeSchemaOnly)
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK, InitialData: initial}, nil
	case "live/denied":
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
}

func (fakeStreams) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

func (fakeStreams) RunStream(ctx context.Context, req *backend.RunStreamRequest, s *backend.StreamSender) error {
	if !sentModel(req.Data) {
		return errors.New("RunStream without the query as data")
	}
	failed := wide(nil, "a")
	failed.Meta.Notices = []data.Notice{{Severity: data.NoticeSeverityError, Text: "the service failed: 503"}}
	for _, p := range []struct {
		f       *data.Frame
		include data.FrameInclude
	}{
		{wide([]int{1, 2}, "a"), data.IncludeAll},
		{wide([]int{3}, "a"), data.IncludeDataOnly},
		{failed, data.IncludeAll},
		{wide([]int{4}, "a", "b"), data.IncludeAll},
		{wide([]int{5}, "a", "b"), data.IncludeDataOnly},
	} {
		if err := s.SendFrame(p.f, p.include); err != nil {
			return err
		}
	}
	switch req.Path {
	case "live/ends":
		return nil
	case "live/deadline":
		// The plugin's own timer for the deadline, which may fire before
		// the CLI's context reports its own.
		if d, ok := ctx.Deadline(); ok {
			time.Sleep(time.Until(d))
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

// A stream's end: --for running out is success even when the plugin's
// normal end arrives before the CLI's context says its deadline passed.
func TestStreamEnd(t *testing.T) {
	deadline := t0.Add(time.Minute)
	tests := []struct {
		name     string
		err, ctx error
		deadline time.Time
		now      time.Time
		want     string
	}{
		{"the plugin ends the stream at the deadline, before the context says so", nil, nil, deadline, deadline, ""},
		{"... a moment after", nil, nil, deadline, deadline.Add(time.Millisecond), ""},
		{"... within gRPC's truncation of the timeout", nil, nil, deadline, deadline.Add(-time.Millisecond), ""},
		{"the context ended", nil, context.DeadlineExceeded, deadline, deadline, ""},
		{"gRPC's deadline error", context.DeadlineExceeded, nil, deadline, deadline, ""},
		{"Ctrl-C", errors.New("canceled"), context.Canceled, time.Time{}, deadline, ""},
		{"the plugin ends the stream early", nil, nil, deadline, deadline.Add(-time.Second), "the plugin ended the stream"},
		{"the plugin ends the stream, no --for", nil, nil, time.Time{}, deadline, "the plugin ended the stream"},
		{"the stream fails", errors.New("boom"), nil, deadline, deadline.Add(-time.Second), "boom"},
	}
	for _, tt := range tests {
		err := streamEnd("ds/x/live/y", tt.err, tt.ctx, tt.deadline, tt.now)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestQueryFollow runs query --follow against the fake plugin: the
// history, then one line per new row in order (a row the history already
// has is not printed again), the notice of a failed poll, a new header
// when the series change, and the end of --for with exit status 0.
func TestQueryFollow(t *testing.T) {
	args := []string{"query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1", "--target", "known", "--follow", "--for", "1s"}
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	want := []string{
		`"live":true`,
		"[A] a ", "2 pts",
		"[A] following ds/cli/live/known",
		"[A] columns: time, a\n",
		"[A] 2026-11-28 10:00:02  2\n",
		"[A] 2026-11-28 10:00:03  3\n",
		"[A] notice: the service failed: 503\n",
		"[A] columns: time, a, b\n",
		"[A] 2026-11-28 10:00:04  4  4\n",
		"[A] 2026-11-28 10:00:05  5  5\n",
	}
	rest := stdout
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("stdout lacks %q after what came before, in order:\n%s", w, stdout)
		}
		rest = rest[i+len(w):]
	}
	if strings.Count(stdout, "10:00:01") != 0 {
		t.Errorf("the row the history ends with was printed again:\n%s", stdout)
	}
}

func TestQueryFollowErrors(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		usage bool // a usage error, found before the plugin starts
		want  []string
	}{
		{name: "unknown channel", flags: []string{"--target", "unknown", "--follow"}, want: []string{"ds/cli/live/unknown", "does not know"}},
		{name: "denied", flags: []string{"--target", "denied", "--follow"}, want: []string{"ds/cli/live/denied", "permission denied"}},
		{name: "no channel", flags: []string{"--target", "nochannel", "--follow"}, want: []string{"without a stream channel", "rebuild"}},
		{name: "stream ends", flags: []string{"--target", "ends", "--follow"}, want: []string{"ended the stream ds/cli/live/ends"}},
		{name: "follow a past range", flags: []string{"--target", "known", "--follow", "--from", "now-2h", "--to", "now-1h"}, usage: true, want: []string{"--follow", "--to now-1h", "before now"}},
		{name: "for without follow", flags: []string{"--target", "known", "--for", "5s"}, usage: true, want: []string{"--for 5s", "--follow"}},
		{name: "negative for", flags: []string{"--target", "known", "--follow", "--for", "-1s"}, usage: true, want: []string{"--for -1s", "positive"}},
		{name: "follow a table", flags: []string{"--target", "known", "--follow", "--format", "table"}, usage: true, want: []string{"--follow", "--format table"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1"}, tt.flags...)
			stdout, stderr, code := runCLI(t, args...)
			if tt.usage {
				checkUsageError(t, args, stdout, stderr, code, tt.want...)
				return
			}
			if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q: want exit 1 with one line", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

// TestQueryFollowUntilDeadline: the plugin ends the stream at its gRPC
// deadline, and that is the end of --for, exit status 0.
func TestQueryFollowUntilDeadline(t *testing.T) {
	for range 3 {
		args := []string{"query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1", "--target", "deadline", "--follow", "--for", "300ms"}
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
		}
	}
}

// TestQueryFollowInterrupted: without --for, following ends on SIGTERM
// (as on Ctrl-C) with exit status 0.
func TestQueryFollowInterrupted(t *testing.T) {
	cmd := exec.Command(os.Args[0], "query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1", "--target", "known", "--follow")
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.Contains(sc.Text(), "05  5  5") {
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("still following 10 s after SIGTERM")
	}
}
