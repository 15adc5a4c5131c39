// Package cloudeye handles Huawei Cloud Eye alarms delivered by SMN (Simple Message Notification)
// to an HTTP(S) subscription: SubscriptionConfirmation messages are confirmed by a GET to their
// subscribe_url, Notification messages carry the alarm text in message. Messages are signed: RSA
// (SHA256withRSA) over the sorted signed keys, each key and its value on lines of their own, with
// the certificate at signing_cert_url. Certificates and confirmations are fetched only from
// allowlisted hosts, over HTTPS, without following redirects.
package cloudeye

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"offsetreset/shared/trigger/alert"
)

// Message types.
const (
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeNotification             = "Notification"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// TypeHeader is the header SMN sets to the message type.
const TypeHeader = "X-SMN-MESSAGE-TYPE"

// Message is an SMN HTTP(S) message body.
type Message struct {
	Type             string `json:"type"`
	Signature        string `json:"signature"`
	Subject          string `json:"subject"`
	TopicURN         string `json:"topic_urn"`
	MessageID        string `json:"message_id"`
	SignatureVersion string `json:"signature_version"`
	Message          string `json:"message"`
	SubscribeURL     string `json:"subscribe_url"`
	UnsubscribeURL   string `json:"unsubscribe_url"`
	SigningCertURL   string `json:"signing_cert_url"`
	Timestamp        string `json:"timestamp"`
}

// Decode reads and checks an SMN message body.
func Decode(body []byte) (Message, error) {
	var m Message
	if err := alert.DecodeJSON(body, &m); err != nil {
		return Message{}, err
	}
	switch m.Type {
	case TypeNotification:
		if m.Message == "" {
			return Message{}, errors.New("the SMN notification has no message")
		}
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		if m.SubscribeURL == "" && m.Type == TypeSubscriptionConfirmation {
			return Message{}, errors.New("the SMN subscription confirmation has no subscribe_url")
		}
	case "":
		return Message{}, errors.New("the body has no type; this route takes SMN HTTP(S) messages (SubscriptionConfirmation, Notification)")
	default:
		return Message{}, fmt.Errorf("unknown SMN message type %q; expected SubscriptionConfirmation, Notification or UnsubscribeConfirmation", trunc(m.Type, 40))
	}
	return m, nil
}

// Replay window of notifications, by their signed timestamp: older than MaxAge or more than
// MaxAhead in the future is refused. SMN delivers within seconds and retries a failed delivery
// within minutes; a captured notification (with the URL token, or signed) is good for MaxAge at
// most.
const (
	MaxAge   = 15 * time.Minute
	MaxAhead = 5 * time.Minute
)

// Fresh checks the timestamp of a Notification against now (a confirmation is not checked: it
// only leads to a GET of its allowlisted subscribe_url). Call it on every notification whatever
// authenticated it, the URL token or the SMN signature (the timestamp is signed).
func Fresh(m Message, now time.Time) error {
	if m.Type != TypeNotification {
		return nil
	}
	ts := strings.TrimSpace(m.Timestamp)
	if ts == "" {
		return errors.New("the SMN notification has no timestamp, so its age cannot be checked; it is refused (SMN always sends one: check what posts to this URL)")
	}
	at, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return fmt.Errorf("the SMN notification timestamp %q is not an RFC 3339 time (such as 2026-11-21T19:02:05Z); it is refused", trunc(ts, 40))
	}
	switch d := now.Sub(at); {
	case d > MaxAge:
		return fmt.Errorf("the SMN notification was sent %s ago (timestamp %s), more than the %d minutes accepted; it is refused as a possible replay (if SMN delivers this late, check this server's clock)", d.Round(time.Second), ts, int(MaxAge.Minutes()))
	case d < -MaxAhead:
		return fmt.Errorf("the SMN notification timestamp %s is %s in the future, more than the %d minutes of clock skew accepted; it is refused (check this server's clock)", ts, (-d).Round(time.Second), int(MaxAhead.Minutes()))
	}
	return nil
}

// StringToSign is what SMN signs: the signed keys in alphabetical order, each key on one line
// and its value on the next. Notifications sign message, message_id, subject (only when not
// empty), timestamp, topic_urn and type; confirmations sign subscribe_url instead of subject.
func (m Message) StringToSign() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("message", m.Message)
	add("message_id", m.MessageID)
	if m.Type == TypeNotification {
		if m.Subject != "" {
			add("subject", m.Subject)
		}
	} else {
		add("subscribe_url", m.SubscribeURL)
	}
	add("timestamp", m.Timestamp)
	add("topic_urn", m.TopicURN)
	add("type", m.Type)
	return b.String()
}

// DefaultHosts are the hosts SMN certificates and confirmation links are fetched from. A '*'
// stands for exactly one DNS label, so object-storage hosts under the same domain do not match.
var DefaultHosts = []string{"smn.*.myhuaweicloud.com", "smn.*.myhuaweicloud.eu", "smn.myhuaweicloud.com"}

