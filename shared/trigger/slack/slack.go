// Package slack verifies and decodes Slack slash-command requests: a form-encoded POST signed
// with the app's signing secret ("v0=" + hex HMAC-SHA256 over "v0:" + timestamp + ":" + body),
// with a 5-minute replay window on X-Slack-Request-Timestamp.
package slack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	SignatureHeader = "X-Slack-Signature"
	TimestampHeader = "X-Slack-Request-Timestamp"
)

// Window is Slack's replay window.
const Window = 5 * time.Minute

// Sign is the X-Slack-Signature of a body sent at timestamp (Unix seconds).
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify; their text is what the caller is told.
var (
	ErrNoSecret  = errors.New("Slack requests are not accepted: no signing secret is configured (OFFSETRESET_SLACK_SIGNING_SECRET)")
	ErrMissing   = errors.New("the X-Slack-Signature or X-Slack-Request-Timestamp header is missing; this route only takes signed Slack requests")
	ErrSignature = errors.New("the Slack signature does not match; check OFFSETRESET_SLACK_SIGNING_SECRET against the app's signing secret")
)

// Verify checks the signature in constant time and the timestamp against the window.
func Verify(secret string, body []byte, timestamp, signature string, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	if timestamp == "" || signature == "" {
		return ErrMissing
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("X-Slack-Request-Timestamp %q is not a Unix time", trunc(timestamp, 40))
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Window || d < -Window {
		return fmt.Errorf("the Slack request timestamp is %s from now, outside the 5-minute window; the request is refused as a possible replay", d.Round(time.Second).Abs())
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body))) {
		return ErrSignature
	}
	return nil
}

// Command is a slash-command request.
type Command struct {
	TeamID      string
	ChannelID   string
	ChannelName string
	UserID      string
	UserName    string
	Command     string
	Text        string
	ResponseURL string
	TriggerID   string
}

// MaxFormFields bounds the form fields of one request (a slash command has about 15).
const MaxFormFields = 1000

// Decode reads the form body of a slash command.
func Decode(body []byte) (Command, error) {
	if strings.TrimSpace(string(body)) == "" {
		return Command{}, errors.New("the request body is empty; Slack sends slash commands as form fields")
	}
	if n := bytes.Count(body, []byte("&")) + 1; n > MaxFormFields {
		return Command{}, fmt.Errorf("the form has %d fields, more than the %d accepted; this route takes Slack slash commands (about 15 fields)", n, MaxFormFields)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Command{}, fmt.Errorf("the request body is not form-encoded (%v); Slack sends slash commands as application/x-www-form-urlencoded", err)
	}
	c := Command{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
	}
	if c.UserID == "" || c.Command == "" {
		return Command{}, errors.New("the form has no user_id or command; this route takes Slack slash commands")
	}
	if err := checkUserID(c.UserID); err != nil {
		return Command{}, err
	}
	return c, nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
