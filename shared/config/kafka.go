package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// TLS configures TLS to a Kafka-protocol cluster. In YAML it is `true` (the system roots), `false`
// (plaintext), or a map of the keys below, which means TLS on: production clusters often present a
// certificate from the vendor's own CA (ApsaraMQ for Kafka's SSL endpoint, Huawei DMS's SASL_SSL
// endpoint) or want a client certificate (MSK TLS authentication, Confluent, self-managed mTLS).
type TLS struct {
	// Enabled is true for `tls: true` and for any map.
	Enabled bool `yaml:"-"`
	// CAFile is a PEM file of CA certificates trusted beside the system roots, relative to the
	// configuration file's directory so that it ships in the deployment zip beside it.
	CAFile string `yaml:"caFile"`
	// CAEnv names a variable holding the CA PEM instead.
	CAEnv string `yaml:"caEnv"`
	// CertFile and KeyFile are the client certificate and its key (PEM) for mutual TLS.
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
	// CertEnv and KeyEnv name variables holding them instead (key material on Lambda/FC).
	CertEnv string `yaml:"certEnv"`
	KeyEnv  string `yaml:"keyEnv"`
	// ServerName is the name the brokers' certificates must carry, when it is not the host name
	// the brokers are dialled by (an IP address, a private DNS alias).
	ServerName string `yaml:"serverName"`
	// Dir is the directory of the configuration file (set by Load); relative caFile, certFile
	// and keyFile are read from there. Empty: the working directory.
	Dir string `yaml:"-"`
}

// tlsKeys are the keys a tls map accepts, in the order the messages list them.
var tlsKeys = []string{"caFile", "caEnv", "certFile", "keyFile", "certEnv", "keyEnv", "serverName"}

// UnmarshalYAML reads `tls: true|false` or a map of tlsKeys. Unknown keys are errors, as
// everywhere in the file (a custom unmarshaler does not inherit the decoder's KnownFields).
func (t *TLS) UnmarshalYAML(n *yaml.Node) error {
	fail := func(format string, args ...any) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var on bool
		if n.Tag != "!!bool" || n.Decode(&on) != nil {
			return fail("tls is %q; write true, false, or a map of %s", n.Value, strings.Join(tlsKeys, ", "))
		}
		*t = TLS{Enabled: on}
		return nil
	case yaml.MappingNode:
		v := TLS{Enabled: true}
		fields := map[string]*string{"caFile": &v.CAFile, "caEnv": &v.CAEnv, "certFile": &v.CertFile, "keyFile": &v.KeyFile,
			"certEnv": &v.CertEnv, "keyEnv": &v.KeyEnv, "serverName": &v.ServerName}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			dst, ok := fields[k.Value]
			switch {
			case !ok:
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: unknown key %q in tls; use %s", k.Line, k.Value, strings.Join(tlsKeys, ", "))}}
			case seen[k.Value]:
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: tls.%s is given twice", k.Line, k.Value)}}
			case val.Kind != yaml.ScalarNode || val.Tag != "!!str":
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: tls.%s must be a string", val.Line, k.Value)}}
			}
			seen[k.Value] = true
			*dst = val.Value
		}
		*t = v
		return nil
	}
	return fail("tls must be true, false, or a map of %s", strings.Join(tlsKeys, ", "))
}

// Check reports settings that cannot work together. Whether files and variables exist is
// checked when the client is built (the first command), because they may be supplied later.
func (t TLS) Check() error {
	switch {
	case t.CAFile != "" && t.CAEnv != "":
		return errors.New("tls: set caFile or caEnv, not both")
	case (t.CertFile == "") != (t.KeyFile == ""):
		return errors.New("tls: certFile and keyFile go together (the client certificate and its private key)")
	case (t.CertEnv == "") != (t.KeyEnv == ""):
		return errors.New("tls: certEnv and keyEnv go together (the client certificate and its private key)")
	case t.CertFile != "" && t.CertEnv != "":
		return errors.New("tls: give the client certificate as certFile/keyFile or as certEnv/keyEnv, not both")
	}
	return nil
}

// Path resolves a caFile, certFile or keyFile against the configuration file's directory.
func (t TLS) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || t.Dir == "" {
		return p
	}
	return filepath.Join(t.Dir, p)
}

// The SASL mechanisms of a kafka target.
const (
	SASLPlain       = "PLAIN"
	SASLScram256    = "SCRAM-SHA-256"
	SASLScram512    = "SCRAM-SHA-512"
	SASLAWSMSKIAM   = "AWS_MSK_IAM"
	SASLOAuthBearer = "OAUTHBEARER"
)

// SASLMechanisms lists the mechanisms, as the messages name them.
var SASLMechanisms = []string{SASLPlain, SASLScram256, SASLScram512, SASLAWSMSKIAM, SASLOAuthBearer}

// SASL configures Kafka authentication. Secrets are never in the file: the password (PLAIN,
// SCRAM) and the token (OAUTHBEARER) come from the variables named here; AWS_MSK_IAM signs with
// the function's role credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
type SASL struct {
	Mechanism   string `yaml:"mechanism"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"passwordEnv"`
	// TokenEnv names the variable holding an OAUTHBEARER token.
	TokenEnv string `yaml:"tokenEnv"`
}

// Name is the mechanism as the broker knows it (upper case).
func (s SASL) Name() string { return strings.ToUpper(strings.TrimSpace(s.Mechanism)) }

// Check reports a mechanism that is not supported and keys the mechanism needs or does not use.
func (s SASL) Check() error {
	switch m := s.Name(); m {
	case SASLPlain, SASLScram256, SASLScram512:
		if s.Username == "" || s.PasswordEnv == "" {
			return errors.New("sasl needs username and passwordEnv (the name of the variable holding the password)")
		}
		if s.TokenEnv != "" {
			return fmt.Errorf("sasl.tokenEnv is for OAUTHBEARER; %s uses username and passwordEnv", m)
		}
	case SASLAWSMSKIAM:
		if s.Username != "" || s.PasswordEnv != "" || s.TokenEnv != "" {
			return errors.New("sasl AWS_MSK_IAM signs with the function's role credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); remove username, passwordEnv and tokenEnv")
		}
	case SASLOAuthBearer:
		if s.TokenEnv == "" {
			return errors.New("sasl OAUTHBEARER needs tokenEnv (the name of the variable holding the token)")
		}
		if s.Username != "" || s.PasswordEnv != "" {
			return errors.New("sasl OAUTHBEARER identifies the client by its token; remove username and passwordEnv")
		}
	default:
		return fmt.Errorf("sasl.mechanism %q is not supported; use %s or %s", s.Mechanism,
			strings.Join(SASLMechanisms[:len(SASLMechanisms)-1], ", "), SASLMechanisms[len(SASLMechanisms)-1])
	}
	return nil
}

// setDir records the configuration file's directory in every target's TLS settings.
func (c *File) setDir(dir string) {
	for name, t := range c.Targets {
		t.TLS.Dir = dir
		c.Targets[name] = t
	}
}
