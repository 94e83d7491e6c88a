// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Domains: the KESTREL_CMD_DOMAIN_* and VCPU_* requests, the parsers of
 * their replies, and the per-domain file descriptors of /dev/kestrel.
 *
 * Replies are parsed strictly: every attribute is checked for its type and
 * length before use and a malformed message fails with EPROTO rather than
 * yielding half-filled data.  Attributes this library does not know are
 * skipped, so a newer module can add some.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "libkestrel.h"
#include "nl.h"
#include "domain_priv.h"

#define KESTREL_DEV "/dev/kestrel"

/* ---- attribute readers ---- */

static int malformed(const char *what)
{
	return kestrel_fail(EPROTO, "the kestrel module sent a malformed %s attribute",
			    what);
}

int kestrel_attr_u32(const struct nlattr *a, uint32_t *v, const char *what)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return malformed(what);
	if (v)
		*v = mnl_attr_get_u32(a);
	return 0;
}

int kestrel_attr_u64(const struct nlattr *a, uint64_t *v, const char *what)
{
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return malformed(what);
	if (v)
		*v = mnl_attr_get_u64(a);
	return 0;
}

int kestrel_attr_bin(const struct nlattr *a, void *dst, size_t len,
		     const char *what)
{
	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, len) < 0 ||
	    mnl_attr_get_payload_len(a) != len)
		return malformed(what);
	if (dst)
		memcpy(dst, mnl_attr_get_payload(a), len);
	return 0;
}

int kestrel_attr_str(const struct nlattr *a, char *dst, size_t size,
		     const char *what)
{
	const char *s = mnl_attr_get_payload(a);
	size_t n;

	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return malformed(what);
	/* NUL-terminated, so strnlen stops inside the payload. */
	n = strnlen(s, mnl_attr_get_payload_len(a));
	if (n == 0 || n >= size)
		return malformed(what);
	if (dst)
		memcpy(dst, s, n + 1);
	return 0;
}

int kestrel_msg_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	return g->cmd;
}

int kestrel_attrs_end(const struct nlmsghdr *nlh, const struct nlattr *a,
		      const char *what)
{
	if ((const char *)a != (const char *)mnl_nlmsg_get_payload_tail(nlh))
		return kestrel_fail(EPROTO,
				    "the kestrel module sent a truncated %s message",
				    what);
	return 0;
}

/* ---- parsers ---- */

enum {
	SEEN_ID = 1 << 0,
	SEEN_NAME = 1 << 1,
	SEEN_UUID = 1 << 2,
	SEEN_STATE = 1 << 3,
};

static int missing(const char *msg, const char *what)
{
	return kestrel_fail(EPROTO, "the kestrel module sent a %s message without %s",
			    msg, what);
}

static int parse_xml(const struct nlattr *a, struct kestrel_domain_info *info)
{
	uint16_t len;
	char *xml;

	if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
		return malformed("DOM_XML");
	len = mnl_attr_get_payload_len(a);
	xml = malloc((size_t)len + 1);
	if (!xml)
		return kestrel_fail(ENOMEM, "out of memory");
	memcpy(xml, mnl_attr_get_payload(a), len);
	xml[len] = '\0';
	free(info->xml);
	info->xml = xml;
	info->xml_len = len;
	return 0;
}

int kestrel_parse_domain(const struct nlmsghdr *nlh,
			 struct kestrel_domain_info *info)
{
	const struct nlattr *a;
	unsigned int seen = 0;
	uint32_t v;
	int err = 0;

	memset(info, 0, sizeof(*info));
	if (kestrel_msg_cmd(nlh) < 0)
		return kestrel_fail(EPROTO, "the kestrel module sent a truncated domain message");
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case KESTREL_A_DOM_ID:
			err = kestrel_attr_u32(a, &info->id, "DOM_ID");
			seen |= SEEN_ID;
			break;
		case KESTREL_A_DOM_NAME:
			err = kestrel_attr_str(a, info->name,
					       sizeof(info->name), "DOM_NAME");
			seen |= SEEN_NAME;
			break;
		case KESTREL_A_DOM_UUID:
			err = kestrel_attr_bin(a, info->uuid, KESTREL_UUID_LEN,
					       "DOM_UUID");
			seen |= SEEN_UUID;
			break;
		case KESTREL_A_DOM_STATE:
			err = kestrel_attr_u32(a, &v, "DOM_STATE");
			info->state = v;
			seen |= SEEN_STATE;
			break;
		case KESTREL_A_DOM_REASON:
			err = kestrel_attr_u32(a, &info->reason, "DOM_REASON");
			break;
		case KESTREL_A_DOM_MEMORY:
			err = kestrel_attr_u64(a, &info->memory, "DOM_MEMORY");
			break;
		case KESTREL_A_DOM_VCPUS:
			err = kestrel_attr_u32(a, &info->vcpus, "DOM_VCPUS");
			break;
		case KESTREL_A_DOM_CPU_TIME:
			err = kestrel_attr_u64(a, &info->cpu_time_ns,
					       "DOM_CPU_TIME");
			break;
		case KESTREL_A_DOM_XML:
			err = parse_xml(a, info);
			break;
		}
		if (err)
			goto fail;
	}
	err = kestrel_attrs_end(nlh, a, "domain");
	if (err)
		goto fail;
	if (!(seen & SEEN_ID))
		err = missing("domain", "DOM_ID");
	else if (!(seen & SEEN_NAME))
		err = missing("domain", "DOM_NAME");
	else if (!(seen & SEEN_UUID))
		err = missing("domain", "DOM_UUID");
	else if (!(seen & SEEN_STATE))
		err = missing("domain", "DOM_STATE");
	if (err)
		goto fail;
	return 0;

