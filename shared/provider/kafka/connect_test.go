package kafka

// Connectivity as production clusters run it, on kfake brokers with TLS, mutual TLS, SASL/SCRAM
// and ACLs; a CA and certificates are made here. Every case drives the real planner and reads
// the committed offsets back from the broker: moved where the command succeeds, unchanged where
// it fails, and the failure is a sentence that says what to change.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
	"offsetreset/shared/reset/resettest"
)

// pki is a test CA and the PEM of the certificates it signed.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newPKI(t *testing.T, cn string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &pki{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a certificate for a server (DNS names and IPs) or a client; it answers the
// certificate and key PEM and the tls.Certificate.
func (ca *pki) issue(t *testing.T, cn string, client bool, dns []string, ips ...net.IP) (certPEM, keyPEM []byte, pair tls.Certificate) {
	return ca.issueWith(t, 0, cn, client, dns, ips...)
}

// issueWith is issue with a signature algorithm (0: the default).
func (ca *pki) issueWith(t *testing.T, alg x509.SignatureAlgorithm, cn string, client bool, dns []string, ips ...net.IP) (certPEM, keyPEM []byte, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            pkix.Name{CommonName: cn},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:           dns,
		IPAddresses:        ips,
		SignatureAlgorithm: alg,
	}
	if client {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair
}

// secure is a kfake cluster behind TLS (and optionally mTLS, SASL and ACLs) holding topic orders
// (2 partitions × 10 messages) and group g committed at orders/0=2, orders/1=3.
type secure struct {
	c     *kfake.Cluster
	addrs []string
	adm   *kadm.Client
	ca    *pki
	// clientCert, clientKey: a client certificate the cluster accepts.
	clientCert, clientKey []byte
}

type clusterOpts struct {
	tls, mtls, sasl bool
	sha1            bool        // the server certificate is signed with SHA-1
	users           []kfake.Opt // kfake.User options (ACLs on)
}

const adminPass = "admin-secret"

