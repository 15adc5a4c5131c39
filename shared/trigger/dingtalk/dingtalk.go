// Package dingtalk verifies and decodes DingTalk robot messages (the HTTP mode of an enterprise
// robot receiving messages): a JSON POST with headers timestamp (Unix ms) and sign =
// Base64(HmacSHA256(appSecret, timestamp + "\n" + appSecret)). The timestamp may be up to one
// hour old (DingTalk's documented rule: more than an hour off is not from DingTalk) and at most
// five minutes ahead (a sign cannot be made for a later time without the secret, so only clock
// skew needs room). The sign covers the timestamp only, not the body: a captured header pair
// authenticates any body until the timestamp is an hour old.
package dingtalk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/trigger/alert"
)

// Header names.
const (
	TimestampHeader = "timestamp"
	SignHeader      = "sign"
)

// Window is how old a timestamp may be (DingTalk's replay window), MaxAhead how far ahead of
// this server's clock.
const (
	Window   = time.Hour
	MaxAhead = 5 * time.Minute
)

// Sign is the sign header for a timestamp (Unix ms as text).
func Sign(appSecret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(timestamp + "\n" + appSecret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Errors of Verify; their text is what the caller is told.
var (
	ErrNoSecret  = errors.New("DingTalk requests are not accepted: no robot app secret is configured (OFFSETRESET_DINGTALK_APP_SECRET)")
	ErrMissing   = errors.New("the timestamp or sign header is missing; this route only takes signed DingTalk robot messages")
	ErrSignature = errors.New("the DingTalk sign does not match; check OFFSETRESET_DINGTALK_APP_SECRET against the robot's AppSecret")
)

// Verify checks the sign in constant time and the timestamp: at most Window old, at most
// MaxAhead ahead of now.
func Verify(appSecret, timestamp, sign string, now time.Time) error {
	return VerifyWithin(appSecret, timestamp, sign, now, Window)
}

// VerifyWithin is Verify with another past window (at most Window: DingTalk refuses older
// timestamps itself; a shorter one shortens what a captured header pair allows).
func VerifyWithin(appSecret, timestamp, sign string, now time.Time, window time.Duration) error {
	if window <= 0 || window > Window {
		window = Window
	}
	if appSecret == "" {
		return ErrNoSecret
	}
	if timestamp == "" || sign == "" {
		return ErrMissing
	}
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("the timestamp header %q is not Unix milliseconds", trunc(timestamp, 40))
	}
	switch d := now.Sub(time.UnixMilli(ms)); {
	case d > window:
		return fmt.Errorf("the DingTalk timestamp is %s from now, outside the %s window; the request is refused as a possible replay", d.Round(time.Second).Abs(), windowText(window))
	case d < -MaxAhead:
		return fmt.Errorf("the DingTalk timestamp is %s ahead of this server's clock, more than the 5 minutes accepted; the request is refused (check this server's clock)", (-d).Round(time.Second))
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sign))
	if err != nil {
		return ErrSignature
	}
	want, _ := base64.StdEncoding.DecodeString(Sign(appSecret, timestamp))
	if !hmac.Equal(got, want) {
		return ErrSignature
	}
	return nil
}

// windowText is "1-hour" for the hour, else the duration.
func windowText(d time.Duration) string {
	if d == time.Hour {
		return "1-hour"
	}
	return d.String()
}

// Message is a received robot message (the fields used).
type Message struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	MsgID             string `json:"msgId"`
	ConversationType  string `json:"conversationType"`
	ConversationID    string `json:"conversationId"`
	ConversationTitle string `json:"conversationTitle"`
	SenderID          string `json:"senderId"`
	SenderStaffID     string `json:"senderStaffId"`
	SenderNick        string `json:"senderNick"`
	SessionWebhook    string `json:"sessionWebhook"`
}

// Sender is the principal id: the staff id when the sender is in the robot's organization,
// otherwise the (encrypted) sender id.
func (m Message) Sender() string {
	if m.SenderStaffID != "" {
		return m.SenderStaffID
	}
	return m.SenderID
}

// Decode reads a robot message; only text messages are commands.
func Decode(body []byte) (Message, error) {
	var m Message
	if err := alert.DecodeJSON(body, &m); err != nil {
		return Message{}, err
	}
	if m.MsgType != "text" {
		return Message{}, fmt.Errorf("msgtype %q is not text; send the command as a text message", trunc(m.MsgType, 40))
	}
	if m.Sender() == "" {
		return Message{}, errors.New("the message has no senderStaffId or senderId")
	}
	return m, nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