fail:
	kestrel_domain_info_clear(info);
	return err;
}

/* A binary u64 array of any length: the first @max entries are kept. */
static int parse_u64_array(const struct nlattr *a, uint64_t *dst, size_t max,
			   size_t *nr, const char *what)
{
	size_t len, n;

	if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
		return malformed(what);
	len = mnl_attr_get_payload_len(a);
	if (len % sizeof(uint64_t))
		return malformed(what);
	n = len / sizeof(uint64_t);
	if (n > max)
		n = max;
	/* memcpy: the payload is only 4-byte aligned. */
	memcpy(dst, mnl_attr_get_payload(a), n * sizeof(uint64_t));
	*nr = n;
	return 0;
}

/* One KESTREL_A_DEVICE of STAT_DEVICES. */
static int parse_dev_stats(const struct nlattr *dev,
			   struct kestrel_device_stats *ds)
{
	const struct nlattr *a;
	bool type = false, slot = false;
	uint64_t *ctr;
	uint32_t v;
	int err = 0;

	if (mnl_attr_validate(dev, MNL_TYPE_NESTED) < 0)
		return malformed("STAT_DEVICES device");
	memset(ds, 0, sizeof(*ds));
	mnl_attr_for_each_nested(a, dev) {
		ctr = NULL;
		switch (mnl_attr_get_type(a)) {
		case KESTREL_A_DEV_TYPE:
			err = kestrel_attr_u32(a, &v, "DEV_TYPE");
			ds->type = v;
			type = true;
			break;
		case KESTREL_A_DEV_SLOT:
			err = kestrel_attr_u32(a, &ds->slot, "DEV_SLOT");
			slot = true;
			break;
		case KESTREL_A_DEV_STAT_RD_REQS:
			ctr = &ds->rd_reqs;
			break;
		case KESTREL_A_DEV_STAT_RD_BYTES:
			ctr = &ds->rd_bytes;
			break;
		case KESTREL_A_DEV_STAT_WR_REQS:
			ctr = &ds->wr_reqs;
			break;
		case KESTREL_A_DEV_STAT_WR_BYTES:
			ctr = &ds->wr_bytes;
			break;
		case KESTREL_A_DEV_STAT_FLUSH_REQS:
			ctr = &ds->flush_reqs;
			break;
		case KESTREL_A_DEV_STAT_ERRORS:
			ctr = &ds->errors;
			break;
		case KESTREL_A_DEV_STAT_RX_PACKETS:
			ctr = &ds->rx_packets;
			break;
		case KESTREL_A_DEV_STAT_RX_BYTES:
			ctr = &ds->rx_bytes;
			break;
		case KESTREL_A_DEV_STAT_RX_DROPS:
			ctr = &ds->rx_drops;
			break;
		case KESTREL_A_DEV_STAT_RX_ERRORS:
			ctr = &ds->rx_errors;
			break;
		case KESTREL_A_DEV_STAT_TX_PACKETS:
			ctr = &ds->tx_packets;
			break;
		case KESTREL_A_DEV_STAT_TX_BYTES:
			ctr = &ds->tx_bytes;
			break;
		case KESTREL_A_DEV_STAT_TX_DROPS:
			ctr = &ds->tx_drops;
			break;
		case KESTREL_A_DEV_STAT_TX_ERRORS:
			ctr = &ds->tx_errors;
			break;
		case KESTREL_A_DEV_LINK_DOWN:
			if (mnl_attr_get_payload_len(a))
				return malformed("DEV_LINK_DOWN");
			ds->link_down = true;
			break;
		}
		if (ctr)
			err = kestrel_attr_u64(a, ctr, "DEV_STAT counter");
		if (err)
			return err;
	}
	if ((const char *)a != (const char *)mnl_attr_get_payload(dev) +
			       mnl_attr_get_payload_len(dev))
		return malformed("STAT_DEVICES device");
	if (!type)
		return missing("stats", "a device's DEV_TYPE");
	if (!slot)
		return missing("stats", "a device's DEV_SLOT");
	return 0;
}

/* KESTREL_A_STAT_DEVICES: the first KESTREL_MAX_DEVICES are kept. */
static int parse_devs_stats(const struct nlattr *devs,
			    struct kestrel_domain_stats *stats)
{
	struct kestrel_device_stats spare;
	const struct nlattr *d;
	int err;

	if (mnl_attr_validate(devs, MNL_TYPE_NESTED) < 0)
		return malformed("STAT_DEVICES");
	stats->nr_devices = 0;
	mnl_attr_for_each_nested(d, devs) {
		if (mnl_attr_get_type(d) != KESTREL_A_DEVICE)
			continue;
		err = parse_dev_stats(d, stats->nr_devices < KESTREL_MAX_DEVICES ?
				      &stats->devices[stats->nr_devices] :
				      &spare);
		if (err)
			return err;
		if (stats->nr_devices < KESTREL_MAX_DEVICES)
			stats->nr_devices++;
	}
	if ((const char *)d != (const char *)mnl_attr_get_payload(devs) +
			       mnl_attr_get_payload_len(devs))
		return malformed("STAT_DEVICES");
	return 0;
}

