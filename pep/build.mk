# pep/: bin/pyti-pep, the packaging standards of common/ as a line tool.
# Plain libc + libcommon (jansson for JSON output).

build/pep/%.o: PKG_CFLAGS := $(call pkg_cflags,jansson)
PEP_OBJS := $(patsubst %.c,build/%.o,$(wildcard pep/*.c))
PROGRAMS += bin/pyti-pep

bin/pyti-pep: $(PEP_OBJS) $(LIBCOMMON)
	$(call link,$(COMMON_LIBS))
