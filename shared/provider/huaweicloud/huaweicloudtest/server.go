package huaweicloudtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Error is an error reply body as DMS and APIG send it.
type Error struct {
	Code string `json:"error_code"`
	Msg  string `json:"error_msg"`
}

// Reply is what a route answers: a status and a value encoded as JSON (nil = empty body).
type Reply struct {
	Status int
	Body   any
}

// OK answers 200 with v.
func OK(v any) Reply { return Reply{Status: http.StatusOK, Body: v} }

// NoContent answers 204 with no body.
func NoContent() Reply { return Reply{Status: http.StatusNoContent} }

// Fail answers an error in the service's {"error_code","error_msg"} form.
func Fail(status int, code, format string, args ...any) Reply {
	return Reply{Status: status, Body: Error{Code: code, Msg: fmt.Sprintf(format, args...)}}
}

// Handler serves one route. body is the request body as received.
type Handler func(r *http.Request, body []byte) Reply

// Call is one request the server received.
type Call struct {
	Op     string // operation name of the route; "" when no route matched
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	// At is the arrival time, taken before anything else is done with the request.
	At time.Time
	// Status is the HTTP status answered; Fault says which injected fault answered, if one did.
	Status int
	Fault  string
}

// Fault is an injected misbehaviour. The first fault that matches a call is used and counted.
type Fault struct {
	Op string // operation; "" = every operation
	// Times is how many calls the fault hits; < 0 = every matching call.
	Times int
	// Match narrows the fault further (e.g. one topic); nil = every call of Op.
	Match func(Call) bool
	// Latency delays the answer (the normal answer unless Status or Malformed say otherwise).
	Latency time.Duration
	// Status and Code/Msg answer an error instead of the route.
	Status int
	Code   string
	Msg    string
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
}

type key struct{ sk, token string }

// Server is an httptest.Server that checks SDK signatures, records calls and injects faults;
// the emulators add their routes with Handle before Start.
type Server struct {
	*httptest.Server
	// Now is the clock X-Sdk-Date is checked against; time.Now when nil.
	Now func() time.Time

	mux *http.ServeMux

	mu          sync.Mutex
	keys        map[string]key
	calls       []Call
	faults      []*Fault
	latency     time.Duration
	inflight    int
	maxInflight int
}

// NewServer makes a server with no routes; unknown routes answer 404 APIG.0101 as APIG does.
func NewServer() *Server {
	s := &Server{mux: http.NewServeMux(), keys: map[string]key{}}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, Fail(http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment: %s %s", r.Method, r.URL.Path), "")
	})
	return s
}

// Handle adds a route; pattern is a net/http pattern with method ("PUT /v2/kafka/{project_id}/…").
func (s *Server) Handle(op, pattern string, h Handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		st := r.Context().Value(stateKey{}).(*reqState)
		s.mu.Lock()
		s.calls[st.idx].Op = op
		s.mu.Unlock()
		if rep, bad := s.authenticate(r, st.body); bad {
			s.answer(w, r, rep, "")
			return
		}
		if f := s.fault(st.idx); f != nil {
			if !sleep(r.Context(), f.Latency) {
				return
			}
			switch {
			case f.Malformed:
				s.answerRaw(w, r, http.StatusOK, []byte(`{"malformed": [{"reply":`), "malformed")
				return
			case f.Status != 0:
				s.answer(w, r, Fail(f.Status, f.Code, "%s", f.Msg), fmt.Sprintf("%d %s", f.Status, f.Code))
				return
			}
		}
		s.mu.Lock()
		d := s.latency
		s.mu.Unlock()
		if !sleep(r.Context(), d) {
			return
		}
		s.answer(w, r, h(r, st.body), "")
	})
}

// Start starts serving on a loopback port.
func (s *Server) Start() {
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
}

// AddKey registers a permanent access key.
func (s *Server) AddKey(ak, sk string) { s.AddTemporaryKey(ak, sk, "") }

// AddTemporaryKey registers a temporary access key: requests must carry its X-Security-Token.
func (s *Server) AddTemporaryKey(ak, sk, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[ak] = key{sk, token}
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := f
	s.faults = append(s.faults, &c)
}

// Throttle answers the next n calls of op (n < 0: all) with 429 APIG.0308, as APIG's flow control does.
func (s *Server) Throttle(op string, n int) {
	s.Inject(Fault{Op: op, Times: n, Status: http.StatusTooManyRequests, Code: "APIG.0308",
		Msg: "The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 second"})
}