int kestrel_parse_stats(const struct nlmsghdr *nlh,
			struct kestrel_domain_stats *stats)
{
	const struct nlattr *a;
	bool exits = false;
	size_t n;
	int err = 0;

	memset(stats, 0, sizeof(*stats));
	if (kestrel_msg_cmd(nlh) < 0)
		return kestrel_fail(EPROTO, "the kestrel module sent a truncated stats message");
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case KESTREL_A_STAT_EXITS:
			memset(stats->exits, 0, sizeof(stats->exits));
			err = parse_u64_array(a, stats->exits,
					      KESTREL_EXIT_COUNT, &n,
					      "STAT_EXITS");
			exits = true;
			break;
		case KESTREL_A_STAT_VCPU_TIME:
			memset(stats->vcpu_time_ns, 0,
			       sizeof(stats->vcpu_time_ns));
			err = parse_u64_array(a, stats->vcpu_time_ns,
					      KESTREL_MAX_VCPUS, &n,
					      "STAT_VCPU_TIME");
			stats->nr_vcpus = err ? 0 : n;
			break;
		case KESTREL_A_STAT_DEVICES:
			err = parse_devs_stats(a, stats);
			break;
		}
		if (err)
			goto fail;
	}
	err = kestrel_attrs_end(nlh, a, "stats");
	if (!err && !exits)
		err = missing("stats", "STAT_EXITS");
	if (err)
		goto fail;
	return 0;

fail:
	memset(stats, 0, sizeof(*stats));
	return err;
}

int kestrel_parse_regs(const struct nlmsghdr *nlh, struct kestrel_regs *regs,
		       struct kestrel_sregs *sregs)
{
	const struct nlattr *a;
	bool got_regs = false, got_sregs = false;
	int err = 0;

	if (kestrel_msg_cmd(nlh) < 0)
		return kestrel_fail(EPROTO, "the kestrel module sent a truncated register message");
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case KESTREL_A_VCPU_REGS:
			err = kestrel_attr_bin(a, regs, sizeof(*regs),
					       "VCPU_REGS");
			got_regs = true;
			break;
		case KESTREL_A_VCPU_SREGS:
			err = kestrel_attr_bin(a, sregs, sizeof(*sregs),
					       "VCPU_SREGS");
			got_sregs = true;
			break;
		}
		if (err)
			return err;
	}
	err = kestrel_attrs_end(nlh, a, "register");
	if (err)
		return err;
	if (regs && !got_regs)
		return missing("register", "VCPU_REGS");
	if (sregs && !got_sregs)
		return missing("register", "VCPU_SREGS");
	return 0;
}

/* ---- requests ---- */

/*
 * A parse error inside a kestrel_transact() callback: kept here, because
 * kestrel_transact() resets the last error when the request itself
 * succeeds.  The callbacks keep returning MNL_CB_OK so that the rest of
 * the reply (a dump's later parts, the ACK) is drained from the socket.
 */
struct parse_error {
	int err;
	char msg[256];
};

static void keep_error(struct parse_error *pe, int err)
{
	if (pe->err)
		return;
	pe->err = err;
	snprintf(pe->msg, sizeof(pe->msg), "%s", kestrel_last_error());
}

static int finish(int err, const struct parse_error *pe)
{
	if (err)
		return err;
	if (pe->err)
		return kestrel_fail(pe->err, "%s", pe->msg);
	return 0;
}

/* An event on a conn that is also subscribed to the events group. */
static bool is_event(const struct nlmsghdr *nlh)
{
	return kestrel_msg_cmd(nlh) == KESTREL_CMD_DOMAIN_EVENT;
}

static int not_found_id(uint32_t id)
{
	return kestrel_fail(ENOENT, "Domain not found: no domain with matching id %u",
			    id);
}

static int not_found_name(const char *name)
{
	return kestrel_fail(ENOENT, "Domain not found: no domain with matching name '%s'",
			    name);
}

static int not_found_uuid(const uint8_t *uuid)
{
	char str[KESTREL_UUID_STRLEN];

	kestrel_uuid_format(uuid, str);
	return kestrel_fail(ENOENT, "Domain not found: no domain with matching uuid '%s'",
			    str);
}

struct one_domain {
	struct kestrel_domain_info *info;
	bool got;
	struct parse_error pe;
};

static int one_domain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct one_domain *r = data;
	int err;

	if (is_event(nlh) || r->got || r->pe.err)
		return MNL_CB_OK;
	err = kestrel_parse_domain(nlh, r->info);
	if (err)
		keep_error(&r->pe, err);
	else
		r->got = true;
	return MNL_CB_OK;
}

/* Send @nlh and parse the one domain message it is answered with. */
static int transact_domain(struct kestrel_conn *c, struct nlmsghdr *nlh,
			   struct kestrel_domain_info *info, const char *what)
{
	struct one_domain r = { .info = info };
	int err;

