// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kestrel: command line parsing, help and error reporting, with virsh's
 * wording so that a libvirt user feels at home.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const struct cmd_def *const cmd_tables[] = {
	create_cmds,
	lifecycle_cmds,
	domain_cmds,
	device_cmds,
	event_cmds,
	network_cmds,
	host_cmds,
};

void ctl_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ctl_lib_error(void)
{
	const char *msg = kestrel_last_error();

	ctl_error("%s", msg[0] ? msg : "unknown error");
}

int ctl_connect(struct cmd_ctx *ctx)
{
	if (ctx->conn)
		return 0;
	if (kestrel_open(&ctx->conn) == 0)
		return 0;
	ctl_error("failed to connect to the hypervisor");
	ctl_lib_error();
	return -1;
}

static int opt_index(const struct cmd_def *cmd, const char *name)
{
	int i;

	for (i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (!strcmp(cmd->opts[i].name, name))
			return i;
	return -1;
}

const char *cmd_opt_str(const struct cmd_ctx *ctx, const char *name)
{
	int i = opt_index(ctx->cmd, name);

	return i < 0 ? NULL : ctx->values[i];
}

bool cmd_opt_bool(const struct cmd_ctx *ctx, const char *name)
{
	int i = opt_index(ctx->cmd, name);

	return i >= 0 && ctx->given[i];
}

/* vshCommandOptTimeoutToMs(): whole seconds, 1 .. INT_MAX / 1000. */
int ctl_opt_timeout_ms(struct cmd_ctx *ctx, int *ms)
{
	const char *s = cmd_opt_str(ctx, "timeout");
	unsigned long v;
	char *end;

	*ms = -1;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v == 0 ||
	    v > INT_MAX / 1000) {
		ctl_error("Numeric value '%s' for <%s> option is malformed or out of range",
			  s, "timeout");
		return -1;
	}
	*ms = (int)v * 1000;
	return 0;
}

