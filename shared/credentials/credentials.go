// Package credentials finds cloud credentials for a call: first those the platform handed this
// request (FC's x-fc-access-key-* headers), then the standard environment variables, then the
// variables a target names (SPEC §6). Secrets are never logged or put into errors.
package credentials

import (
	"context"
	"fmt"
	"os"
)

// Alibaba are Alibaba Cloud AccessKey or STS credentials.
type Alibaba struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Huawei are Huawei Cloud AK/SK (optionally temporary, with a token) and the project.
type Huawei struct {
	AK            string
	SK            string
	SecurityToken string
	ProjectID     string
}

// Names are the environment variables a target names for its credentials; empty = not named.
type Names struct {
	AccessKeyIDEnv     string `yaml:"accessKeyIdEnv"`
	AccessKeySecretEnv string `yaml:"accessKeySecretEnv"`
	SecurityTokenEnv   string `yaml:"securityTokenEnv"`
	ProjectIDEnv       string `yaml:"projectIdEnv"`
}

type alibabaKey struct{}

// WithAlibaba attaches the platform's per-request credentials (FC role STS) to ctx.
func WithAlibaba(ctx context.Context, c Alibaba) context.Context {
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return ctx
	}
	return context.WithValue(ctx, alibabaKey{}, c)
}

// LookupEnv reads environment variables; tests replace it.
var LookupEnv = os.LookupEnv

func env(name string) string {
	if name == "" {
		return ""
	}
	v, _ := LookupEnv(name)
	return v
}

// ForAlibaba resolves credentials for one call; the error names the variables to set.
func ForAlibaba(ctx context.Context, n Names) (Alibaba, error) {
	if c, ok := ctx.Value(alibabaKey{}).(Alibaba); ok {
		return c, nil
	}
	if id, sec := env("ALIBABA_CLOUD_ACCESS_KEY_ID"), env("ALIBABA_CLOUD_ACCESS_KEY_SECRET"); id != "" && sec != "" {
		return Alibaba{AccessKeyID: id, AccessKeySecret: sec, SecurityToken: env("ALIBABA_CLOUD_SECURITY_TOKEN")}, nil
	}
	if id, sec := env(n.AccessKeyIDEnv), env(n.AccessKeySecretEnv); id != "" && sec != "" {
		return Alibaba{AccessKeyID: id, AccessKeySecret: sec, SecurityToken: env(n.SecurityTokenEnv)}, nil
	}
	hint := ""
	if n.AccessKeyIDEnv != "" {
		hint = fmt.Sprintf(", or %s and %s as the target names", n.AccessKeyIDEnv, n.AccessKeySecretEnv)
	}
	return Alibaba{}, fmt.Errorf("no Alibaba Cloud credentials: give the function a RAM role (FC), or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET%s", hint)
}

// ForHuawei resolves credentials for one call. project from the target wins over any variable.
func ForHuawei(n Names, project string) (Huawei, error) {
	c := Huawei{AK: env("HUAWEICLOUD_SDK_AK"), SK: env("HUAWEICLOUD_SDK_SK"), SecurityToken: env("HUAWEICLOUD_SDK_SECURITY_TOKEN"), ProjectID: env("HUAWEICLOUD_SDK_PROJECT_ID")}
	if c.AK == "" || c.SK == "" {
		c = Huawei{AK: env(n.AccessKeyIDEnv), SK: env(n.AccessKeySecretEnv), SecurityToken: env(n.SecurityTokenEnv), ProjectID: env(n.ProjectIDEnv)}
	}
	if project != "" {
		c.ProjectID = project
	}
	if c.AK == "" || c.SK == "" {
		hint := ""
		if n.AccessKeyIDEnv != "" {
			hint = fmt.Sprintf(", or %s and %s as the target names", n.AccessKeyIDEnv, n.AccessKeySecretEnv)
		}
		return Huawei{}, fmt.Errorf("no Huawei Cloud credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK%s", hint)
	}
	if c.ProjectID == "" {
		return Huawei{}, fmt.Errorf("no Huawei Cloud project: set project on the target or HUAWEICLOUD_SDK_PROJECT_ID (offsetreset never asks IAM to discover it)")
	}
	return c, nil
}