	err = kestrel_transact(c, nlh, one_domain_cb, &r);
	err = finish(err, &r.pe);
	if (!err && !r.got)
		err = kestrel_fail(EPROTO, "the kestrel module answered %s without a domain",
				   what);
	if (err && r.got)
		kestrel_domain_info_clear(info);
	return err;
}

/* A block device's own attributes. */
static int check_block(unsigned int i, const struct kestrel_device_config *dev)
{
	size_t len = strnlen(dev->serial, sizeof(dev->serial));
	size_t k;

	if (dev->fd < 0)
		return kestrel_fail(EINVAL, "device %u: a block device needs the open fd of its backend",
				    i);
	if (dev->rate_bytes || dev->rate_period)
		return kestrel_fail(EINVAL, "device %u: a rate is for rng devices, not block devices",
				    i);
	if (dev->queues > KESTREL_MAX_VCPUS)
		return kestrel_fail(EINVAL, "device %u: %u queues (want 1-%d, or 0 for one per vCPU)",
				    i, dev->queues, KESTREL_MAX_VCPUS);
	if (len == sizeof(dev->serial))
		return kestrel_fail(EINVAL, "device %u: the serial is longer than 20 bytes",
				    i);
	for (k = 0; k < len; k++)
		if ((unsigned char)dev->serial[k] < 0x20 ||
		    (unsigned char)dev->serial[k] > 0x7e)
			return kestrel_fail(EINVAL, "device %u: the serial has a byte 0x%02x that is not printable ASCII",
					    i, (unsigned char)dev->serial[k]);
	return 0;
}

/* A net device's own attributes. */
static int check_net(unsigned int i, const struct kestrel_device_config *dev)
{
	static const uint8_t zero[6];
	unsigned int k;

	if (!dev->nr_fds || dev->nr_fds > sizeof(dev->fds) / sizeof(dev->fds[0]))
		return kestrel_fail(EINVAL, "device %u: a net device needs 1-16 tap fds, one per queue pair (%u given)",
				    i, dev->nr_fds);
	for (k = 0; k < dev->nr_fds; k++)
		if (dev->fds[k] < 0)
			return kestrel_fail(EINVAL, "device %u: tap fd %u is not open (%d)",
					    i, k, dev->fds[k]);
	if (dev->mac[0] & 1)
		return kestrel_fail(EINVAL, "device %u: the MAC address is multicast",
				    i);
	if (!memcmp(dev->mac, zero, sizeof(zero)))
		return kestrel_fail(EINVAL, "device %u: a net device needs a MAC address",
				    i);
	if (dev->rate_bytes || dev->rate_period)
		return kestrel_fail(EINVAL, "device %u: a rate is for rng devices, not net devices",
				    i);
	if (dev->readonly || dev->serial[0] || dev->queues)
		return kestrel_fail(EINVAL, "device %u: readonly, serial and queues are for block devices (a net device has one queue pair per fd)",
				    i);
	return 0;
}

/* The devices of a DOMAIN_CREATE, checked as the module checks them. */
static int check_devices(const struct kestrel_domain_config *cfg)
{
	uint32_t used = 0;
	unsigned int i;

	if (cfg->nr_devices > KESTREL_MAX_DEVICES)
		return kestrel_fail(EINVAL, "too many devices (%u, at most %d)",
				    cfg->nr_devices, KESTREL_MAX_DEVICES);
	for (i = 0; i < cfg->nr_devices; i++) {
		const struct kestrel_device_config *dev = &cfg->devices[i];

		if (dev->type != KESTREL_DEV_RNG && dev->type != KESTREL_DEV_BLOCK &&
		    dev->type != KESTREL_DEV_NET && dev->type != KESTREL_DEV_CONSOLE)
			return kestrel_fail(EINVAL, "device %u: unknown device type %u",
					    i, (unsigned int)dev->type);
		if (dev->slot < 1 || dev->slot > KESTREL_PCI_MAX_SLOT)
			return kestrel_fail(EINVAL, "device %u: PCI slot %u is out of range (1-%d)",
					    i, dev->slot, KESTREL_PCI_MAX_SLOT);
		if (used & (1U << dev->slot))
			return kestrel_fail(EINVAL, "device %u: PCI slot %u is used twice",
					    i, dev->slot);
		used |= 1U << dev->slot;
		if (dev->type == KESTREL_DEV_NET) {
			int err = check_net(i, dev);

			if (err)
				return err;
			continue;
		}
		if (dev->nr_fds || dev->link_down ||
		    memcmp(dev->mac, (const uint8_t[6]){ 0 }, sizeof(dev->mac)))
			return kestrel_fail(EINVAL, "device %u: tap fds, a MAC address and a link state are for net devices",
					    i);
		if (dev->type == KESTREL_DEV_CONSOLE) {
			/* The virtio console has a type and a slot, nothing else. */
			if (dev->readonly || dev->serial[0] || dev->queues ||
			    dev->rate_bytes || dev->rate_period)
				return kestrel_fail(EINVAL, "device %u: a console device takes no attributes but its slot",
						    i);
			continue;
		}
		if (dev->type == KESTREL_DEV_BLOCK) {
			int err = check_block(i, dev);

			if (err)
				return err;
			continue;
		}
		if (dev->readonly || dev->serial[0] || dev->queues)
			return kestrel_fail(EINVAL, "device %u: readonly, serial and queues are for block devices",
					    i);
		if (!dev->rate_bytes && !dev->rate_period)
			continue;
		if (!dev->rate_bytes || dev->rate_period < 1 ||
		    dev->rate_period > 3600000)
			return kestrel_fail(EINVAL, "device %u: invalid rate (%u bytes per %u ms; want bytes > 0 and 1-3600000 ms)",
					    i, dev->rate_bytes, dev->rate_period);
	}
	return 0;
}

