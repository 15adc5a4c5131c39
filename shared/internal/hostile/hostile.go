// Package hostile builds the hostile request bodies of every trigger decoder: bodies of a given
// size shaped to make a decoder spend far more time or memory than their size (many keys in one
// label set copied into every alert, many empty array elements, continuation text that grows a
// string, deep nesting). The decoders' benchmarks run them at 1 MiB, their cost tests bound the
// bytes allocated, and their fuzz targets take them, small, as seeds.
package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"offsetreset/shared/trigger/alert"
)

// MiB is the body limit of the HTTP routes, the size the benchmarks and cost tests use.
const MiB = 1 << 20

// Shape is one hostile body, built at about size bytes (never more).
type Shape struct {
	Name  string
	Build func(size int) []byte
}

// fill appends item(i) for i = 0, 1, … while the total stays within budget bytes, separated by sep.
func fill(b *bytes.Buffer, budget int, sep string, item func(i int) string) {
	start := b.Len()
	for i := 0; ; i++ {
		s := item(i)
		if i > 0 {
			s = sep + s
		}
		if b.Len()-start+len(s) > budget {
			return
		}
		b.WriteString(s)
	}
}

// key is a short distinct key: k0, k1, …, kf, k10, … (hex).
func key(i int) string { return "k" + fmt.Sprintf("%x", i) }

// jsonBody builds "{" + head + filled + tail + "}" within size.
func jsonBody(size int, head, sep, tail string, item func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	fill(&b, size-len(head)-len(tail), sep, item)
	b.WriteString(tail)
	return b.Bytes()
}

