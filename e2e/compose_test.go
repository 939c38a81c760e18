package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type composeService struct {
	Image string `yaml:"image"`
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

var (
	pinnedTag  = regexp.MustCompile(`^[a-z0-9./-]+:(\d+)\.(\d+)\.(\d+)$`)
	fromLine   = regexp.MustCompile(`(?m)^FROM\s+(\S+)`)
	minGrafana = regexp.MustCompile(`^>=(\d+)\.(\d+)\.(\d+)`)
)

// composeValue is what compose makes of ${NAME:-default} when NAME is unset.
func composeValue(s string) string {
	return regexp.MustCompile(`\$\{\w+:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

// Machines without Docker cannot run docker-compose.yaml, so this reads it:
// Grafana at a pinned version inside plugin.json's grafanaDependency, with
// dist/ as the plugin's folder, the plugin allowed unsigned and
// provisioning/ mounted; the reference server built from its Dockerfile,
// listening where the provisioned data source's URL points and wanting the
// key the data source sends.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yaml does not parse: %v", err)
	}
	grafana, ref := compose.Services["grafana"], compose.Services["refserver"]
	if len(compose.Services) != 2 || grafana.Image == "" || ref.Build.Dockerfile == "" {
		t.Fatalf("services %v; want grafana (an image) and refserver (built)", compose.Services)
	}

	// Grafana: pinned, and a version the plugin declares it supports.
	m := pinnedTag.FindStringSubmatch(grafana.Image)
	if m == nil || !strings.HasPrefix(grafana.Image, "grafana/grafana:") {
		t.Fatalf("Grafana's image %q is not grafana/grafana at a pinned x.y.z version", grafana.Image)
	}
	var manifest struct {
		Dependencies struct {
			GrafanaDependency string `json:"grafanaDependency"`
		} `json:"dependencies"`
	}
	rawManifest, err := os.ReadFile("../src/plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rawManifest, &manifest); err != nil {
		t.Fatal(err)
	}
	low := minGrafana.FindStringSubmatch(manifest.Dependencies.GrafanaDependency)
	if low == nil {
		t.Fatalf("grafanaDependency %q does not start with >=x.y.z; teach this test its form", manifest.Dependencies.GrafanaDependency)
	}
	if compareVersions(m[1:4], low[1:4]) < 0 {
		t.Errorf("Grafana %s is below grafanaDependency %s", grafana.Image, manifest.Dependencies.GrafanaDependency)
	}

	if grafana.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"] != "inhouse-metrics-datasource" {
		t.Errorf("GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS = %q, want the plugin id", grafana.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"])
	}
	for _, v := range []string{
		"./dist:/var/lib/grafana/plugins/inhouse-metrics-datasource:ro",
		"./provisioning:/etc/grafana/provisioning:ro",
	} {
		if !slices.Contains(grafana.Volumes, v) {
			t.Errorf("Grafana's volumes %v lack %s", grafana.Volumes, v)
		}
	}
	if !slices.Contains(grafana.Ports, "127.0.0.1:3000:3000") {
		t.Errorf("Grafana's ports %v; want 3000 on loopback", grafana.Ports)
	}
	if grafana.DependsOn["refserver"].Condition != "service_healthy" {
		t.Errorf("Grafana does not wait for a healthy reference server: %v", grafana.DependsOn)
	}

	// The provisioned data source reads these two.
	ds, _, _ := loadProvisioned(t)
	for _, name := range []string{"INHOUSE_METRICS_URL", "INHOUSE_METRICS_API_KEY"} {
		if !strings.Contains(ds.URL+ds.SecureJSONData["apiKey"], "${"+name+"}") || grafana.Environment[name] == "" {
			t.Errorf("the data source reads ${%s}; Grafana's environment sets it to %q", name, grafana.Environment[name])
		}
	}

	// The reference server: listening where the URL points, wanting the key.
	args := strings.Join(ref.Command, " ")
	if !strings.HasPrefix(args, "serve --listen 0.0.0.0:8080 ") || !slices.Contains(ref.Expose, "8080") {
		t.Errorf("reference server command %q, expose %v; want serve --listen 0.0.0.0:8080, port 8080", args, ref.Expose)
	}
	if grafana.Environment["INHOUSE_METRICS_URL"] != "http://refserver:8080" {
		t.Errorf("INHOUSE_METRICS_URL = %q, want the refserver service's port", grafana.Environment["INHOUSE_METRICS_URL"])
	}
	key := composeValue(grafana.Environment["INHOUSE_METRICS_API_KEY"])
	if i := slices.Index(ref.Command, "--token"); i < 0 || i+1 >= len(ref.Command) || composeValue(ref.Command[i+1]) != key || key == "" {
		t.Errorf("the reference server's --token (%v) is not the key Grafana sends (%q)", ref.Command, key)
	}
	if len(ref.Healthcheck.Test) == 0 {
		t.Error("the reference server has no health check for Grafana to wait on")
	}

	// Its image: built from the repository with pinned base images.
	if ref.Build.Context != "." {
		t.Errorf("build context %q, want the repository's root", ref.Build.Context)
	}
	dockerfile, err := os.ReadFile("../" + ref.Build.Dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	froms := fromLine.FindAllStringSubmatch(string(dockerfile), -1)
	if len(froms) == 0 {
		t.Fatal("the Dockerfile has no FROM")
	}
	for _, f := range froms {
		if !regexp.MustCompile(`^[a-z0-9./-]+:\d+(\.\d+)+(-[a-z0-9.]+)?$`).MatchString(f[1]) {
			t.Errorf("base image %s is not pinned to a version", f[1])
		}
	}
	for _, want := range []string{"./cmd/inhouse-metrics", `ENTRYPOINT ["inhouse-metrics"]`, "USER nobody"} {
		if !strings.Contains(string(dockerfile), want) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil || !strings.Contains(string(ignore), "node_modules") {
		t.Errorf(".dockerignore (%v) must keep node_modules out of the build context", err)
	}
}

func compareVersions(a, b []string) int {
	for i := range a {
		x, _ := strconv.Atoi(a[i])
		y, _ := strconv.Atoi(b[i])
		if x != y {
			return x - y
		}
	}
	return 0
}