/* KESTREL_A_DOM_DEVICES: one KESTREL_A_DEVICE nest per device. */
static void put_devices(struct nlmsghdr *nlh,
			const struct kestrel_domain_config *cfg)
{
	struct nlattr *all, *one;
	unsigned int i;

	if (!cfg->nr_devices)
		return;
	all = mnl_attr_nest_start(nlh, KESTREL_A_DOM_DEVICES);
	for (i = 0; i < cfg->nr_devices; i++) {
		const struct kestrel_device_config *dev = &cfg->devices[i];

		one = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
		mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, dev->type);
		mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, dev->slot);
		if (dev->type == KESTREL_DEV_NET) {
			int32_t fds[16];
			unsigned int k;

			for (k = 0; k < dev->nr_fds; k++)
				fds[k] = dev->fds[k];
			mnl_attr_put(nlh, KESTREL_A_DEV_FDS,
				     dev->nr_fds * sizeof(fds[0]), fds);
			mnl_attr_put(nlh, KESTREL_A_DEV_MAC, sizeof(dev->mac),
				     dev->mac);
			if (dev->link_down)
				mnl_attr_put(nlh, KESTREL_A_DEV_LINK_DOWN, 0, NULL);
		} else if (dev->type == KESTREL_DEV_BLOCK) {
			mnl_attr_put_u32(nlh, KESTREL_A_DEV_FD,
					 (uint32_t)dev->fd);
			if (dev->readonly)
				mnl_attr_put(nlh, KESTREL_A_DEV_READONLY, 0, NULL);
			if (dev->serial[0])
				mnl_attr_put_strz(nlh, KESTREL_A_DEV_SERIAL,
						  dev->serial);
			if (dev->queues)
				mnl_attr_put_u32(nlh, KESTREL_A_DEV_QUEUES,
						 dev->queues);
		} else if (dev->type == KESTREL_DEV_RNG && dev->rate_bytes) {
			mnl_attr_put_u32(nlh, KESTREL_A_DEV_RATE_BYTES,
					 dev->rate_bytes);
			mnl_attr_put_u32(nlh, KESTREL_A_DEV_RATE_PERIOD,
					 dev->rate_period);
		}
		mnl_attr_nest_end(nlh, one);
	}
	mnl_attr_nest_end(nlh, all);
}

int kestrel_domain_create(struct kestrel_conn *c,
			  const struct kestrel_domain_config *cfg,
			  struct kestrel_domain_info *info)
{
	struct kestrel_domain_info tmp;
	uint8_t uuid[KESTREL_UUID_LEN];
	struct nlmsghdr *nlh;
	size_t len;
	int err;

	if (info)
		memset(info, 0, sizeof(*info));
	if (!cfg || !cfg->name || !cfg->name[0])
		return kestrel_fail(EINVAL, "a domain needs a name");
	len = strlen(cfg->name);
	if (len >= KESTREL_NAME_MAX)
		return kestrel_fail(EINVAL,
				    "domain name '%s' is too long (%zu characters, at most %d)",
				    cfg->name, len, KESTREL_NAME_MAX - 1);
	if (cfg->xml_len && !cfg->xml)
		return kestrel_fail(EINVAL, "domain XML length given without the XML");
	if (cfg->xml_len > KESTREL_XML_MAX)
		return kestrel_fail(EINVAL,
				    "domain XML is too large (%zu bytes, at most %d)",
				    cfg->xml_len, KESTREL_XML_MAX);
	if (cfg->set_lifecycle &&
	    (cfg->on_poweroff > KESTREL_ACTION_PRESERVE ||
	     cfg->on_reboot > KESTREL_ACTION_PRESERVE ||
	     cfg->on_crash > KESTREL_ACTION_PRESERVE))
		return kestrel_fail(EINVAL, "invalid lifecycle action");
	err = check_devices(cfg);
	if (err)
		return err;
	if (cfg->uuid) {
		memcpy(uuid, cfg->uuid, sizeof(uuid));
	} else {
		err = kestrel_uuid_generate(uuid);
		if (err)
			return err;
	}

	nlh = kestrel_request_start(c, KESTREL_CMD_DOMAIN_CREATE, 0);
	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, cfg->name);
	mnl_attr_put(nlh, KESTREL_A_DOM_UUID, sizeof(uuid), uuid);
	mnl_attr_put_u64(nlh, KESTREL_A_DOM_MEMORY, cfg->memory);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, cfg->vcpus);
	if (cfg->xml && cfg->xml_len)
		mnl_attr_put(nlh, KESTREL_A_DOM_XML, cfg->xml_len, cfg->xml);
	if (cfg->set_lifecycle) {
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ON_POWEROFF, cfg->on_poweroff);
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ON_REBOOT, cfg->on_reboot);
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ON_CRASH, cfg->on_crash);
	}
	put_devices(nlh, cfg);

	err = transact_domain(c, nlh, info ? info : &tmp, "DOMAIN_CREATE");
	if (!err && !info)
		kestrel_domain_info_clear(&tmp);
	return err;
}

