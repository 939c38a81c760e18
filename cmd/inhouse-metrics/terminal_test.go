package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// hostile is text a service can put in a series name, a label, a table
// cell, a notice or an error body, each meant for the user's terminal.
var hostile = []struct{ name, text, escaped string }{
	{"window title (OSC 0)", "cpu\x1b]0;pwned\x07", `cpu\x1b]0;pwned\x07`},
	{"clear screen (CSI 2J)", "\x1b[2Jcpu", `\x1b[2Jcpu`},
	{"clipboard (OSC 52)", "\x1b]52;c;cm0gLXJmIH4=\x1b\\", `\x1b]52;c;cm0gLXJmIH4=\x1b\`},
	{"8-bit CSI as UTF-8", "cpu\u009b2J", `cpu\u009b2J`},
	{"8-bit CSI as a raw byte", "cpu\x9b2J", `cpu\x9b2J`},
	{"a line of its own", "cpu\r\n[A] error: fake", `cpu\x0d\x0a[A] error: fake`},
	{"DEL and backspace", "cpu\x7f\x08", `cpu\x7f\x08`},
	{"bidirectional override", "cpu\u202eusc", `cpu\u202eusc`},
}

// terminalSafe fails when out holds anything a terminal acts on: a
// control byte other than the newline that ends each line, a C1 control,
// a bidirectional override, or bytes that are not UTF-8.
func terminalSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not UTF-8: %q", out)
	}
	for _, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			t.Fatalf("output holds %U: %q", r, out)
		}
	}
}

// Every command prints service text escaped: health messages, query
// errors, notices, series names and labels, table names and cells, the
// --follow stream's channel, columns, notices and rows, and the final
// error line.
func TestControlCharactersAreEscaped(t *testing.T) {
	printers := map[string]func(w *bytes.Buffer, s string){
		"health": func(w *bytes.Buffer, s string) {
			printHealth(w, &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: s})
		},
		"query error": func(w *bytes.Buffer, s string) {
			printResponse(w, "A", backend.DataResponse{Error: errors.New(s), Status: 502})
		},
		"series name, label and notice": func(w *bytes.Buffer, s string) {
			f := data.NewFrame("", data.NewField("time", nil, []float64{1}), data.NewField(s, data.Labels{s: s}, []float64{1}))
			f.Meta = &data.FrameMeta{Notices: []data.Notice{{Text: s}}}
			printResponse(w, "A", backend.DataResponse{Frames: data.Frames{f}})
		},
		"legend": func(w *bytes.Buffer, s string) {
			v := data.NewField("v", nil, []float64{1})
			v.Config = &data.FieldConfig{DisplayNameFromDS: s}
			printResponse(w, "A", backend.DataResponse{Frames: data.Frames{data.NewFrame("", data.NewField("time", nil, []float64{1}), v)}})
		},
		"table": func(w *bytes.Buffer, s string) {
			f := data.NewFrame(s, data.NewField(s, nil, []*string{&s}), data.NewField("n", nil, []string{s}))
			f.Meta = &data.FrameMeta{Type: data.FrameTypeTable}
			printResponse(w, "A", backend.DataResponse{Frames: data.Frames{f}})
		},
		"follow": func(w *bytes.Buffer, s string) {
			f := wide([]int{1}, s)
			f.Meta.Notices = []data.Notice{{Text: s}}
			raw, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			p := &rowPrinter{w: w, refID: "A"}
			if err := p.packet(raw); err != nil {
				t.Fatal(err)
			}
		},
		"error line": func(w *bytes.Buffer, s string) { printError(w, errors.New("POST /query: "+s)) },
	}
	for _, h := range hostile {
		for name, print := range printers {
			t.Run(name+"/"+h.name, func(t *testing.T) {
				var w bytes.Buffer
				print(&w, h.text)
				terminalSafe(t, w.String())
				want := h.escaped
				if name == "error line" { // its newlines become "; "
					want = strings.ReplaceAll(want, `\x0a`, "; ")
				}
				if !strings.Contains(w.String(), want) {
					t.Errorf("the escaped text %q is missing from %q", want, w.String())
				}
			})
		}
	}
}

func TestPrintableKeepsPlainText(t *testing.T) {
	for _, s := range []string{"", "cpu_usage{host=web-1}", "CPU-Auslastung °C ▁▂▃", `back\slash`} {
		if got := printable(s); got != s {
			t.Errorf("printable(%q) = %q", s, got)
		}
	}
}
