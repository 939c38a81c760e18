package models

import (
	"os"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

func TestLogLevel(t *testing.T) {
	tests := []struct {
		env     string
		want    log.Level
		wantErr string
	}{
		{env: "", want: log.Info},
		{env: "debug", want: log.Debug},
		{env: " DEBUG ", want: log.Debug},
		{env: "trace", want: log.Debug},
		{env: "info", want: log.Info},
		{env: "warn", want: log.Warn},
		{env: "Warning", want: log.Warn},
		{env: "error", want: log.Error},
		{env: "verbose", want: log.Info, wantErr: `log_level "verbose" in [plugin.inhouse-metrics-datasource] (GF_PLUGIN_LOG_LEVEL) is not one of debug, info, warn, error`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(LogLevelEnv, tt.env)
			got, err := LogLevel(os.Getenv)
			if got != tt.want {
				t.Errorf("level %v, want %v", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		env     string
		want    int64
		wantErr string
	}{
		{env: "", want: 0},
		{env: "256", want: 256 << 20},
		{env: " 64 ", want: 64 << 20},
		{env: "0", wantErr: `memory_limit_mb "0" in [plugin.inhouse-metrics-datasource] (GF_PLUGIN_MEMORY_LIMIT_MB) is not a whole number of megabytes of 1 or more`},
		{env: "1GB", wantErr: "is not a whole number of megabytes"},
		{env: "-5", wantErr: "is not a whole number of megabytes"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(MemoryLimitEnv, tt.env)
			got, err := MemoryLimit(os.Getenv)
			if got != tt.want {
				t.Errorf("limit %d, want %d", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
