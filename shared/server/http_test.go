package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
)

type fixture struct {
	k     *kafkatest.Cluster
	svc   *server.Service
	audit *syncBuf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newFixture: topic orders (2 partitions × 10 messages), group billing at 3 on both.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	k, err := kafkatest.Start(map[string]int32{"orders": 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	ctx := context.Background()
	for p := int32(0); p < 2; p++ {
		if err := k.Produce(ctx, "orders", p, 10, func(i int) time.Time { return time.UnixMilli(1_700_000_000_000 + int64(i)*1000) }); err != nil {
			t.Fatal(err)
		}
		if err := k.Commit(ctx, "billing", "orders", p, 3); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.File{Targets: map[string]config.Target{"prod-kafka": {Provider: "kafka", Brokers: k.Addrs}}}
	svc, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuf{}
	svc.Log = slog.New(slog.NewJSONHandler(buf, nil))
	svc.Secrets = server.Secrets{APIToken: "s3cret-api-token"}
	return &fixture{k: k, svc: svc, audit: buf}
}

func (f *fixture) committed(t *testing.T) map[int32]int64 {
	t.Helper()
	c, err := f.k.Committed(context.Background(), "billing")
	if err != nil {
		t.Fatal(err)
	}
	return c["orders"]
}

func (f *fixture) unchanged(t *testing.T) {
	t.Helper()
	if c := f.committed(t); c[0] != 3 || c[1] != 3 {
		t.Fatalf("offsets changed: %v", c)
	}
}

type reply struct {
	code   int
	header http.Header
	body   string
}

func post(t *testing.T, url string, body string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func decode(t *testing.T, body string) reset.Result {
	t.Helper()
	var r reset.Result
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("answer is not a result: %v\n%s", err, body)
	}
	return r
}

const latest = `{"target":"prod-kafka","group":"billing","topics":["orders"],"to":"latest"}`

func TestLocalInvokeDryRunPlansRealNumbers(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.Local))
	defer srv.Close()
	r := post(t, srv.URL+"/invoke", `{"target":"prod-kafka","group":"billing","to":"latest","dryRun":true}`, nil)
	res := decode(t, r.body)
	if r.code != 200 || res.Status != reset.StatusPlanned || len(res.Partitions) != 2 || *res.Partitions[0].After != 10 || *res.Skipped != 14 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	f.unchanged(t)
}

func TestFCInvokeNeedsFCMark(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	for _, h := range []map[string]string{nil, {"x-fc-control-path": "/http-invoke"}} {
		r := post(t, srv.URL+"/invoke", latest, h)
		if r.code != 401 || !strings.Contains(r.body, "/invoke only takes FC event invocations; use POST /v1/reset with a bearer token") {
			t.Fatalf("%v: %d %s", h, r.code, r.body)
		}
	}
	f.unchanged(t)
	r := post(t, srv.URL+"/invoke", latest, map[string]string{"x-fc-control-path": "/invoke", "x-fc-request-id": "req-1"})
	if res := decode(t, r.body); r.code != 200 || res.Status != reset.StatusApplied || r.header.Get("x-fc-status") != "" {
		t.Fatalf("%d %v %s", r.code, r.header, r.body)
	}
	if c := f.committed(t); c[0] != 10 || c[1] != 10 {
		t.Fatalf("committed %v", c)
	}
	if a := f.audit.String(); !strings.Contains(a, `"requestId":"req-1"`) || !strings.Contains(a, `"principal":"fc:invoke"`) {
		t.Fatalf("audit: %s", a)
	}
}

func TestFCInvokeFailureSetsFCStatus(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	r := post(t, srv.URL+"/invoke", `{"target":"prod-kafka","group":"billing","to":"time:2026-01-01T00:00:00"}`, map[string]string{"x-fc-control-path": "/invoke"})
	if res := decode(t, r.body); r.code != 200 || res.Status != reset.StatusInvalid || r.header.Get("x-fc-status") != "404" {
		t.Fatalf("%d %v %s", r.code, r.header, r.body)
	}
}

func TestFCTimerEvent(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	payload, _ := json.Marshal(latest)
	ev := `{"triggerTime":"2026-11-21T19:00:00Z","triggerName":"nightly","payload":` + string(payload) + `}`
	r := post(t, srv.URL+"/invoke", ev, map[string]string{"x-fc-control-path": "/invoke"})
	if res := decode(t, r.body); res.Status != reset.StatusApplied {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if a := f.audit.String(); !strings.Contains(a, `"trigger":"schedule"`) || !strings.Contains(a, `"principal":"timer:nightly"`) {
		t.Fatalf("audit: %s", a)
	}
}

func TestLambdaHTTPNeverInvokes(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.Lambda))
	defer srv.Close()
	if r := post(t, srv.URL+"/invoke", latest, map[string]string{"x-fc-control-path": "/invoke"}); r.code != 401 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	f.unchanged(t)
}

