// Package dingtalk verifies and decodes DingTalk robot messages (the HTTP mode of an enterprise
// robot receiving messages): a JSON POST with headers timestamp (Unix ms) and sign =
// Base64(HmacSHA256(appSecret, timestamp + "\n" + appSecret)), with a 1-hour window.
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

// Window is DingTalk's replay window.
const Window = time.Hour

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

// Verify checks the sign in constant time and the timestamp against the window.
func Verify(appSecret, timestamp, sign string, now time.Time) error {
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
	if d := now.Sub(time.UnixMilli(ms)); d > Window || d < -Window {
		return fmt.Errorf("the DingTalk timestamp is %s from now, outside the 1-hour window; the request is refused as a possible replay", d.Round(time.Second).Abs())
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
