// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kestrel": policies and handlers only.
 *
 * Every command has its own strict policy; attributes a command does not
 * take are rejected by the core (NLA_UNSPEC under strict validation), and
 * commands without a policy reject every attribute (resv_start_op is 0).
 * Handlers run without the genl mutex (parallel_ops); the objects they touch
 * carry their own locking.
 */
#include <linux/cpumask.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "kestrel.h"
#include "domain.h"
#include "interrupt.h"
#include "platform.h"

static struct genl_family kestrel_genl_family;

enum kestrel_mcgrp {
	KESTREL_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group kestrel_mcgrps[] = {
	[KESTREL_MCGRP_EVENTS_ID] = { .name = KESTREL_MCGRP_EVENTS },
};

/*
 * Commands that change a domain, map its memory or open its console need
 * CAP_SYS_ADMIN in the initial user namespace (DESIGN principle 10).
 */
static int kestrel_require_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	GENL_SET_ERR_MSG(info, "this command requires CAP_SYS_ADMIN");
	return -EPERM;
}

/*
 * A required attribute: mark it missing (NLMSGERR_ATTR_MISS_TYPE) and say
 * which in plain words, since older tools print only the message.
 */
#define KESTREL_REQ_ATTR(info, attr, what) ({				\
	bool __missing = GENL_REQ_ATTR_CHECK(info, attr);		\
	if (__missing)							\
		GENL_SET_ERR_MSG(info, "missing attribute: " what);	\
	__missing;							\
})

/* Domain commands need a backend; say why there is none. */
static int kestrel_require_backend(struct genl_info *info)
{
	if (kestrel_arch)
		return 0;
	/* kestrel_hw.detail always points to a string literal. */
	if (info->extack)
		info->extack->_msg = kestrel_hw.detail;
	return -EOPNOTSUPP;
}

static int kestrel_fill_info(struct sk_buff *msg)
{
	if (nla_put_string(msg, KESTREL_A_VERSION, KESTREL_VERSION) ||
	    nla_put_u32(msg, KESTREL_A_API_VERSION, KESTREL_API_VERSION) ||
	    nla_put_u32(msg, KESTREL_A_BACKEND, kestrel_hw.backend) ||
	    nla_put_string(msg, KESTREL_A_BACKEND_DETAIL, kestrel_hw.detail) ||
	    nla_put_u64_64bit(msg, KESTREL_A_FEATURES, kestrel_hw.features,
			      KESTREL_A_PAD) ||
	    nla_put_u32(msg, KESTREL_A_HW_REVISION, kestrel_hw.revision) ||
	    nla_put_u32(msg, KESTREL_A_NR_ASIDS, kestrel_hw.nr_asids) ||
	    nla_put_u32(msg, KESTREL_A_HOST_CPUS, num_online_cpus()) ||
	    nla_put_u32(msg, KESTREL_A_ACTIVE_DOMAINS, kestrel_domain_count()) ||
	    nla_put_u32(msg, KESTREL_A_TSC_KHZ, kestrel_guest_tsc_khz()))
		return -EMSGSIZE;
	return 0;
}

static int kestrel_cmd_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kestrel_genl_family, 0,
				KESTREL_CMD_GET_INFO);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = kestrel_fill_info(msg);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/* ---- domains ---- */

static int kestrel_fill_domain(struct sk_buff *msg, struct kestrel_domain *dom,
			       u32 portid, u32 seq, int flags, u8 cmd,
			       bool want_xml)
{
	u32 state, reason;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &kestrel_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	kestrel_domain_get_state(dom, &state, &reason);
	if (nla_put_u32(msg, KESTREL_A_DOM_ID, dom->id) ||
	    nla_put_string(msg, KESTREL_A_DOM_NAME, dom->name) ||
	    nla_put(msg, KESTREL_A_DOM_UUID, KESTREL_UUID_LEN, dom->uuid) ||
	    nla_put_u32(msg, KESTREL_A_DOM_STATE, state) ||
	    nla_put_u32(msg, KESTREL_A_DOM_REASON, reason) ||
	    nla_put_u64_64bit(msg, KESTREL_A_DOM_MEMORY, dom->mem.size,
			      KESTREL_A_PAD) ||
	    nla_put_u32(msg, KESTREL_A_DOM_VCPUS, dom->nr_vcpus) ||
	    nla_put_u64_64bit(msg, KESTREL_A_DOM_CPU_TIME,
			      kestrel_domain_cpu_time(dom), KESTREL_A_PAD) ||
	    (want_xml && dom->xml_len &&
	     nla_put(msg, KESTREL_A_DOM_XML, dom->xml_len, dom->xml))) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int kestrel_reply_domain(struct genl_info *info,
				struct kestrel_domain *dom, bool want_xml)
{
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE + (want_xml ? dom->xml_len : 0),
			  GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = kestrel_fill_domain(msg, dom, info->snd_portid, info->snd_seq, 0,
				  info->genlhdr->cmd, want_xml);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * A DOMAIN_EVENT message for @dom with @event and @detail, and, for
 * KESTREL_EVENT_IO_ERROR, the disk's @slot, errno @err and @count; sent
 * to the events group.  Lost if memory is short: listeners also poll.
 */
static void genl_send_event(struct kestrel_domain *dom, u32 event, u32 detail,
			    const u32 *io, gfp_t gfp)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, gfp);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &kestrel_genl_family, 0,
			  KESTREL_CMD_DOMAIN_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, KESTREL_A_DOM_ID, dom->id) ||
	    nla_put_string(msg, KESTREL_A_DOM_NAME, dom->name) ||
	    nla_put(msg, KESTREL_A_DOM_UUID, KESTREL_UUID_LEN, dom->uuid) ||
	    nla_put_u32(msg, KESTREL_A_EVENT, event) ||
	    nla_put_u32(msg, KESTREL_A_EVENT_DETAIL, detail) ||
	    (io && (nla_put_u32(msg, KESTREL_A_EVENT_SLOT, io[0]) ||
		    nla_put_u32(msg, KESTREL_A_EVENT_ERRNO, io[1]) ||
		    nla_put_u32(msg, KESTREL_A_EVENT_COUNT, io[2])))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&kestrel_genl_family, msg, 0,
			  KESTREL_MCGRP_EVENTS_ID, gfp);
}

