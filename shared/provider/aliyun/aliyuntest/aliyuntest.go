// Package aliyuntest is the front door of the Alibaba Cloud API emulators (alikafkatest,
// alirocketmqtest, alirocketmq5test): a real HTTP server that checks requests the way the API
// gateway does — RPC signature v1 (HMAC-SHA1 over POST&%2F&…, key secret+"&") or ROA signature
// (HMAC-SHA1 over the canonical headers and resource, key secret), known AccessKey, security
// token, timestamp window, nonce reuse, API version — answers gateway errors in the gateway's
// shape (string Code, Message, RequestId), records every call, and injects faults (throttling,
// 5xx, latency, malformed bodies). The product emulators supply the API behind it and build on
// Emulator, Log and Topics here; Harness and the Want helpers wire a provider under test to them.
package aliyuntest

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Style is the API style of a product.
type Style int

const (
	// RPC: every parameter in the query (or form), Action names the operation.
	RPC Style = iota
	// ROA: REST paths, JSON bodies, signature in the Authorization header.
	ROA
)

// Key is an AccessKey the emulator accepts. A Token makes it an STS key: requests must carry it.
type Key struct {
	ID     string
	Secret string
	Token  string
}

// Request is one authenticated request handed to a product emulator.
type Request struct {
	Action string
	// Params are the RPC parameters (query and form) or the ROA query parameters.
	Params map[string]string
	Method string
	Path   string
	Body   []byte
	// Route holds the named parts of an ROA path (instanceId, consumerGroupId, topicName).
	Route map[string]string
}

// Reply is a product emulator's answer.
type Reply struct {
	Status int
	// Body is encoded as JSON; a []byte is sent as it is.
	Body any
	// Code is the error code, recorded with the call ("" for success).
	Code string
}

// OK is a 200 answer.
func OK(body any) Reply { return Reply{Status: http.StatusOK, Body: body} }

// API is a product behind the gateway.
type API interface {
	// Route names the operation of an ROA request and its path parts; ok false = no such path.
	// RPC emulators are never asked (the Action parameter names the operation).
	Route(method, path string) (action string, parts map[string]string, ok bool)
	// Serve answers an authenticated request. It runs under no lock of the Server.
	Serve(r *Request) Reply
	// Knows reports whether an RPC Action exists.
	Knows(action string) bool
}

// Call is one recorded request.
type Call struct {
	Action string
	Params map[string]string
	Method string
	Path   string
	Body   string
	Status int
	Code   string
}

// FaultKind is what an injected fault does.
type FaultKind int

const (
	// Throttle answers HTTP 400 Throttling.User, as the gateway does under flow control.
	Throttle FaultKind = iota
	// Unavailable answers HTTP 503 ServiceUnavailable.
	Unavailable
	// Slow waits Delay before serving the request normally (or until the client gives up).
	Slow
	// Malformed answers HTTP 200 with a truncated JSON body.
	Malformed
	// NumericCode answers HTTP 500 with a numeric Code, the shape that makes the SDK panic
	// (notes §E); only for testing that callers survive it.
	NumericCode
	// Forbidden answers HTTP 403 Forbidden.RAM, as RAM does for an identity without the action.
	Forbidden
)

// Fault is injected into calls of Action ("" = every action), Times times (0 = once, < 0 =
// always).
type Fault struct {
	Action string
	Kind   FaultKind
	Times  int
	Delay  time.Duration
	// Match limits the fault to requests whose parameters (RPC parameters, or ROA query and
	// path parts) have these values.
	Match map[string]string
}

// Server is a running emulator front door.
type Server struct {
	// URL is http://127.0.0.1:port, usable as a target's endpoint.
	URL string
	// Now is the gateway's clock for timestamp checks.
	Now func() time.Time

	srv     *httptest.Server
	style   Style
	version string
	api     API

	mu     sync.Mutex
	keys   map[string]Key
	calls  []Call
	faults []*Fault
	nonces map[string]time.Time
}

