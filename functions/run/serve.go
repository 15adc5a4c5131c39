// Package run serves an http.Handler until SIGINT/SIGTERM, for the FC and local entrypoints.
package run

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Serve listens on addr and serves h; ready, when non-nil, is called with the bound address once
// the listener is open. It returns after a graceful shutdown.
func Serve(addr string, h http.Handler, ready func(addr string)) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		slog.Error("cannot listen", "addr", addr, "error", err.Error())
		os.Exit(1)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if ready != nil {
		ready(ln.Addr().String())
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Error("server stopped", "error", err.Error())
		os.Exit(1)
	}
}