void kestrel_genl_notify(struct kestrel_domain *dom, u32 event, u32 detail,
			 gfp_t gfp)
{
	genl_send_event(dom, event, detail, NULL, gfp);
}

/*
 * KESTREL_EVENT_IO_ERROR for the disk in PCI slot @slot: @count requests
 * failed, the last with -@err.  Process context (platform.c's work).
 */
void kestrel_genl_notify_io_error(struct kestrel_domain *dom, u32 slot,
				  int err, u32 count)
{
	const u32 io[3] = { slot, err < 0 ? -err : err, count };

	genl_send_event(dom, KESTREL_EVENT_IO_ERROR, 0, io, GFP_KERNEL);
}

/* The domain a request names by ID, name or UUID, with a reference. */
static struct kestrel_domain *kestrel_lookup(struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct kestrel_domain *dom;

	if (tb[KESTREL_A_DOM_ID])
		dom = kestrel_domain_get_by_id(nla_get_u32(tb[KESTREL_A_DOM_ID]));
	else if (tb[KESTREL_A_DOM_NAME])
		dom = kestrel_domain_get_by_name(nla_data(tb[KESTREL_A_DOM_NAME]));
	else if (tb[KESTREL_A_DOM_UUID])
		dom = kestrel_domain_get_by_uuid(nla_data(tb[KESTREL_A_DOM_UUID]));
	else {
		GENL_SET_ERR_MSG(info, "missing attribute: domain ID, name or UUID");
		return ERR_PTR(-EINVAL);
	}
	if (!dom) {
		GENL_SET_ERR_MSG(info, "Domain not found");
		return ERR_PTR(-ENOENT);
	}
	return dom;
}

static const struct nla_policy kestrel_create_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_DOM_MEMORY] = NLA_POLICY_MIN(NLA_U64, 1),
	[KESTREL_A_DOM_VCPUS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESTREL_A_DOM_XML] = { .type = NLA_BINARY, .len = KESTREL_XML_MAX },
	[KESTREL_A_DOM_ON_POWEROFF] = NLA_POLICY_MAX(NLA_U32,
						     KESTREL_ACTION_PRESERVE),
	[KESTREL_A_DOM_ON_REBOOT] = NLA_POLICY_MAX(NLA_U32,
						   KESTREL_ACTION_PRESERVE),
	[KESTREL_A_DOM_ON_CRASH] = NLA_POLICY_MAX(NLA_U32,
						  KESTREL_ACTION_PRESERVE),
	[KESTREL_A_DOM_DEVICES] = { .type = NLA_NESTED },
};

static const struct nla_policy kestrel_dev_policy[KESTREL_A_DEV_MAX + 1] = {
	[KESTREL_A_DEV_TYPE] = NLA_POLICY_RANGE(NLA_U32, KESTREL_DEV_RNG,
						KESTREL_DEV_CONSOLE),
	[KESTREL_A_DEV_SLOT] = NLA_POLICY_RANGE(NLA_U32, 1,
						KESTREL_PCI_MAX_SLOT),
	[KESTREL_A_DEV_RATE_BYTES] = { .type = NLA_U32 },
	[KESTREL_A_DEV_RATE_PERIOD] = { .type = NLA_U32 },	/* checked below */
	[KESTREL_A_DEV_FD] = { .type = NLA_U32 },
	[KESTREL_A_DEV_READONLY] = { .type = NLA_FLAG },
	[KESTREL_A_DEV_SERIAL] = { .type = NLA_NUL_STRING, .len = 20 },
	[KESTREL_A_DEV_QUEUES] = NLA_POLICY_RANGE(NLA_U32, 1, 64),
	[KESTREL_A_DEV_FDS] = { .type = NLA_BINARY,
				.len = KESTREL_MAX_NET_PAIRS * sizeof(s32) },
	[KESTREL_A_DEV_MAC] = NLA_POLICY_EXACT_LEN(6),
	[KESTREL_A_DEV_LINK_DOWN] = { .type = NLA_FLAG },
};

