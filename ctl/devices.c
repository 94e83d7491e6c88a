// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device commands (virsh's "Domain Monitoring"): domblklist, domiflist,
 * domblkstat, domifstat, domif-setlink, domif-getlink, and the block and
 * interface groups of domstats.
 *
 * The names are the domain XML's: a disk is its <target dev> (or its
 * <source> path), an interface its <target dev> (the tap, ktap0 when
 * generated) or its MAC.  The XML of a kernel domain is the one the
 * kernel keeps (dumpxml's), so generated tap names show.  The counters
 * are the module's (DOMAIN_STATS' STAT_DEVICES), matched to the XML's
 * devices by PCI slot.  They exist as long as the kernel domain does,
 * so a domain kept shut off by on_poweroff='preserve' still has them; a
 * defined domain that is not running has none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ctl.h"
#include "defs.h"
#include "domxml.h"

/* vshTable's layout (ctl.h); network.c's tables use it too. */
void ctl_print_table(const char *const *cells, size_t ncols, size_t nrows)
{
	size_t w[8] = { 0 }, r, c, i;

	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++)
			if (strlen(cells[r * ncols + c]) > w[c])
				w[c] = strlen(cells[r * ncols + c]);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			if (c + 1 < ncols)
				printf(" %-*s", (int)w[c] + 2, cells[r * ncols + c]);
			else
				printf(" %s", cells[r * ncols + c]);
		}
		putchar('\n');
		if (r)
			continue;
		for (c = 0; c < ncols; c++)
			for (i = 0; i < w[c] + 3; i++)
				putchar('-');
		putchar('\n');
	}
}

static xmlDocPtr read_xml(const char *xml)
{
	return xmlReadMemory(xml, strlen(xml), NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR |
			     XML_PARSE_NOWARNING);
}

/*
 * @fn on each <interface> of @doc's <devices> with model @x's network
 * device for it: the model keeps them in document order.  Stops at the
 * first negative return of @fn and returns it; otherwise the number of
 * calls that returned > 0.
 */
static int for_each_iface(xmlDocPtr doc, struct kestrel_domxml *x,
			  int (*fn)(xmlNodePtr n,
				    struct kestrel_domxml_device *dev,
				    void *arg),
			  void *arg)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr devs, n;
	unsigned int i = 0;
	int ret, count = 0;

	for (devs = root ? root->children : NULL; devs; devs = devs->next)
		if (devs->type == XML_ELEMENT_NODE &&
		    !xmlStrcmp(devs->name, BAD_CAST "devices"))
			break;
	for (n = devs ? devs->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(n->name, BAD_CAST "interface"))
			continue;
		while (i < x->nr_devices && x->devices[i].type != KESTREL_DEV_NET)
			i++;
		if (i == x->nr_devices)
			break;
		ret = fn(n, &x->devices[i++], arg);
		if (ret < 0)
			return ret;
		count += ret > 0;
	}
	return count;
}

/* <interface> @n's <target dev> into @dev when the model has none. */
static int restore_tap_name(xmlNodePtr n, struct kestrel_domxml_device *dev,
			    void *arg)
{
	xmlNodePtr t;

	(void)arg;
	for (t = n->children; t; t = t->next) {
		xmlChar *name;

		if (t->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(t->name, BAD_CAST "target"))
			continue;
		name = xmlGetProp(t, BAD_CAST "dev");
		if (name && !*dev->net.target)
			snprintf(dev->net.target, sizeof(dev->net.target), "%s",
				 (const char *)name);
		xmlFree(name);
	}
	return 0;
}

/*
 * The model reads a generated tap name (ktapN) as no name, as libvirt
 * reads vnetN in a definition; the kernel's XML has the name the tap
 * got.  Put those back.
 */
static void restore_tap_names(const char *xml, struct kestrel_domxml *x)
{
	xmlDocPtr doc = read_xml(xml);

	if (!doc)
		return;
	for_each_iface(doc, x, restore_tap_name, NULL);
	xmlFreeDoc(doc);
}

/*
 * The XML model of @d: with @inactive the definition of a persistent
 * domain, otherwise the kernel's XML of a live domain (a domain created
 * without XML has no devices) or the definition.  0, or -1 printed.
 */
