package grafana

import (
	"strconv"
	"testing"
	"time"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
)

func TestDecodeSample(t *testing.T) {
	alerts, err := Decode(events.Read("http/grafana.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	a := alerts[0]
	if a.Source != "grafana" || a.Name != "KafkaConsumerLagHigh" || !a.Firing || a.Group() != "billing" || a.Topic() != "orders" ||
		a.Labels["grafana_folder"] != "Kafka" || a.ID != "4f9c2d1e8a7b6c50" || a.Key != "4f9c2d1e8a7b6c50@2026-11-21T18:55:00Z" {
		t.Fatalf("%+v", a)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_795_287_600, 0)
	body := events.Read("http/grafana.json")
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign("k", ts, body)
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	cases := []struct {
		name, secret, sig, ts string
		body                  []byte
		want                  string
	}{
		{"signed with timestamp", "k", good, ts, body, ""},
		{"sha256= prefix", "k", "sha256=" + good, ts, body, ""},
		{"body only", "k", Sign("k", "", body), "", body,
			"the HMAC signature covers the body without a timestamp, so a captured request would verify forever; it is refused: set the contact point's HMAC Timestamp Header (for example to X-Grafana-Alerting-Timestamp) so that the time is signed too"},
		{"body only, wrong", "k", Sign("other", "", body), "", body, "the HMAC signature does not match the body; check the shared secret"},
		{"5 minutes old", "k", Sign("k", at(-Window), body), at(-Window), body, ""},
		{"5 minutes ahead", "k", Sign("k", at(Window), body), at(Window), body, ""},
		{"millisecond timestamp", "k", Sign("k", ts+"000", body), ts + "000", body, ""},
		{"no secret configured", "", good, ts, body, "no HMAC secret is configured (OFFSETRESET_WEBHOOK_HMAC_SECRET)"},
		{"missing signature", "k", "", ts, body, "the signature header is missing"},
		{"wrong secret", "other", good, ts, body, "the HMAC signature does not match the body; check the shared secret"},
		{"changed body", "k", good, ts, append([]byte(" "), body...), "the HMAC signature does not match the body; check the shared secret"},
		{"not hex", "k", "zz" + good[2:], ts, body, "the HMAC signature does not match the body; check the shared secret"},
		{"timestamp dropped", "k", good, "", body, "the HMAC signature does not match the body; check the shared secret"},
		{"expired", "k", Sign("k", strconv.FormatInt(now.Unix()-301, 10), body), strconv.FormatInt(now.Unix()-301, 10), body,
			"the signature timestamp is 5m1s from now, outside the 5m0s window; check the sender's clock (or this is a replay)"},
		{"future", "k", Sign("k", strconv.FormatInt(now.Unix()+400, 10), body), strconv.FormatInt(now.Unix()+400, 10), body,
			"the signature timestamp is 6m40s from now, outside the 5m0s window; check the sender's clock (or this is a replay)"},
		{"bad timestamp", "k", good, "yesterday", body, `the signature timestamp "yesterday" is not a Unix time`},
		{"expired, in milliseconds", "k", Sign("k", at(-6*time.Minute)+"000", body), at(-6*time.Minute) + "000", body,
			"the signature timestamp is 6m0s from now, outside the 5m0s window; check the sender's clock (or this is a replay)"},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.body, c.sig, c.ts, now)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
	// Accepting the body-only form is an explicit choice of the caller.
	if err := VerifyWith("k", body, Sign("k", "", body), "", now, Options{AllowUntimestamped: true}); err != nil {
		t.Fatalf("allowed body-only signature: %v", err)
	}
	if err := VerifyWith("k", body, Sign("other", "", body), "", now, Options{AllowUntimestamped: true}); err != ErrSignature {
		t.Fatalf("allowed body-only signature, wrong secret: %v", err)
	}
	if err := VerifyWith("k", body, Sign("k", at(-6*time.Minute), body), at(-6*time.Minute), now, Options{AllowUntimestamped: true}); err == nil {
		t.Fatal("a timestamped signature keeps its window when the body-only form is allowed")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("http/grafana.json"))
	f.Add([]byte(`{"alerts":[{"status":"firing","labels":{"alertname":"x"}}],"state":"alerting"}`))
	hostile.Seeds(f, hostile.Alertmanager, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := Decode(b)
		if err != nil {
			return
		}
		for _, a := range alerts {
			_ = a.Group()
			_ = a.Topic()
		}
		_ = Verify("k", b, string(b), "", time.Unix(0, 0))
	})
}
