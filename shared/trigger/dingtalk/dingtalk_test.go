package dingtalk

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
)

func TestVerify(t *testing.T) {
	now := time.UnixMilli(1_795_287_600_000)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	old := strconv.FormatInt(now.Add(-61*time.Minute).UnixMilli(), 10)
	good := Sign("app-secret", ts)
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
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
		{"an hour old", "app-secret", at(-time.Hour), Sign("app-secret", at(-time.Hour)), ""},
		{"an hour and a second old", "app-secret", at(-time.Hour - time.Second), Sign("app-secret", at(-time.Hour-time.Second)),
			"the DingTalk timestamp is 1h0m1s from now, outside the 1-hour window; the request is refused as a possible replay"},
		{"5 minutes ahead", "app-secret", at(MaxAhead), Sign("app-secret", at(MaxAhead)), ""},
		{"5 minutes and a second ahead", "app-secret", at(MaxAhead + time.Second), Sign("app-secret", at(MaxAhead+time.Second)),
			"the DingTalk timestamp is 5m1s ahead of this server's clock, more than the 5 minutes accepted; the request is refused (check this server's clock)"},
		{"59 minutes ahead", "app-secret", at(59 * time.Minute), Sign("app-secret", at(59*time.Minute)),
			"the DingTalk timestamp is 59m0s ahead of this server's clock, more than the 5 minutes accepted; the request is refused (check this server's clock)"},
	} {
		err := Verify(c.secret, c.ts, c.sign, now)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
	// A shorter past window, as a deployment may choose.
	tenMin := at(-10 * time.Minute)
	if err := VerifyWithin("app-secret", tenMin, Sign("app-secret", tenMin), now, 5*time.Minute); err == nil ||
		err.Error() != "the DingTalk timestamp is 10m0s from now, outside the 5m0s window; the request is refused as a possible replay" {
		t.Fatalf("5-minute window: %v", err)
	}
	if err := VerifyWithin("app-secret", tenMin, Sign("app-secret", tenMin), now, 2*time.Hour); err != nil {
		t.Fatalf("a window over an hour is an hour: %v", err)
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
	hostile.Seeds(f, hostile.DingTalk, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err == nil && m.Sender() == "" {
			t.Fatal("a decoded message always has a sender")
		}
	})
}
