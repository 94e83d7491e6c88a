// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The controller's view of domains: the kernel's (always transient) and
 * the persistent definitions kept in the definitions directory (lib/defs.h),
 * joined by UUID the way libvirt joins a running domain to its persistent
 * definition.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "defs.h"

int ctl_defs_dir(char *buf, size_t len)
{
	if (kestrel_defs_dir(buf, len) == 0)
		return 0;
	ctl_lib_error();
	return -1;
}

int ctl_try_connect(struct cmd_ctx *ctx)
{
	if (ctx->conn || kestrel_open(&ctx->conn) == 0)
		return 0;
	if (kestrel_error_is_no_module())
		return 1;
	ctl_error("failed to connect to the hypervisor");
	ctl_lib_error();
	return -1;
}

int ctl_def_text(const char *name, char **xml)
{
	char dir[KESTREL_DEFS_PATH_MAX];

	if (ctl_defs_dir(dir, sizeof(dir)))
		return -1;
	if (kestrel_def_load(dir, name, NULL, xml)) {
		ctl_lib_error();
		return -1;
	}
	return 0;
}

/* A domain that exists only as a definition, as libvirt shows one. */
static void from_def(struct ctl_domain *d, const struct kestrel_def *def)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->info.name, sizeof(d->info.name), "%s", def->name);
	memcpy(d->info.uuid, def->uuid, KESTREL_UUID_LEN);
	d->info.state = KESTREL_STATE_SHUTOFF;
	d->info.reason = KESTREL_SHUTOFF_UNKNOWN;
	d->info.memory = def->memory_kib * 1024;
	d->info.vcpus = def->vcpus;
	d->persistent = true;
}

/* The definition @ref names (a UUID or a name), quietly; 0 or -ENOENT. */
static int find_def(const char *dir, const char *ref, struct kestrel_def *def)
{
	uint8_t uuid[KESTREL_UUID_LEN];
	struct kestrel_domxml x;

	if (kestrel_uuid_parse(ref, uuid) == 0 &&
	    kestrel_def_find_uuid(dir, uuid, def) == 0)
		return 0;
	if (kestrel_def_load(dir, ref, &x, NULL))
		return -ENOENT;
	memset(def, 0, sizeof(*def));
	snprintf(def->name, sizeof(def->name), "%s", x.name);
	memcpy(def->uuid, x.uuid, KESTREL_UUID_LEN);
	def->memory_kib = x.memory_kib;
	def->vcpus = x.vcpus;
	kestrel_domxml_free(&x);
	return 0;
}

/*
 * ctl_lookup(), and with @offline, a lookup of the definitions alone when
 * the module is not loaded (no domain is live then).
 */
static int lookup(struct cmd_ctx *ctx, const char *ref, struct ctl_domain *d,
		  bool want_xml, bool offline)
{
	char dir[KESTREL_DEFS_PATH_MAX], msg[512];
	struct kestrel_def def;
	bool have_dir;
	int err, r;

	memset(d, 0, sizeof(*d));
	r = offline ? ctl_try_connect(ctx) : ctl_connect(ctx);
	if (r < 0)
		return -1;
	have_dir = kestrel_defs_dir(dir, sizeof(dir)) == 0;
	if (r == 1) {
		uint8_t uuid[KESTREL_UUID_LEN];
		char str[KESTREL_UUID_STRLEN];

		err = -ENOENT;
		if (kestrel_uuid_parse(ref, uuid) == 0) {
			kestrel_uuid_format(uuid, str);
			kestrel_fail(ENOENT, "Domain not found: no domain with matching uuid '%s'",
				     str);
		} else {
			kestrel_fail(ENOENT, "Domain not found: no domain with matching name '%s'",
				     ref);
		}
	} else {
		err = kestrel_domain_lookup(ctx->conn, ref, &d->info, want_xml);
	}
	if (!err) {
		d->live = true;
		d->persistent = have_dir &&
			kestrel_def_find_uuid(dir, d->info.uuid, NULL) == 0;
		kestrel_clear_error();
		return 0;
	}
	if (err == -ENOENT && have_dir) {
		/* Keep the kernel's "not found" wording for the failure. */
		snprintf(msg, sizeof(msg), "%s", kestrel_last_error());
		if (find_def(dir, ref, &def) == 0) {
			from_def(d, &def);
			if (!want_xml ||
			    !kestrel_def_load(dir, def.name, NULL, &d->info.xml)) {
				if (d->info.xml)
					d->info.xml_len = strlen(d->info.xml);
				kestrel_clear_error();
				return 0;
			}
			snprintf(msg, sizeof(msg), "%s", kestrel_last_error());
		}
		kestrel_fail(ENOENT, "%s", msg);
	}
	ctl_error("failed to get domain '%s'", ref);
	ctl_lib_error();
	return -1;
}

int ctl_lookup(struct cmd_ctx *ctx, const char *ref, struct ctl_domain *d,
	       bool want_xml)
{
	return lookup(ctx, ref, d, want_xml, false);
}

int ctl_lookup_offline(struct cmd_ctx *ctx, const char *ref,
		       struct ctl_domain *d)
{
	return lookup(ctx, ref, d, false, true);
}

int ctl_lookup_live(struct cmd_ctx *ctx, const char *verb,
		    struct ctl_domain *d, const char **refp)
{
	const char *ref = cmd_opt_str(ctx, "domain");

	*refp = ref;
	if (ctl_lookup(ctx, ref, d, false))
		return -1;
	if (d->live)
		return 0;
	ctl_error("Failed to %s domain '%s'", verb, ref);
	ctl_error("Requested operation is not valid: domain is not running");
	return -1;
}

void ctl_list_free(struct ctl_domain *list, size_t n)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < n; i++)
		kestrel_domain_info_clear(&list[i].info);
	free(list);
}

static bool live_uuid(const struct kestrel_domain_info *live, size_t n,
		      const uint8_t *uuid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(live[i].uuid, uuid, KESTREL_UUID_LEN))
			return true;
	return false;
}

int ctl_list_all(struct cmd_ctx *ctx, struct ctl_domain **listp, size_t *np,
		 const char *failure)
{
	struct kestrel_domain_info *live = NULL;
	struct kestrel_def *defs = NULL;
	char dir[KESTREL_DEFS_PATH_MAX];
	struct ctl_domain *list;
	size_t nlive = 0, ndefs = 0, n = 0, i;

	*listp = NULL;
	*np = 0;
	if (ctl_connect(ctx))
		return -1;
	if (kestrel_domain_list(ctx->conn, &live, &nlive))
		goto fail;
	if (kestrel_defs_dir(dir, sizeof(dir)) == 0 &&
	    kestrel_defs_list(dir, &defs, &ndefs))
		goto fail;
	list = calloc(nlive + ndefs + 1, sizeof(*list));
	if (!list) {
		kestrel_fail(ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < nlive; i++, n++) {
		list[n].info = live[i];
		list[n].live = true;
		for (size_t j = 0; j < ndefs; j++)
			if (!memcmp(defs[j].uuid, live[i].uuid, KESTREL_UUID_LEN))
				list[n].persistent = true;
	}
	for (i = 0; i < ndefs; i++)
		if (!live_uuid(live, nlive, defs[i].uuid))
			from_def(&list[n++], &defs[i]);
	/* The entries moved into the list own their XML now. */
	free(live);
	free(defs);
	*listp = list;
	*np = n;
	return 0;

fail:
	ctl_error("%s", failure);
	ctl_lib_error();
	kestrel_domain_list_free(live, nlive);
	free(defs);
	return -1;
}
