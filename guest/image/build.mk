# guest/image/: bin/pyti-image (builds and finds the guest images) and the
# two files that go into every image: recipe.sh (mmdebstrap + mke2fs +
# debugfs) and init (the guest's PID 1 before the agent). Included by
# guest/build.mk.
#
# `make images` builds the platforms in IMAGE_PLATFORMS (the three of the
# built-in config), each cached by its recipe hash, so a second run does
# nothing; `make -j2 images` builds two at a time. The agent is built first
# when guest/build.mk knows how (bin/pyti-agent); until then images still
# build and boot to an "agent missing" message.

IMAGE_PKGS := jansson
build/guest/image/%.o: PKG_CFLAGS := $(call pkg_cflags,$(IMAGE_PKGS))
IMAGE_OBJS := $(patsubst %.c,build/%.o,$(wildcard guest/image/*.c))
PROGRAMS += bin/pyti-image

bin/pyti-image: $(IMAGE_OBJS) $(LIBCOMMON)
	$(call link,$(call pkg_libs,$(IMAGE_PKGS)) $(COMMON_LIBS))

IMAGE_PLATFORMS ?= debian-11 debian-12 debian-13
IMAGE_AGENT = $(filter bin/pyti-agent,$(PROGRAMS))

images: $(addprefix image-,$(IMAGE_PLATFORMS))

image-%: bin/pyti-image $(IMAGE_AGENT) FORCE
	$(Q)bin/pyti-image build $*

.PHONY: images
