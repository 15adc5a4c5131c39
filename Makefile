# offsetreset — make test runs every test (what .ci/run calls); make demo runs the local walkthrough.
GO        ?= go
GOFLAGS   ?=
LDFLAGS   := -s -w
BUILD     := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

.PHONY: test vet fmt build demo run fuzz bench clean

test: vet
	$(GO) test -count=1 -timeout 10m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

run:
	$(GO) run ./functions/local

demo:
	$(GO) run ./scripts/demo

# Short fuzzing of every decoder (the seeds also run as part of make test).
fuzz:
	$(GO) test -run XXX -fuzz FuzzDecodeCommands -fuzztime 20s ./shared/reset
	$(GO) test -run XXX -fuzz FuzzParseTo -fuzztime 20s ./shared/reset

bench:
	$(GO) test -run XXX -bench . -benchmem ./...

clean:
	rm -rf dist
