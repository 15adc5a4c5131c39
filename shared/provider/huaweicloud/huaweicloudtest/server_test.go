package huaweicloudtest_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	sdkconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
)

type tamper func(*http.Request)

func (f tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	if f != nil {
		f(r)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// sdkClient is the real SDK pointed at the server, with an optional tampering step after signing.
func sdkClient(t *testing.T, url, ak, sk string, f tamper) *kafka.KafkaClient {
	t.Helper()
	auth, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId("proj").SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := core.NewHcHttpClientBuilder().WithEndpoints([]string{url}).WithCredential(auth).
		WithHttpConfig(sdkconfig.DefaultHttpConfig().WithHttpRoundTripper(f).WithUserAgent("test")).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return kafka.NewKafkaClient(hc)
}

func resetReq(group string) *model.ResetMessageOffsetWithEngineRequest {
	off := int64(10)
	return &model.ResetMessageOffsetWithEngineRequest{InstanceId: "inst", Group: group,
		Body: &model.ResetMessageOffsetReq{Topic: "t", Partition: -1, MessageOffset: &off}}
}

func server(t *testing.T) *huaweicloudtest.Server {
	s := huaweicloudtest.NewServer()
	s.Handle("Reset", "PUT /v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset",
		func(r *http.Request, body []byte) huaweicloudtest.Reply { return huaweicloudtest.NoContent() })
	s.Handle("List", "GET /v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/partitions",
		func(r *http.Request, body []byte) huaweicloudtest.Reply {
			return huaweicloudtest.OK(map[string]any{"total": 0, "partitions": []any{}})
		})
	s.Start()
	t.Cleanup(s.Close)
	s.AddKey("AK1", "SK1")
	return s
}

func status(err error) int {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return sre.StatusCode
	}
	return 0
}

func TestSignatureOfTheSDKVerifies(t *testing.T) {
	s := server(t)
	if _, err := sdkClient(t, s.URL, "AK1", "SK1", nil).ResetMessageOffsetWithEngine(resetReq("g 1ü+%")); err != nil {
		t.Fatalf("signed PUT refused: %v", err)
	}
	lim, off := int32(5), int32(0)
	if _, err := sdkClient(t, s.URL, "AK1", "SK1", nil).ListTopicPartitions(&model.ListTopicPartitionsRequest{
		InstanceId: "inst", Topic: "a.b-c_d", Limit: &lim, Offset: &off}); err != nil {
		t.Fatalf("signed GET with query refused: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 2 || calls[0].Op != "Reset" || calls[0].Status != http.StatusNoContent || calls[1].Query.Get("limit") != "5" {
		t.Errorf("calls %+v", calls)
	}
}

func TestTamperedRequestsAreRefused(t *testing.T) {
	s := server(t)
	cases := map[string]tamper{
		"body": func(r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			b = bytes.Replace(b, []byte(`10`), []byte(`99`), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		},
		"user agent":      func(r *http.Request) { r.Header.Set("User-Agent", "curl/8") },
		"project header":  func(r *http.Request) { r.Header.Set("X-Project-Id", "other") },
		"path":            func(r *http.Request) { r.URL.Path = strings.Replace(r.URL.Path, "/groups/g/", "/groups/h/", 1) },
		"query":           func(r *http.Request) { r.URL.RawQuery = "x=1" },
		"no signature":    func(r *http.Request) { r.Header.Del("Authorization") },
		"old date":        func(r *http.Request) { r.Header.Set("X-Sdk-Date", "20200101T000000Z") },
		"other algorithm": func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") },
	}
	for name, f := range cases {
		_, err := sdkClient(t, s.URL, "AK1", "SK1", f).ResetMessageOffsetWithEngine(resetReq("g"))
		if status(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "APIG.0301") {
			t.Errorf("%s: %v, want 401 APIG.0301", name, err)
		}
	}
	if _, err := sdkClient(t, s.URL, "AK1", "wrong", nil).ResetMessageOffsetWithEngine(resetReq("g")); status(err) != http.StatusUnauthorized {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := sdkClient(t, s.URL, "AK2", "SK1", nil).ResetMessageOffsetWithEngine(resetReq("g")); status(err) != http.StatusUnauthorized {
		t.Errorf("unknown key: %v", err)
	}
}

func TestClockSkew(t *testing.T) {
	s := server(t)
	s.Now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	_, err := sdkClient(t, s.URL, "AK1", "SK1", nil).ResetMessageOffsetWithEngine(resetReq("g"))
	if status(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "expired") {
		t.Errorf("skewed clock: %v", err)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := server(t)
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		req, _ := http.NewRequest(m, s.URL+"/v2/kafka/p/instances/i/groups/g/reset-message-offset", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), `"error_code":"APIG.0101"`) {
			t.Errorf("%s: %d %s", m, resp.StatusCode, b)
		}
	}
}

func TestFaults(t *testing.T) {
	s := server(t)
	c := sdkClient(t, s.URL, "AK1", "SK1", nil)
	s.Throttle("Reset", 2)
	s.Inject(huaweicloudtest.Fault{Op: "Reset", Times: 1, Match: func(c huaweicloudtest.Call) bool { return strings.Contains(c.Path, "/groups/x/") },
		Status: http.StatusBadRequest, Code: "DMS.1", Msg: "no"})
	for i, want := range []int{429, 429, 0} {
		if _, err := c.ResetMessageOffsetWithEngine(resetReq("g")); status(err) != want {
			t.Errorf("call %d: %v, want status %d", i, err, want)
		}
	}
	if _, err := c.ResetMessageOffsetWithEngine(resetReq("x")); status(err) != http.StatusBadRequest {
		t.Errorf("matched fault: %v", err)
	}
	s.FailServer("", 1)
	if _, err := c.ResetMessageOffsetWithEngine(resetReq("g")); status(err) != http.StatusInternalServerError {
		t.Errorf("5xx: %v", err)
	}
	s.Malformed("List", 1)
	lim := int32(1)
	if _, err := c.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: "i", Topic: "t", Limit: &lim}); err == nil || status(err) != http.StatusOK {
		t.Errorf("malformed: %v", err)
	}
	if got := s.MaxInWindow(time.Hour); got != len(s.Calls()) {
		t.Errorf("max in window %d of %d calls", got, len(s.Calls()))
	}
	if got := s.MaxInWindow(time.Nanosecond); got != 1 {
		t.Errorf("max in a nanosecond %d", got)
	}
}