enum lookup_by {
	BY_ID,
	BY_NAME,
	BY_UUID,
};

/* DOMAIN_GET by one key; -ENOENT with libvirt's message if not found. */
static int domain_get_by(struct kestrel_conn *c, enum lookup_by by,
			 uint32_t id, const char *name, const uint8_t *uuid,
			 struct kestrel_domain_info *info, bool want_xml)
{
	struct nlmsghdr *nlh;
	int err;

	memset(info, 0, sizeof(*info));
	/* No domain can have such a name: do not bother the module. */
	if (by == BY_NAME && (!name[0] || strlen(name) >= KESTREL_NAME_MAX))
		return not_found_name(name);

	nlh = kestrel_request_start(c, KESTREL_CMD_DOMAIN_GET, 0);
	switch (by) {
	case BY_ID:
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, id);
		break;
	case BY_NAME:
		mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, name);
		break;
	case BY_UUID:
		mnl_attr_put(nlh, KESTREL_A_DOM_UUID, KESTREL_UUID_LEN, uuid);
		break;
	}
	if (want_xml)
		mnl_attr_put(nlh, KESTREL_A_DOM_WANT_XML, 0, NULL);

	err = transact_domain(c, nlh, info, "DOMAIN_GET");
	if (err != -ENOENT)
		return err;
	switch (by) {
	case BY_ID:
		return not_found_id(id);
	case BY_NAME:
		return not_found_name(name);
	case BY_UUID:
		return not_found_uuid(uuid);
	}
	return err;
}

/* A domain ID the way virsh takes one: decimal digits only. */
static bool parse_id(const char *s, uint32_t *id)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

int kestrel_domain_lookup(struct kestrel_conn *c, const char *ref,
			  struct kestrel_domain_info *info, bool want_xml)
{
	uint8_t uuid[KESTREL_UUID_LEN];
	uint32_t id;
	int err;

	if (!ref)
		ref = "";
	/*
	 * As virshLookupDomainInternal(): an ID if it looks like one, else a
	 * UUID if it parses as one, and the string as a name when those find
	 * nothing (a name may look like a number).  The message keeps the
	 * first interpretation.
	 */
	if (parse_id(ref, &id)) {
		err = domain_get_by(c, BY_ID, id, NULL, NULL, info, want_xml);
		if (err != -ENOENT)
			return err;
		err = domain_get_by(c, BY_NAME, 0, ref, NULL, info, want_xml);
		if (err != -ENOENT)
			return err;
		return not_found_id(id);
	}
	if (kestrel_uuid_probe(ref, uuid)) {
		err = domain_get_by(c, BY_UUID, 0, NULL, uuid, info, want_xml);
		if (err != -ENOENT)
			return err;
		err = domain_get_by(c, BY_NAME, 0, ref, NULL, info, want_xml);
		if (err != -ENOENT)
			return err;
		return not_found_uuid(uuid);
	}
	return domain_get_by(c, BY_NAME, 0, ref, NULL, info, want_xml);
}

int kestrel_domain_get(struct kestrel_conn *c, uint32_t id,
		       struct kestrel_domain_info *info, bool want_xml)
{
	return domain_get_by(c, BY_ID, id, NULL, NULL, info, want_xml);
}

struct domain_list {
	struct kestrel_domain_info *list;
	size_t count;
	size_t cap;
	struct parse_error pe;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct domain_list *l = data;
	int err;

	if (is_event(nlh) || l->pe.err)
		return MNL_CB_OK;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct kestrel_domain_info *n;

		n = reallocarray(l->list, cap, sizeof(*n));
		if (!n) {
			keep_error(&l->pe, kestrel_fail(ENOMEM, "out of memory"));
			return MNL_CB_OK;
		}
		l->list = n;
		l->cap = cap;
	}
	err = kestrel_parse_domain(nlh, &l->list[l->count]);
	if (err)
		keep_error(&l->pe, err);
	else
		l->count++;
	return MNL_CB_OK;
}

static int cmp_id(const void *a, const void *b)
{
	const struct kestrel_domain_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int kestrel_domain_list(struct kestrel_conn *c,
			struct kestrel_domain_info **list, size_t *count)
{
	struct domain_list l = { 0 };
	struct nlmsghdr *nlh;
	int err;

	*list = NULL;
	*count = 0;
	nlh = kestrel_request_start(c, KESTREL_CMD_DOMAIN_GET, NLM_F_DUMP);
	err = kestrel_transact(c, nlh, list_cb, &l);
	err = finish(err, &l.pe);
	if (err) {
		kestrel_domain_list_free(l.list, l.count);
		return err;
	}
	if (l.count)
		qsort(l.list, l.count, sizeof(*l.list), cmp_id);
	*list = l.list;
	*count = l.count;
	return 0;
}

void kestrel_domain_info_clear(struct kestrel_domain_info *info)
{
	if (!info)
		return;
	free(info->xml);
	memset(info, 0, sizeof(*info));
}

void kestrel_domain_list_free(struct kestrel_domain_info *list, size_t count)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < count; i++)
		kestrel_domain_info_clear(&list[i]);
	free(list);
}

