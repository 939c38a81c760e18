package frames

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Annotations is an annotation query's answer: its events, from
// /annotations or from a table /query answered.
type Annotations struct {
	Events []contract.Annotation
}

// Frame is what Grafana draws as annotations: fields time, title, text
// and tags (a list of strings per event), timeEnd, nullable, when any
// event has an end, so that regions draw as regions, and id when any
// event has one. Grafana reads events
// only from a frame that has a text field, so text is always there.
func (a *Annotations) Frame() *data.Frame {
	n := len(a.Events)
	times := make([]time.Time, n)
	titles := make([]string, n)
	texts := make([]string, n)
	tags := make([]json.RawMessage, n)
	var ends []*time.Time
	for i, e := range a.Events {
		times[i], titles[i], texts[i] = time.UnixMilli(e.Time).UTC(), e.Title, e.Text
		list := e.Tags
		if list == nil {
			list = []string{}
		}
		tags[i], _ = json.Marshal(list)
		if e.TimeEnd != 0 && ends == nil {
			ends = make([]*time.Time, n)
		}
	}
	fields := []*data.Field{data.NewField("time", nil, times)}
	if ends != nil {
		for i, e := range a.Events {
			if e.TimeEnd != 0 {
				t := time.UnixMilli(e.TimeEnd).UTC()
				ends[i] = &t
			}
		}
		fields = append(fields, data.NewField("timeEnd", nil, ends))
	}
	fields = append(fields, data.NewField("title", nil, titles), data.NewField("text", nil, texts), data.NewField("tags", nil, tags))
	if slices.ContainsFunc(a.Events, func(e contract.Annotation) bool { return e.ID != "" }) {
		ids := make([]string, n)
		for i, e := range a.Events {
			ids[i] = e.ID
		}
		fields = append(fields, data.NewField("id", nil, ids))
	}
	meta := *plainTable
	return data.NewFrame("", fields...).SetMeta(&meta)
}

// Redact passes every title, text and tag through scrub.
func (a *Annotations) Redact(scrub func(string) string) {
	for i := range a.Events {
		e := &a.Events[i]
		e.Title, e.Text, e.ID = scrub(e.Title), scrub(e.Text), scrub(e.ID)
		tags := make([]string, len(e.Tags))
		for j, t := range e.Tags {
			tags[j] = scrub(t)
		}
		e.Tags = tags
	}
}

// SizeBytes is what the events hold, for the cache's budget.
func (a *Annotations) SizeBytes() int64 {
	n := int64(64 + 96*len(a.Events))
	for _, e := range a.Events {
		n += int64(len(e.Title) + len(e.Text) + len(e.ID))
		for _, t := range e.Tags {
			n += int64(16 + len(t))
		}
	}
	return n
}
