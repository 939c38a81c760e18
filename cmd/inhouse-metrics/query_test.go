package main

import (
	"strings"
	"testing"
)

// TestQueryFlagErrors runs query with flags a user can get wrong. Each
// must fail with one clear line before the plugin is started; the fake
// plugin would otherwise answer, so a flag that was ignored shows up as a
// success.
func TestQueryFlagErrors(t *testing.T) {
	example := `'{"region":"eu-west"}'`
	tests := []struct {
		name  string
		flags []string
		want  []string
	}{
		// Used to panic with an integer divide by zero.
		{name: "zero max data points", flags: []string{"--max-data-points", "0"}, want: []string{"--max-data-points", "at least 1", "1000"}},
		{name: "negative max data points", flags: []string{"--max-data-points", "-5"}, want: []string{"--max-data-points", "at least 1"}},
		{name: "negative timeout", flags: []string{"--timeout", "-1"}, want: []string{"--timeout", "-1", "0 or more"}},
		{name: "infinite timeout", flags: []string{"--timeout", "Inf"}, want: []string{"--timeout", "0 or more"}},
		{name: "NaN timeout", flags: []string{"--timeout", "NaN"}, want: []string{"--timeout", "0 or more"}},
		// Used to show json.RawMessage's MarshalJSON error.
		{name: "payload not JSON", flags: []string{"--payload", "{region:eu-west}"}, want: []string{"--payload", "not valid JSON", example}},
		{name: "payload cut short", flags: []string{"--payload", `{"region":"eu-west"`}, want: []string{"--payload", "ends", example}},
		{name: "payload with trailing text", flags: []string{"--payload", `{"region":"eu-west"} x`}, want: []string{"--payload", "after the object", example}},
		{name: "payload is an array", flags: []string{"--payload", `["eu-west"]`}, want: []string{"--payload", "JSON object", "an array", example}},
		{name: "payload is a string", flags: []string{"--payload", `"eu-west"`}, want: []string{"--payload", "JSON object", "a string", example}},
		{name: "payload empty", flags: []string{"--payload", ""}, want: []string{"--payload", "empty", example}},
		// Used to be read as epoch milliseconds of 1970.
		{name: "from is epoch seconds", flags: []string{"--from", "1700000000"}, want: []string{"--from", "1700000000", "epoch seconds"}},
		{name: "inverted range", flags: []string{"--from", "2026-11-29", "--to", "2026-11-28"}, want: []string{"--from 2026-11-29", "after", "--to 2026-11-28"}},
		{name: "unparseable time", flags: []string{"--to", "tomorrow"}, want: []string{"--to", `"tomorrow"`, "2026-11-28"}},
	}
	t.Run("no target", func(t *testing.T) {
		args := []string{"query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1"}
		stdout, stderr, code := runCLI(t, args...)
		checkUsageError(t, args, stdout, stderr, code, "--target is required", "inhouse-metrics metrics")
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1", "--target", "cpu_usage"}, tt.flags...)
			stdout, stderr, code := runCLI(t, args...)
			checkUsageError(t, args, stdout, stderr, code, tt.want...)
		})
	}
}

// TestQueryRange checks, through the fake plugin, the time range and
// model the plugin receives for the accepted forms of --from and --to.
func TestQueryRange(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{name: "date only is UTC midnight", flags: []string{"--from", "2026-11-28", "--to", "2026-11-29"}, want: "range 2026-11-28T00:00:00Z..2026-11-29T00:00:00Z points 1000 interval 1m26.4s"},
		{name: "RFC3339", flags: []string{"--from", "2026-11-28T10:00:00+01:00", "--to", "2026-11-28T10:00:00Z"}, want: "range 2026-11-28T09:00:00Z..2026-11-28T10:00:00Z"},
		{name: "epoch milliseconds", flags: []string{"--from", "1700000000000", "--to", "1700003600000", "--max-data-points", "60"}, want: "range 2023-11-14T22:13:20Z..2023-11-14T23:13:20Z points 60 interval 1m0s"},
		{name: "payload passed on", flags: []string{"--from", "2026-11-28", "--to", "2026-11-29", "--payload", ` {"region": "eu-west"} `}, want: `"payload":{"region":"eu-west"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "--plugin", fakePlugin(t), "--url", "http://127.0.0.1:1", "--target", "cpu_usage"}, tt.flags...)
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 || stderr != "" || !strings.Contains(stdout, tt.want) {
				t.Errorf("inhouse-metrics %s: exit %d\nstdout %q\nstderr %q\nwant stdout containing %q", strings.Join(args, " "), code, stdout, stderr, tt.want)
			}
		})
	}
}
