# Builds and installs the C library of weave-feedback: the shared and static libraries, the
# header, a pkg-config file and a CMake package.
#
#   make                                  # target/release/libweave_feedback.{so,a}
#   make install PREFIX=/usr/local        # also honours DESTDIR, LIBDIR, INCLUDEDIR
#   make uninstall PREFIX=/usr/local
#
# Installed (LIBDIR defaults to PREFIX/lib):
#   INCLUDEDIR/weave_feedback.h
#   LIBDIR/libweave_feedback.so.MAJOR.MINOR.PATCH   (SONAME libweave_feedback.so.MAJOR)
#   LIBDIR/libweave_feedback.so.MAJOR -> libweave_feedback.so.MAJOR.MINOR.PATCH
#   LIBDIR/libweave_feedback.so -> libweave_feedback.so.MAJOR
#   LIBDIR/libweave_feedback.a
#   LIBDIR/pkgconfig/weave-feedback.pc
#   LIBDIR/cmake/WeaveFeedback/WeaveFeedbackConfig.cmake, WeaveFeedbackConfigVersion.cmake
#
# The libraries are built with `cargo rustc --features capi --crate-type cdylib,staticlib`:
# a Rust program that depends on the crate builds neither of them. Only the `weave_*`
# functions are exported from the shared library (rustc exports exactly the crate's
# `#[no_mangle] extern "C"` functions; tests/install/run.sh checks it with `nm -D`).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=
CARGO      ?= cargo
INSTALL    ?= install

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
OUT        := $(TARGET_DIR)/release
GEN        := $(TARGET_DIR)/capi

VERSION := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
MAJOR   := $(word 1,$(subst ., ,$(VERSION)))
SONAME  := libweave_feedback.so.$(MAJOR)
REALNAME := libweave_feedback.so.$(VERSION)
# What a static link needs besides the archive (rustc --print native-static-libs, without the
# libc and libgcc the compiler driver adds itself).
STATIC_LIBS := -lpthread -ldl -lm -lrt -lutil

.PHONY: all build install install-strip uninstall clean-capi

all: build

# cargo decides what is stale; the arguments stay the same between runs, so a second `make`
# compiles nothing.
build:
	$(CARGO) rustc --locked --release --lib --features capi --crate-type cdylib,staticlib \
		-- -C link-arg=-Wl,-soname,$(SONAME)

$(GEN)/weave-feedback.pc $(GEN)/WeaveFeedbackConfig.cmake $(GEN)/WeaveFeedbackConfigVersion.cmake: FORCE
	@mkdir -p $(GEN)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@MAJOR@|$(MAJOR)|g' -e 's|@SONAME@|$(SONAME)|g' \
	    -e 's|@REALNAME@|$(REALNAME)|g' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' \
	    packaging/$(notdir $@).in > $@

.PHONY: FORCE
FORCE:

install: build $(GEN)/weave-feedback.pc $(GEN)/WeaveFeedbackConfig.cmake $(GEN)/WeaveFeedbackConfigVersion.cmake
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(LIBDIR)/cmake/WeaveFeedback
	$(INSTALL) -m 644 include/weave_feedback.h $(DESTDIR)$(INCLUDEDIR)/weave_feedback.h
	$(INSTALL) -m 755 $(OUT)/libweave_feedback.so $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libweave_feedback.so
	$(INSTALL) -m 644 $(OUT)/libweave_feedback.a $(DESTDIR)$(LIBDIR)/libweave_feedback.a
	$(INSTALL) -m 644 $(GEN)/weave-feedback.pc $(DESTDIR)$(LIBDIR)/pkgconfig/weave-feedback.pc
	$(INSTALL) -m 644 $(GEN)/WeaveFeedbackConfig.cmake $(GEN)/WeaveFeedbackConfigVersion.cmake \
		$(DESTDIR)$(LIBDIR)/cmake/WeaveFeedback/

# The release profile already strips the shared library; install-strip also drops the debug
# sections the static library carries from the Rust standard library.
install-strip: install
	strip --strip-debug $(DESTDIR)$(LIBDIR)/$(REALNAME) $(DESTDIR)$(LIBDIR)/libweave_feedback.a

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/weave_feedback.h \
	      $(DESTDIR)$(LIBDIR)/$(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libweave_feedback.so $(DESTDIR)$(LIBDIR)/libweave_feedback.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/weave-feedback.pc \
	      $(DESTDIR)$(LIBDIR)/cmake/WeaveFeedback/WeaveFeedbackConfig.cmake \
	      $(DESTDIR)$(LIBDIR)/cmake/WeaveFeedback/WeaveFeedbackConfigVersion.cmake
	-rmdir $(DESTDIR)$(LIBDIR)/cmake/WeaveFeedback 2>/dev/null
