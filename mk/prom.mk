# SPDX-License-Identifier: GPL-2.0
#
# The Prometheus exporter (user/export/prom.c: the text exposition, user/export/httpd.c:
# /metrics on libmicrohttpd) and its deployment files (deploy/). Included at
# the end of the Makefile (uses its variables and adds to them):
#
#   make test-prom     Debian's prometheus scrapes $(OUTPUT)/prom-serve (the
#                      httpd module serving a fixed scan, tests/prom/serve.c)
#                      and answers queries on it, alert rules loaded
#   make test-deploy   systemd-analyze verify of the unit, promtool check and
#                      test of the rules and config, the DaemonSet's YAML
#   make test-autosnap --snapshot-dir and the POST endpoints against the real
#                      tool: status codes, tokens, pruning, a full tmpfs (root)
#   make test-alert-loop  Prometheus -> BlockwatchDeadlock -> Alertmanager ->
#                      POST /alertmanager -> a snapshot that outlives the
#                      target (tests/prom/alert-loop.sh; root)
#
# The first two do not need root. Each prints SKIP for a tool that is missing.

PROM_PKGS := libmicrohttpd-dev prometheus prometheus-alertmanager python3-yaml systemd
PROM_LDLIBS := -lmicrohttpd

DEPS_PKGS += $(PROM_PKGS)
LDLIBS += $(PROM_LDLIBS)

.PHONY: test-prom test-deploy test-autosnap test-alert-loop

PROM_SERVE := $(OUTPUT)/prom-serve
PROM_SERVE_OBJS := $(OUTPUT)/tests/prom/serve.o $(OUTPUT)/tests/unit/fixture.o \
	$(patsubst %,$(OUTPUT)/user/%.o,export/prom core/capture core/escape export/httpd export/webhook \
		threads/waitclass core/parse platform/ksyms)

$(OUTPUT)/tests/prom:
	$(Q)mkdir -p $@

$(OUTPUT)/tests/prom/%.o: tests/prom/%.c | $(OUTPUT)/tests/prom
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(PROM_SERVE): $(PROM_SERVE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(PROM_LDLIBS) -ljson-c -lpthread -o $@

# The fixed scan: pid 4242 has two deadlocked threads, an idle one with 9
# completed blocks (7 of them under 2.048 ms) and a leaked one; pid 4444's comm
# is hostile and must come back from Prometheus byte for byte.
PROM_MEDIAN := histogram_quantile(.5, blockwatch_block_duration_seconds_bucket)
test-prom: $(PROM_SERVE)
	@bash tests/prom/scrape-test.sh \
		--expect 'sum(blockwatch_threads{verdict="deadlock"}) == 2' \
		--expect 'blockwatch_leaks{pid="4343",comm="gosvc"} == 2' \
		--expect 'blockwatch_threads{pid="4444",comm="x\"}\n\\"} == 1' \
		--expect 'blockwatch_block_duration_seconds_count{pid="4242"} == 9' \
		--expect '$(PROM_MEDIAN) > .001024 < .002048' \
		--expect 'ALERTS{alertname="BlockwatchDeadlock",pid="4242"}' \
		--expect 'blockwatch_scans_total >= 2' \
		-- $(PROM_SERVE) @ADDR@

test-deploy:
	@sh tests/deploy/check.sh

test-autosnap: blockwatch $(OUTPUT)/targets/deadlock_pair
	@bash tests/prom/autosnap.sh $(CURDIR)/blockwatch $(CURDIR)/$(OUTPUT)/targets/deadlock_pair

test-alert-loop: blockwatch $(OUTPUT)/targets/deadlock_pair
	@bash tests/prom/alert-loop.sh $(CURDIR)/blockwatch \
		$(CURDIR)/$(OUTPUT)/targets/deadlock_pair

-include $(wildcard $(OUTPUT)/tests/prom/*.d)