/* Drop the backend files kestrel_parse_devices() took. */
static void kestrel_put_devices(struct kestrel_dev_config *cfg,
				unsigned int nr)
{
	unsigned int i;

	while (nr--) {
		if (cfg[nr].file)
			fput(cfg[nr].file);
		cfg[nr].file = NULL;
		for (i = 0; i < cfg[nr].nr_taps; i++)
			if (cfg[nr].taps[i])
				fput(cfg[nr].taps[i]);
		cfg[nr].nr_taps = 0;
	}
}

/* A net device's attributes: its taps from the sender's fds. */
static int kestrel_parse_net(struct nlattr **tb, struct nlattr *d,
			     struct kestrel_dev_config *c,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *fds = tb[KESTREL_A_DEV_FDS];
	const s32 *fd;
	unsigned int i;

	if (tb[KESTREL_A_DEV_RATE_BYTES] || tb[KESTREL_A_DEV_RATE_PERIOD] ||
	    tb[KESTREL_A_DEV_FD] || tb[KESTREL_A_DEV_READONLY] ||
	    tb[KESTREL_A_DEV_SERIAL] || tb[KESTREL_A_DEV_QUEUES]) {
		NL_SET_ERR_MSG_ATTR(extack, d, "net: an attribute of another device type");
		return -EINVAL;
	}
	if (!fds || !nla_len(fds) || nla_len(fds) % sizeof(s32) ||
	    !tb[KESTREL_A_DEV_MAC]) {
		NL_SET_ERR_MSG_ATTR(extack, d, "net: needs the tap fds (1-16 s32) and a MAC");
		return -EINVAL;
	}
	memcpy(c->mac, nla_data(tb[KESTREL_A_DEV_MAC]), 6);
	c->link_down = nla_get_flag(tb[KESTREL_A_DEV_LINK_DOWN]);
	fd = nla_data(fds);
	for (i = 0; i < nla_len(fds) / sizeof(s32); i++) {
		c->taps[i] = fget(fd[i]);
		c->nr_taps = i + 1;
		if (!c->taps[i]) {
			NL_SET_ERR_MSG_ATTR(extack, fds, "net: a tap fd is not open");
			return -EBADF;
		}
	}
	return 0;
}


/* A block device's attributes: its backend from the sender's fd. */
static int kestrel_parse_block(struct nlattr **tb, struct nlattr *d,
			       struct kestrel_dev_config *c,
			       struct netlink_ext_ack *extack)
{
	struct inode *inode;

	if (tb[KESTREL_A_DEV_RATE_BYTES] || tb[KESTREL_A_DEV_RATE_PERIOD]) {
		NL_SET_ERR_MSG_ATTR(extack, d, "block: a rate is an rng attribute");
		return -EINVAL;
	}
	if (tb[KESTREL_A_DEV_LINK_DOWN]) {
		NL_SET_ERR_MSG_ATTR(extack, d, "block: a link state is a net attribute");
		return -EINVAL;
	}
	if (tb[KESTREL_A_DEV_FDS] || tb[KESTREL_A_DEV_MAC]) {
		NL_SET_ERR_MSG_ATTR(extack, d, "block: tap fds and a MAC are net attributes");
		return -EINVAL;
	}
	if (!tb[KESTREL_A_DEV_FD]) {
		NL_SET_ERR_MSG_ATTR(extack, d, "block: the backend fd is missing");
		return -EINVAL;
	}
	c->readonly = nla_get_flag(tb[KESTREL_A_DEV_READONLY]);
	if (tb[KESTREL_A_DEV_SERIAL])
		nla_strscpy(c->serial, tb[KESTREL_A_DEV_SERIAL],
			    sizeof(c->serial));
	if (tb[KESTREL_A_DEV_QUEUES])
		c->queues = nla_get_u32(tb[KESTREL_A_DEV_QUEUES]);
	c->file = fget(nla_get_u32(tb[KESTREL_A_DEV_FD]));
	if (!c->file) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KESTREL_A_DEV_FD],
				    "block: the backend fd is not open");
		return -EBADF;
	}
	inode = file_inode(c->file);
	if (!S_ISREG(inode->i_mode) && !S_ISBLK(inode->i_mode)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KESTREL_A_DEV_FD],
				    "block: the backend is neither a regular file nor a block device");
		return -EINVAL;
	}
	if (!(c->file->f_mode & FMODE_READ) ||
	    (!c->readonly && !(c->file->f_mode & FMODE_WRITE))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KESTREL_A_DEV_FD],
				    "block: the backend fd is not open for reading and (unless read-only) writing");
		return -EBADF;
	}
	return 0;
}


