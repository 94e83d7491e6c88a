// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virsh's "Networking" commands over Kestrel's managed networks
 * (lib/network.h): net-define, net-undefine, net-start, net-destroy,
 * net-list, net-dumpxml, net-info, net-uuid, net-name, net-dhcp-leases.
 * None needs the module: a network is a bridge, nftables rules and a
 * dnsmasq, set up and torn down by the controller itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "domxml.h"
#include "network.h"

#define GROUP "Networking", "network"

struct net_dirs {
	char dir[KESTREL_NET_PATH_MAX];
	char run[KESTREL_NET_PATH_MAX];
};

static int get_dirs(struct net_dirs *d)
{
	if (kestrel_network_dir(d->dir, sizeof(d->dir)) ||
	    kestrel_network_run_dir(d->run, sizeof(d->run))) {
		ctl_lib_error();
		return -1;
	}
	return 0;
}

/* virsh's lookup: "failed to get network 'x'" and the reason. */
static int lookup(struct cmd_ctx *ctx, struct net_dirs *d,
		  struct kestrel_net_entry *e, struct kestrel_network *x,
		  bool inactive)
{
	const char *ref = cmd_opt_str(ctx, "network");

	if (get_dirs(d))
		return -1;
	if (kestrel_network_lookup(d->dir, d->run, ref, inactive, e, x)) {
		ctl_error("failed to get network '%s'", ref);
		ctl_lib_error();
		return -1;
	}
	return 0;
}

/* lookup() of the entry alone (its definition or state not read). */
static int lookup_entry(struct cmd_ctx *ctx, struct kestrel_net_entry *e)
{
	struct net_dirs d;

	return lookup(ctx, &d, e, NULL, false);
}

static int cmd_net_define(struct cmd_ctx *ctx)
{
	const char *file = cmd_opt_str(ctx, "file");
	struct kestrel_network x;
	struct net_dirs d;
	int err;

	if (get_dirs(&d))
		return -1;
	err = kestrel_network_parse_file(file, &x) ?:
	      kestrel_network_define(d.dir, d.run, &x);
	if (err) {
		ctl_error("Failed to define network from %s", file);
		ctl_lib_error();
		kestrel_network_free(&x);
		return -1;
	}
	printf("Network %s defined from %s\n", x.name, file);
	kestrel_network_free(&x);
	return 0;
}

/* virsh's "Failed to @verb network @name" and the reason: -1. */
static int verb_failed(const char *verb, const char *name)
{
	ctl_error("Failed to %s network %s", verb, name);
	ctl_lib_error();
	return -1;
}

/*
 * A verb on the network of the "network" option: @op (given the network's
 * XML, the inactive definition's if there is one, when @load), then
 * "Network <name> @done", or the failure and its reason.
 */
static int run_verb(struct cmd_ctx *ctx, const char *verb, const char *done,
		    bool load,
		    int (*op)(const struct net_dirs *d,
			      const struct kestrel_net_entry *e,
			      struct kestrel_network *x))
{
	struct kestrel_net_entry e;
	struct kestrel_network x;
	struct net_dirs d;
	int err;

	if (lookup(ctx, &d, &e, load ? &x : NULL, load))
		return -1;
	err = op(&d, &e, load ? &x : NULL);
	if (load)
		kestrel_network_free(&x);
	if (err)
		return verb_failed(verb, e.name);
	printf("Network %s %s\n", e.name, done);
	return 0;
}

static int undefine_op(const struct net_dirs *d,
		       const struct kestrel_net_entry *e,
		       struct kestrel_network *x)
{
	(void)x;
	if (!e->persistent)
		return kestrel_fail(EINVAL, "Requested operation is not valid: can't undefine transient network");
	return kestrel_network_undefine(d->dir, e->name);
}

static int cmd_net_undefine(struct cmd_ctx *ctx)
{
	return run_verb(ctx, "undefine", "has been undefined", false,
			undefine_op);
}

static int start_op(const struct net_dirs *d, const struct kestrel_net_entry *e,
		    struct kestrel_network *x)
{
	char warning[256];
	int err;

	if (e->active)
		return kestrel_fail(EBUSY, "Requested operation is not valid: network is already active");
	err = kestrel_network_start(d->run, x, warning, sizeof(warning));
	if (!err && warning[0]) {
		fflush(stdout);
		fprintf(stderr, "warning: %s\n", warning);
	}
	return err;
}

static int cmd_net_start(struct cmd_ctx *ctx)
{
	return run_verb(ctx, "start", "started", true, start_op);
}

static int destroy_op(const struct net_dirs *d,
		      const struct kestrel_net_entry *e,
		      struct kestrel_network *x)
{
	(void)x;
	return kestrel_network_stop(d->run, e->name);
}

static int cmd_net_destroy(struct cmd_ctx *ctx)
{
	return run_verb(ctx, "destroy", "destroyed", false, destroy_op);
}