/*
 * A command this module does not know: the generic netlink core answers
 * EOPNOTSUPP without an extack message (a missing backend comes with one).
 */
static int unknown_cmd(struct kestrel_conn *c, int err, const char *what)
{
	if (err == -EOPNOTSUPP && !kestrel_conn_extack(c)[0])
		return kestrel_fail(EOPNOTSUPP,
				    "the kestrel module does not support %s (an older module?)",
				    what);
	return err;
}

/*
 * START, PAUSE, RESUME, DESTROY, SHUTDOWN, RESET: the domain by ID and
 * @nlh's further attributes, an ACK back.
 */
static int domain_send(struct kestrel_conn *c, struct nlmsghdr *nlh,
		       uint32_t id, const char *what)
{
	int err = kestrel_transact(c, nlh, NULL, NULL);

	if (err == -ENOENT)
		return not_found_id(id);
	return unknown_cmd(c, err, what);
}

static struct nlmsghdr *domain_request(struct kestrel_conn *c, uint8_t cmd,
				       uint32_t id)
{
	struct nlmsghdr *nlh = kestrel_request_start(c, cmd, 0);

	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, id);
	return nlh;
}

static int domain_action(struct kestrel_conn *c, uint8_t cmd, uint32_t id,
			 const char *what)
{
	return domain_send(c, domain_request(c, cmd, id), id, what);
}

int kestrel_domain_start(struct kestrel_conn *c, uint32_t id)
{
	return kestrel_domain_start_boot(c, id, NULL, 0, NULL, 0);
}

int kestrel_domain_start_boot(struct kestrel_conn *c, uint32_t id,
			      const struct kestrel_mem_region *regions,
			      unsigned int nr,
			      const struct kestrel_boot_file *files,
			      unsigned int nr_files)
{
	struct nlmsghdr *nlh;

	if (nr > KESTREL_MAX_BOOT_REGIONS)
		return kestrel_fail(EINVAL,
				    "too many boot image regions (%u, at most %d)",
				    nr, KESTREL_MAX_BOOT_REGIONS);
	if (nr && !regions)
		return kestrel_fail(EINVAL, "boot image regions counted but not given");
	if (nr_files > nr || (nr_files && !files))
		return kestrel_fail(EINVAL, "boot files: %u given for %u boot regions",
				    nr_files, nr);
	nlh = domain_request(c, KESTREL_CMD_DOMAIN_START, id);
	if (nr)
		mnl_attr_put(nlh, KESTREL_A_DOM_BOOT_REGIONS,
			     nr * sizeof(*regions), regions);
	if (nr_files)
		mnl_attr_put(nlh, KESTREL_A_DOM_BOOT_FILES,
			     nr_files * sizeof(*files), files);
	return domain_send(c, nlh, id, "DOMAIN_START");
}

int kestrel_domain_pause(struct kestrel_conn *c, uint32_t id)
{
	return domain_action(c, KESTREL_CMD_DOMAIN_PAUSE, id, "DOMAIN_PAUSE");
}

int kestrel_domain_resume(struct kestrel_conn *c, uint32_t id)
{
	return domain_action(c, KESTREL_CMD_DOMAIN_RESUME, id, "DOMAIN_RESUME");
}

int kestrel_domain_destroy(struct kestrel_conn *c, uint32_t id)
{
	return domain_action(c, KESTREL_CMD_DOMAIN_DESTROY, id, "DOMAIN_DESTROY");
}

int kestrel_domain_shutdown(struct kestrel_conn *c, uint32_t id, bool reboot)
{
	struct nlmsghdr *nlh = domain_request(c, KESTREL_CMD_DOMAIN_SHUTDOWN, id);

	if (reboot)
		mnl_attr_put(nlh, KESTREL_A_DOM_REBOOT, 0, NULL);
	return domain_send(c, nlh, id, "DOMAIN_SHUTDOWN");
}

int kestrel_domain_reset(struct kestrel_conn *c, uint32_t id)
{
	return domain_action(c, KESTREL_CMD_DOMAIN_RESET, id, "DOMAIN_RESET");
}

int kestrel_device_set_link(struct kestrel_conn *c, uint32_t id,
			    uint32_t slot, bool up)
{
	struct nlmsghdr *nlh;

	if (slot > KESTREL_PCI_MAX_SLOT)
		return kestrel_fail(EINVAL, "PCI slot %u out of range (0-%u)",
				    slot, KESTREL_PCI_MAX_SLOT);
	nlh = domain_request(c, KESTREL_CMD_DEVICE_SET_LINK, id);
	mnl_attr_put_u32(nlh, KESTREL_A_LINK_SLOT, slot);
	mnl_attr_put_u32(nlh, KESTREL_A_LINK_STATE, up);
	return domain_send(c, nlh, id, "DEVICE_SET_LINK");
}

struct stats_reply {
	struct kestrel_domain_stats *stats;
	bool got;
	struct parse_error pe;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_reply *r = data;
	int err;

