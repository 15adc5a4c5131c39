// Package huaweicloud is what the Huawei Cloud providers (huaweikafka, huaweirocketmq) share:
// the target's endpoint, project and credentials turned into an SDK client, every call paced and
// retried under the target's throttle.Limiter, and the SDK's errors turned into sentences.
//
// The SDK never discovers anything by itself here: the endpoint is built from the region (or taken
// from the target), the project is always explicit (so the SDK never calls IAM), and the client is
// built per call around the call's context, because the SDK's methods take no context.
package huaweicloud

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	sdkconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"

	"offsetreset/shared/config"
	"offsetreset/shared/credentials"
	"offsetreset/shared/reset"
	"offsetreset/shared/throttle"
)

// DefaultAttemptTimeout bounds one HTTP attempt; the invocation's deadline bounds all of them.
const DefaultAttemptTimeout = 20 * time.Second

// userAgent is appended to the SDK's own User-Agent. Setting it also keeps the SDK from writing
// ~/.huaweicloud/application_id on first use (it does when no User-Agent is configured).
const userAgent = "offsetreset"

// regionRE is compiled on first use: nothing is compiled at start-up (cold start).
var regionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`) })

// Endpoint is the service endpoint of a target: the configured endpoint if there is one (https://
// is added when it has no scheme; http:// only when written), otherwise the documented regional
// endpoint https://dms.<region>.myhuaweicloud.com, which serves both DMS for Kafka and RocketMQ.
func Endpoint(region, endpoint string) (string, error) {
	if endpoint = strings.TrimSpace(endpoint); endpoint != "" {
		if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
			if strings.Contains(endpoint, "://") {
				return "", fmt.Errorf("endpoint %q: only http:// and https:// are supported", endpoint)
			}
			endpoint = "https://" + endpoint
		}
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("endpoint %q is not a URL; write it like https://dms.cn-north-4.myhuaweicloud.com", endpoint)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return "", fmt.Errorf("endpoint %q has a path or query; give only scheme and host (and port)", endpoint)
		}
		return u.Scheme + "://" + u.Host, nil
	}
	region = strings.TrimSpace(region)
	if region == "" {
		return "", errors.New("region is missing; set region (e.g. cn-north-4) or endpoint")
	}
	if !regionRE().MatchString(region) {
		return "", fmt.Errorf("region %q is not a Huawei Cloud region ID such as cn-north-4 or ap-southeast-1", region)
	}
	return "https://dms." + region + ".myhuaweicloud.com", nil
}

// Client is one target's access to the DMS API: endpoint, project, credentials and pacing.
type Client struct {
	// Target is the configured target name, used in messages.
	Target string
	// Endpoint is scheme://host[:port] of the DMS API.
	Endpoint string
	// Project is the explicit project ID ("" = the variable the target names).
	Project string
	// Names are the credential variables the target names.
	Names credentials.Names
	// Limiter paces and retries every call (the target's qps and concurrency).
	Limiter *throttle.Limiter
	// AttemptTimeout bounds one HTTP attempt; DefaultAttemptTimeout when 0.
	AttemptTimeout time.Duration

	once      sync.Once
	transport *http.Transport
}

// NewClient checks the fields every Huawei target needs (region or endpoint, project, instance)
// and names the one to fix. It contacts nothing.
func NewClient(name string, t config.Target) (*Client, error) {
	ep, err := Endpoint(t.Region, t.Endpoint)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(t.Project) == "" && t.ProjectIDEnv == "" {
		return nil, errors.New("project is missing; set project to the project ID of the instance's region (offsetreset never asks IAM to discover it), or projectIdEnv to the variable holding it")
	}
	if strings.TrimSpace(t.Instance) == "" {
		return nil, errors.New("instance is missing; set instance to the instance ID shown on the instance's Basic Information page")
	}
	if len(t.Brokers) > 0 || t.TLS.Enabled || t.SASL != nil {
		return nil, errors.New("brokers, tls and sasl do not apply to Huawei API targets; use provider kafka for the instance's Kafka endpoint")
	}
	return &Client{
		Target:   name,
		Endpoint: ep,
		Project:  strings.TrimSpace(t.Project),
		Names:    t.Names,
		Limiter:  throttle.New(t.QPS, t.Concurrency),
	}, nil
}

// Op names one API operation and the IAM action it needs, for messages.
type Op struct {
	Name   string // SDK operation, e.g. "ShowGroups"
	Action string // IAM action, e.g. "dms:group:get"
}

// APIError is an answer of the service that is not retried and not about authentication; the
// providers look at Status (404: the instance, group or topic does not exist).
type APIError struct {
	Op        string
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d (%s)%s", e.Op, e.Status, codeMsg(e.Code, e.Message), requestID(e.RequestID))
}

// Call runs one SDK call under the limiter. fn gets a fresh SDK HTTP client bound to the attempt's
// context; wrap it with kafka.NewKafkaClient / rocketmq.NewRocketMQClient. Throttling (429,
// APIG.0308), 5xx, connection errors and attempt timeouts are retried with backoff within ctx's
// deadline; what names the call in notes and errors.
func (c *Client) Call(ctx context.Context, op Op, what string, fn func(hc *core.HcHttpClient) error) error {
	cred, err := credentials.ForHuawei(c.Names, c.Project)
	if err != nil {
		return fmt.Errorf("target %s: %v", c.Target, err)
	}
	var last *throttle.Retryable
	err = c.Limiter.Do(ctx, what, func(ctx context.Context) error {
		timeout := c.AttemptTimeout
		if timeout <= 0 {
			timeout = DefaultAttemptTimeout
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		hc, err := c.build(actx, cred)
		if err != nil {
			return fmt.Errorf("target %s: cannot build the Huawei Cloud client: %v", c.Target, err)
		}
		err = c.classify(ctx, actx, timeout, op, what, fn(hc))
		var r *throttle.Retryable
		if errors.As(err, &r) {
			last = r
		} else if err != nil && last != nil && ctx.Err() != nil {
			// The deadline cut a retry short: say what was being retried.
			return fmt.Errorf("%v; before that the service answered %s", err, last.Err)
		}
		return err
	})
	// One call per group or per topic: what a progress display shows of a long fan-out.
	reset.Report(ctx, reset.Step{What: what, Failed: err != nil})
	return err
}

func (c *Client) build(ctx context.Context, cred credentials.Huawei) (*core.HcHttpClient, error) {
	c.once.Do(func() {
		c.transport = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        100,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
	})
	auth, err := basic.NewCredentialsBuilder().WithAk(cred.AK).WithSk(cred.SK).
		WithSecurityToken(cred.SecurityToken).WithProjectId(cred.ProjectID).SafeBuild()
	if err != nil {
		return nil, err
	}
	hcfg := sdkconfig.DefaultHttpConfig().
		WithHttpRoundTripper(boundTransport{ctx: ctx, base: c.transport}).
		WithTimeout(0). // the attempt's context bounds the call
		WithUserAgent(userAgent)
	// No WithRegion: it would replace the endpoint and, without a project, call IAM.
	return core.NewHcHttpClientBuilder().WithEndpoints([]string{c.Endpoint}).
		WithCredential(auth).WithHttpConfig(hcfg).SafeBuild()
}

// boundTransport sends every request of one SDK client under one context.
type boundTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t boundTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

func (c *Client) classify(parent, attempt context.Context, timeout time.Duration, op Op, what string, err error) error {
	if err == nil {
		return nil
	}
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return c.serviceError(op, what, sre)
	}
	switch {
	case parent.Err() != nil:
		return fmt.Errorf("%s was cut off by the invocation's deadline (%v)", what, parent.Err())
	case attempt.Err() != nil:
		return &throttle.Retryable{Code: "timeout", Err: fmt.Errorf("%s got no answer from %s within %s", what, c.Endpoint, timeout)}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Errorf("%s: the endpoint host of target %s cannot be resolved (%v); check region and endpoint", what, c.Target, dns)
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return &throttle.Retryable{Code: "connection error", Err: fmt.Errorf("%s could not reach %s: %v", what, c.Endpoint, err)}
	}
	return fmt.Errorf("%s failed: %v", what, err)
}

func (c *Client) serviceError(op Op, what string, e *sdkerr.ServiceResponseError) error {
	cm := codeMsg(e.ErrorCode, e.ErrorMessage)
	rid := requestID(e.RequestId)
	switch {
	case e.StatusCode < 400:
		// The SDK reports a reply it could not decode as a ServiceResponseError with the 2xx status.
		return fmt.Errorf("%s: the service answered HTTP %d with a reply that could not be read (%s)%s; retry, and report it to Huawei Cloud support if it persists",
			what, e.StatusCode, oneLine(e.ErrorMessage, 200), rid)
	case e.StatusCode == http.StatusTooManyRequests || e.ErrorCode == "APIG.0308":
		code := e.ErrorCode
		if code == "" {
			code = "HTTP 429"
		}
		return &throttle.Retryable{Code: code, Err: fmt.Errorf("%s was throttled (HTTP %d, %s)%s", what, e.StatusCode, cm, rid)}
	case e.StatusCode >= 500:
		code := e.ErrorCode
		if code == "" {
			code = fmt.Sprintf("HTTP %d", e.StatusCode)
		}
		return &throttle.Retryable{Code: code, Err: fmt.Errorf("%s failed at the service (HTTP %d, %s)%s", what, e.StatusCode, cm, rid)}
	case e.StatusCode == http.StatusUnauthorized || e.ErrorCode == "APIG.0301":
		return fmt.Errorf("authentication failed for target %s at %s: %s answered HTTP %d (%s)%s; check that %s hold a valid, enabled access key pair (and %s for temporary credentials) and that the machine's clock is right",
			c.Target, c.Endpoint, op.Name, e.StatusCode, cm, rid, c.keyVars(), c.tokenVar())
	case e.StatusCode == http.StatusForbidden:
		return fmt.Errorf("permission denied for target %s: %s answered HTTP 403 (%s)%s; grant the IAM user or agency %s on project %s (see the README's Huawei permissions)",
			c.Target, op.Name, cm, rid, op.Action, c.projectName())
	}
	return &APIError{Op: op.Name, Status: e.StatusCode, Code: e.ErrorCode, Message: e.ErrorMessage, RequestID: e.RequestId}
}

func (c *Client) keyVars() string {
	s := "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
	if c.Names.AccessKeyIDEnv != "" {
		s += fmt.Sprintf(" (or %s and %s)", c.Names.AccessKeyIDEnv, c.Names.AccessKeySecretEnv)
	}
	return s
}

func (c *Client) tokenVar() string {
	if c.Names.SecurityTokenEnv != "" {
		return "HUAWEICLOUD_SDK_SECURITY_TOKEN or " + c.Names.SecurityTokenEnv
	}
	return "HUAWEICLOUD_SDK_SECURITY_TOKEN"
}

func (c *Client) projectName() string {
	if c.Project != "" {
		return c.Project
	}
	return "the target's project"
}

func codeMsg(code, msg string) string {
	msg = oneLine(msg, 300)
	switch {
	case code == "" && msg == "":
		return "no error details"
	case code == "":
		return msg
	case msg == "":
		return code
	}
	return code + ": " + msg
}

func requestID(id string) string {
	if id == "" {
		return ""
	}
	return " [request id " + id + "]"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
