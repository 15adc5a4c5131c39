// Command fc is the Alibaba Function Compute 3.0 custom-runtime bootstrap: an HTTP server on
// 0.0.0.0:$FC_CUSTOM_LISTEN_PORT (default 9000). FC posts events to /invoke (marked
// x-fc-control-path: /invoke); HTTP-trigger requests keep their own path. Chat work that may
// outlast Slack's 3-second window runs in an asynchronous invocation of this same function
// (InvokeFunction, x-fc-invocation-type: Async; selfInvoker), which arrives on /invoke.
package main

import (
	"os"

	"offsetreset/functions/run"
	"offsetreset/shared/server"
)

func main() {
	svc := server.Boot()
	svc.SelfInvoke = selfInvoker(os.Getenv)
	port := os.Getenv("FC_CUSTOM_LISTEN_PORT")
	if port == "" {
		port = "9000"
	}
	run.Serve("0.0.0.0:"+port, svc.Handler(server.FC), nil)
}