// Alertmanager are the shapes of Alertmanager's (and Grafana's) webhook body.
var Alertmanager = []Shape{
	// The known bad case of issue 11: ~100k commonLabels keys and 1,000 empty alerts, which a
	// decoder that copies commonLabels into every alert turns into 100M map entries.
	{"common-labels-1000-empty-alerts", func(size int) []byte {
		n := 1000
		if size < 8<<10 {
			n = 4
		}
		tail := `},"alerts":[` + strings.TrimSuffix(strings.Repeat(`{},`, n), ",") + `]}`
		return jsonBody(size, `{"status":"firing","commonLabels":{`, ",", tail, func(i int) string { return `"` + key(i) + `":""` })
	}},
	// commonLabels and 1,000 alerts that each lack some of them (a merge must copy).
	{"common-labels-1000-labeled-alerts", func(size int) []byte {
		n := 1000
		if size < 8<<10 {
			n = 4
		}
		var alerts strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				alerts.WriteString(",")
			}
			fmt.Fprintf(&alerts, `{"status":"firing","labels":{"alertname":"a%d"}}`, i)
		}
		tail := `},"alerts":[` + alerts.String() + `]}`
		return jsonBody(size, `{"status":"firing","commonLabels":{`, ",", tail, func(i int) string { return `"` + key(i) + `":"v"` })
	}},
	// The most commonLabels accepted, with long values, and 1,000 alerts that lack them all: a
	// decoder that merges commonLabels into each alert copies 256,000 entries.
	{"common-labels-at-limit-1000-alerts", func(size int) []byte {
		n, labels := 1000, alert.MaxLabels
		if size < 64<<10 {
			n, labels = 4, 64
		}
		var alerts strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				alerts.WriteString(",")
			}
			fmt.Fprintf(&alerts, `{"status":"firing","labels":{"alertname":"a%d"},"fingerprint":"f%d","startsAt":"2026-11-21T18:52:30Z"}`, i, i)
		}
		tail := `},"alerts":[` + alerts.String() + `]}`
		value := strings.Repeat("v", max((size-len(tail)-40)/labels-12, 1))
		var b bytes.Buffer
		b.WriteString(`{"status":"firing","commonLabels":{`)
		for i := 0; i < labels; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + key(i) + `":"` + value + `"`)
		}
		b.WriteString(tail)
		return b.Bytes()
	}},
	// Many empty alerts: far more than any limit, each an element to allocate.
	{"many-empty-alerts", func(size int) []byte {
		return jsonBody(size, `{"status":"firing","alerts":[`, ",", `]}`, func(int) string { return `{}` })
	}},
	// Many alerts with one label each.
	{"many-small-alerts", func(size int) []byte {
		return jsonBody(size, `{"alerts":[`, ",", `]}`, func(i int) string { return `{"labels":{"a":"b"}}` })
	}},
	// 1,000 alerts that share nothing, each with as many labels as fit.
	{"1000-alerts-many-labels", func(size int) []byte {
		n := 1000
		if size < 8<<10 {
			n = 4
		}
		per := size/n - 40
		var b bytes.Buffer
		b.WriteString(`{"status":"firing","alerts":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"status":"firing","labels":{`)
			fill(&b, per, ",", func(j int) string { return `"` + key(j) + `":"v"` })
			b.WriteString(`}}`)
		}
		b.WriteString(`]}`)
		return b.Bytes()
	}},
	// One alert whose label set is the whole body.
	{"one-alert-huge-labels", func(size int) []byte {
		return jsonBody(size, `{"alerts":[{"status":"firing","labels":{`, ",", `}}]}`, func(i int) string { return `"` + key(i) + `":""` })
	}},
	// Labels and annotations full of escapes: every byte decodes through the slow path.
	{"escaped-strings", func(size int) []byte {
		return jsonBody(size, `{"alerts":[{"status":"firing","labels":{"alertname":"`, "", `"}}]}`, func(int) string { return `\u00e9` })
	}},
	// An unknown field nested as deep as the body allows.
	{"deep-unknown-field", func(size int) []byte {
		n := (size - 40) / 2
		return []byte(`{"alerts":[],"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}},
	// groupLabels, annotations and Grafana's values: many keys in fields no rule reads.
	{"unread-maps", func(size int) []byte {
		return jsonBody(size, `{"alerts":[{"status":"firing","labels":{"alertname":"x"},"annotations":{`, ",", `},"values":{"A":1}}],"groupLabels":{}}`,
			func(i int) string { return `"` + key(i) + `":""` })
	}},
}

// form builds a form body: head, then items joined with & within size.
func form(size int, head string, item func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	fill(&b, size-len(head), "&", item)
	return b.Bytes()
}

// CloudMonitor are the shapes of a CloudMonitor callback (form-encoded).
var CloudMonitor = []Shape{
	{"many-form-fields", func(size int) []byte {
		return form(size, "alertName=x&alertState=ALERT&", func(i int) string { return key(i) + "=" })
	}},
	{"many-repeated-fields", func(size int) []byte {
		return form(size, "alertName=x&alertState=ALERT&", func(int) string { return "alertName=" })
	}},
	{"many-dimensions", func(size int) []byte {
		head := "alertName=x&alertState=ALERT&dimensions=%7B"
		return []byte(string(jsonBody(size, head, "%2C+", "%7D", func(i int) string { return key(i) + "%3Dv" })))
	}},
	// "{a=b, x, x, …}": every ", x" continues the previous value; appending to a string makes
	// it quadratic.
	{"dimension-continuations", func(size int) []byte {
		return jsonBody(size, "alertName=x&alertState=ALERT&dimensions=%7Ba%3Db", "", "%7D", func(int) string { return "%2C+x" })
	}},
	{"json-dimensions", func(size int) []byte {
		return jsonBody(size, "alertName=x&alertState=ALERT&dimensions=%5B", "%2C", "%5D", func(i int) string { return "%7B%22" + key(i) + "%22%3A%22v%22%7D" })
	}},
	{"long-escaped-value", func(size int) []byte {
		return jsonBody(size, "alertState=ALERT&alertName=", "", "", func(int) string { return "%E9" })
	}},
}

// fit calls build with a shrinking budget until the body it builds is at most size bytes (bodies
// that escape their content grow more than their budget).
func fit(size int, build func(budget int) []byte) []byte {
	budget := size
	for {
		b := build(budget)
		if len(b) <= size || budget <= 0 {
			return b
		}
		budget -= len(b) - size + 16
	}
}

// smn wraps a Cloud Eye message text into an SMN notification body.
func smn(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "Notification", "message_id": "m1", "topic_urn": "urn:smn:x:y:z",
		"timestamp": "2026-11-21T19:02:05Z", "message": msg})
	return b
}

// CloudEye are the shapes of an SMN notification carrying a Cloud Eye alarm.
var CloudEye = []Shape{
	{"json-message-many-keys", func(size int) []byte {
		return fit(size, func(size int) []byte {
			return smn(string(jsonBody(size, `{"alarm_name":"x","alarm_status":"alarm",`, ",", `}`, func(i int) string { return `"` + key(i) + `":"v"` })))
		})
	}},
	{"json-message-many-dimensions", func(size int) []byte {
		return smn(string(jsonBody(size*6/10, `{"alarm_name":"x","dimensions":[`, ",", `]}`, func(i int) string { return `{"name":"` + key(i) + `","value":"v"}` })))
	}},
	{"json-message-nested-long-keys", func(size int) []byte {
		long := strings.Repeat("p", 60)
		return fit(size, func(size int) []byte {
			return smn(string(jsonBody(size, `{"alarm_name":"x","`+long+`":{"`+long+`":{`, ",", `}}}`, func(i int) string { return `"` + key(i) + `":"v"` })))
		})
	}},
	{"json-message-deep", func(size int) []byte {
		return fit(size, func(size int) []byte {
			n := size / 8
			return smn(`{"alarm_name":"x","a":` + strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) + "}")
		})
	}},
	{"text-message-many-lines", func(size int) []byte {
		var b bytes.Buffer
		b.WriteString("Alarm Name: x\n")
		fill(&b, size*8/10, "\n", func(i int) string { return key(i) + ": v" })
		return smn(b.String())
	}},
	{"text-message-many-dimensions", func(size int) []byte {
		var b bytes.Buffer
		b.WriteString("Alarm Name: x\nDimensions: ")
		fill(&b, size*9/10, ",", func(i int) string { return key(i) + "=v" })
		return smn(b.String())
	}},
	{"many-unknown-fields", func(size int) []byte {
		return jsonBody(size, `{"type":"Notification","message":"alarm_name: x",`, ",", `}`, func(i int) string { return `"` + key(i) + `":""` })
	}},
}

// CloudWatch are the shapes of the Lambda events the cloudwatch decoder reads.
var CloudWatch = []Shape{
	{"sns-many-empty-records", func(size int) []byte {
		return jsonBody(size, `{"Records":[{"EventSource":"aws:sns"},`, ",", `]}`, func(int) string { return `{}` })
	}},
	{"sns-one-alarm-many-dimensions", func(size int) []byte {
		alarm := jsonBody(size*6/10, `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":[`, ",", `]}}`,
			func(i int) string { return `{"name":"` + key(i) + `","value":"v"}` })
		msg, _ := json.Marshal(string(alarm))
		return []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m","Message":` + string(msg) + `}}]}`)
	}},
	{"sns-100-alarms", func(size int) []byte {
		n := 100
		if size < 64<<10 {
			n = 3
		}
		var b bytes.Buffer
		b.WriteString(`{"Records":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			alarm := jsonBody(size/n*6/10, `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Metrics":[{"MetricStat":{"Metric":{"Dimensions":[`, ",", `]}}}]}}`,
				func(j int) string { return `{"name":"` + key(j) + `","value":"v"}` })
			msg, _ := json.Marshal(string(alarm))
			fmt.Fprintf(&b, `{"EventSource":"aws:sns","Sns":{"MessageId":"m%d","Message":%s}}`, i, msg)
		}
		b.WriteString(`]}`)
		return b.Bytes()
	}},
	{"eventbridge-many-metrics", func(size int) []byte {
		return jsonBody(size, `{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","resources":["arn"],"detail":{"alarmName":"a","state":{"value":"ALARM"},"configuration":{"metrics":[`,
			",", `]}}}`, func(i int) string { return `{"metricStat":{"metric":{"dimensions":{"` + key(i) + `":"v"}}}}` })
	}},
	{"eventbridge-many-resources", func(size int) []byte {
		return jsonBody(size, `{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","detail":{"alarmName":"a","state":{"value":"ALARM"}},"resources":[`,
			",", `]}`, func(int) string { return `""` })
	}},
}