static int cmd_net_dumpxml(struct cmd_ctx *ctx)
{
	struct kestrel_net_entry e;
	struct kestrel_network x;
	struct net_dirs d;
	char *xml;

	if (lookup(ctx, &d, &e, &x, cmd_opt_bool(ctx, "inactive")))
		return -1;
	xml = kestrel_network_format(&x);
	kestrel_network_free(&x);
	if (!xml) {
		ctl_lib_error();
		return -1;
	}
	fputs(xml, stdout);
	free(xml);
	return 0;
}

static int cmd_net_info(struct cmd_ctx *ctx)
{
	char uuid[KESTREL_UUID_STRLEN];
	struct kestrel_net_entry e;

	if (lookup_entry(ctx, &e))
		return -1;
	kestrel_uuid_format(e.uuid, uuid);
	printf("%-15s %s\n", "Name:", e.name);
	printf("%-15s %s\n", "UUID:", uuid);
	printf("%-15s %s\n", "Active:", e.active ? "yes" : "no");
	printf("%-15s %s\n", "Persistent:", e.persistent ? "yes" : "no");
	printf("%-15s %s\n", "Autostart:", "no");
	printf("%-15s %s\n", "Bridge:", e.bridge);
	return 0;
}

static int cmd_net_uuid(struct cmd_ctx *ctx)
{
	char uuid[KESTREL_UUID_STRLEN];
	struct kestrel_net_entry e;

	if (lookup_entry(ctx, &e))
		return -1;
	kestrel_uuid_format(e.uuid, uuid);
	printf("%s\n", uuid);
	return 0;
}

static int cmd_net_name(struct cmd_ctx *ctx)
{
	struct kestrel_net_entry e;

	if (lookup_entry(ctx, &e))
		return -1;
	printf("%s\n", e.name);
	return 0;
}

static bool list_wanted(struct cmd_ctx *ctx, const struct kestrel_net_entry *e)
{
	bool persistent = cmd_opt_bool(ctx, "persistent");
	bool transient = cmd_opt_bool(ctx, "transient");

	if (!cmd_opt_bool(ctx, "all") &&
	    e->active == cmd_opt_bool(ctx, "inactive"))
		return false;
	if (persistent != transient && e->persistent != persistent)
		return false;
	return true;
}

static int cmd_net_list(struct cmd_ctx *ctx)
{
	static const char *const header[] = { "Name", "State", "Autostart",
					      "Persistent" };
	bool names = cmd_opt_bool(ctx, "name"), uuids = cmd_opt_bool(ctx, "uuid");
	struct kestrel_net_entry *list;
	char (*uuid)[KESTREL_UUID_STRLEN] = NULL;
	const char **cells = NULL;
	size_t n, i, rows = 1;
	struct net_dirs d;
	int ret = -1;

	if (get_dirs(&d))
		return -1;
	if (kestrel_network_list(d.dir, d.run, &list, &n)) {
		ctl_error("Failed to list networks");
		ctl_lib_error();
		return -1;
	}
	cells = calloc((n + 1) * 4, sizeof(*cells));
	uuid = calloc(n + 1, sizeof(*uuid));
	if (!cells || !uuid) {
		ctl_error("out of memory");
		goto out;
	}
	memcpy(cells, header, sizeof(header));
	for (i = 0; i < n; i++) {
		if (!list_wanted(ctx, &list[i]))
			continue;
		kestrel_uuid_format(list[i].uuid, uuid[i]);
		if (names || uuids) {
			if (uuids && names)
				printf("%-36s  %s\n", uuid[i], list[i].name);
			else
				printf("%s\n", uuids ? uuid[i] : list[i].name);
			continue;
		}
		cells[rows * 4] = list[i].name;
		cells[rows * 4 + 1] = list[i].active ? "active" : "inactive";
		cells[rows * 4 + 2] = "no";
		cells[rows * 4 + 3] = list[i].persistent ? "yes" : "no";
		rows++;
	}
	if (!names && !uuids)
		ctl_print_table(cells, 4, rows);
	ret = 0;
out:
	free(cells);
	free(uuid);
	free(list);
	return ret;
}

