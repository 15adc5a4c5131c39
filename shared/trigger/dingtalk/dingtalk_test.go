package dingtalk

import (
	"offsetreset/events"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	now := time.UnixMilli(1_795_287_600_000)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	old := strconv.FormatInt(now.Add(-61*time.Minute).UnixMilli(), 10)
	good := Sign("app-secret", ts)
	for _, c := range []struct {
		name, secret, ts, sign, want string
	}{
		{"good", "app-secret", ts, good, ""},
		{"no secret configured", "", ts, good, ErrNoSecret.Error()},
		{"missing sign", "app-secret", ts, "", ErrMissing.Error()},
		{"missing timestamp", "app-secret", "", good, ErrMissing.Error()},
		{"wrong secret", "other", ts, good, ErrSignature.Error()},
		{"other timestamp", "app-secret", strconv.FormatInt(now.UnixMilli()+1, 10), good, ErrSignature.Error()},
		{"not base64", "app-secret", ts, "***", ErrSignature.Error()},
		{"expired", "app-secret", old, Sign("app-secret", old), "the DingTalk timestamp is 1h1m0s from now, outside the 1-hour window; the request is refused as a possible replay"},
		{"seconds, not ms", "app-secret", strconv.FormatInt(now.Unix(), 10), Sign("app-secret", strconv.FormatInt(now.Unix(), 10)), "the DingTalk timestamp is 498192h18m32s from now, outside the 1-hour window; the request is refused as a possible replay"},
		{"bad timestamp", "app-secret", "x", good, `the timestamp header "x" is not Unix milliseconds`},
	} {
		err := Verify(c.secret, c.ts, c.sign, now)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
}

func TestDecodeSample(t *testing.T) {
	m, err := Decode(events.Read("http/dingtalk-plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Sender() != "manager4711" || strings.TrimSpace(m.Text.Content) != "plan demo analytics-web clickstream:0,1 latest" || m.MsgID == "" {
		t.Fatalf("%+v", m)
	}
	m.SenderStaffID = ""
	if m.Sender() != "$:LWCP_v1:$Ff09GIxB3d1kY4tP0eR8wA==" {
		t.Fatalf("sender without staff id: %s", m.Sender())
	}
	for in, want := range map[string]string{
		`{"msgtype":"picture","senderId":"x"}`:               `msgtype "picture" is not text; send the command as a text message`,
		`{"msgtype":"text","text":{"content":"plan"}}`:       "the message has no senderStaffId or senderId",
		string(events.Read("http/dingtalk-plan.json")[:100]): "the request body ends in the middle of the JSON; send the whole payload",
	} {
		if _, err := Decode([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Decode(%.40q) = %v\nwant %s", in, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("http/dingtalk-plan.json"))
	f.Add([]byte(`{"msgtype":"text","text":{"content":"status demo billing"},"senderId":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err == nil && m.Sender() == "" {
			t.Fatal("a decoded message always has a sender")
		}
	})
}
