package aliyun

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// maxRecorded bounds the copy of an answer kept for error parsing.
const maxRecorded = 64 << 10

// recorder is the transport of one attempt. The SDK builds its http.Request without a context,
// so recorder ties the request to the invocation's context (cancel and deadline reach the
// socket), and it keeps the status and the first bytes of the answer: the SDK's own error
// parsing reads only capitalised keys and panics on a numeric Code.
type recorder struct {
	ctx  context.Context
	base http.RoundTripper

	mu     sync.Mutex
	status int
	body   bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	// Keep the http.Client's own timeout (it lives in req's context) and add the invocation's.
	rctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(r.ctx, cancel)
	resp, err := r.base.RoundTrip(req.WithContext(rctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	r.mu.Lock()
	r.status = resp.StatusCode
	r.body.Reset()
	r.mu.Unlock()
	resp.Body = &teeBody{rc: resp.Body, r: r, done: func() { stop(); cancel() }}
	return resp, nil
}

type teeBody struct {
	rc   io.ReadCloser
	r    *recorder
	done func()
	once sync.Once
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.r.mu.Lock()
		if room := maxRecorded - t.r.body.Len(); room > 0 {
			t.r.body.Write(p[:min(n, room)])
		}
		t.r.mu.Unlock()
	}
	return n, err
}

func (t *teeBody) Close() error {
	err := t.rc.Close()
	t.once.Do(t.done)
	return err
}

type errorBody struct {
	code, message, requestID string
}

// parseErrorBody reads code, message and request ID from an error answer in any of the shapes
// Alibaba Cloud uses: capitalised (RPC, gateway) or lowercase (RocketMQ 5.x), Code as a string or
// a number. It returns nil when the body is not a JSON object.
func parseErrorBody(b []byte) *errorBody {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil
	}
	get := func(names ...string) string {
		for _, n := range names {
			for k, v := range m {
				if !strings.EqualFold(k, n) {
					continue
				}
				var s string
				if json.Unmarshal(v, &s) == nil {
					return s
				}
				var f json.Number
				if json.Unmarshal(v, &f) == nil {
					return f.String()
				}
			}
		}
		return ""
	}
	e := &errorBody{code: get("Code", "ErrorCode"), message: get("Message", "ErrorMessage"), requestID: get("RequestId")}
	if e.code == "" && e.message == "" {
		return nil
	}
	if _, err := strconv.Atoi(e.code); err == nil && e.message == "" {
		e.message = "HTTP status " + e.code
	}
	return e
}
