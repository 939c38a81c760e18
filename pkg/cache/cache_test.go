package cache

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	clock := time.Unix(0, 0)
	c := New[string](10*time.Second, 100)
	c.now = func() time.Time { return clock }

	steps := []struct {
		do        func()
		key       string
		want      string
		found     bool
		wantBytes int64
	}{
		{do: func() { c.Put("a", "A", 40) }, key: "a", want: "A", found: true, wantBytes: 40},
		{do: func() { c.Put("b", "B", 40) }, key: "b", want: "B", found: true, wantBytes: 80},
		// "a" was used more recently than "b" by the Get below, so "b" goes.
		{do: func() { c.Get("a"); c.Put("c", "C", 40) }, key: "b", found: false, wantBytes: 80},
		{do: func() {}, key: "a", want: "A", found: true, wantBytes: 80},
		{do: func() { c.Put("huge", "H", 101) }, key: "huge", found: false, wantBytes: 80},
		{do: func() { c.Put("a", "A2", 10) }, key: "a", want: "A2", found: true, wantBytes: 50},
		{do: func() { clock = clock.Add(10 * time.Second) }, key: "a", found: false, wantBytes: 40},
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
