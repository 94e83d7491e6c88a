/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkestrel: the userspace side of Kestrel.  Every tool (the kestrel
 * controller, the selftests, the benchmarks) talks to the module through
 * this library and nothing else.
 *
 * Errors: functions return 0 or a negative errno and leave a message for
 * kestrel_last_error() (per thread), which includes the module's extack
 * message when the kernel sent one.
 */
#ifndef LIBKESTREL_H
#define LIBKESTREL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kestrel.h>

#define LIBKESTREL_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---- */

/* The message of the last failure in this thread ("" if none). */
const char *kestrel_last_error(void);
/* The errno of the last failure in this thread (0 if none). */
int kestrel_last_errno(void);
/* Record a failure; returns -err so callers can "return kestrel_fail(...)". */
int kestrel_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kestrel_clear_error(void);

/* ---- connection to the module ---- */

struct kestrel_conn;

/*
 * Open a netlink socket and resolve the "kestrel" family.  Fails with
 * -ENOENT and a plain message when the module is not loaded.
 */
int kestrel_open(struct kestrel_conn **connp);
void kestrel_close(struct kestrel_conn *conn);
/* True when the last failure meant "module not loaded". */
bool kestrel_error_is_no_module(void);

/* ---- GET_INFO ---- */

struct kestrel_info {
	char version[32];
	uint32_t api_version;
	enum kestrel_backend backend;
	char backend_detail[128];
	uint64_t features;
	uint32_t hw_revision;
	uint32_t nr_asids;
	uint32_t host_cpus;
	uint32_t active_domains;
};

int kestrel_get_info(struct kestrel_conn *conn, struct kestrel_info *info);

const char *kestrel_backend_name(enum kestrel_backend backend);
/* cpuinfo-style name of a feature bit, or NULL if the bit is undefined. */
const char *kestrel_feature_name(unsigned int bit);
/* Write "npt nrip_save ..." (space separated) into buf; returns buf. */
char *kestrel_features_string(uint64_t features, char *buf, size_t len);

/* ---- host facts (no module needed) ---- */

struct kestrel_nodeinfo {
	char arch[65];		/* "x86_64", as uname -m */
	char vendor[32];	/* "AMD", "Intel" */
	char model_name[96];	/* /proc/cpuinfo "model name" */
	unsigned int cpus;	/* online CPUs */
	unsigned int mhz;
	unsigned int sockets;
	unsigned int cores_per_socket;
	unsigned int threads_per_core;
	unsigned int numa_cells;
	unsigned long long memory_kib;
	char uuid[37];		/* host UUID, "" if unknown */
};

/*
 * Read the host's CPU and memory facts from /proc and /sys under root
 * ("/" normally; a directory with the same layout in tests).
 */
int kestrel_nodeinfo_read(const char *root, struct kestrel_nodeinfo *ni);

/* ---- XML output helpers ---- */

/* Write s to f with &, <, >, ' and " escaped. */
void kestrel_xml_escape(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif

#endif /* LIBKESTREL_H */
