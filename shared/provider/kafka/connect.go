package kafka

// Connecting to clusters as production runs them: TLS with the system roots plus a private CA
// (ApsaraMQ's SSL endpoint, Huawei DMS's SASL_SSL endpoint), client certificates (mTLS), SASL
// PLAIN/SCRAM, AWS_MSK_IAM and OAUTHBEARER; and the translation of what goes wrong on the way
// (certificates, authentication, ACLs, networks) into sentences that say what to change.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"offsetreset/shared/config"
)

// dialTimeout bounds one TCP connect and TLS handshake; the command's deadline bounds it too.
const dialTimeout = 10 * time.Second

// mskUserAgent is the user agent AWS_MSK_IAM signs, so that role policies may condition on
// aws:UserAgent and CloudTrail shows who connected.
const mskUserAgent = "offsetreset"

// checkConnect checks a target's tls and sasl settings without reading files or variables
// (they are read when the client is built, so they may be supplied after the config loads).
func checkConnect(t config.Target) error {
	if err := t.TLS.Check(); err != nil {
		return err
	}
	if t.SASL != nil {
		if err := t.SASL.Check(); err != nil {
			return err
		}
	}
	if t.Region != "" {
		if t.SASL == nil || t.SASL.Name() != config.SASLAWSMSKIAM {
			return errors.New("region applies to provider kafka only with sasl AWS_MSK_IAM (the region the signature names); remove it")
		}
		for _, b := range t.Brokers {
			host, _, _ := net.SplitHostPort(b)
			if r := hostRegion(host); r != "" && r != t.Region {
				return fmt.Errorf("broker %s is in region %s, but region is %s; they must agree", b, r, t.Region)
			}
		}
	}
	return nil
}

