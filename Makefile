# SPDX-License-Identifier: GPL-2.0
#
# One Makefile drives everything: the module (through Kbuild), libkestrel,
# the kestrel controller, the unit tests and the selftests.
#
#   make            build all
#   make check      install dependencies, build, run every test tier
#   make demo       boot the SVM test host and show the module answering
#   make guest      build the Linux test guest's initramfs (tools/mkguest)
#
# KDIR is the kernel build tree the module is built against: the running
# kernel's when it has one, otherwise the one Debian's linux-headers-amd64
# installs (the test hosts' kernel).

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

deb_kver = $(shell dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
	sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p')
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(if $(deb_kver),/lib/modules/$(deb_kver)/build))
# The module is built with W=1 and warnings as errors; override KCFLAGS=
# to build on a kernel whose headers warn.
KCFLAGS ?= -Werror

CC ?= cc
CFLAGS ?= -O2 -g
XML_CFLAGS = $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -fPIC -D_GNU_SOURCE \
	  -I$(TOP)/uapi -I$(TOP)/lib $(XML_CFLAGS)
LDLIBS_LIB := -lmnl -lxml2

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:.c=.o)
CTL_SRCS := $(wildcard ctl/*.c)
CTL_OBJS := $(CTL_SRCS:.c=.o)
UNIT_SRCS := $(wildcard lib/tests/*.c kmod/tests/*_test.c)
UNIT_BINS := $(UNIT_SRCS:.c=)
SELFTEST_SRCS := $(wildcard selftests/*_test.c)
SELFTEST_LIB := selftests/guest.c
SELFTEST_BINS := $(SELFTEST_SRCS:.c=)
HDRS := $(wildcard uapi/linux/*.h lib/*.h ctl/*.h)

# kselftest headers come from Debian's linux-source package at build time.
KSFT := build/kselftest
KSRC_TAR = $(firstword $(wildcard /usr/src/linux-source-6.1.tar.xz))
KSRC_DIR = $(firstword $(wildcard /usr/src/linux-source-6.1))

.PHONY: all module userspace lib ctl unit-bins selftest-bins bench-bins check \
	demo deps checkpatch bench clean guest bench-boot bench-virtio
all: module userspace
userspace: lib ctl unit-bins selftest-bins bench-bins

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { \
	  echo "error: no kernel build tree; run tools/deps or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 KCFLAGS="$(KCFLAGS)" modules

lib: lib/libkestrel.a lib/libkestrel.so
ctl: ctl/kestrel

%.o: %.c $(HDRS)
	$(CC) $(CFLAGS) -c $< -o $@

lib/libkestrel.a: $(LIB_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
lib/libkestrel.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libkestrel.so.0 -o $@ $^ $(LDLIBS_LIB)

ctl/kestrel: $(CTL_OBJS) lib/libkestrel.a
	$(CC) $(LDFLAGS) -o $@ $(CTL_OBJS) lib/libkestrel.a $(LDLIBS_LIB)

$(KSFT)/kselftest_harness.h:
	@mkdir -p $(KSFT)
	@if [ -n "$(KSRC_DIR)" ]; then \
	  cp $(KSRC_DIR)/tools/testing/selftests/kselftest.h \
	     $(KSRC_DIR)/tools/testing/selftests/kselftest_harness.h $(KSFT)/; \
	elif [ -n "$(KSRC_TAR)" ]; then \
	  tar -xJf $(KSRC_TAR) -C $(KSFT) --strip-components=4 \
	    linux-source-6.1/tools/testing/selftests/kselftest.h \
	    linux-source-6.1/tools/testing/selftests/kselftest_harness.h; \
	else echo "error: install linux-source-6.1 (tools/deps)" >&2; exit 1; fi

unit-bins: $(UNIT_BINS)
selftest-bins: $(SELFTEST_BINS)

lib/tests/%: lib/tests/%.c lib/libkestrel.a $(HDRS) $(KSFT)/kselftest_harness.h
	$(CC) $(CFLAGS) -isystem $(KSFT) -o $@ $< lib/libkestrel.a $(LDLIBS_LIB) -lpthread

# Kernel code with a userspace unit test includes the .c it tests.
# (kmod/foo.c, kmod/dev/foo.c or kmod/virtio/foo.c; the test #includes it.)
kmod/tests/%_test: kmod/tests/%_test.c kmod/tests/kshim.h kmod/tests/vring_model.h \
		   $(wildcard kmod/*.[ch] kmod/dev/*.[ch] kmod/virtio/*.[ch]) \
		   $(KSFT)/kselftest_harness.h
	$(CC) $(CFLAGS) -isystem $(KSFT) -o $@ $<

selftests/%_test: selftests/%_test.c $(SELFTEST_LIB) selftests/*.h \
		  lib/libkestrel.a $(HDRS) $(KSFT)/kselftest_harness.h
	$(CC) $(CFLAGS) -isystem $(KSFT) -o $@ $< $(SELFTEST_LIB) \
		lib/libkestrel.a $(LDLIBS_LIB) -lpthread

BENCH_BINS := tools/bench/exitcost
bench-bins: $(BENCH_BINS) tools/demo-guest

tools/demo-guest: tools/demo_guest.c $(SELFTEST_LIB) selftests/guest.h \
		  lib/libkestrel.a $(HDRS)
	$(CC) $(CFLAGS) -Iselftests -o $@ $< $(SELFTEST_LIB) lib/libkestrel.a \
		$(LDLIBS_LIB)

tools/bench/%: tools/bench/%.c $(SELFTEST_LIB) selftests/guest.h \
	       lib/libkestrel.a $(HDRS)
	$(CC) $(CFLAGS) -Iselftests -o $@ $< $(SELFTEST_LIB) lib/libkestrel.a \
		$(LDLIBS_LIB)

# Benchmarks against KVM, in the SVM test host (figures only, no verdict).
bench:
	tools/deps
	$(MAKE) all
	tools/bench/run

# Linux boot against QEMU+KVM in the SVM test host (tools/bench/boot).
bench-boot:
	tools/deps
	$(MAKE) all
	tools/bench/boot

# virtio-net and virtio-blk throughput against QEMU+KVM (vhost-net, an
# iothread) in the SVM test host (tools/bench/virtio).
bench-virtio:
	tools/deps
	$(MAKE) all
	tools/bench/virtio

# The Linux test guest's initramfs, build/guest/initrd.img (tools/mkguest;
# rebuilt only when its inputs change).
guest:
	tools/mkguest

deps:
	tools/deps

checkpatch:
	tools/checkpatch

# The test command: installs what it needs, builds, runs every tier and
# ends with "N passed, N failed".
check:
	tools/deps
	tools/check

demo:
	tools/deps
	$(MAKE) all
	tools/demo

clean:
	-[ -n "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -f $(LIB_OBJS) $(CTL_OBJS) lib/libkestrel.a lib/libkestrel.so \
	      ctl/kestrel $(UNIT_BINS) $(SELFTEST_BINS) $(BENCH_BINS) \
	      tools/demo-guest
	rm -rf build

endif
