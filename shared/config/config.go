// Package config reads offsetreset's one YAML file (SPEC §6): targets, policy, alert rules and
// notification sinks. Unknown keys are errors, so a misspelt safety setting never goes unnoticed.
// Secrets are never in the file; it names environment variables.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"offsetreset/shared/credentials"
)

// MaxFileBytes bounds the config file.
const MaxFileBytes = 1 << 20

// File is the whole configuration.
type File struct {
	Targets map[string]Target `yaml:"targets"`
	Policy  []PolicyRule      `yaml:"policy"`
	Alerts  []AlertRule       `yaml:"alerts"`
	Notify  []Notify          `yaml:"notify"`
	// MaxGroups bounds how many groups one command's groups globs may expand to (default 50).
	MaxGroups int `yaml:"maxGroups"`
	// MaxAlertsPerWebhook bounds how many firing alerts of one webhook or event act (default
	// DefaultMaxAlertsPerWebhook); the rest are answered ignored.
	MaxAlertsPerWebhook int `yaml:"maxAlertsPerWebhook"`
	// PolicySet is true when the file has a policy key at all (even an empty list), which
	// replaces the defaults of SPEC §6.
	PolicySet bool `yaml:"-"`
}

// Target is one backend.
type Target struct {
	Provider string `yaml:"provider"`
	// Cloud targets.
	Region   string `yaml:"region"`
	Instance string `yaml:"instance"`
	// Endpoint overrides the service endpoint (VPC endpoint, gateway, emulator); http:// only
	// when written explicitly.
	Endpoint string `yaml:"endpoint"`
	Project  string `yaml:"project"`
	Engine   string `yaml:"engine"`
	// API selects an alternative API route where a provider has two (huaweikafka: management).
	API string `yaml:"api"`
	// QPS and Concurrency pace calls to a cloud API (defaults 10 and 4).
	QPS         float64 `yaml:"qps"`
	Concurrency int     `yaml:"concurrency"`
	// Kafka-protocol targets.
	Brokers []string `yaml:"brokers"`
	// TLS is `true`, `false` or a map (private CA, client certificate, server name): see TLS.
	TLS TLS `yaml:"tls"`
	// SASL is PLAIN, SCRAM-SHA-256/512, AWS_MSK_IAM or OAUTHBEARER: see SASL.
	SASL *SASL `yaml:"sasl"`

	credentials.Names `yaml:",inline"`
}

// PolicyRule allows one trigger kind to do something (SPEC §6).
type PolicyRule struct {
	Name       string   `yaml:"name"`
	Triggers   []string `yaml:"triggers"`
	Principals []string `yaml:"principals"`
	// Channels limits chat rules to conversations ("slack:C024BE91L", "dingtalk:cidXXXX"); empty = any.
	Channels []string `yaml:"channels"`
	Targets  []string `yaml:"targets"`
	Groups   []string `yaml:"groups"`
	Topics   []string `yaml:"topics"`
	To       []string `yaml:"to"`
	Apply    *bool    `yaml:"apply"`
	MaxSkip  int64    `yaml:"maxSkip"`
}

// AlertRule turns a firing alert into a command.
type AlertRule struct {
	Name   string            `yaml:"name"`
	Source string            `yaml:"source"`
	Match  map[string]string `yaml:"match"`
	Target string            `yaml:"target"`
	Group  string            `yaml:"group"`
	// Groups, instead of group: names or globs expanded through the backend's group list.
	Groups  []string `yaml:"groups"`
	Topics  []string `yaml:"topics"`
	To      string   `yaml:"to"`
	MinLag  int64    `yaml:"minLag"`
	MaxSkip int64    `yaml:"maxSkip"`
	DryRun  bool     `yaml:"dryRun"`
	// SameDelivery is the window in which deliveries of one notification (the same alert
	// identity: Alertmanager/Grafana fingerprint and startsAt, CloudWatch alarm and state change
	// time, …) are one delivery: webhook retries and HA peers inside it act at most once. A later
	// re-notification (Alertmanager's repeat_interval) is a new chance to act, gated by minLag.
	// A Go duration; default DefaultSameDelivery.
	SameDelivery string `yaml:"sameDelivery"`
}

