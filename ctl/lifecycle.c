// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The persistent domain lifecycle: define, undefine and start (domains
 * kept as definitions by the controller, DESIGN principle 3), shutdown
 * and reboot through the guest's ACPI power button, with virsh's wording.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "defs.h"
#include "loader.h"

/* ---- define, undefine ---- */

/*
 * libvirt's duplicate check against the domains in the kernel: a running
 * transient domain of the same name and UUID becomes persistent, the same
 * name with another UUID (or the reverse) is refused.
 */
static int check_live_conflicts(struct cmd_ctx *ctx,
				const struct kestrel_domxml *x)
{
	struct kestrel_domain_info *list;
	size_t n, i;
	int err = 0;

	if (kestrel_domain_list(ctx->conn, &list, &n))
		return -1;
	for (i = 0; i < n && !err; i++)
		err = kestrel_def_conflict(x, list[i].name, list[i].uuid);
	kestrel_domain_list_free(list, n);
	return err;
}

static int cmd_define(struct cmd_ctx *ctx)
{
	const char *file = cmd_opt_str(ctx, "file");
	char dir[KESTREL_DEFS_PATH_MAX];
	struct kestrel_boot_image *img;
	struct kestrel_domxml x;
	int ret = -1, r;

	/* Everything is checked before anything is written. */
	if (kestrel_domxml_parse_file(file, &x))
		goto fail;
	if (ctl_boot_image_prepare(&x, file, 0, &img))
		goto fail;
	kestrel_boot_image_free(img);
	if (kestrel_defs_dir(dir, sizeof(dir)))
		goto fail;
	/* Without the module no domain runs: nothing to conflict with. */
	r = ctl_try_connect(ctx);
	if (r < 0)
		goto out;
	if (r == 0 && check_live_conflicts(ctx, &x))
		goto fail;
	if (kestrel_def_save(dir, &x))
		goto fail;
	printf("Domain '%s' defined from %s\n", x.name, file);
	ret = 0;
	goto out;

fail:
	ctl_error("Failed to define domain from %s", file);
	ctl_lib_error();
out:
	kestrel_domxml_free(&x);
	return ret;
}

static int cmd_undefine(struct cmd_ctx *ctx)
{
	const char *ref = cmd_opt_str(ctx, "domain");
	char dir[KESTREL_DEFS_PATH_MAX];
	struct ctl_domain d;

	/* Nothing in d.info is allocated without XML. */
	if (ctl_lookup_offline(ctx, ref, &d))
		return -1;
	if (!d.persistent) {
		ctl_error("Failed to undefine domain '%s'", ref);
		ctl_error("Requested operation is not valid: cannot undefine transient domain");
		return -1;
	}
	/* A running domain keeps running, transient from now on. */
	if (kestrel_defs_dir(dir, sizeof(dir)) ||
	    kestrel_def_remove(dir, d.info.name)) {
		ctl_error("Failed to undefine domain '%s'", ref);
		ctl_lib_error();
		return -1;
	}
	printf("Domain '%s' has been undefined\n", ref);
	return 0;
}

/* ---- start ---- */

static int cmd_start(struct cmd_ctx *ctx)
{
	const char *ref = cmd_opt_str(ctx, "domain");
	char failure[KESTREL_NAME_MAX + 64], success[KESTREL_NAME_MAX + 64];
	char origin[KESTREL_NAME_MAX + 16], dir[KESTREL_DEFS_PATH_MAX];
	struct kestrel_domxml x;
	struct ctl_domain d;
	int ret;

	if (ctl_lookup(ctx, ref, &d, false))
		return -1;
	snprintf(failure, sizeof(failure), "Failed to start domain '%s'",
		 d.info.name);
	if (d.live) {
		ctl_error("%s", failure);
		if (d.info.state != KESTREL_STATE_SHUTOFF)
			ctl_error("Requested operation is not valid: domain is already running");
		else
			ctl_error("Requested operation is not valid: the hypervisor still holds domain '%s' shut off; destroy it first",
				  d.info.name);
		kestrel_domain_info_clear(&d.info);
		return -1;
	}
	/* Not live: ctl_lookup() found it among the definitions. */
	if (kestrel_defs_dir(dir, sizeof(dir)) ||
	    kestrel_def_load(dir, d.info.name, &x, NULL)) {
		ctl_error("%s", failure);
		ctl_lib_error();
		return -1;
	}
	snprintf(success, sizeof(success), "Domain '%s' started", x.name);
	snprintf(origin, sizeof(origin), "domain '%s'", x.name);
	ret = ctl_launch(ctx, &x, origin, failure, success);
	kestrel_domxml_free(&x);
	return ret;
}

/* ---- shutdown, reboot ---- */

