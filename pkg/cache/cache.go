// Package cache is a small byte-bounded cache with a time to live, for
// answers of the in-house service that many panels ask for at once.
package cache

import (
	"container/list"
	"sync"
	"time"
)

// EntryOverhead is what one entry costs besides its key and value: the
// map slot, two list elements and the entry itself. Counting it keeps a
// flood of empty answers inside the budget.
const EntryOverhead = 256

// Cache keeps values for TTL, evicting the least recently used ones when
// their total size passes MaxBytes. It is safe for concurrent use.
type Cache[V any] struct {
	ttl      time.Duration
	maxBytes int64
	now      func() time.Time

	mu    sync.Mutex
	bytes int64
	order *list.List // front: most recently used
	// expiry holds the same entries in the order they expire: with one
	// TTL for all, that is the order they were put. Expired ones are
	// dropped from its front on every call, so keys that are never asked
	// for again (relative time ranges make new ones on every refresh) do
	// not stay until the budget pushes them out.
	expiry *list.List
	items  map[string]*entry[V]
}

type entry[V any] struct {
	key     string
	value   V
	size    int64
	expires time.Time
	lru     *list.Element
	exp     *list.Element
}

// New returns a cache; a value larger than maxBytes is never kept.
func New[V any](ttl time.Duration, maxBytes int64) *Cache[V] {
	return &Cache[V]{ttl: ttl, maxBytes: maxBytes, now: time.Now, order: list.New(), expiry: list.New(), items: map[string]*entry[V]{}}
}

// Get returns the value for key if it has not expired.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep()
	var zero V
	e, ok := c.items[key]
	if !ok {
		return zero, false
	}
	c.order.MoveToFront(e.lru)
	return e.value, true
}

// Put stores value, which costs size bytes of the budget besides its key
// and EntryOverhead.
func (c *Cache[V]) Put(key string, value V, size int64) {
	size += int64(len(key)) + EntryOverhead
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep()
	if old, ok := c.items[key]; ok {
		c.remove(old)
	}
	e := &entry[V]{key: key, value: value, size: size, expires: c.now().Add(c.ttl)}
	e.lru = c.order.PushFront(e)
	e.exp = c.expiry.PushBack(e)
	c.items[key] = e
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back().Value.(*entry[V]))
	}
}

// Bytes is the size of what the cache holds.
func (c *Cache[V]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep()
	return c.bytes
}

// Len is the number of entries the cache holds.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep()
	return len(c.items)
}

// sweep drops every expired entry; c.mu is held.
func (c *Cache[V]) sweep() {
	now := c.now()
	for front := c.expiry.Front(); front != nil; front = c.expiry.Front() {
		e := front.Value.(*entry[V])
		if now.Before(e.expires) {
			return
		}
		c.remove(e)
	}
}

func (c *Cache[V]) remove(e *entry[V]) {
	c.order.Remove(e.lru)
	c.expiry.Remove(e.exp)
	delete(c.items, e.key)
	c.bytes -= e.size
}
