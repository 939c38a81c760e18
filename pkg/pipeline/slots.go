package pipeline

import (
	"context"
	"fmt"
	"sync"
)

// Slots bound the calls this plugin process has in flight to in-house
// services, across every data source instance and request: main makes
// one from the operator's max_concurrent_calls and every instance's
// pipeline shares it. A slot is held from the request until its answer's
// body is closed, so it bounds the answers being decoded at once too:
// memory a few dashboards can make the plugin hold is at most the slots
// times "Maximum response size" of body, plus what decoding it keeps.
//
// Live polls hold at most half of the slots (LivePoll). A stream polls
// again as soon as its interval allows, for as long as a panel is open,
// so against a slow service a hundred streams would keep every slot busy
// and queue each dashboard query behind them until it timed out. Half
// leaves dashboards, alert rules and variables at least as many slots as
// streams can take, whatever the streams do, while streams alone still
// get more calls in flight than a service usually serves at once; it is a
// cap, not a reservation, so without streams dashboards use every slot.
// Every call takes a slot of all, a live poll first one of live.
type Slots struct {
	all, live chan struct{}
}

// NewSlots bounds the process to n calls in flight (at least one).
func NewSlots(n int) *Slots {
	n = max(1, n)
	return &Slots{all: make(chan struct{}, n), live: make(chan struct{}, liveShare(n))}
}

// liveShare is the slots live polls may hold out of n: half, and at
// least one so streams run when an operator allows a single call.
func liveShare(n int) int { return max(1, n/2) }

type livePollKey struct{}

// LivePoll marks ctx as a live stream's poll, whose call takes one of the
// live polls' share of the slots before one of all.
func LivePoll(ctx context.Context) context.Context {
	return context.WithValue(ctx, livePollKey{}, true)
}

func isLivePoll(ctx context.Context) bool {
	live, _ := ctx.Value(livePollKey{}).(bool)
	return live
}

// acquire waits for a slot until ctx ends; the returned func frees it and
// is safe to call more than once.
func (b *Slots) acquire(ctx context.Context) (func(), error) {
	all, live := b.all, b.live
	var freeLive func()
	if isLivePoll(ctx) {
		if !take(ctx, live) {
			return nil, fmt.Errorf("live streams already have as many polls in flight to in-house metrics services as they may (%d, half of the plugin's %d calls at once), and none finished in time: the services are slow or many live panels are open; dashboards keep the other half. Operators can raise max_concurrent_calls under [plugin.inhouse-metrics-datasource], and a longer interval on the live panels polls less: %w", cap(live), cap(all), ctx.Err())
		}
		freeLive = func() { <-live }
	}
	if !take(ctx, all) {
		if freeLive != nil {
			freeLive()
		}
		return nil, fmt.Errorf("the plugin already has %d calls in flight to in-house metrics services, and none finished in time: the services are slow or Grafana is asking for a lot at once; operators can raise max_concurrent_calls under [plugin.inhouse-metrics-datasource]: %w", cap(all), ctx.Err())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-all
			if freeLive != nil {
				freeLive()
			}
		})
	}, nil
}

// take puts a token in ch, waiting until ctx ends; false when it ended.
func take(ctx context.Context, ch chan struct{}) bool {
	select {
	case ch <- struct{}{}:
		return true
	default:
	}
	select {
	case ch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}
