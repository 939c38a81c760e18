package client

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// callSlots bounds the calls this plugin process has in flight to
// in-house services, across every data source instance and request. A
// slot is held from the request until its answer's body is closed, so it
// bounds the answers being decoded at once too: memory a few dashboards
// can make the plugin hold is at most the slots times "Maximum response
// size" of body, plus what decoding it keeps.
var callSlots = newSlots(32)

type slots struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSlots(n int) *slots { return &slots{ch: make(chan struct{}, n)} }

// SetMaxConcurrentCalls sizes the process-wide bound; main sets it from
// the operator's max_concurrent_calls, tests shrink it. Calls already in
// flight keep the slots they hold.
func SetMaxConcurrentCalls(n int) {
	callSlots.mu.Lock()
	defer callSlots.mu.Unlock()
	callSlots.ch = make(chan struct{}, n)
}

// acquire waits for a slot until ctx ends; the returned func frees it and
// is safe to call more than once.
func (s *slots) acquire(ctx context.Context) (func(), error) {
	s.mu.Lock()
	ch := s.ch
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
		select {
		case ch <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("the plugin already has %d calls in flight to in-house metrics services, and none finished in time: the services are slow or Grafana is asking for a lot at once; operators can raise max_concurrent_calls under [plugin.inhouse-metrics-datasource]: %w", cap(ch), ctx.Err())
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-ch }) }, nil
}

// releasingBody frees the call's slot when the body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
