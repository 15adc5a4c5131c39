# offsetreset — make test runs every test (what .ci/run calls); make demo runs the local walkthrough.
GO        ?= go
GOFLAGS   ?=
LDFLAGS   := -s -w
BUILD     := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

.PHONY: test vet fmt build install check-config demo run fuzz bench bench-coldstart bench-50k sizes deploy-fc deploy-aws clean

# The config packed into the deployment zips as offsetreset.yaml.
CONFIG    ?= deploy/offsetreset.example.yaml

test: vet
	$(GO) test -count=1 -timeout 10m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# The local server (offsetreset serve): the embedded demo backends unless $OFFSETRESET_CONFIG or
# ./offsetreset.yaml names targets.
run:
	$(GO) run ./functions/offsetreset serve

# The offsetreset command into $GOBIN (go env GOPATH/bin by default).
install:
	$(GO) install ./functions/offsetreset

# Builds (saying what it compiles: the first time about a minute on 2 cores), then sends every
# sample of events/ to offsetreset serve on the embedded backends, each on fresh demo data.
demo:
	@echo "make demo: compiling the launcher (a few seconds on a fresh machine)"
	$(GO) run ./scripts/demo

# Short fuzzing of every decoder (their seed corpora also run as part of make test).
FUZZTIME ?= 20s
FUZZ := FuzzDecodeCommands:./shared/reset FuzzParseTo:./shared/reset FuzzParse:./shared/trigger/chat \
	FuzzDecode:./shared/trigger/alertmanager FuzzDecode:./shared/trigger/grafana FuzzDecode:./shared/trigger/cloudmonitor \
	FuzzParseDimensions:./shared/trigger/cloudmonitor FuzzDecode:./shared/trigger/cloudeye FuzzDecode:./shared/trigger/cloudwatch \
	FuzzDecode:./shared/trigger/slack FuzzDecode:./shared/trigger/dingtalk FuzzLabelSet:./shared/trigger/alert
fuzz:
	@for f in $(FUZZ); do echo "== $$f"; $(GO) test -run XXX -fuzz "^$${f%%:*}$$" -fuzztime $(FUZZTIME) "$${f#*:}" || exit 1; done

bench:
	$(GO) test -run XXX -bench . -benchmem ./...

build: dist/offsetreset dist/fc/bootstrap.zip dist/lambda/bootstrap-arm64.zip dist/lambda/bootstrap-amd64.zip

# Refuses a CONFIG that does not load (the check every function makes at start), before anything
# is built or deployed.
check-config:
	$(GO) run ./functions/offsetreset check-config -config $(CONFIG)

# The offsetreset command for this machine.
dist/offsetreset: check-config FORCE
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./functions/offsetreset

dist/fc/bootstrap.zip: check-config FORCE
	GOOS=linux GOARCH=amd64 $(BUILD) -o dist/fc/bootstrap ./functions/fc
	$(GO) run ./scripts/pack -o $@ bootstrap=dist/fc/bootstrap offsetreset.yaml=$(CONFIG)

dist/lambda/bootstrap-%.zip: check-config FORCE
	GOOS=linux GOARCH=$* $(BUILD) -tags lambda.norpc -o dist/lambda/$*/bootstrap ./functions/lambda
	$(GO) run ./scripts/pack -o $@ bootstrap=dist/lambda/$*/bootstrap offsetreset.yaml=$(CONFIG)

FORCE:

# Zip sizes and each SDK's share of the FC binary.
sizes: build
	$(GO) run ./scripts/sizes dist/fc/bootstrap dist/fc/bootstrap.zip dist/lambda/bootstrap-arm64.zip dist/lambda/bootstrap-amd64.zip

bench-coldstart:
	./scripts/bench-coldstart

# A reset of 50,000 partitions on kfake: wall time and peak RSS of the FC bootstrap beside a bare
# kadm program doing the same seek (the floor), side by side; KCL=path/to/kcl adds a kcl column.
BENCH50K ?= -runs 5
bench-50k:
	$(GO) run ./scripts/bench50k $(BENCH50K)

deploy-fc: dist/fc/bootstrap.zip
	@command -v s >/dev/null || { echo "deploy-fc needs Serverless Devs: npm install -g @serverless-devs/s, then s config add"; exit 1; }
	s deploy -y

deploy-aws: dist/lambda/bootstrap-arm64.zip
	@command -v sam >/dev/null || { echo "deploy-aws needs the AWS SAM CLI and AWS credentials (aws configure)"; exit 1; }
	sam deploy --guided --template-file deploy/aws/template.yaml --capabilities CAPABILITY_IAM

clean:
	rm -rf dist
