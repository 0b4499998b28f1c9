# db/: bin/pyti-db, the database's own tool (migrations, manual enqueue,
# status, rescue) for every program that uses PostgreSQL. It sees libpq
# through common/db.h and links libcommon-db.a.

DB_PKGS := libpq jansson
build/db/%.o: PKG_CFLAGS := $(call pkg_cflags,$(DB_PKGS))
DB_OBJS := $(patsubst %.c,build/%.o,$(wildcard db/*.c))
PROGRAMS += bin/pyti-db

bin/pyti-db: $(DB_OBJS) $(LIBCOMMON_DB) $(LIBCOMMON)
	$(call link,$(call pkg_libs,$(DB_PKGS)) $(COMMON_LIBS))
