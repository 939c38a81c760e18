package conform

import (
	"context"
	"fmt"
	"net/http"
)

var errorChecks = []check{
	{"malformed body", secErrors, checkMalformed},
}

var authChecks = []check{
	{"missing credential", secErrors, checkNoCredential},
	{"wrong credential", secErrors, checkWrongCredential},
}

// malformedBodies are requests no server can answer.
var malformedBodies = []struct{ name, body string }{
	{"truncated JSON", `{"range": {"from": "2026-11-24T06:00:00.000Z"`},
	{"not JSON", `this is not JSON`},
}

func checkMalformed(ctx context.Context, s *session) []finding {
	var out []finding
	for _, b := range malformedBodies {
		a := s.call(ctx, http.MethodPost, "/query", []byte(b.body), nil)
		switch {
		case a.err != nil:
			out = append(out, fail(a.describe(), "answer a request body that is not JSON with 400 and a message").about(b.name))
		case a.status >= 400 && a.status < 500:
			out = append(out, pass(fmt.Sprintf("%d", a.status)).about(b.name))
		case a.status >= 500:
			out = append(out, fail(a.describe(), "answer a malformed body with 400, not 5xx: 5xx is retried and reads as an outage").about(b.name))
		default:
			out = append(out, fail(a.describe(), "answer a malformed body with 400, not 2xx: a 2xx hides the client's mistake").about(b.name))
		}
	}
	return out
}

// guardedPath is a call that needs the credential: the metric list (the
// health URL may well be public).
func (s *session) guardedPath() (string, []byte) {
	if s.metricsVia == "/search" {
		return "/search", []byte(`{"target":""}`)
	}
	return "/metrics", []byte(`{"metric":"","payload":{}}`)
}

func checkNoCredential(ctx context.Context, s *session) []finding {
	if len(s.t.Header) == 0 {
		return []finding{skip("no credential configured (--api-key, --basic-auth-user, --header)")}
	}
	path, body := s.guardedPath()
	return []finding{rejected(s.call(ctx, http.MethodPost, path, body, http.Header{}), path, "without the credential")}
}

func checkWrongCredential(ctx context.Context, s *session) []finding {
	if len(s.t.Header) == 0 {
		return []finding{skip("no credential configured (--api-key, --basic-auth-user, --header)")}
	}
	wrong := http.Header{}
	for k, vs := range s.t.Header {
		for range vs {
			wrong.Add(k, "conform-wrong-credential")
		}
	}
	if vs := s.t.Header.Values("Authorization"); len(vs) > 0 {
		wrong.Set("Authorization", "Bearer conform-wrong-credential")
	}
	path, body := s.guardedPath()
	return []finding{rejected(s.call(ctx, http.MethodPost, path, body, wrong), path, "with a wrong credential")}
}

func rejected(a answer, path, how string) finding {
	switch {
	case a.err != nil:
		return fail(a.describe(), "answer 401 to a call "+how+", so the plugin can say the credential is wrong")
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return pass(fmt.Sprintf("POST %s %s: %d", path, how, a.status))
	case a.ok():
		return fail(fmt.Sprintf("POST %s %s: %d", path, how, a.status), "reject calls "+how+" with 401: the data source's credential protects nothing otherwise")
	}
	return fail(fmt.Sprintf("POST %s %s: %s", path, how, a.describe()), "answer 401 (or 403) to a call "+how+", so the plugin reports a credential problem rather than a broken service")
}