static int load_model(struct cmd_ctx *ctx, const struct ctl_domain *d,
		      bool inactive, struct kestrel_domxml *x)
{
	struct kestrel_domain_info info = { 0 };
	char *def = NULL;
	const char *xml;
	int err;

	kestrel_domxml_init(x);
	if (d->persistent && (inactive || !d->live)) {
		if (ctl_def_text(d->info.name, &def))
			return -1;
		xml = def;
	} else if (d->info.xml) {
		xml = d->info.xml;
	} else {
		if (kestrel_domain_get(ctx->conn, d->info.id, &info, true)) {
			ctl_lib_error();
			return -1;
		}
		xml = info.xml;
	}
	err = xml ? kestrel_domxml_parse(xml, strlen(xml), x) : 0;
	if (!err && xml)
		restore_tap_names(xml, x);
	free(def);
	kestrel_domain_info_clear(&info);
	if (err) {
		ctl_error("cannot read the XML of domain '%s'", d->info.name);
		ctl_lib_error();
		return -1;
	}
	return 0;
}

/* The counters of the XML's device @dev, NULL if the module has none. */
static const struct kestrel_device_stats *
dev_counters(const struct kestrel_domain_stats *st,
	     const struct kestrel_domxml_device *dev)
{
	unsigned int i;

	for (i = 0; st && i < st->nr_devices; i++)
		if (st->devices[i].slot == dev->slot &&
		    st->devices[i].type == dev->type)
			return &st->devices[i];
	return NULL;
}

static const char *disk_source(const struct kestrel_domxml_device *dev)
{
	return dev->disk.source && *dev->disk.source ? dev->disk.source : "-";
}

/* ---- domblklist, domiflist ---- */

static int cmd_domblklist(struct cmd_ctx *ctx)
{
	bool details = cmd_opt_bool(ctx, "details");
	const char *cells[(KESTREL_MAX_DEVICES + 1) * 4];
	size_t ncols = details ? 4 : 2, nrows = 1;
	struct kestrel_domxml x;
	struct ctl_domain d;
	unsigned int i;

	if (ctl_lookup(ctx, cmd_opt_str(ctx, "domain"), &d, true))
		return -1;
	if (load_model(ctx, &d, cmd_opt_bool(ctx, "inactive"), &x)) {
		kestrel_domain_info_clear(&d.info);
		return -1;
	}
	if (details) {
		cells[0] = "Type";
		cells[1] = "Device";
		cells[2] = "Target";
		cells[3] = "Source";
	} else {
		cells[0] = "Target";
		cells[1] = "Source";
	}
	for (i = 0; i < x.nr_devices; i++) {
		const struct kestrel_domxml_device *dev = &x.devices[i];
		const char **row = &cells[nrows * ncols];

		if (dev->type != KESTREL_DEV_BLOCK)
			continue;
		if (details) {
			*row++ = kestrel_domxml_disk_type_name(dev->disk.type);
			*row++ = "disk";
		}
		*row++ = dev->disk.target;
		*row = disk_source(dev);
		nrows++;
	}
	ctl_print_table(cells, ncols, nrows);
	kestrel_domxml_free(&x);
	kestrel_domain_info_clear(&d.info);
	return 0;
}

static int cmd_domiflist(struct cmd_ctx *ctx)
{
	char macs[KESTREL_MAX_DEVICES][18];
	const char *cells[(KESTREL_MAX_DEVICES + 1) * 5] = {
		"Interface", "Type", "Source", "Model", "MAC",
	};
	struct kestrel_domxml x;
	struct ctl_domain d;
	size_t nrows = 1;
	unsigned int i;

	if (ctl_lookup(ctx, cmd_opt_str(ctx, "domain"), &d, true))
		return -1;
	if (load_model(ctx, &d, cmd_opt_bool(ctx, "inactive"), &x)) {
		kestrel_domain_info_clear(&d.info);
		return -1;
	}
	for (i = 0; i < x.nr_devices; i++) {
		const struct kestrel_domxml_device *dev = &x.devices[i];
		const char **row = &cells[nrows * 5];

		if (dev->type != KESTREL_DEV_NET)
			continue;
		row[0] = *dev->net.target ? dev->net.target : "-";
		row[1] = kestrel_domxml_net_type_name(dev->net.type);
		row[2] = *dev->net.source ? dev->net.source : "-";
		row[3] = "virtio";
		row[4] = kestrel_mac_format(dev->net.mac, macs[i]);
		nrows++;
	}
	ctl_print_table(cells, 5, nrows);
	kestrel_domxml_free(&x);
	kestrel_domain_info_clear(&d.info);
	return 0;
}

