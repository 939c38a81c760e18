// Package testsupport holds what the plugin's in-process tests and its
// end-to-end tests both need: a loopback server for a test, a service of
// the older SimpleJSON dialect, and reading nullable values. Only tests
// import it.
package testsupport

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Serve starts h on a loopback port for the test, closed when it ends.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// SimpleJSONServer speaks the older SimpleJSON dialect as its widely
// copied example does: /search instead of /metrics and /variable,
// matching its target as a substring, bare strings, /annotations, and no
// ad hoc filters. /query answers [] without a JSON Content-Type, as one
// known server does silently.
func SimpleJSONServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, ".") })
	mux.HandleFunc("POST /search", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Target string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		out := []string{}
		for _, m := range []string{"upload_rate", "download_rate", "errors"} {
			if strings.Contains(m, req.Target) {
				out = append(out, m)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /query", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			_, _ = io.WriteString(w, "[]")
			return
		}
		_, _ = io.WriteString(w, `[{"target":"upload_rate","datapoints":[[1,1795518000000],[2,1795518060000]]}]`)
	})
	mux.HandleFunc("POST /annotations", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Annotation struct{ Name, Query string } }
		_ = json.NewDecoder(r.Body).Decode(&req)
		// As the widely copied example answers: the annotation echoed,
		// title and tags as it has them.
		_ = json.NewEncoder(w).Encode([]map[string]any{
			{"annotation": req.Annotation, "time": 1795518600000, "title": "Release", "text": "query " + req.Annotation.Query, "tags": []string{"release", "web"}},
		})
	})
	return mux
}

// Deref is a nullable value as a test prints it: nil or the number.
func Deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
