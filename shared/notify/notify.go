// Package notify posts the outcome of unattended resets (schedule, alert) to configured sinks:
// a Slack incoming webhook, a DingTalk robot webhook (signed), or a generic JSON webhook. Sends
// are retried briefly; a failed notification is reported, never turned into a failed reset.
// Webhook URLs and secrets are credentials: they never appear in errors or logs.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

// Event is what happened, for a notification.
type Event struct {
	Trigger   string
	Principal string
	Result    *reset.Result
	// Summary, with no Result, is one line standing for several outcomes.
	Summary string
}

// Sink is one destination.
type Sink interface {
	Name() string
	Send(ctx context.Context, ev Event) error
}

// Notifier sends to every sink concurrently.
type Notifier struct {
	Sinks  []Sink
	Client *http.Client
	// Tries per sink (default 3) and the first backoff (default 200 ms, doubling).
	Tries   int
	Backoff time.Duration
}

// FromConfig builds the sinks; a sink whose URL variable is unset is an error naming it.
func FromConfig(list []config.Notify, getenv func(string) string) (*Notifier, error) {
	n := &Notifier{}
	for i, c := range list {
		u := getenv(c.URLEnv)
		if u == "" {
			return nil, fmt.Errorf("notify[%d] (%s): the variable %s holding the webhook URL is not set", i, c.Kind, c.URLEnv)
		}
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return nil, fmt.Errorf("notify[%d] (%s): %s does not hold an http(s) URL", i, c.Kind, c.URLEnv)
		}
		switch c.Kind {
		case "slack":
			n.Sinks = append(n.Sinks, &Slack{URL: u})
		case "dingtalk":
			n.Sinks = append(n.Sinks, &DingTalk{URL: u, Secret: getenv(c.SecretEnv)})
		case "webhook":
			n.Sinks = append(n.Sinks, &Webhook{URL: u})
		}
	}
	return n, nil
}

// Notify sends ev to every sink and returns one line per sink that failed after its retries.
func (n *Notifier) Notify(ctx context.Context, ev Event) []string {
	if n == nil || len(n.Sinks) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tries, backoff := n.Tries, n.Backoff
	if tries <= 0 {
		tries = 3
	}
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for _, s := range n.Sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			for i := 0; i < tries; i++ {
				if err = s.Send(ctx, ev); err == nil {
					return
				}
				t := time.NewTimer(backoff << i)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					i = tries
				}
			}
			mu.Lock()
			failed = append(failed, fmt.Sprintf("notification to %s failed: %v", s.Name(), err))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return failed
}

var defaultClient = &http.Client{Timeout: 5 * time.Second}

func post(ctx context.Context, client *http.Client, u string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// The URL is a credential (Slack, DingTalk): report the failure without it.
		if ue, ok := err.(*url.Error); ok {
			return fmt.Errorf("the webhook could not be reached: %v", ue.Err)
		}
		return fmt.Errorf("the webhook could not be reached")
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// Slack posts to an incoming webhook.
type Slack struct {
	URL    string
	Client *http.Client
}

func (s *Slack) Name() string { return "slack" }

// Send implements Sink.
func (s *Slack) Send(ctx context.Context, ev Event) error {
	return post(ctx, clientOr(s.Client), s.URL, map[string]string{"text": Text(ev, "`")})
}

// DingTalk posts markdown to a custom robot webhook, signed when a secret is set
// (timestamp + "\n" + secret, HMAC-SHA256, base64, as query parameters).
type DingTalk struct {
	URL    string
	Secret string
	Client *http.Client
	Now    func() time.Time
}

func (d *DingTalk) Name() string { return "dingtalk" }

// Send implements Sink.
func (d *DingTalk) Send(ctx context.Context, ev Event) error {
	u := d.URL
	if d.Secret != "" {
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		ts := strconv.FormatInt(now().UnixMilli(), 10)
		m := hmac.New(sha256.New, []byte(d.Secret))
		m.Write([]byte(ts + "\n" + d.Secret))
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return post(ctx, clientOr(d.Client), u, map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"title": Title(ev), "text": Text(ev, "")},
	})
}

// Webhook posts the whole event as JSON.
type Webhook struct {
	URL    string
	Client *http.Client
}

func (w *Webhook) Name() string { return "webhook" }

// Send implements Sink.
func (w *Webhook) Send(ctx context.Context, ev Event) error {
	return post(ctx, clientOr(w.Client), w.URL, map[string]any{"trigger": ev.Trigger, "principal": ev.Principal, "title": Title(ev), "result": ev.Result, "summary": ev.Summary})
}

func clientOr(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return defaultClient
}

// Title is a one-line summary: "applied: prod-kafka billing → latest (skipped 380)".
func Title(ev Event) string {
	r := ev.Result
	if r == nil {
		return "offsetreset: " + ev.Summary
	}
	s := fmt.Sprintf("offsetreset %s: %s %s → %s", r.Status, r.Target, r.Group, r.To)
	if r.Skipped != nil {
		s += fmt.Sprintf(" (skipped %d)", *r.Skipped)
	}
	return s
}

// Text is a short readable report; code quotes undo commands with q (Slack: "`").
func Text(ev Event, q string) string {
	r := ev.Result
	var b strings.Builder
	fmt.Fprintf(&b, "%s\ntrigger %s by %s\n", Title(ev), ev.Trigger, ev.Principal)
	if r == nil {
		return b.String()
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "%s\n", r.Error)
	}
	for i, p := range r.Partitions {
		if i == 20 {
			fmt.Fprintf(&b, "… and %d more partitions\n", len(r.Partitions)-20)
			break
		}
		fmt.Fprintf(&b, "- %s/%d: %s → %s (%s)\n", p.Topic, p.Partition, num(p.Before), num(p.After), p.Status)
	}
	if r.Undo != nil {
		u, _ := json.Marshal(r.Undo)
		fmt.Fprintf(&b, "undo: %s%s%s\n", q, u, q)
	}
	return b.String()
}

func num(v *int64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatInt(*v, 10)
}