/* ---- domblkstat, domifstat ---- */

/*
 * The domain of a stats command, its XML model and its counters: only a
 * kernel domain has counters ("domain is not running" otherwise, after
 * @failure).  0, or -1 printed.
 */
static int stats_lookup(struct cmd_ctx *ctx, struct ctl_domain *d,
			struct kestrel_domxml *x,
			struct kestrel_domain_stats *st, const char *failure,
			const char *what)
{
	const char *ref = cmd_opt_str(ctx, "domain");

	if (ctl_lookup(ctx, ref, d, true))
		return -1;
	if (!d->live) {
		ctl_error(failure, ref, what);
		ctl_error("Requested operation is not valid: domain is not running");
		goto fail;
	}
	if (load_model(ctx, d, false, x))
		goto fail;
	if (kestrel_domain_stats(ctx->conn, d->info.id, st)) {
		ctl_error(failure, ref, what);
		ctl_lib_error();
		kestrel_domxml_free(x);
		goto fail;
	}
	return 0;
fail:
	kestrel_domain_info_clear(&d->info);
	return -1;
}

#define BLK_FAILURE "Failed to get block stats for domain '%s' device '%s'"

struct blkstat_field {
	const char *legacy;
	const char *human;
	size_t offset;
};

/* virsh's domblkstat_output order, the fields Kestrel has. */
static const struct blkstat_field blkstat_fields[] = {
	{ "rd_req", "number of read operations:",
	  offsetof(struct kestrel_device_stats, rd_reqs) },
	{ "rd_bytes", "number of bytes read:",
	  offsetof(struct kestrel_device_stats, rd_bytes) },
	{ "wr_req", "number of write operations:",
	  offsetof(struct kestrel_device_stats, wr_reqs) },
	{ "wr_bytes", "number of bytes written:",
	  offsetof(struct kestrel_device_stats, wr_bytes) },
	{ "errs", "error count:",
	  offsetof(struct kestrel_device_stats, errors) },
	{ "flush_operations", "number of flush operations:",
	  offsetof(struct kestrel_device_stats, flush_reqs) },
};

static uint64_t field_of(const struct kestrel_device_stats *s, size_t offset)
{
	return *(const uint64_t *)((const char *)s + offset);
}

static void sum_blk(struct kestrel_device_stats *sum,
		    const struct kestrel_device_stats *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(blkstat_fields) / sizeof(blkstat_fields[0]);
	     i++)
		*(uint64_t *)((char *)sum + blkstat_fields[i].offset) +=
			field_of(s, blkstat_fields[i].offset);
}

static int cmd_domblkstat(struct cmd_ctx *ctx)
{
	const char *device = cmd_opt_str(ctx, "device");
	bool human = cmd_opt_bool(ctx, "human");
	struct kestrel_device_stats sum = { 0 };
	struct kestrel_domain_stats st;
	struct kestrel_domxml x;
	struct ctl_domain d;
	bool found = false;
	unsigned int i;

	if (!device)
		device = "";
	if (stats_lookup(ctx, &d, &x, &st, BLK_FAILURE, device))
		return -1;
	/* No device: every disk summed, as libvirt's "" path. */
	for (i = 0; i < x.nr_devices; i++) {
		const struct kestrel_domxml_device *dev = &x.devices[i];

		if (dev->type != KESTREL_DEV_BLOCK)
			continue;
		if (*device && strcmp(device, dev->disk.target) &&
		    (!dev->disk.source || strcmp(device, dev->disk.source)))
			continue;
		sum_blk(&sum, dev_counters(&st, dev));
		found = true;
		if (*device)
			break;
	}
	if (*device && !found) {
		ctl_error(BLK_FAILURE, cmd_opt_str(ctx, "domain"), device);
		ctl_error("invalid argument: invalid path: %s", device);
		kestrel_domxml_free(&x);
		kestrel_domain_info_clear(&d.info);
		return -1;
	}
	if (human) {
		printf("Device: %s\n", device);
		device = "";
	}
	for (i = 0; i < sizeof(blkstat_fields) / sizeof(blkstat_fields[0]); i++)
		printf("%s %-*s %" PRIu64 "\n", device, human ? 31 : 0,
		       human ? blkstat_fields[i].human : blkstat_fields[i].legacy,
		       field_of(&sum, blkstat_fields[i].offset));
	kestrel_domxml_free(&x);
	kestrel_domain_info_clear(&d.info);
	return 0;
}

