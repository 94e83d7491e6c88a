// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lifecycle events: a connection subscribed to the "events" multicast
 * group, and the KESTREL_CMD_DOMAIN_EVENT messages it receives.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "libkestrel.h"
#include "nl.h"
#include "domain_priv.h"

enum {
	SEEN_ID = 1 << 0,
	SEEN_NAME = 1 << 1,
	SEEN_UUID = 1 << 2,
	SEEN_EVENT = 1 << 3,
};

int kestrel_parse_event(const struct nlmsghdr *nlh,
			struct kestrel_event_msg *ev)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} required[] = {
		{ SEEN_ID, "DOM_ID" },
		{ SEEN_NAME, "DOM_NAME" },
		{ SEEN_UUID, "DOM_UUID" },
		{ SEEN_EVENT, "EVENT" },
	};
	const struct nlattr *a;
	unsigned int seen = 0, i;
	uint32_t v;
	int err = 0;

	if (kestrel_msg_cmd(nlh) != KESTREL_CMD_DOMAIN_EVENT)
		return 0;
	memset(ev, 0, sizeof(*ev));
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case KESTREL_A_DOM_ID:
			err = kestrel_attr_u32(a, &ev->id, "DOM_ID");
			seen |= SEEN_ID;
			break;
		case KESTREL_A_DOM_NAME:
			err = kestrel_attr_str(a, ev->name, sizeof(ev->name),
					       "DOM_NAME");
			seen |= SEEN_NAME;
			break;
		case KESTREL_A_DOM_UUID:
			err = kestrel_attr_bin(a, ev->uuid, KESTREL_UUID_LEN,
					       "DOM_UUID");
			seen |= SEEN_UUID;
			break;
		case KESTREL_A_EVENT:
			err = kestrel_attr_u32(a, &v, "EVENT");
			ev->event = v;
			seen |= SEEN_EVENT;
			break;
		case KESTREL_A_EVENT_DETAIL:
			err = kestrel_attr_u32(a, &ev->detail, "EVENT_DETAIL");
			break;
		case KESTREL_A_EVENT_SLOT:
			err = kestrel_attr_u32(a, &ev->slot, "EVENT_SLOT");
			break;
		case KESTREL_A_EVENT_ERRNO:
			err = kestrel_attr_u32(a, &ev->error, "EVENT_ERRNO");
			break;
		case KESTREL_A_EVENT_COUNT:
			err = kestrel_attr_u32(a, &ev->count, "EVENT_COUNT");
			break;
		}
		if (err)
			goto fail;
	}
	err = kestrel_attrs_end(nlh, a, "event");
	if (err)
		goto fail;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!(seen & required[i].bit)) {
			err = kestrel_fail(EPROTO,
					   "the kestrel module sent an event message without %s",
					   required[i].name);
			goto fail;
		}
	}
	return 1;

fail:
	memset(ev, 0, sizeof(*ev));
	return err;
}

int kestrel_event_open(struct kestrel_conn **connp)
{
	struct kestrel_conn *c;
	int err, grp;

	err = kestrel_open(connp);
	if (err)
		return err;
	c = *connp;
	if (!c->mcgrp_events) {
		err = kestrel_fail(EPROTO,
				   "the kestrel module has no '%s' multicast group",
				   KESTREL_MCGRP_EVENTS);
		goto err_close;
	}
	grp = (int)c->mcgrp_events;
	if (mnl_socket_setsockopt(c->nl, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		err = kestrel_fail(errno,
				   "cannot subscribe to kestrel events (group %u): %s",
				   c->mcgrp_events, strerror(errno));
		goto err_close;
	}
	return 0;

err_close:
	kestrel_close(c);
	*connp = NULL;
	return err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Receive one datagram from the kernel.  A multicast notification is one
 * genetlink message per datagram; anything else in it (replies to
 * requests sent on this conn, other commands) is skipped.
 */
static int recv_event(struct kestrel_conn *c, struct kestrel_event_msg *ev)
{
	struct sockaddr_nl addr;
	struct iovec iov = { c->buf, sizeof(c->buf) };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len, ret;

	n = recvmsg(mnl_socket_get_fd(c->nl), &msg, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOBUFS)
			return kestrel_fail(ENOBUFS,
					    "kestrel events were lost: the receive buffer overflowed");
		return kestrel_fail(errno, "cannot receive kestrel events: %s",
				    strerror(errno));
	}
	/* Only the kernel (port 0) sends events; ignore anything else. */
	if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0 ||
	    (msg.msg_flags & MSG_TRUNC))
		return 0;
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)c->buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != c->family)
			continue;
		ret = kestrel_parse_event(nlh, ev);
		if (ret)
			return ret;
	}
	return 0;
}

int kestrel_event_next(struct kestrel_conn *c, struct kestrel_event_msg *ev,
		       int timeout_ms)
{
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	struct pollfd pfd = {
		.fd = mnl_socket_get_fd(c->nl),
		.events = POLLIN,
	};
	int ret, wait = timeout_ms;

	for (;;) {
		if (timeout_ms >= 0) {
			long long left = deadline - now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		ret = poll(&pfd, 1, wait);
		if (ret < 0) {
			if (errno == EINTR)
				return kestrel_fail(EINTR,
						    "interrupted while waiting for a kestrel event");
			return kestrel_fail(errno, "cannot wait for kestrel events: %s",
					    strerror(errno));
		}
		if (ret == 0)
			return kestrel_fail(ETIMEDOUT,
					    "no kestrel event within %d ms",
					    timeout_ms);
		if (pfd.revents & POLLNVAL)
			return kestrel_fail(EBADF, "the kestrel event socket is closed");
		/* POLLERR too: recvmsg() reports the error (ENOBUFS). */
		ret = recv_event(c, ev);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			kestrel_clear_error();
			return 0;
		}
	}
}