// FailServer answers the next n calls of op with 500.
func (s *Server) FailServer(op string, n int) {
	s.Inject(Fault{Op: op, Times: n, Status: http.StatusInternalServerError, Code: "DMS.00500000", Msg: "Internal service error."})
}

// Malformed answers the next n calls of op with a truncated JSON body.
func (s *Server) Malformed(op string, n int) { s.Inject(Fault{Op: op, Times: n, Malformed: true}) }

// Delay holds the next n calls of op for d before answering normally.
func (s *Server) Delay(op string, n int, d time.Duration) {
	s.Inject(Fault{Op: op, Times: n, Latency: d})
}

// SetLatency delays every answer by d (after faults).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Calls lists the calls received, oldest first, of the given operations (none = all).
func (s *Server) Calls(ops ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(ops) == 0 || slices.Contains(ops, c.Op) {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls and the in-flight maximum.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.maxInflight = s.inflight
}

// MaxInWindow is the largest number of calls (of ops; none = all) that arrived within any one
// window of length w.
func (s *Server) MaxInWindow(w time.Duration, ops ...string) int {
	calls := s.Calls(ops...)
	at := make([]time.Time, len(calls))
	for i, c := range calls {
		at[i] = c.At
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	best, lo := 0, 0
	for hi := range at {
		for at[hi].Sub(at[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// MaxInFlight is the largest number of requests the server was handling at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight
}

type stateKey struct{}

type reqState struct {
	idx  int
	body []byte
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	q, _ := url.ParseQuery(r.URL.RawQuery)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: q, Body: body, At: at})
	idx := len(s.calls) - 1
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, &reqState{idx: idx, body: body})))
}

func (s *Server) authenticate(r *http.Request, body []byte) (Reply, bool) {
	deny := func(format string, args ...any) (Reply, bool) {
		return Fail(http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information: "+format, args...), true
	}
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return deny("%v", err)
	}
	s.mu.Lock()
	k, ok := s.keys[a.Access]
	s.mu.Unlock()
	if !ok {
		return deny("the access key %s does not exist", a.Access)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if err := Verify(r, body, k.sk, now()); err != nil {
		return deny("%v", err)
	}
	if tok := r.Header.Get("X-Security-Token"); tok != k.token {
		if k.token == "" {
			return deny("the access key %s is permanent but a security token was sent", a.Access)
		}
		return deny("the security token of temporary access key %s is missing or wrong", a.Access)
	}
	if tok := r.Header.Get("X-Security-Token"); tok != "" && !slices.Contains(a.SignedHeaders, "x-security-token") {
		return deny("x-security-token is not among the signed headers")
	}
	return Reply{}, false
}

// fault picks the injected fault for call idx, if any, and records it.
func (s *Server) fault(idx int) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[idx]
	for _, f := range s.faults {
		if f.Times == 0 || (f.Op != "" && f.Op != c.Op) || (f.Match != nil && !f.Match(c)) {
			continue
		}
		if f.Times > 0 {
			f.Times--
		}
		return f
	}
	return nil
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, rep Reply, fault string) {
	var b []byte
	if rep.Body != nil {
		var err error
		if b, err = json.Marshal(rep.Body); err != nil {
			rep.Status = http.StatusInternalServerError
			b, _ = json.Marshal(Error{Code: "DMS.00500000", Msg: err.Error()})
		}
	}
	s.answerRaw(w, r, rep.Status, b, fault)
}

func (s *Server) answerRaw(w http.ResponseWriter, r *http.Request, status int, b []byte, fault string) {
	st := r.Context().Value(stateKey{}).(*reqState)
	s.mu.Lock()
	s.calls[st.idx].Status = status
	s.calls[st.idx].Fault = fault
	id := fmt.Sprintf("emu-%06d", st.idx+1)
	s.mu.Unlock()
	w.Header().Set("X-Request-Id", id)
	if len(b) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Paging reads the offset and limit query parameters as the DMS list APIs do: offset ≥ 0
// (default 0), limit 1..maxLimit (default def). A bad value gives a 400 reply.
func Paging(r *http.Request, def, maxLimit int) (offset, limit int, bad *Reply) {
	offset, limit = 0, def
	if v := r.URL.Query().Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			rep := Fail(http.StatusBadRequest, "DMS.00400001", "The parameter offset %q is invalid.", v)
			return 0, 0, &rep
		}
		offset = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			rep := Fail(http.StatusBadRequest, "DMS.00400001", "The parameter limit %q is invalid (1 to %d).", v, maxLimit)
			return 0, 0, &rep
		}
		limit = n
	}
	return offset, limit, nil
}
