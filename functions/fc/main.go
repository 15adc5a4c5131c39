// Command fc is the Alibaba Function Compute 3.0 custom-runtime bootstrap: an HTTP server on
// 0.0.0.0:$FC_CUSTOM_LISTEN_PORT (default 9000). FC posts events to /invoke (marked
// x-fc-control-path: /invoke); HTTP-trigger requests keep their own path.
package main

import (
	"log/slog"
	"os"

	"offsetreset/functions/run"
	"offsetreset/shared/server"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	svc, err := server.Load()
	if err != nil {
		slog.Error("offsetreset cannot start", "error", err.Error())
		os.Exit(1)
	}
	port := os.Getenv("FC_CUSTOM_LISTEN_PORT")
	if port == "" {
		port = "9000"
	}
	run.Serve("0.0.0.0:"+port, svc.Handler(server.FC), nil)
}