func startSecure(t *testing.T, o clusterOpts) *secure {
	t.Helper()
	ca := newPKI(t, "offsetreset test CA")
	alg := x509.UnknownSignatureAlgorithm
	if o.sha1 {
		alg = x509.ECDSAWithSHA1
	}
	_, _, server := ca.issueWith(t, alg, "kafka.test", false, []string{"kafka.test"}, net.IPv4(127, 0, 0, 1))
	clientCert, clientKey, clientPair := ca.issue(t, "offsetreset", true, nil)
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, "orders")}
	adminTLS := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: x509.NewCertPool()}
	adminTLS.RootCAs.AddCert(ca.cert)
	adminTLS.InsecureSkipVerify = o.sha1 // the test's own client must still seed and read back
	if o.tls {
		st := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{server}}
		if o.mtls {
			st.ClientAuth = tls.RequireAndVerifyClientCert
			st.ClientCAs = x509.NewCertPool()
			st.ClientCAs.AddCert(ca.cert)
			adminTLS.Certificates = []tls.Certificate{clientPair}
		}
		opts = append(opts, kfake.TLS(st))
	}
	if o.sasl {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "admin", adminPass))
		if len(o.users) > 0 {
			opts = append(opts, kfake.EnableACLs())
			opts = append(opts, o.users...)
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	copts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0)}
	if o.tls {
		copts = append(copts, kgo.DialTLSConfig(adminTLS))
	}
	if o.sasl {
		copts = append(copts, kgo.SASL(scram.Auth{User: "admin", Pass: adminPass}.AsSha512Mechanism()))
	}
	cl, err := kgo.NewClient(copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for p := int32(0); p < 2; p++ {
		recs := make([]*kgo.Record, 10)
		for i := range recs {
			recs[i] = &kgo.Record{Topic: "orders", Partition: p, Value: fmt.Appendf(nil, "m%d", i)}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(cl)
	offs := make(kadm.Offsets)
	offs.AddOffset("orders", 0, 2, -1)
	offs.AddOffset("orders", 1, 3, -1)
	if err := adm.CommitAllOffsets(ctx, "g", offs); err != nil {
		t.Fatal(err)
	}
	return &secure{c: c, addrs: c.ListenAddrs(), adm: adm, ca: ca, clientCert: clientCert, clientKey: clientKey}
}

var (
	unmoved = map[int32]int64{0: 2, 1: 3}
	moved   = map[int32]int64{0: 10, 1: 10}
)

// committed reads group g's offsets of orders back from the broker, as the superuser.
func (s *secure) committed(t *testing.T) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.adm.FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	r.Each(func(o kadm.OffsetResponse) {
		if o.Topic == "orders" && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// load writes a configuration beside the CA file and loads it as the function does, so that a
// relative caFile is read from the configuration file's directory.
func (s *secure) load(t *testing.T, target string) config.Target {
	t.Helper()
	dir := t.TempDir()
	for name, b := range map[string][]byte{"certs/ca.pem": s.ca.pem, "certs/client.pem": s.clientCert, "certs/client.key": s.clientKey} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	y := fmt.Sprintf("targets:\n  k:\n    provider: kafka\n    brokers: [%q]\n%s", s.addrs[0], target)
	path := filepath.Join(dir, "offsetreset.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	return cfg.Targets["k"]
}

// run plans and applies orders → latest for group g through the real planner, within d.
func run(t *testing.T, tgt config.Target, d time.Duration) (*reset.Result, time.Duration) {
	t.Helper()
	prov, err := New("k", tgt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prov.(*Provider).Close)
	planner := &reset.Planner{Targets: resettest.Only("k", prov), Now: time.Now}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	res := planner.Run(ctx, reset.Command{Target: "k", Group: "g", Topics: []string{"orders"}, To: "latest"}, reset.Options{})
	return res, time.Since(start)
}

// check runs one case: the status, the parts the error must name (and must not: secrets), and
// the offsets read back.
func check(t *testing.T, s *secure, tgt config.Target, want reset.Status, after map[int32]int64, parts ...string) *reset.Result {
	t.Helper()
	res, _ := run(t, tgt, 20*time.Second)
	t.Logf("%s: %s", res.Status, res.Error) // the sentence a user sees
	resettest.WantError(t, res, want, parts...)
	if got := s.committed(t); !maps.Equal(got, after) {
		t.Fatalf("committed offsets on the broker = %v, want %v\n%s", got, after, resettest.Dump(res))
	}
	return res
}

func TestTLS(t *testing.T) {
	s := startSecure(t, clusterOpts{tls: true})
	broker := "broker " + s.addrs[0]
	t.Run("no CA: the system roots do not know it", func(t *testing.T) {
		check(t, s, s.load(t, "    tls: true\n"), reset.StatusFailed, unmoved,
			broker+" presented a certificate signed by an unknown authority",
			"set tls.caFile (or tls.caEnv) to the CA your provider publishes")
	})
	t.Run("a CA that did not sign it", func(t *testing.T) {
		other := newPKI(t, "someone else")
		t.Setenv("OTHER_CA", string(other.pem))
		check(t, s, s.load(t, "    tls: {caEnv: OTHER_CA}\n"), reset.StatusFailed, unmoved,
			"that neither the system roots nor the CA in tls.caEnv OTHER_CA sign")
	})
	t.Run("wrong serverName", func(t *testing.T) {
		check(t, s, s.load(t, "    tls: {caFile: certs/ca.pem, serverName: kafka.example.com}\n"), reset.StatusFailed, unmoved,
			broker+` presented a certificate for kafka.test, 127.0.0.1, not for "kafka.example.com"`,
			"set tls.serverName to a name the certificate carries")
	})
	t.Run("plaintext client on the TLS port", func(t *testing.T) {
		check(t, s, s.load(t, ""), reset.StatusFailed, unmoved,
			broker+" closed the connection at once, as a TLS listener does to a plaintext client", "set tls (true, or a map naming your provider's CA)")
	})
	t.Run("caFile relative to the configuration file", func(t *testing.T) {
		tgt := s.load(t, "    tls: {caFile: certs/ca.pem}\n")
		if !filepath.IsAbs(tgt.TLS.Path(tgt.TLS.CAFile)) {
			t.Fatalf("caFile resolves to %s, want a path in the configuration's directory", tgt.TLS.Path(tgt.TLS.CAFile))
		}
		check(t, s, tgt, reset.StatusApplied, moved)
	})
}

// TestTLSSHA1: a certificate signed with SHA-1 (ApsaraMQ's older 1024-bit certificates) is
// refused by Go whatever CA is given; the sentence says so rather than blaming the CA.
func TestTLSSHA1(t *testing.T) {
	s := startSecure(t, clusterOpts{tls: true, sha1: true})
	check(t, s, s.load(t, "    tls: {caFile: certs/ca.pem}\n"), reset.StatusFailed, unmoved,
		"broker "+s.addrs[0]+" presented a certificate signed with an algorithm Go refuses", "the cluster needs a certificate signed with SHA-256 or better")
}

func TestTLSCAFromVariable(t *testing.T) {
	for name, val := range map[string]func(pem []byte) string{
		"PEM":                 func(b []byte) string { return string(b) },
		"PEM on one line":     func(b []byte) string { return strings.ReplaceAll(string(b), "\n", `\n`) },
		"base64-encoded PEM":  func(b []byte) string { return base64.StdEncoding.EncodeToString(b) },
		"server name matches": func(b []byte) string { return string(b) },
	} {
		t.Run(name, func(t *testing.T) {
			s := startSecure(t, clusterOpts{tls: true})
			t.Setenv("KAFKA_CA", val(s.ca.pem))
			extra := ""
			if name == "server name matches" {
				extra = ", serverName: kafka.test"
			}
			check(t, s, s.load(t, "    tls: {caEnv: KAFKA_CA"+extra+"}\n"), reset.StatusApplied, moved)
		})
	}
}

// TestTLSToPlaintextListener: Kafka reads a TLS ClientHello as a request of over 100 MB
// (socket.request.max.bytes) and closes the connection; kfake would wait for the rest, so a
// listener that does what Kafka does stands in for the broker's plaintext port.
func TestTLSToPlaintextListener(t *testing.T) {
	s := startSecure(t, clusterOpts{})
	plain := kafkaPlaintextPort(t)
	tgt := s.load(t, "    tls: true\n")
	tgt.Brokers = []string{plain}
	check(t, s, tgt, reset.StatusFailed, unmoved,
		"broker "+plain+" does not speak TLS on this port (it closed the connection during the TLS handshake)",
		"set tls to false, or use the port of the cluster's TLS listener")
}

// kafkaPlaintextPort reads the size of each connection's first request and closes the connection
// when it is over Kafka's socket.request.max.bytes (100 MiB), as a Kafka plaintext listener does.
func kafkaPlaintextPort(t *testing.T) string {
	t.Helper()
	return serveConns(t, func(c net.Conn) {
		var size [4]byte
		if _, err := io.ReadFull(c, size[:]); err == nil && binary.BigEndian.Uint32(size[:]) > 100<<20 {
			c.Close()
			return
		}
		c.Close()
	})
}

// listen listens on a free loopback port.
func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serveConns runs handle on each connection a loopback listener accepts, one after the other,
// until the test ends, when it stops listening and waits for the accept loop to end; it returns
// the listener's address.
func serveConns(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			handle(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return l.Addr().String()
}

func TestMutualTLS(t *testing.T) {
	s := startSecure(t, clusterOpts{tls: true, mtls: true})
	t.Run("client certificate missing", func(t *testing.T) {
		check(t, s, s.load(t, "    tls: {caFile: certs/ca.pem}\n"), reset.StatusFailed, unmoved,
			"broker "+s.addrs[0]+" requires a client certificate",
			"set tls.certFile and tls.keyFile (or tls.certEnv and tls.keyEnv)")
	})
	t.Run("client certificate from another CA", func(t *testing.T) {
		other := newPKI(t, "someone else")
		c, k, _ := other.issue(t, "intruder", true, nil)
		t.Setenv("CLIENT_CERT", string(c))
		t.Setenv("CLIENT_KEY", string(k))
		check(t, s, s.load(t, "    tls: {caFile: certs/ca.pem, certEnv: CLIENT_CERT, keyEnv: CLIENT_KEY}\n"), reset.StatusFailed, unmoved,
			"broker "+s.addrs[0]+" rejected the client certificate")
	})
	t.Run("client certificate from files", func(t *testing.T) {
		check(t, s, s.load(t, "    tls: {caFile: certs/ca.pem, certFile: certs/client.pem, keyFile: certs/client.key}\n"), reset.StatusApplied, moved)
	})
}

func TestMutualTLSFromVariables(t *testing.T) {
	s := startSecure(t, clusterOpts{tls: true, mtls: true})
	t.Setenv("KAFKA_CA", string(s.ca.pem))
	t.Setenv("CLIENT_CERT", string(s.clientCert))
	t.Setenv("CLIENT_KEY", string(s.clientKey))
	check(t, s, s.load(t, "    tls: {caEnv: KAFKA_CA, certEnv: CLIENT_CERT, keyEnv: CLIENT_KEY}\n"), reset.StatusApplied, moved)
}

func TestSCRAMOverTLS(t *testing.T) {
	const pass = "s3cret-Pa55"
	s := startSecure(t, clusterOpts{tls: true, sasl: true})
	// ops is created as a superuser-equivalent: ACLs are not on in this cluster.
	if _, err := s.adm.AlterUserSCRAMs(context.Background(), nil, []kadm.UpsertSCRAM{{User: "ops", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: pass}}); err != nil {
		t.Fatal(err)
	}
	sasl := "    tls: {caFile: certs/ca.pem}\n    sasl: {mechanism: SCRAM-SHA-512, username: ops, passwordEnv: KAFKA_PASSWORD}\n"
	t.Run("wrong password, connection closed (kfake)", func(t *testing.T) {
		t.Setenv("KAFKA_PASSWORD", "not-the-password")
		res := check(t, s, s.load(t, sasl), reset.StatusFailed, unmoved,
			"closed the connection (EOF), which is how some brokers refuse SASL credentials",
			`the brokers refused SASL SCRAM-SHA-512 authentication for user "ops"; check the password in KAFKA_PASSWORD`)
		if b, _ := json.Marshal(res); strings.Contains(string(b), "not-the-password") {
			t.Fatalf("the result shows the password: %s", b)
		}
	})
	t.Run("wrong password, SASL_AUTHENTICATION_FAILED (Kafka)", func(t *testing.T) {
		refuseLikeKafka(t, s.c, "ops")
		t.Setenv("KAFKA_PASSWORD", "not-the-password")
		res := check(t, s, s.load(t, sasl), reset.StatusFailed, unmoved,
			`could not describe group g on target k: the brokers refused SASL SCRAM-SHA-512 authentication for user "ops"; check the password in KAFKA_PASSWORD, and that the user exists for SCRAM-SHA-512 on this cluster`)
		if b, _ := json.Marshal(res); strings.Contains(string(b), "not-the-password") {
			t.Fatalf("the result shows the password: %s", b)
		}
	})
	t.Run("password variable unset", func(t *testing.T) {
		os.Unsetenv("KAFKA_PASSWORD")
		check(t, s, s.load(t, sasl), reset.StatusFailed, unmoved, "the SASL password variable KAFKA_PASSWORD is not set")
	})
	t.Run("good password", func(t *testing.T) {
		t.Setenv("KAFKA_PASSWORD", pass)
		res := check(t, s, s.load(t, sasl), reset.StatusApplied, moved)
		if b, _ := json.Marshal(res); strings.Contains(string(b), pass) {
			t.Fatalf("the result shows the password: %s", b)
		}
	})
}

// refuseLikeKafka makes the cluster answer user's final SCRAM message with
// SASL_AUTHENTICATION_FAILED, as Kafka does since KIP-152, instead of closing the connection as
// kfake does. Everyone's first message passes to kfake; user's nonce marks its final message.
// It stops when the test ends.
func refuseLikeKafka(t *testing.T, c *kfake.Cluster, user string) {
	var mu sync.Mutex
	var nonces []string
	stopped := false
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		r := req.(*kmsg.SASLAuthenticateRequest)
		msg := string(r.SASLAuthBytes)
		if nonce, ok := strings.CutPrefix(msg, "n,,n="+user+",r="); ok {
			nonces = append(nonces, nonce)
			return nil, nil, false
		}
		if _, rest, ok := strings.Cut(msg, ",r="); ok && strings.HasPrefix(msg, "c=") {
			for _, n := range nonces {
				if strings.HasPrefix(rest, n) {
					resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
					resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
					m := "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
					resp.ErrorMessage = &m
					return resp, nil, true
				}
			}
		}
		return nil, nil, false
	})
}

func TestACLs(t *testing.T) {
	allow := func(rt kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Resource: rt, Name: name, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
	}
	s := startSecure(t, clusterOpts{tls: true, sasl: true, users: []kfake.Opt{
		// reader may describe group g and read orders, but not join (Read) the group: it can
		// plan but not commit.
		kfake.User("SCRAM-SHA-512", "reader", "reader-pw",
			allow(kmsg.ACLResourceTypeGroup, "g", kmsg.ACLOperationDescribe),
			allow(kmsg.ACLResourceTypeTopic, "orders", kmsg.ACLOperationRead)),
		// stranger may read orders but knows nothing of group g.
		kfake.User("SCRAM-SHA-512", "stranger", "stranger-pw",
			allow(kmsg.ACLResourceTypeTopic, "orders", kmsg.ACLOperationRead)),
		// blind may use the group but not see the topic.
		kfake.User("SCRAM-SHA-512", "blind", "blind-pw",
			allow(kmsg.ACLResourceTypeGroup, "g", kmsg.ACLOperationRead)),
		// ops has what a reset needs.
		kfake.User("SCRAM-SHA-512", "ops", "ops-pw",
			allow(kmsg.ACLResourceTypeGroup, "g", kmsg.ACLOperationRead),
			allow(kmsg.ACLResourceTypeTopic, "orders", kmsg.ACLOperationRead)),
	}})
	target := func(user string) config.Target {
		t.Setenv("PW_"+user, user+"-pw")
		return s.load(t, fmt.Sprintf("    tls: {caFile: certs/ca.pem}\n    sasl: {mechanism: SCRAM-SHA-512, username: %s, passwordEnv: PW_%s}\n", user, user))
	}
	t.Run("no Read on the group: planned, commit refused", func(t *testing.T) {
		check(t, s, target("reader"), reset.StatusFailed, unmoved,
			"GROUP_AUTHORIZATION_FAILED", "needs Read on group g", "kafka-cluster:AlterGroup")
	})
	t.Run("no Describe on the group", func(t *testing.T) {
		check(t, s, target("stranger"), reset.StatusFailed, unmoved,
			"could not describe group g on target k", "User:stranger needs Describe on group g (MSK IAM: kafka-cluster:DescribeGroup)")
	})
	t.Run("no Describe on the topic", func(t *testing.T) {
		check(t, s, target("blind"), reset.StatusFailed, unmoved,
			"TOPIC_AUTHORIZATION_FAILED", "User:blind needs Describe on the command's topics (MSK IAM: kafka-cluster:DescribeTopic)")
	})
	t.Run("the permissions a reset needs", func(t *testing.T) {
		check(t, s, target("ops"), reset.StatusApplied, moved)
	})
}

// TestUnreachable: a broker that refuses connections and one that never answers are named, with
// the VPC advice, within the command's deadline; nothing is written to the real cluster.
func TestUnreachable(t *testing.T) {
	s := startSecure(t, clusterOpts{})
	refused := closedPort(t)
	silent := silentBroker(t)
	for _, c := range []struct {
		name, broker, tls string
		deadline          time.Duration
		parts             []string
	}{
		{"connection refused", refused, "", 5 * time.Second, []string{"broker " + refused + " cannot be reached", "deploy it into the cluster's VPC"}},
		{"no answer before the deadline", silent, "", 1500 * time.Millisecond, []string{"before the deadline: broker " + silent + " did not answer in time", "the function must run there"}},
		{"no TLS handshake before the deadline", silent, "    tls: true\n", 1500 * time.Millisecond, []string{"before the deadline: broker " + silent + " did not answer in time"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tgt := s.load(t, c.tls)
			tgt.Brokers = []string{c.broker}
			res, took := run(t, tgt, c.deadline)
			t.Logf("%s after %v: %s", res.Status, took.Round(time.Millisecond), res.Error)
			resettest.WantError(t, res, reset.StatusFailed, c.parts...)
			if took > c.deadline+time.Second {
				t.Errorf("the command took %v, past its deadline %v", took, c.deadline)
			}
			if got := s.committed(t); !maps.Equal(got, unmoved) {
				t.Fatalf("committed %v, want %v", got, unmoved)
			}
		})
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l := listen(t)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentBroker accepts connections and never answers, as a broker behind a firewall that lets
// the handshake through but nothing else would.
func silentBroker(t *testing.T) string {
	t.Helper()
	var conns []net.Conn
	// Runs after serveConns' cleanup, once the accept loop that appends to conns has ended.
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return serveConns(t, func(c net.Conn) { conns = append(conns, c) })
}

// TestMSKIAM: kfake cannot serve AWS_MSK_IAM, so this checks what the client sends: the
// mechanism is built from the function's role environment and its first message is the signed
// JSON that MSK verifies (the fields of franz-go's pkg/sasl/aws, signed here again with SigV4).
func TestMSKIAM(t *testing.T) {
	const host = "b-1.orders.abc123.c2.kafka.eu-west-1.amazonaws.com"
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_SESSION_TOKEN", "session-token/with+chars")
	t.Setenv("AWS_REGION", "us-east-1") // the host's region wins, as MSK's own client does
	tgt := config.Target{Provider: "kafka", Brokers: []string{host + ":9098"}, TLS: config.TLS{Enabled: true}, SASL: &config.SASL{Mechanism: "AWS_MSK_IAM"}}
	if _, err := New("msk", tgt); err != nil {
		t.Fatal(err)
	}
	fields := mskPayload(t, tgt, host+":9098")
	want := map[string]string{
		"version": "2020_10_22", "host": host, "user-agent": "offsetreset", "action": "kafka-cluster:Connect",
		"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-expires": "300", "x-amz-signedheaders": "host",
		"x-amz-security-token": "session-token/with+chars",
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s = %q, want %q", k, fields[k], v)
		}
	}
	date := fields["x-amz-date"]
	if len(date) != 16 || fields["x-amz-credential"] != "AKIDEXAMPLE/"+date[:8]+"/eu-west-1/kafka-cluster/aws4_request" {
		t.Errorf("x-amz-credential %q (date %q): want the access key and the broker's region", fields["x-amz-credential"], date)
	}
	if got, want := fields["x-amz-signature"], sigV4(fields, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1"); got != want {
		t.Errorf("x-amz-signature %s, want %s (SigV4 of the other fields with the secret key)", got, want)
	}
	for k, v := range fields {
		if strings.Contains(v, "wJalrXUtnFEMI") {
			t.Errorf("the payload carries the secret key in %s", k)
		}
	}

	t.Run("no session token, a broker by IP: AWS_REGION", func(t *testing.T) {
		os.Unsetenv("AWS_SESSION_TOKEN")
		t.Setenv("AWS_REGION", "ap-southeast-1")
		tgt := tgt
		tgt.Brokers, tgt.Region = []string{"10.0.0.5:9098"}, "ap-southeast-1"
		fields := mskPayload(t, tgt, "10.0.0.5:9098")
		if _, ok := fields["x-amz-security-token"]; ok {
			t.Error("x-amz-security-token is sent without a session token")
		}
		if !strings.HasSuffix(fields["x-amz-credential"], "/ap-southeast-1/kafka-cluster/aws4_request") || fields["host"] != "10.0.0.5" {
			t.Errorf("credential %q host %q", fields["x-amz-credential"], fields["host"])
		}
	})
	ipTarget := tgt
	ipTarget.Brokers = []string{"10.0.0.5:9098"}
	for _, c := range []struct {
		name string
		env  map[string]string
		tgt  config.Target
		want string
	}{
		{"no role credentials", map[string]string{"AWS_ACCESS_KEY_ID": ""}, tgt, "sasl AWS_MSK_IAM signs with the function's role credentials, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; run it on Lambda with an execution role (or export them)"},
		{"no region", map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, ipTarget, "broker 10.0.0.5:9098 does not name its region, so AWS_MSK_IAM signs for AWS_REGION, which is not set; set AWS_REGION to the cluster's region or list the brokers by the names MSK gives them"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			prov, err := New("msk", c.tgt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := prov.(*Provider).client(); err == nil || err.Error() != "target msk: "+c.want {
				t.Errorf("client() = %v, want %q", err, c.want)
			}
		})
	}
}

// mskPayload builds the target's mechanism and decodes its first SASL message.
func mskPayload(t *testing.T, tgt config.Target, addr string) map[string]string {
	t.Helper()
	m, err := saslMechanism(tgt)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "AWS_MSK_IAM" {
		t.Fatalf("mechanism %s", m.Name())
	}
	_, first, err := m.Authenticate(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]string
	if err := json.Unmarshal(first, &fields); err != nil {
		t.Fatalf("%v: %s", err, first)
	}
	return fields
}

// sigV4 signs the payload's fields as AWS Signature Version 4 does a presigned GET / with only
// the host header signed (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html).
func sigV4(f map[string]string, secret, region string) string {
	q := url.Values{}
	for k, name := range map[string]string{"action": "Action", "x-amz-algorithm": "X-Amz-Algorithm", "x-amz-credential": "X-Amz-Credential",
		"x-amz-date": "X-Amz-Date", "x-amz-expires": "X-Amz-Expires", "x-amz-signedheaders": "X-Amz-SignedHeaders", "x-amz-security-token": "X-Amz-Security-Token"} {
		if v, ok := f[k]; ok {
			q.Set(name, v)
		}
	}
	canonical := "GET\n/\n" + strings.ReplaceAll(q.Encode(), "+", "%20") + "\nhost:" + f["host"] + "\n\nhost\n" + hexSHA256("")
	scope := f["x-amz-date"][:8] + "/" + region + "/kafka-cluster/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + f["x-amz-date"] + "\n" + scope + "\n" + hexSHA256(canonical)
	key := []byte("AWS4" + secret)
	for _, part := range []string{f["x-amz-date"][:8], region, "kafka-cluster", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hexSHA256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func TestOAuthBearer(t *testing.T) {
	tgt := config.Target{Provider: "kafka", Brokers: []string{"k:9093"}, SASL: &config.SASL{Mechanism: "OAUTHBEARER", TokenEnv: "KAFKA_TOKEN"}}
	t.Setenv("KAFKA_TOKEN", "eyJhbGciOi.token.sig\n")
	m, err := saslMechanism(tgt)
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := m.Authenticate(context.Background(), "k:9093")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "OAUTHBEARER" || string(first) != "n,,\x01auth=Bearer eyJhbGciOi.token.sig\x01\x01" {
		t.Errorf("%s %q", m.Name(), first)
	}
	os.Unsetenv("KAFKA_TOKEN")
	if _, err := saslMechanism(tgt); err == nil || err.Error() != "sasl.tokenEnv names KAFKA_TOKEN, which is not set; put the OAUTHBEARER token in it" {
		t.Errorf("%v", err)
	}
}

// TestConnectConfig: what New refuses before anything is dialled, and what the client refuses
// when a file or variable it names is missing or wrong.
func TestConnectConfig(t *testing.T) {
	base := func(mod func(*config.Target)) config.Target {
		tgt := config.Target{Provider: "kafka", Brokers: []string{"k:9093"}}
		mod(&tgt)
		return tgt
	}
	for _, c := range []struct {
		tgt  config.Target
		want string
	}{
		{base(func(t *config.Target) { t.Region = "eu-west-1" }), "region applies to provider kafka only with sasl AWS_MSK_IAM (the region the signature names); remove it"},
		{base(func(t *config.Target) {
			t.Brokers = []string{"b-1.x.y.c2.kafka.us-east-1.amazonaws.com:9098"}
			t.Region = "eu-west-1"
			t.SASL = &config.SASL{Mechanism: "aws_msk_iam"}
		}), "broker b-1.x.y.c2.kafka.us-east-1.amazonaws.com:9098 is in region us-east-1, but region is eu-west-1; they must agree"},
		{base(func(t *config.Target) { t.SASL = &config.SASL{Mechanism: "AWS_MSK_IAM", Username: "u"} }), "sasl AWS_MSK_IAM signs with the function's role credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); remove username, passwordEnv and tokenEnv"},
		{base(func(t *config.Target) { t.SASL = &config.SASL{Mechanism: "OAUTHBEARER"} }), "sasl OAUTHBEARER needs tokenEnv (the name of the variable holding the token)"},
		{base(func(t *config.Target) { t.TLS = config.TLS{Enabled: true, CertFile: "c.pem"} }), "tls: certFile and keyFile go together (the client certificate and its private key)"},
	} {
		if _, err := New("x", c.tgt); err == nil || err.Error() != c.want {
			t.Errorf("New(%+v) = %v\nwant %s", c.tgt, err, c.want)
		}
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("not a certificate"), 0o600)
	for _, c := range []struct {
		tls  config.TLS
		env  map[string]string
		want *regexp.Regexp
	}{
		{config.TLS{Enabled: true, CAFile: "missing.pem", Dir: dir}, nil,
			regexp.MustCompile(`^target x: tls\.caFile missing\.pem cannot be read: open .*missing\.pem: no such file or directory; the path is relative to the configuration file, and the file must be deployed beside it$`)},
		{config.TLS{Enabled: true, CAFile: "junk.pem", Dir: dir}, nil,
			regexp.MustCompile(`^target x: tls\.caFile junk\.pem holds no PEM certificate; it must be the CA certificate \(-----BEGIN CERTIFICATE-----\) your provider publishes$`)},
		{config.TLS{Enabled: true, CAEnv: "NO_SUCH_CA"}, map[string]string{"NO_SUCH_CA": ""},
			regexp.MustCompile(`^target x: tls\.caEnv names NO_SUCH_CA, which is not set; put the CA certificate \(PEM\) in it$`)},
		{config.TLS{Enabled: true, CertEnv: "C", KeyEnv: "K"}, map[string]string{"C": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "K": "-----BEGIN EC PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END EC PRIVATE KEY-----"},
			regexp.MustCompile(`^target x: the client certificate \(tls\.certEnv C\) and key \(tls\.keyEnv K\) do not load: .*; both must be PEM and the key must belong to the certificate$`)},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		prov, err := New("x", base(func(t *config.Target) { t.TLS = c.tls }))
		if err != nil {
			t.Fatal(err)
		}
		_, err = prov.(*Provider).client()
		if err == nil || !c.want.MatchString(err.Error()) {
			t.Errorf("client() = %v\nwant %s", err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETKEYMATERIAL") {
			t.Errorf("the error shows key material: %v", err)
		}
	}
}

// TestExplainSentences: causes kfake cannot produce on loopback, from the errors the client
// returns for them.
func TestExplainSentences(t *testing.T) {
	p := func(mod func(*config.Target)) *Provider {
		tgt := config.Target{Provider: "kafka", Brokers: []string{"b-1.x.c2.kafka.eu-west-1.amazonaws.com:9098"}, TLS: config.TLS{Enabled: true}}
		mod(&tgt)
		return &Provider{name: "k", cfg: tgt}
	}
	iam := p(func(t *config.Target) { t.SASL = &config.SASL{Mechanism: "AWS_MSK_IAM"} })
	oauth := p(func(t *config.Target) { t.SASL = &config.SASL{Mechanism: "OAUTHBEARER", TokenEnv: "TOKEN"} })
	scram := p(func(t *config.Target) {
		t.SASL = &config.SASL{Mechanism: "SCRAM-SHA-512", Username: "ops", PasswordEnv: "PW"}
	})
	dns := &brokerError{addr: "kafka.internal:9092", err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "kafka.internal", IsNotFound: true}}}
	for _, c := range []struct {
		p    *Provider
		what string
		err  error
		want string
	}{
		{scram, "describe group g", fmt.Errorf("unable to dial: %w", dns),
			"could not describe group g on target k: broker kafka.internal:9092 does not resolve (lookup kafka.internal: no such host); check the host name: private endpoints resolve only inside the cluster's VPC, so the function must run there (vpcConfig in s.yaml, VpcConfig in deploy/aws/template.yaml)"},
		{iam, "describe group g", kerr.SaslAuthenticationFailed,
			"could not describe group g on target k: the brokers refused AWS_MSK_IAM authentication of the function's role; allow kafka-cluster:Connect on the cluster in the role's policy (deploy/policies/aws-iam.json), check that the cluster has IAM access control on, and use its IAM port (9098)"},
		{oauth, "describe group g", kerr.SaslAuthenticationFailed,
			"could not describe group g on target k: the brokers refused the OAUTHBEARER token in TOKEN; it may be expired or issued for another cluster"},
		{scram, "describe group g", kerr.UnsupportedSaslMechanism,
			"could not describe group g on target k: broker b-1.x.c2.kafka.eu-west-1.amazonaws.com:9098 does not offer SASL SCRAM-SHA-512 on this port; use a mechanism the listener enables, or the port that enables this one (AWS MSK: 9096 SCRAM, 9098 IAM)"},
		{iam, "list the consumer groups", kerr.ClusterAuthorizationFailed,
			"could not list the consumer groups on target k: the broker answered CLUSTER_AUTHORIZATION_FAILED; the function's IAM role needs Describe on the cluster (MSK IAM: kafka-cluster:DescribeCluster); grant it with an ACL or the role's policy"},
		{iam, "read topic orders", kerr.TopicAuthorizationFailed,
			"could not read topic orders on target k: the broker answered TOPIC_AUTHORIZATION_FAILED; the function's IAM role needs Describe on topic orders (MSK IAM: kafka-cluster:DescribeTopic); grant it with an ACL or the role's policy"},
		{scram, "commit offsets for g", kerr.GroupAuthorizationFailed,
			"could not commit offsets for g on target k: the broker answered GROUP_AUTHORIZATION_FAILED; User:ops needs Read on group g (MSK IAM: kafka-cluster:AlterGroup); grant it with an ACL or the role's policy"},
	} {
		if got := c.p.wireErr(c.what, c.err).Error(); got != c.want {
			t.Errorf("%v:\n got %s\nwant %s", c.err, got, c.want)
		}
	}
	if got := commitErr("g", kerr.TopicAuthorizationFailed).Error(); !strings.Contains(got, "needs Read on this partition's topic (MSK IAM: kafka-cluster:ReadData)") {
		t.Errorf("commitErr: %s", got)
	}
}
