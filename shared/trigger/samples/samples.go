// Package samples reads events/manifest.json, the list of sample payloads in events/, and turns a
// sample into what its sender would send: an HTTP request (signed or carrying a token the way the
// real sender does, at send time, with the secrets given) or a Lambda event. Tests and
// `make demo` use it; the samples themselves carry no secrets.
package samples

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"offsetreset/shared/server"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/trigger/dingtalk"
	"offsetreset/shared/trigger/grafana"
	"offsetreset/shared/trigger/slack"
)

// Platforms of a sample.
const (
	PlatformFC     = "fc"     // POST /invoke of the FC custom runtime (also served locally)
	PlatformHTTP   = "http"   // an HTTP route of the one handler
	PlatformLambda = "lambda" // a Lambda event (invoke it through the Lambda runtime)
)

// Authentication kinds: how the sender proves itself.
const (
	AuthNone        = "none"
	AuthAPIBearer   = "api-bearer"          // Authorization: Bearer $OFFSETRESET_API_TOKEN
	AuthWebhookBear = "webhook-bearer"      // Authorization: Bearer $OFFSETRESET_WEBHOOK_TOKEN
	AuthWebhookURL  = "webhook-query-token" // ?token=$OFFSETRESET_WEBHOOK_TOKEN
	AuthWebhookHMAC = "webhook-hmac"        // X-Grafana-Alerting-Signature over timestamp:body
	AuthSlack       = "slack"               // Slack v0 signature
	AuthDingTalk    = "dingtalk"            // DingTalk timestamp + sign
)

// Sample is one entry of events/manifest.json.
type Sample struct {
	File        string            `json:"file"`
	Title       string            `json:"title"`
	Platform    string            `json:"platform"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	ContentType string            `json:"contentType"`
	Headers     map[string]string `json:"headers"`
	Auth        string            `json:"auth"`
	// Stamp names a top-level JSON field the sender sets to its send time (SMN's timestamp),
	// set to now when the sample is sent, so a receiver's freshness check sees a live message.
	Stamp string `json:"stamp,omitempty"`
}

// Load reads manifest.json of fsys (events.FS) and checks that every listed file exists.
func Load(fsys fs.FS) ([]Sample, error) {
	b, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return nil, err
	}
	var list []Sample
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("manifest.json: %v", err)
	}
	for _, s := range list {
		if _, err := fs.Stat(fsys, s.File); err != nil {
			return nil, fmt.Errorf("manifest.json lists %s: %v", s.File, err)
		}
	}
	return list, nil
}

// Body is the sample file's content.
func (s Sample) Body(fsys fs.FS) ([]byte, error) {
	return fs.ReadFile(fsys, s.File)
}

// Request builds the HTTP request of an fc or http sample against baseURL, authenticated the way
// the sample's sender does it.
func (s Sample) Request(ctx context.Context, fsys fs.FS, baseURL string, sec server.Secrets, now time.Time) (*http.Request, error) {
	if s.Platform == PlatformLambda {
		return nil, fmt.Errorf("%s is a Lambda event, not an HTTP request", s.File)
	}
	body, err := s.Body(fsys)
	if err != nil {
		return nil, err
	}
	if s.Stamp != "" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("%s: stamp %s: %v", s.File, s.Stamp, err)
		}
		m[s.Stamp], _ = json.Marshal(now.UTC().Format(time.RFC3339))
		body, _ = json.Marshal(m)
	}
	header := http.Header{}
	for k, v := range s.Headers {
		header.Set(k, v)
	}
	if s.ContentType != "" {
		header.Set("Content-Type", s.ContentType)
	}
	query, err := Sign(s.Auth, header, body, sec, now)
	if err != nil {
		return nil, err
	}
	u := strings.TrimRight(baseURL, "/") + s.Path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, s.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = header
	return req, nil
}

// Sign adds the credentials of an authentication kind to header, and returns the query string
// to add (the URL token) if any.
func Sign(auth string, header http.Header, body []byte, sec server.Secrets, now time.Time) (query string, err error) {
	switch auth {
	case AuthNone, "":
	case AuthAPIBearer:
		header.Set("Authorization", "Bearer "+sec.APIToken)
	case AuthWebhookBear:
		header.Set("Authorization", "Bearer "+sec.WebhookToken)
	case AuthWebhookURL:
		return url.Values{"token": {sec.WebhookToken}}.Encode(), nil
	case AuthWebhookHMAC:
		ts := strconv.FormatInt(now.Unix(), 10)
		header.Set(grafana.TimestampHeader, ts)
		header.Set(grafana.SignatureHeader, grafana.Sign(sec.WebhookHMAC, ts, body))
	case AuthSlack:
		ts := strconv.FormatInt(now.Unix(), 10)
		header.Set(slack.TimestampHeader, ts)
		header.Set(slack.SignatureHeader, slack.Sign(sec.SlackSigning, ts, body))
	case AuthDingTalk:
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		header.Set(dingtalk.TimestampHeader, ts)
		header.Set(dingtalk.SignHeader, dingtalk.Sign(sec.DingTalkApp, ts))
	default:
		return "", fmt.Errorf("unknown auth kind %q", auth)
	}
	return "", nil
}

// LambdaEvent is the event of a lambda sample. An HTTP event (Function URL or API Gateway HTTP
// API, payload 2.0) gets its credentials added to its headers or query string.
func (s Sample) LambdaEvent(fsys fs.FS, sec server.Secrets, now time.Time) ([]byte, error) {
	raw, err := s.Body(fsys)
	if err != nil {
		return nil, err
	}
	if s.Auth == AuthNone || s.Auth == "" {
		return raw, nil
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("%s: %v", s.File, err)
	}
	body := []byte(fmt.Sprint(ev["body"]))
	if b64, _ := ev["isBase64Encoded"].(bool); b64 {
		if body, err = base64.StdEncoding.DecodeString(string(body)); err != nil {
			return nil, fmt.Errorf("%s: body: %v", s.File, err)
		}
	}
	header := http.Header{}
	query, err := Sign(s.Auth, header, body, sec, now)
	if err != nil {
		return nil, err
	}
	headers, _ := ev["headers"].(map[string]any)
	if headers == nil {
		headers = map[string]any{}
	}
	for k := range header {
		headers[strings.ToLower(k)] = header.Get(k)
	}
	ev["headers"] = headers
	if query != "" {
		if q, _ := ev["rawQueryString"].(string); q != "" {
			query = q + "&" + query
		}
		ev["rawQueryString"] = query
	}
	return json.Marshal(ev)
}