// DefaultSameDelivery is the sameDelivery window of an alert rule that sets none: longer than
// webhook retries and HA peer gossip take, shorter than Alertmanager's default repeat_interval (4h).
const DefaultSameDelivery = 30 * time.Minute

// MaxSameDelivery bounds sameDelivery.
const MaxSameDelivery = 24 * time.Hour

// SameDeliveryWindow is the rule's sameDelivery as a duration (checked by Check).
func (a AlertRule) SameDeliveryWindow() time.Duration {
	if a.SameDelivery == "" {
		return DefaultSameDelivery
	}
	d, _ := time.ParseDuration(a.SameDelivery)
	return d
}

// DefaultMaxAlertsPerWebhook is how many firing alerts of one webhook act when the file says nothing.
const DefaultMaxAlertsPerWebhook = 100

// AlertForms are the to forms an alert rule may use: re-applying them keeps their meaning, so a
// re-notification cannot move a group further than the first did. shift: and offset: would.
var AlertForms = []string{"latest", "earliest", "time", "ago"}

// Notify is one notification sink.
type Notify struct {
	Kind      string `yaml:"kind"`
	URLEnv    string `yaml:"urlEnv"`
	SecretEnv string `yaml:"secretEnv"`
}

// Trigger kinds of the policy.
var TriggerKinds = []string{"api", "schedule", "alert", "chat", "cli"}

// AlertSources are the alert webhook and event sources.
var AlertSources = []string{"alertmanager", "grafana", "cloudmonitor", "cloudeye", "cloudwatch"}

// nameRE and unknownField are compiled on first use: nothing is compiled at start-up (cold start).
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// Load reads the file at path. Relative tls.caFile, certFile and keyFile are then read from the
// file's directory (TLS.Dir), so that they ship beside it in the deployment zip.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", filepath.Base(path), err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.setDir(dir)
	return cfg, nil
}

// Parse reads and checks a configuration. Provider-specific fields are checked when the targets
// are built (package targets), which names the field to fix.
func Parse(b []byte) (*File, error) {
	if len(b) > MaxFileBytes {
		return nil, errors.New("the file is larger than 1 MiB")
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var cfg File
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty; it needs at least a targets section")
		}
		return nil, yamlError(err)
	}
	var probe struct {
		Policy *yaml.Node `yaml:"policy"`
	}
	_ = yaml.Unmarshal(b, &probe)
	cfg.PolicySet = probe.Policy != nil
	return &cfg, cfg.Check()
}

