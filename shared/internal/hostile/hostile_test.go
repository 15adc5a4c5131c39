package hostile

import (
	"encoding/json"
	"testing"
)

func TestShapesFit(t *testing.T) {
	sets := map[string][]Shape{"alertmanager": Alertmanager, "cloudmonitor": CloudMonitor, "cloudeye": CloudEye,
		"cloudwatch": CloudWatch, "slack": Slack, "dingtalk": DingTalk, "chat": Chat}
	for name, set := range sets {
		for _, s := range set {
			for _, size := range []int{2 << 10, MiB} {
				b := s.Build(size)
				if len(b) > size || len(b) < size*3/4 {
					t.Errorf("%s %s: %d bytes built for %d", name, s.Name, len(b), size)
				}
				isJSON := name == "alertmanager" || name == "cloudeye" || name == "cloudwatch" || name == "dingtalk"
				if isJSON && s.Name != "deep-unknown-field" && !json.Valid(b) {
					t.Errorf("%s %s at %d: not JSON: %.200s", name, s.Name, size, b)
				}
			}
		}
	}
}