/* The interface named by its tap or its MAC, as virDomainNetFind. */
static const struct kestrel_domxml_device *
find_iface(const struct kestrel_domxml *x, const char *name)
{
	uint8_t mac[6];
	bool by_mac = kestrel_mac_parse(name, mac) == 0;
	unsigned int i;

	for (i = 0; i < x->nr_devices; i++) {
		const struct kestrel_domxml_device *dev = &x->devices[i];

		if (dev->type != KESTREL_DEV_NET)
			continue;
		if (by_mac ? !memcmp(mac, dev->net.mac, 6) :
		    (*dev->net.target && !strcmp(name, dev->net.target)))
			return dev;
	}
	return NULL;
}

static int cmd_domifstat(struct cmd_ctx *ctx)
{
	const char *iface = cmd_opt_str(ctx, "interface");
	const struct kestrel_device_stats *s;
	const struct kestrel_domxml_device *dev;
	struct kestrel_device_stats none = { 0 };
	struct kestrel_domain_stats st;
	struct kestrel_domxml x;
	struct ctl_domain d;

	if (stats_lookup(ctx, &d, &x, &st, "Failed to get interface stats %s %s",
			 iface))
		return -1;
	dev = find_iface(&x, iface);
	if (!dev) {
		ctl_error("Failed to get interface stats %s %s",
			  cmd_opt_str(ctx, "domain"), iface);
		ctl_error("invalid argument: '%s' is not a known interface", iface);
		kestrel_domxml_free(&x);
		kestrel_domain_info_clear(&d.info);
		return -1;
	}
	/* The guest's view, as libvirt reports it (it swaps a tap's). */
	s = dev_counters(&st, dev) ?: &none;
	printf("%s rx_bytes %" PRIu64 "\n", iface, s->rx_bytes);
	printf("%s rx_packets %" PRIu64 "\n", iface, s->rx_packets);
	printf("%s rx_errs %" PRIu64 "\n", iface, s->rx_errors);
	printf("%s rx_drop %" PRIu64 "\n", iface, s->rx_drops);
	printf("%s tx_bytes %" PRIu64 "\n", iface, s->tx_bytes);
	printf("%s tx_packets %" PRIu64 "\n", iface, s->tx_packets);
	printf("%s tx_errs %" PRIu64 "\n", iface, s->tx_errors);
	printf("%s tx_drop %" PRIu64 "\n", iface, s->tx_drops);
	kestrel_domxml_free(&x);
	kestrel_domain_info_clear(&d.info);
	return 0;
}

/* ---- domif-setlink, domif-getlink, dumpxml's <link> ---- */

/*
 * <interface> @n's <link state='down|up'/>, added as its last child when
 * missing: 1 if changed, 0 if it already said so, -1 on failure.
 */
static int set_link_elem(xmlNodePtr n, bool down)
{
	xmlChar *was;
	int same;

	xmlNodePtr c, link = NULL, last_ws = NULL, first_ws = NULL;

	for (c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE &&
		    !xmlStrcmp(c->name, BAD_CAST "link"))
			link = c;
		if (c->type == XML_TEXT_NODE && !first_ws)
			first_ws = c;
		last_ws = c->type == XML_TEXT_NODE ? c : NULL;
	}
	if (link) {
		was = xmlGetProp(link, BAD_CAST "state");
		same = was && !xmlStrcmp(was, BAD_CAST(down ? "down" : "up"));
		xmlFree(was);
		if (same)
			return 0;
		return xmlSetProp(link, BAD_CAST "state",
				  BAD_CAST(down ? "down" : "up")) ? 1 : -1;
	}
	if (!down)
		return 0;	/* no <link>: up, as the XML already says */
	link = xmlNewNode(NULL, BAD_CAST "link");
	if (!link || !xmlSetProp(link, BAD_CAST "state", BAD_CAST "down")) {
		xmlFreeNode(link);
		return -1;
	}
	/* Indented as the element's other children, before its closing tag. */
	if (last_ws && first_ws && first_ws != last_ws) {
		xmlNodePtr ws = xmlNewText(first_ws->content);

		if (!ws || !xmlAddPrevSibling(last_ws, ws) ||
		    !xmlAddPrevSibling(last_ws, link)) {
			xmlFreeNode(ws);
			xmlFreeNode(link);
			return -1;
		}
		return 1;
	}
	if (!xmlAddChild(n, link)) {
		xmlFreeNode(link);
		return -1;
	}
	return 1;
}

