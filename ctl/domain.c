// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain commands: destroy, suspend, resume, reset, console, domid,
 * domname, domuuid (virsh's "Domain Management") and list, dominfo,
 * domstate, domstats ("Domain Monitoring"), with virsh's output and
 * messages.  They see defined domains that are not running too (defs.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* virsh's Ctrl+] */
#define CONSOLE_ESCAPE 0x1d

static bool is_active(const struct kestrel_domain_info *d)
{
	return d->state != KESTREL_STATE_SHUTOFF;
}

/* Inactive domains show no ID, as in virsh. */
static const char *id_string(const struct kestrel_domain_info *d,
			     char *buf, size_t len)
{
	if (!is_active(d))
		return "-";
	snprintf(buf, len, "%u", d->id);
	return buf;
}

static int lookup_opt(struct cmd_ctx *ctx, struct ctl_domain *d,
		      const char **refp)
{
	const char *ref = cmd_opt_str(ctx, "domain");

	if (refp)
		*refp = ref;
	return ctl_lookup(ctx, ref, d, false);
}

/* ---- lifecycle ---- */

static int domain_op(struct cmd_ctx *ctx,
		     int (*op)(struct kestrel_conn *, uint32_t),
		     const char *verb, const char *done)
{
	struct ctl_domain d;
	const char *ref;

	if (ctl_lookup_live(ctx, verb, &d, &ref))
		return -1;
	/* virsh names the domain as the user did, ID or UUID included. */
	if (op(ctx->conn, d.info.id)) {
		ctl_error("Failed to %s domain '%s'", verb, ref);
		ctl_lib_error();
		return -1;
	}
	printf("Domain '%s' %s\n", ref, done);
	return 0;
}

static int cmd_destroy(struct cmd_ctx *ctx)
{
	return domain_op(ctx, kestrel_domain_destroy, "destroy", "destroyed");
}

static int cmd_suspend(struct cmd_ctx *ctx)
{
	return domain_op(ctx, kestrel_domain_pause, "suspend", "suspended");
}

static int cmd_resume(struct cmd_ctx *ctx)
{
	return domain_op(ctx, kestrel_domain_resume, "resume", "resumed");
}

static int cmd_reset(struct cmd_ctx *ctx)
{
	return domain_op(ctx, kestrel_domain_reset, "reset", "was reset");
}

/* ---- console ---- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* --dump: whatever the ring holds, then exit. */
static int console_dump(int fd, const char *ref)
{
	char buf[4096];
	ssize_t n;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		ctl_error("cannot read the console of domain '%s': %s", ref,
			  strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (write_all(STDOUT_FILENO, buf, n) < 0)
				return errno == EPIPE ? 0 : -1;
			continue;
		}
		if (n == 0 || errno == EAGAIN)
			return 0;
		if (errno == EINTR)
			continue;
		ctl_error("cannot read the console of domain '%s': %s", ref,
			  strerror(errno));
		return -1;
	}
}

static volatile sig_atomic_t console_signal;

static void console_on_signal(int sig)
{
	console_signal = sig;
}

static const int console_signals[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };

enum relay_end {
	RELAY_ESCAPE,		/* Ctrl+] */
	RELAY_STDIN_EOF,
	RELAY_SIGNAL,
	RELAY_CONSOLE_EOF,	/* the domain is gone */
	RELAY_CONSOLE_ERROR,	/* errno says why */
	RELAY_OUTPUT_ERROR,
};

/*
 * Copy console -> stdout and stdin -> console until Ctrl+] on stdin, EOF
 * on either side or a signal.  The caller has set up signals and the tty.
 */
static enum relay_end console_loop(int fd, const sigset_t *waitmask)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		char *esc;

		if (console_signal)
			return RELAY_SIGNAL;
		if (ppoll(pfd, 2, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return RELAY_CONSOLE_ERROR;
		}
		if (pfd[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n == 0)
				return RELAY_CONSOLE_EOF;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return RELAY_CONSOLE_ERROR;
			if (n > 0 && write_all(STDOUT_FILENO, buf, n) < 0)
				return RELAY_OUTPUT_ERROR;
		}
		if (pfd[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n == 0)
				return RELAY_STDIN_EOF;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return RELAY_STDIN_EOF;
			if (n <= 0)
				continue;
			esc = memchr(buf, CONSOLE_ESCAPE, n);
			if (esc)
				n = esc - buf;
			if (n > 0 && write_all(fd, buf, n) < 0)
				return RELAY_CONSOLE_ERROR;
			if (esc)
				return RELAY_ESCAPE;
		}
	}
}

