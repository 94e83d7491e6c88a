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

/* Command tables, one per file. */
extern const struct cmd_def create_cmds[];
extern const struct cmd_def host_cmds[];
extern const struct cmd_def domain_cmds[];

#endif /* KESTREL_CTL_H */