	if (is_event(nlh) || r->got || r->pe.err)
		return MNL_CB_OK;
	err = kestrel_parse_stats(nlh, r->stats);
	if (err)
		keep_error(&r->pe, err);
	else
		r->got = true;
	return MNL_CB_OK;
}

int kestrel_domain_stats(struct kestrel_conn *c, uint32_t id,
			 struct kestrel_domain_stats *stats)
{
	struct stats_reply r = { .stats = stats };
	struct nlmsghdr *nlh;
	int err;

	memset(stats, 0, sizeof(*stats));
	nlh = kestrel_request_start(c, KESTREL_CMD_DOMAIN_STATS, 0);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, id);
	err = kestrel_transact(c, nlh, stats_cb, &r);
	if (err == -ENOENT)
		return not_found_id(id);
	err = finish(err, &r.pe);
	if (!err && !r.got)
		err = kestrel_fail(EPROTO, "the kestrel module answered DOMAIN_STATS without statistics");
	if (err)
		memset(stats, 0, sizeof(*stats));
	return err;
}

struct regs_reply {
	struct kestrel_regs *regs;
	struct kestrel_sregs *sregs;
	bool got;
	struct parse_error pe;
};

static int regs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct regs_reply *r = data;
	int err;

	if (is_event(nlh) || r->got || r->pe.err)
		return MNL_CB_OK;
	err = kestrel_parse_regs(nlh, r->regs, r->sregs);
	if (err)
		keep_error(&r->pe, err);
	else
		r->got = true;
	return MNL_CB_OK;
}

int kestrel_vcpu_get_regs(struct kestrel_conn *c, uint32_t id, uint32_t vcpu,
			  struct kestrel_regs *regs,
			  struct kestrel_sregs *sregs)
{
	struct regs_reply r = { .regs = regs, .sregs = sregs };
	struct nlmsghdr *nlh;
	int err;

	nlh = kestrel_request_start(c, KESTREL_CMD_VCPU_GET_REGS, 0);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, id);
	mnl_attr_put_u32(nlh, KESTREL_A_VCPU_ID, vcpu);
	err = kestrel_transact(c, nlh, regs_cb, &r);
	if (err == -ENOENT)
		return not_found_id(id);
	err = finish(err, &r.pe);
	if (!err && !r.got && (regs || sregs))
		err = kestrel_fail(EPROTO, "the kestrel module answered VCPU_GET_REGS without registers");
	return err;
}

int kestrel_vcpu_set_regs(struct kestrel_conn *c, uint32_t id, uint32_t vcpu,
			  const struct kestrel_regs *regs,
			  const struct kestrel_sregs *sregs)
{
	struct nlmsghdr *nlh;
	int err;

	if (!regs && !sregs)
		return kestrel_fail(EINVAL, "no registers to set");
	nlh = kestrel_request_start(c, KESTREL_CMD_VCPU_SET_REGS, 0);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, id);
	mnl_attr_put_u32(nlh, KESTREL_A_VCPU_ID, vcpu);
	if (regs)
		mnl_attr_put(nlh, KESTREL_A_VCPU_REGS, sizeof(*regs), regs);
	if (sregs)
		mnl_attr_put(nlh, KESTREL_A_VCPU_SREGS, sizeof(*sregs), sregs);
	err = kestrel_transact(c, nlh, NULL, NULL);
	if (err == -ENOENT)
		return not_found_id(id);
	return err;
}

/* ---- /dev/kestrel ---- */

static int domain_fd(uint32_t id, unsigned long req, const char *what)
{
	int dev, fd, err;

	dev = open(KESTREL_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		err = errno;
		switch (err) {
		case ENOENT:
		case ENODEV:
		case ENXIO:
			return kestrel_fail(err,
					    "cannot open %s: the kestrel module is not loaded; load it with 'modprobe kestrel' or 'insmod kestrel.ko'",
					    KESTREL_DEV);
		case EACCES:
		case EPERM:
			return kestrel_fail(err,
					    "permission denied opening %s (needs CAP_SYS_ADMIN)",
					    KESTREL_DEV);
		default:
			return kestrel_fail(err, "cannot open %s: %s", KESTREL_DEV,
					    strerror(err));
		}
	}
	fd = ioctl(dev, req, (unsigned long)id);
	err = errno;
	close(dev);
	if (fd >= 0) {
		/* The module should hand it out close-on-exec; make sure. */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
	switch (err) {
	case ENOENT:
		return not_found_id(id);
	case EACCES:
	case EPERM:
		return kestrel_fail(err,
				    "permission denied opening the %s of domain %u (needs CAP_SYS_ADMIN)",
				    what, id);
	case ENOTTY:
		return kestrel_fail(err,
				    "the kestrel module cannot open a domain's %s (older module?)",
				    what);
	default:
		return kestrel_fail(err, "cannot open the %s of domain %u: %s",
				    what, id, strerror(err));
	}
}

int kestrel_domain_memory_fd(uint32_t id)
{
	return domain_fd(id, KESTREL_DOMAIN_MEMORY_FD, "memory");
}

int kestrel_domain_console_fd(uint32_t id)
{
	return domain_fd(id, KESTREL_DOMAIN_CONSOLE_FD, "console");
}