// connectOpts are the client options that reach the target: the seed brokers, a dialer (TLS when
// configured) whose errors name the broker, and SASL. Files and variables are read here.
func (p *Provider) connectOpts() ([]kgo.Opt, error) {
	tc, err := tlsConfig(p.cfg.TLS)
	if err != nil {
		return nil, err
	}
	d := &dialer{net: net.Dialer{Timeout: dialTimeout}, tls: tc}
	opts := []kgo.Opt{kgo.SeedBrokers(p.cfg.Brokers...), kgo.Dialer(d.dial)}
	if p.cfg.SASL != nil {
		m, err := saslMechanism(p.cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// tlsConfig is the client TLS of a target: TLS 1.2+, the system roots plus the CA of caFile or
// caEnv, the client certificate of certFile/keyFile or certEnv/keyEnv, and serverName. nil when
// TLS is off.
func tlsConfig(t config.TLS) (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" || t.CAEnv != "" {
		ca, where, err := material(t, t.CAFile, "caFile", t.CAEnv, "caEnv", "the CA certificate")
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("%s holds no PEM certificate; it must be the CA certificate (-----BEGIN CERTIFICATE-----) your provider publishes", where)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" || t.CertEnv != "" {
		cert, cwhere, err := material(t, t.CertFile, "certFile", t.CertEnv, "certEnv", "the client certificate")
		if err != nil {
			return nil, err
		}
		key, kwhere, err := material(t, t.KeyFile, "keyFile", t.KeyEnv, "keyEnv", "the client certificate's private key")
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil { // the message names no key material
			return nil, fmt.Errorf("the client certificate (%s) and key (%s) do not load: %v; both must be PEM and the key must belong to the certificate", cwhere, kwhere, err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// material reads PEM from a file (relative to the configuration file's directory) or a variable.
// A variable may hold the PEM as is, with its newlines written as \n (one-line consoles), or
// base64-encoded. where names the source for messages.
func material(t config.TLS, file, fileKey, env, envKey, what string) (pem []byte, where string, err error) {
	if file != "" {
		where = "tls." + fileKey + " " + file
		b, err := os.ReadFile(t.Path(file))
		if err != nil {
			return nil, where, fmt.Errorf("%s cannot be read: %v; the path is relative to the configuration file, and the file must be deployed beside it", where, err)
		}
		return b, where, nil
	}
	where = "tls." + envKey + " " + env
	v := strings.TrimSpace(os.Getenv(env))
	if v == "" {
		return nil, where, fmt.Errorf("tls.%s names %s, which is not set; put %s (PEM) in it", envKey, env, what)
	}
	if !strings.Contains(v, "-----BEGIN") {
		if b, err := base64.StdEncoding.DecodeString(v); err == nil {
			return b, where, nil
		}
	}
	if !strings.Contains(v, "\n") {
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	return []byte(v), where, nil
}

// saslMechanism builds the target's SASL mechanism. PLAIN and SCRAM read the password now;
// AWS_MSK_IAM and OAUTHBEARER read their credentials on every authentication, so a rotated
// token or session is picked up by new connections.
func saslMechanism(t config.Target) (sasl.Mechanism, error) {
	s := t.SASL
	switch m := s.Name(); m {
	case config.SASLPlain, config.SASLScram256, config.SASLScram512:
		pass, ok := os.LookupEnv(s.PasswordEnv)
		if !ok || pass == "" {
			return nil, fmt.Errorf("the SASL password variable %s is not set", s.PasswordEnv)
		}
		switch m {
		case config.SASLPlain:
			return plain.Auth{User: s.Username, Pass: pass}.AsMechanism(), nil
		case config.SASLScram256:
			return scram.Auth{User: s.Username, Pass: pass}.AsSha256Mechanism(), nil
		default:
			return scram.Auth{User: s.Username, Pass: pass}.AsSha512Mechanism(), nil
		}
	case config.SASLAWSMSKIAM:
		if _, err := mskAuth(); err != nil {
			return nil, err
		}
		if err := mskRegion(t); err != nil {
			return nil, err
		}
		return aws.ManagedStreamingIAM(func(context.Context) (aws.Auth, error) { return mskAuth() }), nil
	case config.SASLOAuthBearer:
		if _, err := bearer(s.TokenEnv); err != nil {
			return nil, err
		}
		return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
			tok, err := bearer(s.TokenEnv)
			return oauth.Auth{Token: tok}, err
		}), nil
	}
	return nil, s.Check() // unreachable after New: the mechanism was checked there
}

// mskAuth is the function's role credentials, as Lambda puts them in its environment.
func mskAuth() (aws.Auth, error) {
	a := aws.Auth{
		AccessKey:    os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:    os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
		UserAgent:    mskUserAgent,
	}
	if a.AccessKey == "" || a.SecretKey == "" {
		return a, errors.New("sasl AWS_MSK_IAM signs with the function's role credentials, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; run it on Lambda with an execution role (or export them)")
	}
	return a, nil
}

// mskRegion checks that AWS_MSK_IAM can name the cluster's region. franz-go signs for the region
// in the broker's host name (b-1.<cluster>.<id>.c2.kafka.<region>.amazonaws.com, the names MSK
// gives) and otherwise for AWS_REGION (or AWS_DEFAULT_REGION); a target's region must agree.
func mskRegion(t config.Target) error {
	env := os.Getenv("AWS_REGION")
	if env == "" {
		env = os.Getenv("AWS_DEFAULT_REGION")
	}
	for _, b := range t.Brokers {
		host, _, _ := net.SplitHostPort(b)
		if hostRegion(host) != "" {
			continue
		}
		switch {
		case env == "" && t.Region != "":
			return fmt.Errorf("broker %s does not name its region, so AWS_MSK_IAM signs for AWS_REGION, which is not set; set AWS_REGION=%s or list the brokers by the names MSK gives them", b, t.Region)
		case env == "":
			return fmt.Errorf("broker %s does not name its region, so AWS_MSK_IAM signs for AWS_REGION, which is not set; set AWS_REGION to the cluster's region or list the brokers by the names MSK gives them", b)
		case t.Region != "" && env != t.Region:
			return fmt.Errorf("broker %s does not name its region, so AWS_MSK_IAM signs for AWS_REGION %s, but region is %s; list the brokers by the names MSK gives them", b, env, t.Region)
		}
	}
	return nil
}

// hostRegion is the AWS region in a host name, found as franz-go's sasl/aws finds it, or "".
func hostRegion(host string) string {
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".c2s.ic.gov", ".sc2s.sgov.gov"} {
		if rest, ok := strings.CutSuffix(host, suffix); ok {
			if i := strings.LastIndexByte(rest, '.'); i >= 0 {
				return rest[i+1:]
			}
			return ""
		}
	}
	return ""
}

// bearer is the OAUTHBEARER token in the named variable.
func bearer(env string) (string, error) {
	tok := strings.TrimSpace(os.Getenv(env))
	if tok == "" {
		return "", fmt.Errorf("sasl.tokenEnv names %s, which is not set; put the OAUTHBEARER token in it", env)
	}
	return tok, nil
}

// dialer connects to one broker, with TLS when configured, and names the broker in the errors of
// the connect and the handshake (and in a TLS alert the broker sends once the handshake is over,
// as a TLS 1.3 broker does when it requires a client certificate it was not given).
type dialer struct {
	net net.Dialer
	tls *tls.Config
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &brokerError{addr: addr, err: err}
	}
	if d.tls == nil {
		return conn, nil
	}
	c := d.tls.Clone()
	if c.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			conn.Close()
			return nil, &brokerError{addr: addr, err: err}
		}
		c.ServerName = host
	}
	tc := tls.Client(conn, c)
	// The handshake is bounded like the connect, also for the client's own requests, whose
	// context has no deadline: a broker that accepts and then says nothing must not hold them.
	_ = conn.SetDeadline(time.Now().Add(d.net.Timeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, &brokerError{addr: addr, err: err, handshake: true}
	}
	_ = conn.SetDeadline(time.Time{})
	return &alertConn{Conn: tc, addr: addr}, nil
}

// brokerError is an error of one broker's connection; handshake marks the TLS handshake's.
type brokerError struct {
	addr      string
	err       error
	handshake bool
}

func (e *brokerError) Error() string { return e.addr + ": " + e.err.Error() }
func (e *brokerError) Unwrap() error { return e.err }

// alertConn names the broker in a TLS alert read after the handshake. Other errors pass
// unchanged, so the client's handling of EOF and timeouts is not affected.
type alertConn struct {
	net.Conn
	addr string
}

func (c *alertConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && isAlert(err) {
		err = &brokerError{addr: c.addr, err: err}
	}
	return n, err
}

// isAlert reports whether err is a TLS alert from the peer ("remote error: tls: …").
func isAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// explain says what went wrong in connecting and what to change, or "" when err is not a
// connection, TLS or authentication error.
func (p *Provider) explain(err error) string {
	addr := p.brokers()
	var be *brokerError
	if errors.As(err, &be) {
		addr = "broker " + be.addr
	}
	t := p.cfg.TLS
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		firstEOF  *kgo.ErrFirstReadEOF
		dns       *net.DNSError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA) && strings.Contains(unknownCA.Error(), "insecure algorithm"):
		return fmt.Sprintf("%s presented a certificate signed with an algorithm Go refuses (%v); the cluster needs a certificate signed with SHA-256 or better (ApsaraMQ: switch the instance to its 4096-bit certificate and use that CA)", addr, unknownCA)
	case errors.As(err, &unknownCA):
		issuer := ""
		if unknownCA.Cert != nil {
			issuer = fmt.Sprintf(" (issuer %q)", unknownCA.Cert.Issuer.String())
		}
		if t.CAFile != "" || t.CAEnv != "" {
			return fmt.Sprintf("%s presented a certificate%s that neither the system roots nor the CA in %s sign; set %s to the CA your provider publishes for this endpoint", addr, issuer, caSource(t), strings.Fields(caSource(t))[0])
		}
		return fmt.Sprintf("%s presented a certificate signed by an unknown authority%s; set tls.caFile (or tls.caEnv) to the CA your provider publishes", addr, issuer)
	case errors.As(err, &hostname):
		names := "no host names"
		if c := hostname.Certificate; c != nil {
			var all []string
			all = append(all, c.DNSNames...)
			for _, ip := range c.IPAddresses {
				all = append(all, ip.String())
			}
			if len(all) > 0 {
				names = strings.Join(all, ", ")
			}
		}
		return fmt.Sprintf("%s presented a certificate for %s, not for %q; set tls.serverName to a name the certificate carries, or list the brokers by that name", addr, names, hostname.Host)
	case errors.As(err, &invalid):
		return fmt.Sprintf("%s presented a certificate that is not valid (%v); the cluster's certificate must be renewed or fixed", addr, invalid)
	case errors.As(err, &record):
		return fmt.Sprintf("%s does not speak TLS on this port (%v); set tls to false, or use the port of the cluster's TLS listener", addr, record)
	case be != nil && be.handshake && errors.As(err, &op) && op.Timeout():
		return fmt.Sprintf("%s accepted the connection but did not complete the TLS handshake within %v; check that this is the cluster's TLS port and that the function is on the cluster's network", addr, dialTimeout)
	case be != nil && be.handshake && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		return fmt.Sprintf("%s does not speak TLS on this port (it closed the connection during the TLS handshake); set tls to false, or use the port of the cluster's TLS listener", addr)
	case isAlert(err):
		alert := err.Error()
		if i := strings.Index(alert, "remote error: "); i >= 0 {
			alert = alert[i+len("remote error: "):]
		}
		hasCert := t.CertFile != "" || t.CertEnv != ""
		switch {
		case !hasCert && (strings.Contains(alert, "certificate required") || strings.Contains(alert, "bad certificate") || strings.Contains(alert, "handshake failure")):
			return fmt.Sprintf("%s requires a client certificate (mutual TLS; it answered %q); set tls.certFile and tls.keyFile (or tls.certEnv and tls.keyEnv) to a certificate the cluster trusts", addr, alert)
		case hasCert && (strings.Contains(alert, "certificate") || strings.Contains(alert, "unknown certificate authority")):
			return fmt.Sprintf("%s rejected the client certificate (it answered %q); use a certificate signed by a CA the cluster trusts for clients, and not expired", addr, alert)
		}
		return fmt.Sprintf("%s ended the TLS session (it answered %q); check the tls settings against the cluster's listener", addr, alert)
	case errors.As(err, &firstEOF) && p.answered.Load():
		// The brokers answered this client before: a connection closed on its first request now
		// is a dropped connection, not a listener refusing plaintext or a client without SASL.
		return fmt.Sprintf("%s closed the connection before answering", addr)
	case errors.As(err, &firstEOF) && strings.Contains(firstEOF.Error(), "TLS missing"):
		return fmt.Sprintf("%s closed the connection at once, as a TLS listener does to a plaintext client; set tls (true, or a map naming your provider's CA), or use the cluster's plaintext port", addr)
	case errors.As(err, &firstEOF) && strings.Contains(firstEOF.Error(), "SASL missing"):
		return fmt.Sprintf("%s closed the connection after the first request, as a SASL listener does to a client without SASL; set sasl, or use a port without authentication", addr)
	case errors.As(err, &firstEOF):
		return fmt.Sprintf("%s closed the connection at once (%v); check tls and sasl against the listener of this port", addr, firstEOF)
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return p.saslRefused()
	case p.cfg.SASL != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		// Kafka answers SASL_AUTHENTICATION_FAILED (KIP-152); some brokers and proxies close the
		// connection instead, which the client sees as EOF.
		return fmt.Sprintf("%s closed the connection (EOF), which is how some brokers refuse SASL credentials: %s", addr, p.saslRefused())
	case errors.Is(err, kerr.UnsupportedSaslMechanism) && p.cfg.SASL != nil:
		return fmt.Sprintf("%s does not offer SASL %s on this port; use a mechanism the listener enables, or the port that enables this one (AWS MSK: 9096 SCRAM, 9098 IAM)", addr, p.cfg.SASL.Name())
	case errors.Is(err, kerr.IllegalSaslState):
		return fmt.Sprintf("%s did not expect SASL on this port (%v); remove sasl, or use the port of the SASL listener", addr, err)
	case errors.As(err, &dns):
		return fmt.Sprintf("%s does not resolve (%v); check the host name: private endpoints resolve only inside the cluster's VPC, so the function must run there (vpcConfig in s.yaml, VpcConfig in deploy/aws/template.yaml)", addr, dns)
	case errors.As(err, &op) && op.Op == "dial":
		return fmt.Sprintf("%s cannot be reached (%v); a function reaches brokers only on their network: deploy it into the cluster's VPC (vpcConfig in s.yaml, VpcConfig in deploy/aws/template.yaml) and let the brokers' security group admit it", addr, op.Err)
	}
	return ""
}

