package frames

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	body := `[{"target":"a TOKEN","tags":{"k":"TOKEN"},"datapoints":[[1,1000]]},{"columns":[{"text":"TOKEN col"},{"text":"n"}],"rows":[["x TOKEN",1],[null,2]]}]`
	a, err := Decode(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Redact(func(s string) string { return strings.ReplaceAll(s, "TOKEN", "[redacted]") })
	frames, err := a.Frames(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(frames)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "TOKEN") || strings.Count(string(b), "[redacted]") < 4 {
		t.Errorf("not redacted: %s", b)
	}
}
