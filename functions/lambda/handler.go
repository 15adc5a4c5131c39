package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/cloudwatch"
)

// handler is the one Lambda handler.
type handler struct {
	svc  *server.Service
	http http.Handler
	// metrics receives the embedded-metric-format lines (stdout on Lambda).
	metrics io.Writer
}

func newHandler(svc *server.Service) *handler {
	return &handler{svc: svc, http: svc.Handler(server.Lambda), metrics: os.Stdout}
}

// InvalidEvent is the error of an event the function cannot read (errorType InvalidEvent).
type InvalidEvent struct{ Msg string }

func (e *InvalidEvent) Error() string { return e.Msg }

// ResetError is the error of a run that did not do what was asked and can safely be retried
// (errorType ResetError), so that Lambda's asynchronous retries deliver it again; Msg names
// every such result. Other outcomes return normally and are counted in metrics.
type ResetError struct{ Msg string }

func (e *ResetError) Error() string { return e.Msg }

// Event kinds.
const (
	kindHTTP        = "http"
	kindHTTPv1      = "http-v1"
	kindSNS         = "sns"
	kindEventBridge = "eventbridge"
	kindOtherEvent  = "other-eventbridge"
	kindCommands    = "commands"
)

// classify looks at the top-level keys only.
func classify(event []byte) string {
	trimmed := bytes.TrimSpace(event)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return kindCommands
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(trimmed, &probe) != nil {
		return kindCommands
	}
	if _, ok := probe["requestContext"]; ok {
		var v struct {
			Version    string `json:"version"`
			HTTPMethod string `json:"httpMethod"`
		}
		json.Unmarshal(trimmed, &v)
		if v.Version == "2.0" {
			return kindHTTP
		}
		return kindHTTPv1
	}
	switch cloudwatch.Detect(trimmed) {
	case cloudwatch.KindSNS:
		return kindSNS
	case cloudwatch.KindEventBridge:
		return kindEventBridge
	}
	if _, ok := probe["Records"]; ok {
		return kindSNS // records of another source: DecodeSNS says which
	}
	_, dt := probe["detail-type"]
	_, src := probe["source"]
	if dt && src {
		return kindOtherEvent
	}
	return kindCommands
}

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// Invoke handles one event.
func (h *handler) Invoke(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
	ctx, cancel := server.WithMargin(ctx)
	defer cancel()
	if server.IsChatJobEvent(event) {
		// Deferred chat work this function handed to itself; its result goes to the chat. A
		// retry of it is the same job (the same confirm identity), so it never applies twice.
		if err := h.svc.RunChatJobEvent(ctx, event); err != nil {
			return nil, &InvalidEvent{Msg: err.Error()}
		}
		return json.RawMessage(`{"status":"done"}`), nil
	}
	switch classify(event) {
	case kindHTTP:
		return h.serveHTTP(ctx, event)
	case kindHTTPv1:
		return json.Marshal(httpResponse{StatusCode: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"},
			Body: `{"error":"API Gateway REST APIs (payload format 1.0) are not supported; use an HTTP API with payload format 2.0 or a Function URL"}`})
	case kindSNS, kindEventBridge:
		alerts, err := cloudwatch.Decode(event)
		if err != nil {
			return nil, &InvalidEvent{Msg: "cloudwatch: " + err.Error()}
		}
		rep := h.svc.HandleAlerts(ctx, requestID(ctx), "cloudwatch", alerts)
		server.WriteMetrics(h.metrics, time.Now(), server.TriggerAlert, rep.Results())
		if err := rep.RetryError(); err != nil {
			return nil, &ResetError{Msg: err.Error()}
		}
		return json.Marshal(rep.Bounded())
	case kindOtherEvent:
		var ev struct {
			Source     string `json:"source"`
			DetailType string `json:"detail-type"`
		}
		json.Unmarshal(event, &ev)
		return nil, &InvalidEvent{Msg: fmt.Sprintf("EventBridge event %q from %s is not handled: give the schedule or rule a command JSON as its input, or route CloudWatch Alarm State Change events here", ev.DetailType, ev.Source)}
	}
	cmds, many, err := reset.DecodeCommands(event)
	if err != nil {
		return nil, &InvalidEvent{Msg: "invalid: " + err.Error()}
	}
	// Lambda keeps the request id across the asynchronous retries of one event, so it is the
	// invocation's identity (README, "Retries and duplicate deliveries").
	inv := server.Invocation{Trigger: server.TriggerSchedule, Principal: "lambda:invoke", RequestID: requestID(ctx)}
	if inv.RequestID != "" {
		inv.Identity = "lambda:" + inv.RequestID
	}
	results := h.svc.RunAll(ctx, inv, cmds)
	server.WriteMetrics(h.metrics, time.Now(), inv.Trigger, results)
	if err := server.RetryError(results); err != nil {
		return nil, &ResetError{Msg: err.Error()}
	}
	return server.EncodeResults(results, server.AnswerMany(many, cmds), false), nil
}

// httpEvent is a Function URL / API Gateway HTTP API request (payload format 2.0).
type httpEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		DomainName string `json:"domainName"`
		RequestID  string `json:"requestId"`
		HTTP       struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

// httpResponse is the answer to both (the same shape for Function URLs and HTTP APIs).
type httpResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// serveHTTP adapts the event to an *http.Request for the shared handler and buffers its answer.
func (h *handler) serveHTTP(ctx context.Context, event []byte) (json.RawMessage, error) {
	var ev httpEvent
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, &InvalidEvent{Msg: "HTTP event: " + err.Error()}
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return json.Marshal(httpResponse{StatusCode: http.StatusBadRequest, Body: `{"error":"the request body is not valid base64"}`})
		}
		body = b
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	host := ev.RequestContext.DomainName
	if host == "" {
		host = "lambda.local"
	}
	url := "https://" + host + path
	if ev.RawQueryString != "" {
		url += "?" + ev.RawQueryString
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return json.Marshal(httpResponse{StatusCode: http.StatusBadRequest, Body: `{"error":"the request line cannot be read"}`})
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Header.Del("X-Request-Id")
	if id := requestID(ctx); id != "" {
		req.Header.Set("X-Request-Id", id)
	} else if ev.RequestContext.RequestID != "" {
		req.Header.Set("X-Request-Id", ev.RequestContext.RequestID)
	}
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	req.ContentLength = int64(len(body))
	rec := &recorder{header: http.Header{}}
	h.http.ServeHTTP(rec, req)
	resp := httpResponse{StatusCode: rec.code, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, v := range rec.header {
		if k == "Set-Cookie" {
			resp.Cookies = v
			continue
		}
		resp.Headers[k] = strings.Join(v, ",")
	}
	if utf8.Valid(rec.body.Bytes()) {
		resp.Body = rec.body.String()
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(rec.body.Bytes()), true
	}
	return json.Marshal(resp)
}

// recorder buffers a response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(p)
}
