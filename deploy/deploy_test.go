// Package deploy holds the deployment descriptors; its tests check them against the fields the
// fc3 component and SAM accept, and that every file and variable they name exists.
package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

func load(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func keys(t *testing.T, where string, v any, allowed ...string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping: %#v", where, v)
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: key %q is not an fc3/SAM field we expect (%v)", where, k, allowed)
		}
	}
	return m
}

var secretVars = []string{"OFFSETRESET_API_TOKEN", "OFFSETRESET_WEBHOOK_TOKEN", "OFFSETRESET_WEBHOOK_HMAC_SECRET",
	"OFFSETRESET_SLACK_SIGNING_SECRET", "OFFSETRESET_DINGTALK_APP_SECRET", "OFFSETRESET_CONFIRM_SECRET"}

// makeTargets are the files the Makefile knows how to build.
func makeTargets(t *testing.T) string {
	b, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServerlessDevs(t *testing.T) {
	s := keys(t, "s.yaml", load(t, "../s.yaml"), "edition", "name", "access", "vars", "resources")
	if s["edition"] != "3.0.0" {
		t.Fatalf("edition %v", s["edition"])
	}
	res := keys(t, "resources", s["resources"], "offsetreset")
	fn := keys(t, "resources.offsetreset", res["offsetreset"], "component", "actions", "props")
	if fn["component"] != "fc3" {
		t.Fatalf("component %v", fn["component"])
	}
	props := keys(t, "props", fn["props"], "region", "functionName", "description", "runtime", "code", "customRuntimeConfig",
		"handler", "memorySize", "cpu", "diskSize", "timeout", "instanceConcurrency", "role", "environmentVariables", "triggers",
		"logConfig", "vpcConfig", "internetAccess", "asyncInvokeConfig")
	// Async retries are set explicitly (the platform default is 3) and bounded in age.
	async := keys(t, "asyncInvokeConfig", props["asyncInvokeConfig"], "maxAsyncRetryAttempts", "maxAsyncEventAgeInSeconds", "destinationConfig")
	if async["maxAsyncRetryAttempts"] != 2 || async["maxAsyncEventAgeInSeconds"] != 3600 {
		t.Errorf("asyncInvokeConfig %v", async)
	}
	if rt := props["runtime"]; !slices.Contains([]any{"custom.debian12", "custom.debian11", "custom.debian10"}, rt) {
		t.Errorf("runtime %v", rt)
	}
	code := props["code"].(string)
	if !strings.Contains(makeTargets(t), strings.TrimPrefix(code, "./")+":") {
		t.Errorf("code %s is not built by the Makefile", code)
	}
	crc := keys(t, "customRuntimeConfig", props["customRuntimeConfig"], "command", "args", "port")
	if crc["port"] != 9000 || crc["command"].([]any)[0] != "/code/bootstrap" {
		t.Errorf("customRuntimeConfig %v", crc)
	}
	if c := props["instanceConcurrency"].(int); c < 1 || c > 200 {
		t.Errorf("instanceConcurrency %d outside 1..200", c)
	}
	env := props["environmentVariables"].(map[string]any)
	for _, v := range secretVars {
		if env[v] != "${env('"+v+"')}" {
			t.Errorf("secret %s is %v, want ${env('%s')}", v, env[v], v)
		}
	}
	kinds := map[string]int{}
	for i, tr := range props["triggers"].([]any) {
		m := keys(t, "trigger", tr, "triggerName", "triggerType", "qualifier", "triggerConfig", "description", "invocationRole", "sourceArn")
		kinds[m["triggerType"].(string)]++
		switch m["triggerType"] {
		case "timer":
			tc := keys(t, "timer triggerConfig", m["triggerConfig"], "cronExpression", "enable", "payload")
			cron := tc["cronExpression"].(string)
			if !strings.HasPrefix(cron, "CRON_TZ=") || len(strings.Fields(strings.SplitN(cron, " ", 2)[1])) != 6 {
				t.Errorf("trigger %d: cron %q needs CRON_TZ= and 6 fields", i, cron)
			}
			if _, _, err := reset.DecodeCommands([]byte(tc["payload"].(string))); err != nil {
				t.Errorf("trigger %d payload: %v", i, err)
			}
		case "http":
			keys(t, "http triggerConfig", m["triggerConfig"], "authType", "disableURLInternet", "methods")
		default:
			t.Errorf("unexpected trigger type %v", m["triggerType"])
		}
	}
	if kinds["timer"] < 1 || kinds["http"] != 1 {
		t.Errorf("triggers %v: want timers and exactly one http trigger", kinds)
	}
}

func TestSAMTemplate(t *testing.T) {
	tpl := keys(t, "template", load(t, "aws/template.yaml"), "AWSTemplateFormatVersion", "Transform", "Description", "Parameters", "Conditions", "Resources", "Outputs")
	if tpl["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Fatal("not a SAM template")
	}
	params := tpl["Parameters"].(map[string]any)
	fn := tpl["Resources"].(map[string]any)["OffsetResetFunction"].(map[string]any)
	if fn["Type"] != "AWS::Serverless::Function" {
		t.Fatal(fn["Type"])
	}
	p := keys(t, "function", fn["Properties"], "FunctionName", "CodeUri", "Handler", "Runtime", "Architectures", "MemorySize",
		"Timeout", "Environment", "FunctionUrlConfig", "Events", "Policies", "Role", "EventInvokeConfig", "VpcConfig")
	// Async retries are set explicitly, and what still fails lands in a queue of the template.
	eic := keys(t, "EventInvokeConfig", p["EventInvokeConfig"], "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
	onFailure := eic["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)
	queue := onFailure["Destination"].(map[string]any)["Fn::GetAtt"].([]any)[0]
	if eic["MaximumRetryAttempts"] != 2 || onFailure["Type"] != "SQS" || tpl["Resources"].(map[string]any)[queue.(string)].(map[string]any)["Type"] != "AWS::SQS::Queue" {
		t.Errorf("EventInvokeConfig %v", eic)
	}
	// Deferred chat replies: the function may invoke itself, and nothing else.
	stmt := p["Policies"].([]any)[0].(map[string]any)["Statement"].([]any)[0].(map[string]any)
	res := stmt["Resource"].([]any)
	if stmt["Action"] != "lambda:InvokeFunction" || len(res) != 2 || !strings.HasSuffix(res[0].(map[string]any)["Fn::Sub"].(string), ":function:"+p["FunctionName"].(string)) {
		t.Errorf("Policies %v", p["Policies"])
	}
	if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || p["Architectures"].([]any)[0] != "arm64" {
		t.Errorf("runtime %v handler %v arch %v", p["Runtime"], p["Handler"], p["Architectures"])
	}
	code := filepath.Clean(filepath.Join("aws", p["CodeUri"].(string)))
	if !strings.Contains(makeTargets(t), "dist/lambda/bootstrap-%.zip:") || !strings.HasPrefix(code, "../dist/lambda/bootstrap-arm64.zip") {
		t.Errorf("CodeUri %s is not built by the Makefile", code)
	}
	if u := p["FunctionUrlConfig"].(map[string]any); u["AuthType"] != "NONE" && u["AuthType"] != "AWS_IAM" {
		t.Errorf("FunctionUrlConfig %v", u)
	}
	vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, v := range secretVars {
		ref, _ := vars[v].(map[string]any)
		name, _ := ref["Ref"].(string)
		pp, ok := params[name].(map[string]any)
		if !ok || pp["NoEcho"] != true {
			t.Errorf("%s must come from a NoEcho parameter, got %v", v, vars[v])
		}
	}
	types := map[string]bool{}
	for name, e := range p["Events"].(map[string]any) {
		ev := e.(map[string]any)
		types[ev["Type"].(string)] = true
		props := ev["Properties"].(map[string]any)
		if ev["Type"] == "ScheduleV2" {
			if props["ScheduleExpressionTimezone"] == nil {
				t.Errorf("%s has no timezone", name)
			}
			if _, _, err := reset.DecodeCommands([]byte(props["Input"].(string))); err != nil {
				t.Errorf("%s input: %v", name, err)
			}
		}
	}
	for _, want := range []string{"ScheduleV2", "SNS", "EventBridgeRule"} {
		if !types[want] {
			t.Errorf("no %s event", want)
		}
	}
}

func TestExampleConfigParses(t *testing.T) {
	if _, err := config.Load("offsetreset.example.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestPoliciesNameEveryAction: the RAM policy lists exactly the actions the providers call, and
// each has its reason in the policies README.
func TestPoliciesNameEveryAction(t *testing.T) {
	if actions := documentedActions(t, "policies/alibaba-ram.json", `"((?:alikafka|mq|rocketmq|fc):[A-Za-z]+)"`); len(actions) == 0 {
		t.Fatal("no actions in the RAM policy")
	}
}

// documentedActions reads the actions of a policy file, the first group of each match of
// pattern, and checks that each has its reason, in backquotes, in policies/README.md.
func documentedActions(t *testing.T, policy, pattern string) []string {
	t.Helper()
	b, err := os.ReadFile(policy)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("policies/README.md")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range regexp.MustCompile(pattern).FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(string(doc), "`"+a[1]+"`") {
			t.Errorf("action %s has no reason in policies/README.md", a[1])
		}
		actions = append(actions, a[1])
	}
	return actions
}

// TestVPCPlacement: the function can be put into the Kafka cluster's VPC. s.yaml documents an fc3
// vpcConfig (commented: only some clusters need it), whose keys are fc3's VPCConfig fields; the SAM
// template's VpcConfig applies only when the SubnetIds parameter is given.
func TestVPCPlacement(t *testing.T) {
	b, err := os.ReadFile("../s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var block []string // the commented block, uncommented
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "# vpcConfig:" {
			block = []string{"vpcConfig:"}
			continue
		}
		if block == nil {
			continue
		}
		if strings.HasPrefix(l, "#   ") {
			block = append(block, strings.TrimPrefix(l, "# "))
			continue
		}
		if l == "# internetAccess: true" {
			block = append(block, "internetAccess: true")
		}
		break
	}
	var fc struct {
		VPC            map[string]any `yaml:"vpcConfig"`
		InternetAccess bool           `yaml:"internetAccess"`
	}
	if err := yaml.Unmarshal([]byte(strings.Join(block, "\n")), &fc); err != nil || fc.VPC == nil {
		t.Fatalf("s.yaml has no commented vpcConfig block (%v): %q", err, block)
	}
	keys(t, "vpcConfig", fc.VPC, "vpcId", "vSwitchIds", "securityGroupId")
	if fc.VPC["vpcId"] == nil || fc.VPC["securityGroupId"] == nil || len(fc.VPC["vSwitchIds"].([]any)) == 0 || !fc.InternetAccess {
		t.Errorf("vpcConfig %v internetAccess %v", fc.VPC, fc.InternetAccess)
	}

	tpl := load(t, "aws/template.yaml")
	params := tpl["Parameters"].(map[string]any)
	for _, name := range []string{"SubnetIds", "SecurityGroupIds"} {
		p, _ := params[name].(map[string]any)
		if p["Type"] != "CommaDelimitedList" || p["Default"] != "" {
			t.Errorf("parameter %s = %v, want an optional CommaDelimitedList", name, p)
		}
	}
	fn := tpl["Resources"].(map[string]any)["OffsetResetFunction"].(map[string]any)["Properties"].(map[string]any)
	branches, _ := fn["VpcConfig"].(map[string]any)["Fn::If"].([]any)
	if len(branches) != 3 {
		t.Fatalf("VpcConfig %v, want Fn::If on a condition", fn["VpcConfig"])
	}
	cond, _ := tpl["Conditions"].(map[string]any)[branches[0].(string)].(map[string]any)
	if cond == nil || !strings.Contains(fmt.Sprint(cond), "SubnetIds") {
		t.Errorf("condition %v does not test SubnetIds", branches[0])
	}
	in := keys(t, "VpcConfig", branches[1], "SubnetIds", "SecurityGroupIds")
	if in["SubnetIds"].(map[string]any)["Ref"] != "SubnetIds" || in["SecurityGroupIds"].(map[string]any)["Ref"] != "SecurityGroupIds" {
		t.Errorf("VpcConfig %v", in)
	}
	if branches[2].(map[string]any)["Ref"] != "AWS::NoValue" {
		t.Errorf("without SubnetIds VpcConfig is %v, want AWS::NoValue", branches[2])
	}
}

// TestAWSPolicyNamesEveryAction: every action of the AWS policy (logs, the MSK IAM actions a
// reset needs, the VPC network interfaces) has its reason in the policies README.
func TestAWSPolicyNamesEveryAction(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range documentedActions(t, "policies/aws-iam.json", `"((?:logs|lambda|kafka-cluster|ec2):[A-Za-z]+)"`) {
		seen[a] = true
	}
	// OffsetCommit needs READ on the group and the topic, OffsetFetch and ListOffsets DESCRIBE.
	for _, a := range []string{"kafka-cluster:Connect", "kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup", "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "ec2:CreateNetworkInterface"} {
		if !seen[a] {
			t.Errorf("aws-iam.json lacks %s", a)
		}
	}
}
