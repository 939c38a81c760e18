package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// flights shares one upstream call among identical requests in flight.
// Unlike singleflight, it cancels the shared call once its last waiter
// has given up (a closed dashboard must not keep the service and the
// plugin's memory busy), and a new caller of the same key after that
// starts a fresh call instead of joining a canceled one.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
	// joined is told of each caller that joins a call in flight.
	joined func()
}

type flight struct {
	done    chan struct{}
	res     *Result
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns fn's result for key, calling fn at most once among the
// callers that overlap. fn runs under its own context, bounded by
// timeout and detached from any single caller's.
func (f *flights) do(ctx context.Context, key string, timeout time.Duration, fn func(context.Context) (*Result, error)) (*Result, error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	fl, ok := f.m[key]
	if !ok {
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		fl = &flight{done: make(chan struct{}), cancel: cancel}
		f.m[key] = fl
		go f.run(callCtx, key, fl, fn)
	} else if f.joined != nil {
		f.joined()
	}
	fl.waiters++
	f.mu.Unlock()

	select {
	case <-fl.done:
		return fl.res, fl.err
	case <-ctx.Done():
		f.mu.Lock()
		if fl.waiters--; fl.waiters == 0 {
			fl.cancel()
			f.forget(key, fl)
		}
		f.mu.Unlock()
		return nil, fmt.Errorf("the query was canceled before the service answered: %w", ctx.Err())
	}
}

func (f *flights) run(ctx context.Context, key string, fl *flight, fn func(context.Context) (*Result, error)) {
	fl.res, fl.err = fn(ctx)
	fl.cancel()
	f.mu.Lock()
	f.forget(key, fl)
	f.mu.Unlock()
	close(fl.done)
}

// forget drops key's flight if it is still fl; f.mu is held.
func (f *flights) forget(key string, fl *flight) {
	if f.m[key] == fl {
		delete(f.m, key)
	}
}
