package server

import (
	"log/slog"
	"os"
	"path/filepath"

	"offsetreset/shared/config"
	"offsetreset/shared/notify"
	"offsetreset/shared/reset"
	"offsetreset/shared/targets"
)

// ConfigPath is $OFFSETRESET_CONFIG, or offsetreset.yaml beside the binary.
func ConfigPath() string {
	if p := os.Getenv("OFFSETRESET_CONFIG"); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return "offsetreset.yaml"
	}
	return filepath.Join(filepath.Dir(exe), "offsetreset.yaml")
}

// New builds a service from a configuration: every target's provider (clients are built on
// first use), the planner, and the secrets from the environment.
func New(cfg *config.File) (*Service, error) {
	set, err := targets.Build(cfg)
	if err != nil {
		return nil, err
	}
	n, err := notify.FromConfig(cfg.Notify, os.Getenv)
	if err != nil {
		return nil, err
	}
	return &Service{Planner: &reset.Planner{Targets: set}, Config: cfg, Secrets: SecretsFromEnv(), Notifier: n}, nil
}

// Load reads the configuration at ConfigPath and builds the service.
func Load() (*Service, error) {
	cfg, err := config.Load(ConfigPath())
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// Boot is the start of every serverless entrypoint: JSON logs on stdout (the platforms collect
// them), the configuration at ConfigPath, and a clear line and exit 1 when it is unusable.
func Boot() *Service {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	svc, err := Load()
	if err != nil {
		slog.Error("offsetreset cannot start", "config", ConfigPath(), "error", err.Error())
		os.Exit(1)
	}
	return svc
}
