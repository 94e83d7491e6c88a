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
#include <net/genetlink.h>

#include "kestrel.h"

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
	if (kestrel_hw.backend != KESTREL_BACKEND_NONE)
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
	    nla_put_u32(msg, KESTREL_A_ACTIVE_DOMAINS, kestrel_domain_count()))
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

static const struct nla_policy kestrel_create_policy[KESTREL_A_MAX + 1] = {
	[KESTREL_A_DOM_NAME] = { .type = NLA_NUL_STRING,
				 .len = KESTREL_NAME_MAX - 1 },
	[KESTREL_A_DOM_UUID] = NLA_POLICY_EXACT_LEN(KESTREL_UUID_LEN),
	[KESTREL_A_DOM_MEMORY] = NLA_POLICY_MIN(NLA_U64, 1),
	[KESTREL_A_DOM_VCPUS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESTREL_A_DOM_XML] = { .type = NLA_BINARY, .len = KESTREL_XML_MAX },
};

static int kestrel_cmd_domain_create(struct sk_buff *skb,
				     struct genl_info *info)
{
	int err;

	err = kestrel_require_admin(skb, info);
	if (err)
		return err;
	if (KESTREL_REQ_ATTR(info, KESTREL_A_DOM_NAME, "domain name") ||
	    KESTREL_REQ_ATTR(info, KESTREL_A_DOM_MEMORY, "memory size") ||
	    KESTREL_REQ_ATTR(info, KESTREL_A_DOM_VCPUS, "vCPU count"))
		return -EINVAL;
	err = kestrel_require_backend(info);
	if (err)
		return err;
	GENL_SET_ERR_MSG(info, "domain creation is not implemented yet");
	return -EOPNOTSUPP;
}

static const struct genl_ops kestrel_genl_ops[] = {
	{
		.cmd = KESTREL_CMD_GET_INFO,
		.doit = kestrel_cmd_get_info,
	},
	{
		.cmd = KESTREL_CMD_DOMAIN_CREATE,
		.doit = kestrel_cmd_domain_create,
		.policy = kestrel_create_policy,
		.maxattr = KESTREL_A_MAX,
	},
};

static struct genl_family kestrel_genl_family __ro_after_init = {
	.name = KESTREL_GENL_NAME,
	.version = KESTREL_GENL_VERSION,
	.module = THIS_MODULE,
	.parallel_ops = true,
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
