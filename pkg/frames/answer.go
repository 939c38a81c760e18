package frames

import "github.com/grafana/grafana-plugin-sdk-go/data"

// Answer is a decoded POST /query answer. One answer may serve several
// queries (coalesced calls, the cache), so nothing that builds frames from
// it changes it.
type Answer struct {
	Series []*Series
	Tables []*Table
	// Notices are things the user should know about the data (sorted,
	// duplicated or odd points), not errors.
	Notices []string
}

// Redact passes every name, label and string cell of the answer through
// scrub. A service that echoes its request into its data would otherwise
// put our credentials on a dashboard. It runs once per answer, before the
// answer is shared.
func (a *Answer) Redact(scrub func(string) string) {
	labels := func(l data.Labels) data.Labels {
		if len(l) == 0 {
			return l
		}
		out := make(data.Labels, len(l))
		for k, v := range l {
			out[scrub(k)] = scrub(v)
		}
		return out
	}
	for _, s := range a.Series {
		s.Name, s.Labels = scrub(s.Name), labels(s.Labels)
	}
	for _, t := range a.Tables {
		t.Name = scrub(t.Name)
		for _, f := range t.Fields {
			f.Name, f.Labels = scrub(f.Name), labels(f.Labels)
			if f.Type() != data.FieldTypeNullableString {
				continue
			}
			for i := 0; i < f.Len(); i++ {
				if p := f.At(i).(*string); p != nil {
					if clean := scrub(*p); clean != *p {
						f.Set(i, &clean)
					}
				}
			}
		}
	}
	for i, n := range a.Notices {
		a.Notices[i] = scrub(n)
	}
}

// SizeBytes estimates the memory the answer holds, for the cache budget:
// 40 bytes a point (time, pointer, value) and 32 a table cell.
func (a *Answer) SizeBytes() int64 {
	var n int64
	for _, s := range a.Series {
		n += int64(s.Time.Len())*40 + int64(len(s.Name)) + 64
	}
	for _, t := range a.Tables {
		for _, f := range t.Fields {
			n += int64(f.Len())*32 + 64
		}
	}
	return n
}