static u32 kestrel_get_action(struct nlattr *a, u32 dflt)
{
	return a ? nla_get_u32(a) : dflt;
}

/* KESTREL_A_DOM_DEVICES into @cfg (room for KESTREL_MAX_DEVICES). */
static int kestrel_parse_devices(struct nlattr *devs,
				 struct kestrel_dev_config *cfg,
				 unsigned int *nr, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESTREL_A_DEV_MAX + 1];
	struct kestrel_dev_config *c;
	unsigned int consoles = 0;
	struct nlattr *d;
	u32 slots = 0;
	int rem, err;

	*nr = 0;
	if (!devs)
		return 0;
	nla_for_each_nested(d, devs, rem) {
		if (nla_type(d) != KESTREL_A_DEVICE) {
			NL_SET_ERR_MSG_ATTR(extack, d, "devices: an entry that is not KESTREL_A_DEVICE");
			return -EINVAL;
		}
		if (*nr == KESTREL_MAX_DEVICES) {
			NL_SET_ERR_MSG_ATTR(extack, d, "devices: more than KESTREL_MAX_DEVICES");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, KESTREL_A_DEV_MAX, d,
				       kestrel_dev_policy, extack);
		if (err)
			return err;
		if (!tb[KESTREL_A_DEV_TYPE] || !tb[KESTREL_A_DEV_SLOT]) {
			NL_SET_ERR_MSG_ATTR(extack, d, "a device needs a type and a PCI slot");
			return -EINVAL;
		}
		c = &cfg[(*nr)++];
		memset(c, 0, sizeof(*c));
		c->type = nla_get_u32(tb[KESTREL_A_DEV_TYPE]);
		c->slot = nla_get_u32(tb[KESTREL_A_DEV_SLOT]);
		if (slots & BIT(c->slot)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KESTREL_A_DEV_SLOT],
					    "two devices in one PCI slot");
			return -EINVAL;
		}
		slots |= BIT(c->slot);
		if (c->type == KESTREL_DEV_BLOCK || c->type == KESTREL_DEV_NET) {
			err = c->type == KESTREL_DEV_BLOCK ?
			      kestrel_parse_block(tb, d, c, extack) :
			      kestrel_parse_net(tb, d, c, extack);
			if (err)
				return err;
			continue;
		}
		/* KESTREL_DEV_RNG and _CONSOLE */
		if (tb[KESTREL_A_DEV_FD] || tb[KESTREL_A_DEV_READONLY] ||
		    tb[KESTREL_A_DEV_SERIAL] || tb[KESTREL_A_DEV_QUEUES] ||
		    tb[KESTREL_A_DEV_FDS] || tb[KESTREL_A_DEV_MAC] ||
		    tb[KESTREL_A_DEV_LINK_DOWN]) {
			NL_SET_ERR_MSG_ATTR(extack, d, "rng or console: an attribute of block or net devices");
			return -EINVAL;
		}
		if (c->type == KESTREL_DEV_CONSOLE) {
			if (tb[KESTREL_A_DEV_RATE_BYTES] ||
			    tb[KESTREL_A_DEV_RATE_PERIOD]) {
				NL_SET_ERR_MSG_ATTR(extack, d, "console: a rate is an rng attribute");
				return -EINVAL;
			}
			if (consoles++) {
				NL_SET_ERR_MSG_ATTR(extack, d, "one virtio console per domain");
				return -EINVAL;
			}
			continue;
		}
		if (tb[KESTREL_A_DEV_RATE_BYTES]) {
			if (!tb[KESTREL_A_DEV_RATE_PERIOD]) {
				NL_SET_ERR_MSG_ATTR(extack, d, "rng: a rate in bytes needs a period");
				return -EINVAL;
			}
			c->rate_bytes = nla_get_u32(tb[KESTREL_A_DEV_RATE_BYTES]);
			c->rate_period =
				nla_get_u32(tb[KESTREL_A_DEV_RATE_PERIOD]);
			if (!c->rate_period || c->rate_period > 3600000) {
				NL_SET_ERR_MSG_ATTR(extack,
						    tb[KESTREL_A_DEV_RATE_PERIOD],
						    "rng: the period is 1 ms to 1 hour");
				return -EINVAL;
			}
		}
	}
	if (rem) {
		NL_SET_ERR_MSG_ATTR(extack, devs, "devices: trailing bytes");
		return -EINVAL;
	}
	return 0;
}

