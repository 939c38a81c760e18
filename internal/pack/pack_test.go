package pack

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

const manifest = `{"id":"inhouse-metrics-datasource","executable":"gpx_inhouse_metrics",
 "info":{"version":"1.2.3","updated":"2026-12-01","logos":{"small":"img/logo.svg","large":"img/logo.svg"},
 "screenshots":[{"name":"Query editor","path":"img/query-editor.png"}]}}`

// fakeDist writes a complete plugin folder for the given platforms, with
// the manifest changed by edit.
func fakeDist(t *testing.T, platforms []Platform, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"plugin.json": edit(manifest), "module.js": "define([],function(){})", "module.js.map": "{}",
		"README.md": "# readme", "LICENSE": "Apache", "CHANGELOG.md": "# changes", "go_plugin_build_manifest": "m",
		"img/logo.svg": "<svg/>", "img/query-editor.png": "png",
	}
	for _, p := range platforms {
		files[p.Binary("gpx_inhouse_metrics")] = "binary " + p.OS
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func same(s string) string { return s }

func TestArchiveRefusesAnIncompleteFolder(t *testing.T) {
	linux := []Platform{{"linux", "amd64"}}
	for _, tc := range []struct {
		name      string
		platforms []Platform // built into the folder
		want      []Platform // asked of Archive
		edit      func(string) string
		remove    string
		err       string
	}{
		{name: "a platform's binary missing", platforms: linux, want: AllPlatforms, edit: same,
			err: "lacks gpx_inhouse_metrics_linux_arm64, gpx_inhouse_metrics_linux_arm, gpx_inhouse_metrics_darwin_amd64, gpx_inhouse_metrics_darwin_arm64, gpx_inhouse_metrics_windows_amd64.exe; build"},
		{name: "no LICENSE", platforms: linux, want: linux, edit: same, remove: "LICENSE", err: "lacks LICENSE;"},
		{name: "no screenshot", platforms: linux, want: linux, edit: same, remove: "img/query-editor.png", err: "lacks img/query-editor.png;"},
		{name: "version not filled in", platforms: linux, want: linux,
			edit: func(s string) string { return strings.Replace(s, `"1.2.3"`, `"%VERSION%"`, 1) },
			err:  `version "%VERSION%" is not a version such as 1.2.3`},
		{name: "date not filled in", platforms: linux, want: linux,
			edit: func(s string) string { return strings.Replace(s, `"2026-12-01"`, `"%TODAY%"`, 1) },
			err:  `updated "%TODAY%" is not a date`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dist := fakeDist(t, tc.platforms, tc.edit)
			if tc.remove != "" {
				if err := os.Remove(filepath.Join(dist, tc.remove)); err != nil {
					t.Fatal(err)
				}
			}
			out := t.TempDir()
			_, err := Archive(dist, out, tc.want)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("a refused archive left %v behind", entries)
			}
		})
	}
}

func TestArchiveLayout(t *testing.T) {
	dist := fakeDist(t, AllPlatforms, same)
	out := t.TempDir()
	res, err := Archive(dist, out, AllPlatforms)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "inhouse-metrics-datasource-1.2.3.zip"); res.Path != want {
		t.Errorf("archive %s, want %s", res.Path, want)
	}
	raw, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) != res.SHA256 || int64(len(raw)) != res.Size {
		t.Errorf("result says %s, %d bytes; the file is %x, %d bytes", res.SHA256, res.Size, sum, len(raw))
	}
	sidecar, err := os.ReadFile(res.Path + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	if want := res.SHA256 + "  inhouse-metrics-datasource-1.2.3.zip\n"; string(sidecar) != want {
		t.Errorf(".sha256 holds %q, want %q (sha256sum -c reads this form)", sidecar, want)
	}

	zr, err := zip.OpenReader(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "inhouse-metrics-datasource/") {
			t.Errorf("%s is outside the plugin's folder", f.Name)
		}
		wantMode := os.FileMode(0o644)
		if strings.Contains(f.Name, "/gpx_") {
			wantMode = 0o755
		}
		if f.Mode().Perm() != wantMode {
			t.Errorf("%s has mode %v, want %v", f.Name, f.Mode().Perm(), wantMode)
		}
		if f.Modified.Year() < 2000 {
			t.Errorf("%s is dated %v; unzip would show no date", f.Name, f.Modified)
		}
	}

	dir := t.TempDir()
	if err := Unpack(res.Path, dir); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(dir, "inhouse-metrics-datasource", "gpx_inhouse_metrics_windows_amd64.exe"))
	if err != nil || string(body) != "binary windows" {
		t.Errorf("unpacked windows binary %q, %v", body, err)
	}
}

