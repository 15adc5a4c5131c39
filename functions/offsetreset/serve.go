package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"offsetreset/functions/run"
	"offsetreset/shared/config"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/cloudeye"
)

// demoSecrets are set for the embedded default when the variables are unset, so every route can
// be tried locally; serve prints the API token on startup (it only opens the embedded demo).
var demoSecrets = map[string]string{
	"OFFSETRESET_API_TOKEN":            "demo-api-token",
	"OFFSETRESET_WEBHOOK_TOKEN":        "demo-webhook-token",
	"OFFSETRESET_WEBHOOK_HMAC_SECRET":  "demo-hmac-secret",
	"OFFSETRESET_SLACK_SIGNING_SECRET": "demo-slack-signing-secret",
	"OFFSETRESET_DINGTALK_APP_SECRET":  "demo-dingtalk-app-secret",
	"OFFSETRESET_CONFIRM_SECRET":       "demo-confirm-secret",
}

// runServe is `offsetreset serve`: the handler every platform serves (server.Local: /invoke
// answers only this machine) on a laptop, for a configuration's targets or the embedded demo
// backends, with JSON logs on stderr and the address and a few commands to try on stdout.
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default: /invoke is unauthenticated here)")
	cfgFlag := fs.String("config", "", "config file (default $OFFSETRESET_CONFIG, then ./"+defaultConfigFile+"; with neither, the embedded demo backends)")
	policyPath := fs.String("policy", "", "with the embedded demo backends: take policy, alerts and notify from this file (e.g. events/demo.yaml)")
	if exit, ok := parseFlagsOnly(fs, args, stderr, "serve takes only flags (-addr, -config, -policy), not %q"); !ok {
		return exit
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, nil)))
	path, err := configPath(*cfgFlag)
	if err != nil {
		sayf(stderr, "%v", err)
		return exitUsage
	}
	if path != "" && *policyPath != "" {
		sayf(stderr, "-policy only applies to the embedded demo backends; put the policy into %s instead", path)
		return exitUsage
	}
	if path == "" {
		for k, v := range demoSecrets {
			if os.Getenv(k) == "" {
				os.Setenv(k, v)
			}
		}
	}
	b, err := openBackend(context.Background(), path, true, io.Discard)
	if err != nil {
		sayf(stderr, "%v", err)
		return exitUsage
	}
	defer b.Close()
	svc := b.svc
	var banner []string
	if path != "" {
		banner = append(banner, "config "+path+": targets "+strings.Join(svc.Config.TargetNames(), ", "))
	} else {
		banner = append(banner, "no config given: started the embedded demo backends (nothing here touches a real cloud)")
		banner = append(banner, b.env.Lines...)
		banner = append(banner, demoSecretsLine())
		if *policyPath != "" {
			p, err := config.Load(*policyPath)
			if err != nil {
				sayf(stderr, "-policy %s: %v", *policyPath, err)
				return exitUsage
			}
			if err := b.env.UsePolicy(p); err != nil {
				sayf(stderr, "-policy %s: %v", *policyPath, err)
				return exitUsage
			}
			// The service was built before the policy file's notify sinks were known.
			if svc, err = server.New(b.env.Config); err != nil {
				sayf(stderr, "-policy %s: %v", *policyPath, err)
				return exitUsage
			}
			banner = append(banner, fmt.Sprintf("policy, %d alert rule(s) and %d notify sink(s) from %s", len(p.Alerts), len(p.Notify), *policyPath))
		} else {
			banner = append(banner, "no -policy: chat and alert triggers are denied (the default); try -policy events/demo.yaml")
		}
		// Nothing leaves the laptop in demo mode: SMN confirmations and chat replies are logged.
		svc.CloudEye = &cloudeye.Client{Get: func(_ context.Context, u string) ([]byte, error) {
			slog.Info("demo: would GET (SMN subscription confirmation)", "url", u)
			return nil, nil
		}}
		svc.ReplyTransport = server.LoggedReplies{}
	}
	try := tryLines(svc.Config, path == "")
	run.Serve(*addr, svc.Handler(server.Local), func(bound string) {
		fmt.Fprintf(stdout, "offsetreset listening on http://%s\n", bound)
		for _, l := range banner {
			fmt.Fprintln(stdout, "  "+l)
		}
		// The banner ends with an empty line, so a reader knows it has all of it.
		fmt.Fprintf(stdout, "\nTry:\n%s\n", strings.ReplaceAll(try, "ADDR", bound))
	})
	return exitOK
}

// tryLines are the banner's commands to try on what is served (ADDR stands for the address): on
// the embedded demo a plan, a status and a dry run on three of its backends; with a
// configuration, its first target and a group to fill in.
func tryLines(cfg *config.File, embedded bool) string {
	first := cfg.TargetNames()[0]
	plan, status, dryRun := [2]string{first, "GROUP"}, [2]string{first, "GROUP"}, [2]string{first, "GROUP"}
	auth, note := "", "   (with OFFSETRESET_API_TOKEN set)"
	if embedded {
		plan, status, dryRun = [2]string{"demo", "billing"}, [2]string{"hw-rmq-demo", "billing"}, [2]string{"ali-kafka-demo", "orders-etl"}
		if tok := os.Getenv("OFFSETRESET_API_TOKEN"); tok == demoSecrets["OFFSETRESET_API_TOKEN"] {
			auth, note = "OFFSETRESET_API_TOKEN="+tok+" ", ""
		}
	}
	return fmt.Sprintf(`  %[1]soffsetreset plan -remote http://ADDR %[3]s %[4]s latest%[2]s
  %[1]soffsetreset status -remote http://ADDR %[5]s %[6]s
  curl -s -H 'Content-Type: application/json' -d '{"target":"%[7]s","group":"%[8]s","to":"latest","dryRun":true}' http://ADDR/invoke
`, auth, note, plan[0], plan[1], status[0], status[1], dryRun[0], dryRun[1])
}

// demoSecretsLine says which API token the embedded demo answers: the demo value is printed, a
// token from the caller's environment never is.
func demoSecretsLine() string {
	if tok := os.Getenv("OFFSETRESET_API_TOKEN"); tok == demoSecrets["OFFSETRESET_API_TOKEN"] {
		return "demo secrets: OFFSETRESET_API_TOKEN=" + tok + " (the other unset secrets have demo values too: see functions/offsetreset/serve.go)"
	}
	return "secrets: OFFSETRESET_API_TOKEN is taken from your environment (unset secrets have demo values: see functions/offsetreset/serve.go)"
}
