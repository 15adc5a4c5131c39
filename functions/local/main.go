// Command local runs the offsetreset server on a laptop. With a config file (-config, or
// $OFFSETRESET_CONFIG) it serves those targets; without one it starts the embedded default: an
// in-process Kafka broker and the cloud API emulators, seeded with demo topics, groups and lag.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"offsetreset/functions/run"
	"offsetreset/shared/config"
	"offsetreset/shared/demo"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/cloudeye"
)

// demoSecrets are set for the embedded default when the variables are unset, so every route can
// be tried locally; they are printed on startup.
var demoSecrets = map[string]string{
	"OFFSETRESET_API_TOKEN":            "demo-api-token",
	"OFFSETRESET_WEBHOOK_TOKEN":        "demo-webhook-token",
	"OFFSETRESET_WEBHOOK_HMAC_SECRET":  "demo-hmac-secret",
	"OFFSETRESET_SLACK_SIGNING_SECRET": "demo-slack-signing-secret",
	"OFFSETRESET_DINGTALK_APP_SECRET":  "demo-dingtalk-app-secret",
	"OFFSETRESET_CONFIRM_SECRET":       "demo-confirm-secret",
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (loopback by default: /invoke is unauthenticated here)")
	cfgPath := flag.String("config", os.Getenv("OFFSETRESET_CONFIG"), "config file; empty = embedded demo backends")
	policyPath := flag.String("policy", "", "with the embedded backends: take policy, alerts and notify from this file (e.g. events/demo.yaml)")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))

	var cfg *config.File
	var banner []string
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "offsetreset:", err)
			os.Exit(1)
		}
		cfg = c
		banner = append(banner, "config "+*cfgPath+": targets "+strings.Join(c.TargetNames(), ", "))
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		env, err := demo.Start(ctx)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "offsetreset: embedded demo backends did not start:", err)
			os.Exit(1)
		}
		defer env.Close()
		cfg = env.Config
		banner = append(banner, "no config given: started the embedded demo backends (nothing here touches a real cloud)")
		banner = append(banner, env.Lines...)
		for k, v := range demoSecrets {
			if os.Getenv(k) == "" {
				os.Setenv(k, v)
			}
		}
		banner = append(banner, "demo secrets: OFFSETRESET_API_TOKEN=demo-api-token (others: see functions/local/main.go)")
		if *policyPath != "" {
			p, err := config.Load(*policyPath)
			if err != nil {
				fmt.Fprintln(os.Stderr, "offsetreset:", err)
				os.Exit(1)
			}
			cfg.Policy, cfg.Alerts, cfg.Notify, cfg.PolicySet = p.Policy, p.Alerts, p.Notify, p.PolicySet
			if err := cfg.Check(); err != nil {
				fmt.Fprintln(os.Stderr, "offsetreset: -policy", *policyPath+":", err)
				os.Exit(1)
			}
			banner = append(banner, fmt.Sprintf("policy, %d alert rule(s) and %d notify sink(s) from %s", len(p.Alerts), len(p.Notify), *policyPath))
		} else {
			banner = append(banner, "no -policy: chat and alert triggers are denied (the default); try -policy events/demo.yaml")
		}
	}
	svc, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "offsetreset:", err)
		os.Exit(1)
	}
	if *cfgPath == "" {
		// Nothing leaves the laptop in demo mode: SMN confirmations and DingTalk replies are logged.
		svc.CloudEye = &cloudeye.Client{Get: func(_ context.Context, u string) ([]byte, error) {
			slog.Info("demo: would GET (SMN subscription confirmation)", "url", u)
			return nil, nil
		}}
		svc.DingTalkPost = func(_ context.Context, hook string, _ []byte) error {
			slog.Info("demo: would post the reply to the DingTalk session webhook")
			return nil
		}
	}
	run.Serve(*addr, svc.Handler(server.Local), func(bound string) {
		fmt.Printf("offsetreset listening on http://%s\n", bound)
		for _, l := range banner {
			fmt.Println("  " + l)
		}
		fmt.Printf(`
Try:
  curl -s -d '{"target":"demo","group":"billing","to":"latest","dryRun":true}' http://%[1]s/invoke
  curl -s -H 'Authorization: Bearer demo-api-token' -d '{"target":"demo","group":"billing","topics":["orders"],"to":"ago:6h"}' http://%[1]s/v1/reset
`, bound)
	})
}
