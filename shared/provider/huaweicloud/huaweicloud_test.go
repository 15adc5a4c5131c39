package huaweicloud_test

import (
	"strings"
	"testing"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweicloud"
)

func TestEndpoint(t *testing.T) {
	cases := []struct{ region, endpoint, want, err string }{
		{region: "cn-north-4", want: "https://dms.cn-north-4.myhuaweicloud.com"},
		{region: "ap-southeast-1", endpoint: "dms-vpc.example.internal", want: "https://dms-vpc.example.internal"},
		{endpoint: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{endpoint: "https://dms.cn-east-3.myhuaweicloud.com/", want: "https://dms.cn-east-3.myhuaweicloud.com"},
		{err: "region is missing"},
		{region: "cn north", err: "not a Huawei Cloud region"},
		{endpoint: "ftp://x", err: "only http:// and https://"},
		{endpoint: "https://x/v2", err: "has a path"},
	}
	for _, c := range cases {
		got, err := huaweicloud.Endpoint(c.region, c.endpoint)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q %q: error %v, want %q", c.region, c.endpoint, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%q %q: %q %v, want %q", c.region, c.endpoint, got, err, c.want)
		}
	}
}

func TestNewClientNamesMissingFields(t *testing.T) {
	ok := config.Target{Region: "cn-north-4", Project: "p", Instance: "i"}
	if _, err := huaweicloud.NewClient("x", ok); err != nil {
		t.Fatal(err)
	}
	withEnv := ok
	withEnv.Project, withEnv.ProjectIDEnv = "", "MY_PROJECT"
	if _, err := huaweicloud.NewClient("x", withEnv); err != nil {
		t.Errorf("projectIdEnv instead of project: %v", err)
	}
	for field, mod := range map[string]func(*config.Target){
		"project is missing":  func(t *config.Target) { t.Project = "" },
		"instance is missing": func(t *config.Target) { t.Instance = "" },
		"region is missing":   func(t *config.Target) { t.Region = "" },
		"sasl":                func(t *config.Target) { t.SASL = &config.SASL{} },
	} {
		tgt := ok
		mod(&tgt)
		if _, err := huaweicloud.NewClient("x", tgt); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v, want %q", err, field)
		}
	}
}
