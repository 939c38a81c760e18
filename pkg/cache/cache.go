// Package cache is a small byte-bounded cache with a time to live, for
// answers of the in-house service that many panels ask for at once.
package cache

import (
	"container/list"
	"sync"
	"time"
)

// Cache keeps values for TTL, evicting the least recently used ones when
// their total size passes MaxBytes. It is safe for concurrent use.
type Cache[V any] struct {
	ttl      time.Duration
	maxBytes int64
	now      func() time.Time

	mu    sync.Mutex
	bytes int64
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type entry[V any] struct {
	key     string
	value   V
	size    int64
	expires time.Time
}

// New returns a cache; a value larger than maxBytes is never kept.
func New[V any](ttl time.Duration, maxBytes int64) *Cache[V] {
	return &Cache[V]{ttl: ttl, maxBytes: maxBytes, now: time.Now, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the value for key if it has not expired.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[V])
	if !c.now().Before(e.expires) {
		c.remove(el)
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

// Put stores value, which costs size bytes of the budget.
func (c *Cache[V]) Put(key string, value V, size int64) {
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&entry[V]{key: key, value: value, size: size, expires: c.now().Add(c.ttl)})
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

// Bytes is the size of what the cache holds.
func (c *Cache[V]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func (c *Cache[V]) remove(el *list.Element) {
	e := c.order.Remove(el).(*entry[V])
	delete(c.items, e.key)
	c.bytes -= e.size
}
