/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port I/O and MMIO buses of a domain: address ranges claimed by
 * in-kernel devices.  Ranges are registered while the domain is created
 * and never change afterwards, so vCPUs look them up without a lock.
 * Handlers run in the vCPU thread with preemption disabled: they must not
 * sleep.  An access nobody claims reads as all ones and writes are dropped,
 * as on a PC bus.
 */
#ifndef KESTREL_IOBUS_H
#define KESTREL_IOBUS_H

#include <linux/types.h>

#define KESTREL_BUS_MAX_RANGES 16

struct kestrel_io_range {
	u64 base;
	u64 len;
	bool absolute;		/* handlers get the address itself */
	/* @addr is relative to @base unless @absolute; @len is 1, 2, 4 or 8 */
	u64 (*read)(void *opaque, u64 addr, unsigned int len);
	void (*write)(void *opaque, u64 addr, unsigned int len, u64 val);
	void *opaque;
};

struct kestrel_bus {
	unsigned int nr;
	struct kestrel_io_range ranges[KESTREL_BUS_MAX_RANGES];
};

int kestrel_bus_register(struct kestrel_bus *bus,
			 const struct kestrel_io_range *range);
u64 kestrel_bus_read(const struct kestrel_bus *bus, u64 addr, unsigned int len);
void kestrel_bus_write(const struct kestrel_bus *bus, u64 addr,
		       unsigned int len, u64 val);

#endif /* KESTREL_IOBUS_H */