var unknownField = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`) })

var typeWords = map[string]string{"File": "at the top level", "Target": "in a target", "SASL": "in sasl",
	"PolicyRule": "in a policy rule", "AlertRule": "in an alert rule", "Notify": "in a notify entry"}

// yamlError rewrites the YAML library's errors as sentences: "line 2: unknown key brokr in a target".
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		l = unknownField().ReplaceAllStringFunc(l, func(m string) string {
			sub := unknownField().FindStringSubmatch(m)
			return fmt.Sprintf("unknown key %q %s; check its spelling against the configuration reference", sub[1], typeWords[sub[2]])
		})
		if l != "" {
			lines = append(lines, l)
		}
	}
	return errors.New(strings.Join(lines, "; "))
}

// Check validates what does not depend on a provider.
func (c *File) Check() error {
	if len(c.Targets) == 0 {
		return errors.New("no targets: add a targets section naming at least one backend")
	}
	for _, name := range c.TargetNames() {
		t := c.Targets[name]
		if !nameRE().MatchString(name) {
			return fmt.Errorf("targets.%s: a target name uses letters, digits, '.', '_' and '-' (at most 64)", name)
		}
		if t.Provider == "" {
			return fmt.Errorf("targets.%s: provider is missing", name)
		}
		if t.QPS < 0 || t.QPS > 1000 {
			return fmt.Errorf("targets.%s: qps %v is out of range (0 < qps ≤ 1000; leave it out for the default 10)", name, t.QPS)
		}
		if t.Concurrency < 0 || t.Concurrency > 64 {
			return fmt.Errorf("targets.%s: concurrency %d is out of range (1 to 64; leave it out for the default 4)", name, t.Concurrency)
		}
	}
	for i, r := range c.Policy {
		where := fmt.Sprintf("policy[%d]", i)
		if r.Name != "" {
			where = fmt.Sprintf("policy %q", r.Name)
		}
		if len(r.Triggers) == 0 {
			return fmt.Errorf("%s: triggers is empty; list some of %s", where, strings.Join(TriggerKinds, ", "))
		}
		for _, k := range r.Triggers {
			if !contains(TriggerKinds, k) {
				return fmt.Errorf("%s: unknown trigger %q; use %s", where, k, strings.Join(TriggerKinds, ", "))
			}
		}
		for _, f := range r.To {
			if !contains([]string{"latest", "earliest", "offset", "shift", "time", "ago", "group", "current"}, f) {
				return fmt.Errorf("%s: unknown to form %q; use latest, earliest, offset (also explicit offsets), shift, time, ago, group, current", where, f)
			}
		}
		if r.MaxSkip < 0 {
			return fmt.Errorf("%s: maxSkip is negative; it bounds |skipped|, 0 = no limit", where)
		}
		for _, list := range [][]string{r.Targets, r.Groups, r.Topics, r.Principals, r.Channels} {
			for _, g := range list {
				if _, err := path.Match(g, ""); err != nil {
					return fmt.Errorf("%s: bad glob %q", where, g)
				}
			}
		}
	}
	for i, a := range c.Alerts {
		where := fmt.Sprintf("alerts[%d]", i)
		if a.Name != "" {
			where = fmt.Sprintf("alert rule %q", a.Name)
		}
		if !contains(AlertSources, a.Source) {
			return fmt.Errorf("%s: source %q is not one of %s", where, a.Source, strings.Join(AlertSources, ", "))
		}
		if _, ok := c.Targets[a.Target]; !ok {
			return fmt.Errorf("%s: target %q is not configured; configured targets: %s", where, a.Target, strings.Join(c.TargetNames(), ", "))
		}
		if a.To == "" {
			return fmt.Errorf("%s: to is missing (e.g. latest or ago:10m)", where)
		}
		form, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(a.To)), ":")
		if !contains(AlertForms, form) {
			return fmt.Errorf("%s: to %q is not allowed in an alert rule: a re-sent or repeated alert would move the group again; use latest, earliest, time:T or ago:D", where, a.To)
		}
		if a.SameDelivery != "" {
			d, err := time.ParseDuration(a.SameDelivery)
			if err != nil || d <= 0 || d > MaxSameDelivery {
				return fmt.Errorf("%s: sameDelivery %q is not a duration between 1s and 24h (e.g. 30m)", where, a.SameDelivery)
			}
		}
		if a.Group != "" && len(a.Groups) > 0 {
			return fmt.Errorf("%s: set group or groups, not both", where)
		}
		for _, g := range a.Groups {
			if _, err := path.Match(g, ""); err != nil {
				return fmt.Errorf("%s: bad glob %q in groups", where, g)
			}
		}
		if len(a.Match) == 0 {
			return fmt.Errorf("%s: match is empty; an alert rule must match at least the alert name", where)
		}
		if a.MinLag < 0 || a.MaxSkip < 0 {
			return fmt.Errorf("%s: minLag and maxSkip cannot be negative", where)
		}
	}
	if c.MaxAlertsPerWebhook < 0 || c.MaxAlertsPerWebhook > 10000 {
		return fmt.Errorf("maxAlertsPerWebhook %d is out of range (1 to 10000; leave it out for the default %d)", c.MaxAlertsPerWebhook, DefaultMaxAlertsPerWebhook)
	}
	if c.MaxGroups < 0 || c.MaxGroups > 1000 {
		return fmt.Errorf("maxGroups %d is out of range (1 to 1000; leave it out for the default 50)", c.MaxGroups)
	}
	for i, n := range c.Notify {
		if !contains([]string{"slack", "dingtalk", "webhook"}, n.Kind) {
			return fmt.Errorf("notify[%d]: kind %q is not one of slack, dingtalk, webhook", i, n.Kind)
		}
		if n.URLEnv == "" {
			return fmt.Errorf("notify[%d]: urlEnv is missing; name the environment variable holding the webhook URL", i)
		}
	}
	return nil
}

// TargetNames lists the configured target names, sorted.
func (c *File) TargetNames() []string {
	names := make([]string, 0, len(c.Targets))
	for n := range c.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
