package slack

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
)

func TestSignKnownVector(t *testing.T) {
	// The worked example of Slack's "Verifying requests from Slack" page.
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	if got := Sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", []byte(body)); got != "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" {
		t.Fatalf("Sign = %s", got)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_795_287_600, 0)
	body := events.Read("http/slack-plan.form")
	ts := strconv.FormatInt(now.Unix(), 10)
	old := strconv.FormatInt(now.Unix()-301, 10)
	good := Sign("s3cret", ts, body)
	for _, c := range []struct {
		name, secret, ts, sig string
		body                  []byte
		want                  string
	}{
		{"good", "s3cret", ts, good, body, ""},
		{"no secret configured", "", ts, good, body, ErrNoSecret.Error()},
		{"missing signature", "s3cret", ts, "", body, ErrMissing.Error()},
		{"missing timestamp", "s3cret", "", good, body, ErrMissing.Error()},
		{"wrong secret", "other", ts, good, body, ErrSignature.Error()},
		{"changed body", "s3cret", ts, good, append(body, '&'), ErrSignature.Error()},
		{"expired", "s3cret", old, Sign("s3cret", old, body), body, "the Slack request timestamp is 5m1s from now, outside the 5-minute window; the request is refused as a possible replay"},
		{"bad timestamp", "s3cret", "now", good, body, `X-Slack-Request-Timestamp "now" is not a Unix time`},
	} {
		err := Verify(c.secret, c.body, c.ts, c.sig, now)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
}

func TestDecodeSample(t *testing.T) {
	c, err := Decode(events.Read("http/slack-plan.form"))
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != "U2147483697" || c.Command != "/offsets" || c.Text != "plan demo billing orders latest" || c.ChannelID != "C2147483705" || c.TriggerID == "" {
		t.Fatalf("%+v", c)
	}
	for in, want := range map[string]string{
		"":                                "the request body is empty; Slack sends slash commands as form fields",
		"user_id=U1&command=%2":           `the request body is not form-encoded (invalid URL escape "%2"); Slack sends slash commands as application/x-www-form-urlencoded`,
		"text=plan":                       "the form has no user_id or command; this route takes Slack slash commands",
		"user_id=U1%0A&command=%2Foffset": `user_id "U1\n" is not a Slack user id`,
		"user_id=U1&command=%2Foffsets" + strings.Repeat("&a=", MaxFormFields): "the form has 1002 fields, more than the 1000 accepted; this route takes Slack slash commands (about 15 fields)",
	} {
		if _, err := Decode([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Decode(%q) = %v\nwant %s", in, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("http/slack-plan.form"))
	f.Add([]byte("user_id=U1&command=%2Foffsets&text=status+demo+billing"))
	hostile.Seeds(f, hostile.Slack, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b)
		_ = Verify("k", b, "1795287600", string(b), time.Unix(1_795_287_600, 0))
	})
}