static int kestrel_cmd_domain_create(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct kestrel_dev_config *devs;
	struct kestrel_actions actions;
	struct nlattr **tb = info->attrs;
	struct kestrel_domain *dom;
	unsigned int nr_devs;
	struct nlattr *xml;
	int err;

	if (KESTREL_REQ_ATTR(info, KESTREL_A_DOM_NAME, "domain name") ||
	    KESTREL_REQ_ATTR(info, KESTREL_A_DOM_MEMORY, "memory size") ||
	    KESTREL_REQ_ATTR(info, KESTREL_A_DOM_VCPUS, "vCPU count"))
		return -EINVAL;
	xml = tb[KESTREL_A_DOM_XML];
	actions.on_poweroff = kestrel_get_action(tb[KESTREL_A_DOM_ON_POWEROFF],
						 KESTREL_ACTION_DESTROY);
	actions.on_reboot = kestrel_get_action(tb[KESTREL_A_DOM_ON_REBOOT],
					       KESTREL_ACTION_DESTROY);
	actions.on_crash = kestrel_get_action(tb[KESTREL_A_DOM_ON_CRASH],
					      KESTREL_ACTION_PRESERVE);
	devs = kcalloc(KESTREL_MAX_DEVICES, sizeof(*devs), GFP_KERNEL);
	if (!devs)
		return -ENOMEM;
	err = kestrel_parse_devices(tb[KESTREL_A_DOM_DEVICES], devs, &nr_devs,
				    info->extack);
	if (err) {
		kestrel_put_devices(devs, nr_devs);
		kfree(devs);
		return err;
	}
	err = kestrel_domain_create(nla_data(tb[KESTREL_A_DOM_NAME]),
				    tb[KESTREL_A_DOM_UUID] ?
				    nla_data(tb[KESTREL_A_DOM_UUID]) : NULL,
				    nla_get_u64(tb[KESTREL_A_DOM_MEMORY]),
				    nla_get_u32(tb[KESTREL_A_DOM_VCPUS]),
				    xml ? nla_data(xml) : NULL,
				    xml ? nla_len(xml) : 0, &actions, devs,
				    nr_devs, info->extack, &dom);
	kestrel_put_devices(devs, nr_devs);
	kfree(devs);
	if (err)
		return err;
	err = kestrel_reply_domain(info, dom, false);
	kestrel_domain_put(dom);
	return err;
}

/* Commands that only name a domain. */
static const struct nla_policy kestrel_select_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_ID] = { .type = NLA_U32 },
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
};

static const struct nla_policy kestrel_get_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_ID] = { .type = NLA_U32 },
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_DOM_WANT_XML] = { .type = NLA_FLAG },
};

static int kestrel_cmd_domain_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kestrel_domain *dom = kestrel_lookup(info);
	int err;

	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = kestrel_reply_domain(info, dom,
				   nla_get_flag(info->attrs[KESTREL_A_DOM_WANT_XML]));
	kestrel_domain_put(dom);
	return err;
}

/* cb->args[0]: the last ID dumped, so that a dump resumes after it. */
static int kestrel_dump_domains(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kestrel_domain *dom;
	u32 last = cb->args[0];
	int err;

	while ((dom = kestrel_domain_get_next(last))) {
		err = kestrel_fill_domain(skb, dom, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  KESTREL_CMD_DOMAIN_GET, false);
		last = dom->id;
		kestrel_domain_put(dom);
		if (err)
			break;
		cb->args[0] = last;
	}
	return skb->len;
}

static int kestrel_lifecycle(struct sk_buff *skb, struct genl_info *info,
			     int (*op)(struct kestrel_domain *dom,
				       struct netlink_ext_ack *extack))
{
	struct kestrel_domain *dom;
	int err;

	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = op(dom, info->extack);
	kestrel_domain_put(dom);
	return err;
}

static const struct nla_policy kestrel_start_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_ID] = { .type = NLA_U32 },
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_DOM_BOOT_REGIONS] = {
		.type = NLA_BINARY,
		.len = KESTREL_MAX_BOOT_REGIONS *
		       sizeof(struct kestrel_mem_region)
	},
	[KESTREL_A_DOM_BOOT_FILES] = {
		.type = NLA_BINARY,
		.len = KESTREL_MAX_BOOT_REGIONS *
		       sizeof(struct kestrel_boot_file)
	},
};

