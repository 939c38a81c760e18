// Package live streams a metric query's new points to Grafana Live: the
// channel a query streams on and what a subscription carries (this file
// and subscription.go), the wide frame a stream sends (layout.go) and the
// poll loop that feeds it (stream.go). Polls go through the plugin's one
// pipeline, as every other call to the service; this package only decides
// when to poll, which window to ask for and what of the answer is new.
//
// Channels are stateless: the subscription's data is the query's model,
// and the channel's path is a hash of the org, the data source and that
// model, so any plugin process (a restarted one, another replica's) can
// serve any channel, and a path runs no query but its own.
package live

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// pathPrefix starts every channel path this plugin serves; the rest is a
// hash, since Grafana bounds a whole channel name to 160 characters and a
// query's model alone may be longer.
const pathPrefix = "live/"

// hashLen is the hash's length in base64url characters: 22 characters
// hold 128 bits, too many for two queries to meet by chance or by search.
const hashLen = 22

var pathPattern = regexp.MustCompile(`^live/[A-Za-z0-9_-]{22}$`)

// The ways a subscription is refused; the messages say what to do.
var (
	ErrMalformedPath = errors.New("this is not a live channel of the In-house Metrics data source (paths look like live/<22 characters>); open the panel again so its query makes a new one")
	ErrNoData        = errors.New("the subscription carries no query: the plugin keeps no channel state, and the panel's frontend subscribes with its query as the subscription's data; refresh the panel (a frontend older than the plugin subscribes without it)")
	ErrDataMismatch  = errors.New("the subscription's query does not hash to the channel's path: a channel streams only the query it was made for")
)

// Path is the channel path of a live query: a hash of the org, the data
// source and the query's model as QueryData received it (DataQuery.JSON).
// The same query in two panels of one org shares one channel, so one poll
// serves both; the same uid in two orgs does not. The model is hashed in a
// canonical form (keys sorted, no whitespace, numbers and strings written
// one way), so the bytes Grafana re-serialised and the object a frontend
// subscribes with hash the same.
func Path(org, dsUID string, model json.RawMessage) (string, error) {
	canon, err := Canonical(model)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", org, dsUID)
	h.Write(canon)
	return pathPrefix + base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:hashLen], nil
}

// Check tells whether data may run on path for the org's data source:
// ErrMalformedPath for a path the plugin never makes, ErrNoData without
// data, ErrDataMismatch when data hashes to another path.
func Check(org, dsUID, path string, data json.RawMessage) error {
	if !pathPattern.MatchString(path) {
		return fmt.Errorf("%w (got %q)", ErrMalformedPath, clip(path))
	}
	if len(data) == 0 {
		return ErrNoData
	}
	want, err := Path(org, dsUID, data)
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrDataMismatch, err)
	}
	if want != path {
		return ErrDataMismatch
	}
	return nil
}

