package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/demo"
	"offsetreset/shared/server"
	"offsetreset/shared/targets"
)

// defaultConfigFile is looked for in the working directory when neither -config nor
// $OFFSETRESET_CONFIG names a file: an operator keeps it beside their work, not beside the binary.
const defaultConfigFile = "offsetreset.yaml"

// configPath decides which configuration the command uses: the -config flag, then
// $OFFSETRESET_CONFIG, then ./offsetreset.yaml when it exists; "" means none, and the embedded
// demo backends are used. A file named by the flag or the variable must exist.
func configPath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv("OFFSETRESET_CONFIG"); p != "" {
		return p, nil
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s cannot be read (%v); fix its permissions or name another file with -config", defaultConfigFile, err)
	}
	return "", nil
}

// backend is the service the command runs on: a configuration's targets, or the embedded demo.
type backend struct {
	svc *server.Service
	// path is the configuration file; "" for the embedded demo backends.
	path string
	// env is the running embedded demo (nil with a configuration); Close stops it.
	env *demo.Env
}

// Close stops the embedded demo backends, if they run.
func (b *backend) Close() {
	if b.env != nil {
		b.env.Close()
	}
}

// openBackend loads the configuration at path (see configPath) and builds the service, or starts
// the embedded demo backends when path is "" and says so on stderr in one line. A configuration
// that does not load is an error whose sentence names the file and what is wrong. keepNotify
// keeps the configuration's notify sinks, for serve, which runs alert and schedule triggers.
func openBackend(ctx context.Context, path string, keepNotify bool, stderr io.Writer) (*backend, error) {
	if path != "" {
		cfg, err := config.Load(path)
		if err != nil {
			return nil, fmt.Errorf("config %s: %v", path, err)
		}
		if !keepNotify {
			// Only schedule and alert resets notify; the sinks' URLs live in the function's
			// environment, not necessarily in the operator's.
			cfg.Notify = nil
		}
		svc, err := server.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("config %s: %v", path, err)
		}
		return &backend{svc: svc, path: path}, nil
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	env, err := demo.Start(sctx)
	if err != nil {
		return nil, fmt.Errorf("the embedded demo backends did not start: %v", err)
	}
	svc, err := server.New(env.Config)
	if err != nil {
		env.Close()
		return nil, err
	}
	sayf(stderr, "no configuration (-config, $OFFSETRESET_CONFIG, ./%s): using the embedded demo backends %s; nothing here touches a real cloud",
		defaultConfigFile, strings.Join(env.Config.TargetNames(), ", "))
	return &backend{svc: svc, env: env}, nil
}

// runCheckConfig is `offsetreset check-config`: it loads a configuration the way every function
// does (targets, policy, alert rules; no backend is contacted) and says what it found, so
// `make build` and `make deploy-*` can refuse a broken CONFIG before building.
func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check-config", stderr)
	cfgFlag := fs.String("config", "", "the configuration to check (default $OFFSETRESET_CONFIG, then ./"+defaultConfigFile+")")
	if exit, ok := parseFlagsOnly(fs, args, stderr, "check-config takes no words, only -config FILE (got %q)"); !ok {
		return exit
	}
	path, err := configPath(*cfgFlag)
	if err != nil {
		sayf(stderr, "%v", err)
		return exitUsage
	}
	if path == "" {
		sayf(stderr, "no configuration to check: name one with -config FILE")
		return exitUsage
	}
	// The file and its targets, as every function checks them at start; the secrets and notify
	// URLs are the function's environment, not this machine's, and are not checked here.
	cfg, err := config.Load(path)
	if err == nil {
		_, err = targets.Build(cfg)
	}
	if err != nil {
		sayf(stderr, "config %s: %v", path, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "config %s: %d target(s) (%s), %d policy rule(s), %d alert rule(s), %d notify sink(s)\n",
		path, len(cfg.Targets), strings.Join(cfg.TargetNames(), ", "), len(cfg.Policy), len(cfg.Alerts), len(cfg.Notify))
	return exitOK
}
