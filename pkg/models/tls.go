package models

import "encoding/json"

// tlsSkipVerify reads Grafana's standard jsonData.tlsSkipVerify.
func tlsSkipVerify(jsonData json.RawMessage) bool {
	var jd struct {
		TLSSkipVerify bool `json:"tlsSkipVerify"`
	}
	_ = json.Unmarshal(jsonData, &jd)
	return jd.TLSSkipVerify
}
