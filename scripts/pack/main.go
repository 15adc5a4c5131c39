// Command pack writes a deployment zip: pack -o out.zip name=path [name=path …]. Entries named
// bootstrap are marked executable, as FC and Lambda require. The entry offsetreset.yaml is the
// configuration: the files its kafka targets' tls names (caFile, certFile, keyFile, relative to
// the configuration's directory) go into the zip at the same relative paths, so they are found
// beside it in the function (/code on FC, /var/task on Lambda).
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"offsetreset/shared/config"
)

func main() {
	if len(os.Args) < 4 || os.Args[1] != "-o" {
		fmt.Fprintln(os.Stderr, "usage: pack -o out.zip name=path [name=path …]")
		os.Exit(2)
	}
	entries, err := withTLSFiles(os.Args[3:])
	if err == nil {
		err = pack(os.Args[2], entries)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

// withTLSFiles adds the files the packed configuration's tls settings name.
func withTLSFiles(entries []string) ([]string, error) {
	for _, e := range entries {
		name, path, _ := strings.Cut(e, "=")
		if name != "offsetreset.yaml" {
			continue
		}
		cfg, err := config.Load(path)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, tname := range cfg.TargetNames() {
			tls := cfg.Targets[tname].TLS
			for _, f := range []string{tls.CAFile, tls.CertFile, tls.KeyFile} {
				if f == "" || seen[f] {
					continue
				}
				seen[f] = true
				rel := filepath.ToSlash(filepath.Clean(f))
				if filepath.IsAbs(f) || rel == ".." || strings.HasPrefix(rel, "../") {
					return nil, fmt.Errorf("target %s: tls file %s is outside the configuration's directory, so it cannot ship beside it in the function; put it next to %s and name it relative to it (or use caEnv/certEnv/keyEnv)", tname, f, filepath.Base(path))
				}
				entries = append(entries, rel+"="+tls.Path(f))
			}
		}
	}
	return entries, nil
}

func pack(out string, entries []string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	z := zip.NewWriter(f)
	for _, e := range entries {
		name, path, ok := strings.Cut(e, "=")
		if !ok {
			return fmt.Errorf("entry %q is not name=path", e)
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode := os.FileMode(0o644)
		if name == "bootstrap" {
			mode = 0o755
		}
		h.SetMode(mode)
		w, err := z.CreateHeader(h)
		if err == nil {
			_, err = io.Copy(w, src)
		}
		src.Close()
		if err != nil {
			return err
		}
	}
	return z.Close()
}
