// Package grafana decodes Grafana alerting webhook payloads (the Alertmanager envelope plus
// Grafana's own fields) and checks Grafana's optional HMAC-SHA256 signature
// (X-Grafana-Alerting-Signature: bare hex over the body, or over "timestamp:body" when a
// timestamp header is configured).
//
// Grafana (12.0 and later, the versions that sign at all) puts Unix seconds in the header named
// by the contact point's HMAC "Timestamp Header" setting, which has no default; the signature then
// covers "timestamp:body". Without it the signature covers the body alone and never expires, so
// Verify refuses such a signature (ErrUntimestamped); VerifyWith accepts it when the caller opts
// in explicitly.
package grafana

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/trigger/alert"
	"offsetreset/shared/trigger/alertmanager"
)

// Header names. Grafana's timestamp header has no default name; both names in use are accepted.
const (
	SignatureHeader = "X-Grafana-Alerting-Signature"
	TimestampHeader = "X-Grafana-Alerting-Timestamp"
)

// TimestampHeaders are the timestamp header names read, first found wins.
var TimestampHeaders = []string{TimestampHeader, "X-Grafana-Alerting-Signature-Timestamp", "X-Offsetreset-Timestamp"}

// Window is how far a signed timestamp may be from now.
const Window = 5 * time.Minute

// Decode reads a Grafana webhook body. Each alert's Key is fingerprint + "@" + startsAt, as for
// Alertmanager (alertmanager.DecodeAs).
func Decode(body []byte) ([]alert.Alert, error) {
	alerts, err := alertmanager.DecodeAs("grafana", body)
	if err != nil {
		return nil, err
	}
	return alerts, nil
}

// Sign is the hex HMAC-SHA256 Grafana sends: over "timestamp:body" when timestamp is set,
// otherwise over the body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	if timestamp != "" {
		m.Write([]byte(timestamp + ":"))
	}
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify; their text is what the caller is told.
var (
	ErrNoSecret  = errors.New("no HMAC secret is configured (OFFSETRESET_WEBHOOK_HMAC_SECRET)")
	ErrMissing   = errors.New("the signature header is missing")
	ErrSignature = errors.New("the HMAC signature does not match the body; check the shared secret")
	// ErrUntimestamped: a valid signature over the body alone, which a captured request would
	// keep forever.
	ErrUntimestamped = errors.New("the HMAC signature covers the body without a timestamp, so a captured request would verify forever; it is refused: set the contact point's HMAC Timestamp Header (for example to " + TimestampHeader + ") so that the time is signed too")
)

// Options of VerifyWith.
type Options struct {
	// AllowUntimestamped accepts a signature over the body alone. Such a signature has no
	// expiry: whoever captures one request can replay it at any later time.
	AllowUntimestamped bool
}

// Verify checks a signature (bare hex or "sha256=" hex) in constant time. With a timestamp
// (Unix seconds or milliseconds) the signed string is "timestamp:body" and the timestamp must be
// within Window of now. A valid signature without a timestamp is refused with ErrUntimestamped.
func Verify(secret string, body []byte, signature, timestamp string, now time.Time) error {
	return VerifyWith(secret, body, signature, timestamp, now, Options{})
}

// VerifyWith is Verify with options: Options.AllowUntimestamped accepts a valid signature over
// the body alone.
func VerifyWith(secret string, body []byte, signature, timestamp string, now time.Time, opt Options) error {
	if secret == "" {
		return ErrNoSecret
	}
	signature = strings.TrimPrefix(strings.TrimSpace(signature), "sha256=")
	if signature == "" {
		return ErrMissing
	}
	if timestamp != "" {
		ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
		if err != nil {
			return fmt.Errorf("the signature timestamp %q is not a Unix time", trunc(timestamp, 40))
		}
		at := time.Unix(ts, 0)
		if ts > 1e11 {
			at = time.UnixMilli(ts)
		}
		if d := now.Sub(at); d > Window || d < -Window {
			return fmt.Errorf("the signature timestamp is %s from now, outside the %s window; check the sender's clock (or this is a replay)", d.Round(time.Second).Abs(), Window)
		}
	}
	got, err := hex.DecodeString(strings.ToLower(signature))
	if err != nil {
		return ErrSignature
	}
	want, _ := hex.DecodeString(Sign(secret, strings.TrimSpace(timestamp), body))
	if !hmac.Equal(got, want) {
		return ErrSignature
	}
	if strings.TrimSpace(timestamp) == "" && !opt.AllowUntimestamped {
		return ErrUntimestamped
	}
	return nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
