//go:build mage

package main

import (
	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
)

// Default builds the plugin binaries for every platform Grafana runs on.
// They land in dist/ beside what `npm run build` writes there (module.js,
// plugin.json, logo, README), which makes dist/ the installable plugin.
var Default = build.BuildAll
