// Package aliyun is the Alibaba Cloud API plumbing of the alikafka, alirocketmq and alirocketmq5
// providers: it checks a target's fields, resolves the endpoint (HTTPS unless an http:// endpoint
// is written explicitly), sends every attempt as a fresh SDK request signed with the credentials
// of that moment, paces and retries through throttle.Limiter, survives the SDK's panics, and turns
// the service's answers into sentences (authentication, permission, throttling, business errors).
package aliyun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	sdkcred "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"offsetreset/shared/config"
	"offsetreset/shared/credentials"
	"offsetreset/shared/reset"
	"offsetreset/shared/throttle"
)

// Defaults for one attempt; the invocation's deadline bounds all attempts together.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultConnectTimeout = 5 * time.Second
)

// Endpoint is where API calls go.
type Endpoint struct {
	// Scheme is "HTTPS" or "HTTP" (the SDK's spelling).
	Scheme string
	Host   string
	// Port is empty for the scheme's default.
	Port string
}

// HostPort is host[:port], the SDK's RPC domain.
func (e Endpoint) HostPort() string {
	if e.Port == "" {
		return bracket(e.Host)
	}
	return net.JoinHostPort(e.Host, e.Port)
}

func (e Endpoint) String() string { return strings.ToLower(e.Scheme) + "://" + e.HostPort() }

// bracket writes an IPv6 literal the way URLs need it.
func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

var (
	// compiled on first use: nothing is compiled at start-up (cold start)
	regionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`) })
	hostRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9.:-]+$`) })
)

// ParseEndpoint reads a target's endpoint: "" means defaultHost over HTTPS; host or host:port
// means HTTPS; https:// or http:// URLs say their scheme. Paths, queries and other schemes are
// refused, since the SDK builds the path itself.
func ParseEndpoint(raw, defaultHost string) (Endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Endpoint{Scheme: requests.HTTPS, Host: defaultHost}, nil
	}
	scheme := requests.HTTPS
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		switch strings.ToLower(raw[:i]) {
		case "https":
		case "http":
			scheme = requests.HTTP
		default:
			return Endpoint{}, fmt.Errorf("endpoint %q: scheme %q is not supported; write https://host, http://host (emulators, private gateways) or just the host", raw, raw[:i])
		}
		rest = raw[i+3:]
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.ContainsAny(rest, "/?#@") {
		return Endpoint{}, fmt.Errorf("endpoint %q: give only the host and optional port, without path, query or user", raw)
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
		host = rest[1 : len(rest)-1]
	}
	if host == "" || !hostRE().MatchString(host) {
		return Endpoint{}, fmt.Errorf("endpoint %q: %q is not a host name or IP address", raw, host)
	}
	if port != "" {
		if u, err := url.Parse("http://" + net.JoinHostPort(host, port)); err != nil || u.Port() == "" {
			return Endpoint{}, fmt.Errorf("endpoint %q: port %q is not a number", raw, port)
		}
	}
	return Endpoint{Scheme: scheme, Host: host, Port: port}, nil
}

// CheckTarget checks the fields every Alibaba Cloud target needs (region, instance) and refuses
// those that belong to other providers, naming the field to fix.
func CheckTarget(kind string, t config.Target) error {
	switch {
	case strings.TrimSpace(t.Region) == "":
		return errors.New("region is missing; name the region of the instance, e.g. region: cn-hangzhou")
	case !regionRE().MatchString(t.Region):
		return fmt.Errorf("region %q is not an Alibaba Cloud region ID such as cn-hangzhou or ap-southeast-1", t.Region)
	case strings.TrimSpace(t.Instance) == "":
		return fmt.Errorf("instance is missing; give the %s instance ID from the console", kind)
	case strings.ContainsAny(t.Instance, "/?#% \t"):
		return fmt.Errorf("instance %q contains characters no instance ID has", t.Instance)
	case len(t.Brokers) > 0 || t.SASL != nil || t.TLS.Enabled:
		return fmt.Errorf("brokers, tls and sasl belong to provider kafka; provider %s talks to the cloud API and needs region and instance", kind)
	case t.Project != "" || t.Engine != "" || t.API != "":
		return fmt.Errorf("project, engine and api do not apply to provider %s", kind)
	}
	return nil
}