/* for_each_iface: @n's <link> as the module's counters @arg say. */
static int live_link(xmlNodePtr n, struct kestrel_domxml_device *dev,
		     void *arg)
{
	const struct kestrel_device_stats *s = dev_counters(arg, dev);

	return s ? set_link_elem(n, s->link_down) : 0;
}

char *ctl_xml_live_links(struct cmd_ctx *ctx, const struct ctl_domain *d)
{
	struct kestrel_domain_stats st;
	struct kestrel_domxml x;
	xmlBufferPtr buf = NULL;
	char *out = NULL;
	xmlDocPtr doc;

	if (!d->live || !d->info.xml ||
	    kestrel_domain_stats(ctx->conn, d->info.id, &st))
		return NULL;
	kestrel_domxml_init(&x);
	if (kestrel_domxml_parse(d->info.xml, strlen(d->info.xml), &x))
		return NULL;
	doc = read_xml(d->info.xml);
	/* Unchanged: NULL, and the kernel's text is printed as it is. */
	if (doc && for_each_iface(doc, &x, live_link, &st) > 0) {
		buf = xmlBufferCreate();
		if (buf && xmlNodeDump(buf, doc, xmlDocGetRootElement(doc),
				       0, 0) >= 0)
			out = strdup((const char *)xmlBufferContent(buf));
	}
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	kestrel_domxml_free(&x);
	return out;
}

/* virsh's words for an interface that is not there. */
static void iface_not_found(const char *fmt, const char *iface)
{
	uint8_t mac[6];

	ctl_error(fmt, kestrel_mac_parse(iface, mac) ? "dev" : "address", iface);
}

/*
 * Domain @d's model (@inactive: its definition's) and its interface named
 * @iface (tap or MAC).  NULL when either fails, printed (@not_found:
 * virsh's words for a missing interface), with @x and @d released.
 */
static struct kestrel_domxml_device *
load_iface(struct cmd_ctx *ctx, struct ctl_domain *d, bool inactive,
	   struct kestrel_domxml *x, const char *iface, const char *not_found)
{
	const struct kestrel_domxml_device *dev;

	if (load_model(ctx, d, inactive, x)) {
		kestrel_domain_info_clear(&d->info);
		return NULL;
	}
	dev = find_iface(x, iface);
	if (!dev) {
		iface_not_found(not_found, iface);
		kestrel_domxml_free(x);
		kestrel_domain_info_clear(&d->info);
		return NULL;
	}
	return &x->devices[dev - x->devices];
}

/* Definition @x with @dev's <link> set, saved in place. */
static int save_link(const struct kestrel_domxml *x,
		     struct kestrel_domxml_device *dev, bool up)
{
	char dir[KESTREL_DEFS_PATH_MAX];

	dev->net.link = up ? KESTREL_DOMXML_LINK_UP : KESTREL_DOMXML_LINK_DOWN;
	if (kestrel_defs_dir(dir, sizeof(dir)) || kestrel_def_save(dir, x)) {
		ctl_error("Failed to update interface link state");
		ctl_lib_error();
		return -1;
	}
	return 0;
}

/*
 * virsh's flags: --config changes the definition only; without it a
 * running domain's link changes (not its definition) and a domain that
 * is not running has its definition changed.
 */
