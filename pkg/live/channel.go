// Package live streams a metric query's new points to Grafana Live: the
// channel a query streams on (this file), the wide frame a stream sends
// (layout.go) and the poll loop that feeds it (stream.go). Polls go
// through the plugin's one pipeline, as every other call to the service;
// this package only decides when to poll, which window to ask for and
// what of the answer is new.
package live

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// pathPrefix starts every channel path this plugin serves; the rest is a
// hash of the query, since Grafana bounds a whole channel name to 160
// characters and a query's payload alone may be longer.
const pathPrefix = "live/"

// hashLen is the hash's length in base64url characters: 22 characters
// hold 128 bits, too many for two queries to meet by chance.
const hashLen = 22

var pathPattern = regexp.MustCompile(`^live/[A-Za-z0-9_-]{22}$`)

// MaxChannels bounds the queries the registry keeps. Each costs a few
// kilobytes at most (its payload is bounded by models.MaxPayloadBytes,
// usually far less); the oldest is forgotten first.
const MaxChannels = 10_000

// ErrMalformedPath and ErrUnknownPath are the two ways a subscription is
// refused; the messages tell the user what to do.
var (
	ErrMalformedPath = errors.New("this is not a live channel of the In-house Metrics data source (paths look like live/<22 characters>); open the panel again so its query makes a new one")
	ErrUnknownPath   = errors.New("the plugin does not know this live channel: it was restarted, or the query changed since the panel subscribed; refresh the panel to stream again")
)

// Path is the channel path of a live query of one data source: stable
// (the same query in two panels shares one channel, so one poll serves
// both) and bounded (hashLen characters after the prefix). The time range
// is left out: a stream asks for what is new, whatever range the panel
// started from.
func Path(dsUID string, q *models.Query) string {
	key, _ := json.Marshal(struct {
		DS       string `json:"ds"`
		RefID    string `json:"refId"`
		Target   string `json:"target"`
		Payload  any    `json:"payload"`
		Format   string `json:"format"`
		Alias    string `json:"alias"`
		Interval int64  `json:"intervalMs"`
		Filters  any    `json:"filters"`
	}{dsUID, q.RefID, q.Target, q.Payload, q.Format, q.Alias, q.IntervalMs, q.Filters})
	sum := sha256.Sum256(key)
	return pathPrefix + base64.RawURLEncoding.EncodeToString(sum[:])[:hashLen]
}

// Channel is the whole Grafana Live channel name of a path, which the
// frontend subscribes to when a frame carries it in its metadata.
func Channel(dsUID, path string) string { return "ds/" + dsUID + "/" + path }

// Entry is what the plugin knows of one channel: the query, the series
// its frames carry so far and the newest point sent. The query is a copy
// the entry owns; the rest changes under mu.
type Entry struct {
	dsUID, path string
	query       models.Query

	mu       sync.Mutex
	layout   *Layout
	newest   time.Time // the newest point a frame of this channel carried
	running  int       // RunStream calls serving this channel
	lastSeen time.Time // for eviction
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
	f.RefID = e.query.RefID
	f.Meta.Channel = Channel(e.dsUID, e.path)
	if executed != "" {
		f.Meta.ExecutedQueryString = executed
	}
	return f
}

// Registry holds the channels that queries registered, bounded to max
// entries. It is process-wide: a channel outlives the data source
// instance that registered it (settings saved mid-stream).
type Registry struct {
	mu      sync.Mutex
	max     int
	entries map[string]*Entry
}

// NewRegistry makes a registry of at most max channels.
func NewRegistry(max int) *Registry {
	return &Registry{max: max, entries: map[string]*Entry{}}
}

// Register records the query a panel asked to stream, the series and the
// newest point of the frame it got. While the channel's stream runs, the
// stream's own state is kept: it is what every subscriber already has.
func (r *Registry) Register(dsUID, path string, q *models.Query, layout *Layout, newest time.Time) *Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[path]
	if !ok {
		if len(r.entries) >= r.max {
			r.evictLocked()
		}
		e = &Entry{dsUID: dsUID, path: path, query: *q}
		r.entries[path] = e
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastSeen = time.Now()
	if e.running == 0 {
		e.layout, e.newest = layout, newest
	}
	return e
}

// evictLocked forgets the channel seen longest ago that no stream runs.
func (r *Registry) evictLocked() {
	var oldest string
	var at time.Time
	for p, e := range r.entries {
		e.mu.Lock()
		idle, seen := e.running == 0, e.lastSeen
		e.mu.Unlock()
		if idle && (oldest == "" || seen.Before(at)) {
			oldest, at = p, seen
		}
	}
	delete(r.entries, oldest)
}

// Lookup finds a data source's channel: ErrMalformedPath for a path this
// plugin never makes, ErrUnknownPath for one it does not hold for that
// data source (the registry serves every data source of the process, and
// a user of one must not stream another's query with its settings).
func (r *Registry) Lookup(dsUID, path string) (*Entry, error) {
	if !pathPattern.MatchString(path) {
		return nil, fmt.Errorf("%w (got %q)", ErrMalformedPath, clip(path))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[path]
	if !ok || e.dsUID != dsUID {
		return nil, ErrUnknownPath
	}
	return e, nil
}

// Len is the number of channels held.
func (r *Registry) Len() int {
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
