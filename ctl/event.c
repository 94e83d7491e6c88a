// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain events: `event` with virsh's output (virsh-domain-event.c), and
 * the wait behind `shutdown --wait`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "domxml.h"

/* The event kinds `event` knows, as virsh names them. */
enum event_kind {
	KIND_LIFECYCLE,
	KIND_REBOOT,
	KIND_IO_ERROR,
	KIND_COUNT
};

static const char *const kind_names[KIND_COUNT] = {
	[KIND_LIFECYCLE] = "lifecycle",
	[KIND_REBOOT] = "reboot",
	[KIND_IO_ERROR] = "io-error",
};

static enum event_kind kind_of(const struct kestrel_event_msg *ev)
{
	if (ev->event == KESTREL_EVENT_REBOOTED)
		return KIND_REBOOT;
	if (ev->event == KESTREL_EVENT_IO_ERROR)
		return KIND_IO_ERROR;
	return KIND_LIFECYCLE;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- shutdown --wait ---- */

/* 1 when domain @id is shut off or gone, 0 if not, -1 on failure. */
static int is_shut_off(struct cmd_ctx *ctx, uint32_t id)
{
	struct kestrel_domain_info now;
	int err, off;

	err = kestrel_domain_get(ctx->conn, id, &now, false);
	if (err == -ENOENT)
		return 1;	/* IDs are never reused: it is gone */
	if (err) {
		ctl_lib_error();
		return -1;
	}
	off = now.state == KESTREL_STATE_SHUTOFF;
	kestrel_domain_info_clear(&now);
	return off;
}

int ctl_wait_shutoff(struct cmd_ctx *ctx, struct kestrel_conn *events,
		     const struct kestrel_domain_info *info, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct kestrel_event_msg ev;
	int err, off;

	for (;;) {
		long long left = timeout_ms < 0 ? 1000 : deadline - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		/*
		 * Events say when; a look at the state once a second also
		 * covers a lost event (ENOBUFS) and a guest that was off
		 * before the button was pressed.
		 */
		err = kestrel_event_next(events, &ev, left < 1000 ? (int)left : 1000);
		if (!err) {
			if (ev.id != info->id)
				continue;
			if (ev.event == KESTREL_EVENT_STOPPED)
				return 0;
			if (ev.event == KESTREL_EVENT_CRASHED) {
				ctl_error("domain '%s' crashed instead of shutting down",
					  info->name);
				return -1;
			}
			continue;
		}
		if (err != -ETIMEDOUT && err != -ENOBUFS) {
			ctl_lib_error();
			return -1;
		}
		off = is_shut_off(ctx, info->id);
		if (off)
			return off > 0 ? 0 : -1;
	}
}

/* ---- event ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* virTimeStringNowRaw(): UTC with milliseconds. */
static void print_timestamp(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	printf("%04d-%02d-%02d %02d:%02d:%02d.%03ld+0000: ",
	       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	       tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/*
 * libvirt's alias of a virtio disk, virtio-disk<N>, N from its target
 * name as virDiskNameToIndex() counts (vda 0, vdz 25, vdaa 26); -1 for a
 * name that is not vd<letters>.
 */
static int disk_index(const char *target)
{
	const char *p;
	int idx = 0;

	if (strncmp(target, "vd", 2) || !target[2])
		return -1;
	for (p = target + 2; *p; p++) {
		if (*p < 'a' || *p > 'z' || idx > 100000)
			return -1;
		idx = (idx + (p == target + 2 ? 0 : 1)) * 26 + (*p - 'a');
	}
	return idx;
}

/*
 * The source path and alias of the disk in PCI slot @ev->slot, from the
 * XML the kernel keeps: "-" and "" when the domain is gone already.
 */
static void io_error_disk(struct cmd_ctx *ctx,
			  const struct kestrel_event_msg *ev, char *src,
			  size_t srclen, char *alias, size_t aliaslen)
{
	struct kestrel_domain_info info = { 0 };
	struct kestrel_domxml x;
	unsigned int i;

	snprintf(src, srclen, "-");
	snprintf(alias, aliaslen, "%s", "");
	if (!ctx->conn && kestrel_open(&ctx->conn))
		return;
	if (kestrel_domain_get(ctx->conn, ev->id, &info, true))
		return;
	kestrel_domxml_init(&x);
	if (info.xml && !kestrel_domxml_parse(info.xml, strlen(info.xml), &x)) {
		for (i = 0; i < x.nr_devices; i++) {
			const struct kestrel_domxml_device *dev = &x.devices[i];
			int idx;

			if (dev->type != KESTREL_DEV_BLOCK || dev->slot != ev->slot)
				continue;
			if (dev->disk.source)
				snprintf(src, srclen, "%s", dev->disk.source);
			idx = disk_index(dev->disk.target);
			if (idx >= 0)
				snprintf(alias, aliaslen, "virtio-disk%d", idx);
			else
				snprintf(alias, aliaslen, "%s", dev->disk.target);
		}
		kestrel_domxml_free(&x);
	}
	kestrel_domain_info_clear(&info);
}

static void print_event(struct cmd_ctx *ctx, const struct kestrel_event_msg *ev,
			bool timestamp)
{
	char src[4096], alias[64];

	if (kind_of(ev) == KIND_IO_ERROR)
		io_error_disk(ctx, ev, src, sizeof(src), alias, sizeof(alias));
	if (timestamp)
		print_timestamp();
	if (kind_of(ev) == KIND_REBOOT)
		printf("event 'reboot' for domain '%s'\n", ev->name);
	else if (kind_of(ev) == KIND_IO_ERROR)
		/* virsh's format; the action is always "report". */
		printf("event 'io-error' for domain '%s': %s (%s) report\n",
		       ev->name, src, alias);
	else
		printf("event 'lifecycle' for domain '%s': %s %s\n", ev->name,
		       kestrel_event_name(ev->event),
		       kestrel_event_detail_name(ev->event, ev->detail));
	/* Readers are often pipes: each event as it comes. */
	fflush(stdout);
}

static int exclusive(struct cmd_ctx *ctx, const char *a, const char *b)
{
	if (!cmd_opt_bool(ctx, a) || !cmd_opt_bool(ctx, b))
		return 0;
	ctl_error("Options --%s and --%s are mutually exclusive", a, b);
	return -1;
}

/* The kind --event names, KIND_COUNT for --all, or -1 (printed). */
static int wanted_kind(struct cmd_ctx *ctx)
{
	const char *name = cmd_opt_str(ctx, "event");
	int i;

	if (!name && !cmd_opt_bool(ctx, "all")) {
		ctl_error("one of --list, --all, or --event <type> is required");
		return -1;
	}
	if (!name)
		return KIND_COUNT;
	for (i = 0; i < KIND_COUNT; i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	ctl_error("unknown event type %s", name);
	return -1;
}

/* Receive and print until done; the number of events printed, or -1. */
static int event_loop(struct cmd_ctx *ctx, struct kestrel_conn *events,
		      int kind,
		      const struct ctl_domain *d, bool loop, bool timestamp,
		      int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct kestrel_event_msg ev;
	int count = 0, err;

	for (;;) {
		long long left = timeout_ms < 0 ? -1 : deadline - now_ms();

		if (interrupted) {
			printf("event loop interrupted\n");
			return count;
		}
		if (timeout_ms >= 0 && left <= 0) {
			printf("event loop timed out\n");
			return count;
		}
		err = kestrel_event_next(events, &ev, (int)left);
		if (err == -EINTR || err == -ETIMEDOUT)
			continue;	/* the checks above say which */
		if (err) {
			ctl_lib_error();
			return -1;
		}
		if (d && memcmp(ev.uuid, d->info.uuid, KESTREL_UUID_LEN))
			continue;
		if (kind != KIND_COUNT && (int)kind_of(&ev) != kind)
			continue;
		print_event(ctx, &ev, timestamp);
		count++;
		if (!loop)
			return count;
	}
}

static int cmd_event(struct cmd_ctx *ctx)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct kestrel_conn *events = NULL;
	const char *ref = cmd_opt_str(ctx, "domain");
	struct ctl_domain d;
	int kind, timeout_ms, count, i;

	if (exclusive(ctx, "all", "event") || exclusive(ctx, "list", "all") ||
	    exclusive(ctx, "list", "event"))
		return -1;
	if (cmd_opt_bool(ctx, "list")) {
		for (i = 0; i < KIND_COUNT; i++)
			printf("%s\n", kind_names[i]);
		return 0;
	}
	kind = wanted_kind(ctx);
	if (kind < 0 || ctl_opt_timeout_ms(ctx, &timeout_ms))
		return -1;
	/*
	 * By UUID: it stays the same across start, reboot and a new start
	 * of a persistent domain, the kernel's ID does not.
	 */
	if (ref && ctl_lookup(ctx, ref, &d, false))
		return -1;
	if (kestrel_event_open(&events)) {
		ctl_error("failed to connect to the hypervisor");
		ctl_lib_error();
		return -1;
	}

	/* No SA_RESTART: a signal ends the wait with EINTR. */
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	count = event_loop(ctx, events, kind, ref ? &d : NULL,
			   cmd_opt_bool(ctx, "loop"),
			   cmd_opt_bool(ctx, "timestamp"), timeout_ms);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	kestrel_close(events);
	if (count < 0)
		return -1;
	printf("events received: %d\n", count);
	/* As virsh: success only if something came. */
	return count ? 0 : -1;
}

static const struct opt_def opts_event[] = {
	{ "domain", OPT_DATA, false, "filter by domain name, id or uuid" },
	{ "event", OPT_STRING, false,
	  "which event type to wait for: lifecycle, reboot or io-error" },
	{ "all", OPT_BOOL, false, "wait for all events instead of just one type" },
	{ "loop", OPT_BOOL, false, "loop until timeout or interrupt, rather than one-shot" },
	{ "timeout", OPT_STRING, false, "timeout seconds" },
	{ "list", OPT_BOOL, false, "list valid event types" },
	{ "timestamp", OPT_BOOL, false, "show timestamp for each printed event" },
	{ NULL }
};

const struct cmd_def event_cmds[] = {
	{ "event", cmd_event, "Domain Events", "events",
	  "Domain Events",
	  "List event types, or wait for domain events to occur: lifecycle (Started, Stopped, ...), reboot and io-error.",
	  opts_event },
	{ NULL }
};