int ctl_console_attach(struct cmd_ctx *ctx,
		       const struct kestrel_domain_info *info, int fd)
{
	struct sigaction sa = { .sa_handler = console_on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction old[ARRAY_SIZE(console_signals)], old_pipe;
	struct kestrel_domain_info now;
	struct termios saved, raw;
	sigset_t block, orig, wait;
	bool tty_raw = false;
	enum relay_end end;
	int err = 0;
	size_t i;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		ctl_error("cannot use the console of domain '%s': %s",
			  info->name, strerror(errno));
		return -1;
	}

	/*
	 * The signals that end the session stay blocked except inside
	 * ppoll(), so one cannot slip in between the check and the wait.
	 */
	console_signal = 0;
	sigemptyset(&block);
	for (i = 0; i < ARRAY_SIZE(console_signals); i++)
		sigaddset(&block, console_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &orig);
	wait = orig;
	for (i = 0; i < ARRAY_SIZE(console_signals); i++) {
		sigdelset(&wait, console_signals[i]);
		sigaction(console_signals[i], &sa, &old[i]);
	}
	sigaction(SIGPIPE, &ign, &old_pipe);

	printf("Connected to domain '%s'\n", info->name);
	printf("Escape character is ^] (Ctrl + ])\n");
	fflush(stdout);

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
			tty_raw = true;
	}

	end = console_loop(fd, &wait);
	err = errno;

	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	sigaction(SIGPIPE, &old_pipe, NULL);
	for (i = 0; i < ARRAY_SIZE(console_signals); i++)
		sigaction(console_signals[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);

	switch (end) {
	case RELAY_ESCAPE:
	case RELAY_STDIN_EOF:
	case RELAY_SIGNAL:
	case RELAY_CONSOLE_EOF:
		return 0;
	case RELAY_OUTPUT_ERROR:
		return err == EPIPE ? 0 : -1;
	case RELAY_CONSOLE_ERROR:
		/* A destroyed domain's console fails: not an error. */
		if (kestrel_domain_get(ctx->conn, info->id, &now, false) < 0 ||
		    !is_active(&now))
			return 0;
		kestrel_domain_info_clear(&now);
		ctl_error("console of domain '%s' failed: %s", info->name,
			  strerror(err));
		return -1;
	}
	return -1;
}

static int cmd_console(struct cmd_ctx *ctx)
{
	struct kestrel_domain_info info;
	struct ctl_domain d;
	const char *ref;
	int fd, ret;

	if (lookup_opt(ctx, &d, &ref))
		return -1;
	info = d.info;
	if (!d.live || (!cmd_opt_bool(ctx, "dump") && !is_active(&info))) {
		ctl_error("The domain is not running");
		return -1;
	}
	fd = kestrel_domain_console_fd(info.id);
	if (fd < 0) {
		ctl_lib_error();
		return -1;
	}
	if (cmd_opt_bool(ctx, "dump"))
		ret = console_dump(fd, ref);
	else
		ret = ctl_console_attach(ctx, &info, fd);
	close(fd);
	return ret;
}

/* ---- IDs, names, UUIDs ---- */

static int cmd_domid(struct cmd_ctx *ctx)
{
	struct ctl_domain d;
	char buf[16];

	if (lookup_opt(ctx, &d, NULL))
		return -1;
	printf("%s\n", id_string(&d.info, buf, sizeof(buf)));
	return 0;
}

static int cmd_domname(struct cmd_ctx *ctx)
{
	struct ctl_domain d;

	if (lookup_opt(ctx, &d, NULL))
		return -1;
	printf("%s\n", d.info.name);
	return 0;
}

static int cmd_domuuid(struct cmd_ctx *ctx)
{
	struct ctl_domain d;
	char uuid[KESTREL_UUID_STRLEN];

	if (lookup_opt(ctx, &d, NULL))
		return -1;
	kestrel_uuid_format(d.info.uuid, uuid);
	printf("%s\n", uuid);
	return 0;
}

/* ---- list ---- */

