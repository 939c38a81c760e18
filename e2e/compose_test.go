package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
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
	grafanaImage = regexp.MustCompile(`^grafana/grafana:(\d+)\.(\d+)\.(\d+)$`)
	minVersion   = regexp.MustCompile(`^>=(\d+)\.(\d+)(?:\.(\d+))?`)
	goDirective  = regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)$`)
)

// composeValue is what compose makes of ${NAME:-default} when NAME is unset.
func composeValue(s string) string {
	return regexp.MustCompile(`\$\{\w+:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

const pluginDir = "/var/lib/grafana/plugins/inhouse-metrics-datasource"

// Machines without Docker cannot run docker-compose.yaml, so this reads it
// and the Dockerfiles it builds: `docker compose up --build` alone must
// give Grafana with the plugin built into it, the reference server, and
// the provisioned data source pointed at that server with its key.
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
	if len(compose.Services) != 2 {
		t.Errorf("services %v; want grafana and refserver", compose.Services)
	}
	key := composeValue(compose.Services["grafana"].Environment["INHOUSE_METRICS_API_KEY"])
	if key == "" {
		t.Error("Grafana's environment sets no INHOUSE_METRICS_API_KEY for the data source to send")
	}

	for _, c := range []struct {
		service    string
		dockerfile string
		ports      []string
		expose     []string
		volumes    []string
		env        map[string]string
		dependsOn  map[string]string
		command    string // the start of it
	}{
		{
			service:    "grafana",
			dockerfile: "docker/grafana.Dockerfile",
			ports:      []string{"127.0.0.1:3000:3000"},
			// The plugin is in the image: a mount over its folder would hide it.
			volumes: []string{"./provisioning:/etc/grafana/provisioning:ro"},
			env: map[string]string{
				"GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS": "inhouse-metrics-datasource",
				// Read by provisioning/datasources/inhouse-metrics.yaml.
				"INHOUSE_METRICS_URL":     "http://refserver:8080",
				"INHOUSE_METRICS_API_KEY": key,
			},
			dependsOn: map[string]string{"refserver": "service_healthy"},
		},
		{
			service:    "refserver",
			dockerfile: "docker/refserver.Dockerfile",
			expose:     []string{"8080"},
			env:        map[string]string{"INHOUSE_METRICS_API_KEY": key},
			command:    "serve --listen 0.0.0.0:8080 --token " + key,
		},
	} {
		t.Run(c.service, func(t *testing.T) {
			s, ok := compose.Services[c.service]
			if !ok {
				t.Fatalf("no %s service", c.service)
			}
			if s.Image != "" || s.Build.Context != "." || s.Build.Dockerfile != c.dockerfile {
				t.Errorf("image %q, build %+v; want built from %s with the repository's root as context", s.Image, s.Build, c.dockerfile)
			}
			if _, err := os.Stat("../" + c.dockerfile); err != nil {
				t.Error(err)
			}
			if !slices.Equal(s.Ports, c.ports) || !slices.Equal(s.Expose, c.expose) {
				t.Errorf("ports %v, expose %v; want %v (host ports on loopback only), %v", s.Ports, s.Expose, c.ports, c.expose)
			}
			if !slices.Equal(s.Volumes, c.volumes) {
				t.Errorf("volumes %v, want %v", s.Volumes, c.volumes)
			}
			env := map[string]string{}
			for k, v := range s.Environment {
				env[k] = composeValue(v)
			}
			if len(env) != len(c.env) {
				t.Errorf("environment %v, want %v", env, c.env)
			}
			for k, v := range c.env {
				if env[k] != v {
					t.Errorf("%s = %q, want %q", k, env[k], v)
				}
			}
			deps := map[string]string{}
			for k, v := range s.DependsOn {
				deps[k] = v.Condition
			}
			if len(deps) != len(c.dependsOn) {
				t.Errorf("depends_on %v, want %v", deps, c.dependsOn)
			}
			for k, v := range c.dependsOn {
				if deps[k] != v {
					t.Errorf("depends_on %s: condition %q, want %q", k, deps[k], v)
				}
				if v == "service_healthy" && len(compose.Services[k].Healthcheck.Test) == 0 {
					t.Errorf("waits for %s to be healthy, which has no health check", k)
				}
			}
			if got := composeValue(strings.Join(s.Command, " ")); !strings.HasPrefix(got, c.command) {
				t.Errorf("command %q, want it to start %q", got, c.command)
			}
		})
	}

	// The provisioned data source reads the two variables Grafana's
	// environment sets.
	ds, _, _ := loadProvisioned(t)
	for _, name := range []string{"INHOUSE_METRICS_URL", "INHOUSE_METRICS_API_KEY"} {
		if !strings.Contains(ds.URL+ds.SecureJSONData["apiKey"], "${"+name+"}") {
			t.Errorf("the provisioned data source does not read ${%s}", name)
		}
	}
}

