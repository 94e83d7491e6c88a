// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Netlink client: resolves the "kestrel" generic netlink family, sends
 * requests and turns errno plus the kernel's extack into a message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "libkestrel.h"
#include "nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static __thread bool last_no_module;

bool kestrel_error_is_no_module(void)
{
	return last_no_module && kestrel_last_errno() == ENOENT;
}

struct nlmsghdr *kestrel_msg_start(struct kestrel_conn *c, uint16_t type,
				   uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = mnl_nlmsg_put_header(c->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++c->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : KESTREL_GENL_VERSION;
	return nlh;
}

struct nlmsghdr *kestrel_request_start(struct kestrel_conn *c, uint8_t cmd,
				       uint16_t flags)
{
	return kestrel_msg_start(c, c->family, cmd, flags);
}

/* Pull the extack message out of an NLMSG_ERROR, if the kernel sent one. */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	unsigned int offset = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - sizeof(e->msg);
	if (offset >= mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	mnl_attr_for_each(attr, nlh, offset) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

/* What one transaction's callbacks share: mnl passes one pointer to all. */
struct transact_ctx {
	struct kestrel_conn *c;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *p)
{
	struct transact_ctx *t = p;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *p)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct transact_ctx *t = p;
	struct kestrel_conn *c = t->c;
	const char *msg;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		c->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	c->err = e->error < 0 ? e->error : -e->error;
	msg = extack_msg(nlh);
	snprintf(c->extack, sizeof(c->extack), "%s", msg ? msg : "");
	return MNL_CB_ERROR;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

int kestrel_transact(struct kestrel_conn *c, struct nlmsghdr *nlh,
		     mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	struct transact_ctx t = { .c = c, .cb = cb, .data = data };
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	c->err = 0;
	c->extack[0] = '\0';
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return kestrel_fail(errno, "cannot send to the kestrel module: %s",
				    strerror(errno));
	for (;;) {
		ret = mnl_socket_recvfrom(c->nl, c->buf, sizeof(c->buf));
		if (ret < 0)
			return kestrel_fail(errno,
					    "cannot receive from the kestrel module: %s",
					    strerror(errno));
		ret = mnl_cb_run2(c->buf, ret, seq, c->portid, data_cb, &t,
				  ctl, NLMSG_MIN_TYPE);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret == MNL_CB_ERROR && c->err == 0)
		c->err = errno ? -errno : -EIO;
	if (c->err) {
		if (c->extack[0])
			return kestrel_fail(c->err, "%s: %s", strerror(-c->err),
					    c->extack);
		return kestrel_fail(c->err, "%s", strerror(-c->err));
	}
	kestrel_clear_error();
	return 0;
}

const char *kestrel_conn_extack(const struct kestrel_conn *c)
{
	return c->extack;
}

struct family_ids {
	uint16_t id;
	uint32_t events;
};

static int mcgrp_cb(const struct nlattr *grp, struct family_ids *ids)
{
	const struct nlattr *a, *name = NULL, *id = NULL;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = a;
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = a;
	}
	if (name && id && !strcmp(mnl_attr_get_str(name), KESTREL_MCGRP_EVENTS))
		ids->events = mnl_attr_get_u32(id);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_ids *ids = data;
	const struct nlattr *a, *grp;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
				ids->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, a)
				mcgrp_cb(grp, ids);
			break;
		}
	}
	return MNL_CB_OK;
}

int kestrel_open(struct kestrel_conn **connp)
{
	struct family_ids ids = { 0 };
	struct kestrel_conn *c;
	struct nlmsghdr *nlh;
	int one = 1, err;

	last_no_module = false;
	*connp = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return kestrel_fail(ENOMEM, "out of memory");
	c->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!c->nl) {
		err = kestrel_fail(errno, "cannot open a netlink socket: %s",
				   strerror(errno));
		free(c);
		return err;
	}
	/* Best effort: older kernels work without extack, just less clearly. */
	mnl_socket_setsockopt(c->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = kestrel_fail(errno, "cannot bind a netlink socket: %s",
				   strerror(errno));
		goto err_close;
	}
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (uint32_t)time(NULL);

	nlh = kestrel_msg_start(c, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KESTREL_GENL_NAME);
	err = kestrel_transact(c, nlh, family_cb, &ids);
	if (err == -ENOENT || (!err && !ids.id)) {
		last_no_module = true;
		err = kestrel_fail(ENOENT,
				   "the kestrel module is not loaded (no generic netlink family '%s'); load it with 'modprobe kestrel' or 'insmod kestrel.ko'",
				   KESTREL_GENL_NAME);
		goto err_close;
	}
	if (err)
		goto err_close;
	c->family = ids.id;
	c->mcgrp_events = ids.events;
	*connp = c;
	return 0;

err_close:
	mnl_socket_close(c->nl);
	free(c);
	return err;
}

void kestrel_close(struct kestrel_conn *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	free(c);
}
