// Package huaweicloudtest is the HTTP side the Huawei Cloud API emulators share (like
// net/http/httptest): SDK-HMAC-SHA256 signature checking exactly as the SDK's signer builds the
// canonical request, APIG-style error replies, a record of every call with its arrival time, and
// injected throttling, 5xx, latency and malformed replies. The service models live beside the
// providers (huaweikafkatest, huaweirocketmqtest) and build on DMS and Model here; Harness and the
// Want helpers wire a provider under test to them.
package huaweicloudtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Signing constants of the SDK (core/auth/signer/signer.go).
const (
	Algorithm  = "SDK-HMAC-SHA256"
	DateHeader = "X-Sdk-Date"
	DateFormat = "20060102T150405Z"
	// MaxSkew is how far X-Sdk-Date may be from the server's clock (APIG allows 15 minutes).
	MaxSkew = 15 * time.Minute
)

// Authorization is a parsed Authorization header.
type Authorization struct {
	Access        string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization reads "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex".
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	rest, ok := strings.CutPrefix(h, Algorithm+" ")
	if !ok {
		return a, errors.New("the Authorization header is not " + Algorithm)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("malformed Authorization element %q", part)
		}
		switch k {
		case "Access":
			a.Access = v
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.Access == "" || len(a.SignedHeaders) == 0 || a.Signature == "" {
		return a, errors.New("the Authorization header lacks Access, SignedHeaders or Signature")
	}
	return a, nil
}

// CanonicalRequest rebuilds the SDK's canonical request from what arrived: method, the path with
// every segment escaped and a trailing slash, the sorted query, the signed headers (lower-case,
// trimmed; host from the request's Host), the signed header list, and the payload hash (the
// X-Sdk-Content-Sha256 header when sent, otherwise the hex SHA-256 of the body).
func CanonicalRequest(r *http.Request, body []byte, signed []string) string {
	segs := strings.Split(r.URL.Path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}

	q, _ := url.ParseQuery(r.URL.RawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			qs = append(qs, escape(k)+"="+escape(v))
		}
	}

	var hs []string
	for _, name := range signed {
		v := r.Header.Get(name)
		if strings.EqualFold(name, "host") {
			v = r.Host
		}
		hs = append(hs, name+":"+strings.TrimSpace(v))
	}

	hash := r.Header.Get("X-Sdk-Content-Sha256")
	if hash == "" {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	return fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n%s", r.Method, uri, strings.Join(qs, "&"),
		strings.Join(hs, "\n")+"\n", strings.Join(signed, ";"), hash)
}

// StringToSign is what the signature covers.
func StringToSign(canonical, date string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

// Sign is the hex HMAC-SHA256 of the string to sign under the secret key.
func Sign(sk, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a request's signature with the secret key sk at time now. The error says what is
// wrong, as APIG's error_msg would.
func Verify(r *http.Request, body []byte, sk string, now time.Time) error {
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	date := r.Header.Get(DateHeader)
	t, err := time.Parse(DateFormat, date)
	if err != nil {
		return fmt.Errorf("%s %q is missing or not in the form %s", DateHeader, date, DateFormat)
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("the signature has expired: %s %s is %s away from the server's clock", DateHeader, date, d.Round(time.Second))
	}
	if !slices.Contains(a.SignedHeaders, strings.ToLower(DateHeader)) {
		return errors.New("x-sdk-date is not among the signed headers")
	}
	for i, h := range a.SignedHeaders {
		if h != strings.ToLower(h) || (i > 0 && a.SignedHeaders[i-1] >= h) {
			return errors.New("SignedHeaders must be lower-case and sorted")
		}
	}
	want := Sign(sk, StringToSign(CanonicalRequest(r, body, a.SignedHeaders), date))
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return errors.New("verify aksk signature fail")
	}
	return nil
}

// escape is the SDK signer's escaping: everything but A-Z a-z 0-9 - _ . ~ as %XX.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
