// Package chattest fakes the chat platforms' reply URLs for tests: one HTTPS server that answers
// as hooks.slack.com (Slack's response_url) and as oapi.dingtalk.com / api.dingtalk.com
// (DingTalk's sessionWebhook), with a certificate of a CA of its own, and records every post on
// a channel. The production code posts to the real host names: in the same process, Transport
// routes them here (the explicit test seam, server.Service.ReplyTransport); a separate process
// (the Lambda bootstrap) reaches the server through Proxy, an HTTPS_PROXY that tunnels only to
// the reply hosts, trusting the CA through SSL_CERT_FILE (CAFile), exactly as Go's default
// transport does in production.
package chattest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/slack"
)

// Hosts are the names the server answers for (Slack, DingTalk).
var Hosts = []string{"hooks.slack.com", "oapi.dingtalk.com", "api.dingtalk.com"}

// Post is one request the fake received.
type Post struct {
	Host        string
	Path        string
	Query       string
	ContentType string
	Body        []byte
}

// Hooks is the running fake.
type Hooks struct {
	// Posts receives every post, in arrival order.
	Posts chan Post

	srv   *httptest.Server
	proxy *httptest.Server
	pool  *x509.CertPool
	caPEM []byte

	mu       sync.Mutex
	tunnels  []string // CONNECT targets the proxy was asked for
	refusals []string // CONNECT targets it refused
}

// Start runs the fake (and its proxy) until the test ends.
func Start(t testing.TB) *Hooks {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "chattest CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: Hosts[0]}, DNSNames: Hosts, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	h := &Hooks{Posts: make(chan Post, 100), pool: x509.NewCertPool()}
	h.pool.AddCert(caCert)
	h.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	h.srv.StartTLS()
	h.proxy = httptest.NewServer(http.HandlerFunc(h.connect))
	t.Cleanup(func() {
		h.proxy.Close()
		h.srv.Close()
	})
	return h
}

// serve records a post and answers as the platforms do when they take a reply.
func (h *Hooks) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.Posts <- Post{Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"), Body: body}
	if strings.Contains(r.Host, "dingtalk") {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		return
	}
	io.WriteString(w, "ok")
}

// Transport dials the fake for every request (whatever the host) and trusts its CA, so a
// request to https://hooks.slack.com/… reaches it with the real name in SNI and Host.
func (h *Hooks) Transport() http.RoundTripper {
	addr := h.srv.Listener.Addr().String()
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: h.pool},
	}
}

// ProxyURL is an HTTPS_PROXY value: an HTTP proxy that tunnels (CONNECT) to the fake for the
// reply hosts on port 443 and refuses every other destination.
func (h *Hooks) ProxyURL() string { return h.proxy.URL }

// CAFile writes the fake's CA certificate into dir, for SSL_CERT_FILE.
func (h *Hooks) CAFile(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "chattest-ca.pem")
	if err := os.WriteFile(p, h.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Tunnels are the destinations the proxy was asked for, and those it refused.
func (h *Hooks) Tunnels() (asked, refused []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.tunnels...), append([]string(nil), h.refusals...)
}

func (h *Hooks) connect(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.tunnels = append(h.tunnels, r.Host)
	h.mu.Unlock()
	host, port, _ := net.SplitHostPort(r.Host)
	allowed := false
	for _, name := range Hosts {
		allowed = allowed || (host == name && port == "443")
	}
	if r.Method != http.MethodConnect || !allowed {
		h.mu.Lock()
		h.refusals = append(h.refusals, r.Host)
		h.mu.Unlock()
		http.Error(w, "chattest proxy: only CONNECT to the chat reply hosts", http.StatusForbidden)
		return
	}
	up, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	go pipe(up, buf.Reader, conn)
}

// pipe copies both ways until either side closes.
func pipe(up net.Conn, client *bufio.Reader, conn net.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, client); done <- struct{}{} }()
	go func() { io.Copy(conn, up); done <- struct{}{} }()
	<-done
	up.Close()
	conn.Close()
}