// Client sends signed calls to one target's API. It holds no SDK client: the SDK mutates its
// client and request objects while sending (timeouts, transport, signature parameters), so each
// attempt gets a fresh SDK client and request built from the credentials of that moment.
type Client struct {
	// Target is the configured target name, for sentences.
	Target   string
	Region   string
	Endpoint Endpoint
	Names    credentials.Names
	Limiter  *throttle.Limiter
	// Timeout bounds one attempt; ConnectTimeout its connection set-up.
	Timeout        time.Duration
	ConnectTimeout time.Duration

	once sync.Once
	base *http.Transport
}

// NewClient checks the target and builds a client; nothing is dialled until the first call.
func NewClient(name, kind string, t config.Target, defaultHost func(region string) string) (*Client, error) {
	if err := CheckTarget(kind, t); err != nil {
		return nil, err
	}
	ep, err := ParseEndpoint(t.Endpoint, defaultHost(t.Region))
	if err != nil {
		return nil, err
	}
	return &Client{
		Target:         name,
		Region:         t.Region,
		Endpoint:       ep,
		Names:          t.Names,
		Limiter:        throttle.New(t.QPS, t.Concurrency),
		Timeout:        DefaultTimeout,
		ConnectTimeout: DefaultConnectTimeout,
	}, nil
}

func (c *Client) transport() *http.Transport {
	c.once.Do(func() {
		c.base = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: c.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: c.ConnectTimeout,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		}
	})
	return c.base
}

// Call names one API call for sentences, retry notes and permission errors.
type Call struct {
	// What is the call in words: "GetConsumerProgress of group billing".
	What string
	// API is the operation name ("GetConsumerProgress") and RAM its RAM action
	// ("alikafka:ListGroup"), named when the identity lacks the permission.
	API string
	RAM string
}

// Do sends the request that build makes, once per attempt, under the client's limiter: retries
// on throttling, 5xx and timeouts while the deadline allows. check (optional) inspects a 2xx
// answer; an *APIError it returns is classified like an HTTP error (so a throttling code inside
// a 200 is retried), any other error is returned as it is.
func Do[R responses.AcsResponse](ctx context.Context, c *Client, call Call, build func() (requests.AcsRequest, R), check func(R) error) (R, error) {
	var out R
	var last *throttle.Retryable
	attempts := 0
	err := c.Limiter.Do(ctx, call.What, func(ctx context.Context) error {
		attempts++
		req, resp := build()
		rec, err := c.attempt(ctx, call, req, resp)
		var retry *throttle.Retryable
		switch {
		case errors.As(err, &retry):
			last = retry
			return err
		case errors.As(err, new(*deadlineError)) && last != nil:
			// Keep the service's word: the deadline is only why the retries stopped.
			return fmt.Errorf("%s failed with %s after %d attempt(s) within the invocation's deadline: %v; the service is throttling or unavailable, retry later or lower qps",
				call.What, last.Code, attempts, last.Err)
		case err != nil:
			return err
		}
		if check != nil {
			if err := check(resp); err != nil {
				var api *APIError
				if errors.As(err, &api) {
					if api.Status == 0 {
						api.Status = rec.status
					}
					return c.classify(call, api)
				}
				return err
			}
		}
		out = resp
		return nil
	})
	// One call per group or per topic: what a progress display shows of a long fan-out.
	reset.Report(ctx, reset.Step{What: call.What, Failed: err != nil})
	return out, err
}