// brokers names the configured brokers: "broker h:p" or "brokers h1:p, h2:p".
func (p *Provider) brokers() string {
	if len(p.cfg.Brokers) == 1 {
		return "broker " + p.cfg.Brokers[0]
	}
	return "brokers " + strings.Join(p.cfg.Brokers, ", ")
}

func caSource(t config.TLS) string {
	if t.CAFile != "" {
		return "tls.caFile " + t.CAFile
	}
	return "tls.caEnv " + t.CAEnv
}

// saslRefused names the mechanism and the user of a refused authentication; never the password.
func (p *Provider) saslRefused() string {
	s := p.cfg.SASL
	if s == nil {
		return "the brokers refused SASL authentication, but sasl is not configured; set it"
	}
	switch m := s.Name(); m {
	case config.SASLAWSMSKIAM:
		return "the brokers refused AWS_MSK_IAM authentication of the function's role; allow kafka-cluster:Connect on the cluster in the role's policy (deploy/policies/aws-iam.json), check that the cluster has IAM access control on, and use its IAM port (9098)"
	case config.SASLOAuthBearer:
		return fmt.Sprintf("the brokers refused the OAUTHBEARER token in %s; it may be expired or issued for another cluster", s.TokenEnv)
	default:
		return fmt.Sprintf("the brokers refused SASL %s authentication for user %q; check the password in %s, and that the user exists for %s on this cluster (SCRAM users are stored per mechanism)", m, s.Username, s.PasswordEnv, m)
	}
}

