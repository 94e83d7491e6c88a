/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kestrel controller: virsh-like commands on top of libkestrel.
 */
#ifndef KESTREL_CTL_H
#define KESTREL_CTL_H

#include <stdbool.h>

#include "libkestrel.h"

#define CMD_MAX_OPTS 16

enum opt_type {
	OPT_BOOL,	/* --flag */
	OPT_STRING,	/* --name VALUE */
	OPT_DATA,	/* --name VALUE, or positional in declaration order */
};

struct opt_def {
	const char *name;
	enum opt_type type;
	bool required;
	const char *help;
};

struct cmd_ctx;

struct cmd_def {
	const char *name;
	int (*run)(struct cmd_ctx *ctx);
	const char *group;	/* virsh's group title, e.g. "Host and Hypervisor" */
	const char *keyword;	/* its help keyword, e.g. "host" */
	const char *summary;
	const char *description;
	const struct opt_def *opts;	/* terminated by { NULL } */
};

struct cmd_ctx {
	const struct cmd_def *cmd;
	const char *values[CMD_MAX_OPTS];	/* NULL if not given */
	bool given[CMD_MAX_OPTS];
	struct kestrel_conn *conn;		/* opened by ctl_connect() */
};

/* Value of an option, or NULL if the user did not give it. */
const char *cmd_opt_str(const struct cmd_ctx *ctx, const char *name);
bool cmd_opt_bool(const struct cmd_ctx *ctx, const char *name);

/* Print "error: ..." lines the way virsh does. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print libkestrel's last error as an "error: " line. */
void ctl_lib_error(void);

/* Connect to the module, printing virsh's failure lines; 0 or -1. */
int ctl_connect(struct cmd_ctx *ctx);

/* Attach the terminal to a domain's console fd until Ctrl+] (domain.c). */
struct kestrel_domain_info;
int ctl_console_attach(struct cmd_ctx *ctx,
		       const struct kestrel_domain_info *info, int fd);

/*
 * A domain as the controller sees it: in the kernel (live), defined
 * (persistent), or both.  A defined domain that is not live has ID 0 and
 * state shut off in @info, its name, UUID, memory and vCPUs from the
 * definition, and the definition's XML when asked for.
 */
struct ctl_domain {
	struct kestrel_domain_info info;
	bool live;
	bool persistent;
};

/*
 * virsh's lookup (ID, UUID, name) over the kernel's domains, then the
 * definitions (UUID, name); prints virsh's two error lines on failure.
 * Needs the module, as virsh needs its hypervisor.  Release with
 * kestrel_domain_info_clear(&d->info).
 */
int ctl_lookup(struct cmd_ctx *ctx, const char *ref, struct ctl_domain *d,
	       bool want_xml);
/* The same, but without the module only the definitions are searched. */
int ctl_lookup_offline(struct cmd_ctx *ctx, const char *ref,
		       struct ctl_domain *d);
/*
 * ctl_lookup() of the "domain" option for a command that needs the domain
 * in the kernel: a defined domain that is not running fails with
 * "Failed to @verb domain '@ref'" and libvirt's "domain is not running".
 */
int ctl_lookup_live(struct cmd_ctx *ctx, const char *verb,
		    struct ctl_domain *d, const char **refp);
/*
 * Every domain: the kernel's and the definitions that are not live (the
 * persistent flag set from the definitions), or -1 after "error:
 * @failure" and the reason.  Free with ctl_list_free().
 */
int ctl_list_all(struct cmd_ctx *ctx, struct ctl_domain **list, size_t *n,
		 const char *failure);
void ctl_list_free(struct ctl_domain *list, size_t n);
/* The text of definition @name (malloc'd), or -1 with the error printed. */
int ctl_def_text(const char *name, char **xml);
/* The definitions directory, or -1 with the error printed. */
int ctl_defs_dir(char *buf, size_t len);
/*
 * Open a connection if the module is loaded: 0 connected, 1 not loaded
 * (no domain can be live then), -1 another failure (printed).
 */
int ctl_try_connect(struct cmd_ctx *ctx);

/*
 * shutdown --wait (event.c): wait on @events (subscribed before the
 * shutdown was sent) until domain @id is shut off or gone; @timeout_ms -1
 * waits forever.  0, -ETIMEDOUT, or -1 with the error printed.
 */
int ctl_wait_shutoff(struct cmd_ctx *ctx, struct kestrel_conn *events,
		     const struct kestrel_domain_info *info, int timeout_ms);

/*
 * The launch path of create and start (create.c): validate the boot image,
 * create the kernel domain with @x's lifecycle actions and canonical XML,
 * load it, start it with its boot regions (paused with --paused), print
 * @success, attach the console with --console.  On failure: "error:
 * @failure", the reason, and the half-made domain destroyed.
 */
struct kestrel_domxml;
struct kestrel_boot_image;
int ctl_launch(struct cmd_ctx *ctx, const struct kestrel_domxml *x,
	       const char *origin, const char *failure, const char *success);
/*
 * Load and check @x's kernel, initrd and ACPI tables (no domain needed);
 * @tsc_khz (0: unknown) goes on the command line (loader.h).
 */
int ctl_boot_image_prepare(const struct kestrel_domxml *x, const char *origin,
			   uint32_t tsc_khz, struct kestrel_boot_image **img);

/* "Numeric value ... malformed or out of range" unless a timeout in s. */
int ctl_opt_timeout_ms(struct cmd_ctx *ctx, int *ms);

/*
 * domstats' net.* (@net, only with @st) and block.* (@block) fields of
 * @d (devices.c); @st: the module's counters, NULL for a domain that is
 * not in the kernel.  0, or -1 printed.
 */
struct kestrel_domain_stats;
int ctl_print_dev_stats(struct cmd_ctx *ctx, const struct ctl_domain *d,
			const struct kestrel_domain_stats *st, bool net,
			bool block);

/*
 * vshTable's layout (devices.c): each cell after one space, columns padded
 * to their widest cell plus two (the last not padded), a dashed line of
 * (width + 3) per column.  @cells: @nrows rows of @ncols (at most 8), the
 * header first.
 */
void ctl_print_table(const char *const *cells, size_t ncols, size_t nrows);
/*
 * The kernel's XML of running domain @d with each <interface>'s <link>
 * as the module has it now (domif-setlink changes it there), as libvirt's
 * live XML shows it.  NULL when that is the kernel's XML as it is, or
 * when anything fails (print @d's XML then);
 * free() it.
 */
char *ctl_xml_live_links(struct cmd_ctx *ctx, const struct ctl_domain *d);

/* Command tables, one per file. */
extern const struct cmd_def create_cmds[];
extern const struct cmd_def lifecycle_cmds[];
extern const struct cmd_def event_cmds[];
extern const struct cmd_def host_cmds[];
extern const struct cmd_def domain_cmds[];
extern const struct cmd_def device_cmds[];
extern const struct cmd_def network_cmds[];

#endif /* KESTREL_CTL_H */
