package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/url"
	"offsetreset/events"
	"offsetreset/shared/demo"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/server"
	"offsetreset/shared/trigger/alert"
	"offsetreset/shared/trigger/cloudeye"
	"offsetreset/shared/trigger/grafana"
)

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := events.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func errorText(t *testing.T, a answer) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.body), &e); err != nil {
		t.Fatalf("not an error answer: %s", a.body)
	}
	return e.Error
}

// alertRoute is one HTTP alert source with its sample.
type alertRoute struct {
	path, file, contentType string
}

var alertRoutes = []alertRoute{
	{"/v1/alerts/alertmanager", "http/alertmanager.json", "application/json"},
	{"/v1/alerts/grafana", "http/grafana.json", "application/json"},
	{"/v1/alerts/cloudmonitor", "http/cloudmonitor.form", "application/x-www-form-urlencoded"},
	{"/v1/alerts/cloudeye", "http/cloudeye-notification.json", "application/json"},
}

func TestAlertRoutesRejectUnauthenticated(t *testing.T) {
	f := newDemo(t)
	now := time.Now().Truncate(time.Second)
	f.svc.Now = func() time.Time { return now }
	for _, r := range alertRoutes {
		body := readEvent(t, r.file)
		ts := strconv.FormatInt(now.Unix(), 10)
		old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
		cases := []struct {
			name   string
			query  string
			header map[string]string
			want   string
		}{
			{"no credentials", "", nil, "no credentials: send Authorization: Bearer <OFFSETRESET_WEBHOOK_TOKEN>, ?token=<OFFSETRESET_WEBHOOK_TOKEN>, or an X-Grafana-Alerting-Signature HMAC"},
			{"wrong bearer", "", map[string]string{"Authorization": "Bearer nope"}, "the webhook token is wrong; check OFFSETRESET_WEBHOOK_TOKEN"},
			{"wrong url token", "?token=nope", nil, "the webhook token is wrong; check OFFSETRESET_WEBHOOK_TOKEN"},
			{"wrong signature", "", map[string]string{grafana.SignatureHeader: grafana.Sign("nope", ts, body), grafana.TimestampHeader: ts}, "the HMAC signature does not match the body; check the shared secret"},
			{"expired signature", "", map[string]string{grafana.SignatureHeader: grafana.Sign(trSecrets.WebhookHMAC, old, body), grafana.TimestampHeader: old},
				"the signature timestamp is 6m0s from now, outside the 5m0s window; check the sender's clock (or this is a replay)"},
			{"signature without its timestamp header", "", map[string]string{grafana.SignatureHeader: grafana.Sign(trSecrets.WebhookHMAC, ts, body)}, "the HMAC signature does not match the body; check the shared secret"},
		}
		for _, c := range cases {
			if r.path == "/v1/alerts/cloudeye" && strings.Contains(c.name, "signature") {
				continue // SMN signs its own way (TestCloudEyeSignature)
			}
			h := map[string]string{"Content-Type": r.contentType}
			for k, v := range c.header {
				h[k] = v
			}
			a := send(t, "POST", f.srv.URL+r.path+c.query, body, h)
			want := c.want
			if r.path == "/v1/alerts/cloudeye" && c.name == "no credentials" {
				want = "no credentials: add ?token=<OFFSETRESET_WEBHOOK_TOKEN> to the SMN subscription URL"
			}
			if a.code != 401 || errorText(t, a) != want {
				t.Errorf("%s %s: %d %s", r.path, c.name, a.code, a.body)
			}
		}
	}
	f.unchanged(t)
	if f.audit.String() != "" {
		t.Fatalf("unauthenticated requests reached the planner: %s", f.audit.String())
	}
}

func TestAlertRoutesClosedWithoutSecrets(t *testing.T) {
	f := newDemo(t)
	f.svc.Secrets = server.Secrets{}
	for _, r := range alertRoutes {
		a := send(t, "POST", f.srv.URL+r.path+"?token=", readEvent(t, r.file), map[string]string{"Authorization": "Bearer "})
		want := "this route is closed: set OFFSETRESET_WEBHOOK_TOKEN (sent as Authorization: Bearer … or ?token=…) or OFFSETRESET_WEBHOOK_HMAC_SECRET"
		if r.path == "/v1/alerts/cloudeye" {
			want = "this route is closed: set OFFSETRESET_WEBHOOK_TOKEN (and add ?token=… to the SMN subscription URL) or OFFSETRESET_SMN_TOPIC_URNS (accept SMN-signed messages of those topics)"
		}
		if a.code != 401 || errorText(t, a) != want {
			t.Errorf("%s: %d %s", r.path, a.code, a.body)
		}
	}
	f.unchanged(t)
}

