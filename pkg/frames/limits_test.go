package frames

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// endless repeats an element for ever, so a decode that does not stop at
// its limit never returns.
type endless struct{ elem []byte }

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n+len(e.elem) <= len(p) {
		n += copy(p[n:], e.elem)
	}
	return n, nil
}

func TestDecodeLimits(t *testing.T) {
	small := Limits{Points: contract.Limit{Max: 10}, Cells: contract.Limit{Max: 12}}
	tests := []struct {
		name   string
		body   io.Reader
		limits Limits
		want   string // "points", "cells", or "" for no error
	}{
		{"points at the limit", strings.NewReader(`[{"target":"a","datapoints":[` + repeat(`[1,1000]`, 10) + `]}]`), small, ""},
		{"points over the limit in one series", strings.NewReader(`[{"target":"a","datapoints":[` + repeat(`[1,1000]`, 11) + `]}]`), small, "points"},
		{"points over the limit in odd points", strings.NewReader(`[{"target":"a","datapoints":[` + repeat(`["1",1000]`, 11) + `]}]`), small, "points"},
		{"points over the limit across series", strings.NewReader(`[{"target":"a","datapoints":[` + repeat(`[1,1000]`, 6) + `]},{"target":"b","datapoints":[` + repeat(`[1,1000]`, 5) + `]}]`), small, "points"},
		{"an endless series stops at the limit", io.MultiReader(strings.NewReader(`[{"target":"a","datapoints":[[1,1000]`), endless{[]byte(`,[1,1000]`)}), small, "points"},
		{"points of frames", strings.NewReader(`[{"fields":[{"name":"t","type":"time","values":[1,2,3,4]},{"name":"a","values":[1,2,3,4]},{"name":"b","values":[1,2,3,4]},{"name":"c","values":[1,2,3,4]}]}]`), Limits{Points: contract.Limit{Max: 10}, Cells: contract.Limit{Max: 100}}, "points"},
		// Cells: 2 columns (a cell each) and 5 rows of 2 fill the 12.
		{"cells at the limit", strings.NewReader(`[{"columns":["a","b"],"rows":[` + repeat(`[1,2]`, 5) + `]}]`), small, ""},
		{"cells over the limit", strings.NewReader(`[{"columns":["a","b"],"rows":[` + repeat(`[1,2]`, 6) + `]}]`), small, "cells"},
		{"short rows' nulls count", strings.NewReader(`[{"columns":["a","b"],"rows":[` + repeat(`[1]`, 6) + `]}]`), small, "cells"},
		{"cells of rows before columns", strings.NewReader(`[{"rows":[` + repeat(`[1,2]`, 7) + `],"columns":["a","b"]}]`), small, "cells"},
		{"short rows before columns", strings.NewReader(`[{"rows":[` + repeat(`[1]`, 6) + `],"columns":["a","b"]}]`), small, "cells"},
		{"an endless table stops at the limit", io.MultiReader(strings.NewReader(`[{"columns":["a","b"],"rows":[[1,2]`), endless{[]byte(`,[1,2]`)}), small, "cells"},
		{"an endless row before columns stops at the limit", io.MultiReader(strings.NewReader(`[{"rows":[[1`), endless{[]byte(`,1`)}), small, "cells"},
		{"cells of frames", strings.NewReader(`[{"fields":[{"name":"s","values":["a","b","c","d","e","f"]},{"name":"n","values":[1,2,3,4,5,6]}]}]`), small, "cells"},
		{"an array in a cell", strings.NewReader(`[{"columns":["a"],"rows":[[[1,2,3,4,5,6,7,8,9,10,11]]]}]`), small, "cells"},
		// Series: each "datapoints" item and each number field of a frame.
		{"series at the limit", strings.NewReader(`[` + repeat(`{"target":"a","datapoints":[[1,1000]]}`, 3) + `]`), Limits{Series: contract.Limit{Max: 3}}, ""},
		{"series over the limit", strings.NewReader(`[` + repeat(`{"target":"a","datapoints":[[1,1000]]}`, 4) + `]`), Limits{Series: contract.Limit{Max: 3}}, "series"},
		{"an endless list of series stops at the limit", io.MultiReader(strings.NewReader(`[{"target":"a","datapoints":[[1,1000]]}`), endless{[]byte(`,{"target":"a","tags":{"host":"h"},"datapoints":[[1,1000]]}`)}), Limits{Series: contract.Limit{Max: 1000}}, "series"},
		{"series of frames", strings.NewReader(`[{"fields":[{"name":"t","type":"time","values":[1]},{"name":"a","values":[1]},{"name":"b","values":[1]}]},{"fields":[{"name":"t","type":"time","values":[1]},{"name":"c","values":[1]},{"name":"d","values":[1]}]}]`), Limits{Series: contract.Limit{Max: 3}}, "series"},
		{"tables are not series", strings.NewReader(`[` + repeat(`{"columns":["a"],"rows":[[1]]}`, 4) + `]`), Limits{Series: contract.Limit{Max: 3}}, ""},
		{"no series limit by default", strings.NewReader(`[` + repeat(`{"target":"a","datapoints":[]}`, 20_000) + `]`), Limits{}, ""},
		{"defaults apply to a zero Limits", strings.NewReader(`[{"columns":["a"],"rows":[[1]]}]`), Limits{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWith(tt.body, 0, DecodeOptions{Limits: tt.limits})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var de *DecodeError
			var le *LimitError
			if !errors.As(err, &de) || !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *DecodeError wrapping a *LimitError", err, err)
			}
			limit := tt.limits.withDefaults()
			if le.What != tt.want || (le.What == "points" && le.Limit != limit.Points) || (le.What == "cells" && le.Limit != limit.Cells) || (le.What == "series" && le.Limit != limit.Series) {
				t.Errorf("limit %s %+v, want %s", le.What, le.Limit, tt.want)
			}
			if de.Where != "" || !strings.HasPrefix(err.Error(), "the answer has more than ") {
				t.Errorf("error %q does not read as the answer's", err)
			}
		})
	}
}

func TestLimitErrorText(t *testing.T) {
	tests := []struct {
		err  *LimitError
		want string
	}{
		{&LimitError{What: "points", Limit: contract.Limit{Max: MaxPointsPerAnswer}, Narrow: narrowPoints}, "the answer has more than 10,000,000 points, the plugin's limit for one query; narrow the query (a shorter range, fewer series, or a coarser interval)"},
		{&LimitError{What: "cells", Limit: contract.Limit{Max: MaxCellsPerAnswer, Setting: `"Maximum table cells" in the data source's settings`, Raise: "raise the setting"}, Narrow: narrowCells}, `the answer has more than 10,000,000 cells, the limit set by "Maximum table cells" in the data source's settings; narrow the query (a shorter range, fewer rows, or fewer columns) or raise the setting`},
		{&LimitError{What: "series", Limit: contract.Limit{Max: 10_000, Setting: `"Maximum series" in the data source's settings`, Raise: "raise the setting"}, Narrow: narrowSeries}, `the answer has more than 10,000 series, the limit set by "Maximum series" in the data source's settings; narrow the query (fewer series) or raise the setting`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 10_000_000: "10,000,000", -1234567: "-1,234,567"} {
		if got := contract.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// repeat joins n copies of elem with commas.
func repeat(elem string, n int) string {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(elem)
	}
	return b.String()
}
