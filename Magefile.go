//go:build mage

package main

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
)

// Default builds the plugin binaries for every platform Grafana runs on.
var Default = build.BuildAll

// version is written into dist/plugin.json.
const version = "0.1.0"

// The SDK's build targets only compile binaries; Grafana also needs
// plugin.json (and its logo) beside them, so every build writes them to
// dist/ and dist/ is an installable plugin folder.
func init() {
	_ = build.SetBeforeBuildCallback(func(cfg build.Config) (build.Config, error) {
		return cfg, copyPluginFiles("src", "dist")
	})
}

func copyPluginFiles(src, dst string) error {
	if err := os.MkdirAll(filepath.Join(dst, "img"), 0o755); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(src, "plugin.json"))
	if err != nil {
		return err
	}
	manifest := strings.NewReplacer("%VERSION%", version, "%TODAY%", time.Now().UTC().Format("2006-01-02")).Replace(string(raw))
	if err := os.WriteFile(filepath.Join(dst, "plugin.json"), []byte(manifest), 0o644); err != nil {
		return err
	}
	logo, err := os.ReadFile(filepath.Join(src, "img", "logo.svg"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "img", "logo.svg"), logo, 0o644)
}
