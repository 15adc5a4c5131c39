// Package lambdatest is a small AWS Lambda Runtime API for running the built bootstrap as a real
// process, in tests and in `make demo`: it hands out queued events on
// GET /2018-06-01/runtime/invocation/next and collects what the function posts to
// …/{id}/response and …/{id}/error, answering 202 as Lambda does.
package lambdatest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Invocation is one event handed to the function.
type Invocation struct {
	ID   string
	Body []byte
}

// Result is what the function posted for an invocation (ID "init" for an init error).
type Result struct {
	ID      string
	IsError bool
	Body    []byte
}

// RuntimeAPI serves the Runtime API; send on Events, receive on Results.
type RuntimeAPI struct {
	Events  chan Invocation
	Results chan Result
	srv     *httptest.Server
}

// Start starts the server on loopback.
func Start() *RuntimeAPI {
	r := &RuntimeAPI{Events: make(chan Invocation), Results: make(chan Result)}
	r.srv = httptest.NewServer(r)
	return r
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API.
func (r *RuntimeAPI) Addr() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// Close stops the server.
func (r *RuntimeAPI) Close() { r.srv.Close() }

// ServeHTTP implements the Runtime API routes.
func (r *RuntimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(req.URL.Path, prefix)
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		select {
		case ev := <-r.Events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev.ID)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(60*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:offsetreset")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Write(ev.Body)
		case <-req.Context().Done():
		}
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		body, _ := io.ReadAll(req.Body)
		if kind != "response" && kind != "error" {
			http.NotFound(w, req)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		r.Results <- Result{ID: id, IsError: kind == "error", Body: body}
	case req.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(req.Body)
		w.WriteHeader(http.StatusAccepted)
		r.Results <- Result{ID: "init", IsError: true, Body: body}
	default:
		http.NotFound(w, req)
	}
}
