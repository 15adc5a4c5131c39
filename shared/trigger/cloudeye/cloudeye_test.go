package cloudeye

import (
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
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
)

// testSigner is an SMN signing key with a self-signed certificate.
type testSigner struct {
	key *rsa.PrivateKey
	pem []byte
}

func newSigner(t testing.TB, notAfter time.Time) *testSigner {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smn test"},
		NotBefore: time.Unix(1_700_000_000, 0), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *testSigner) sign(t testing.TB, m *Message) {
	sum := sha256.Sum256([]byte(m.StringToSign()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}

func TestDecodeSamples(t *testing.T) {
	n, err := Decode(events.Read("http/" + "cloudeye-notification.json"))
	if err != nil || n.Type != TypeNotification || n.TopicURN != "urn:smn:cn-north-4:0a1b2c3d4e5f60718293a4b5c6d7e8f9:offsetreset-alarms" {
		t.Fatalf("%+v %v", n, err)
	}
	a, ok := Alarm(n)
	if !ok {
		t.Fatal("no alarm")
	}
	if a.Source != "cloudeye" || a.Name != "dms-kafka-analytics-web-lag" || !a.Firing || a.State != "alarm" ||
		a.Group() != "analytics-web" || a.Topic() != "clickstream" || a.Fields["metric_name"] != "messages_remained" ||
		a.Fields["namespace"] != "SYS.DMS" || a.ID != "6a2f0e3c9b8d4f7a8e1d2c3b4a596877" || a.Key != "6a2f0e3c9b8d4f7a8e1d2c3b4a596877" {
		t.Fatalf("%+v", a)
	}
	s, err := Decode(events.Read("http/" + "cloudeye-subscription.json"))
	if err != nil || s.Type != TypeSubscriptionConfirmation || !strings.HasPrefix(s.SubscribeURL, "https://smn.cn-north-4.myhuaweicloud.com/smn/subscription/confirm?") {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestStringToSign(t *testing.T) {
	// The example of the SMN documentation ("Message Signature Verification").
	m := Message{Type: TypeNotification, Message: "My test message", MessageID: "88c726942175432bac921eafd0036163", Subject: "demo",
		Timestamp: "2016-08-15T07:29:16Z", TopicURN: "urn:smn:regionId:74dc9e44d0cc4573adfce91cdfdd3ba9:xxxx"}
	want := "message\nMy test message\nmessage_id\n88c726942175432bac921eafd0036163\nsubject\ndemo\ntimestamp\n2016-08-15T07:29:16Z\ntopic_urn\nurn:smn:regionId:74dc9e44d0cc4573adfce91cdfdd3ba9:xxxx\ntype\nNotification\n"
	if got := m.StringToSign(); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	m.Subject = ""
	if got := m.StringToSign(); strings.Contains(got, "subject") {
		t.Fatalf("an empty subject is not signed: %q", got)
	}
	c := Message{Type: TypeSubscriptionConfirmation, Message: "m", MessageID: "id", SubscribeURL: "https://x", Timestamp: "t", TopicURN: "u", Subject: "ignored"}
	if got := c.StringToSign(); got != "message\nm\nmessage_id\nid\nsubscribe_url\nhttps://x\ntimestamp\nt\ntopic_urn\nu\ntype\nSubscriptionConfirmation\n" {
		t.Fatalf("%q", got)
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	signer := newSigner(t, time.Unix(2_000_000_000, 0))
	var fetched []string
	client := &Client{Topics: []string{"urn:smn:cn-north-4:0a1b2c3d4e5f60718293a4b5c6d7e8f9:offsetreset-alarms"},
		Now: func() time.Time { return time.Unix(1_795_287_600, 0) },
		Get: func(_ context.Context, u string) ([]byte, error) {
			fetched = append(fetched, u)
			return signer.pem, nil
		}}
	m, err := Decode(events.Read("http/" + "cloudeye-notification.json"))
	if err != nil {
		t.Fatal(err)
	}
	signer.sign(t, &m)
	if err := client.Verify(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := client.Verify(ctx, m); err != nil || len(fetched) != 1 {
		t.Fatalf("the certificate is cached: %v, fetched %v", err, fetched)
	}
	tampered := m
	tampered.Message = strings.Replace(m.Message, "analytics-web", "billing", 1)
	other := m
	other.TopicURN = "urn:smn:cn-north-4:ffffffffffffffffffffffffffffffff:attacker"
	evilCert := m
	evilCert.SigningCertURL = "https://bucket.obs.cn-north-4.myhuaweicloud.com/smn/cert.pem"
	notSMN := m
	notSMN.SigningCertURL = "https://smn.example.com/cert.pem"
	plain := m
	plain.SigningCertURL = "http://smn.cn-north-4.myhuaweicloud.com/smn/cert.pem"
	garbled := m
	garbled.Signature = "%%%"
	for name, c := range map[string]struct {
		m    Message
		want string
	}{
		"tampered":          {tampered, "the SMN signature does not verify"},
		"other topic":       {other, "SMN topic urn:smn:cn-north-4:ffffffffffffffffffffffffffffffff:attacker is not among the allowed topics (OFFSETRESET_SMN_TOPIC_URNS)"},
		"object storage":    {evilCert, "the SMN signing certificate cannot be used: host bucket.obs.cn-north-4.myhuaweicloud.com is not among the allowed SMN hosts (smn.*.myhuaweicloud.com, smn.*.myhuaweicloud.eu, smn.myhuaweicloud.com); set OFFSETRESET_SMN_HOSTS to allow it"},
		"other host":        {notSMN, "the SMN signing certificate cannot be used: host smn.example.com is not among the allowed SMN hosts (smn.*.myhuaweicloud.com, smn.*.myhuaweicloud.eu, smn.myhuaweicloud.com); set OFFSETRESET_SMN_HOSTS to allow it"},
		"plain http":        {plain, "the SMN signing certificate cannot be used: http://smn.cn-north-4.myhuaweicloud.com/smn/cert.pem is not an https URL"},
		"garbled signature": {garbled, "the SMN signature does not verify"},
	} {
		err := client.Verify(ctx, c.m)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v\nwant %s", name, err, c.want)
		}
	}
	if len(fetched) != 1 {
		t.Fatalf("fetched %v: nothing outside the allowlist may be fetched", fetched)
	}
	closed := &Client{Get: client.Get}
	if err := closed.Verify(ctx, m); !errors.Is(err, ErrNoTopics) {
		t.Fatalf("no topics: %v", err)
	}
	expired := &Client{Topics: client.Topics, Now: func() time.Time { return time.Unix(2_100_000_000, 0) },
		Get: func(context.Context, string) ([]byte, error) { return signer.pem, nil }}
	if err := expired.Verify(ctx, m); err == nil || !strings.Contains(err.Error(), "the SMN signing certificate cannot be used: it is valid from 2023-11-14T22:13:20Z to 2033-05-18T03:33:20Z only") {
		t.Fatalf("expired certificate: %v", err)
	}
}

func TestAllowedHosts(t *testing.T) {
	c := &Client{}
	for u, ok := range map[string]bool{
		"https://smn.cn-north-4.myhuaweicloud.com/smn/x.pem":     true,
		"https://SMN.ap-southeast-1.myhuaweicloud.com/x":         true,
		"https://smn.eu-west-101.myhuaweicloud.eu/x":             true,
		"https://smn.a.b.myhuaweicloud.com/x":                    false, // '*' is one label
		"https://smn.cn-north-4.myhuaweicloud.com.evil.com/x":    false,
		"https://smn.cn-north-4.myhuaweicloud.com:8443/x":        false,
		"https://user@smn.cn-north-4.myhuaweicloud.com/x":        false,
		"https://203.0.113.7/smn/subscription/confirm":           false,
		"https://smn..myhuaweicloud.com/x":                       false,
		"ftp://smn.cn-north-4.myhuaweicloud.com/x":               false,
		"https://smn.cn-north-4.myhuaweicloud.com:443/smn/x.pem": true,
	} {
		if err := c.Allowed(u); (err == nil) != ok {
			t.Errorf("Allowed(%s) = %v, want ok=%v", u, err, ok)
		}
	}
	private := &Client{Hosts: []string{"smn.private.example"}}
	if private.Allowed("https://smn.private.example/x") != nil || private.Allowed("https://smn.cn-north-4.myhuaweicloud.com/x") == nil {
		t.Fatal("a configured allowlist replaces the default")
	}
}

func TestConfirm(t *testing.T) {
	var got []string
	c := &Client{Get: func(_ context.Context, u string) ([]byte, error) { got = append(got, u); return []byte("ok"), nil }}
	s, err := Decode(events.Read("http/" + "cloudeye-subscription.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Confirm(context.Background(), s); err != nil || !reflect.DeepEqual(got, []string{s.SubscribeURL}) {
		t.Fatalf("%v %v", err, got)
	}
	s.SubscribeURL = "https://169.254.169.254/latest/meta-data"
	if err := c.Confirm(context.Background(), s); err == nil || err.Error() != "host 169.254.169.254 is not among the allowed SMN hosts (smn.*.myhuaweicloud.com, smn.*.myhuaweicloud.eu, smn.myhuaweicloud.com); set OFFSETRESET_SMN_HOSTS to allow it" || len(got) != 1 {
		t.Fatalf("%v %v", err, got)
	}
}

func TestAlarmMessageForms(t *testing.T) {
	text := Message{Type: TypeNotification, MessageID: "m1", Message: "Alarm Name: kafka-lag\nAlarm Status: Alarm\nMetric Name: messages_remained\nDimensions: consumer_group:billing,topic:orders"}
	a, ok := Alarm(text)
	if !ok || a.Name != "kafka-lag" || !a.Firing || a.Group() != "billing" || a.Topic() != "orders" || a.Fields["Metric Name"] != "messages_remained" {
		t.Fatalf("%+v %v", a, ok)
	}
	ok2 := Message{Type: TypeNotification, Message: `{"alarm_name":"kafka-lag","alarm_status":"ok","dimensions":{"consumer_group":"billing"}}`}
	if a, ok := Alarm(ok2); !ok || a.Firing || a.Group() != "billing" {
		t.Fatalf("%+v %v", a, ok)
	}
	nested := Message{Type: TypeNotification, Message: `{"alarm":{"name":"n","status":"alarm"},"metric":{"namespace":"SYS.DMS","dimensions":[{"name":"group","value":"g"}]}}`}
	if a, ok := Alarm(nested); !ok || a.Name != "n" || !a.Firing || a.Group() != "g" {
		t.Fatalf("%+v %v", a, ok)
	}
	if _, ok := Alarm(Message{Type: TypeNotification, Message: "Hello from SMN"}); ok {
		t.Fatal("a message without an alarm name is not an alarm")
	}
}

func TestFresh(t *testing.T) {
	m, err := Decode(events.Read("http/" + "cloudeye-notification.json")) // timestamp 2026-11-21T19:02:05Z
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 11, 21, 19, 2, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"just sent", sent, ""},
		{"15 minutes old", sent.Add(MaxAge), ""},
		{"5 minutes ahead", sent.Add(-MaxAhead), ""},
		{"15 minutes and a second old", sent.Add(MaxAge + time.Second),
			"the SMN notification was sent 15m1s ago (timestamp 2026-11-21T19:02:05Z), more than the 15 minutes accepted; it is refused as a possible replay (if SMN delivers this late, check this server's clock)"},
		{"a day old", sent.Add(24 * time.Hour),
			"the SMN notification was sent 24h0m0s ago (timestamp 2026-11-21T19:02:05Z), more than the 15 minutes accepted; it is refused as a possible replay (if SMN delivers this late, check this server's clock)"},
		{"5 minutes and a second ahead", sent.Add(-MaxAhead - time.Second),
			"the SMN notification timestamp 2026-11-21T19:02:05Z is 5m1s in the future, more than the 5 minutes of clock skew accepted; it is refused (check this server's clock)"},
	} {
		err := Fresh(m, c.now)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
	for ts, want := range map[string]string{
		"":                            "the SMN notification has no timestamp, so its age cannot be checked; it is refused (SMN always sends one: check what posts to this URL)",
		"1795287600":                  `the SMN notification timestamp "1795287600" is not an RFC 3339 time (such as 2026-11-21T19:02:05Z); it is refused`,
		"2026-11-21T19:02:05Z":        "",
		"2026-11-21T20:02:05.5+01:00": "",
	} {
		m2 := m
		m2.Timestamp = ts
		err := Fresh(m2, sent)
		if (err == nil) != (want == "") || (err != nil && err.Error() != want) {
			t.Errorf("timestamp %q: %v\nwant %q", ts, err, want)
		}
	}
	// Confirmations are not checked: they only lead to a GET of an allowlisted link.
	s, _ := Decode(events.Read("http/" + "cloudeye-subscription.json"))
	if err := Fresh(s, sent.Add(48*time.Hour)); err != nil {
		t.Fatalf("confirmation: %v", err)
	}
}

func TestParseAlarmLimits(t *testing.T) {
	lines := strings.Repeat("k: v\n", MaxFields)
	if _, err := ParseAlarm(Message{Type: TypeNotification, Message: "Alarm Name: x\n" + lines}); err == nil ||
		err.Error() != "the SMN message has more than 256 lines; a Cloud Eye message template has tens: check the template of the SMN topic" {
		t.Errorf("lines: %v", err)
	}
	json := `{"alarm_name":"x","d":[` + strings.Repeat(`"v",`, MaxFields) + `"v"]}`
	if _, err := ParseAlarm(Message{Type: TypeNotification, Message: json}); err == nil ||
		err.Error() != "the SMN message has more than 256 JSON fields; a Cloud Eye message template has tens: check the template of the SMN topic" {
		t.Errorf("json: %v", err)
	}
	dims := "Alarm Name: x\nDimensions: " + strings.Repeat("a=b,", MaxFields)
	if _, err := ParseAlarm(Message{Type: TypeNotification, Message: dims}); err == nil ||
		err.Error() != "the SMN message has more than 256 dimensions; a Cloud Eye message template has tens: check the template of the SMN topic" {
		t.Errorf("dimensions: %v", err)
	}
	if _, err := ParseAlarm(Message{Type: TypeNotification, Message: "Hello from SMN"}); err != ErrNoAlarm {
		t.Errorf("no alarm: %v", err)
	}
	if a, err := ParseAlarm(Message{Type: TypeNotification, Message: "Alarm Name: x\n" + strings.Repeat("k: v\n", MaxFields-1)}); err != nil || a.Name != "x" {
		t.Errorf("the most lines: %+v %v", a, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"Notification"}`:                                        "the SMN notification has no message",
		`{"type":"SubscriptionConfirmation"}`:                            "the SMN subscription confirmation has no subscribe_url",
		`{"message":"x"}`:                                                "the body has no type; this route takes SMN HTTP(S) messages (SubscriptionConfirmation, Notification)",
		`{"type":"Bogus","message":"x"}`:                                 `unknown SMN message type "Bogus"; expected SubscriptionConfirmation, Notification or UnsubscribeConfirmation`,
		string(events.Read("http/" + "cloudeye-notification.json")[:90]): "the request body ends in the middle of the JSON; send the whole payload",
	} {
		if _, err := Decode([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Decode(%.50q) = %v\nwant %s", in, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("http/" + "cloudeye-notification.json"))
	f.Add(events.Read("http/" + "cloudeye-subscription.json"))
	f.Add([]byte(`{"type":"Notification","message":"Alarm Name: x\nStatus: alarm\nDimensions: group=g"}`))
	hostile.Seeds(f, hostile.CloudEye, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		_ = m.StringToSign()
		_ = Fresh(m, time.Unix(1_795_287_600, 0))
		if a, ok := Alarm(m); ok {
			_ = a.Group()
			if a.Key != m.MessageID && len(m.MessageID) <= 200 {
				t.Fatalf("key %q for message id %q", a.Key, m.MessageID)
			}
		}
		var probe any
		_ = json.Unmarshal(b, &probe)
	})
}