static int cmd_net_dhcp_leases(struct cmd_ctx *ctx)
{
	static const char *const header[] = { "Expiry Time", "MAC address",
		"Protocol", "IP address", "Hostname", "Client ID or DUID" };
	const char *want_mac = cmd_opt_str(ctx, "mac");
	struct kestrel_net_lease *leases = NULL;
	struct kestrel_net_entry e;
	struct kestrel_network x;
	struct net_dirs d;
	char (*text)[3][64] = NULL;
	const char **cells = NULL;
	uint8_t mac[6];
	size_t n, i, rows = 1;
	int ret = -1;

	if (want_mac && kestrel_mac_parse(want_mac, mac)) {
		ctl_error("invalid MAC address '%s'", want_mac);
		return -1;
	}
	if (lookup(ctx, &d, &e, &x, false))
		return -1;
	if (kestrel_network_leases(d.run, e.name, &leases, &n)) {
		ctl_error("Failed to get leases info for %s", e.name);
		ctl_lib_error();
		goto out;
	}
	cells = calloc((n + 1) * 6, sizeof(*cells));
	text = calloc(n + 1, sizeof(*text));
	if (!cells || !text) {
		ctl_error("out of memory");
		goto out;
	}
	memcpy(cells, header, sizeof(header));
	for (i = 0; i < n; i++) {
		struct kestrel_net_lease *l = &leases[i];
		time_t t = (time_t)l->expiry;
		char a[16];
		struct tm tm;

		if (want_mac && memcmp(mac, l->mac, 6))
			continue;
		if (l->expiry && localtime_r(&t, &tm))
			strftime(text[i][0], sizeof(text[i][0]),
				 "%Y-%m-%d %H:%M:%S", &tm);
		else
			snprintf(text[i][0], sizeof(text[i][0]), "never");
		kestrel_mac_format(l->mac, text[i][1]);
		snprintf(text[i][2], sizeof(text[i][2]), "%s/%u",
			 kestrel_net_addr_format(l->ip, a),
			 x.has_ip ? x.prefix : 32);
		cells[rows * 6] = text[i][0];
		cells[rows * 6 + 1] = text[i][1];
		cells[rows * 6 + 2] = "ipv4";
		cells[rows * 6 + 3] = text[i][2];
		cells[rows * 6 + 4] = l->hostname[0] ? l->hostname : "-";
		cells[rows * 6 + 5] = l->clientid[0] ? l->clientid : "-";
		rows++;
	}
	ctl_print_table(cells, 6, rows);
	ret = 0;
out:
	free(cells);
	free(text);
	free(leases);
	kestrel_network_free(&x);
	return ret;
}

static const struct opt_def opts_file[] = {
	{ "file", OPT_DATA, true, "file containing an XML network description" },
	{ NULL }
};

static const struct opt_def opts_network[] = {
	{ "network", OPT_DATA, true, "network name or uuid" },
	{ NULL }
};

static const struct opt_def opts_dumpxml[] = {
	{ "network", OPT_DATA, true, "network name or uuid" },
	{ "inactive", OPT_BOOL, false, "show inactive defined XML" },
	{ NULL }
};

static const struct opt_def opts_list[] = {
	{ "inactive", OPT_BOOL, false, "list inactive networks" },
	{ "all", OPT_BOOL, false, "list inactive & active networks" },
	{ "persistent", OPT_BOOL, false, "list persistent networks" },
	{ "transient", OPT_BOOL, false, "list transient networks" },
	{ "uuid", OPT_BOOL, false, "list uuid's only" },
	{ "name", OPT_BOOL, false, "list network names only" },
	{ NULL }
};

static const struct opt_def opts_leases[] = {
	{ "network", OPT_DATA, true, "network name or uuid" },
	{ "mac", OPT_STRING, false, "MAC address" },
	{ NULL }
};

const struct cmd_def network_cmds[] = {
	{ "net-define", cmd_net_define, GROUP,
	  "define an inactive persistent virtual network or modify an existing persistent one from an XML file",
	  "Define or modify a persistent virtual network (a bridge, NAT or isolation rules, DHCP and DNS).",
	  opts_file },
	{ "net-undefine", cmd_net_undefine, GROUP,
	  "undefine a persistent network",
	  "Undefine the configuration for a persistent network.",
	  opts_network },
	{ "net-start", cmd_net_start, GROUP,
	  "start a (previously defined) inactive network",
	  "Start a network: create its bridge, firewall rules and dnsmasq.",
	  opts_network },
	{ "net-destroy", cmd_net_destroy, GROUP,
	  "destroy (stop) a network",
	  "Forcefully stop a given network: stop its dnsmasq, remove its rules and its bridge.",
	  opts_network },
	{ "net-list", cmd_net_list, GROUP,
	  "list networks",
	  "Returns list of networks.",
	  opts_list },
	{ "net-dumpxml", cmd_net_dumpxml, GROUP,
	  "network information in XML",
	  "Output the network information as an XML dump to stdout.",
	  opts_dumpxml },
	{ "net-info", cmd_net_info, GROUP,
	  "network information",
	  "Returns basic information about the network",
	  opts_network },
	{ "net-uuid", cmd_net_uuid, GROUP,
	  "convert a network name to network UUID",
	  "Convert a network name to network UUID.",
	  opts_network },
	{ "net-name", cmd_net_name, GROUP,
	  "convert a network UUID to network name",
	  "Convert a network UUID to network name.",
	  opts_network },
	{ "net-dhcp-leases", cmd_net_dhcp_leases, GROUP,
	  "print lease info for a given network",
	  "Print lease info for a given network (from its dnsmasq's lease file).",
	  opts_leases },
	{ NULL }
};