func TestAlertRoutesRejectBadBodies(t *testing.T) {
	f := newDemo(t)
	tok := "?token=" + trSecrets.WebhookToken
	oversized := append([]byte(`{"alerts":[],"pad":"`), bytes.Repeat([]byte("x"), 1<<20)...)
	for _, r := range alertRoutes {
		sample := readEvent(t, r.file)
		cases := map[string][]byte{
			"truncated": sample[:len(sample)*2/3],
			"garbage":   []byte("\x00\xff garbage %zz"),
			"empty":     nil,
			"oversized": oversized,
		}
		for name, body := range cases {
			a := send(t, "POST", f.srv.URL+r.path+tok, body, map[string]string{"Content-Type": r.contentType})
			if a.code != 400 {
				t.Errorf("%s %s: %d %s", r.path, name, a.code, a.body)
				continue
			}
			if name == "oversized" && errorText(t, a) != "the request body is larger than 1 MiB; send fewer commands per request" {
				t.Errorf("%s oversized: %s", r.path, a.body)
			}
		}
	}
	// The sentences a sender gets.
	for path, c := range map[string]struct{ body, want string }{
		"/v1/alerts/alertmanager": {string(readEvent(t, "http/alertmanager.json")[:300]), "alertmanager webhook: the request body ends in the middle of the JSON; send the whole payload"},
		"/v1/alerts/grafana":      {`{"title":"x"}`, "grafana webhook: the body has no alerts array; this route takes the webhook payload of Alertmanager (version 4) or Grafana"},
		"/v1/alerts/cloudmonitor": {"alertName=x&alertState=%zz", `cloudmonitor webhook: the request body is not form-encoded (invalid URL escape "%zz"); CloudMonitor callbacks are application/x-www-form-urlencoded`},
		"/v1/alerts/cloudeye":     {`{"type":"Notification"}`, "cloudeye (SMN) message: the SMN notification has no message"},
	} {
		a := send(t, "POST", f.srv.URL+path+tok, []byte(c.body), nil)
		if a.code != 400 || errorText(t, a) != c.want {
			t.Errorf("%s: %d %s", path, a.code, a.body)
		}
	}
	f.unchanged(t)
}

func TestAlertRetriedWebhookSkipsOnce(t *testing.T) {
	f := newDemo(t)
	first := alertReport(t, f.sendSample(t, "http/grafana.json"))
	if first.Alerts[0].Result.Status != "applied" {
		t.Fatalf("%+v", first)
	}
	after := f.offsets(t)
	// The same notification again (a webhook retry): already handled, nothing runs.
	second := alertReport(t, f.sendSample(t, "http/grafana.json"))
	o := second.Alerts[0]
	if o.Outcome != server.OutcomeDuplicate || o.Result.Status != "refused" || o.Result.Duplicate == "" ||
		!strings.HasPrefix(o.Result.Error, "alert rule grafana-lag-skip: this alert notification was already handled at ") {
		t.Fatalf("%+v", o)
	}
	f.expect(t, after)
}