/* virshDomainSorter: active domains by ID, then inactive ones by name. */
static int cmp_virsh(const void *a, const void *b)
{
	const struct kestrel_domain_info *x = &((const struct ctl_domain *)a)->info;
	const struct kestrel_domain_info *y = &((const struct ctl_domain *)b)->info;

	if (is_active(x) && is_active(y))
		return x->id < y->id ? -1 : x->id > y->id;
	if (is_active(x) != is_active(y))
		return is_active(x) ? -1 : 1;
	return strcasecmp(x->name, y->name);
}

static void max_width(size_t *w, const char *s)
{
	size_t n = strlen(s);

	if (n > *w)
		*w = n;
}

/*
 * vshTable's layout: each cell after one space, columns padded to their
 * widest cell plus two, a dashed line of (width + 3) per column.
 */
static void list_table(const struct ctl_domain *list, size_t n)
{
	size_t idw = strlen("Id"), namew = strlen("Name");
	size_t statew = strlen("State"), i;
	char buf[16];

	for (i = 0; i < n; i++) {
		max_width(&idw, id_string(&list[i].info, buf, sizeof(buf)));
		max_width(&namew, list[i].info.name);
		max_width(&statew, kestrel_state_name(list[i].info.state));
	}
	printf(" %-*s %-*s %s\n", (int)idw + 2, "Id", (int)namew + 2, "Name",
	       "State");
	for (i = 0; i < idw + namew + statew + 9; i++)
		putchar('-');
	putchar('\n');
	for (i = 0; i < n; i++)
		printf(" %-*s %-*s %s\n", (int)idw + 2,
		       id_string(&list[i].info, buf, sizeof(buf)),
		       (int)namew + 2, list[i].info.name,
		       kestrel_state_name(list[i].info.state));
}

static bool list_wanted(struct cmd_ctx *ctx, const struct ctl_domain *d)
{
	bool persistent = cmd_opt_bool(ctx, "persistent");
	bool transient = cmd_opt_bool(ctx, "transient");

	if (!cmd_opt_bool(ctx, "all") &&
	    is_active(&d->info) == cmd_opt_bool(ctx, "inactive"))
		return false;
	/* Both or neither: no filter on persistence. */
	if (persistent != transient && d->persistent != persistent)
		return false;
	return true;
}

static int cmd_list(struct cmd_ctx *ctx)
{
	bool names = cmd_opt_bool(ctx, "name");
	bool uuids = cmd_opt_bool(ctx, "uuid");
	struct ctl_domain *list;
	size_t n, i, kept = 0;
	char uuid[KESTREL_UUID_STRLEN];

	if (ctl_list_all(ctx, &list, &n, "Failed to list domains"))
		return -1;
	/* Keep the wanted ones at the front. */
	for (i = 0; i < n; i++) {
		if (!list_wanted(ctx, &list[i])) {
			kestrel_domain_info_clear(&list[i].info);
			continue;
		}
		if (kept != i) {
			list[kept] = list[i];
			memset(&list[i], 0, sizeof(list[i]));
		}
		kept++;
	}
	if (kept)
		qsort(list, kept, sizeof(*list), cmp_virsh);

	if (!names && !uuids) {
		list_table(list, kept);
	} else {
		for (i = 0; i < kept; i++) {
			if (uuids) {
				kestrel_uuid_format(list[i].info.uuid, uuid);
				printf("%s", uuid);
			}
			if (names)
				printf("%s%s", uuids ? " " : "",
				       list[i].info.name);
			putchar('\n');
		}
	}
	ctl_list_free(list, n);
	return 0;
}

/* ---- dominfo, domstate ---- */

static int cmd_dominfo(struct cmd_ctx *ctx)
{
	struct kestrel_domain_info info;
	char uuid[KESTREL_UUID_STRLEN], buf[16];
	struct ctl_domain d;

	if (lookup_opt(ctx, &d, NULL))
		return -1;
	info = d.info;
	kestrel_uuid_format(info.uuid, uuid);
	printf("%-15s %s\n", "Id:", id_string(&info, buf, sizeof(buf)));
	printf("%-15s %s\n", "Name:", info.name);
	printf("%-15s %s\n", "UUID:", uuid);
	printf("%-15s %s\n", "OS Type:", "hvm");
	printf("%-15s %s\n", "State:", kestrel_state_name(info.state));
	printf("%-15s %u\n", "CPU(s):", info.vcpus);
	/* virsh prints it when non-zero; a shut off domain has none. */
	if (is_active(&info) && info.cpu_time_ns)
		printf("%-15s %.1fs\n", "CPU time:",
		       (double)info.cpu_time_ns / 1e9);
	printf("%-15s %" PRIu64 " KiB\n", "Max memory:", info.memory / 1024);
	printf("%-15s %" PRIu64 " KiB\n", "Used memory:", info.memory / 1024);
	printf("%-15s %s\n", "Persistent:", d.persistent ? "yes" : "no");
	printf("%-15s %s\n", "Autostart:", "disable");
	printf("%-15s %s\n", "Managed save:", "no");
	printf("%-15s %s\n", "Security model:", "none");
	printf("%-15s %s\n", "Security DOI:", "0");
	return 0;
}

