package grafanahost

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// PluginID is the id Grafana sends in every plugin context and serves the
// plugin's assets under (/public/plugins/<id>/).
const PluginID = "inhouse-metrics-datasource"

// maxBody bounds request bodies as Grafana does for data source calls.
const maxBody = 10 << 20

// API answers Grafana's HTTP routes for one data source by calling the
// plugin, the way Grafana's server does.
type API struct {
	plugin *Host
	hub    *Hub
	mux    *http.ServeMux

	mu sync.Mutex
	ds DataSource
}

// NewAPI serves ds through plugin. pluginDir holds the built plugin (dist/);
// page, if not nil, serves everything else (the host page).
func NewAPI(plugin *Host, ds DataSource, pluginDir string, page http.Handler) *API {
	s := &API{plugin: plugin, hub: NewHub(plugin), ds: ds, mux: http.NewServeMux()}
	base := "/api/datasources/uid/{uid}"
	s.mux.HandleFunc("GET "+base, s.getSettings)
	s.mux.HandleFunc("PUT "+base, s.putSettings)
	s.mux.HandleFunc("GET "+base+"/health", s.health)
	s.mux.HandleFunc(base+"/resources/{path...}", s.resource)
	s.mux.HandleFunc("POST /api/ds/query", s.query)
	s.mux.HandleFunc("GET /api/live/stream", s.liveStream)
	s.mux.Handle("GET /public/plugins/"+PluginID+"/", http.StripPrefix("/public/plugins/"+PluginID+"/", http.FileServer(http.Dir(pluginDir))))
	if page != nil {
		s.mux.Handle("/", page)
	}
	return s
}

func (s *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Hub is the API's Grafana Live, which runs the channels' streams.
func (s *API) Hub() *Hub { return s.hub }

// DataSource returns the current settings, secrets included (for tests).
func (s *API) DataSource() DataSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ds
}

// lookup finds the data source a route names.
func (s *API) lookup(w http.ResponseWriter, r *http.Request) (DataSource, bool) {
	ds := s.DataSource()
	if r.PathValue("uid") != ds.UID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Data source not found"})
		return ds, false
	}
	return ds, true
}

// settingsView is what Grafana sends the configuration page: secrets only
// as "is set" flags, never their values.
type settingsView struct {
	ID               int64             `json:"id"`
	UID              string            `json:"uid"`
	Name             string            `json:"name"`
	Type             string            `json:"type"`
	Access           string            `json:"access"`
	URL              string            `json:"url"`
	BasicAuth        bool              `json:"basicAuth"`
	BasicAuthUser    string            `json:"basicAuthUser"`
	JSONData         map[string]any    `json:"jsonData"`
	SecureJSONFields map[string]bool   `json:"secureJsonFields"`
	SecureJSONData   map[string]string `json:"secureJsonData,omitempty"`
	ReadOnly         bool              `json:"readOnly"`
}

func view(ds DataSource) settingsView {
	fields := map[string]bool{}
	for k, v := range ds.Secure {
		fields[k] = v != ""
	}
	jd := ds.JSONData
	if jd == nil {
		jd = map[string]any{}
	}
	return settingsView{ID: ds.ID, UID: ds.UID, Name: ds.Name, Type: PluginID, Access: "proxy", URL: ds.URL,
		BasicAuth: ds.BasicAuth, BasicAuthUser: ds.User, JSONData: jd, SecureJSONFields: fields}
}

func (s *API) getSettings(w http.ResponseWriter, r *http.Request) {
	if ds, ok := s.lookup(w, r); ok {
		writeJSON(w, http.StatusOK, view(ds))
	}
}

