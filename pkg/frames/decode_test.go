package frames

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // fragments of the message
	}{
		{"plain ok", "ok", []string{"not a JSON array", `"ok"`}},
		{"html", "<html><body>Hello</body></html>", []string{"not a JSON array", "<html>"}},
		{"object instead of array", `{"data":[]}`, []string{"not a JSON array"}},
		{"truncated", `[{"target":"a","datapoints":[[1,10`, []string{"truncated"}},
		{"item not an object", `[1]`, []string{"item 0", "want an object"}},
		{"unknown shape", `[{"foo":1}]`, []string{"item 0", `"datapoints"`}},
		{"value is a bool", `[{"target":"a","datapoints":[[true,1000]]}]`, []string{`item 0 ("a")`, "point 0", "value", "want a number, got a boolean"}},
		{"value is junk string", `[{"target":"a","datapoints":[["abc",1000]]}]`, []string{"point 0: value", `"abc"`}},
		{"timestamp null", `[{"target":"a","datapoints":[[1,null]]}]`, []string{"point 0: timestamp", "null"}},
		{"timestamp missing", `[{"target":"a","datapoints":[[1]]}]`, []string{"timestamp is missing"}},
		{"timestamp out of range", `[{"target":"a","datapoints":[[1,1e300]]}]`, []string{"timestamp", "1678"}},
		{"datapoints not array", `[{"target":"a","datapoints":{}}]`, []string{"datapoints", "want an array, got an object"}},
		{"malformed", `[{"target":"a",,}]`, []string{"malformed JSON"}},
		{"table bad number", `[{"columns":[{"text":"v","type":"number"}],"rows":[["x"]]}]`, []string{"table 0", `column "v"`, "row 0", `"x"`}},
		{"table bad time", `[{"columns":[{"text":"t","type":"time"}],"rows":[["yesterday"]]}]`, []string{"RFC3339", "yesterday"}},
		{"table bad boolean", `[{"columns":[{"text":"b","type":"bool"}],"rows":[[true],["x"]]}]`, []string{"table 0", `column "b"`, "row 1", `want a boolean, got the string "x"`}},
		{"table bad time type", `[{"columns":[{"text":"t","type":"time"}],"rows":[[true]]}]`, []string{`column "t"`, "row 0", "want epoch milliseconds or an RFC3339 time, got the boolean true"}},
		{"table time out of range", `[{"columns":[{"text":"t","type":"time"}],"rows":[[1e300]]}]`, []string{`column "t"`, "row 0", "1678"}},
		{"table array in a number column", `[{"columns":[{"text":"v","type":"number"}],"rows":[[[1]]]}]`, []string{`column "v"`, "row 0", "want a number, got an array"}},
		{"table first bad cell by column, then row", `[{"columns":[{"text":"a","type":"number"},{"text":"b","type":"number"}],"rows":[[1,"x"],["y",2]]}]`, []string{`table 0: column "a": row 1:`, `"y"`}},
		{"table row not an array", `[{"columns":["a"],"rows":[[1],5]}]`, []string{"item 0: rows: row 1: want an array of cells, got the number 5"}},
		{"table rows without columns", `[{"rows":[[1],[2]]}]`, []string{"table 0", `has 2 rows but no "columns"`}},
		{"table malformed after a bad cell", `[{"columns":[{"text":"a","type":"number"}],"rows":[["x"]],"z":[1,]}]`, []string{"malformed JSON"}},
		{"frame values not an array", `[{"fields":[{"name":"a","values":5}]}]`, []string{`field 0 ("a")`, "want an array, got the number 5"}},
		{"frame bad time", `[{"fields":[{"name":"t","type":"time","values":["x"]},{"name":"v","values":[1]}]}]`, []string{"frame 0", `field "t": row 0`, "RFC3339"}},
		{"frame bad number", `[{"fields":[{"name":"t","type":"time","values":[1]},{"name":"v","type":"number","values":[true]}]}]`, []string{"frame 0", `field "v": row 0`, "want a number, got the boolean true"}},
		{"frame fields of different length", `[{"fields":[{"name":"a","values":[1]},{"name":"b","values":[1,2]}]}]`, []string{"frame 0", "same number of values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.body), 0)
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("error %T is not a *DecodeError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A reader error (size limit, reset, timeout) must stay matchable so the
// client can report the real cause rather than "malformed JSON".
func TestDecodeKeepsReaderErrors(t *testing.T) {
	boom := errors.New("connection reset by peer")
	r := io.MultiReader(strings.NewReader(`[{"target":"a","datapoints":[[1,1000],`), errReader{boom})
	_, err := Decode(r, 0)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the reader's error", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// A huge maxDataPoints must not make the decoder allocate for it.
func TestDecodeHugeSizeHint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Decode(strings.NewReader(`[{"target":"a","datapoints":[[1,1000]]}]`), math.MaxInt32); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("allocated %d MB for a one-point answer", grown>>20)
	}
}

// stuckReader returns nothing, and no error, for ever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestDecodeGivesUpOnAReaderThatMakesNoProgress(t *testing.T) {
	_, err := Decode(io.MultiReader(strings.NewReader(`[{"target":"a","datapoints":[[1,`), stuckReader{}), 0)
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// FuzzDecode: any body a service sends decodes to frames or to an error,
// never a panic, and decoded series always come out sorted and typed.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, `null`, `[]`, `ok`, `<html>`, `{"a":1}`,
		`[{"target":"a","datapoints":[[1,1000],[null,999],["2","3000"],["NaN",4000.5]],"tags":{"k":"v"}}]`,
		`[{"type":"table","columns":[{"text":"t","type":"time"},{"text":"v"}],"rows":[[1000,1],["2020-01-01T00:00:00Z",null]]}]`,
		`[{"columns":["a"],"rows":[[1,2],[]]}]`,
		`[{"name":"f","fields":[{"name":"time","type":"time","values":[1,2]},{"name":"v","values":[1,null],"labels":{"a":"b"}}]}]`,
		`[{"target":"a","datapoints":[[1,1e300]]}]`,
		`[{"target":"a","datapoints":[[1,10`,
		`[{"data":{"values":[[1,2],["a",null]]},"schema":{"name":"f","fields":[{"name":"time","type":"time"},{"name":"s","labels":{"a":"b"}}]}}]`,
		`[{"columns":[],"rows":[[1]]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := Decode(bytes.NewReader(body), 16)
		// The same body arriving a few bytes at a time decodes the same.
		b, errChunked := Decode(&chunkReader{b: body, n: 3}, 16)
		if (err == nil) != (errChunked == nil) {
			t.Fatalf("whole body: %v; in chunks: %v", err, errChunked)
		}
		if err != nil {
			return
		}
		if points(a) != points(b) || len(a.Series) != len(b.Series) || len(a.Tables) != len(b.Tables) {
			t.Fatalf("whole body: %d points, %d series, %d tables; in chunks: %d, %d, %d",
				points(a), len(a.Series), len(a.Tables), points(b), len(b.Series), len(b.Tables))
		}
		for _, s := range a.Series {
			if s.Time.Len() != s.Value.Len() || s.Time.Type() != data.FieldTypeTime ||
				(s.Value.Type() != data.FieldTypeNullableFloat64 && s.Value.Type() != data.FieldTypeFloat64) {
				t.Fatalf("malformed series %q", s.Name)
			}
			for i := 1; i < s.Time.Len(); i++ {
				if s.Time.At(i).(interface{ UnixNano() int64 }).UnixNano() < s.Time.At(i-1).(interface{ UnixNano() int64 }).UnixNano() {
					t.Fatalf("series %q not sorted", s.Name)
				}
			}
		}
		frames, err := a.Frames(Options{ForAlerting: len(a.Tables) == 0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := frames.MarshalArrow(); err != nil {
			t.Fatalf("frames do not encode: %v", err)
		}
	})
}

// points counts the data points of all series of a.
func points(a *Answer) int {
	n := 0
	for _, s := range a.Series {
		n += s.Time.Len()
	}
	return n
}

// chunkReader hands out its bytes a few at a time, so tokens straddle the
// scanner's refills.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// An answer that is not JSON is quoted from its start; a secret the
// service echoed there is scrubbed before the quote cuts it short.
func TestNotJSONQuoteIsScrubbedBeforeTheCut(t *testing.T) {
	body := strings.Repeat("x", 50) + "Bearer SECRET-KEY-12345 and more"
	_, err := DecodeWith(strings.NewReader(body), 0, DecodeOptions{Scrub: func(s string) string {
		return strings.ReplaceAll(s, "SECRET-KEY-12345", "[redacted]")
	}})
	if err == nil || strings.Contains(err.Error(), "SECR") || !strings.Contains(err.Error(), "Bearer [re") {
		t.Errorf("error %v", err)
	}
}
