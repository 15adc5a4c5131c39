package hostile_test

import (
	"strconv"
	"testing"

	"offsetreset/shared/internal/hostile"
	"offsetreset/shared/trigger/alert"
	"offsetreset/shared/trigger/alertmanager"
	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/cloudeye"
	"offsetreset/shared/trigger/cloudmonitor"
	"offsetreset/shared/trigger/cloudwatch"
	"offsetreset/shared/trigger/dingtalk"
	"offsetreset/shared/trigger/grafana"
	"offsetreset/shared/trigger/slack"
)

// readAlerts is what the alert routes do with decoded alerts: read every alert's group, topic,
// name and label summary.
func readAlerts(alerts []alert.Alert, _ error) {
	for _, a := range alerts {
		_, _ = a.Group(), a.Topic()
		_, _ = a.Lookup("alertname")
		_ = a.Describe(8)
	}
}

// decoders are every trigger decoder with the hostile shapes of its input and what the server
// does with a body: decode it and read what it uses.
var decoders = []struct {
	name   string
	shapes []hostile.Shape
	decode func(body []byte)
}{
	{"alertmanager", hostile.Alertmanager, func(b []byte) { readAlerts(alertmanager.Decode(b)) }},
	{"grafana", hostile.Alertmanager, func(b []byte) { readAlerts(grafana.Decode(b)) }},
	{"cloudmonitor", hostile.CloudMonitor, func(b []byte) { readAlerts(cloudmonitor.Decode(b)) }},
	{"cloudeye", hostile.CloudEye, func(b []byte) {
		if m, err := cloudeye.Decode(b); err == nil {
			a, err := cloudeye.ParseAlarm(m)
			readAlerts([]alert.Alert{a}, err)
		}
	}},
	{"cloudwatch", hostile.CloudWatch, func(b []byte) {
		if cloudwatch.Detect(b) != "" {
			readAlerts(cloudwatch.Decode(b))
		}
	}},
	{"slack", hostile.Slack, func(b []byte) { _, _ = slack.Decode(b) }},
	{"dingtalk", hostile.DingTalk, func(b []byte) { _, _ = dingtalk.Decode(b) }},
	{"chat", hostile.Chat, func(b []byte) { _, _ = chat.Parse(string(b)) }},
}

// TestHostileCost bounds what a 1 MiB body of every hostile shape costs each decoder in bytes
// and heap objects (not how long it takes: BenchmarkDecodeHostile shows that); chat text is also
// parsed at its own limit, MaxText.
func TestHostileCost(t *testing.T) {
	for _, d := range decoders {
		t.Run(d.name, func(t *testing.T) { hostile.Check(t, d.shapes, d.decode) })
	}
	for _, s := range hostile.Chat {
		text := string(s.Build(chat.MaxText))
		if c := hostile.Measure(func() { _, _ = chat.Parse(text) }); c.Bytes > 64*chat.MaxText {
			t.Errorf("chat %s: parsing %d bytes allocated %d bytes", s.Name, len(text), c.Bytes)
		}
	}
}

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB (chat also at MaxText):
// go test ./shared/internal/hostile -run XXX -bench . -benchmem
func BenchmarkDecodeHostile(b *testing.B) {
	for _, d := range decoders {
		sizes := []int{hostile.MiB}
		if d.name == "chat" {
			sizes = append(sizes, chat.MaxText)
		}
		for _, size := range sizes {
			for _, s := range d.shapes {
				body := s.Build(size)
				b.Run(d.name+"/"+s.Name+"-"+strconv.Itoa(size), func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					for b.Loop() {
						d.decode(body)
					}
				})
			}
		}
	}
}