// Slack are the shapes of a slash-command body.
var Slack = []Shape{
	{"many-form-fields", func(size int) []byte {
		return form(size, "user_id=U1&command=%2Foffsets&", func(i int) string { return key(i) + "=" })
	}},
	{"long-text", func(size int) []byte {
		return jsonBody(size, "user_id=U1&command=%2Foffsets&text=", "", "", func(int) string { return "plan+" })
	}},
}

// DingTalk are the shapes of a robot message body.
var DingTalk = []Shape{
	{"many-unknown-fields", func(size int) []byte {
		return jsonBody(size, `{"msgtype":"text","senderId":"s",`, ",", `}`, func(i int) string { return `"` + key(i) + `":""` })
	}},
	{"many-at-users", func(size int) []byte {
		return jsonBody(size, `{"msgtype":"text","senderId":"s","atUsers":[`, ",", `]}`, func(int) string { return `{"dingtalkId":"d"}` })
	}},
	{"long-content", func(size int) []byte {
		return jsonBody(size, `{"msgtype":"text","senderId":"s","text":{"content":"`, "", `"}}`, func(int) string { return `plan ` })
	}},
}

// Chat are the shapes of a chat command text (bounded by chat.MaxText before parsing).
var Chat = []Shape{
	{"many-words", func(size int) []byte { return bytes.Repeat([]byte("x "), size/2) }},
	{"many-partitions", func(size int) []byte {
		return []byte("plan demo billing orders:" + strings.TrimSuffix(strings.Repeat("0,", (size-40)/2), ",") + " latest")
	}},
	{"many-mentions", func(size int) []byte { return bytes.Repeat([]byte("@a "), size/3) }},
}