static int cmd_domif_setlink(struct cmd_ctx *ctx)
{
	const char *ref = cmd_opt_str(ctx, "domain");
	const char *iface = cmd_opt_str(ctx, "interface");
	const char *state = cmd_opt_str(ctx, "state");
	struct kestrel_domxml_device *dev;
	bool config = cmd_opt_bool(ctx, "config");
	bool up = !strcmp(state, "up");
	struct kestrel_domxml x;
	struct ctl_domain d;
	int ret = -1;

	if (!up && strcmp(state, "down")) {
		ctl_error("invalid link state '%s'", state);
		return -1;
	}
	if (ctl_lookup(ctx, ref, &d, true))
		return -1;
	config = config || !d.live;
	if (config && !d.persistent) {
		ctl_error("Failed to update interface link state");
		ctl_error("Requested operation is not valid: cannot change persistent config of a transient domain");
		kestrel_domain_info_clear(&d.info);
		return -1;
	}
	dev = load_iface(ctx, &d, config, &x, iface,
			 "interface (%s: %s) not found");
	if (!dev)
		return -1;
	if (config) {
		ret = save_link(&x, dev, up);
	} else if (kestrel_device_set_link(ctx->conn, d.info.id, dev->slot,
					   up)) {
		ctl_error("Failed to update interface link state");
		ctl_lib_error();
	} else {
		ret = 0;
	}
	if (!ret)
		printf("Device updated successfully\n");
	kestrel_domxml_free(&x);
	kestrel_domain_info_clear(&d.info);
	return ret;
}

static int cmd_domif_getlink(struct cmd_ctx *ctx)
{
	const char *iface = cmd_opt_str(ctx, "interface");
	bool config = cmd_opt_bool(ctx, "config");
	const struct kestrel_device_stats *s;
	const struct kestrel_domxml_device *dev;
	struct kestrel_domain_stats st;
	struct kestrel_domxml x;
	struct ctl_domain d;
	bool down;

	if (ctl_lookup(ctx, cmd_opt_str(ctx, "domain"), &d, true))
		return -1;
	dev = load_iface(ctx, &d, config, &x, iface,
			 "Interface (%s: %s) not found.");
	if (!dev)
		return -1;
	/* A running domain: the module's state; otherwise the XML's. */
	down = dev->net.link == KESTREL_DOMXML_LINK_DOWN;
	if (!config && d.live) {
		if (kestrel_domain_stats(ctx->conn, d.info.id, &st)) {
			ctl_lib_error();
			kestrel_domxml_free(&x);
			kestrel_domain_info_clear(&d.info);
			return -1;
		}
		s = dev_counters(&st, dev);
		down = s && s->link_down;
	}
	printf("%s %s\n", iface, down ? "down" : "up");
	kestrel_domxml_free(&x);
	kestrel_domain_info_clear(&d.info);
	return 0;
}

/* ---- domstats --interface, --block ---- */

