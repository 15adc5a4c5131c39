package samples

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"offsetreset/events"
	"offsetreset/shared/demo"
	"offsetreset/shared/server"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/trigger/dingtalk"
	"offsetreset/shared/trigger/grafana"
	"offsetreset/shared/trigger/slack"
)

var sec = server.Secrets{APIToken: "api", WebhookToken: "hook", WebhookHMAC: "hmac", SlackSigning: "slack", DingTalkApp: "ding"}

func TestManifestListsEveryFile(t *testing.T) {
	list, err := Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, s := range list {
		if listed[s.File] {
			t.Errorf("%s is listed twice", s.File)
		}
		listed[s.File] = true
		if s.Title == "" || (s.Platform != PlatformLambda && (s.Method == "" || s.Path == "")) {
			t.Errorf("%s: incomplete entry %+v", s.File, s)
		}
		if !strings.HasPrefix(s.File, s.Platform+"/") {
			t.Errorf("%s: platform %s does not match its directory", s.File, s.Platform)
		}
	}
	// Every sample file on disk is listed (and so embedded and sent by make demo).
	const onDisk = "../../../events"
	var files []string
	filepath.WalkDir(onDisk, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(onDisk, p)
			if rel != "manifest.json" && rel != "demo.yaml" && rel != "events.go" {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		if !listed[f] {
			t.Errorf("%s is not in events/manifest.json", f)
		}
	}
	if len(files) != len(list) {
		t.Errorf("%d files, %d manifest entries", len(files), len(list))
	}
	// Samples carry no secrets, not even the demo ones: senders sign at send time.
	for _, f := range append(files, "demo.yaml") {
		b, err := fs.ReadFile(events.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"demo-api-token", "demo-webhook-token", "demo-hmac-secret", "demo-slack-signing-secret", "demo-dingtalk-app-secret", "demo-confirm-secret", "Bearer "} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains %q", f, s)
			}
		}
	}
}

func TestRequestsAreSigned(t *testing.T) {
	list, err := Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_795_287_600, 0)
	for _, s := range list {
		if s.Platform == PlatformLambda {
			continue
		}
		req, err := s.Request(context.Background(), events.FS, "http://127.0.0.1:1", sec, now)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		h := req.Header
		switch s.Auth {
		case AuthSlack:
			err = slack.Verify(sec.SlackSigning, body, h.Get(slack.TimestampHeader), h.Get(slack.SignatureHeader), now)
		case AuthDingTalk:
			err = dingtalk.Verify(sec.DingTalkApp, h.Get(dingtalk.TimestampHeader), h.Get(dingtalk.SignHeader), now)
		case AuthWebhookHMAC:
			err = grafana.Verify(sec.WebhookHMAC, body, h.Get(grafana.SignatureHeader), h.Get(grafana.TimestampHeader), now)
		case AuthWebhookURL:
			if req.URL.Query().Get("token") != "hook" {
				t.Errorf("%s: %s", s.File, req.URL)
			}
		case AuthWebhookBear:
			if h.Get("Authorization") != "Bearer hook" {
				t.Errorf("%s: %v", s.File, h)
			}
		case AuthAPIBearer:
			if h.Get("Authorization") != "Bearer api" {
				t.Errorf("%s: %v", s.File, h)
			}
		}
		if err != nil {
			t.Errorf("%s: %v", s.File, err)
		}
		if req.URL.Path != s.Path || req.Method != s.Method || (s.ContentType != "" && h.Get("Content-Type") != s.ContentType) {
			t.Errorf("%s: %s %s %v", s.File, req.Method, req.URL, h)
		}
	}
}

func TestLambdaEventsGetCredentials(t *testing.T) {
	list, _ := Load(events.FS)
	for _, s := range list {
		if s.Platform != PlatformLambda || s.Auth == AuthNone {
			continue
		}
		b, err := s.LambdaEvent(events.FS, sec, time.Unix(1_795_287_600, 0))
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			RawQueryString string            `json:"rawQueryString"`
			Headers        map[string]string `json:"headers"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", s.File, err)
		}
		switch s.Auth {
		case AuthAPIBearer:
			if ev.Headers["authorization"] != "Bearer api" {
				t.Errorf("%s: %v", s.File, ev.Headers)
			}
		case AuthWebhookURL:
			if ev.RawQueryString != "token=hook" {
				t.Errorf("%s: %q", s.File, ev.RawQueryString)
			}
		}
	}
}

func TestDemoConfig(t *testing.T) {
	b, err := DemoConfig(events.FS, []string{"127.0.0.1:40001", "127.0.0.1:40002"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Targets["demo"].Brokers; len(got) != 2 || got[1] != "127.0.0.1:40002" {
		t.Fatalf("brokers %v", got)
	}
	sources := map[string]bool{}
	for _, a := range cfg.Alerts {
		sources[a.Source] = true
	}
	for _, s := range config.AlertSources {
		if !sources[s] {
			t.Errorf("demo.yaml has no alert rule for source %s", s)
		}
	}
}

func TestDemoOffsets(t *testing.T) {
	ctx := context.Background()
	k, err := demo.StartKafka(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	c, err := k.Committed(ctx, "billing")
	if err != nil || c["orders"][5] != 45 {
		t.Fatalf("%v %v", c, err)
	}
	if demo.OffsetAgo(6) != 90 || demo.OffsetAgo(2) != 110 {
		t.Fatal(demo.OffsetAgo(6))
	}
}