// attempt sends one request and classifies its failure.
func (c *Client) attempt(ctx context.Context, call Call, req requests.AcsRequest, resp responses.AcsResponse) (rec *recorder, err error) {
	creds, err := credentials.ForAlibaba(ctx, c.Names)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", c.Target, err)
	}
	rec = &recorder{ctx: ctx, base: c.transport()}
	cfg := sdk.NewConfig()
	cfg.Scheme = c.Endpoint.Scheme
	cfg.Transport = rec // not an *http.Transport, so the SDK leaves it alone
	var cred auth.Credential = sdkcred.NewAccessKeyCredential(creds.AccessKeyID, creds.AccessKeySecret)
	if creds.SecurityToken != "" {
		cred = sdkcred.NewStsTokenCredential(creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken)
	}
	cl, err := sdk.NewClientWithOptions(c.Region, cfg, cred)
	if err != nil {
		return rec, fmt.Errorf("target %s: the Alibaba Cloud SDK client could not be built: %v", c.Target, err)
	}
	cl.SetReadTimeout(c.Timeout)
	cl.SetConnectTimeout(c.ConnectTimeout)
	c.route(req)

	defer func() {
		if r := recover(); r != nil {
			err = c.fromPanic(call, rec, r)
		}
	}()
	if err := cl.DoAction(req, resp); err != nil {
		return rec, c.fromSDK(ctx, call, rec, err)
	}
	return rec, nil
}

// route points the request at the endpoint: RPC takes host:port as its domain, ROA needs the
// port apart (it always writes scheme://domain:port).
func (c *Client) route(req requests.AcsRequest) {
	req.SetScheme(c.Endpoint.Scheme)
	if cr, ok := req.(*requests.CommonRequest); ok && cr.PathPattern != "" {
		cr.Domain = bracket(c.Endpoint.Host)
		cr.Port = c.Endpoint.Port
		return
	}
	req.SetDomain(c.Endpoint.HostPort())
}

// APIError is an error answer of the service.
type APIError struct {
	What      string
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: ", e.What)
	switch {
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, "%s: %s", e.Code, strings.TrimSuffix(e.Message, "."))
	case e.Code != "":
		b.WriteString(e.Code)
	case e.Message != "":
		b.WriteString(strings.TrimSuffix(e.Message, "."))
	default:
		b.WriteString("the service gave no reason")
	}
	var det []string
	if e.Status != 0 {
		det = append(det, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.RequestID != "" {
		det = append(det, "RequestId "+e.RequestID)
	}
	if len(det) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(det, ", "))
	}
	return b.String()
}

// AuthError says the credentials were refused.
type AuthError struct{ msg string }

func (e *AuthError) Error() string { return e.msg }

// IsAuth reports whether err is an authentication failure.
func IsAuth(err error) bool {
	var a *AuthError
	return errors.As(err, &a)
}

func (c *Client) fromSDK(ctx context.Context, call Call, rec *recorder, err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		api := &APIError{What: call.What, Status: se.HttpStatus(), Code: se.ErrorCode(), RequestID: se.RequestId()}
		api.Message = se.Message()
		if b := parseErrorBody(rec.body.Bytes()); b != nil {
			// The SDK reads only capitalised keys; RocketMQ 5.x answers in lowercase.
			if api.Code == "" {
				api.Code = b.code
			}
			if api.RequestID == "" {
				api.RequestID = b.requestID
			}
			if b.message != "" {
				api.Message = b.message
			}
		}
		if strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
			api.Message = "the signature does not match: the AccessKey secret is wrong"
		}
		return c.classify(call, api)
	}
	if ctx.Err() != nil {
		return &deadlineError{fmt.Sprintf("%s got no answer from %s before the invocation's deadline", call.What, c.Endpoint)}
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) && ce.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode {
		return fmt.Errorf("%s: %s answered HTTP %d with a body that is not the JSON the API documents (%s); nothing can be read from it, retry later", call.What, c.Endpoint, rec.status, snippet(rec.body.Bytes()))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &throttle.Retryable{Code: "timeout", Err: fmt.Errorf("%s timed out after %s waiting for %s", call.What, c.Timeout, c.Endpoint)}
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &throttle.Retryable{Code: "connection reset", Err: fmt.Errorf("%s: the connection to %s broke: %v", call.What, c.Endpoint, err)}
	}
	return fmt.Errorf("%s could not reach %s: %v; check the target's region and endpoint and the network path to it", call.What, c.Endpoint, err)
}