// putSettings saves the page's settings. Like Grafana, secureJsonData
// values replace stored secrets, an empty value removes one, and keys not
// sent keep their stored value.
func (s *API) putSettings(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.lookup(w, r); !ok {
		return
	}
	var in settingsView
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "the settings are not valid JSON: " + err.Error()})
		return
	}
	s.mu.Lock()
	ds := s.ds
	secure := map[string]string{}
	for k, v := range ds.Secure {
		secure[k] = v
	}
	for k, v := range in.SecureJSONData {
		if v == "" {
			delete(secure, k)
		} else {
			secure[k] = v
		}
	}
	ds.URL, ds.BasicAuth, ds.User, ds.JSONData, ds.Secure = in.URL, in.BasicAuth, in.BasicAuthUser, in.JSONData, secure
	if in.Name != "" {
		ds.Name = in.Name
	}
	// A new version makes the plugin build a new instance, as in Grafana.
	ds.Updated = time.Now()
	s.ds = ds
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"message": "Datasource updated", "datasource": view(ds)})
}

func (s *API) health(w http.ResponseWriter, r *http.Request) {
	ds, ok := s.lookup(w, r)
	if !ok {
		return
	}
	res, err := s.plugin.CheckHealth(r.Context(), ds)
	if err != nil {
		// Grafana shows only its public message for a plugin's error and
		// keeps the detail for its log, so the page never sees it.
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Plugin health check failed"})
		return
	}
	status := http.StatusOK
	if res.Status != backend.HealthStatusOk {
		status = http.StatusBadRequest
	}
	var details any
	if len(res.JSONDetails) > 0 {
		_ = json.Unmarshal(res.JSONDetails, &details)
	}
	writeJSON(w, status, map[string]any{"status": res.Status.String(), "message": res.Message, "details": details})
}

func (s *API) resource(w http.ResponseWriter, r *http.Request) {
	ds, ok := s.lookup(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	res, err := s.plugin.CallResource(r.Context(), ds, r.Method, r.PathValue("path"), body)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Failed to call resource"})
		return
	}
	for k, vs := range res.Headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Body)
}

// queryRequest is the body the frontend posts to /api/ds/query.
type queryRequest struct {
	Queries []json.RawMessage `json:"queries"`
	From    string            `json:"from"`
	To      string            `json:"to"`
}

// queryMeta is what Grafana reads from each query besides passing it on.
type queryMeta struct {
	RefID         string  `json:"refId"`
	QueryType     string  `json:"queryType"`
	IntervalMs    float64 `json:"intervalMs"`
	MaxDataPoints int64   `json:"maxDataPoints"`
	Datasource    struct {
		UID string `json:"uid"`
	} `json:"datasource"`
}

func (s *API) query(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad request data: " + err.Error()})
		return
	}
	from, errFrom := epochMillis(req.From)
	to, errTo := epochMillis(req.To)
	if errFrom != nil || errTo != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "from and to must be epoch milliseconds"})
		return
	}
	ds := s.DataSource()
	queries := make([]backend.DataQuery, 0, len(req.Queries))
	for _, raw := range req.Queries {
		var m queryMeta
		if err := json.Unmarshal(raw, &m); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad query: " + err.Error()})
			return
		}
		if m.Datasource.UID != ds.UID {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": fmt.Sprintf("data source %q not found", m.Datasource.UID)})
			return
		}
		queries = append(queries, backend.DataQuery{
			RefID: m.RefID, QueryType: m.QueryType, JSON: raw,
			Interval: time.Duration(m.IntervalMs * float64(time.Millisecond)), MaxDataPoints: m.MaxDataPoints,
			TimeRange: backend.TimeRange{From: from, To: to},
		})
	}
	headers := map[string]string{}
	if strings.EqualFold(r.Header.Get("X-Cache-Skip"), "true") {
		headers["X-Cache-Skip"] = "true"
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	res, err := s.plugin.QueryData(ctx, ds, queries, headers)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "An error occurred within the plugin"})
		return
	}
	// Grafana answers 207 when some query failed, and 200 otherwise.
	status := http.StatusOK
	for _, dr := range res.Responses {
		if dr.Error != nil {
			status = http.StatusMultiStatus
		}
	}
	out, err := json.Marshal(res)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "cannot encode the frames: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func epochMillis(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
