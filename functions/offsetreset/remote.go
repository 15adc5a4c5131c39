package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"offsetreset/shared/reset"
)

// remoteError is a -remote request that produced no results: the exit code and the sentence.
type remoteError struct {
	code int
	msg  string
}

func (e *remoteError) Error() string { return e.msg }

// remote sends commands to a deployed function's JSON API (POST URL/v1/reset) with the bearer
// token of $OFFSETRESET_API_TOKEN, and reads its answer: the same results, the same JSON.
type remote struct {
	endpoint string
	token    string
	client   *http.Client
}

// newRemote checks the base URL and the token; it warns on stderr when the token would travel
// in clear text to another machine. The token itself is never printed.
func newRemote(base string, stderr io.Writer) (*remote, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("-remote %q is not an http(s) URL; give the function's base URL, e.g. https://offsetreset-xxxx.cn-hangzhou.fcapp.run", base)
	}
	tok := os.Getenv("OFFSETRESET_API_TOKEN")
	if tok == "" {
		return nil, fmt.Errorf("-remote needs the function's API token: set OFFSETRESET_API_TOKEN (the variable the function reads)")
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			sayf(stderr, "warning: -remote %s is plain http: the API token crosses the network unencrypted; use https", u.Host)
		}
	}
	return &remote{endpoint: u.String() + "/v1/reset", token: tok, client: &http.Client{}}, nil
}

// run sends one command and returns the answer. An answer that carries no results (401, a
// wrong URL, a gateway error) is a remoteError with the server's own sentence where it gave one.
func (r *remote) run(ctx context.Context, cmd reset.Command) (answer, error) {
	body, err := json.Marshal(cmd)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.client.Do(req)
	if err != nil {
		what := "nothing was changed"
		if !cmd.DryRun {
			what = "whether it was applied is unknown: run offsetreset status before retrying"
		}
		return answer{}, &remoteError{exitFailed, fmt.Sprintf("%s did not answer (%v); %s", r.endpoint, unwrapURLError(err), what)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return answer{}, &remoteError{exitFailed, fmt.Sprintf("reading the answer of %s: %v", r.endpoint, err)}
	}
	a := answer{json: raw}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		a.many = true
		err = json.Unmarshal(trimmed, &a.results)
	} else {
		var one reset.Result
		if err = json.Unmarshal(trimmed, &one); err == nil && one.Status != "" {
			a.results = []*reset.Result{&one}
		}
	}
	if err == nil && len(a.results) > 0 {
		return a, nil
	}
	var e struct {
		Error string `json:"error"`
	}
	msg := string(trimmed)
	if json.Unmarshal(trimmed, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return answer{}, &remoteError{exitRefused, fmt.Sprintf("%s answered 401 (%s): OFFSETRESET_API_TOKEN must be the function's token; nothing changed", r.endpoint, msg)}
	case resp.StatusCode == http.StatusNotFound:
		return answer{}, &remoteError{exitUsage, fmt.Sprintf("%s answered 404 (%s): -remote must be the function's base URL (the command adds /v1/reset); nothing changed", r.endpoint, msg)}
	}
	return answer{}, &remoteError{exitFailed, fmt.Sprintf("%s answered HTTP %d without a result (%s)", r.endpoint, resp.StatusCode, msg)}
}

// unwrapURLError drops the method and URL net/http repeats in front of the cause.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
