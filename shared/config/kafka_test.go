package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTLSForms(t *testing.T) {
	for in, want := range map[string]TLS{
		"tls: true":  {Enabled: true},
		"tls: false": {},
		"tls: {}":    {Enabled: true},
		"tls: {caFile: certs/ca.pem, serverName: kafka.internal}":                         {Enabled: true, CAFile: "certs/ca.pem", ServerName: "kafka.internal"},
		"tls:\n      caEnv: KAFKA_CA\n      certEnv: KAFKA_CERT\n      keyEnv: KAFKA_KEY": {Enabled: true, CAEnv: "KAFKA_CA", CertEnv: "KAFKA_CERT", KeyEnv: "KAFKA_KEY"},
		"tls: {certFile: c.pem, keyFile: c.key}":                                          {Enabled: true, CertFile: "c.pem", KeyFile: "c.key"},
	} {
		c, err := Parse([]byte("targets:\n  k:\n    provider: kafka\n    brokers: ['h:9093']\n    " + in + "\n"))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := c.Targets["k"].TLS; got != want {
			t.Errorf("%q: %+v, want %+v", in, got, want)
		}
	}
}

func TestTLSAndSASLErrors(t *testing.T) {
	for in, want := range map[string]string{
		"tls: yes":                         `line 5: tls is "yes"; write true, false, or a map of caFile, caEnv, certFile, keyFile, certEnv, keyEnv, serverName`,
		"tls: 1":                           `line 5: tls is "1"; write true, false, or a map of caFile, caEnv, certFile, keyFile, certEnv, keyEnv, serverName`,
		"tls: [ca.pem]":                    `line 5: tls must be true, false, or a map of caFile, caEnv, certFile, keyFile, certEnv, keyEnv, serverName`,
		"tls: {cafile: ca.pem}":            `line 5: unknown key "cafile" in tls; use caFile, caEnv, certFile, keyFile, certEnv, keyEnv, serverName`,
		"tls: {caFile: [a, b]}":            `line 5: tls.caFile must be a string`,
		"tls: {caFile: a, caFile: b}":      `line 5: tls.caFile is given twice`,
		"sasl: {mechanism: PLAIN, usr: x}": `line 5: unknown key "usr" in sasl; check its spelling against the configuration reference`,
	} {
		_, err := Parse([]byte("targets:\n  k:\n    provider: kafka\n    brokers: ['h:9093']\n    " + in + "\n"))
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", in, err, want)
		}
	}
}

func TestTLSCheck(t *testing.T) {
	for _, c := range []struct {
		tls  TLS
		want string
	}{
		{TLS{Enabled: true, CAFile: "a", CAEnv: "B"}, "tls: set caFile or caEnv, not both"},
		{TLS{Enabled: true, KeyFile: "k"}, "tls: certFile and keyFile go together (the client certificate and its private key)"},
		{TLS{Enabled: true, CertEnv: "C"}, "tls: certEnv and keyEnv go together (the client certificate and its private key)"},
		{TLS{Enabled: true, CertFile: "c", KeyFile: "k", CertEnv: "C", KeyEnv: "K"}, "tls: give the client certificate as certFile/keyFile or as certEnv/keyEnv, not both"},
		{TLS{Enabled: true, CAEnv: "A", CertEnv: "C", KeyEnv: "K", ServerName: "s"}, ""},
	} {
		err := c.tls.Check()
		if (err == nil) != (c.want == "") || err != nil && err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.tls, err, c.want)
		}
	}
}

func TestSASLCheck(t *testing.T) {
	for _, c := range []struct {
		s    SASL
		want string
	}{
		{SASL{Mechanism: "scram-sha-512", Username: "u", PasswordEnv: "P"}, ""},
		{SASL{Mechanism: "PLAIN", Username: "u"}, "sasl needs username and passwordEnv (the name of the variable holding the password)"},
		{SASL{Mechanism: "PLAIN", Username: "u", PasswordEnv: "P", TokenEnv: "T"}, "sasl.tokenEnv is for OAUTHBEARER; PLAIN uses username and passwordEnv"},
		{SASL{Mechanism: "AWS_MSK_IAM"}, ""},
		{SASL{Mechanism: "AWS_MSK_IAM", PasswordEnv: "P"}, "sasl AWS_MSK_IAM signs with the function's role credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); remove username, passwordEnv and tokenEnv"},
		{SASL{Mechanism: "OAUTHBEARER", TokenEnv: "T"}, ""},
		{SASL{Mechanism: "OAUTHBEARER"}, "sasl OAUTHBEARER needs tokenEnv (the name of the variable holding the token)"},
		{SASL{Mechanism: "OAUTHBEARER", TokenEnv: "T", Username: "u"}, "sasl OAUTHBEARER identifies the client by its token; remove username and passwordEnv"},
		{SASL{Mechanism: "GSSAPI"}, `sasl.mechanism "GSSAPI" is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM or OAUTHBEARER`},
	} {
		err := c.s.Check()
		if (err == nil) != (c.want == "") || err != nil && err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.s, err, c.want)
		}
	}
}

// TestLoadRecordsDir: files a tls map names are read relative to the configuration file, so they
// ship beside it in the deployment zip; Parse (no file) leaves them relative to the working
// directory.
func TestLoadRecordsDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offsetreset.yaml")
	y := "targets:\n  k:\n    provider: kafka\n    brokers: ['h:9093']\n    tls: {caFile: certs/ca.pem, certFile: /abs/client.pem, keyFile: client.key}\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tls := c.Targets["k"].TLS
	if tls.Dir != dir || tls.Path(tls.CAFile) != filepath.Join(dir, "certs/ca.pem") || tls.Path(tls.CertFile) != "/abs/client.pem" || tls.Path(tls.KeyFile) != filepath.Join(dir, "client.key") {
		t.Errorf("dir %q: caFile %s certFile %s keyFile %s", tls.Dir, tls.Path(tls.CAFile), tls.Path(tls.CertFile), tls.Path(tls.KeyFile))
	}
	p, err := Parse([]byte(y))
	if err != nil || p.Targets["k"].TLS.Path("certs/ca.pem") != "certs/ca.pem" {
		t.Errorf("Parse: %v %+v", err, p)
	}
}
