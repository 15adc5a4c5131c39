package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/credentials"
	"offsetreset/shared/reset"
)

// Platform says how the handler is hosted, which decides whom /invoke trusts.
type Platform int

const (
	// Local: a laptop server bound to loopback; /invoke is open like an event invocation.
	Local Platform = iota
	// FC: Alibaba FC 3.0 custom runtime; /invoke runs only when FC marks the request as an
	// event invocation (x-fc-control-path: /invoke), and FC's x-fc-* credential headers are used.
	FC
	// Lambda: behind a Function URL or API Gateway; events arrive through the Lambda API, never
	// as HTTP, so /invoke always answers 401.
	Lambda
)

// MaxBody bounds every request body.
const MaxBody = reset.MaxRequestBytes

// Handler is the one http.Handler of every platform.
func (s *Service) Handler(p Platform) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.HandleFunc("POST /invoke", func(w http.ResponseWriter, r *http.Request) { s.serveInvoke(p, w, r) })
	mux.HandleFunc("POST /v1/reset", func(w http.ResponseWriter, r *http.Request) { s.serveAPI(p, w, r) })
	for path, h := range s.triggerRoutes() {
		mux.HandleFunc(path, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s; the routes are POST /v1/reset, POST /v1/chat/{slack,dingtalk}, POST /v1/alerts/{alertmanager,grafana,cloudmonitor,cloudeye}, GET /healthz", r.Method, r.URL.Path))
	})
	return s.platform(p, mux)
}