static int kestrel_cmd_domain_start(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *r = info->attrs[KESTREL_A_DOM_BOOT_REGIONS];
	struct nlattr *f = info->attrs[KESTREL_A_DOM_BOOT_FILES];
	struct kestrel_mem_region regions[KESTREL_MAX_BOOT_REGIONS];
	struct kestrel_boot_file files[KESTREL_MAX_BOOT_REGIONS];
	struct kestrel_domain *dom;
	unsigned int nr = 0, nr_files = 0;
	int err;

	if (r) {
		if (!nla_len(r) ||
		    nla_len(r) % sizeof(struct kestrel_mem_region)) {
			NL_SET_ERR_MSG_ATTR(info->extack, r,
					    "boot regions: a whole number of struct kestrel_mem_region, at least one");
			return -EINVAL;
		}
		nr = nla_len(r) / sizeof(struct kestrel_mem_region);
		memcpy(regions, nla_data(r), nla_len(r));
	}
	if (f) {
		if (!nla_len(f) ||
		    nla_len(f) % sizeof(struct kestrel_boot_file)) {
			NL_SET_ERR_MSG_ATTR(info->extack, f,
					    "boot files: a whole number of struct kestrel_boot_file, at least one");
			return -EINVAL;
		}
		nr_files = nla_len(f) / sizeof(struct kestrel_boot_file);
		memcpy(files, nla_data(f), nla_len(f));
	}
	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = kestrel_domain_start(dom, regions, nr, files, nr_files,
				   info->extack);
	kestrel_domain_put(dom);
	return err;
}

static const struct nla_policy kestrel_shutdown_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_ID] = { .type = NLA_U32 },
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_DOM_REBOOT] = { .type = NLA_FLAG },
};

static int kestrel_cmd_domain_shutdown(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct kestrel_domain *dom;
	int err;

	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = kestrel_domain_shutdown(dom,
				      nla_get_flag(info->attrs[KESTREL_A_DOM_REBOOT]),
				      info->extack);
	kestrel_domain_put(dom);
	return err;
}

static int kestrel_cmd_domain_reset(struct sk_buff *skb, struct genl_info *info)
{
	return kestrel_lifecycle(skb, info, kestrel_domain_reset);
}

static int kestrel_cmd_domain_pause(struct sk_buff *skb, struct genl_info *info)
{
	return kestrel_lifecycle(skb, info, kestrel_domain_pause);
}

static int kestrel_cmd_domain_resume(struct sk_buff *skb, struct genl_info *info)
{
	return kestrel_lifecycle(skb, info, kestrel_domain_resume);
}

static int kestrel_cmd_domain_destroy(struct sk_buff *skb,
				      struct genl_info *info)
{
	return kestrel_lifecycle(skb, info, kestrel_domain_destroy);
}

/* The counters of a DOMAIN_STATS device entry, by type. */
#define KESTREL_BLK_STATS	6
#define KESTREL_NET_STATS	8
static_assert(KESTREL_A_DEV_STAT_ERRORS - KESTREL_A_DEV_STAT_RD_REQS + 1 ==
	      KESTREL_BLK_STATS);
static_assert(KESTREL_A_DEV_STAT_TX_ERRORS - KESTREL_A_DEV_STAT_RX_PACKETS + 1 ==
	      KESTREL_NET_STATS);

/* The size of a DOMAIN_STATS reply's attributes for @dom. */
static size_t kestrel_stats_size(struct kestrel_domain *dom)
{
	size_t dev = 2 * nla_total_size(0) + 2 * nla_total_size(sizeof(u32)) +
		     max(KESTREL_BLK_STATS, KESTREL_NET_STATS) *
		     nla_total_size_64bit(sizeof(u64));

	return nla_total_size(sizeof(u32)) +
	       nla_total_size(KESTREL_EXIT_COUNT * sizeof(u64)) +
	       nla_total_size(dom->nr_vcpus * sizeof(u64)) +
	       nla_total_size(0) + dom->nr_devs * dev;
}

static int kestrel_put_u64s(struct sk_buff *msg, int first, const u64 *v,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(msg, first + i, v[i], KESTREL_A_DEV_PAD))
			return -EMSGSIZE;
	return 0;
}

/* KESTREL_A_STAT_DEVICES: one KESTREL_A_DEVICE per device, in order. */
static int kestrel_put_dev_stats(struct sk_buff *msg,
				 struct kestrel_domain *dom)
{
	struct kestrel_dev_stats st;
	struct nlattr *devs, *d;
	unsigned int i;
	int err = 0;