// The Dockerfiles build from this repository alone: pinned base images
// (Go and Node at the versions the project declares, Grafana inside
// plugin.json's grafanaDependency), every input the builds read copied
// into the stage that reads it, nothing copied that .dockerignore leaves
// out, and the plugin landing in Grafana's plugins folder under its id.
func TestDockerfiles(t *testing.T) {
	ig := readDockerIgnore(t, "../.dockerignore")
	// The browser test's pinned Grafana hosts install packages and build
	// pages of their own, hundreds of MB that no image needs.
	var pinned map[string]string
	if raw, err := os.ReadFile("../browser-test/pinned.json"); err != nil || json.Unmarshal(raw, &pinned) != nil {
		t.Fatalf("browser-test/pinned.json: %v", err)
	}
	outputs := []string{"node_modules", "dist", ".git", "browser-test/dist"}
	for name, dir := range pinned {
		outputs = append(outputs, "browser-test/"+dir+"/node_modules", "browser-test/dist-"+name)
	}
	for _, p := range outputs {
		if !ig.Excludes(p) {
			t.Errorf(".dockerignore sends %s/ with the build context", p)
		}
	}
	grafana := parseDockerfile(t, "../docker/grafana.Dockerfile")
	refserver := parseDockerfile(t, "../docker/refserver.Dockerfile")
	checkContextCopies(t, "docker/grafana.Dockerfile", grafana, ig, map[string]bool{"frontend": true, "backend": true})
	checkContextCopies(t, "docker/refserver.Dockerfile", refserver, ig, map[string]bool{"build": true})

	goVersion := goDirective.FindStringSubmatch(readText(t, "../go.mod"))
	var pkg struct {
		Engines      struct{ Node string }
		Scripts      struct{ Postinstall string }
		Dependencies map[string]string
	}
	if err := json.Unmarshal([]byte(readText(t, "../package.json")), &pkg); err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		ID           string
		Info         struct{ Screenshots []struct{ Path string } }
		Dependencies struct{ GrafanaDependency string }
	}
	if err := json.Unmarshal([]byte(readText(t, "../src/plugin.json")), &manifest); err != nil {
		t.Fatal(err)
	}
	if goVersion == nil || manifest.ID == "" {
		t.Fatalf("go.mod's go line %v, plugin.json's id %q", goVersion, manifest.ID)
	}
	if pluginDir != "/var/lib/grafana/plugins/"+manifest.ID {
		t.Fatalf("plugin folder %s is not named after plugin.json's id %s", pluginDir, manifest.ID)
	}

	for _, c := range []struct {
		dockerfile string
		stages     []dockerStage
		stage      string
		image      string // the base image's repository
		atLeast    string // a version constraint such as >=20.19, or "=" and a version
		run        string // the build command
		args       []string
		inputs     []string // repository files and folders the build reads
	}{
		{
			dockerfile: "docker/grafana.Dockerfile", stages: grafana, stage: "frontend",
			image: "node", atLeast: pkg.Engines.Node, run: "npm run build",
			inputs: frontendInputs(t, pkg.Scripts.Postinstall, manifest.Info.Screenshots),
		},
		{
			dockerfile: "docker/grafana.Dockerfile", stages: grafana, stage: "backend",
			image: "golang", atLeast: "=" + goVersion[1], run: `build:custom linux "$TARGETARCH"`, args: []string{"TARGETARCH"},
			// The SDK's build reads the executable's name and the plugin id
			// from src/plugin.json and the version from package.json.
			inputs: append(goInputs(t, "-tags=arrow_json_stdlib", "./pkg", "-tags=mage", "./Magefile.go"),
				"go.mod", "go.sum", "Magefile.go", "package.json", "src/plugin.json"),
		},
		{
			dockerfile: "docker/refserver.Dockerfile", stages: refserver, stage: "build",
			image: "golang", atLeast: "=" + goVersion[1], run: "./cmd/inhouse-metrics",
			inputs: append(goInputs(t, "", "./cmd/inhouse-metrics"), "go.mod", "go.sum"),
		},
	} {
		t.Run(c.dockerfile+"/"+c.stage, func(t *testing.T) {
			st, ok := findStage(c.stages, c.stage)
			if !ok {
				t.Fatalf("no stage %s", c.stage)
			}
			repo, _, _ := strings.Cut(st.Image, ":")
			v, err := imageVersion(st.Image)
			if err != nil || repo != c.image {
				t.Errorf("base image %s (%v); want %s at a pinned version", st.Image, err, c.image)
			} else if !satisfies(v, c.atLeast) {
				t.Errorf("base image %s is not %s, the version the project declares", st.Image, c.atLeast)
			}
			if !slices.ContainsFunc(st.Runs, func(r string) bool { return strings.Contains(r, c.run) }) {
				t.Errorf("no RUN with %s in %v", c.run, st.Runs)
			}
			for _, a := range c.args {
				if !slices.Contains(st.Args, a) {
					t.Errorf("ARG %s not declared in the stage, so it is empty there", a)
				}
			}
			for _, in := range c.inputs {
				if !st.Covers(in) {
					t.Errorf("the build reads %s, which no COPY brings into the stage", in)
				}
			}
		})
	}

	// Every base image pinned; Grafana's, the last stage, inside the
	// plugin's grafanaDependency and the version the frontend is built
	// against.
	for _, st := range append(slices.Clone(grafana), refserver...) {
		if _, err := imageVersion(st.Image); err != nil {
			t.Error(err)
		}
	}
	final := grafana[len(grafana)-1]
	m := grafanaImage.FindStringSubmatch(final.Image)
	if m == nil {
		t.Fatalf("the last stage's image %s is not grafana/grafana at a pinned x.y.z version", final.Image)
	}
	if !satisfies(m[1:4], manifest.Dependencies.GrafanaDependency) {
		t.Errorf("Grafana %s is not inside grafanaDependency %s", final.Image, manifest.Dependencies.GrafanaDependency)
	}
	if built := pkg.Dependencies["@grafana/data"]; strings.Join(m[1:4], ".") != built {
		t.Errorf("Grafana %s, while the frontend is built against @grafana/data %s", final.Image, built)
	}
	// The frontend's dist/ and the backend's land together in the plugin's
	// folder.
	var into []string
	for _, c := range final.Copies {
		if c.Dest == pluginDir && slices.Equal(c.Sources, []string{"/src/dist"}) {
			into = append(into, c.From)
		}
	}
	if !slices.Equal(into, []string{"frontend", "backend"}) {
		t.Errorf("the last stage copies dist/ into %s from %v; want frontend and backend", pluginDir, into)
	}

	ref := refserver[len(refserver)-1]
	for _, want := range []string{`ENTRYPOINT ["inhouse-metrics"]`, "USER nobody"} {
		if !strings.Contains(readText(t, "../docker/refserver.Dockerfile"), want) {
			t.Errorf("the reference server's Dockerfile lacks %s", want)
		}
	}
	if len(ref.Copies) != 1 || ref.Copies[0].From != "build" {
		t.Errorf("the reference server's image copies %v; want only the binary from the build stage", ref.Copies)
	}
}

