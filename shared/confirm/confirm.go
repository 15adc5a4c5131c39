// Package confirm issues and opens plan-confirm tokens: stateless, HMAC-SHA256-signed, expiring
// tokens that carry a command, the principal who planned it and the planned absolute offsets, so
// that `confirm <token>` applies exactly what a person saw and nothing else.
package confirm

import (
	"bytes"
	"compress/flate"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"offsetreset/shared/reset"
)

// DefaultTTL is how long a plan can be confirmed.
const DefaultTTL = 10 * time.Minute

// DefaultTolerance is how far (in messages) a partition's re-resolved target may drift from the
// planned one before confirm refuses (the committed offset itself must not have moved at all).
const DefaultTolerance = 1000

// MaxRows bounds the plans a token can carry; larger plans go through the JSON API.
const MaxRows = 500

// Claims is what a token carries.
type Claims struct {
	Principal string        `json:"p"`
	Command   reset.Command `json:"c"`
	Rows      []Row         `json:"r"`
	Expires   int64         `json:"e"` // Unix seconds
	Tolerance int64         `json:"t"`
	// At is the instant of an ago: plan (Unix ms), so confirming later means the same time.
	At *int64 `json:"at,omitempty"`
}

// Row is one planned partition: its committed offset at plan time and the planned target.
type Row struct {
	Topic     string `json:"t"`
	Partition int32  `json:"p"`
	Before    *int64 `json:"b,omitempty"`
	After     *int64 `json:"a,omitempty"`
}

// FromPlan builds the claims of a dry-run result.
func FromPlan(principal string, cmd reset.Command, plan *reset.Result, now time.Time) (Claims, error) {
	c := Claims{Principal: principal, Command: cmd, Expires: now.Add(DefaultTTL).Unix(), Tolerance: DefaultTolerance}
	c.Command.DryRun = false
	for _, p := range plan.Partitions {
		if p.Status != reset.StatusPlanned && p.Status != reset.StatusUnchanged {
			continue
		}
		c.Rows = append(c.Rows, Row{Topic: p.Topic, Partition: p.Partition, Before: p.Before, After: p.After})
	}
	if len(c.Rows) > MaxRows {
		return Claims{}, fmt.Errorf("the plan has %d partitions, more than the %d a confirm token can carry; use the JSON API for this reset", len(c.Rows), MaxRows)
	}
	return c, nil
}

// Issue signs the claims: base64url(deflate(json)) "." base64url(hmac).
func Issue(secret string, c Claims) (string, error) {
	if secret == "" {
		return "", errors.New("no confirm secret is configured (OFFSETRESET_CONFIRM_SECRET); plans cannot be confirmed")
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(raw)
	w.Close()
	body := base64.RawURLEncoding.EncodeToString(buf.Bytes())
	return body + "." + sign(secret, body), nil
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("offsetreset-confirm-v1:" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// MaxTokenLen bounds what Open reads.
const MaxTokenLen = 16 << 10

// Open verifies a token for a principal at now and returns its claims. The errors say what the
// user can do.
func Open(secret, token, principal string, now time.Time) (Claims, error) {
	if secret == "" {
		return Claims{}, errors.New("no confirm secret is configured (OFFSETRESET_CONFIRM_SECRET); plans cannot be confirmed")
	}
	token = strings.TrimSpace(token)
	if len(token) > MaxTokenLen {
		return Claims{}, errors.New("the confirm token is too long; paste the token from the plan exactly")
	}
	body, mac, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(sign(secret, body))) {
		return Claims{}, errors.New("the confirm token is not valid (altered, truncated or from another deployment); plan again")
	}
	z, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Claims{}, errors.New("the confirm token is not valid; plan again")
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(z)), 4<<20))
	if err != nil {
		return Claims{}, errors.New("the confirm token is not valid; plan again")
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, errors.New("the confirm token is not valid; plan again")
	}
	if now.Unix() > c.Expires {
		return Claims{}, fmt.Errorf("the confirm token expired at %s; plan again", time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	if c.Principal != principal {
		return Claims{}, fmt.Errorf("this plan was made by %s; only they can confirm it (plan it yourself to apply it)", c.Principal)
	}
	return c, nil
}

// ID is a token's identity for single use: its signature, which no other token shares.
func ID(token string) string {
	_, mac, _ := strings.Cut(strings.TrimSpace(token), ".")
	return mac
}

// Pinned is the claims' planned targets, for reset.Options.Pinned.
func (c Claims) Pinned() map[reset.TopicPartition]int64 {
	m := map[reset.TopicPartition]int64{}
	for _, r := range c.Rows {
		if r.After != nil {
			m[reset.TopicPartition{Topic: r.Topic, Partition: r.Partition}] = *r.After
		}
	}
	return m
}

// Drift compares a fresh plan (made with Pinned) with the claims: any committed offset that moved
// since the plan, any planned partition that vanished, or a target the log no longer allows
// (clamped by more than the tolerance). It returns one line per difference.
func (c Claims) Drift(now *reset.Result) []string {
	cur := map[reset.TopicPartition]reset.PartitionResult{}
	for _, p := range now.Partitions {
		cur[reset.TopicPartition{Topic: p.Topic, Partition: p.Partition}] = p
	}
	var diffs []string
	for _, r := range c.Rows {
		p, ok := cur[reset.TopicPartition{Topic: r.Topic, Partition: r.Partition}]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s/%d is no longer in the plan", r.Topic, r.Partition))
		case !sameOpt(r.Before, p.Before):
			diffs = append(diffs, fmt.Sprintf("%s/%d: committed offset was %s at plan time, now %s", r.Topic, r.Partition, show(r.Before), show(p.Before)))
		case r.After != nil && p.After != nil && abs(*p.After-*r.After) > c.Tolerance:
			diffs = append(diffs, fmt.Sprintf("%s/%d: planned target %d is now %d (the log moved)", r.Topic, r.Partition, *r.After, *p.After))
		}
	}
	return diffs
}

func sameOpt(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func show(v *int64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprint(*v)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
