// SPDX-License-Identifier: LGPL-2.1-or-later
/* KESTREL_CMD_GET_INFO: what the module and the hardware offer. */
#include <errno.h>
#include <string.h>

#include <linux/genetlink.h>

#include "libkestrel.h"
#include "nl.h"

static void copy_str(char *dst, size_t len, const struct nlattr *a)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(dst, len, "%s", mnl_attr_get_str(a));
}

static uint32_t get_u32(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U32) == 0 ? mnl_attr_get_u32(a) : 0;
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kestrel_info *info = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case KESTREL_A_VERSION:
			copy_str(info->version, sizeof(info->version), a);
			break;
		case KESTREL_A_API_VERSION:
			info->api_version = get_u32(a);
			break;
		case KESTREL_A_BACKEND:
			info->backend = get_u32(a);
			break;
		case KESTREL_A_BACKEND_DETAIL:
			copy_str(info->backend_detail,
				 sizeof(info->backend_detail), a);
			break;
		case KESTREL_A_FEATURES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
				info->features = mnl_attr_get_u64(a);
			break;
		case KESTREL_A_HW_REVISION:
			info->hw_revision = get_u32(a);
			break;
		case KESTREL_A_NR_ASIDS:
			info->nr_asids = get_u32(a);
			break;
		case KESTREL_A_HOST_CPUS:
			info->host_cpus = get_u32(a);
			break;
		case KESTREL_A_ACTIVE_DOMAINS:
			info->active_domains = get_u32(a);
			break;
		case KESTREL_A_TSC_KHZ:
			info->tsc_khz = get_u32(a);
			break;
		}
	}
	return MNL_CB_OK;
}

int kestrel_get_info(struct kestrel_conn *c, struct kestrel_info *info)
{
	struct nlmsghdr *nlh;
	int err;

	memset(info, 0, sizeof(*info));
	nlh = kestrel_request_start(c, KESTREL_CMD_GET_INFO, 0);
	err = kestrel_transact(c, nlh, info_cb, info);
	if (err)
		return err;
	if (!info->version[0] || info->api_version == 0)
		return kestrel_fail(EPROTO, "the kestrel module sent an incomplete GET_INFO reply");
	if (info->api_version != KESTREL_API_VERSION)
		return kestrel_fail(EPROTO,
				    "the kestrel module speaks API %u, this tool API %u",
				    info->api_version, KESTREL_API_VERSION);
	return 0;
}
