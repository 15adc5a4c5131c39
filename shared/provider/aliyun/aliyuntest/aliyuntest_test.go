package aliyuntest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// echo is a product with one RPC action (Echo) and one ROA path (GET/PUT /things/{id}).
type echo struct{}

func (echo) Knows(action string) bool { return action == "Echo" }

func (echo) Route(method, path string) (string, map[string]string, bool) {
	if id, ok := strings.CutPrefix(path, "/things/"); ok && (method == http.MethodGet || method == http.MethodPut) {
		return "Thing", map[string]string{"id": id}, true
	}
	return "", nil, false
}

func (echo) Serve(r *aliyuntest.Request) aliyuntest.Reply {
	return aliyuntest.OK(map[string]any{"RequestId": aliyuntest.RequestID(), "Params": r.Params, "Route": r.Route, "Body": string(r.Body)})
}

const (
	ak = "LTAI-test"
	sk = "test-secret"
)

func start(t *testing.T, style aliyuntest.Style) *aliyuntest.Server {
	t.Helper()
	s := aliyuntest.Start(style, "2020-01-01", echo{})
	t.Cleanup(s.Close)
	s.AddKey(aliyuntest.Key{ID: ak, Secret: sk})
	s.AddKey(aliyuntest.Key{ID: "STS.x", Secret: "sts-secret", Token: "the-token"})
	return s
}