	devs = nla_nest_start(msg, KESTREL_A_STAT_DEVICES);
	if (!devs)
		return -EMSGSIZE;
	for (i = 0; i < dom->nr_devs && !err; i++) {
		kestrel_platform_dev_stats(dom, i, &st);
		d = nla_nest_start(msg, KESTREL_A_DEVICE);
		if (!d ||
		    nla_put_u32(msg, KESTREL_A_DEV_TYPE, st.type) ||
		    nla_put_u32(msg, KESTREL_A_DEV_SLOT, st.slot) ||
		    (st.link_down && nla_put_flag(msg, KESTREL_A_DEV_LINK_DOWN)))
			return -EMSGSIZE;
		if (st.type == KESTREL_DEV_BLOCK) {
			const u64 v[KESTREL_BLK_STATS] = {
				st.blk.rd_reqs, st.blk.rd_bytes,
				st.blk.wr_reqs, st.blk.wr_bytes,
				st.blk.flush_reqs, st.blk.errors,
			};

			err = kestrel_put_u64s(msg, KESTREL_A_DEV_STAT_RD_REQS,
					       v, ARRAY_SIZE(v));
		} else if (st.type == KESTREL_DEV_NET) {
			const u64 v[KESTREL_NET_STATS] = {
				st.net.rx_packets, st.net.rx_bytes,
				st.net.rx_drops, st.net.rx_errors,
				st.net.tx_packets, st.net.tx_bytes,
				st.net.tx_drops, st.net.tx_errors,
			};

			err = kestrel_put_u64s(msg,
					       KESTREL_A_DEV_STAT_RX_PACKETS,
					       v, ARRAY_SIZE(v));
		}
		nla_nest_end(msg, d);
	}
	nla_nest_end(msg, devs);
	return err;
}

static int kestrel_cmd_domain_stats(struct sk_buff *skb, struct genl_info *info)
{
	u64 exits[KESTREL_EXIT_COUNT], *times;
	struct kestrel_domain *dom;
	struct sk_buff *msg;
	void *hdr;
	int err = -EMSGSIZE;

	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	times = kcalloc(dom->nr_vcpus, sizeof(*times), GFP_KERNEL);
	msg = genlmsg_new(kestrel_stats_size(dom), GFP_KERNEL);
	if (!times || !msg) {
		err = -ENOMEM;
		goto err;
	}
	kestrel_domain_get_stats(dom, exits, times);
	hdr = genlmsg_put_reply(msg, info, &kestrel_genl_family, 0,
				KESTREL_CMD_DOMAIN_STATS);
	if (!hdr ||
	    nla_put_u32(msg, KESTREL_A_DOM_ID, dom->id) ||
	    nla_put(msg, KESTREL_A_STAT_EXITS, sizeof(exits), exits) ||
	    nla_put(msg, KESTREL_A_STAT_VCPU_TIME,
		    dom->nr_vcpus * sizeof(*times), times) ||
	    kestrel_put_dev_stats(msg, dom))
		goto err;
	genlmsg_end(msg, hdr);
	kfree(times);
	kestrel_domain_put(dom);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	kfree(times);
	kestrel_domain_put(dom);
	return err;
}

static const struct nla_policy kestrel_link_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_ID] = { .type = NLA_U32 },
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_LINK_SLOT] = NLA_POLICY_RANGE(NLA_U32, 0,
						 KESTREL_PCI_MAX_SLOT),
	[KESTREL_A_LINK_STATE] = NLA_POLICY_MAX(NLA_U32, 1),
};

static int kestrel_cmd_device_set_link(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct nlattr *slot = info->attrs[KESTREL_A_LINK_SLOT];
	struct kestrel_domain *dom;
	int err;

	if (!slot || !info->attrs[KESTREL_A_LINK_STATE]) {
		GENL_SET_ERR_MSG(info, "missing attribute: link slot and state");
		return -EINVAL;
	}
	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = kestrel_platform_set_link(dom, nla_get_u32(slot),
					nla_get_u32(info->attrs[KESTREL_A_LINK_STATE]));
	kestrel_domain_put(dom);
	if (err == -ENODEV)
		NL_SET_ERR_MSG_ATTR(info->extack, slot,
				    "no device of the domain has this PCI slot");
	else if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, slot,
				    "the device in this PCI slot is not a network interface");
	return err;
}

static const struct nla_policy kestrel_regs_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_ID] = { .type = NLA_U32 },
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_VCPU_ID] = { .type = NLA_U32 },
	[KESTREL_A_VCPU_REGS] = NLA_POLICY_EXACT_LEN(sizeof(struct kestrel_regs)),
	[KESTREL_A_VCPU_SREGS] = NLA_POLICY_EXACT_LEN(sizeof(struct kestrel_sregs)),
};