// deadlineError is an attempt cut short by the invocation's deadline.
type deadlineError struct{ msg string }

func (e *deadlineError) Error() string { return e.msg }

// fromPanic turns a panic inside the SDK (a numeric Code in an error body, notes §E) into an
// error read from the recorded answer.
func (c *Client) fromPanic(call Call, rec *recorder, r any) error {
	if b := parseErrorBody(rec.body.Bytes()); b != nil && rec.status != 0 {
		return c.classify(call, &APIError{What: call.What, Status: rec.status, Code: b.code, Message: b.message, RequestID: b.requestID})
	}
	if rec.status >= 500 {
		return &throttle.Retryable{Code: fmt.Sprintf("HTTP %d", rec.status), Err: fmt.Errorf("%s failed with HTTP %d and an answer the SDK could not read (%v)", call.What, rec.status, r)}
	}
	return fmt.Errorf("%s: the Alibaba Cloud SDK failed on the answer of %s (HTTP %d: %v); retry later", call.What, c.Endpoint, rec.status, r)
}

// classify sorts an API error into retryable, authentication, permission or plain failure.
func (c *Client) classify(call Call, api *APIError) error {
	code := api.Code
	switch {
	case strings.HasPrefix(code, "Throttling") || strings.HasPrefix(code, "ServiceUnavailable") || code == "SignatureNonceUsed" || api.Status == 429:
		if code == "" {
			code = fmt.Sprintf("HTTP %d", api.Status)
		}
		return &throttle.Retryable{Code: code, Err: api}
	case api.Status >= 500 || numericCode(code) >= 500:
		if code == "" {
			code = fmt.Sprintf("HTTP %d", api.Status)
		}
		return &throttle.Retryable{Code: code, Err: api}
	case strings.HasPrefix(code, "InvalidTimeStamp"):
		return fmt.Errorf("%s was refused because the request's time is off (%s: %s); the clock of this machine differs from Alibaba Cloud's by more than 15 minutes: fix the clock (NTP) and retry",
			call.What, code, strings.TrimSuffix(api.Message, "."))
	case isAuthCode(code) || strings.Contains(api.Message, sdkerrors.MessageContain):
		msg := api.Message
		if strings.Contains(msg, sdkerrors.MessageContain) {
			msg = "the signature does not match the service's calculation: the AccessKey secret is wrong"
		}
		return &AuthError{msg: fmt.Sprintf("authentication failed for target %s at %s: %s (%s); check ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or the function's RAM role",
			c.Target, c.Endpoint, strings.TrimSuffix(msg, "."), code)}
	case strings.HasPrefix(code, "Forbidden") || strings.HasPrefix(code, "NoPermission") || (api.Status == 403 && code != ""):
		ram := call.RAM
		if ram == "" {
			ram = "the permission for " + call.API
		}
		return fmt.Errorf("%s was refused: the RAM identity behind the credentials may not call %s on target %s (%s: %s); grant it %s",
			call.What, call.API, c.Target, code, strings.TrimSuffix(api.Message, "."), ram)
	}
	return api
}

func isAuthCode(code string) bool {
	for _, p := range []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSecurityToken", "MissingSecurityToken", "InvalidAccessKeySecret"} {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

func numericCode(code string) int {
	n := 0
	if code == "" || len(code) > 4 {
		return 0
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	if s == "" {
		return "empty body"
	}
	return fmt.Sprintf("%q", s)
}
