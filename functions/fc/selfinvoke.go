//go:build !no_alibaba

package main

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/aliyun"
	"offsetreset/shared/server"
)

// FC 3.0 API (2023-03-30) InvokeFunction: POST /2023-03-30/functions/{functionName}/invocations,
// the event as the body, header x-fc-invocation-type: Async (answered 202), at
// <account-id>.<region>.fc.aliyuncs.com; RAM action fc:InvokeFunction.
const (
	fcVersion       = "2023-03-30"
	fcInvokePattern = "/2023-03-30/functions/[functionName]/invocations"
	// endpointEnv overrides the FC API endpoint (a VPC endpoint, <account>.<region>-internal.fc.aliyuncs.com, or an emulator).
	endpointEnv = "OFFSETRESET_FC_ENDPOINT"
)

// selfInvoker starts an event (a sealed chat job) in an asynchronous invocation of this same
// function: FC 3.0 InvokeFunction with x-fc-invocation-type: Async, signed by the Alibaba Cloud
// SDK's common request (shared/provider/aliyun: fresh credentials per attempt, retries on
// throttling, HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE honoured) with the credentials of the
// request that starts it — the function role's STS credentials FC hands every request
// (x-fc-access-key-*), else ALIBABA_CLOUD_*. The function, region and account come from FC's
// environment (FC_FUNCTION_NAME, FC_REGION, FC_ACCOUNT_ID). RAM: fc:InvokeFunction on the
// function itself (deploy/policies/alibaba-ram.json).
//
// It never returns nil: without the environment it needs, every call fails with the reason, and
// the chat work runs in the request instead (server.SelfInvoker's contract).
func selfInvoker(getenv func(string) string) server.SelfInvoker {
	name, region, account := getenv("FC_FUNCTION_NAME"), getenv("FC_REGION"), getenv("FC_ACCOUNT_ID")
	if name == "" || region == "" || (account == "" && getenv(endpointEnv) == "") {
		return server.NoSelfInvoke(errors.New("FC_FUNCTION_NAME, FC_REGION and FC_ACCOUNT_ID are not all set (FC sets them), so this function cannot invoke itself"))
	}
	// The client is built on first use: a cold start that serves no deferred chat pays nothing.
	client := sync.OnceValues(func() (*aliyun.Client, error) {
		return aliyun.NewClient("function "+name, "fc", config.Target{Region: region, Instance: name, Endpoint: getenv(endpointEnv)},
			func(region string) string { return account + "." + region + ".fc.aliyuncs.com" })
	})
	call := aliyun.Call{What: "InvokeFunction (Async) of function " + name, API: "InvokeFunction", RAM: "fc:InvokeFunction"}
	return func(ctx context.Context, event []byte) error {
		cl, err := client()
		if err != nil {
			return err
		}
		_, err = aliyun.Do(ctx, cl, call, func() (requests.AcsRequest, *responses.CommonResponse) {
			req := requests.NewCommonRequest()
			req.Method = http.MethodPost
			req.Product = "FC"
			req.Version = fcVersion
			req.ApiName = "InvokeFunction"
			req.PathPattern = fcInvokePattern
			req.PathParams["functionName"] = name
			req.Headers["x-fc-invocation-type"] = "Async"
			req.SetContentType("application/json")
			req.SetContent(event)
			req.TransToAcsRequest()
			return req, responses.NewCommonResponse()
		}, nil)
		return err
	}
}