static int kestrel_cmd_vcpu_get_regs(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct kestrel_sregs sregs = {};
	struct kestrel_regs regs = {};
	struct kestrel_domain *dom;
	struct sk_buff *msg;
	void *hdr;
	u32 vcpu;
	int err;

	if (KESTREL_REQ_ATTR(info, KESTREL_A_VCPU_ID, "vCPU"))
		return -EINVAL;
	vcpu = nla_get_u32(info->attrs[KESTREL_A_VCPU_ID]);
	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = kestrel_domain_get_regs(dom, vcpu, &regs, &sregs, info->extack);
	kestrel_domain_put(dom);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kestrel_genl_family, 0,
				KESTREL_CMD_VCPU_GET_REGS);
	if (!hdr || nla_put_u32(msg, KESTREL_A_VCPU_ID, vcpu) ||
	    nla_put(msg, KESTREL_A_VCPU_REGS, sizeof(regs), &regs) ||
	    nla_put(msg, KESTREL_A_VCPU_SREGS, sizeof(sregs), &sregs)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kestrel_cmd_vcpu_set_regs(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct kestrel_domain *dom;
	int err;

	if (KESTREL_REQ_ATTR(info, KESTREL_A_VCPU_ID, "vCPU"))
		return -EINVAL;
	if (!tb[KESTREL_A_VCPU_REGS] && !tb[KESTREL_A_VCPU_SREGS]) {
		GENL_SET_ERR_MSG(info, "missing attribute: registers");
		return -EINVAL;
	}
	dom = kestrel_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = kestrel_domain_set_regs(dom, nla_get_u32(tb[KESTREL_A_VCPU_ID]),
				      tb[KESTREL_A_VCPU_REGS] ?
				      nla_data(tb[KESTREL_A_VCPU_REGS]) : NULL,
				      tb[KESTREL_A_VCPU_SREGS] ?
				      nla_data(tb[KESTREL_A_VCPU_SREGS]) : NULL,
				      info->extack);
	kestrel_domain_put(dom);
	return err;
}

/* genl_ops.internal_flags */
#define KESTREL_OP_ADMIN	BIT(0)	/* needs CAP_SYS_ADMIN */
#define KESTREL_OP_DOMAIN	BIT(1)	/* needs a backend */

/*
 * Privilege first, then the backend: checked here for every command so
 * that no handler can forget either.
 */
static int kestrel_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			    struct genl_info *info)
{
	int err = 0;

	if (ops->internal_flags & KESTREL_OP_ADMIN)
		err = kestrel_require_admin(skb, info);
	if (!err && (ops->internal_flags & KESTREL_OP_DOMAIN))
		err = kestrel_require_backend(info);
	return err;
}

#define KESTREL_DOM_OP(c, fn, pol, flags)		\
	{						\
		.cmd = (c),				\
		.doit = (fn),				\
		.policy = (pol),			\
		.maxattr = KESTREL_A_MAX,		\
		.internal_flags = KESTREL_OP_DOMAIN | (flags), \
	}

static const struct genl_ops kestrel_genl_ops[] = {
	{
		.cmd = KESTREL_CMD_GET_INFO,
		.doit = kestrel_cmd_get_info,
	},
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_CREATE, kestrel_cmd_domain_create,
		       kestrel_create_policy, KESTREL_OP_ADMIN),
	{
		.cmd = KESTREL_CMD_DOMAIN_GET,
		.doit = kestrel_cmd_domain_get,
		.dumpit = kestrel_dump_domains,
		.policy = kestrel_get_policy,
		.maxattr = KESTREL_A_MAX,
		.internal_flags = KESTREL_OP_DOMAIN,
	},
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_START, kestrel_cmd_domain_start,
		       kestrel_start_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_SHUTDOWN, kestrel_cmd_domain_shutdown,
		       kestrel_shutdown_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_RESET, kestrel_cmd_domain_reset,
		       kestrel_select_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_PAUSE, kestrel_cmd_domain_pause,
		       kestrel_select_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_RESUME, kestrel_cmd_domain_resume,
		       kestrel_select_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_DESTROY, kestrel_cmd_domain_destroy,
		       kestrel_select_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DOMAIN_STATS, kestrel_cmd_domain_stats,
		       kestrel_select_policy, 0),
	KESTREL_DOM_OP(KESTREL_CMD_VCPU_GET_REGS, kestrel_cmd_vcpu_get_regs,
		       kestrel_regs_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_VCPU_SET_REGS, kestrel_cmd_vcpu_set_regs,
		       kestrel_regs_policy, KESTREL_OP_ADMIN),
	KESTREL_DOM_OP(KESTREL_CMD_DEVICE_SET_LINK, kestrel_cmd_device_set_link,
		       kestrel_link_policy, KESTREL_OP_ADMIN),
};

static struct genl_family kestrel_genl_family __ro_after_init = {
	.name = KESTREL_GENL_NAME,
	.version = KESTREL_GENL_VERSION,
	.module = THIS_MODULE,
	.parallel_ops = true,
	.pre_doit = kestrel_pre_doit,
	.ops = kestrel_genl_ops,
	.n_ops = ARRAY_SIZE(kestrel_genl_ops),
	.resv_start_op = 0,	/* strict header and attribute checks for all */
	.mcgrps = kestrel_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kestrel_mcgrps),
};

int __init kestrel_genl_init(void)
{
	return genl_register_family(&kestrel_genl_family);
}

void kestrel_genl_exit(void)
{
	genl_unregister_family(&kestrel_genl_family);
}