static int shutdown_mode(struct cmd_ctx *ctx, const char *verb)
{
	static const char *const modes[] = {
		"acpi", "agent", "initctl", "signal", "paravirt",
	};
	const char *mode = cmd_opt_str(ctx, "mode");
	size_t i;

	if (!mode || !strcmp(mode, "acpi"))
		return 0;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(mode, modes[i]))
			continue;
		ctl_error("Failed to %s domain '%s'", verb,
			  cmd_opt_str(ctx, "domain"));
		ctl_error("Operation not supported: Kestrel %s domains through ACPI only, not with mode '%s'",
			  !strcmp(verb, "reboot") ? "reboots" : "shuts down",
			  mode);
		return -1;
	}
	ctl_error("Unknown mode %s value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'",
		  mode);
	return -1;
}

static int power_button(struct cmd_ctx *ctx, bool reboot)
{
	const char *verb = reboot ? "reboot" : "shutdown", *ref;
	struct kestrel_conn *events = NULL;
	bool wait = !reboot && cmd_opt_bool(ctx, "wait");
	struct ctl_domain d;
	int timeout_ms = -1, ret = -1, err;

	if (!reboot && cmd_opt_str(ctx, "timeout") && !wait) {
		ctl_error("Option --wait is required by option --timeout");
		return -1;
	}
	if ((!reboot && ctl_opt_timeout_ms(ctx, &timeout_ms)) ||
	    shutdown_mode(ctx, verb))
		return -1;
	if (ctl_lookup_live(ctx, verb, &d, &ref))
		return -1;
	/* Subscribe before pressing the button: no event can slip by. */
	if (wait && kestrel_event_open(&events))
		goto fail;
	if (kestrel_domain_shutdown(ctx->conn, d.info.id, reboot))
		goto fail;
	printf("Domain '%s' is being %s\n", ref,
	       reboot ? "rebooted" : "shutdown");
	ret = 0;
	if (wait) {
		fflush(stdout);
		err = ctl_wait_shutoff(ctx, events, &d.info, timeout_ms);
		if (err == -ETIMEDOUT)
			ctl_error("Timed out waiting for domain '%s' to shut down",
				  ref);
		ret = err ? -1 : 0;
	}
	goto out;

fail:
	ctl_error("Failed to %s domain '%s'", verb, ref);
	ctl_lib_error();
out:
	kestrel_close(events);
	kestrel_domain_info_clear(&d.info);
	return ret;
}

static int cmd_shutdown(struct cmd_ctx *ctx)
{
	return power_button(ctx, false);
}

static int cmd_reboot(struct cmd_ctx *ctx)
{
	return power_button(ctx, true);
}

/* ---- the table ---- */

static const struct opt_def opts_define[] = {
	{ "file", OPT_DATA, true, "file containing an XML domain description" },
	{ NULL }
};

static const struct opt_def opts_undefine[] = {
	{ "domain", OPT_DATA, true, "domain name or uuid" },
	{ NULL }
};

static const struct opt_def opts_start[] = {
	{ "domain", OPT_DATA, true, "name or uuid of the inactive domain" },
	{ "console", OPT_BOOL, false, "attach to console after creation" },
	{ "paused", OPT_BOOL, false, "leave the guest paused after creation" },
	{ NULL }
};

static const struct opt_def opts_shutdown[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "mode", OPT_STRING, false,
	  "shutdown mode: acpi (the only one Kestrel has)" },
	{ "wait", OPT_BOOL, false,
	  "wait until the domain is shut off (Kestrel extension)" },
	{ "timeout", OPT_STRING, false,
	  "with --wait: give up after this many seconds (Kestrel extension)" },
	{ NULL }
};

static const struct opt_def opts_reboot[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "mode", OPT_STRING, false,
	  "shutdown mode: acpi (the only one Kestrel has)" },
	{ NULL }
};

#define MGMT "Domain Management", "domain"

const struct cmd_def lifecycle_cmds[] = {
	{ "define", cmd_define, MGMT,
	  "define (but don't start) a domain from an XML file",
	  "Define a domain: its canonical XML is kept in the definitions directory (see docs/controller.md).",
	  opts_define },
	{ "reboot", cmd_reboot, MGMT,
	  "reboot a domain",
	  "Run a reboot command in the target domain: its ACPI power button is pressed and its next power-off restarts it.",
	  opts_reboot },
	{ "shutdown", cmd_shutdown, MGMT,
	  "gracefully shutdown a domain",
	  "Run shutdown in the target domain: its ACPI power button is pressed. --wait (a Kestrel extension) returns once the domain is shut off, or fails after --timeout seconds.",
	  opts_shutdown },
	{ "start", cmd_start, MGMT,
	  "start a (previously defined) inactive domain",
	  "Start a domain from its definition.",
	  opts_start },
	{ "undefine", cmd_undefine, MGMT,
	  "undefine a domain",
	  "Undefine the configuration for a domain; a running domain keeps running, transient.",
	  opts_undefine },
	{ NULL }
};