func TestAlertOutcomes(t *testing.T) {
	f := newDemo(t)
	tok := "?token=" + trSecrets.WebhookToken
	// CloudMonitor's top-level groupId is its application group: with no consumerGroup dimension
	// the rule matches but makes no command.
	form := url.Values{"alertName": {"x"}, "alertState": {"ALERT"}, "metricName": {"message_accumulation_onetopic"}, "namespace": {"acs_kafka"},
		"groupId": {"billing"}, "dimensions": {"{instanceId=alikafka_post-cn-demo0001, topic=orders}"}}
	rep := alertReport(t, send(t, "POST", f.srv.URL+"/v1/alerts/cloudmonitor"+tok, []byte(form.Encode()), nil))
	if o := rep.Alerts[0]; o.Outcome != server.OutcomeInvalid || o.Rule != "cloudmonitor-accumulation-skip" ||
		o.Reason != "alert rule cloudmonitor-accumulation-skip matched alert x, but the alert has no consumer group label or dimension (consumergroup, consumerGroup, group or groupId) and the rule sets no group; add group to the rule or the label to the alert; nothing changed" {
		t.Fatalf("%+v", o)
	}
	// No rule, and a state that does not act.
	am := `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","consumergroup":"billing"}},{"status":"resolved","labels":{"alertname":"KafkaConsumerLagHigh","consumergroup":"billing"}}]}`
	rep = alertReport(t, send(t, "POST", f.srv.URL+"/v1/alerts/alertmanager"+tok, []byte(am), nil))
	want := []server.AlertOutcome{
		{Alert: "DiskFull", State: "firing", Outcome: "ignored", Reason: "no alert rule with source alertmanager matches this alert (labels: alertname=DiskFull, consumergroup=billing); nothing changed"},
		{Alert: "KafkaConsumerLagHigh", State: "resolved", Outcome: "acknowledged", Reason: "state resolved: only firing alerts act; nothing changed"},
	}
	if !reflect.DeepEqual(rep.Alerts, want) {
		t.Fatalf("%+v", rep.Alerts)
	}
	// The same alert sent to another source's route matches no rule of that source.
	ins := `{"alerts":[{"status":"firing","labels":{"alertname":"KafkaConsumerLagCritical","severity":"critical","consumergroup":"billing"}}]}`
	rep = alertReport(t, send(t, "POST", f.srv.URL+"/v1/alerts/grafana"+tok, []byte(ins), nil))
	if rep.Alerts[0].Outcome != server.OutcomeIgnored {
		t.Fatalf("%+v", rep.Alerts)
	}
	f.unchanged(t)
}

func TestHandleAlertsDirect(t *testing.T) {
	f := newDemo(t)
	rep := f.svc.HandleAlerts(context.Background(), "req-9", "cloudwatch", []alert.Alert{{Source: "cloudwatch", Name: "orders-etl-payments-lag-critical", Firing: true, State: "ALARM",
		Labels: map[string]string{"Consumer Group": "orders-etl", "Topic": "payments"}, Fields: map[string]string{"AlarmName": "orders-etl-payments-lag-critical"}}})
	if rep.RetryError() != nil || rep.Alerts[0].Result.Status != "applied" {
		t.Fatalf("%+v", rep.Alerts[0])
	}
	f.expect(t, f.want("orders-etl", "payments", int64(demo.DemoMessages)))
	if a := f.audit.String(); !strings.Contains(a, `"principal":"alert:cloudwatch:cloudwatch-critical-skip"`) || !strings.Contains(a, `"requestId":"req-9"`) || !strings.Contains(a, `"trigger":"alert"`) {
		t.Fatal(a)
	}
}

type smnSigner struct {
	key *rsa.PrivateKey
	pem []byte
}