// principal names who the brokers see, for ACL messages.
func (p *Provider) principal() string {
	if s := p.cfg.SASL; s != nil {
		switch s.Name() {
		case config.SASLAWSMSKIAM:
			return "the function's IAM role"
		case config.SASLOAuthBearer:
			return "the principal of the OAUTHBEARER token"
		default:
			return "User:" + s.Username
		}
	}
	if t := p.cfg.TLS; t.CertFile != "" || t.CertEnv != "" {
		return "the client certificate's principal (User:<its subject>)"
	}
	return "the client's principal (User:ANONYMOUS without authentication)"
}

// aclOp is the permission an operation needs on a group or topic (Kafka's table of operations
// and resources on protocols; KIP-231 for ListGroups).
type aclOp struct {
	prefix       string // how the provider names the operation (wireErr's what)
	names        string // what the rest of what names: "group", "topic" or ""
	group, topic string // Kafka ACL operation on the group / topic
}

var aclOps = []aclOp{
	{"describe group ", "group", "Describe", ""},                         // DescribeGroups
	{"fetch the committed offsets of ", "group", "Describe", "Describe"}, // OffsetFetch
	{"read the committed offsets of ", "group", "Describe", "Describe"},  // OffsetFetch after a commit
	{"commit offsets for ", "group", "Read", "Read"},                     // OffsetCommit
	{"list the consumer groups", "", "Describe", ""},                     // ListGroups (Kafka ≥ 2.1)
	{"read topic ", "topic", "", "Describe"},                             // Metadata, ListOffsets
	{"list log ", "", "", "Describe"},                                    // ListOffsets
	{"list offsets by time", "", "", "Describe"},                         // ListOffsets
}

