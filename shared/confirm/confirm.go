// Package confirm issues and opens plan-confirm tokens: stateless, HMAC-SHA256-signed, expiring
// tokens that carry the principal who planned and, for every group of the plan, its command and
// the planned absolute offsets, so that `confirm <token>` (or the Apply button) applies exactly
// what a person saw and nothing else. One token covers every group of a `groups` plan.
//
// Seal and Unseal are the signed envelope of the tokens, also used for other values the
// function hands to itself (the chat jobs of deferred replies), each under its own purpose so
// that one kind can never be passed off as another.
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

// MaxRows bounds the partition rows a token carries, summed over its groups; larger plans go
// through the JSON API.
const MaxRows = 500

// Claims is what a token carries.
type Claims struct {
	Principal string `json:"p"`
	// Plans are the planned groups, one each, in the order they were planned.
	Plans     []Plan `json:"g"`
	Expires   int64  `json:"e"` // Unix seconds
	Tolerance int64  `json:"t"`
}

// Plan is one group's part of a token: the command to apply (one group, DryRun off), the
// planned rows, and the pinned instant of an ago: target.
type Plan struct {
	Command reset.Command `json:"c"`
	Rows    []Row         `json:"r"`
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

// NewClaims starts the claims of a plan made by principal at now.
func NewClaims(principal string, now time.Time) Claims {
	return Claims{Principal: principal, Expires: now.Add(DefaultTTL).Unix(), Tolerance: DefaultTolerance}
}

// Add puts one group's dry-run result into the claims: cmd is that group's command (one group),
// at the pinned instant of an ago: target (nil otherwise). It refuses when the token would carry
// more than MaxRows rows in all.
func (c *Claims) Add(cmd reset.Command, plan *reset.Result, at *int64) error {
	p := PlanOf(cmd, plan, at)
	if n := c.rows() + len(p.Rows); n > MaxRows {
		return fmt.Errorf("the plan has %d partitions, more than the %d a confirm token can carry; use the JSON API for this reset", n, MaxRows)
	}
	c.Plans = append(c.Plans, p)
	return nil
}

// PlanOf is one group's plan as a confirm applies it (no size limit: the operator's terminal
// applies what it showed without a token).
func PlanOf(cmd reset.Command, plan *reset.Result, at *int64) Plan {
	p := Plan{Command: cmd, At: at}
	p.Command.DryRun = false
	for _, r := range plan.Partitions {
		if r.Status != reset.StatusPlanned && r.Status != reset.StatusUnchanged {
			continue
		}
		p.Rows = append(p.Rows, Row{Topic: r.Topic, Partition: r.Partition, Before: r.Before, After: r.After})
	}
	return p
}

func (c Claims) rows() int {
	n := 0
	for _, p := range c.Plans {
		n += len(p.Rows)
	}
	return n
}

// Token purposes: the prefix of what the HMAC signs, one per kind of sealed value.
const (
	PurposeConfirm = "offsetreset-confirm-v2"
	PurposeChatJob = "offsetreset-chatjob-v1"
)

// ErrNoSecret is the error of sealing or opening without OFFSETRESET_CONFIRM_SECRET.
var ErrNoSecret = errors.New("no confirm secret is configured (OFFSETRESET_CONFIRM_SECRET); plans cannot be confirmed")

// Issue signs the claims as a confirm token.
func Issue(secret string, c Claims) (string, error) {
	if len(c.Plans) == 0 {
		return "", errors.New("the plan has no group to confirm")
	}
	return Seal(secret, PurposeConfirm, c)
}

// Seal signs v for purpose: base64url(deflate(json)) "." base64url(hmac).
func Seal(secret, purpose string, v any) (string, error) {
	if secret == "" {
		return "", ErrNoSecret
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(raw)
	w.Close()
	body := base64.RawURLEncoding.EncodeToString(buf.Bytes())
	return body + "." + sign(secret, purpose, body), nil
}

func sign(secret, purpose, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose + ":" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// MaxTokenLen bounds what Open and Unseal read.
const MaxTokenLen = 16 << 10

// errInvalid is what a token that does not open says: it was altered, cut or made elsewhere.
var errInvalid = errors.New("the confirm token is not valid (altered, truncated or from another deployment); plan again")

// Unseal verifies a sealed value of purpose and decodes it into v.
func Unseal(secret, purpose, token string, v any) error {
	if secret == "" {
		return ErrNoSecret
	}
	token = strings.TrimSpace(token)
	if len(token) > MaxTokenLen {
		return errors.New("the confirm token is too long; paste the token from the plan exactly")
	}
	body, mac, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(sign(secret, purpose, body))) {
		return errInvalid
	}
	z, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return errInvalid
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(z)), 4<<20))
	if err != nil || json.Unmarshal(raw, v) != nil {
		return errInvalid
	}
	return nil
}

// Verify opens a token at now whoever presents it: the signature and the expiry are checked, the
// principal is not (a button press by someone else is judged by the policy; see Open).
func Verify(secret, token string, now time.Time) (Claims, error) {
	var c Claims
	if err := Unseal(secret, PurposeConfirm, token, &c); err != nil {
		return Claims{}, err
	}
	if len(c.Plans) == 0 {
		return Claims{}, errInvalid
	}
	if now.Unix() > c.Expires {
		return Claims{}, fmt.Errorf("the confirm token expired at %s; plan again", time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}

// Open verifies a token for a principal at now and returns its claims: only the person who
// planned can confirm by typing the token. The errors say what the user can do.
func Open(secret, token, principal string, now time.Time) (Claims, error) {
	c, err := Verify(secret, token, now)
	if err != nil {
		return Claims{}, err
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

// Pinned is the plan's planned targets, for reset.Options.Pinned.
func (p Plan) Pinned() map[reset.TopicPartition]int64 {
	m := map[reset.TopicPartition]int64{}
	for _, r := range p.Rows {
		if r.After != nil {
			m[reset.TopicPartition{Topic: r.Topic, Partition: r.Partition}] = *r.After
		}
	}
	return m
}

// Drift compares a fresh plan (made with Pinned) with the planned rows: any committed offset
// that moved since the plan, any planned partition that vanished, or a target the log no longer
// allows (clamped by more than tolerance). It returns one line per difference.
func (p Plan) Drift(now *reset.Result, tolerance int64) []string {
	cur := map[reset.TopicPartition]reset.PartitionResult{}
	for _, r := range now.Partitions {
		cur[reset.TopicPartition{Topic: r.Topic, Partition: r.Partition}] = r
	}
	var diffs []string
	for _, r := range p.Rows {
		c, ok := cur[reset.TopicPartition{Topic: r.Topic, Partition: r.Partition}]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s/%d is no longer in the plan", r.Topic, r.Partition))
		case !sameOpt(r.Before, c.Before):
			diffs = append(diffs, fmt.Sprintf("%s/%d: committed offset was %s at plan time, now %s", r.Topic, r.Partition, show(r.Before), show(c.Before)))
		case r.After != nil && c.After != nil && abs(*c.After-*r.After) > tolerance:
			diffs = append(diffs, fmt.Sprintf("%s/%d: planned target %d is now %d (the log moved)", r.Topic, r.Partition, *r.After, *c.After))
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
