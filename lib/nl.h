/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkestrel's netlink layer.  Not installed: the selftests use it to send
 * requests the public API would never build (malformed on purpose).
 */
#ifndef KESTREL_LIB_NL_H
#define KESTREL_LIB_NL_H

#include <stdint.h>
#include <libmnl/libmnl.h>

#include "libkestrel.h"

struct kestrel_conn {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t mcgrp_events;
	uint32_t portid;
	uint32_t seq;
	int err;		/* errno of the last NLMSG_ERROR, negative */
	char extack[256];	/* extack message of the last NLMSG_ERROR */
	char buf[1 << 17];	/* requests and replies; holds a full XML */
};

/* Start a message of netlink type @type (a family id) in the conn buffer. */
struct nlmsghdr *kestrel_msg_start(struct kestrel_conn *c, uint16_t type,
				   uint8_t cmd, uint16_t flags);
/* Start a request to the kestrel family. */
struct nlmsghdr *kestrel_request_start(struct kestrel_conn *c, uint8_t cmd,
				       uint16_t flags);
/*
 * Send @nlh and run @cb over every reply until the ACK or DONE.  Returns 0,
 * or a negative errno with kestrel_last_error() set ("<strerror>: <extack>").
 */
int kestrel_transact(struct kestrel_conn *c, struct nlmsghdr *nlh,
		     mnl_cb_t cb, void *data);
/* The extack message of the last failed request, "" if none. */
const char *kestrel_conn_extack(const struct kestrel_conn *c);

#endif /* KESTREL_LIB_NL_H */