func newSMNSigner(t *testing.T) *smnSigner {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "smn"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &smnSigner{key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *smnSigner) signed(t *testing.T, m cloudeye.Message) []byte {
	sum := sha256.Sum256([]byte(m.StringToSign()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	return b
}

func TestCloudEyeSignature(t *testing.T) {
	f := newDemo(t)
	signer := newSMNSigner(t)
	var fetched []string
	topic := "urn:smn:cn-north-4:0a1b2c3d4e5f60718293a4b5c6d7e8f9:offsetreset-alarms"
	f.svc.CloudEye = (&cloudeye.Client{Topics: []string{topic}, Get: func(_ context.Context, u string) ([]byte, error) {
		fetched = append(fetched, u)
		if strings.Contains(u, "/smn/subscription/confirm") {
			return []byte("ok"), nil
		}
		return signer.pem, nil
	}})
	var m cloudeye.Message
	json.Unmarshal(readEvent(t, "http/cloudeye-notification.json"), &m)
	m.Timestamp = time.Now().UTC().Format(time.RFC3339) // SMN stamps its send time
	url := f.srv.URL + "/v1/alerts/cloudeye"

	// Unsigned or wrongly signed: 401, nothing fetched outside the allowlist, nothing changed.
	tampered := signer.signed(t, m)
	tampered = bytes.Replace(tampered, []byte("analytics-web"), []byte("billing"), 1)
	evil := m
	evil.SigningCertURL = "https://attacker.example.com/cert.pem"
	other := m
	other.TopicURN = "urn:smn:cn-north-4:ffffffffffffffffffffffffffffffff:theirs"
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"sample signature": {readEvent(t, "http/cloudeye-notification.json"), "the SMN signature does not verify"},
		"tampered":         {tampered, "the SMN signature does not verify"},
		"foreign cert":     {signer.signed(t, evil), "the SMN signing certificate cannot be used: host attacker.example.com is not among the allowed SMN hosts (smn.*.myhuaweicloud.com, smn.*.myhuaweicloud.eu, smn.myhuaweicloud.com); set OFFSETRESET_SMN_HOSTS to allow it"},
		"other topic":      {signer.signed(t, other), "SMN topic urn:smn:cn-north-4:ffffffffffffffffffffffffffffffff:theirs is not among the allowed topics (OFFSETRESET_SMN_TOPIC_URNS)"},
		"garbage":          {[]byte("{\"type\":"), "the body is not a signed SMN message (the request body ends in the middle of the JSON; send the whole payload); nothing was done"},
	} {
		a := send(t, "POST", url, c.body, nil)
		if a.code != 401 || errorText(t, a) != c.want {
			t.Errorf("%s: %d %s", name, a.code, a.body)
		}
	}
	for _, u := range fetched {
		if !strings.HasPrefix(u, "https://smn.cn-north-4.myhuaweicloud.com/") {
			t.Fatalf("fetched %s", u)
		}
	}
	f.unchanged(t)

	// Signed by SMN but sent 16 minutes ago (a captured message replayed): refused, nothing changed.
	old := m
	old.Timestamp = time.Now().Add(-16 * time.Minute).UTC().Format(time.RFC3339)
	if a := send(t, "POST", url, signer.signed(t, old), nil); a.code != 401 || !strings.Contains(errorText(t, a), "more than the 15 minutes accepted; it is refused as a possible replay") {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)

	// Signed by SMN for the allowed topic: acts.
	a := send(t, "POST", url, signer.signed(t, m), map[string]string{"X-SMN-MESSAGE-TYPE": "Notification"})
	if got := outcomes(alertReport(t, a)); !reflect.DeepEqual(got, []outcome{{"dms-kafka-analytics-web-lag", "acted", "applied"}}) {
		t.Fatalf("%s", a.body)
	}
	f.expect(t, f.want("analytics-web", "clickstream", int64(demo.DemoMessages)))

	// A signed subscription confirmation is confirmed (the certificate is cached by now); one
	// whose link leaves the allowlist is not.
	var sub cloudeye.Message
	json.Unmarshal(readEvent(t, "http/cloudeye-subscription.json"), &sub)
	fetched = nil
	if a := send(t, "POST", url, signer.signed(t, sub), nil); a.code != 200 || !reflect.DeepEqual(fetched, []string{sub.SubscribeURL}) {
		t.Fatalf("%d %s %v", a.code, a.body, fetched)
	}
	sub.SubscribeURL = "https://169.254.169.254/latest/meta-data/"
	fetched = nil
	a = send(t, "POST", url, signer.signed(t, sub), nil)
	if a.code != 400 || errorText(t, a) != "the SMN subscription was not confirmed: host 169.254.169.254 is not among the allowed SMN hosts (smn.*.myhuaweicloud.com, smn.*.myhuaweicloud.eu, smn.myhuaweicloud.com); set OFFSETRESET_SMN_HOSTS to allow it" || len(fetched) != 0 {
		t.Fatalf("%d %s %v", a.code, a.body, fetched)
	}
	// The header must agree with the signed body.
	a = send(t, "POST", url+"?token="+trSecrets.WebhookToken, readEvent(t, "http/cloudeye-notification.json"), map[string]string{"X-SMN-MESSAGE-TYPE": "SubscriptionConfirmation"})
	if a.code != 400 || errorText(t, a) != "the X-SMN-MESSAGE-TYPE header says SubscriptionConfirmation but the body is a Notification" {
		t.Fatalf("%d %s", a.code, a.body)
	}
	// A notification that names no alarm is acknowledged.
	plainMsg := m
	plainMsg.Message = "Hello from SMN"
	a = send(t, "POST", url, signer.signed(t, plainMsg), nil)
	if rep := alertReport(t, a); rep.Alerts[0].Outcome != server.OutcomeIgnored {
		t.Fatalf("%s", a.body)
	}
}