func TestAPIAuth(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-api-token"}} {
		if r := post(t, srv.URL+"/v1/reset", latest, h); r.code != 401 || !strings.Contains(r.body, "missing or wrong bearer token") {
			t.Fatalf("%v: %d %s", h, r.code, r.body)
		}
	}
	f.unchanged(t)
	f.svc.Secrets.APIToken = ""
	if r := post(t, srv.URL+"/v1/reset", latest, map[string]string{"Authorization": "Bearer "}); r.code != 401 {
		t.Fatalf("route without a configured token answered %d", r.code)
	}
	f.unchanged(t)
}

func TestAPIStatuses(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.Local))
	defer srv.Close()
	auth := map[string]string{"Authorization": "Bearer s3cret-api-token"}
	bad := []struct {
		name, body, err string
	}{
		{"garbage", `{"target":`, "the request body ends in the middle of the JSON; send the whole command"},
		{"not json", `target=prod`, `the body must be a JSON object or an array of objects, e.g. {"target":"prod","group":"billing","to":"latest","dryRun":true}`},
		{"oversized", `{"target":"prod-kafka","group":"billing","to":"latest","reason":"` + strings.Repeat("x", 1<<20) + `"}`, "the request body is larger than 1 MiB; send fewer commands per request"},
		{"unknown target", `{"target":"prod","group":"billing","to":"latest"}`, `unknown target "prod"; configured targets: prod-kafka`},
	}
	for _, c := range bad {
		r := post(t, srv.URL+"/v1/reset", c.body, auth)
		if res := decode(t, r.body); r.code != 400 || res.Status != reset.StatusInvalid || res.Error != c.err {
			t.Fatalf("%s: %d %s", c.name, r.code, r.body)
		}
		f.unchanged(t)
	}
	// An array answers an array in the same order; mixed outcomes answer 207.
	r := post(t, srv.URL+"/v1/reset", `[`+latest+`,{"target":"prod-kafka","group":"billing","to":"offset:-4"}]`, auth)
	var results []reset.Result
	if err := json.Unmarshal([]byte(r.body), &results); err != nil || r.code != 207 || len(results) != 2 ||
		results[0].Status != reset.StatusApplied || results[1].Status != reset.StatusInvalid {
		t.Fatalf("%d %s", r.code, r.body)
	}
	// A live member: 409 with the member list.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := f.k.Join(ctx, "billing", "orders", "etl-7")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	r = post(t, srv.URL+"/v1/reset", `{"target":"prod-kafka","group":"billing","to":"earliest"}`, auth)
	if res := decode(t, r.body); r.code != 409 || res.Status != reset.StatusRefused || len(res.Members) != 1 || res.Members[0].ClientID != "etl-7" {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if c := f.committed(t); c[0] != 10 || c[1] != 10 {
		t.Fatalf("refused reset changed offsets: %v", c)
	}
}

func TestHealthAndUnknownRoute(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if r := post(t, srv.URL+"/v2/reset", latest, nil); r.code != 404 || !strings.Contains(r.body, "no route POST /v2/reset") {
		t.Fatalf("%d %s", r.code, r.body)
	}
}

// TestLocalInvokeOnlyFromLoopback: the local server's unauthenticated /invoke refuses callers
// from the network (a server started with -addr 0.0.0.0:8080).
func TestLocalInvokeOnlyFromLoopback(t *testing.T) {
	f := newFixture(t)
	h := f.svc.Handler(server.Local)
	req := httptest.NewRequest(http.MethodPost, "/invoke", strings.NewReader(latest))
	req.RemoteAddr = "10.1.2.3:40000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 401 || !strings.Contains(w.Body.String(), "/invoke of the local server only answers callers on this machine") {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	f.unchanged(t)
}