// Start runs a server for one product API version.
func Start(style Style, version string, api API) *Server {
	s := &Server{Now: time.Now, style: style, version: version, api: api, keys: map[string]Key{}, nonces: map[string]time.Time{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddKey registers an AccessKey.
func (s *Server) AddKey(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ff := f
	if ff.Times == 0 {
		ff.Times = 1
	}
	s.faults = append(s.faults, &ff)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Calls returns a copy of the recorded calls.
func (s *Server) Calls() []Call { return s.CallsOf("") }

// CallsOf returns a copy of the recorded calls of action ("" = all).
func (s *Server) CallsOf(action string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if action == "" || c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// Count is how many calls of action were recorded ("" = all).
func (s *Server) Count(action string) int { return len(s.CallsOf(action)) }

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// RequestID makes a request ID in the service's format.
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// GatewayError is an error in the API gateway's shape (capitalised keys, string Code).
func GatewayError(status int, code, message string) Reply {
	return Reply{Status: status, Code: code, Body: map[string]string{
		"RequestId": RequestID(), "HostId": "emulator.aliyuncs.com", "Code": code, "Message": message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + code,
	}}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	call := Call{Method: r.Method, Path: r.URL.Path, Body: string(body)}
	var reply Reply
	var req *Request
	if s.style == RPC {
		req, reply = s.checkRPC(r, body)
	} else {
		req, reply = s.checkROA(r, body)
	}
	if req != nil {
		call.Action, call.Params = req.Action, req.Params
	} else if a := r.URL.Query().Get("Action"); a != "" {
		call.Action = a
	}
	if reply.Status == 0 {
		fault := s.takeFault(req)
		switch {
		case fault == nil:
		case fault.Kind == Throttle:
			reply = GatewayError(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		case fault.Kind == Unavailable:
			reply = GatewayError(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
		case fault.Kind == Malformed:
			reply = Reply{Status: http.StatusOK, Body: []byte(`{"RequestId":"` + RequestID() + `","Success":tru`), Code: "(malformed)"}
		case fault.Kind == Forbidden:
			reply = GatewayError(http.StatusForbidden, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM.")
		case fault.Kind == NumericCode:
			reply = Reply{Status: http.StatusInternalServerError, Code: "500", Body: map[string]any{"RequestId": RequestID(), "Code": 500, "Message": "InternalError"}}
		case fault.Kind == Slow:
			if !sleep(r.Context(), fault.Delay) {
				s.record(call, 0, "(client gone)")
				return
			}
		}
	}
	if reply.Status == 0 {
		req.Body = body
		reply = s.api.Serve(req)
	}
	s.record(call, reply.Status, reply.Code)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(reply.Status)
	if b, ok := reply.Body.([]byte); ok {
		_, _ = w.Write(b)
		return
	}
	_ = json.NewEncoder(w).Encode(reply.Body)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) record(c Call, status int, code string) {
	c.Status, c.Code = status, code
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *Server) takeFault(r *Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
next:
	for i, f := range s.faults {
		if f.Action != "" && f.Action != r.Action {
			continue
		}
		for k, v := range f.Match {
			if r.Params[k] != v && r.Route[k] != v {
				continue next
			}
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		cp := *f
		return &cp
	}
	return nil
}

func (s *Server) key(id string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	return k, ok
}

// window is how far a request's time may be from the gateway's clock.
const window = 15 * time.Minute

func (s *Server) checkRPC(r *http.Request, body []byte) (*Request, Reply) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, GatewayError(http.StatusBadRequest, "InvalidParameter", "The request body is not a valid form.")
		}
		for k, v := range form {
			params[k] = v[0]
		}
	}
	req := &Request{Action: params["Action"], Params: params, Method: r.Method, Path: r.URL.Path}
	for _, p := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if params[p] == "" {
			if p == "AccessKeyId" {
				return req, GatewayError(http.StatusBadRequest, "MissingAccessKeyId", "AccessKeyId is mandatory for this action.")
			}
			return req, GatewayError(http.StatusBadRequest, "IncompleteSignature", fmt.Sprintf("The request signature does not conform to Aliyun standards: %s is missing.", p))
		}
	}
	if params["SignatureMethod"] != "HMAC-SHA1" {
		return req, GatewayError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not supported: "+params["SignatureMethod"])
	}
	if params["SignatureVersion"] != "1.0" {
		return req, GatewayError(http.StatusBadRequest, "UnsupportedSignatureVersion", "Specified signature version is not supported: "+params["SignatureVersion"])
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", params["Timestamp"])
	if err != nil {
		return req, GatewayError(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := s.Now().Sub(ts); d > window || d < -window {
		return req, GatewayError(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	key, ok := s.key(params["AccessKeyId"])
	if !ok {
		return req, GatewayError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	sts := RPCStringToSign(r.Method, params)
	if !hmac.Equal([]byte(Sign(sts, key.Secret+"&")), []byte(params["Signature"])) {
		return req, GatewayError(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:"+sts)
	}
	if key.Token != "" && params["SecurityToken"] != key.Token {
		if params["SecurityToken"] == "" {
			return req, GatewayError(http.StatusBadRequest, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
		}
		return req, GatewayError(http.StatusBadRequest, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is mismatch with the AccessKey.")
	}
	if !s.useNonce(params["SignatureNonce"], ts) {
		return req, GatewayError(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	if params["Action"] == "" {
		return req, GatewayError(http.StatusBadRequest, "MissingAction", "Action is mandatory for this action.")
	}
	if params["Version"] != s.version {
		return req, GatewayError(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	if !s.api.Knows(params["Action"]) {
		return req, GatewayError(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	return req, Reply{}
}

func (s *Server) useNonce(nonce string, ts time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if len(s.nonces) > 100000 {
		for n, at := range s.nonces {
			if now.Sub(at) > 2*window {
				delete(s.nonces, n)
			}
		}
	}
	if _, used := s.nonces[nonce]; used {
		return false
	}
	s.nonces[nonce] = ts
	return true
}

// PercentEncode is Alibaba Cloud's RFC 3986 encoding: like url.QueryEscape, but space is %20,
// * is %2A and ~ stays.
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// RPCStringToSign is METHOD&%2F&percent(canonicalized query) over every parameter but Signature
// (an empty SignatureType= included).
func RPCStringToSign(method string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = PercentEncode(k) + "=" + PercentEncode(params[k])
	}
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(strings.Join(parts, "&"))
}

// Sign is base64(HMAC-SHA1(key, s)).
func Sign(s, key string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) checkROA(r *http.Request, body []byte) (*Request, Reply) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	action, parts, found := s.api.Route(r.Method, r.URL.Path)
	if a := r.Header.Get("x-acs-action"); a != "" && !found {
		action = a
	}
	req := &Request{Action: action, Params: params, Method: r.Method, Path: r.URL.Path, Route: parts}
	authz := r.Header.Get("Authorization")
	id, sig, ok := strings.Cut(strings.TrimPrefix(authz, "acs "), ":")
	if !strings.HasPrefix(authz, "acs ") || !ok || id == "" || sig == "" {
		return req, GatewayError(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: the Authorization header is missing or not \"acs AccessKeyId:Signature\".")
	}
	if r.Header.Get("x-acs-signature-method") != "HMAC-SHA1" || r.Header.Get("x-acs-signature-version") != "1.0" {
		return req, GatewayError(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: x-acs-signature-method must be HMAC-SHA1 and x-acs-signature-version 1.0.")
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return req, GatewayError(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := s.Now().Sub(date); d > window || d < -window {
		return req, GatewayError(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	if md := r.Header.Get("Content-MD5"); md != "" {
		sum := md5.Sum(body)
		if md != base64.StdEncoding.EncodeToString(sum[:]) {
			return req, GatewayError(http.StatusBadRequest, "InvalidContentMD5", "The Content-MD5 header does not match the body.")
		}
	}
	key, ok := s.key(id)
	if !ok {
		return req, GatewayError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	sts := ROAStringToSign(r)
	if !hmac.Equal([]byte(Sign(sts, key.Secret)), []byte(sig)) {
		return req, GatewayError(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:"+sts)
	}
	if tok := r.Header.Get("x-acs-security-token"); key.Token != "" && tok != key.Token {
		if tok == "" {
			return req, GatewayError(http.StatusBadRequest, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
		}
		return req, GatewayError(http.StatusBadRequest, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is mismatch with the AccessKey.")
	}
	if r.Header.Get("x-acs-version") != s.version {
		return req, GatewayError(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	if !found {
		return req, GatewayError(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	return req, Reply{}
}

// ROAStringToSign is METHOD, then Accept, Content-MD5, Content-Type and Date (each line only when
// present), then every x-acs-* header as name:value sorted by name, then the path and the sorted
// query, unencoded (an empty value written as the bare key).
func ROAStringToSign(r *http.Request) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	for _, h := range []string{"Accept", "Content-MD5", "Content-Type", "Date"} {
		if v := r.Header.Get(h); v != "" {
			b.WriteString(v + "\n")
		}
	}
	var acs []string
	vals := map[string]string{}
	for k, v := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-acs-") {
			acs = append(acs, lk)
			vals[lk] = v[0]
		}
	}
	sort.Strings(acs)
	for _, k := range acs {
		b.WriteString(k + ":" + vals[k] + "\n")
	}
	b.WriteString(r.URL.Path)
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteString("?")
		} else {
			b.WriteString("&")
		}
		b.WriteString(k)
		if v := q.Get(k); v != "" {
			b.WriteString("=" + v)
		}
	}
	return b.String()
}