// frontendInputs are the repository files `npm ci` and `npm run build`
// read: the lock file, the postinstall script, src/, what vite.config.ts
// copies into dist/ (and the screenshots plugin.json lists), and what
// src/ imports from outside itself.
func frontendInputs(t *testing.T, postinstall string, shots []struct{ Path string }) []string {
	t.Helper()
	in := []string{"package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src"}
	script := regexp.MustCompile(`^node (\S+)$`).FindStringSubmatch(postinstall)
	if script == nil {
		t.Fatalf("postinstall %q; teach this test what it reads", postinstall)
	}
	in = append(in, script[1])
	for _, m := range regexp.MustCompile(`(?:readFile|copyFile)\('([^']+)'`).FindAllStringSubmatch(readText(t, "../vite.config.ts"), -1) {
		in = append(in, m[1])
	}
	for _, s := range shots {
		in = append(in, path.Join("docs", s.Path))
	}
	imports := regexp.MustCompile(`(?m)^import [^'"]*['"](\.\.?/[^'"]+)['"]`)
	err := filepath.WalkDir("../src", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !regexp.MustCompile(`\.tsx?$`).MatchString(p) || strings.Contains(p, ".test.") {
			return err
		}
		raw, err := os.ReadFile(p)
		for _, m := range imports.FindAllStringSubmatch(string(raw), -1) {
			target := filepath.ToSlash(filepath.Join(filepath.Dir(p), m[1]))
			if rel := strings.TrimPrefix(target, "../"); !strings.HasPrefix(rel, "src/") {
				in = append(in, rel)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(in) < 12 {
		t.Fatalf("found only %v; has vite.config.ts changed how it reads files?", in)
	}
	return in
}

// goInputs lists the repository's folders holding the Go packages the
// given builds compile (each a -tags flag, possibly empty, and a package).
func goInputs(t *testing.T, tagsAndPkgs ...string) []string {
	t.Helper()
	var in []string
	for i := 0; i < len(tagsAndPkgs); i += 2 {
		args := []string{"list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}"}
		if tagsAndPkgs[i] != "" {
			args = append(args, tagsAndPkgs[i])
		}
		cmd := exec.Command("go", append(args, tagsAndPkgs[i+1])...)
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", tagsAndPkgs[i+1], err)
		}
		root, _ := filepath.Abs("..")
		for dir := range strings.FieldsSeq(string(out)) {
			if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") && rel != "." {
				in = append(in, filepath.ToSlash(rel))
			}
		}
	}
	if len(in) == 0 {
		t.Fatal("go list found none of the repository's packages")
	}
	return in
}

// satisfies says whether version (x, y, z) meets c: ">=x.y[.z]" or "=x.y.z".
func satisfies(version []string, c string) bool {
	if exact, ok := strings.CutPrefix(c, "="); ok {
		return strings.Join(version, ".") == exact
	}
	m := minVersion.FindStringSubmatch(c)
	return m != nil && compareVersions(version, m[1:4]) >= 0
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

func readText(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
