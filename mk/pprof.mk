# SPDX-License-Identifier: GPL-2.0
#
# The pprof output (user/export/pprof.c) encodes proto/profile.proto with protobuf-c.
# Included at the end of the Makefile (uses its variables and adds to them):
# protoc-c generates $(OUTPUT)/proto/profile.pb-c.[ch], user code includes
# "proto/profile.pb-c.h" (found through -I$(OUTPUT)), and the generated object
# joins the tool and the unit tests, linked with -lprotobuf-c.

PPROF_PKGS := protobuf-c-compiler libprotobuf-c-dev
PPROF_LDLIBS := -lprotobuf-c
PPROF_PROTOS := $(wildcard proto/*.proto)
PPROF_GEN_C := $(patsubst proto/%.proto,$(OUTPUT)/proto/%.pb-c.c,$(PPROF_PROTOS))
PPROF_GEN_H := $(patsubst proto/%.proto,$(OUTPUT)/proto/%.pb-c.h,$(PPROF_PROTOS))
PPROF_OBJS := $(patsubst proto/%.proto,$(OUTPUT)/proto/%.pb-c.o,$(PPROF_PROTOS))
PROTOC_C ?= protoc-c

DEPS_PKGS += $(PPROF_PKGS)
LDLIBS += $(PPROF_LDLIBS)

.SECONDARY: $(PPROF_GEN_C) $(PPROF_GEN_H)

# Both files come from one protoc-c run (a pattern rule's targets are grouped).
$(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h: proto/%.proto | $(OUTPUT)/proto
	$(call msg,PROTOC,$@)
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(OUTPUT)/proto $<

# Generated code: the user flags without our warnings (its style is not ours to fix).
$(OUTPUT)/proto/%.pb-c.o: $(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -std=gnu11 -I$(OUTPUT)/proto -MMD -MP -c $< -o $@

$(OUTPUT)/proto:
	$(Q)mkdir -p $@

# The first build has no .d files yet: say who includes the generated header.
$(OUTPUT)/user/export/pprof.o $(OUTPUT)/tests/unit/test_pprof.o: $(PPROF_GEN_H)

blockwatch: $(PPROF_OBJS)
$(OUTPUT)/unit-tests: $(PPROF_OBJS)
