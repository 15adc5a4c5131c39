// Command lambda is the AWS Lambda bootstrap (runtime provided.al2023, handler bootstrap; build
// with -tags lambda.norpc for arm64 or amd64). One raw-JSON handler dispatches every event:
//
//   - Function URL and API Gateway HTTP API (payload 2.0) requests → the same http.Handler as
//     FC and the local server (platform server.Lambda);
//   - SNS records carrying CloudWatch alarms, and EventBridge "CloudWatch Alarm State Change"
//     events → the alert rules (source cloudwatch), exactly as the HTTP alert routes;
//   - a chat job this function handed to itself ({"offsetresetChatJob": …}, sealed with
//     OFFSETRESET_CONFIRM_SECRET) → the deferred chat work, its result posted to the chat;
//   - anything else is a command JSON object or array (direct invoke, EventBridge Scheduler
//     input) → run as trigger schedule, principal lambda:invoke.
//
// Chat work that may outlast Slack's 3-second window runs in an asynchronous invocation of this
// same function (Invoke, InvocationType Event; selfInvoker).
//
// A failed, partial or invalid run returns an error, so Lambda's retries and DLQ see it. The
// configuration is read from $OFFSETRESET_CONFIG (server.Load).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"offsetreset/shared/server"
)

func main() {
	svc := server.Boot()
	svc.SelfInvoke = selfInvoker(os.Getenv)
	h := newHandler(svc)
	lambda.Start(h.Invoke)
}
