package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"offsetreset/shared/server"
)

// selfInvoker starts an event (a sealed chat job) in an asynchronous invocation of this same
// function: Lambda Invoke with InvocationType Event (aws-sdk-go-v2 service/lambda), signed with
// the execution role's credentials that Lambda puts in the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), in AWS_REGION, of AWS_LAMBDA_FUNCTION_NAME at
// AWS_LAMBDA_FUNCTION_VERSION. AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) overrides the
// endpoint, as in the AWS SDKs. The SDK's transport honours HTTPS_PROXY, NO_PROXY and
// SSL_CERT_FILE. IAM: lambda:InvokeFunction on the function itself (deploy/policies).
//
// It never returns nil: without the environment it needs, every call fails with the reason, and
// the chat work runs in the request instead (server.SelfInvoker's contract).
func selfInvoker(getenv func(string) string) server.SelfInvoker {
	name, region := getenv("AWS_LAMBDA_FUNCTION_NAME"), getenv("AWS_REGION")
	if name == "" || region == "" {
		return server.NoSelfInvoke(errors.New("AWS_LAMBDA_FUNCTION_NAME and AWS_REGION are not set (Lambda sets both), so this function cannot invoke itself"))
	}
	// The client is built on first use: a cold start that serves no deferred chat pays nothing.
	client := sync.OnceValue(func() *lambda.Client { return newLambdaClient(region, getenv) })
	var qualifier *string
	if v := getenv("AWS_LAMBDA_FUNCTION_VERSION"); v != "" && v != "$LATEST" {
		qualifier = aws.String(v)
	}
	return func(ctx context.Context, event []byte) error {
		out, err := client().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: qualifier, InvocationType: types.InvocationTypeEvent, Payload: event})
		if err != nil {
			return fmt.Errorf("Invoke (InvocationType Event) of function %s failed: %v; the execution role needs lambda:InvokeFunction on the function itself (deploy/policies/aws-iam.json, deploy/aws/template.yaml)", name, err)
		}
		if out.StatusCode != http.StatusAccepted {
			return fmt.Errorf("Invoke (InvocationType Event) of function %s answered status %d, not 202 Accepted; the chat work was not queued", name, out.StatusCode)
		}
		return nil
	}
}

// newLambdaClient is a Lambda API client in region with the credentials Lambda puts in the
// environment, at AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) when set.
func newLambdaClient(region string, getenv func(string) string) *lambda.Client {
	opts := lambda.Options{Region: region, Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
		if id == "" || secret == "" {
			return aws.Credentials{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the execution role)")
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
	}))}
	if ep := getenv("AWS_ENDPOINT_URL_LAMBDA"); ep != "" {
		opts.BaseEndpoint = aws.String(ep)
	} else if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
		opts.BaseEndpoint = aws.String(ep)
	}
	return lambda.New(opts)
}