// Client verifies SMN signatures and confirms subscriptions.
type Client struct {
	// Hosts is the allowlist of certificate and confirmation hosts; DefaultHosts when nil.
	Hosts []string
	// Topics are the topic URNs whose signed messages are accepted; empty = the signature path is
	// closed (anyone can make SMN sign a message of their own topic, so the topic must be named).
	Topics []string
	// Get fetches a URL that passed the allowlist; nil = an HTTPS client with a 5 s timeout that
	// follows no redirects. Tests inject it.
	Get func(ctx context.Context, url string) ([]byte, error)
	// Now is the clock for certificate validity; time.Now when nil.
	Now func() time.Time

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

// MaxFetch bounds a fetched certificate or confirmation answer.
const MaxFetch = 64 << 10

// Allowed checks that rawURL is https on an allowlisted host (and the default port).
func (c *Client) Allowed(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("%s is not an https URL", trunc(rawURL, 120))
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "443" {
		return fmt.Errorf("%s uses port %s; only the default https port is fetched", trunc(rawURL, 120), p)
	}
	if net.ParseIP(host) == nil {
		for _, pat := range c.hosts() {
			if hostMatch(strings.ToLower(pat), host) {
				return nil
			}
		}
	}
	return fmt.Errorf("host %s is not among the allowed SMN hosts (%s); set OFFSETRESET_SMN_HOSTS to allow it", host, strings.Join(c.hosts(), ", "))
}

func (c *Client) hosts() []string {
	if c.Hosts != nil {
		return c.Hosts
	}
	return DefaultHosts
}

// hostMatch matches label by label; '*' is one label.
func hostMatch(pattern, host string) bool {
	pl, hl := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(pl) != len(hl) {
		return false
	}
	for i := range pl {
		if hl[i] == "" || (pl[i] != "*" && pl[i] != hl[i]) {
			return false
		}
	}
	return true
}

func (c *Client) get(ctx context.Context, rawURL string) ([]byte, error) {
	if err := c.Allowed(rawURL); err != nil {
		return nil, err
	}
	if c.Get != nil {
		return c.Get(ctx, rawURL)
	}
	return defaultGet(ctx, rawURL)
}

var httpClient = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func defaultGet(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %v", u(rawURL), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxFetch+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s answered HTTP %d", u(rawURL), resp.StatusCode)
	}
	if len(b) > MaxFetch {
		return nil, fmt.Errorf("GET %s answered more than %d bytes", u(rawURL), MaxFetch)
	}
	return b, nil
}

// u is a URL without its query (confirmation links carry a token).
func u(rawURL string) string {
	if p, err := url.Parse(rawURL); err == nil {
		p.RawQuery, p.Fragment = "", ""
		return p.String()
	}
	return "the URL"
}

// Errors of Verify.
var (
	ErrNoTopics  = errors.New("SMN signatures are not accepted: no topic URN is allowed (OFFSETRESET_SMN_TOPIC_URNS); use the URL token")
	ErrSignature = errors.New("the SMN signature does not verify")
)

// Verify checks the message's signature with the certificate at signing_cert_url, and that its
// topic is allowed. It does not check the message's age: call Fresh as well.
func (c *Client) Verify(ctx context.Context, m Message) error {
	if len(c.Topics) == 0 {
		return ErrNoTopics
	}
	allowed := false
	for _, t := range c.Topics {
		if t == m.TopicURN {
			allowed = true
		}
	}
	if !allowed {
		return fmt.Errorf("SMN topic %s is not among the allowed topics (OFFSETRESET_SMN_TOPIC_URNS)", trunc(m.TopicURN, 200))
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return ErrSignature
	}
	cert, err := c.cert(ctx, m.SigningCertURL)
	if err != nil {
		return fmt.Errorf("the SMN signing certificate cannot be used: %v", err)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("the SMN signing certificate has no RSA key")
	}
	sum := sha256.Sum256([]byte(m.StringToSign()))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return ErrSignature
	}
	return nil
}

func (c *Client) cert(ctx context.Context, certURL string) (*x509.Certificate, error) {
	c.mu.Lock()
	cached := c.certs[certURL]
	c.mu.Unlock()
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	if cached != nil && now.Before(cached.NotAfter) {
		return cached, nil
	}
	b, err := c.get(ctx, certURL)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("it is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("it is valid from %s to %s only", cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	}
	c.mu.Lock()
	if c.certs == nil || len(c.certs) > 32 {
		c.certs = map[string]*x509.Certificate{}
	}
	c.certs[certURL] = cert
	c.mu.Unlock()
	return cert, nil
}

// Confirm confirms a subscription by a GET to its subscribe_url (allowlisted hosts only).
func (c *Client) Confirm(ctx context.Context, m Message) error {
	if m.Type != TypeSubscriptionConfirmation {
		return fmt.Errorf("message type %s is not a subscription confirmation", m.Type)
	}
	if _, err := c.get(ctx, m.SubscribeURL); err != nil {
		return err
	}
	return nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
