/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC platform of a domain: the devices at their fixed addresses.
 */
#ifndef KESTREL_PLATFORM_H
#define KESTREL_PLATFORM_H

#include "virtio/blk.h"
#include "virtio/net.h"

struct kestrel_domain;

/* One device's counters (DOMAIN_STATS' KESTREL_A_DEV_STAT_*). */
struct kestrel_dev_stats {
	u32 type;			/* enum kestrel_dev_type */
	u32 slot;
	bool link_down;			/* net: the link is down */
	union {				/* by @type; an rng has none */
		struct kestrel_virtio_blk_stats blk;
		struct kestrel_virtio_net_stats net;
	};
};

/* Create the devices and claim their ports and MMIO; undone by _free. */
int kestrel_platform_init(struct kestrel_domain *dom);
/* Before anything else of the platform, at allocation: cannot fail. */
void kestrel_platform_prepare(struct kestrel_domain *dom);
/* After the vCPUs stopped: no device is accessed any more. */
void kestrel_platform_free(struct kestrel_domain *dom);
/* System reset with the vCPUs parked (reboot in place).  Sleeps. */
void kestrel_platform_reset(struct kestrel_domain *dom);
/* Press the ACPI power button.  Any process context. */
void kestrel_platform_power_button(struct kestrel_domain *dom);
/*
 * Device @i's (0 .. dom->nr_devs - 1) type, slot and counters; zeroed
 * counters for a device without a model.  -EINVAL past the last device.
 * The caller holds a reference to @dom (the models live until its last
 * put).  Any process context.
 */
int kestrel_platform_dev_stats(struct kestrel_domain *dom, unsigned int i,
			       struct kestrel_dev_stats *stats);
/*
 * virsh domif-setlink: the link of the network device in PCI slot @slot
 * up or down, in any domain state; a reset keeps it.  -ENODEV when no
 * device has that slot, -EINVAL when it is not a network device.  Same
 * context and reference rule as _dev_stats.
 */
int kestrel_platform_set_link(struct kestrel_domain *dom, u32 slot, bool up);

#endif /* KESTREL_PLATFORM_H */
