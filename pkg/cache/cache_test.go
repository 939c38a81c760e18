package cache

import (
	"fmt"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	clock := time.Unix(0, 0)
	// Every key below is one byte: each entry costs its size + 1 + EntryOverhead.
	const o = 1 + EntryOverhead
	c := New[string](10*time.Second, 100+3*o)
	c.now = func() time.Time { return clock }

	steps := []struct {
		do        func()
		key       string
		want      string
		found     bool
		wantBytes int64
	}{
		{do: func() { c.Put("a", "A", 40) }, key: "a", want: "A", found: true, wantBytes: 40 + o},
		{do: func() { c.Put("b", "B", 40) }, key: "b", want: "B", found: true, wantBytes: 80 + 2*o},
		// "a" was used more recently than "b" by the Get below, so "b" goes.
		{do: func() { c.Get("a"); c.Put("c", "C", 40+o) }, key: "b", found: false, wantBytes: 80 + 3*o},
		{do: func() {}, key: "a", want: "A", found: true, wantBytes: 80 + 3*o},
		{do: func() { c.Put("h", "H", 101+2*o) }, key: "h", found: false, wantBytes: 80 + 3*o},
		{do: func() { c.Put("a", "A2", 10) }, key: "a", want: "A2", found: true, wantBytes: 50 + 3*o},
		{do: func() { clock = clock.Add(10 * time.Second) }, key: "a", found: false, wantBytes: 0},
	}
	for i, s := range steps {
		s.do()
		got, ok := c.Get(s.key)
		if ok != s.found || got != s.want {
			t.Errorf("step %d: Get(%q) = %q, %v; want %q, %v", i, s.key, got, ok, s.want, s.found)
		}
		if c.Bytes() != s.wantBytes {
			t.Errorf("step %d: %d bytes held, want %d", i, c.Bytes(), s.wantBytes)
		}
	}
}

// Keys count against the budget, and so does an entry with an empty
// value: a flood of distinct queries with empty answers stays bounded.
func TestKeysAndEmptyValuesCount(t *testing.T) {
	c := New[string](time.Minute, 1<<20)
	key := string(make([]byte, 64<<10))
	for i := range 2000 {
		c.Put(fmt.Sprint(i)+key, "", 0)
	}
	if b := c.Bytes(); b > 1<<20 {
		t.Errorf("%d bytes held, over the 1 MB budget", b)
	}
	if n := c.Len(); n > 16 {
		t.Errorf("%d entries of 64 KB keys held in a 1 MB budget", n)
	}
}

// Expired entries go on the next call, whatever key it asks for, not only
// when their own key is read again.
func TestExpiredEntriesAreSwept(t *testing.T) {
	clock := time.Unix(0, 0)
	c := New[string](time.Second, 1<<30)
	c.now = func() time.Time { return clock }
	for i := range 2000 {
		c.Put(fmt.Sprint("query-", i), "answer", 100)
		clock = clock.Add(time.Millisecond)
	}
	clock = clock.Add(time.Second)
	c.Put("new", "answer", 100)
	if n := c.Len(); n != 1 {
		t.Errorf("%d entries after every other one expired, want 1", n)
	}
	if b, want := c.Bytes(), int64(100+3+EntryOverhead); b != want {
		t.Errorf("%d bytes held, want %d", b, want)
	}
}