static const struct cmd_def *find_cmd(const char *name)
{
	const struct cmd_def *c;
	size_t t;

	for (t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (c = cmd_tables[t]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

/* Help order: groups as they first appear in the tables, names sorted. */
static int group_rank(const char *group)
{
	const struct cmd_def *c;
	int rank = 0;
	size_t t;

	for (t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (c = cmd_tables[t]; c->name; c++, rank++)
			if (!strcmp(c->group, group))
				return rank;
	return rank;
}

static int cmp_help(const void *a, const void *b)
{
	const struct cmd_def *x = *(const struct cmd_def *const *)a;
	const struct cmd_def *y = *(const struct cmd_def *const *)b;
	int gx = group_rank(x->group), gy = group_rank(y->group);

	if (gx != gy)
		return gx < gy ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void print_usage(FILE *f)
{
	const struct cmd_def *all[128], *c;
	const char *group = NULL;
	size_t t, n = 0, i;

	for (t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (c = cmd_tables[t]; c->name && n < 128; c++)
			all[n++] = c;
	qsort(all, n, sizeof(all[0]), cmp_help);
	fprintf(f,
		"\n"
		"kestrel [options]... [<command_string>]\n"
		"kestrel [options]... <command> [args...]\n"
		"\n"
		"  options:\n"
		"    -h | --help             this help\n"
		"    -v | --version          program version\n"
		"\n"
		" commands (non interactive mode):\n");
	for (i = 0; i < n; i++) {
		c = all[i];
		if (!group || strcmp(group, c->group)) {
			group = c->group;
			fprintf(f, "\n %s (help keyword '%s')\n", group,
				c->keyword);
		}
		fprintf(f, "    %-20s %s\n", c->name, c->summary);
	}
	fprintf(f,
		"\n"
		"  (specify help <command> for details about the command)\n"
		"\n");
}

static void print_cmd_help(const struct cmd_def *cmd)
{
	const struct opt_def *o;

	printf("  NAME\n    %s - %s\n\n  SYNOPSIS\n    %s", cmd->name,
	       cmd->summary, cmd->name);
	for (o = cmd->opts; o && o->name; o++) {
		const char *fmt = o->type == OPT_BOOL ? " [--%s]" :
				  o->type == OPT_DATA ?
				  (o->required ? " <%s>" : " [<%s>]") :
				  (o->required ? " --%s <string>" :
						 " [--%s <string>]");
		printf(fmt, o->name);
	}
	printf("\n\n  DESCRIPTION\n    %s\n", cmd->description);
	if (cmd->opts && cmd->opts[0].name) {
		printf("\n  OPTIONS\n");
		for (o = cmd->opts; o->name; o++) {
			char left[64];

			snprintf(left, sizeof(left),
				 o->type == OPT_BOOL ? "--%s" :
				 o->type == OPT_DATA ? "[--%s] <string>" :
				 "--%s <string>", o->name);
			printf("    %-22s %s\n", left, o->help);
		}
	}
	printf("\n");
}

/* Fill ctx from argv the way virsh's vshCommandParse does. */
static int parse_cmd_args(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_def *cmd = ctx->cmd;
	int i, idx, next_data = 0;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			print_cmd_help(cmd);
			return 1;
		}
		if (!strncmp(arg, "--", 2) && arg[2]) {
			char name[64];
			const char *eq = strchr(arg + 2, '=');

			snprintf(name, sizeof(name), "%.*s",
				 eq ? (int)(eq - arg - 2) : (int)strlen(arg + 2),
				 arg + 2);
			idx = opt_index(cmd, name);
			if (idx < 0) {
				ctl_error("command '%s' doesn't support option --%s",
					  cmd->name, name);
				return -1;
			}
			ctx->given[idx] = true;
			if (cmd->opts[idx].type == OPT_BOOL) {
				if (eq) {
					ctl_error("invalid '=' after option --%s",
						  name);
					return -1;
				}
				continue;
			}
			if (eq) {
				ctx->values[idx] = eq + 1;
			} else if (i + 1 < argc) {
				ctx->values[idx] = argv[++i];
			} else {
				ctl_error("expected syntax: --%s <string>", name);
				return -1;
			}
			continue;
		}
		/* Positional: the next OPT_DATA option not given by name. */
		for (idx = next_data; cmd->opts && cmd->opts[idx].name; idx++)
			if (cmd->opts[idx].type == OPT_DATA && !ctx->given[idx])
				break;
		if (!cmd->opts || !cmd->opts[idx].name) {
			ctl_error("unexpected data '%s'", arg);
			return -1;
		}
		ctx->given[idx] = true;
		ctx->values[idx] = arg;
		next_data = idx + 1;
	}
	for (idx = 0; cmd->opts && cmd->opts[idx].name; idx++) {
		if (cmd->opts[idx].required && !ctx->given[idx]) {
			ctl_error("command '%s' requires <%s> option", cmd->name,
				  cmd->opts[idx].name);
			return -1;
		}
	}
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd_def *cmd;

	if (argc < 1) {
		print_usage(stdout);
		return 0;
	}
	cmd = find_cmd(argv[0]);
	if (!cmd) {
		ctl_error("command or command group '%s' doesn't exist", argv[0]);
		return 1;
	}
	print_cmd_help(cmd);
	return 0;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--version")) {
			printf("%s\n", LIBKESTREL_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		ctl_error("unsupported option '%s'. See --help.", argv[i]);
		return 1;
	}
	if (i >= argc) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "help"))
		return cmd_help(argc - i - 1, argv + i + 1);

	ctx.cmd = find_cmd(argv[i]);
	if (!ctx.cmd) {
		ctl_error("unknown command: '%s'", argv[i]);
		return 1;
	}
	ret = parse_cmd_args(&ctx, argc - i - 1, argv + i + 1);
	if (ret)
		return ret < 0 ? 1 : 0;
	ret = ctx.cmd->run(&ctx);
	kestrel_close(ctx.conn);
	if (fflush(stdout) == EOF && errno != EPIPE) {
		ctl_error("cannot write output: %s", strerror(errno));
		return 1;
	}
	return ret ? 1 : 0;
}
