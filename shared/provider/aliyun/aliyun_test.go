package aliyun

import (
	"errors"
	"strings"
	"testing"

	"offsetreset/shared/throttle"
)

func TestParseEndpoint(t *testing.T) {
	for raw, want := range map[string]string{
		"":                         "https://default.example.com",
		"vpc.example.com":          "https://vpc.example.com",
		"vpc.example.com:8443":     "https://vpc.example.com:8443",
		"HTTPS://gw.example.com/":  "https://gw.example.com",
		"http://127.0.0.1:9000":    "http://127.0.0.1:9000",
		"http://[::1]:9000":        "http://[::1]:9000",
		"[fd00::1]":                "https://[fd00::1]",
		"  http://localhost:1234 ": "http://localhost:1234",
	} {
		ep, err := ParseEndpoint(raw, "default.example.com")
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if got := ep.String(); got != want {
			t.Errorf("%q → %s, want %s", raw, got, want)
		}
	}
	for _, raw := range []string{"ftp://x", "https://x/path", "https://user@x", "http://x:port", "http://"} {
		if _, err := ParseEndpoint(raw, "d"); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	for body, want := range map[string]errorBody{
		`{"Code":"Throttling.User","Message":"slow down","RequestId":"R1"}`: {"Throttling.User", "slow down", "R1"},
		`{"code":"Topic.NotFound","message":"no topic","requestId":"R2"}`:   {"Topic.NotFound", "no topic", "R2"},
		`{"Code":500,"Message":"InternalError","RequestId":"R3"}`:           {"500", "InternalError", "R3"},
		`{"Code":429}`: {"429", "HTTP status 429", ""},
		`{"requestId":"R4","success":false,"code":"InvalidResetType","message":""}`: {"InvalidResetType", "", "R4"},
	} {
		got := parseErrorBody([]byte(body))
		if got == nil || *got != want {
			t.Errorf("%s → %+v, want %+v", body, got, want)
		}
	}
	for _, body := range []string{"", "not json", `[1,2]`, `{"Success":true}`} {
		if got := parseErrorBody([]byte(body)); got != nil {
			t.Errorf("%q → %+v", body, got)
		}
	}
}

func TestClassify(t *testing.T) {
	c := &Client{Target: "prod", Endpoint: Endpoint{Scheme: "HTTPS", Host: "alikafka.cn-hangzhou.aliyuncs.com"}}
	call := Call{What: "GetConsumerProgress of group g", API: "GetConsumerProgress", RAM: "alikafka:GetConsumerProgress"}
	retry := func(status int, code string) {
		t.Helper()
		var r *throttle.Retryable
		if err := c.classify(call, &APIError{What: call.What, Status: status, Code: code}); !errors.As(err, &r) {
			t.Errorf("%d %s: not retried: %v", status, code, err)
		}
	}
	retry(400, "Throttling.User")
	retry(503, "Throttling")
	retry(503, "ServiceUnavailable")
	retry(502, "")
	retry(200, "500")
	retry(429, "")
	final := func(status int, code, msg, want string) {
		t.Helper()
		err := c.classify(call, &APIError{What: call.What, Status: status, Code: code, Message: msg})
		var r *throttle.Retryable
		if errors.As(err, &r) || !strings.Contains(err.Error(), want) {
			t.Errorf("%d %s: %v, want %q", status, code, err, want)
		}
	}
	final(403, "Forbidden.RAM", "User not authorized to operate on the specified resource.", "grant it alikafka:GetConsumerProgress")
	final(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", "fix the clock")
	final(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", "authentication failed for target prod")
	final(400, "IncompleteSignature", "x", "authentication failed")
	final(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&x", "the AccessKey secret is wrong")
	final(400, "InvalidParameter", "bad", "GetConsumerProgress of group g failed: InvalidParameter: bad (HTTP 400)")
	if !IsAuth(c.classify(call, &APIError{Status: 400, Code: "SignatureDoesNotMatch"})) {
		t.Error("IsAuth")
	}
}