// Canonical writes a JSON object in one form whatever form it came in:
// Grafana 9.3.2's /api/ds/query decodes each query (numbers kept as
// written) and encodes it again with Go's encoder (keys sorted, no
// whitespace, <, > and & escaped), while a browser writes keys in
// insertion order and escapes nothing. Numbers are written as float64s
// print, which is also how the plugin reads them.
func Canonical(model json.RawMessage) ([]byte, error) {
	var v any
	if err := json.Unmarshal(model, &v); err != nil {
		return nil, fmt.Errorf("the query is not valid JSON: %v", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("the query is not a JSON object")
	}
	return appendCanonical(nil, v), nil
}

func appendCanonical(b []byte, v any) []byte {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			b = appendCanonical(b, v[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case string:
		return strconv.AppendQuote(b, v)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	}
	return append(b, "null"...)
}

// Org names the org a request comes from as Grafana's namespaces do
// ("default" for org 1, "org-<id>" for the others): from the namespace
// that Grafana 11 and later send, else from the org id that earlier
// versions send alone, so an org's channels are the same paths whichever
// a host sends.
func Org(pc backend.PluginContext) string {
	if pc.Namespace != "" {
		return pc.Namespace
	}
	//lint:ignore SA1019 Grafana before 11 sends the org id and no namespace.
	id := pc.OrgID
	if id == 1 {
		return "default"
	}
	return fmt.Sprintf("org-%d", id)
}

// Channel is the whole Grafana Live channel name of a path.
func Channel(dsUID, path string) string { return "ds/" + dsUID + "/" + path }

// Meta is what a live query's frames carry in meta.custom.live: the
// channel, and in the query's answer also the subscription data (the
// query's model as QueryData received it), which the frontend subscribes
// with. The channel is not meta.channel: Grafana's frontend subscribes to
// a meta.channel by itself, without data, which no stateless plugin can
// serve.
type Meta struct {
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// MetaOf reads a frame's live metadata, as a frame decoded from JSON or
// Arrow holds it.
func MetaOf(f *data.Frame) (Meta, bool) {
	if f == nil || f.Meta == nil || f.Meta.Custom == nil {
		return Meta{}, false
	}
	b, err := json.Marshal(f.Meta.Custom)
	if err != nil {
		return Meta{}, false
	}
	var c struct {
		Live *Meta `json:"live"`
	}
	if json.Unmarshal(b, &c) != nil || c.Live == nil || c.Live.Channel == "" {
		return Meta{}, false
	}
	return *c.Live, true
}

// Entry is one running stream's state: the query, the series its frames
// carry so far and the newest point sent. The query is a copy the entry
// owns; the rest changes under mu.
type Entry struct {
	dsUID, path string
	query       models.Query

	mu      sync.Mutex
	layout  *Layout
	newest  time.Time // the newest point a frame of this channel carried
	running int       // RunStream calls serving this channel
}

// NewEntry starts a stream's state. newest is the newest point the
// subscriber already holds, zero when unknown: the stream then asks for
// the query's whole span first.
func NewEntry(dsUID, path string, q *models.Query, newest time.Time) *Entry {
	return &Entry{dsUID: dsUID, path: path, query: *q, newest: newest}
}

// Schema is the channel's frame as its subscribers hold it, without rows.
func (e *Entry) Schema() *data.Frame {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.layout == nil {
		return e.Dress(NewLayout(e.query.Alias).Schema(), "")
	}
	return e.Dress(e.layout.Schema(), "")
}

// Dress gives a frame that carries the schema what the panel's first
// frame had: Grafana's streaming frame takes its refId and metadata from
// each schema it receives, so without them the panel would lose its
// query's refId, and the query inspector its request, at the first packet.
// executed is the request as sent, "" to leave it out.
func (e *Entry) Dress(f *data.Frame, executed string) *data.Frame {
	return dress(f, e.query.RefID, Meta{Channel: Channel(e.dsUID, e.path)}, executed)
}

// Answer dresses a live query's answer: the channel and the subscription
// data in its metadata, and its refId.
func Answer(f *data.Frame, refID string, m Meta, executed string) *data.Frame {
	return dress(f, refID, m, executed)
}

func dress(f *data.Frame, refID string, m Meta, executed string) *data.Frame {
	f.RefID = refID
	if f.Meta == nil {
		f.Meta = &data.FrameMeta{}
	}
	f.Meta.Custom = map[string]any{"live": m}
	if executed != "" {
		f.Meta.ExecutedQueryString = executed
	}
	return f
}

// Running holds the streams this data source instance runs, by path, so
// a viewer who joins a running stream gets its current schema as initial
// data, and two RunStreams of one channel share one state. It copies
// nothing: an entry is the running stream's own state, and it leaves when
// the channel's last stream ends, so it is bounded by the streams Grafana
// runs, each of which holds that state anyway.
type Running struct {
	mu      sync.Mutex
	entries map[string]*slot
}

type slot struct {
	e *Entry
	n int // streams of this channel between Join and Leave
}

// NewRunning makes an empty set.
func NewRunning() *Running { return &Running{entries: map[string]*slot{}} }

// Join returns the entry of path's running stream, or fresh() when none
// runs; the caller's stream counts until it calls Leave.
func (r *Running) Join(path string, fresh func() *Entry) *Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.entries[path]
	if !ok {
		s = &slot{e: fresh()}
		r.entries[path] = s
	}
	s.n++
	return s.e
}

// Leave ends one stream of e; the last one forgets it.
func (r *Running) Leave(e *Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.entries[e.path]
	if !ok || s.e != e {
		return
	}
	if s.n--; s.n == 0 {
		delete(r.entries, e.path)
	}
}

// Lookup finds path's running stream.
func (r *Running) Lookup(path string) (*Entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.entries[path]
	if !ok {
		return nil, false
	}
	return s.e, true
}

// Len is the number of channels with a running stream.
func (r *Running) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// clip keeps a refused path short enough to quote in a log line.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
