/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkestrel internals shared by domain.c, events.c, uuid.c and the unit
 * tests: the parsers of the module's domain, stats, register and event
 * messages.  Not installed, not part of the API.
 *
 * Every parser takes one generic netlink message as received, validates
 * each attribute's type and length, ignores attributes it does not know
 * (a newer module may add some) and returns 0 or a negative errno with
 * kestrel_last_error() set (-EPROTO for a malformed or incomplete message).
 */
#ifndef KESTREL_LIB_DOMAIN_PRIV_H
#define KESTREL_LIB_DOMAIN_PRIV_H

#include <stdbool.h>
#include <linux/netlink.h>

#include "libkestrel.h"

/*
 * A domain message (DOMAIN_GET, DOMAIN_CREATE replies).  DOM_ID, DOM_NAME,
 * DOM_UUID and DOM_STATE are required.  @info is overwritten; on success
 * it owns info->xml if the message had DOM_XML, on failure it is zeroed.
 */
int kestrel_parse_domain(const struct nlmsghdr *nlh,
			 struct kestrel_domain_info *info);

/*
 * A DOMAIN_STATS reply.  STAT_EXITS may hold more or fewer counters than
 * this library knows (another module version): the common prefix is
 * copied, the rest left zero.  STAT_VCPU_TIME gives nr_vcpus.
 * STAT_DEVICES (optional) gives nr_devices and devices[]: each
 * KESTREL_A_DEVICE needs DEV_TYPE and DEV_SLOT, its counters are u64,
 * unknown attributes and entries are skipped, entries past
 * KESTREL_MAX_DEVICES are checked but not kept.
 */
int kestrel_parse_stats(const struct nlmsghdr *nlh,
			struct kestrel_domain_stats *stats);

/* A VCPU_GET_REGS reply; either output may be NULL (not wanted). */
int kestrel_parse_regs(const struct nlmsghdr *nlh, struct kestrel_regs *regs,
		       struct kestrel_sregs *sregs);

/*
 * A KESTREL_CMD_DOMAIN_EVENT message: 1 if it is one (and @ev is filled),
 * 0 if the message is something else (to be skipped), negative errno if
 * it is an event but malformed.
 */
int kestrel_parse_event(const struct nlmsghdr *nlh,
			struct kestrel_event_msg *ev);

/*
 * Attribute readers for the parsers: validate type and length (exact for
 * fixed-size binaries), copy, or fail with -EPROTO naming @what.  A NULL
 * destination only validates.
 */
int kestrel_attr_u32(const struct nlattr *a, uint32_t *v, const char *what);
int kestrel_attr_u64(const struct nlattr *a, uint64_t *v, const char *what);
int kestrel_attr_bin(const struct nlattr *a, void *dst, size_t len,
		     const char *what);
/* A NUL-terminated, non-empty string shorter than @size. */
int kestrel_attr_str(const struct nlattr *a, char *dst, size_t size,
		     const char *what);
/* The genl command of a message, or -1 if it is too short to have one. */
int kestrel_msg_cmd(const struct nlmsghdr *nlh);
/*
 * After mnl_attr_for_each(): -EPROTO unless the attributes ended exactly
 * at the end of the message (a truncated or overlong attribute stops the
 * iteration early).
 */
int kestrel_attrs_end(const struct nlmsghdr *nlh, const struct nlattr *a,
		      const char *what);

/* kestrel_uuid_parse() without recording an error, for probing. */
bool kestrel_uuid_probe(const char *s, uint8_t uuid[KESTREL_UUID_LEN]);

#endif /* KESTREL_LIB_DOMAIN_PRIV_H */
