package refserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// specRouter loads docs/openapi.yaml, checks it is a valid OpenAPI
// document (its examples included), and routes requests to its operations.
func specRouter(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// The reference server's real answers, over loopback HTTP, follow
// docs/openapi.yaml: every request below is checked against the
// operation's request schema and security, and every answer against the
// response the document declares for its status (an undeclared status
// fails too).
func TestReferenceServerFollowsOpenAPI(t *testing.T) {
	router := specRouter(t)
	const token = "s3cret"
	srv := httptest.NewServer(New(Options{Token: token}))
	defer srv.Close()

	to := time.Now().UTC().Truncate(time.Second)
	rng := contract.Range{From: to.Add(-6 * time.Hour), To: to, Raw: contract.RawRange{From: "now-6h", To: "now"}}
	bearer := "Bearer " + token
	tests := []struct {
		name, method, path string
		body               any // nil: no body; string: sent as is
		auth               string
		status             int
	}{
		{name: "health", method: "GET", path: "/", auth: bearer, status: 200},
		{name: "health without the token", method: "GET", path: "/", status: 401},
		{name: "metrics", method: "POST", path: contract.PathMetrics, body: contract.MetricsRequest{Payload: map[string]any{}}, auth: bearer, status: 200},
		{name: "search (SimpleJSON)", method: "POST", path: contract.PathSearch, body: contract.SearchRequest{Target: "la"}, auth: bearer, status: 200},
		{name: "payload options", method: "POST", path: contract.PathMetricPayloadOptions,
			body: contract.MetricPayloadOptionsRequest{Metric: "cpu_usage", Name: "region", Payload: map[string]any{}}, auth: bearer, status: 200},
		{name: "options (older name)", method: "POST", path: contract.PathOptions,
			body: contract.MetricPayloadOptionsRequest{Metric: "cpu_usage", Name: "service", Payload: map[string]any{}}, auth: bearer, status: 200},
		{name: "query: series", method: "POST", path: contract.PathQuery, auth: bearer, status: 200, body: contract.QueryRequest{
			Range: rng, RangeRaw: rng.Raw, Interval: "5m", IntervalMs: 300_000, MaxDataPoints: 100,
			Targets: []contract.Target{{RefID: "A", Target: "cpu_usage", Payload: map[string]any{"region": "eu-west"}, Type: "timeserie"}},
			Filters: []contract.Filter{}, AdhocFilters: []contract.Filter{}}},
		{name: "query: table and events frame (SimpleJSON type)", method: "POST", path: contract.PathQuery, auth: bearer, status: 200, body: contract.QueryRequest{
			Range: rng, RangeRaw: rng.Raw, Interval: "5m", IntervalMs: 300_000, MaxDataPoints: 100,
			Targets: []contract.Target{{RefID: "A", Target: TableMetric, Payload: map[string]any{}, Type: "table"}, {RefID: "B", Target: AnnotationTarget, Payload: map[string]any{}, Type: "table"}},
			Filters: []contract.Filter{{Key: "region", Operator: "=", Value: "eu-west"}}, AdhocFilters: []contract.Filter{{Key: "region", Operator: "=", Value: "eu-west"}}}},
		{name: "query: malformed body", method: "POST", path: contract.PathQuery, body: `{"range":`, auth: bearer, status: 400},
		{name: "query without the token", method: "POST", path: contract.PathQuery, body: contract.QueryRequest{
			Range: rng, RangeRaw: rng.Raw, Interval: "1s", IntervalMs: 1000, MaxDataPoints: 10, Targets: []contract.Target{{RefID: "A", Target: "cpu_usage", Payload: map[string]any{}}},
			Filters: []contract.Filter{}, AdhocFilters: []contract.Filter{}}, status: 401},
		{name: "variable", method: "POST", path: contract.PathVariable, body: contract.VariableRequest{Payload: map[string]any{"target": "services"}}, auth: bearer, status: 200},
		{name: "chained variable", method: "POST", path: contract.PathVariable,
			body: contract.VariableRequest{Payload: map[string]any{"target": "versions", "service": "checkout"}, Range: &rng}, auth: bearer, status: 200},
		{name: "tag keys", method: "POST", path: contract.PathTagKeys, body: contract.TagKeysRequest{Range: &rng}, auth: bearer, status: 200},
		{name: "tag values", method: "POST", path: contract.PathTagValues,
			body: contract.TagValuesRequest{Key: "service", AdhocFilters: []contract.Filter{{Key: "region", Operator: "=", Value: "eu-west"}}}, auth: bearer, status: 200},
		{name: "annotations (SimpleJSON)", method: "POST", path: contract.PathAnnotations, auth: bearer, status: 200, body: contract.AnnotationRequest{
			Range: rng, RangeRaw: rng.Raw, Annotation: contract.AnnotationQuery{Name: "Deployments", Enable: true, Query: "checkout"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			switch b := tt.body.(type) {
			case nil:
			case string:
				body = []byte(b)
			default:
				body, _ = json.Marshal(b)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Accept", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("%s %s is not in docs/openapi.yaml: %v", tt.method, tt.path, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: presentCredential}}
			// The malformed body is the server's to refuse, not the
			// document's to describe.
			if tt.status != http.StatusBadRequest {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Fatalf("the request does not follow docs/openapi.yaml: %v", err)
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = res.Body.Close() }()
			got, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, got)
			}
			if tt.status == 200 && len(bytes.TrimSpace(got)) < 3 {
				t.Fatalf("an empty answer proves nothing: %q", got)
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
				Header: res.Header, Body: io.NopCloser(bytes.NewReader(got)), Options: in.Options}
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("the answer does not follow docs/openapi.yaml: %v\nanswer: %.300s", err, got)
			}
		})
	}
}

// presentCredential accepts a security scheme when the request carries
// its kind of Authorization header; whether the credential is right is
// the server's to say (the 401 cases).
func presentCredential(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	prefix := map[string]string{"bearer": "Bearer ", "basic": "Basic "}[strings.ToLower(in.SecurityScheme.Scheme)]
	if prefix == "" || !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), prefix) {
		return in.NewError(nil)
	}
	return nil
}
