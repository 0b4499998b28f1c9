# guest/: bin/pyti-agent, the job supervisor inside the VM, and (through
# guest/image/build.mk) bin/pyti-image.
#
# The agent is linked -static (it runs on bullseye's older glibc too) and is
# never sanitized, even with SANITIZE set: ASan and -static do not mix. So
# its objects, and the few common/ modules it carries, are compiled a second
# time into build/agent/ with the sanitizer flags filtered out. The unit
# tests (tests/unit/test_guest_*.c) link the ordinary, sanitized objects in
# build/guest/ and run on the host: they run only harmless commands.

GUEST_PKGS := jansson
build/guest/%.o: PKG_CFLAGS := $(call pkg_cflags,$(GUEST_PKGS))

# Modules of the agent (everything but main in agent.c).
GUEST_MODULES := $(filter-out agent,$(basename $(notdir $(wildcard guest/*.c))))
GUEST_OBJS := $(patsubst %,build/guest/%.o,$(GUEST_MODULES))

AGENT_COMMON := buf log xalloc num jx chan sha256 os
AGENT_SRCS := guest/agent.c $(patsubst %,guest/%.c,$(GUEST_MODULES)) \
	$(patsubst %,common/%.c,$(AGENT_COMMON))
AGENT_OBJS := $(patsubst %.c,build/agent/%.o,$(AGENT_SRCS))
AGENT_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(ALL_CFLAGS))
AGENT_LDFLAGS = $(filter-out -fsanitize=%,$(ALL_LDFLAGS))

build/agent/%.o: %.c build/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(AGENT_CFLAGS) $(call pkg_cflags,$(GUEST_PKGS)) \
		-MMD -MP -c -o $@ $<

ifneq ($(wildcard guest/agent.c),)
PROGRAMS += bin/pyti-agent
endif

bin/pyti-agent: $(AGENT_OBJS)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(AGENT_CFLAGS) -static -o $@ $(AGENT_OBJS) \
		$(AGENT_LDFLAGS) -ljansson

# Unit tests: test_guest_<module>.c links that module (and the modules it
# uses) plus libcommon.
GUEST_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%, \
	$(wildcard tests/unit/test_guest_*.c))
UNIT_TESTS += $(GUEST_UNIT)
$(GUEST_UNIT): build/tests/unit/%: build/tests/unit/%.o $(GUEST_OBJS) \
		$(LIBCOMMON)
	$(call link,$(COMMON_LIBS) $(call pkg_libs,cmocka))

include guest/image/build.mk