func client(t *testing.T, id, secret string) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClientWithAccessKey("cn-hangzhou", id, secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rpc(s *aliyuntest.Server, method string, params map[string]string) *requests.CommonRequest {
	req := requests.NewCommonRequest()
	req.Method = method
	req.Scheme = "http"
	req.Domain = strings.TrimPrefix(s.URL, "http://")
	req.Product = "Echo"
	req.Version = "2020-01-01"
	req.ApiName = "Echo"
	for k, v := range params {
		req.QueryParams[k] = v
	}
	return req
}

// The SDK's own signing is accepted, including values that need Alibaba's percent-encoding.
func TestRPCAcceptsTheSDKSignature(t *testing.T) {
	s := start(t, aliyuntest.RPC)
	for _, method := range []string{"POST", "GET"} {
		resp, err := client(t, ak, sk).ProcessCommonRequest(rpc(s, method, map[string]string{"Name": "a b*c~d/e+f&g=h", "Unicode": "主题-1", "Empty": ""}))
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		var body struct{ Params map[string]string }
		if err := json.Unmarshal(resp.GetHttpContentBytes(), &body); err != nil || body.Params["Name"] != "a b*c~d/e+f&g=h" || body.Params["Unicode"] != "主题-1" {
			t.Fatalf("%s: %s", method, resp.GetHttpContentString())
		}
	}
	if n := s.Count("Echo"); n != 2 {
		t.Errorf("%d calls recorded", n)
	}
}

func TestRPCRejectsBadRequests(t *testing.T) {
	s := start(t, aliyuntest.RPC)
	now := time.Now().UTC()
	signed := func(mod func(p map[string]string), secret string, after func(p map[string]string)) map[string]string {
		p := map[string]string{
			"Action": "Echo", "Version": "2020-01-01", "Format": "JSON", "AccessKeyId": ak, "SignatureMethod": "HMAC-SHA1",
			"SignatureVersion": "1.0", "SignatureType": "", "SignatureNonce": aliyuntest.RequestID(), "Timestamp": now.Format("2006-01-02T15:04:05Z"), "RegionId": "cn-hangzhou",
		}
		if mod != nil {
			mod(p)
		}
		p["Signature"] = aliyuntest.Sign(aliyuntest.RPCStringToSign("POST", p), secret+"&")
		if after != nil {
			after(p)
		}
		return p
	}
	post := func(p map[string]string) (int, map[string]any) {
		q := url.Values{}
		for k, v := range p {
			q.Set(k, v)
		}
		resp, err := http.Post(s.URL+"/?"+q.Encode(), "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &body)
		return resp.StatusCode, body
	}
	if st, body := post(signed(nil, sk, nil)); st != 200 {
		t.Fatalf("a correct request was refused: %d %v", st, body)
	}
	reused := signed(nil, sk, nil)
	post(reused)
	cases := []struct {
		name   string
		p      map[string]string
		status int
		code   string
	}{
		{"nonce reused", reused, 400, "SignatureNonceUsed"},
		{"stale timestamp", signed(func(p map[string]string) { p["Timestamp"] = now.Add(-20 * time.Minute).Format("2006-01-02T15:04:05Z") }, sk, nil), 400, "InvalidTimeStamp.Expired"},
		{"wrong secret", signed(nil, "other", nil), 400, "SignatureDoesNotMatch"},
		{"tampered", signed(nil, sk, func(p map[string]string) { p["RegionId"] = "cn-beijing" }), 400, "SignatureDoesNotMatch"},
		{"no signature", signed(nil, sk, func(p map[string]string) { delete(p, "Signature") }), 400, "IncompleteSignature"},
		{"no SignatureType in the string to sign", signed(func(p map[string]string) { delete(p, "SignatureType") }, sk, func(p map[string]string) { p["SignatureType"] = "" }), 400, "SignatureDoesNotMatch"},
		{"unknown key", signed(func(p map[string]string) { p["AccessKeyId"] = "nobody" }, sk, nil), 404, "InvalidAccessKeyId.NotFound"},
		{"no key", signed(nil, sk, func(p map[string]string) { delete(p, "AccessKeyId") }), 400, "MissingAccessKeyId"},
		{"version", signed(func(p map[string]string) { p["Version"] = "2019-01-01" }, sk, nil), 400, "InvalidVersion"},
		{"action", signed(func(p map[string]string) { p["Action"] = "Nope" }, sk, nil), 404, "InvalidAction.NotFound"},
		{"STS without token", signed(func(p map[string]string) { p["AccessKeyId"] = "STS.x" }, "sts-secret", nil), 400, "MissingSecurityToken"},
		{"STS wrong token", signed(func(p map[string]string) { p["AccessKeyId"], p["SecurityToken"] = "STS.x", "bad" }, "sts-secret", nil), 400, "InvalidSecurityToken.Mismatch"},
	}
	for _, c := range cases {
		st, body := post(c.p)
		if st != c.status || body["Code"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, st, body, c.status, c.code)
		}
		if _, ok := body["Code"].(string); !ok {
			t.Errorf("%s: Code is not a string: %v", c.name, body)
		}
		if body["RequestId"] == "" || body["Message"] == "" {
			t.Errorf("%s: incomplete error %v", c.name, body)
		}
	}
	if st, _ := post(signed(func(p map[string]string) { p["AccessKeyId"], p["SecurityToken"] = "STS.x", "the-token" }, "sts-secret", nil)); st != 200 {
		t.Errorf("STS key with its token refused: %d", st)
	}
	// The SDK sees the server's string to sign and tells a wrong secret apart.
	_, err := client(t, ak, "wrong").ProcessCommonRequest(rpc(s, "POST", nil))
	if se, ok := err.(*sdkerrors.ServerError); !ok || se.ErrorCode() != "SignatureDoesNotMatch" || !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
		t.Errorf("SDK error %v", err)
	}
}

func roa(s *aliyuntest.Server, method string, body []byte, query map[string]string) *requests.CommonRequest {
	u, _ := url.Parse(s.URL)
	req := requests.NewCommonRequest()
	req.Method = method
	req.Scheme = "http"
	req.Domain = u.Hostname()
	req.Port = u.Port()
	req.Product = "Echo"
	req.Version = "2020-01-01"
	req.PathPattern = "/things/[id]"
	req.PathParams["id"] = "x-1"
	for k, v := range query {
		req.QueryParams[k] = v
	}
	if body != nil {
		req.SetContentType("application/json")
		req.SetContent(body)
	}
	return req
}

