package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files a packed configuration's tls names ship beside it at the same relative paths; a file
// outside its directory cannot, and is refused with the reason.
func TestPackShipsTLSFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "certs"), 0o755)
	os.WriteFile(filepath.Join(dir, "certs", "ca.pem"), []byte("CA"), 0o644)
	os.WriteFile(filepath.Join(dir, "client.key"), []byte("KEY"), 0o600)
	os.WriteFile(filepath.Join(dir, "client.pem"), []byte("CERT"), 0o644)
	cfg := filepath.Join(dir, "prod.yaml")
	os.WriteFile(cfg, []byte("targets:\n  k:\n    provider: kafka\n    brokers: [\"b:9093\"]\n    tls: {caFile: certs/ca.pem, certFile: client.pem, keyFile: client.key}\n"), 0o644)
	entries, err := withTLSFiles([]string{"offsetreset.yaml=" + cfg})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.zip")
	if err := pack(out, entries); err != nil {
		t.Fatal(err)
	}
	z, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "offsetreset.yaml certs/ca.pem client.pem client.key" {
		t.Fatalf("zip holds %v", names)
	}
	os.WriteFile(cfg, []byte("targets:\n  k:\n    provider: kafka\n    brokers: [\"b:9093\"]\n    tls: {caFile: ../ca.pem}\n"), 0o644)
	if _, err := withTLSFiles([]string{"offsetreset.yaml=" + cfg}); err == nil || !strings.Contains(err.Error(), "tls file ../ca.pem is outside the configuration's directory") {
		t.Fatalf("%v", err)
	}
}
