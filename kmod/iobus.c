// SPDX-License-Identifier: GPL-2.0
/* Port I/O and MMIO dispatch to in-kernel devices. */
#include <linux/errno.h>
#include <linux/bits.h>

#include "iobus.h"

int kestrel_bus_register(struct kestrel_bus *bus,
			 const struct kestrel_io_range *range)
{
	unsigned int i;

	if (bus->nr == KESTREL_BUS_MAX_RANGES)
		return -ENOSPC;
	for (i = 0; i < bus->nr; i++) {
		const struct kestrel_io_range *r = &bus->ranges[i];

		if (range->base < r->base + r->len &&
		    r->base < range->base + range->len)
			return -EEXIST;
	}
	bus->ranges[bus->nr++] = *range;
	return 0;
}

static const struct kestrel_io_range *bus_find(const struct kestrel_bus *bus,
					       u64 addr, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		const struct kestrel_io_range *r = &bus->ranges[i];

		if (addr >= r->base && addr + len <= r->base + r->len)
			return r;
	}
	return NULL;
}

u64 kestrel_bus_read(const struct kestrel_bus *bus, u64 addr, unsigned int len)
{
	const struct kestrel_io_range *r = bus_find(bus, addr, len);

	if (!r || !r->read)
		return len == 8 ? ~0ULL : GENMASK_ULL(len * 8 - 1, 0);
	return r->read(r->opaque, r->absolute ? addr : addr - r->base, len);
}

void kestrel_bus_write(const struct kestrel_bus *bus, u64 addr,
		       unsigned int len, u64 val)
{
	const struct kestrel_io_range *r = bus_find(bus, addr, len);

	if (r && r->write)
		r->write(r->opaque, r->absolute ? addr : addr - r->base, len,
			 val);
}