// platform adds what the host gives each request: FC's per-request role credentials and
// request id, and a deadline.
func (s *Service) platform(p Platform, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var cancel context.CancelFunc
		if p == FC {
			ctx = credentials.WithAlibaba(ctx, credentials.Alibaba{
				AccessKeyID:     r.Header.Get("x-fc-access-key-id"),
				AccessKeySecret: r.Header.Get("x-fc-access-key-secret"),
				SecurityToken:   r.Header.Get("x-fc-security-token"),
			})
			if sec, err := strconv.Atoi(r.Header.Get("x-fc-function-timeout")); err == nil && sec > 3 {
				ctx, cancel = context.WithTimeout(ctx, time.Duration(sec)*time.Second-2*time.Second)
			}
		}
		if cancel == nil {
			ctx, cancel = s.withDeadline(ctx)
		}
		defer cancel()
		if p != FC {
			// x-fc-* headers mean something only when FC sets them; elsewhere a caller could
			// forge a request id or credentials with them.
			for k := range r.Header {
				if strings.HasPrefix(strings.ToLower(k), "x-fc-") {
					r.Header.Del(k)
				}
			}
		}
		ctx = context.WithValue(ctx, requestIDKey{}, requestID(p, r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func requestID(p Platform, r *http.Request) string {
	if p == FC {
		return r.Header.Get("x-fc-request-id")
	}
	return r.Header.Get("X-Request-Id")
}

// serveInvoke runs an event invocation: a command, an array of commands, or an FC timer event
// whose payload is one of those. It answers 200 with the result; a failed, partial or invalid
// run also sets x-fc-status: 404 so FC records an error.
func (s *Service) serveInvoke(p Platform, w http.ResponseWriter, r *http.Request) {
	switch {
	case p == Lambda:
		writeError(w, http.StatusUnauthorized, "/invoke is not served over HTTP on Lambda; invoke the function through the Lambda API")
		return
	case p == FC && r.Header.Get("x-fc-control-path") != "/invoke":
		writeError(w, http.StatusUnauthorized, "/invoke only takes FC event invocations; use POST /v1/reset with a bearer token")
		return
	case p == Local && !fromLoopback(r):
		writeError(w, http.StatusUnauthorized, "/invoke of the local server only answers callers on this machine; use POST /v1/reset with a bearer token")
		return
	}
	if p == Local {
		if err := ownOperator(r); err != nil {
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
	}
	inv := Invocation{Trigger: TriggerAPI, Principal: "invoke", RequestID: requestID(p, r)}
	if p == FC {
		// FC keeps x-fc-request-id across the async retries of one invocation and counts them
		// in x-fc-retry-count (README, "Retries and duplicate deliveries").
		inv.Principal = "fc:invoke"
		if inv.RequestID != "" {
			inv.Identity = "fc:" + inv.RequestID
		}
		inv.Retry, _ = strconv.Atoi(r.Header.Get("x-fc-retry-count"))
	}
	body, err := readBody(w, r)
	if err != nil {
		s.answer(w, r, p, false, []*reset.Result{reset.ErrorResult(reset.Command{}, reset.Invalid("%v", err))}, true)
		return
	}
	if IsChatJobEvent(body) {
		s.serveChatJob(w, r, p, body) // deferred chat work this function handed to itself (chatjob.go)
		return
	}
	if ev, ok := DecodeTimerEvent(body); ok {
		inv.Trigger, inv.Principal = TriggerSchedule, "timer:"+ev.TriggerName
		body = []byte(ev.Payload)
	}
	cmds, many, err := reset.DecodeCommands(body)
	if err != nil {
		s.answer(w, r, p, many, []*reset.Result{reset.ErrorResult(reset.Command{}, reset.Invalid("%v", err))}, true)
		return
	}
	s.answer(w, r, p, AnswerMany(many, cmds), s.RunAll(r.Context(), inv, cmds), true)
}

// serveAPI is POST /v1/reset: the JSON API, authenticated with OFFSETRESET_API_TOKEN.
func (s *Service) serveAPI(p Platform, w http.ResponseWriter, r *http.Request) {
	if p == Local {
		if err := ownOperator(r); err != nil {
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
	}
	if !bearerOK(r, s.Secrets.APIToken) {
		writeError(w, http.StatusUnauthorized, "missing or wrong bearer token; send Authorization: Bearer <OFFSETRESET_API_TOKEN>")
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.answer(w, r, Local, false, []*reset.Result{reset.ErrorResult(reset.Command{}, reset.Invalid("%v", err))}, false)
		return
	}
	cmds, many, err := reset.DecodeCommands(body)
	if err != nil {
		s.answer(w, r, Local, many, []*reset.Result{reset.ErrorResult(reset.Command{}, reset.Invalid("%v", err))}, false)
		return
	}
	inv := Invocation{Trigger: TriggerAPI, Principal: "api-token", RequestID: trustedRequestID(r)}
	if k := strings.TrimSpace(r.Header.Get("Idempotency-Key")); k != "" {
		if len(k) > 255 {
			s.answer(w, r, Local, many, []*reset.Result{reset.ErrorResult(reset.Command{}, reset.Invalid("the Idempotency-Key header is %d characters; keep it under 256", len(k)))}, false)
			return
		}
		// The key names one request: the same key with another body is another invocation
		// (not a silent no-op answered with the first body's result).
		sum := sha256.Sum256(body)
		inv.Identity = "api:" + k + ":" + hex.EncodeToString(sum[:8])
	}
	s.answer(w, r, Local, AnswerMany(many, cmds), s.RunAll(r.Context(), inv, cmds), false)
}

// ownOperator refuses what a web page in the operator's browser could send to the local server:
// a cross-origin request (Origin not the server's own), a "simple" request body type that needs
// no CORS preflight (text/plain, forms), or a Host that is not a loopback name or address (DNS
// rebinding points an attacker's name at 127.0.0.1).
func ownOperator(r *http.Request) error {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(host), "[]")
	ip := net.ParseIP(host)
	if !(host == "localhost" || strings.HasSuffix(host, ".localhost") || (ip != nil && ip.IsLoopback())) {
		return fmt.Errorf("the local server only answers requests addressed to localhost or a loopback address, not Host %q (a DNS-rebound name is how a web page would reach it)", r.Host)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("the local server does not answer web pages: Origin %q is not this server; send the request from a terminal (curl, offsetreset)", o)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/octet-stream") {
			return fmt.Errorf("the local server takes Content-Type application/json or application/octet-stream, not %q (a web page can send forms and text/plain to any server); send -H 'Content-Type: application/json'", ct)
		}
	}
	return nil
}

// fromLoopback reports whether the request came from this machine (the local server's /invoke
// is unauthenticated, like an event invocation, so it must not answer the network).
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// bearerOK compares in constant time; an unset secret closes the route.
func bearerOK(r *http.Request, secret string) bool {
	if secret == "" {
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(secret)) == 1
}

// readBody reads at most MaxBody bytes; a larger body is an error.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fmt.Errorf("the request body is larger than 1 MiB; send fewer commands per request")
	}
	if err != nil {
		return nil, fmt.Errorf("the request body could not be read: %v", err)
	}
	return b, nil
}

// answer writes one result or an array, with the HTTP status of SPEC §7, as compact JSON (indented
// with ?pretty). Event invocations (/invoke) answer 200 and mark every outcome that did not do
// what was asked with x-fc-status: 404, so FC records a failed invocation.
func (s *Service) answer(w http.ResponseWriter, r *http.Request, p Platform, many bool, results []*reset.Result, event bool) {
	code := HTTPStatus(results)
	w.Header().Set("Content-Type", "application/json")
	if event {
		if anyError(results) && p == FC {
			w.Header().Set("x-fc-status", "404")
		}
		code = http.StatusOK
	}
	w.WriteHeader(code)
	w.Write(EncodeResults(results, many, wantPretty(r)))
}

func anyError(results []*reset.Result) bool {
	for _, r := range results {
		if r.Status.IsError() {
			return true
		}
	}
	return false
}

// HTTPStatus maps results to SPEC §7: 200 applied/planned, 207 partial, 400 invalid, 403 refused
// by policy, 409 refused by a guard, 502 failed. Mixed outcomes of an array answer 207.
func HTTPStatus(results []*reset.Result) int {
	code := 0
	for _, r := range results {
		c := statusCode(r)
		if code != 0 && c != code {
			return http.StatusMultiStatus
		}
		code = c
	}
	if code == 0 {
		return http.StatusOK
	}
	return code
}

func statusCode(r *reset.Result) int {
	switch r.Status {
	case reset.StatusPartial:
		return http.StatusMultiStatus
	case reset.StatusInvalid:
		return http.StatusBadRequest
	case reset.StatusRefused:
		if r.RefusedBy == "policy" {
			return http.StatusForbidden
		}
		return http.StatusConflict
	case reset.StatusFailed, reset.StatusUnknown:
		return http.StatusBadGateway
	}
	return http.StatusOK
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// TimerEvent is FC's timer trigger event; Payload carries the command JSON.
type TimerEvent struct {
	TriggerTime string `json:"triggerTime"`
	TriggerName string `json:"triggerName"`
	Payload     string `json:"payload"`
}

// DecodeTimerEvent recognises an FC timer event by its triggerTime and payload keys.
func DecodeTimerEvent(body []byte) (TimerEvent, bool) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return TimerEvent{}, false
	}
	if _, ok := probe["triggerTime"]; !ok {
		return TimerEvent{}, false
	}
	if _, ok := probe["payload"]; !ok {
		return TimerEvent{}, false
	}
	var ev TimerEvent
	if json.Unmarshal(body, &ev) != nil {
		return TimerEvent{}, false
	}
	return ev, true
}