static int cmd_domstate(struct cmd_ctx *ctx)
{
	struct kestrel_domain_info info;
	struct ctl_domain d;

	if (lookup_opt(ctx, &d, NULL))
		return -1;
	info = d.info;
	if (cmd_opt_bool(ctx, "reason"))
		printf("%s (%s)\n", kestrel_state_name(info.state),
		       kestrel_state_reason_name(info.state, info.reason));
	else
		printf("%s\n", kestrel_state_name(info.state));
	return 0;
}

/* ---- domstats ---- */

static const char *const exit_names[] = {
	[KESTREL_EXIT_CPUID] = "cpuid",
	[KESTREL_EXIT_MSR_READ] = "msr_read",
	[KESTREL_EXIT_MSR_WRITE] = "msr_write",
	[KESTREL_EXIT_IO] = "io",
	[KESTREL_EXIT_MMIO] = "mmio",
	[KESTREL_EXIT_HLT] = "hlt",
	[KESTREL_EXIT_HYPERCALL] = "hypercall",
	[KESTREL_EXIT_INTR] = "intr",
	[KESTREL_EXIT_NMI] = "nmi",
	[KESTREL_EXIT_SHUTDOWN] = "shutdown",
	[KESTREL_EXIT_EXCEPTION] = "exception",
	[KESTREL_EXIT_INVALID] = "invalid",
	[KESTREL_EXIT_NPF] = "npf",
	[KESTREL_EXIT_XSETBV] = "xsetbv",
	[KESTREL_EXIT_OTHER] = "other",
	[KESTREL_EXIT_IRQ_WINDOW] = "irq_window",
};

_Static_assert(ARRAY_SIZE(exit_names) == KESTREL_EXIT_COUNT,
	       "a name for every exit reason");

/* An exit reason added to the uapi but not named here yet: its number. */
static const char *exit_name(unsigned int i, char *buf, size_t len)
{
	if (i < ARRAY_SIZE(exit_names) && exit_names[i])
		return exit_names[i];
	snprintf(buf, len, "%u", i);
	return buf;
}

enum {
	STATS_STATE = 1 << 0,
	STATS_CPU = 1 << 1,
	STATS_VCPU = 1 << 2,
	STATS_VM = 1 << 3,
	STATS_NET = 1 << 4,
	STATS_BLOCK = 1 << 5,
	STATS_ALL = STATS_STATE | STATS_CPU | STATS_VCPU | STATS_NET |
		    STATS_BLOCK | STATS_VM,
};

/* The positional domain slots of domstats (the parser has no argv type). */
static const char *const stats_domain_opts[] = {
	"domain", "domain2", "domain3", "domain4",
	"domain5", "domain6", "domain7", "domain8",
};

/*
 * One record, as virshDomainStatsPrintRecord, the groups in libvirt's
 * order (state, cpu-total, vcpu, interface, block, vm).  Like libvirt, an
 * inactive domain has its state, vCPU count and disk names only; a
 * kernel domain kept shut off (on_poweroff='preserve') still has its
 * device counters.  -ENOENT if it went away; 1 if a failure was printed.
 */