func TestROAAcceptsTheSDKSignature(t *testing.T) {
	s := start(t, aliyuntest.ROA)
	resp, err := client(t, ak, sk).ProcessCommonRequest(roa(s, "PUT", []byte(`{"a":1}`), map[string]string{"flag": "", "name": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Route map[string]string
		Body  string
	}
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &body); err != nil || body.Route["id"] != "x-1" || body.Body != `{"a":1}` {
		t.Fatalf("%s", resp.GetHttpContentString())
	}
	sts, err := sdk.NewClientWithStsToken("cn-hangzhou", "STS.x", "sts-secret", "the-token")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.ProcessCommonRequest(roa(s, "GET", nil, nil)); err != nil {
		t.Fatalf("STS: %v", err)
	}
	_, err = client(t, ak, "wrong").ProcessCommonRequest(roa(s, "GET", nil, nil))
	if se, ok := err.(*sdkerrors.ServerError); !ok || se.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
	_, err = client(t, "nobody", sk).ProcessCommonRequest(roa(s, "GET", nil, nil))
	if se, ok := err.(*sdkerrors.ServerError); !ok || se.ErrorCode() != "InvalidAccessKeyId.NotFound" || se.HttpStatus() != 404 {
		t.Errorf("unknown key: %v", err)
	}

	// Hand-made requests: no Authorization, a stale Date, a body that does not match Content-MD5.
	do := func(mod func(r *http.Request)) (int, map[string]any) {
		r, _ := http.NewRequest("GET", s.URL+"/things/x-1", nil)
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		r.Header.Set("x-acs-signature-method", "HMAC-SHA1")
		r.Header.Set("x-acs-signature-version", "1.0")
		r.Header.Set("x-acs-version", "2020-01-01")
		mod(r)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	sign := func(r *http.Request) {
		r.Header.Set("Authorization", "acs "+ak+":"+aliyuntest.Sign(aliyuntest.ROAStringToSign(r), sk))
	}
	if st, body := do(sign); st != 200 {
		t.Fatalf("hand-signed request refused: %d %v", st, body)
	}
	for name, c := range map[string]struct {
		mod  func(r *http.Request)
		code string
	}{
		"no authorization": {func(*http.Request) {}, "IncompleteSignature"},
		"stale date": {func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
			sign(r)
		}, "InvalidTimeStamp.Expired"},
		"content-md5":           {func(r *http.Request) { r.Header.Set("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA=="); sign(r) }, "InvalidContentMD5"},
		"unsigned x-acs header": {func(r *http.Request) { sign(r); r.Header.Set("x-acs-extra", "1") }, "SignatureDoesNotMatch"},
		"version":               {func(r *http.Request) { r.Header.Set("x-acs-version", "2019-01-01"); sign(r) }, "InvalidVersion"},
	} {
		if _, body := do(c.mod); body["Code"] != c.code {
			t.Errorf("%s: %v, want %s", name, body, c.code)
		}
	}
}

func TestFaults(t *testing.T) {
	s := start(t, aliyuntest.RPC)
	s.Inject(aliyuntest.Fault{Action: "Echo", Kind: aliyuntest.Throttle, Times: 2, Match: map[string]string{"Name": "a"}})
	c := client(t, ak, sk)
	if _, err := c.ProcessCommonRequest(rpc(s, "POST", map[string]string{"Name": "b"})); err != nil {
		t.Fatalf("a request the fault does not match failed: %v", err)
	}
	for range 2 {
		_, err := c.ProcessCommonRequest(rpc(s, "POST", map[string]string{"Name": "a"}))
		if se, ok := err.(*sdkerrors.ServerError); !ok || se.ErrorCode() != "Throttling.User" {
			t.Fatalf("want throttling, got %v", err)
		}
	}
	if _, err := c.ProcessCommonRequest(rpc(s, "POST", map[string]string{"Name": "a"})); err != nil {
		t.Fatalf("the fault outlived its count: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 4 || calls[1].Code != "Throttling.User" || calls[1].Status != 400 || calls[3].Status != 200 {
		t.Errorf("calls %+v", calls)
	}
	s.Inject(aliyuntest.Fault{Kind: aliyuntest.Unavailable})
	if _, err := c.ProcessCommonRequest(rpc(s, "POST", nil)); err == nil || !strings.Contains(err.Error(), "ServiceUnavailable") {
		t.Errorf("want 503, got %v", err)
	}
	s.Inject(aliyuntest.Fault{Kind: aliyuntest.NumericCode})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the SDK survived a numeric Code; the NumericCode fault no longer tests anything")
			}
		}()
		_, _ = c.ProcessCommonRequest(rpc(s, "POST", nil))
	}()
}
