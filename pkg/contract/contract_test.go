package contract

import (
	"encoding/json"
	"testing"
	"time"
)

// Times go out with milliseconds always, as JavaScript's toISOString
// writes them, and read back in any RFC3339 form.
func TestRangeJSON(t *testing.T) {
	from := time.Date(2026, 11, 28, 21, 39, 3, 0, time.FixedZone("CET", 3600))
	r := Range{From: from, To: from.Add(1500 * time.Microsecond), Raw: RawRange{From: "now-1h", To: "now"}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"from":"2026-11-28T20:39:03.000Z","to":"2026-11-28T20:39:03.001Z","raw":{"from":"now-1h","to":"now"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Range
	if err := json.Unmarshal(b, &back); err != nil || !back.From.Equal(from) || back.Raw.From != "now-1h" {
		t.Errorf("read back %+v, %v", back, err)
	}
}