static int print_stats(struct cmd_ctx *ctx, const struct ctl_domain *cd,
		       unsigned int groups)
{
	const struct kestrel_domain_info *d = &cd->info;
	struct kestrel_domain_stats st = { 0 };
	bool active = is_active(d);
	char buf[16];
	uint32_t i;
	int err;

	if ((active && (groups & (STATS_VCPU | STATS_VM))) ||
	    (cd->live && (groups & (STATS_NET | STATS_BLOCK)))) {
		err = kestrel_domain_stats(ctx->conn, d->id, &st);
		if (err)
			return err;
	}
	printf("Domain: '%s'\n", d->name);
	if (groups & STATS_STATE) {
		printf("  state.state=%u\n", d->state);
		printf("  state.reason=%u\n", d->reason);
	}
	if ((groups & STATS_CPU) && active)
		printf("  cpu.time=%" PRIu64 "\n", d->cpu_time_ns);
	if (groups & STATS_VCPU) {
		printf("  vcpu.current=%u\n", d->vcpus);
		printf("  vcpu.maximum=%u\n", d->vcpus);
		for (i = 0; active && i < st.nr_vcpus; i++)
			printf("  vcpu.%u.time=%" PRIu64 "\n", i,
			       st.vcpu_time_ns[i]);
	}
	if ((groups & (STATS_NET | STATS_BLOCK)) &&
	    ctl_print_dev_stats(ctx, cd, cd->live ? &st : NULL,
				groups & STATS_NET, groups & STATS_BLOCK))
		return 1;
	if ((groups & STATS_VM) && active)
		for (i = 0; i < KESTREL_EXIT_COUNT; i++)
			printf("  kestrel.exits.%s=%" PRIu64 "\n",
			       exit_name(i, buf, sizeof(buf)), st.exits[i]);
	printf("\n");
	return 0;
}

static int cmd_domstats(struct cmd_ctx *ctx)
{
	struct ctl_domain *list = NULL;
	unsigned int groups = 0;
	size_t n = 0, i;
	int ret = 0;

	if (cmd_opt_bool(ctx, "state"))
		groups |= STATS_STATE;
	if (cmd_opt_bool(ctx, "cpu-total"))
		groups |= STATS_CPU;
	if (cmd_opt_bool(ctx, "vcpu"))
		groups |= STATS_VCPU;
	if (cmd_opt_bool(ctx, "vm"))
		groups |= STATS_VM;
	if (cmd_opt_bool(ctx, "interface"))
		groups |= STATS_NET;
	if (cmd_opt_bool(ctx, "block"))
		groups |= STATS_BLOCK;
	if (!groups)
		groups = STATS_ALL;

	if (ctl_connect(ctx))
		return -1;
	for (i = 0; i < ARRAY_SIZE(stats_domain_opts); i++)
		if (cmd_opt_str(ctx, stats_domain_opts[i]))
			n++;
	if (n) {
		/* Resolve every name first: nothing is printed on a typo. */
		list = calloc(n, sizeof(*list));
		if (!list) {
			ctl_error("out of memory");
			return -1;
		}
		n = 0;
		for (i = 0; i < ARRAY_SIZE(stats_domain_opts); i++) {
			const char *ref;

			ref = cmd_opt_str(ctx, stats_domain_opts[i]);
			if (!ref)
				continue;
			if (ctl_lookup(ctx, ref, &list[n], false)) {
				ret = -1;
				goto out;
			}
			n++;
		}
	} else if (ctl_list_all(ctx, &list, &n,
				"Failed to get stats of domains")) {
		return -1;
	}

	for (i = 0; i < n; i++) {
		int err = print_stats(ctx, &list[i], groups);

		/* A domain destroyed since the dump is simply gone. */
		if (err == -ENOENT && !cmd_opt_str(ctx, "domain"))
			continue;
		if (err > 0) {
			ret = -1;
			break;
		}
		if (err) {
			ctl_error("Failed to get stats of domain '%s'",
				  list[i].info.name);
			ctl_lib_error();
			ret = -1;
			break;
		}
	}
out:
	ctl_list_free(list, n);
	return ret;
}

/* ---- the tables ---- */

#define DOMAIN_OPT(help) { "domain", OPT_DATA, true, help }

static const struct opt_def opts_domain[] = {
	DOMAIN_OPT("domain name, id or uuid"),
	{ NULL }
};

static const struct opt_def opts_console[] = {
	DOMAIN_OPT("domain name, id or uuid"),
	{ "force", OPT_BOOL, false,
	  "force console connection (accepted for compatibility; Kestrel consoles can be shared)" },
	{ "dump", OPT_BOOL, false,
	  "print what the console ring holds and exit, without attaching (Kestrel extension)" },
	{ NULL }
};

static const struct opt_def opts_domid[] = {
	DOMAIN_OPT("domain name or uuid"),
	{ NULL }
};

static const struct opt_def opts_domname[] = {
	DOMAIN_OPT("domain id or uuid"),
	{ NULL }
};

static const struct opt_def opts_domuuid[] = {
	DOMAIN_OPT("domain id or name"),
	{ NULL }
};