// Next waits for the next post; the test fails when none comes within a minute (the fake
// feeds the channel, so this only bounds a hang).
func (h *Hooks) Next(t testing.TB) Post {
	t.Helper()
	select {
	case p := <-h.Posts:
		return p
	case <-time.After(time.Minute):
		t.Fatal("no post reached the fake reply server within a minute")
		return Post{}
	}
}

// None fails the test if a post is waiting (posts are recorded before the fake answers, so a
// post whose answer came back is always seen).
func (h *Hooks) None(t testing.TB) {
	t.Helper()
	select {
	case p := <-h.Posts:
		t.Fatalf("unexpected post to %s%s: %s", p.Host, p.Path, p.Body)
	default:
	}
}

// Reply URLs of the payloads below: what Slack and DingTalk send (the fake answers them all).
const (
	SlackCommandURL = "https://hooks.slack.com/commands/T0001ABCD/1234567890/abcdefghijklmnopqrstuvwx"
	SlackActionURL  = "https://hooks.slack.com/actions/T0001ABCD/1234567891/zyxwvutsrqponmlkjihgfedc"
	DingTalkWebhook = "https://oapi.dingtalk.com/robot/sendBySession?session=5b1c6f0e9a2d4c8e7f3a1b0d9c8e7f6a"
)

// Slack team and channel of the payloads below.
const (
	SlackTeam    = "T0001ABCD"
	SlackChannel = "C2147483705"
)

// SlashCommand is the form body Slack posts for "/offsets <text>" typed by user; responseURL ""
// leaves the field out.
func SlashCommand(user, text, responseURL string) []byte {
	v := url.Values{"team_id": {SlackTeam}, "channel_id": {SlackChannel}, "user_id": {user}, "user_name": {"someone"},
		"command": {"/offsets"}, "text": {text}, "trigger_id": {"1.2.3"}}
	if responseURL != "" {
		v.Set("response_url", responseURL)
	}
	return []byte(v.Encode())
}

// BlockActions is the form body Slack posts when user presses a button (action id, value) of an
// ephemeral message: the documented block_actions interaction payload in the payload field.
func BlockActions(user, actionID, value, responseURL string) []byte {
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user, "username": "oncall.alice", "name": "oncall.alice", "team_id": SlackTeam},
		"api_app_id": "A0KRD7HC3",
		"token":      "deprecated-verification-token",
		"container":  map[string]any{"type": "message", "message_ts": "1715000000.000200", "channel_id": SlackChannel, "is_ephemeral": true},
		"trigger_id": "13345224609.738474920.8088930838d88f008e0",
		"team":       map[string]any{"id": SlackTeam, "domain": "example-ops"},
		"enterprise": nil, "is_enterprise_install": false,
		"channel":      map[string]any{"id": SlackChannel, "name": "kafka-ops"},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": responseURL,
		"actions": []any{map[string]any{"action_id": actionID, "block_id": "offsetreset.plan", "type": "button", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Apply", "emoji": true}, "action_ts": "1715000001.000300"}},
	}
	b, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(b)}}.Encode())
}

// SlackHeaders are the headers Slack signs a body with at time at.
func SlackHeaders(secret string, body []byte, at time.Time) map[string]string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return map[string]string{"Content-Type": "application/x-www-form-urlencoded", slack.TimestampHeader: ts, slack.SignatureHeader: slack.Sign(secret, ts, body)}
}

// SlackMessage decodes a post to a Slack response_url.
func (p Post) SlackMessage(t testing.TB) chat.SlackMessage {
	t.Helper()
	var m chat.SlackMessage
	if err := json.Unmarshal(p.Body, &m); err != nil || p.Host != "hooks.slack.com" || p.ContentType != "application/json" {
		t.Fatalf("not a Slack message post (%v): %s %s %s", err, p.Host, p.ContentType, p.Body)
	}
	return m
}

// DingTalkMessage decodes a post to a DingTalk sessionWebhook.
func (p Post) DingTalkMessage(t testing.TB) chat.DingTalkMessage {
	t.Helper()
	var m chat.DingTalkMessage
	if err := json.Unmarshal(p.Body, &m); err != nil || p.Host != "oapi.dingtalk.com" || p.ContentType != "application/json" {
		t.Fatalf("not a DingTalk message post (%v): %s %s %s", err, p.Host, p.ContentType, p.Body)
	}
	return m
}
