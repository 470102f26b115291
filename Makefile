# wiscan: policy-as-code compliance scanner for Kubernetes workload identity.
# A tagged commit builds as its tag; any other as <release>-dev+<revision>
# (version.Of), .dirty with uncommitted changes.
RELEASE := $(shell sed -n 's/^const Release = "\(.*\)"$$/\1/p' version/version.go)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo .dirty)
VERSION ?= $(or $(shell git describe --tags --exact-match 2>/dev/null),$(RELEASE)-dev$(if $(REVISION),+$(REVISION)))
LDFLAGS := -s -w -X main.version=$(VERSION)
GO      ?= go

.DEFAULT_GOAL := help

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/wiscan
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/wiscan ./cmd/wiscan

demo: build ## Scan the shipped evidence bundle of a broken Space (no cluster needed)
	./bin/wiscan scan --evidence testdata/evidence/broken-space || test $$? -eq 1

harness: ## Build and cache kube-apiserver and etcd for the tests
	@bash hack/harness.sh >/dev/null

# The npm tools the tests run (the SARIF validator), pinned by the lock file
# and installed into a git-ignored folder.
NPM_TOOLS := test/tools/npm/node_modules/.package-lock.json

$(NPM_TOOLS): test/tools/npm/package.json test/tools/npm/package-lock.json
	cd test/tools/npm && npm ci --no-audit --no-fund --silent

tools: $(NPM_TOOLS) ## Install the npm tools the tests run (the SARIF validator)

test: harness tools ## Run every test: Go, Rego, and the real API server tests, under the race detector
	KUBEBUILDER_ASSETS=$$(bash hack/harness.sh) $(GO) test -race -count=1 -timeout 25m ./...

bench: ## Run the evaluation benchmarks and the report writers' (3,000 findings)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./engine/
	$(GO) test -run '^$$' -bench BenchmarkWriters -benchtime 5x ./report/

bench-scale: harness ## The whole evidence scan (load, evaluation, peak heap) and the live collection against kube-apiserver beside the bare LISTs
	$(GO) test -run '^$$' -bench BenchmarkEvidenceScan -benchtime 1x ./scan/
	KUBEBUILDER_ASSETS=$$(bash hack/harness.sh) $(GO) test -run '^$$' -bench BenchmarkLiveScan -benchtime 3x ./test/e2e/

# Each new input is minimised in at most 200 runs: the default, a minute,
# stalls the workers on every input that finds new code.
FUZZ := -run '^$$' -fuzztime 60s -fuzzminimizetime 200x

fuzz: ## Fuzz the IAM policy parser, the evidence loader and its repeated-key test, a minute each
	$(GO) test $(FUZZ) -fuzz FuzzParse ./iampolicy/
	$(GO) test $(FUZZ) -fuzz FuzzLoad ./collectors/evidence/
	$(GO) test $(FUZZ) -fuzz FuzzMayRepeatKeys ./input/

# Azure's built-in role definitions, as the iam-dataset repository keeps
# the output of az role definition list, and the Storage operations from
# Microsoft Learn's permissions page.
AZURE_ROLES_URL := https://raw.githubusercontent.com/iann0036/iam-dataset/main/azure/built-in-roles-raw.json
AZURE_OPS_URL := https://raw.githubusercontent.com/MicrosoftDocs/azure-docs/main/articles/role-based-access-control/permissions/storage.md

azure-data: ## Refresh the Azure role definitions and Storage operations analysis/azure embeds (needs the network)
	curl -fsSL $(AZURE_ROLES_URL) | $(GO) run ./hack/azuredata -source "$(AZURE_ROLES_URL)" -date $$(date -u +%F) > analysis/azure/data/builtin-roles.json.new
	curl -fsSL $(AZURE_OPS_URL) | $(GO) run ./hack/azuredata -operations -source "$(AZURE_OPS_URL)" -date $$(date -u +%F) > analysis/azure/data/operations.txt.new
	mv analysis/azure/data/builtin-roles.json.new analysis/azure/data/builtin-roles.json
	mv analysis/azure/data/operations.txt.new analysis/azure/data/operations.txt

GCP_ROLES_REPO := https://github.com/iann0036/iam-dataset
gcp-data: ## Refresh the GCP predefined roles analysis/gcp embeds (needs the network and git)
	rm -rf .cache/iam-dataset && git clone --depth 1 --filter=blob:none --sparse $(GCP_ROLES_REPO) .cache/iam-dataset
	git -C .cache/iam-dataset sparse-checkout set gcp/roles
	$(GO) run ./hack/gcpdata -source "$(GCP_ROLES_REPO)/tree/$$(git -C .cache/iam-dataset rev-parse HEAD)/gcp/roles" -date $$(git -C .cache/iam-dataset log -1 --format=%cs) .cache/iam-dataset/gcp/roles > analysis/gcp/data/roles.txt.new
	mv analysis/gcp/data/roles.txt.new analysis/gcp/data/roles.txt

# golangci-lint, built from its module at a pinned version into a
# git-ignored folder keyed by it.
GOLANGCI_VERSION := v2.15.0
GOLANGCI := .cache/tools/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint

$(GOLANGCI):
	GOBIN=$(CURDIR)/$(dir $(GOLANGCI)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

# gremlins, the Go mutation tester, built from its module the same way.
GREMLINS_VERSION := v0.6.0
GREMLINS := .cache/tools/gremlins-$(GREMLINS_VERSION)/gremlins

$(GREMLINS):
	GOBIN=$(CURDIR)/$(dir $(GREMLINS)) $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)

MUTATE_PACKAGES := ./iampolicy ./analysis/aws ./analysis/azure ./analysis/gcp ./input ./profiles ./collectors/secrets ./collectors/evidence ./collectors/kube ./collectors/aws ./collectors/azure ./collectors/gcp ./engine ./report ./waivers ./remediate

mutate: $(GREMLINS) ## Mutation testing: gremlins over the Go packages, and every Rego control mutated against its tests (slow; not part of make test)
	@for p in $(MUTATE_PACKAGES); do echo "== $$p"; $(GREMLINS) unleash --workers 2 -S l $$p | grep -E 'LIVED|efficacy|coverage'; done
	$(GO) test -count=1 -tags mutate -run TestRegoMutation -v -timeout 60m ./engine/ | grep -E 'killed|survived'

lint: $(GOLANGCI) ## gofmt, go vet, golangci-lint (.golangci.yml), and OPA's strict and format checks of rego/
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) vet -tags mutate ./engine/
	$(GOLANGCI) run ./...
	$(GO) test -count=1 -run 'TestRegoStrictAndFormatted|TestBuiltinPoliciesCompileStrict' ./engine/

.PHONY: help build demo harness tools test bench bench-scale fuzz lint mutate azure-data gcp-data