int ctl_print_dev_stats(struct cmd_ctx *ctx, const struct ctl_domain *d,
			const struct kestrel_domain_stats *st, bool net,
			bool block)
{
	struct kestrel_device_stats none = { 0 };
	const struct kestrel_device_stats *s;
	struct kestrel_domxml x;
	unsigned int i, n;

	if (load_model(ctx, d, false, &x))
		return -1;
	/* libvirt reports no interfaces of an inactive domain. */
	if (net && st) {
		for (i = n = 0; i < x.nr_devices; i++)
			n += x.devices[i].type == KESTREL_DEV_NET;
		printf("  net.count=%u\n", n);
		for (i = n = 0; i < x.nr_devices; i++) {
			const struct kestrel_domxml_device *dev = &x.devices[i];

			if (dev->type != KESTREL_DEV_NET)
				continue;
			s = dev_counters(st, dev) ?: &none;
			printf("  net.%u.name=%s\n", n,
			       *dev->net.target ? dev->net.target : "-");
			printf("  net.%u.rx.bytes=%" PRIu64 "\n", n, s->rx_bytes);
			printf("  net.%u.rx.pkts=%" PRIu64 "\n", n, s->rx_packets);
			printf("  net.%u.rx.errs=%" PRIu64 "\n", n, s->rx_errors);
			printf("  net.%u.rx.drop=%" PRIu64 "\n", n, s->rx_drops);
			printf("  net.%u.tx.bytes=%" PRIu64 "\n", n, s->tx_bytes);
			printf("  net.%u.tx.pkts=%" PRIu64 "\n", n, s->tx_packets);
			printf("  net.%u.tx.errs=%" PRIu64 "\n", n, s->tx_errors);
			printf("  net.%u.tx.drop=%" PRIu64 "\n", n, s->tx_drops);
			n++;
		}
	}
	/* An inactive domain: names and paths only, as libvirt's. */
	if (block) {
		for (i = n = 0; i < x.nr_devices; i++)
			n += x.devices[i].type == KESTREL_DEV_BLOCK;
		printf("  block.count=%u\n", n);
		for (i = n = 0; i < x.nr_devices; i++) {
			const struct kestrel_domxml_device *dev = &x.devices[i];

			if (dev->type != KESTREL_DEV_BLOCK)
				continue;
			printf("  block.%u.name=%s\n", n, dev->disk.target);
			if (dev->disk.source)
				printf("  block.%u.path=%s\n", n, dev->disk.source);
			if (st) {
				s = dev_counters(st, dev) ?: &none;
				printf("  block.%u.rd.reqs=%" PRIu64 "\n", n,
				       s->rd_reqs);
				printf("  block.%u.rd.bytes=%" PRIu64 "\n", n,
				       s->rd_bytes);
				printf("  block.%u.wr.reqs=%" PRIu64 "\n", n,
				       s->wr_reqs);
				printf("  block.%u.wr.bytes=%" PRIu64 "\n", n,
				       s->wr_bytes);
				printf("  block.%u.fl.reqs=%" PRIu64 "\n", n,
				       s->flush_reqs);
			}
			n++;
		}
	}
	kestrel_domxml_free(&x);
	return 0;
}

/* ---- the table ---- */

static const struct opt_def opts_domblklist[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "inactive", OPT_BOOL, false,
	  "get inactive rather than running configuration" },
	{ "details", OPT_BOOL, false,
	  "additionally display the type and device value" },
	{ NULL }
};

static const struct opt_def opts_domiflist[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "inactive", OPT_BOOL, false,
	  "get inactive rather than running configuration" },
	{ NULL }
};

static const struct opt_def opts_domblkstat[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "device", OPT_DATA, false, "block device" },
	{ "human", OPT_BOOL, false, "print a more human readable output" },
	{ NULL }
};

static const struct opt_def opts_domifstat[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "interface", OPT_DATA, true,
	  "interface device specified by name or MAC Address" },
	{ NULL }
};

static const struct opt_def opts_domif_setlink[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "interface", OPT_DATA, true, "interface device (MAC Address)" },
	{ "state", OPT_DATA, true, "new state of the device" },
	{ "config", OPT_BOOL, false, "affect next boot" },
	{ NULL }
};

static const struct opt_def opts_domif_getlink[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "interface", OPT_DATA, true, "interface device (MAC Address)" },
	{ "config", OPT_BOOL, false, "Get persistent interface state" },
	{ NULL }
};

#define MONITOR "Domain Monitoring", "monitor"

const struct cmd_def device_cmds[] = {
	{ "domblklist", cmd_domblklist, MONITOR,
	  "list all domain blocks",
	  "Get the summary of block devices for a domain.",
	  opts_domblklist },
	{ "domblkstat", cmd_domblkstat, MONITOR,
	  "get device block stats for a domain",
	  "Get device block stats for a running domain (every disk summed when no device is given). See man page or use --human for explanation of fields",
	  opts_domblkstat },
	{ "domiflist", cmd_domiflist, MONITOR,
	  "list all domain virtual interfaces",
	  "Get the summary of virtual interfaces for a domain.",
	  opts_domiflist },
	{ "domifstat", cmd_domifstat, MONITOR,
	  "get network interface stats for a domain",
	  "Get network interface stats for a running domain.",
	  opts_domifstat },
	{ "domif-setlink", cmd_domif_setlink, MONITOR,
	  "set link state of a virtual interface",
	  "Set link state of a domain's virtual interface: a running domain's as its guest sees it, or (--config, or a domain that is not running) its definition's.",
	  opts_domif_setlink },
	{ "domif-getlink", cmd_domif_getlink, MONITOR,
	  "get link state of a virtual interface",
	  "Get link state of a domain's virtual interface.",
	  opts_domif_getlink },
	{ NULL }
};