// mskAction is the MSK IAM action that grants a Kafka ACL operation on a group or a topic
// (docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
func mskAction(resource, op string) string {
	switch resource + " " + op {
	case "group Describe":
		return "kafka-cluster:DescribeGroup"
	case "group Read":
		return "kafka-cluster:AlterGroup"
	case "topic Describe":
		return "kafka-cluster:DescribeTopic"
	case "topic Read":
		return "kafka-cluster:ReadData"
	}
	return "kafka-cluster:DescribeCluster"
}

// aclNeed says which permission on which resource the principal lacks for an operation named
// what ("describe group g", "read topic t", …), given the broker's authorization error.
func (p *Provider) aclNeed(what string, err error) string {
	var op aclOp
	name := ""
	for _, o := range aclOps {
		if rest, ok := strings.CutPrefix(what, o.prefix); ok {
			op, name = o, rest
			break
		}
	}
	var kind, perm, on string
	switch {
	case errors.Is(err, kerr.GroupAuthorizationFailed):
		kind, perm, on = "group", op.group, "the groups"
		if op.names == "group" && name != "" {
			on = "group " + name
		}
	case errors.Is(err, kerr.TopicAuthorizationFailed):
		kind, perm, on = "topic", op.topic, "the command's topics"
		if op.names == "topic" && name != "" {
			on = "topic " + name
		}
	default: // CLUSTER_AUTHORIZATION_FAILED: ListGroups on brokers older than Kafka 2.1
		return fmt.Sprintf("%s needs Describe on the cluster (MSK IAM: kafka-cluster:DescribeCluster); grant it with an ACL or the role's policy", p.principal())
	}
	if perm == "" {
		perm = "Describe"
	}
	return fmt.Sprintf("%s needs %s on %s (MSK IAM: %s); grant it with an ACL or the role's policy", p.principal(), perm, on, mskAction(kind, perm))
}

// isACL reports whether err is a broker's authorization refusal.
func isACL(err error) bool {
	return errors.Is(err, kerr.GroupAuthorizationFailed) || errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.ClusterAuthorizationFailed)
}

// kerrName is the protocol name of a broker error (GROUP_AUTHORIZATION_FAILED), or err's text.
func kerrName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}