static const struct opt_def opts_list[] = {
	{ "inactive", OPT_BOOL, false, "list inactive domains" },
	{ "all", OPT_BOOL, false, "list inactive & active domains" },
	{ "uuid", OPT_BOOL, false, "list uuid's only" },
	{ "name", OPT_BOOL, false, "list domain names only" },
	{ "persistent", OPT_BOOL, false, "list persistent domains" },
	{ "transient", OPT_BOOL, false, "list transient domains" },
	{ NULL }
};

static const struct opt_def opts_domstate[] = {
	DOMAIN_OPT("domain name, id or uuid"),
	{ "reason", OPT_BOOL, false, "also print reason for the state" },
	{ NULL }
};

static const struct opt_def opts_domstats[] = {
	{ "state", OPT_BOOL, false, "report domain state" },
	{ "cpu-total", OPT_BOOL, false, "report domain physical cpu usage" },
	{ "vcpu", OPT_BOOL, false, "report domain virtual cpu information" },
	{ "interface", OPT_BOOL, false, "report domain network interface information" },
	{ "block", OPT_BOOL, false, "report domain block device statistics" },
	{ "vm", OPT_BOOL, false,
	  "report hypervisor-specific statistics (Kestrel's exit counters)" },
	{ "domain", OPT_DATA, false, "domain to get stats for (all if none)" },
	{ "domain2", OPT_DATA, false, "another domain" },
	{ "domain3", OPT_DATA, false, "another domain" },
	{ "domain4", OPT_DATA, false, "another domain" },
	{ "domain5", OPT_DATA, false, "another domain" },
	{ "domain6", OPT_DATA, false, "another domain" },
	{ "domain7", OPT_DATA, false, "another domain" },
	{ "domain8", OPT_DATA, false, "another domain" },
	{ NULL }
};

#define MGMT "Domain Management", "domain"
#define MONITOR "Domain Monitoring", "monitor"

/*
 * One table, each group contiguous (the help printer groups consecutive
 * entries).  Management comes first so that a table of further domain
 * management commands (create, ...) placed just before this one in
 * cmd_tables[] joins the same group.
 */
const struct cmd_def domain_cmds[] = {
	{ "console", cmd_console, MGMT,
	  "connect to the guest console",
	  "Connect the virtual serial console for the guest. Leave it with Ctrl+] (or EOF on standard input). --dump (a Kestrel extension) prints the console's buffered output and exits.",
	  opts_console },
	{ "destroy", cmd_destroy, MGMT,
	  "destroy (stop) a domain",
	  "Forcefully stop a given domain, but leave its resources intact.",
	  opts_domain },
	{ "domid", cmd_domid, MGMT,
	  "convert a domain name or UUID to domain id",
	  "Convert a domain name or UUID to domain id ('-' for a shut off domain).",
	  opts_domid },
	{ "domname", cmd_domname, MGMT,
	  "convert a domain id or UUID to domain name",
	  "Convert a domain id or UUID to domain name.",
	  opts_domname },
	{ "domuuid", cmd_domuuid, MGMT,
	  "convert a domain name or id to domain UUID",
	  "Convert a domain name or id to domain UUID.",
	  opts_domuuid },
	{ "reset", cmd_reset, MGMT,
	  "reset a domain",
	  "Reset the target domain as if by power button",
	  opts_domain },
	{ "resume", cmd_resume, MGMT,
	  "resume a domain",
	  "Resume a previously suspended domain.",
	  opts_domain },
	{ "suspend", cmd_suspend, MGMT,
	  "suspend a domain",
	  "Suspend a running domain.",
	  opts_domain },

	{ "dominfo", cmd_dominfo, MONITOR,
	  "domain information",
	  "Returns basic information about the domain.",
	  opts_domain },
	{ "domstate", cmd_domstate, MONITOR,
	  "domain state",
	  "Returns state about a domain.",
	  opts_domstate },
	{ "domstats", cmd_domstats, MONITOR,
	  "get statistics about one or multiple domains",
	  "Gets statistics about one or more (or all) domains (up to 8 named). Groups: --state, --cpu-total, --vcpu, --interface (net.*), --block (block.*) and --vm (Kestrel's exit counters, kestrel.exits.*); all groups if none is given.",
	  opts_domstats },
	{ "list", cmd_list, MONITOR,
	  "list domains",
	  "Returns list of domains.",
	  opts_list },
	{ NULL }
};
