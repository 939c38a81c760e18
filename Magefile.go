//go:build mage

package main

import (
	"fmt"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/pack"
)

// Default builds the plugin binaries for every platform Grafana runs on.
// They land in dist/ beside what `npm run build` writes there (module.js,
// plugin.json, logo, README), which makes dist/ the installable plugin.
var Default = build.BuildAll

// Package builds the frontend and the backend for every platform into
// dist/, then writes inhouse-metrics-datasource-<version>.zip (and its
// .sha256) in the repository's root folder.
func Package() error {
	fmt.Println("== frontend (npm run build)")
	if err := sh.RunV("npm", "run", "build"); err != nil {
		return err
	}
	fmt.Printf("== backend for %d platforms (mage buildAll; several minutes on a small machine, one line per binary as it starts)\n", len(pack.AllPlatforms))
	mg.Deps(build.BuildAll)
	return Archive()
}

// Archive writes inhouse-metrics-datasource-<version>.zip (and its .sha256)
// from dist/ as it is, every platform's backend required: for a dist/ signed
// after the build (npx @grafana/sign-plugin writes its MANIFEST.txt there).
func Archive() error {
	res, err := pack.Archive("dist", ".", pack.AllPlatforms)
	if err != nil {
		return err
	}
	fmt.Printf("== %s: %d files, %d bytes\nsha256 %s (also in %s.sha256)\n", res.Path, len(res.Files), res.Size, res.SHA256, res.Path)
	return nil
}
