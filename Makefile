# sansang — build, run and test on Debian 12. `make run` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
# What the build and `make run` (the province lab, docs/lab.md) need, and nothing more: the C libraries, the lab's
# daemons (snmpd, lldpd, dnsmasq's binary without its service, iperf3), tc (iproute2) and nft (line loss on kernels
# without sch_netem), openssl for the lab CA, the
# SMTP sink (aiosmtpd) and libfaketime (an office with a skewed clock). nginx and chronyd are taken from the host when
# present, else downloaded and unpacked privately by scripts/lab.sh: installing them would start a web server on the
# host, or replace the host's time service (chrony removes systemd-timesyncd).
RUN_PACKAGES := curl pkg-config libpcap-dev libsnmp-dev snmp snmpd lldpd iproute2 nftables iperf3 dnsmasq-base openssl \
  libcurl4-openssl-dev python3-aiosmtpd libcairo2-dev fonts-dejavu-core libfaketime
# The Debian packages the tests need besides (C libraries and the real daemons tests talk to).
DEB_PACKAGES := $(RUN_PACKAGES) snmptrapd
# The collector's tests: curl as an agent would send, pip for the OpenAPI validators, systemd-analyze.
DEB_PACKAGES += curl python3-pip systemd
# The service checks' tests: real DNS, HTTPS and NTP servers on loopback, and openssl for their certificates.
DEB_PACKAGES += dnsmasq nginx-light chrony openssl
# E-mail: libcurl's SMTP for the collector's mail, and an SMTP server (aiosmtpd) that keeps what it receives for the tests.
DEB_PACKAGES += libcurl4-openssl-dev python3-aiosmtpd
# Alerts: a real Prometheus Alertmanager receives what the collector sends it.
DEB_PACKAGES += prometheus-alertmanager
# The weekly report: cairo and DejaVu fonts for its chart; headless Chromium and pdftotext to test its HTML.
DEB_PACKAGES += libcairo2-dev fonts-dejavu-core chromium poppler-utils
# The agent's /metrics: promtool (in Debian's prometheus package) checks what it serves.
DEB_PACKAGES += prometheus
# The dashboard: its browser test drives Chromium through chromedriver (Selenium and axe-core from PyPI, below).
DEB_PACKAGES += chromium-driver
# Scale-out: the PostgreSQL store's tests start a real PostgreSQL 15 (initdb, postgres); replicas sit behind HAProxy.
DEB_PACKAGES += postgresql-15 haproxy
# The threads' stacks of a collector that does not stop on SIGTERM, attached by ScaleOutTests.
DEB_PACKAGES += gdb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug

