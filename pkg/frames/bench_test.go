package frames

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fastjson"
)

// answer builds a /query answer of points spread over 10 series, in the
// shape the reference server writes.
func answer(points int) []byte {
	const series = 10
	var b bytes.Buffer
	b.WriteByte('[')
	per := points / series
	for s := 0; s < series; s++ {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"target":"cpu_usage","tags":{"host":"h%d","region":"eu"},"datapoints":[`, s)
		for i := 0; i < per; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('[')
			b.WriteString(strconv.FormatFloat(float64(i%1000)*0.731+float64(s), 'f', -1, 64))
			b.WriteByte(',')
			b.WriteString(strconv.FormatInt(1700000000000+int64(i)*1000, 10))
			b.WriteByte(']')
		}
		b.WriteString("]}")
	}
	b.WriteByte(']')
	return b.Bytes()
}

var sizes = []int{1_000, 100_000, 1_000_000}

func perPoint(b *testing.B, points int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(points), "ns/point")
}

// eachSize runs pass over answers of every size, reporting bytes/s,
// allocations and ns per point. newPass is called once per size, so a
// pass can keep state (a reusable parser) across iterations.
func eachSize(b *testing.B, newPass func() func(body []byte, points int) error) {
	for _, n := range sizes {
		body := answer(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			pass := newPass()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			// Peak RSS of one pass, outside the timed loop, where the
			// garbage of earlier iterations would count too.
			base, peakOK := resetPeakRSS()
			if err := pass(body, n); err != nil {
				b.Fatal(err)
			}
			peak, ok := readKB("VmHWM:")
			for b.Loop() {
				if err := pass(body, n); err != nil {
					b.Fatal(err)
				}
			}
			perPoint(b, n)
			if ok && peakOK {
				b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
				b.ReportMetric(float64(peak-base)/1024, "peak-RSS-growth-MB")
			}
		})
	}
}

// BenchmarkDecodeConvert is the plugin's path: streaming decode, frames,
// Arrow encoding (what goes over the plugin protocol).
func BenchmarkDecodeConvert(b *testing.B) {
	eachSize(b, func() func([]byte, int) error {
		return func(body []byte, n int) error {
			a, err := Decode(bytes.NewReader(body), n/10)
			if err != nil {
				return err
			}
			frames, err := a.Frames(Options{})
			if err != nil {
				return err
			}
			_, err = frames.MarshalArrow()
			return err
		}
	})
}

// BenchmarkDecode is the decode into frame fields alone, without Arrow.
func BenchmarkDecode(b *testing.B) {
	eachSize(b, func() func([]byte, int) error {
		return func(body []byte, n int) error {
			_, err := Decode(bytes.NewReader(body), n/10)
			return err
		}
	})
}

// BenchmarkTokenizeJSONText is the limit: only tokenising the same bytes
// with jsontext, reading every number's bytes and nothing else.
func BenchmarkTokenizeJSONText(b *testing.B) {
	eachSize(b, func() func([]byte, int) error {
		return func(body []byte, _ int) error {
			dec := jsontext.NewDecoder(bytes.NewReader(body))
			for {
				if dec.PeekKind() == '0' {
					if _, err := dec.ReadValue(); err != nil {
						return err
					}
					continue
				}
				if _, err := dec.ReadToken(); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
			}
		}
	})
}

// BenchmarkParseFastJSON is the other candidate limit: fastjson parses
// the whole body (it has no token API), reusing its parser.
func BenchmarkParseFastJSON(b *testing.B) {
	eachSize(b, func() func([]byte, int) error {
		var p fastjson.Parser
		return func(body []byte, _ int) error {
			_, err := p.ParseBytes(body)
			return err
		}
	})
}

// BenchmarkTokenizeEncodingJSON shows why encoding/json is not the limit.
func BenchmarkTokenizeEncodingJSON(b *testing.B) {
	body := answer(100_000)
	b.Run("100000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(body))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
		perPoint(b, 100_000)
	})
}

// resetPeakRSS returns the memory to the OS and sets the kernel's peak
// RSS mark (VmHWM) back to the current RSS, so the next reading is this
// pass's peak (the process is shared by all passes). It returns the RSS
// it started from; ok is false where /proc does not allow it.
func resetPeakRSS() (baseKB int64, ok bool) {
	runtime.GC()
	debug.FreeOSMemory()
	// "5" resets the peak RSS (Linux 4.0+, proc(5) clear_refs).
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return readKB("VmRSS:")
}

// readKB reads one kB line of /proc/self/status.
func readKB(field string) (int64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if rest, found := strings.CutPrefix(line, field); found {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// tableAnswer builds a table answer of rows rows and cols number columns
// of small integers, the shape that made a 63 MB body cost 2.4 GB.
func tableAnswer(rows, cols int) []byte {
	var b bytes.Buffer
	b.WriteString(`[{"type":"table","columns":[`)
	for j := 0; j < cols; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"text":"c%d","type":"number"}`, j)
	}
	b.WriteString(`],"rows":[`)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa((i*7 + j*13) % 1000))
		}
		b.WriteByte(']')
	}
	b.WriteString("]}]")
	return b.Bytes()
}

// BenchmarkDecodeTable decodes a table of 20 number columns. Besides time
// and allocations per cell it reports, for one decode, what the answer
// holds once the garbage is gone (held-B/cell), what it allocated on the
// way (alloc-B/cell), and its peak RSS growth, also as a multiple of the
// body: the garbage is what drove the peak.
func BenchmarkDecodeTable(b *testing.B) {
	const rows, cols = 200_000, 20
	cells := float64(rows * cols)
	body := tableAnswer(rows, cols)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()

	base, peakOK := resetPeakRSS()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a, err := Decode(bytes.NewReader(body), 0)
	if err != nil {
		b.Fatal(err)
	}
	peak, ok := readKB("VmHWM:")
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
	allocated := float64(after.TotalAlloc - before.TotalAlloc)
	runtime.KeepAlive(a)

	for b.Loop() {
		if _, err := Decode(bytes.NewReader(body), 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/cells, "ns/cell")
	b.ReportMetric(allocated/cells, "alloc-B/cell")
	b.ReportMetric(held/cells, "held-B/cell")
	if ok && peakOK {
		b.ReportMetric(float64(peak-base)/1024, "peak-RSS-growth-MB")
		b.ReportMetric(float64(peak-base)*1024/float64(len(body)), "peak-RSS-growth/body")
	}
}