// Form is a form body of the given fields, for tests.
func Form(fields map[string]string) []byte {
	v := url.Values{}
	for k, s := range fields {
		v.Set(k, s)
	}
	return []byte(v.Encode())
}

// Cost is what one call allocated.
type Cost struct {
	Bytes  uint64 // bytes allocated (runtime.MemStats.TotalAlloc)
	Allocs uint64 // heap objects allocated (runtime.MemStats.Mallocs)
}

// Measure runs f once and reports what it allocated. Only the calling goroutine should be
// allocating: run it outside parallel tests.
func Measure(f func()) Cost {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return Cost{Bytes: after.TotalAlloc - before.TotalAlloc, Allocs: after.Mallocs - before.Mallocs}
}

// MaxBytes is what decoding one 1 MiB body of any shape may allocate (issue 11: ≤ 32 MB).
const MaxBytes = 32_000_000

// MaxAllocs bounds the heap objects decoding one 1 MiB body may allocate: a decoder that makes an
// object per label or per element of a hostile list is the slow kind even within MaxBytes.
const MaxAllocs = 50_000

// Check decodes every shape at 1 MiB and fails t for a shape that allocates more than MaxBytes
// or MaxAllocs. It measures allocation, never time: run it outside parallel tests.
func Check(t testing.TB, shapes []Shape, decode func(body []byte)) {
	t.Helper()
	for _, s := range shapes {
		body := s.Build(MiB)
		decode(body) // once first, so one-time initialization is not counted
		c := Measure(func() { decode(body) })
		t.Logf("%s: %d bytes of body, %d bytes in %d allocations", s.Name, len(body), c.Bytes, c.Allocs)
		if c.Bytes > MaxBytes || c.Allocs > MaxAllocs {
			t.Errorf("%s: decoding %d bytes allocated %d bytes in %d objects, more than the %d bytes and %d objects allowed", s.Name, len(body), c.Bytes, c.Allocs, MaxBytes, MaxAllocs)
		}
	}
}

// Seeds adds every shape, built at size bytes, to a fuzz target's seed corpus.
func Seeds(f *testing.F, shapes []Shape, size int) {
	for _, s := range shapes {
		f.Add(s.Build(size))
	}
}
