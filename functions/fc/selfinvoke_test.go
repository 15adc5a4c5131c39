//go:build !no_alibaba

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"offsetreset/shared/credentials"
	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// The self-invocation is FC 3.0's InvokeFunction as documented (POST
// /2023-03-30/functions/{name}/invocations, x-fc-invocation-type: Async, answered 202), signed
// (ROA, acs AccessKeyId:Signature) with the credentials FC handed the request, STS token
// included; a refusal names the RAM action to grant.
func TestSelfInvokerCallsInvokeFunctionAsync(t *testing.T) {
	key := aliyuntest.Key{ID: "STS.fc-role", Secret: "role-secret", Token: "role-token"}
	event := []byte(`{"offsetresetChatJob":"sealed"}`)
	refuse := false
	fcAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		authz := r.Header.Get("Authorization")
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/2023-03-30/functions/offsetreset/invocations":
			http.Error(w, `{"Code":"NotFound"}`, http.StatusNotFound)
		case r.Header.Get("x-fc-invocation-type") != "Async" || r.Header.Get("x-acs-version") != "2023-03-30" || r.Header.Get("x-acs-action") != "InvokeFunction":
			http.Error(w, `{"Code":"InvalidArgument","Message":"not an asynchronous InvokeFunction"}`, http.StatusBadRequest)
		case authz != "acs "+key.ID+":"+aliyuntest.Sign(aliyuntest.ROAStringToSign(r), key.Secret) || r.Header.Get("x-acs-security-token") != key.Token:
			http.Error(w, `{"Code":"SignatureDoesNotMatch","Message":"the signature does not match"}`, http.StatusBadRequest)
		case string(body) != string(event) || r.Header.Get("Content-Type") != "application/json":
			http.Error(w, `{"Code":"InvalidArgument","Message":"the event is not the body"}`, http.StatusBadRequest)
		case refuse:
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(map[string]string{"Code": "AccessDenied", "Message": "The RAM role may not call InvokeFunction", "RequestId": "4C1E"})
		default:
			w.Header().Set("x-fc-request-id", "async-1")
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer fcAPI.Close()
	env := map[string]string{"FC_FUNCTION_NAME": "offsetreset", "FC_REGION": "cn-hangzhou", "FC_ACCOUNT_ID": "1234567890123456", endpointEnv: fcAPI.URL}
	ctx := credentials.WithAlibaba(context.Background(), credentials.Alibaba{AccessKeyID: key.ID, AccessKeySecret: key.Secret, SecurityToken: key.Token})
	invoke := selfInvoker(func(k string) string { return env[k] })
	if err := invoke(ctx, event); err != nil {
		t.Fatal(err)
	}
	refuse = true
	if err := invoke(ctx, event); err == nil || !strings.Contains(err.Error(), "grant it fc:InvokeFunction") {
		t.Fatalf("%v", err)
	}
	delete(env, "FC_ACCOUNT_ID")
	delete(env, endpointEnv)
	if err := selfInvoker(func(k string) string { return env[k] })(ctx, event); err == nil ||
		err.Error() != "FC_FUNCTION_NAME, FC_REGION and FC_ACCOUNT_ID are not all set (FC sets them), so this function cannot invoke itself" {
		t.Fatalf("%v", err)
	}
}