// The archive made from the real build (dist/, as ./scripts/test builds
// it: the frontend and this machine's backend) installs: the layout Grafana
// expects, a plugin.json that passes Grafana's schema, a README whose
// links work on Grafana's plugin page, and a backend that completes the
// plugin handshake from the unpacked folder.
func TestBuiltArchive(t *testing.T) {
	dist, err := filepath.Abs("../../dist")
	if err != nil {
		t.Fatal(err)
	}
	host := Platform{runtime.GOOS, runtime.GOARCH}
	for _, f := range []string{"module.js", host.Binary("gpx_inhouse_metrics")} {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			t.Skipf("dist/ is not built (%v): npm run build and mage build:%s first, as ./scripts/test does", err, host.OS)
		}
	}
	res, err := Archive(dist, t.TempDir(), []Platform{host})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes, %d files", filepath.Base(res.Path), res.Size, len(res.Files))
	dir := t.TempDir()
	if err := Unpack(res.Path, dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "inhouse-metrics-datasource" {
		t.Fatalf("the archive's root holds %v, want only inhouse-metrics-datasource/", entries)
	}
	plugin := filepath.Join(dir, "inhouse-metrics-datasource")

	var pkg struct{ Version string }
	readJSON(t, "../../package.json", &pkg)
	m, err := ReadManifest(plugin)
	if err != nil {
		t.Fatal(err)
	}
	if m.Info.Version != pkg.Version {
		t.Errorf("plugin.json's version %s, package.json's %s", m.Info.Version, pkg.Version)
	}
	if filepath.Base(res.Path) != "inhouse-metrics-datasource-"+pkg.Version+".zip" {
		t.Errorf("archive named %s", filepath.Base(res.Path))
	}
	for _, f := range Required(m, []Platform{host}) {
		if _, err := os.Stat(filepath.Join(plugin, f)); err != nil {
			t.Errorf("unpacked plugin lacks %s", f)
		}
	}
	if len(m.Info.Screenshots) == 0 {
		t.Error("plugin.json lists no screenshots")
	}
	for _, s := range m.Info.Screenshots {
		raw, err := os.ReadFile(filepath.Join(plugin, s.Path))
		if err == nil && !strings.HasPrefix(string(raw), "\x89PNG") {
			t.Errorf("screenshot %s is not a PNG", s.Path)
		}
	}
	validateManifest(t, filepath.Join(plugin, "plugin.json"))
	checkReadmeLinks(t, filepath.Join(plugin, "README.md"), pkg.Version)

	h, err := grafanahost.Start(filepath.Join(plugin, host.Binary("gpx_inhouse_metrics")), grafanahost.Options{})
	if err != nil {
		t.Fatalf("the unpacked backend does not complete the plugin handshake: %v", err)
	}
	defer h.Close()
	ref := httptest.NewServer(refserver.New(refserver.Options{}))
	defer ref.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	health, err := h.CheckHealth(ctx, grafanahost.DataSource{ID: 1, UID: "packed", Name: "In-house Metrics", URL: ref.URL, JSONData: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if health.Status != backend.HealthStatusOk {
		t.Errorf("Save & test through the unpacked backend: %v %s", health.Status, health.Message)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func validateManifest(t *testing.T, path string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	// Grafana's schema, as pkg/plugin's manifest test reads it.
	schema, err := c.Compile("../../pkg/plugin/testdata/plugin.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("the archive's plugin.json does not match Grafana's schema: %v", err)
	}
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// checkReadmeLinks: Grafana's plugin page resolves a relative link against
// Grafana's own URL, so every link must be absolute; those into the
// repository at the release's tag must name a file that exists here.
func checkReadmeLinks(t *testing.T, path, version string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Repository struct{ URL string }
	}
	readJSON(t, "../../package.json", &pkg)
	links := mdLink.FindAllStringSubmatch(string(raw), -1)
	if len(links) == 0 {
		t.Fatal("the README has no links; the pattern no longer matches them")
	}
	for _, l := range links {
		target := l[1]
		switch {
		case strings.HasPrefix(target, "#"), strings.HasPrefix(target, "mailto:"):
		case !strings.HasPrefix(target, "https://") && !strings.HasPrefix(target, "http://"):
			t.Errorf("README link %s is relative: Grafana's plugin page cannot resolve it", target)
		default:
			for _, kind := range []string{"/blob/", "/raw/"} {
				prefix := pkg.Repository.URL + kind + "v" + version + "/"
				if rest, ok := strings.CutPrefix(target, prefix); ok {
					if _, err := os.Stat(filepath.Join("../..", filepath.FromSlash(rest))); err != nil {
						t.Errorf("README link %s names %s, which the repository does not have", target, rest)
					}
				}
			}
		}
	}
}