.PHONY: deps deps-run build release-static run stop check-lab status-lab bench-lab test check-graph clean deb deb-deps test-deb bench-agent bench bench-snmp bench-ingest bench-throughput bench-services bench-snmp-flood bench-weekly bench-dashboard bench-rollup fuzz fuzz-lldp fuzz-report fuzz-notification

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@python3 -c 'import openapi_spec_validator, openapi_schema_validator, yaml, selenium, axe_selenium_python, schemathesis' 2>/dev/null || \
	  python3 -m pip install --quiet --break-system-packages openapi-spec-validator openapi-schema-validator pyyaml selenium axe-selenium-python schemathesis
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6.2 or newer is needed (https://www.swift.org/install/linux/debian/12/); put it on PATH" >&2; exit 2; }

# Only what `make run` needs (no Chromium, Alertmanager, Prometheus, chrony, pip packages: those are the tests').
deps-run:
	@missing=$$(for p in $(RUN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6.2 or newer is needed (https://www.swift.org/install/linux/debian/12/); put it on PATH" >&2; exit 2; }

build: deps-run
	$(SWIFT) build

# The main job: the province lab (docs/lab.md) — lab/danang.yaml in network namespaces, every office a real agent
# behind an emulated switch and a shaped line, the collector on SQLite — brought up, checked against the file, the
# roll-up printed. Without root or network namespaces: says why and runs the single-host demo (scripts/demo.sh).
# `make stop` removes what it made. LAB=lab/other.yaml runs another lab file.
LAB ?= lab/danang.yaml
run: build
	@scripts/run.sh $(LAB)

stop:
	@scripts/lab.sh down
	@scripts/stop.sh

check-lab:
	@scripts/lab.sh check $(LAB)

status-lab:
	@scripts/lab.sh status

# The province lab's bring-up time and idle CPU and memory (docs/performance.md): up, settle, measure, down; the
# agents from a release build (as offices run them), the rest as `make run` builds it.
bench-lab: build
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-agent
	LAB_AGENT=.build/release/sansang-agent bench/lab.sh $(LAB)

# One `swift test` runs every test (after the module-graph check). Suites that share a resource (fixed addresses in
# their namespaces, two Chromiums on two cores) are `.serialized`; the rest run in parallel, at most 8 tests at a
# time: started all at once, 500 tests spawn hundreds of daemons within a second on two cores and every timing
# bound breaks; 8 in flight keep both cores busy while most tests wait on other processes. Test helpers never block
# a thread of the cooperative pool. Daemon logs are files, attached to a failing test (.build/test-attachments).
TEST_WIDTH ?= 8
test: deps
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory check-graph
	mkdir -p .build/test-attachments && rm -f .build/xunit*.xml
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test --skip-build --disable-xctest \
	  --attachments-path .build/test-attachments --xunit-output .build/xunit.xml; \
	status=$$?; python3 scripts/test-summary.py .build/xunit.xml; exit $$status

# Debian packages (docs/packaging.md): dist/sansang-agent_VERSION_amd64.deb, dist/sansang-collector_…, dist/sansang_…
# from one release build with the Swift standard library linked statically; lintian must report no error.
# The tools are installed here and not by `make test`: the packages are built and tested by these targets only.
DEB_TOOLS := debhelper lintian mmdebstrap chrpath
deb-deps: deps
	@missing=$$(for p in $(DEB_TOOLS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

# The shipped programs one product at a time: a build of every target would include TestSupport, which needs the
# test-only Testing module. Every benchmark builds its program the same way (static Swift standard library, as
# packaged), so its figures are the package's and one release build serves them all.
SHIPPED := sansang-agent sansang-collector sansang
release-static:
	for p in $(SHIPPED); do $(SWIFT) build -c release --static-swift-stdlib --product $$p || exit 1; done

deb: deb-deps release-static
	scripts/build-deb.sh

# The packages installed, upgraded, removed and purged in a clean Debian 12 tree (mmdebstrap, chroot; root).
test-deb: deb
	$(SUDO) scripts/test-deb.sh

# The agent idle for 10 minutes beside Debian's zabbix-agent and zabbix-agent2; appends to docs/performance.md.
bench-agent: deps release-static
	@command -v zabbix_agent2 >/dev/null || { DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends zabbix-agent zabbix-agent2; }
	BIN=.build/release bench/agent-footprint.sh 600

# SNMP walk of the switch-port tables, our probe against snmpbulkwalk; appends to docs/performance.md.
bench-snmp: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-agent
	AGENT=.build/release/sansang-agent bench/snmp-walk.sh 30

# Collector ingest on SQLite by fleet size: 93, 3,321 and 33,210 distinct sites in one run, 3 interleaved runs each,
# 64 connections (wrk); appends to docs/performance.md.
bench-ingest: deps
	@command -v wrk >/dev/null || { $(SUDO) apt-get install -y -qq wrk; }
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-collector
	BIN=.build/release bench/ingest.sh 20 64 3 93 3321 33210

# Fleet roll-up (GET /api/v1/readiness, grouped) over 33,210 sites with a week of history; appends to docs/performance.md.
bench-rollup: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-collector
	BIN=.build/release bench/rollup.sh 200 33210

# Throughput probe against iperf3 -c on loopback (alternately, 5 runs each); appends to docs/performance.md.
bench-throughput: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-agent
	AGENT=.build/release/sansang-agent bench/throughput.sh 5 5 1 131072
	AGENT=.build/release/sansang-agent bench/throughput.sh 5 5 4 131072

# Service checks against Prometheus blackbox_exporter (Debian package), same local targets.
bench-services: deps
	@command -v prometheus-blackbox-exporter >/dev/null || { $(SUDO) apt-get install -y -qq --no-install-recommends prometheus-blackbox-exporter; }
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-agent
	AGENT=.build/release/sansang-agent bench/services.sh 300

# The collector's SNMP notification receiver under a flood from several senders; appends to docs/performance.md.
bench-snmp-flood: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-collector
	BIN=.build/release bench/snmp-flood.sh 10 4

# The weekly summary for 3,321 sites from a generated database, chart included; appends to docs/performance.md.
bench-weekly: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-collector
	BIN=.build/release bench/weekly-report-db.sh 7

# The dashboard's overview and site list for 3,321 sites: p99 and compressed size against the JSON API; appends to docs/performance.md.
bench-dashboard: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sansang-collector
	BIN=.build/release bench/dashboard.sh 200

# The module graph (docs/architecture.md): pure modules link no C library and every import is declared
# (scripts/check-graph.py reads `swift package describe`), then a build with SwiftPM's own import check, which
# covers imports of this package's targets. SwiftPM reports an undeclared import as "error:" but may still say
# "Build complete", hence the grep.
check-graph:
	mkdir -p .build && $(SWIFT) package describe --type json > .build/describe.json
	python3 scripts/check-graph.py .build/describe.json
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error 2>&1 | tee .build/import-check.log
	@! grep -E "error: |imports another target" .build/import-check.log

# Every benchmark, side by side in one run.
bench: bench-snmp bench-ingest bench-rollup bench-throughput bench-services bench-snmp-flood bench-weekly bench-dashboard bench-agent

clean:
	rm -rf .build dist

# libFuzzer (docs/reliability.md, "Fuzzing") on the three decoders of what the network sends, each seeded with its
# committed corpus under Tests/Corpus and run for FUZZ_SECONDS: the LLDP frame decoder (Sources/LLDP), the report
# decoder (ReadinessModel, SansangAPI and BatchDecoding of CollectorCore) and the SNMP notification decoder
# (ReadinessModel, SNMPTypes without its YAML keys, ReadinessMIB). The package's modules are compiled here on their
# own with the fuzzer's instrumentation, so only what the decoder needs. Not part of `make test` (the test suite
# replays the corpora and runs seeded mutations instead). A crashing input is kept as .build/fuzz/NAME-crash-*.
FUZZ_SECONDS ?= 60
SWIFTC ?= swiftc
FUZZ := .build/fuzz
FUZZ_FLAGS := -sanitize=fuzzer,address -parse-as-library -O -package-name sansang -I $(FUZZ)/modules
# $(call fuzz-module,Name,sources): a module of the package as a static library with its interface.
fuzz-module = $(SWIFTC) $(FUZZ_FLAGS) -module-name $(1) -emit-module -emit-module-path $(FUZZ)/modules/$(1).swiftmodule \
	-emit-library -static -o $(FUZZ)/modules/lib$(1).a $(2)
# $(call fuzz-corpus,Name,dir,glob): a fresh copy of a committed corpus (libFuzzer adds to its corpus directory).
fuzz-corpus = rm -rf $(FUZZ)/$(1)-corpus && mkdir -p $(FUZZ)/$(1)-corpus && cp $(2)/$(3) $(FUZZ)/$(1)-corpus/
.PHONY: fuzz fuzz-lldp fuzz-report fuzz-notification
fuzz: fuzz-lldp fuzz-report fuzz-notification

fuzz-lldp:
	mkdir -p $(FUZZ)/lldp-corpus
	python3 -c 'import pathlib, sys; [pathlib.Path("$(FUZZ)/lldp-corpus", p.stem).write_bytes(bytes.fromhex(p.read_text().strip())) for p in pathlib.Path("Tests/Corpus/lldp-frame").glob("*.hex")]'
	$(SWIFTC) -sanitize=fuzzer,address -parse-as-library -O -module-name LLDPFuzz Sources/LLDP/*.swift Fuzz/LLDPFrame.swift -o $(FUZZ)/lldp
	$(FUZZ)/lldp -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ)/lldp- $(FUZZ)/lldp-corpus

# SansangVersion.swift as the VersionFile plugin writes it (ReadinessModel needs it).
$(FUZZ)/modules/libReadinessModel.a: VERSION Sources/ReadinessModel/*.swift
	mkdir -p $(FUZZ)/modules
	printf 'public enum SansangVersion {\n    public static let current = "%s"\n}\n' "$$(tr -d ' \t\r\n' < VERSION)" > $(FUZZ)/SansangVersion.swift
	$(call fuzz-module,ReadinessModel,Sources/ReadinessModel/*.swift $(FUZZ)/SansangVersion.swift)

fuzz-report: $(FUZZ)/modules/libReadinessModel.a
	$(call fuzz-module,SansangAPI,Sources/SansangAPI/*.swift)
	$(call fuzz-module,CollectorCore,Sources/CollectorCore/CollectorError.swift Sources/CollectorCore/BatchDecoding.swift)
	$(SWIFTC) $(FUZZ_FLAGS) -module-name ReportFuzz Fuzz/ReportBatch.swift -L $(FUZZ)/modules \
		-lCollectorCore -lSansangAPI -lReadinessModel -o $(FUZZ)/report
	$(call fuzz-corpus,report,Tests/Corpus/report-decoder,*.json)
	$(FUZZ)/report -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ)/report- $(FUZZ)/report-corpus

fuzz-notification: $(FUZZ)/modules/libReadinessModel.a
	$(call fuzz-module,SNMPTypes,$(filter-out %/SNMPConfigDecoding.swift,$(wildcard Sources/SNMPTypes/*.swift)))
	$(call fuzz-module,ReadinessMIB,Sources/ReadinessMIB/*.swift)
	$(SWIFTC) $(FUZZ_FLAGS) -module-name NotificationFuzz Fuzz/ReadinessNotification.swift \
		Tests/ReadinessMIBTests/NotificationCorpusText.swift -L $(FUZZ)/modules -lReadinessMIB -lSNMPTypes -lReadinessModel \
		-o $(FUZZ)/notification
	$(call fuzz-corpus,notification,Tests/Corpus/snmp-notification,*.txt)
	$(FUZZ)/notification -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ)/notification- $(FUZZ)/notification-corpus
