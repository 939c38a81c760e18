package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// provisioned is the part of a Grafana provisioning file's data source
// entry that changes what the plugin does.
type provisioned struct {
	Name           string            `yaml:"name"`
	Type           string            `yaml:"type"`
	UID            string            `yaml:"uid"`
	URL            string            `yaml:"url"`
	BasicAuth      bool              `yaml:"basicAuth"`
	BasicAuthUser  string            `yaml:"basicAuthUser"`
	JSONData       map[string]any    `yaml:"jsonData"`
	SecureJSONData map[string]string `yaml:"secureJsonData"`
}

// loadDataSource reads the entry named name (or the file's only entry of
// this plugin's type when name is empty) from a provisioning file, with
// environment variables expanded as Grafana expands them.
func loadDataSource(path, name string) (grafanahost.DataSource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return grafanahost.DataSource{}, badFlag("--datasource-file %s: %v", path, unwrapPathError(err))
	}
	var file struct {
		Datasources []yaml.Node `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		return grafanahost.DataSource{}, badFlag("--datasource-file %s is not a provisioning file: %v", path, err)
	}
	var ours []provisioned
	var names []string
	for _, n := range file.Datasources {
		expand(&n)
		var p provisioned
		if err := n.Decode(&p); err != nil {
			return grafanahost.DataSource{}, badFlag("--datasource-file %s: line %d: %v", path, n.Line, err)
		}
		names = append(names, fmt.Sprintf("%q (%s)", p.Name, p.Type))
		if p.Type == grafanahost.PluginID && (name == "" || p.Name == name) {
			ours = append(ours, p)
		}
	}
	switch {
	case len(ours) == 0 && name != "":
		return grafanahost.DataSource{}, badFlag("--datasource-file %s has no data source named %q of type %s; it has %s", path, name, grafanahost.PluginID, listOr(names))
	case len(ours) == 0:
		return grafanahost.DataSource{}, badFlag("--datasource-file %s has no data source of type %s; it has %s", path, grafanahost.PluginID, listOr(names))
	case len(ours) > 1:
		return grafanahost.DataSource{}, badFlag("--datasource-file %s has %d data sources of type %s: choose one with --name", path, len(ours), grafanahost.PluginID)
	}
	p := ours[0]
	ds := grafanahost.DataSource{ID: 1, UID: p.UID, Name: p.Name, URL: p.URL, BasicAuth: p.BasicAuth, User: p.BasicAuthUser,
		JSONData: p.JSONData, Secure: p.SecureJSONData}
	if ds.UID == "" {
		ds.UID = "cli"
	}
	if ds.JSONData == nil {
		ds.JSONData = map[string]any{}
	}
	if ds.Secure == nil {
		ds.Secure = map[string]string{}
	}
	return ds, nil
}

func listOr(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// envRef is what Grafana's provisioning expands in a value: $$ is a
// dollar sign, ${NAME} and $NAME the variable (empty when unset).
var envRef = regexp.MustCompile(`\$\$|\$\{(\w+)\}|\$(\w+)`)

func expandEnv(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := envRef.FindStringSubmatch(m)
		return os.Getenv(sub[1] + sub[2])
	})
}

// expand replaces the variables in every string scalar of n, as Grafana
// expands every value of a provisioning file (not its keys).
func expand(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.Tag == "" {
			n.Value = expandEnv(n.Value)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expand(n.Content[i])
		}
	default:
		for _, c := range n.Content {
			expand(c)
		}
	}
}
