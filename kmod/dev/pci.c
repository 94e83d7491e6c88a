// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0: configuration space through mechanism #1 and ECAM, BAR
 * assignment and decoding, MSI-X.  Facts from the PCI Local Bus
 * Specification 3.0 (6.1 configuration header, 6.2.5 base address
 * registers, 6.8.2 MSI-X, 3.2.2.3.2 mechanism #1) and PCI Express 4.0
 * (7.2.2 ECAM):
 *
 *   - Mechanism #1: a dword write to 0xcf8 sets the address (bit 31
 *     enable, bus 23:16, device 15:11, function 10:8, register 7:2); the
 *     data port 0xcfc-0xcff then reaches that dword, bytes by port.
 *     Other sizes at 0xcf8-0xcfb are not the address register; a byte at
 *     0xcf9 is the reset control register (someone else's).
 *   - ECAM: bus 20+, device 19:15, function 14:12, register 11:0.
 *   - Only bus 0 and function 0 exist; an absent function reads all ones
 *     and ignores writes.  Configuration accesses must be naturally
 *     aligned 1, 2 or 4 bytes (an aligned ECAM qword is two dwords);
 *     others read all ones and are dropped.  0x100-0xfff read as 0: no
 *     extended capabilities (and the devices are conventional PCI, so
 *     Linux reads no further than 0xff anyway).
 *   - Memory BARs only, 32 or 64 bits, non-prefetchable; writing all
 *     ones reads back the size mask.  The expansion ROM BAR reads 0.
 *   - A BAR decodes while the command register's memory space bit is set;
 *     the window handlers look up the current BARs on every access.
 *   - MSI-X: the table entries start masked; a vector signalled while
 *     masked (by its entry or by the function mask) sets its pending bit
 *     and is sent when unmasked.  Messages are only sent while bus
 *     mastering is enabled (otherwise dropped, as the write would be).
 *
 * The bus lock covers configuration space, BAR addresses and MSI-X
 * state; device callbacks and @deliver run without it (pci.h).
 */
#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/slab.h>
#include <linux/spinlock.h>
#endif

#include "pci.h"

#define CFG_ADDR_ENABLE		0x80000000U
#define CFG_ADDR_MASK		0x80fffffcU

#define PCI_DEVICE_ID		0x02
#define PCI_REVISION		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_CACHE_LINE		0x0c
#define PCI_LATENCY		0x0d
#define PCI_CAP_START		0x40
#define BAR_TYPE_64		0x4
#define BAR_ADDR_MASK		0xfffffff0U

/* MSI-X capability layout */
#define MSIX_CTRL		2
#define MSIX_TABLE		4
#define MSIX_PBA		8
#define MSIX_CAP_LEN		12U
#define MSIX_ADDR_LO		0
#define MSIX_ADDR_HI		4
#define MSIX_DATA		8
#define MSIX_VCTRL		12

struct kestrel_pci_bus {
	spinlock_t lock;	/* everything below but @params */
	struct kestrel_pci_bus_params params;
	u32 cf8;		/* mechanism #1 address register */
	u64 next_mmio;		/* BAR assignment cursor */
	struct kestrel_pci_dev *devs[KESTREL_PCI_MAX_DEVS];
	struct kestrel_pci_dev host;
};

static u64 ones(unsigned int len)
{
	return len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

static bool pow2(u64 v)
{
	return v && !(v & (v - 1));
}

static u32 get_le(const u8 *p, unsigned int len)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u32)p[i] << (8 * i);
	return v;
}

static void put_le(u8 *p, unsigned int len, u32 v)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

/* ---- configuration space (bus lock held) ---- */

/* BAR @i's address (0x10 + 4 * i; with the upper dword for 64 bits). */
static u64 bar_addr(const struct kestrel_pci_dev *dev, unsigned int i)
{
	u64 addr = get_le(&dev->cfg[KESTREL_PCI_BAR0 + 4 * i], 4) &
		   BAR_ADDR_MASK;

	if (dev->bars[i].is64)
		addr |= (u64)get_le(&dev->cfg[KESTREL_PCI_BAR0 + 4 * i + 4],
				    4) << 32;
	return addr;
}

static void set_bar_addr(struct kestrel_pci_dev *dev, unsigned int i, u64 a)
{
	u8 *p = &dev->cfg[KESTREL_PCI_BAR0 + 4 * i];

	put_le(p, 4, (a & BAR_ADDR_MASK) | (dev->bars[i].is64 ? BAR_TYPE_64 : 0));
	if (dev->bars[i].is64)
		put_le(p + 4, 4, a >> 32);
}

static u16 cfg16(const struct kestrel_pci_dev *dev, unsigned int off)
{
	return get_le(&dev->cfg[off], 2);
}

static void cfg_store(struct kestrel_pci_dev *dev, u32 off, unsigned int len,
		      u32 val)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		u8 m = dev->wmask[off + i], b = val >> (8 * i);

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (b & m);
	}
}

/* ---- MSI-X (bus lock held unless said otherwise) ---- */

static u16 msix_ctrl(const struct kestrel_pci_dev *dev)
{
	return cfg16(dev, dev->msix_cap + MSIX_CTRL);
}

static bool msix_on(const struct kestrel_pci_dev *dev)
{
	return dev->msix_cap && (msix_ctrl(dev) & KESTREL_PCI_MSIX_ENABLE);
}

static u8 *msix_entry(struct kestrel_pci_dev *dev, unsigned int v)
{
	return &dev->msix_table[v * KESTREL_PCI_MSIX_ENTRY_SIZE];
}

static bool msix_masked(struct kestrel_pci_dev *dev, unsigned int v)
{
	return (msix_ctrl(dev) & KESTREL_PCI_MSIX_MASKALL) ||
	       (get_le(msix_entry(dev, v) + MSIX_VCTRL, 4) &
		KESTREL_PCI_MSIX_ENTRY_MASKED);
}

static bool pending_test(const struct kestrel_pci_dev *dev, unsigned int v)
{
	return dev->msix_pending[v / 64] & (1ULL << (v % 64));
}

static void pending_set(struct kestrel_pci_dev *dev, unsigned int v, bool on)
{
	if (on)
		dev->msix_pending[v / 64] |= 1ULL << (v % 64);
	else
		dev->msix_pending[v / 64] &= ~(1ULL << (v % 64));
}

static void msix_message(struct kestrel_pci_dev *dev, unsigned int v,
			 struct kestrel_irq_msg *msg)
{
	const u8 *e = msix_entry(dev, v);
	u64 addr = get_le(e + MSIX_ADDR_LO, 4) |
		   (u64)get_le(e + MSIX_ADDR_HI, 4) << 32;

	kestrel_irq_msg_from_msi(msg, addr, get_le(e + MSIX_DATA, 4));
}

static void msix_reset(struct kestrel_pci_dev *dev)
{
	unsigned int v;

	for (v = 0; v < KESTREL_PCI_MSIX_MAX; v++) {
		u8 *e = msix_entry(dev, v);

		put_le(e, 4, 0);
		put_le(e + 4, 4, 0);
		put_le(e + 8, 4, 0);
		put_le(e + 12, 4, KESTREL_PCI_MSIX_ENTRY_MASKED);
	}
	for (v = 0; v < KESTREL_PCI_MSIX_MAX / 64; v++)
		dev->msix_pending[v] = 0;
}

/* Send what became deliverable.  Without the bus lock. */
static void msix_flush(struct kestrel_pci_dev *dev)
{
	struct kestrel_pci_bus *bus = dev->bus;
	struct kestrel_irq_msg msg;
	unsigned long flags;
	unsigned int v;
	bool found;

	do {
		found = false;
		spin_lock_irqsave(&bus->lock, flags);
		if (msix_on(dev)) {
			for (v = 0; v < dev->msix_nr; v++) {
				if (!pending_test(dev, v) || msix_masked(dev, v))
					continue;
				pending_set(dev, v, false);
				if (!(cfg16(dev, KESTREL_PCI_COMMAND) &
				      KESTREL_PCI_CMD_MASTER))
					continue;
				msix_message(dev, v, &msg);
				found = true;
				break;
			}
		}
		spin_unlock_irqrestore(&bus->lock, flags);
		if (found && bus->params.deliver)
			bus->params.deliver(bus->params.opaque, &msg);
	} while (found);
}

bool kestrel_pci_msix_notify(struct kestrel_pci_dev *dev, unsigned int vector)
{
	struct kestrel_pci_bus *bus = dev->bus;
	struct kestrel_irq_msg msg;
	unsigned long flags;
	bool send = false;

	if (!bus || vector >= dev->msix_nr)
		return false;
	spin_lock_irqsave(&bus->lock, flags);
	if (!msix_on(dev)) {
		spin_unlock_irqrestore(&bus->lock, flags);
		return false;
	}
	if (msix_masked(dev, vector)) {
		pending_set(dev, vector, true);
	} else if (cfg16(dev, KESTREL_PCI_COMMAND) & KESTREL_PCI_CMD_MASTER) {
		msix_message(dev, vector, &msg);
		send = true;
	}
	spin_unlock_irqrestore(&bus->lock, flags);
	if (send && bus->params.deliver)
		bus->params.deliver(bus->params.opaque, &msg);
	return true;
}

bool kestrel_pci_msix_enabled(struct kestrel_pci_dev *dev)
{
	unsigned long flags;
	bool on;

	if (!dev->bus)
		return false;
	spin_lock_irqsave(&dev->bus->lock, flags);
	on = msix_on(dev);
	spin_unlock_irqrestore(&dev->bus->lock, flags);
	return on;
}

unsigned int kestrel_pci_msix_vectors(const struct kestrel_pci_dev *dev)
{
	return dev->msix_nr;
}

/* [@off, @off + @len) lies within [@start, @start + @size). */
static bool span_in(u64 off, u64 len, u64 start, u64 size)
{
	return off >= start && off - start < size && len <= size - (off - start);
}

static u32 msix_table_size(const struct kestrel_pci_dev *dev)
{
	return dev->msix_nr * KESTREL_PCI_MSIX_ENTRY_SIZE;
}

static u32 msix_pba_size(const struct kestrel_pci_dev *dev)
{
	return (dev->msix_nr + 63) / 64 * 8;
}

/*
 * The MSI-X table or PBA at @off of BAR @bar: true when it is (and the
 * access was done).  Dword and aligned qword accesses; others read all
 * ones and are dropped.  Without the bus lock.
 */
static bool msix_bar_access(struct kestrel_pci_dev *dev, unsigned int bar,
			    u64 off, unsigned int len, u64 *val, bool write)
{
	struct kestrel_pci_bus *bus = dev->bus;
	bool table, ok = (len == 4 || len == 8) && !(off % len);
	unsigned long flags;
	unsigned int i;
	u64 rel;

	if (!dev->msix_cap)
		return false;
	if (bar == dev->msix_table_bar &&
	    span_in(off, len, dev->msix_table_off, msix_table_size(dev))) {
		table = true;
		rel = off - dev->msix_table_off;
	} else if (bar == dev->msix_pba_bar &&
		   span_in(off, len, dev->msix_pba_off, msix_pba_size(dev))) {
		table = false;
		rel = off - dev->msix_pba_off;
	} else {
		return false;
	}
	if (!write)
		*val = ones(len);
	if (!ok)
		return true;

	spin_lock_irqsave(&bus->lock, flags);
	if (!table) {
		if (!write) {
			u64 bits = dev->msix_pending[rel / 8];

			*val = len == 8 ? bits : (u32)(bits >> (8 * (rel % 8)));
		}
		spin_unlock_irqrestore(&bus->lock, flags);
		return true;
	}
	if (!write) {
		*val = get_le(&dev->msix_table[rel], 4);
		if (len == 8)
			*val |= (u64)get_le(&dev->msix_table[rel + 4], 4) << 32;
	} else {
		for (i = 0; i < len; i += 4) {
			u32 r = (rel + i) % KESTREL_PCI_MSIX_ENTRY_SIZE;
			u32 v = *val >> (8 * i);

			if (r == MSIX_VCTRL)
				v &= KESTREL_PCI_MSIX_ENTRY_MASKED;
			else if (r == MSIX_ADDR_LO)
				v &= ~3U;
			put_le(&dev->msix_table[rel + i], 4, v);
		}
	}
	spin_unlock_irqrestore(&bus->lock, flags);
	if (write)
		msix_flush(dev);
	return true;
}

/* ---- BARs ---- */

static u64 bar_access(struct kestrel_pci_dev *dev, unsigned int bar, u64 off,
		      unsigned int len, u64 val, bool write)
{
	const struct kestrel_pci_bar *b;

	if (bar >= KESTREL_PCI_NR_BARS || !dev->bars[bar].size ||
	    !span_in(off, len, 0, dev->bars[bar].size))
		return ones(len);
	if (msix_bar_access(dev, bar, off, len, &val, write))
		return write ? 0 : val;
	b = &dev->bars[bar];
	if (write) {
		if (b->write)
			b->write(dev, off, len, val);
		return 0;
	}
	return b->read ? b->read(dev, off, len) : ones(len);
}

u64 kestrel_pci_bar_read(struct kestrel_pci_dev *dev, unsigned int bar,
			 u64 off, unsigned int len)
{
	return bar_access(dev, bar, off, len, 0, false);
}

void kestrel_pci_bar_write(struct kestrel_pci_dev *dev, unsigned int bar,
			   u64 off, unsigned int len, u64 val)
{
	bar_access(dev, bar, off, len, val, true);
}

/* Which device's BAR decodes [@addr, @addr + @len)?  Bus lock held. */
static struct kestrel_pci_dev *decode(struct kestrel_pci_bus *bus, u64 addr,
				      unsigned int len, unsigned int *bar,
				      u64 *off)
{
	unsigned int slot, i;

	for (slot = 0; slot < KESTREL_PCI_MAX_DEVS; slot++) {
		struct kestrel_pci_dev *dev = bus->devs[slot];

		if (!dev || !(cfg16(dev, KESTREL_PCI_COMMAND) &
			      KESTREL_PCI_CMD_MEMORY))
			continue;
		for (i = 0; i < KESTREL_PCI_NR_BARS; i++) {
			u64 base;

			if (!dev->bars[i].size)
				continue;
			base = bar_addr(dev, i);
			if (span_in(addr, len, base, dev->bars[i].size)) {
				*bar = i;
				*off = addr - base;
				return dev;
			}
		}
	}
	return NULL;
}

static u64 window_access(struct kestrel_pci_bus *bus, u64 addr,
			 unsigned int len, u64 val, bool write)
{
	struct kestrel_pci_dev *dev;
	unsigned long flags;
	unsigned int bar = 0;
	u64 off = 0;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return ~0ULL;
	spin_lock_irqsave(&bus->lock, flags);
	dev = decode(bus, addr, len, &bar, &off);
	spin_unlock_irqrestore(&bus->lock, flags);
	if (!dev)
		return ones(len);
	return bar_access(dev, bar, off, len, val, write);
}

u64 kestrel_pci_mmio_read(void *opaque, u64 addr, unsigned int len)
{
	return window_access(opaque, addr, len, 0, false);
}

void kestrel_pci_mmio_write(void *opaque, u64 addr, unsigned int len, u64 val)
{
	window_access(opaque, addr, len, val, true);
}

/* ---- configuration accesses ---- */

/* A capability the device owns (its hooks see it). */
static bool device_cap(const struct kestrel_pci_dev *dev, u32 off)
{
	if (off < PCI_CAP_START || off >= dev->cap_end)
		return false;
	return !dev->msix_cap || off < dev->msix_cap ||
	       off >= dev->msix_cap + MSIX_CAP_LEN;
}

static struct kestrel_pci_dev *cfg_dev(struct kestrel_pci_bus *bus,
				       unsigned int busnr, unsigned int slot,
				       unsigned int fn)
{
	if (busnr || fn || slot >= KESTREL_PCI_MAX_DEVS)
		return NULL;
	return bus->devs[slot];
}

static u32 cfg_read(struct kestrel_pci_dev *dev, u32 off, unsigned int len)
{
	unsigned long flags;
	u32 val;

	if (!dev || (len != 1 && len != 2 && len != 4) || off % len ||
	    off >= KESTREL_PCI_CFG_SIZE)
		return ones(len);
	if (off >= 0x100)
		return 0;
	if (dev->cfg_read && device_cap(dev, off) &&
	    dev->cfg_read(dev, off, len, &val))
		return val & ones(len);
	spin_lock_irqsave(&dev->bus->lock, flags);
	val = get_le(&dev->cfg[off], len);
	spin_unlock_irqrestore(&dev->bus->lock, flags);
	return val;
}

static void cfg_write(struct kestrel_pci_dev *dev, u32 off, unsigned int len,
		      u32 val)
{
	unsigned long flags;
	bool msix;

	if (!dev || (len != 1 && len != 2 && len != 4) || off % len ||
	    off >= 0x100)
		return;
	spin_lock_irqsave(&dev->bus->lock, flags);
	cfg_store(dev, off, len, val);
	spin_unlock_irqrestore(&dev->bus->lock, flags);
	msix = dev->msix_cap && off < dev->msix_cap + MSIX_CAP_LEN &&
	       off + len > dev->msix_cap;
	if (msix || (off < KESTREL_PCI_COMMAND + 2 &&
		     off + len > KESTREL_PCI_COMMAND))
		msix_flush(dev);
	else if (dev->cfg_write && device_cap(dev, off))
		dev->cfg_write(dev, off, len, val & ones(len));
}

static struct kestrel_pci_dev *cf8_dev(struct kestrel_pci_bus *bus, u32 cf8)
{
	if (!(cf8 & CFG_ADDR_ENABLE))
		return NULL;
	return cfg_dev(bus, (cf8 >> 16) & 0xff, (cf8 >> 11) & 0x1f,
		       (cf8 >> 8) & 7);
}

u64 kestrel_pci_pio_read(void *opaque, u64 port, unsigned int len)
{
	struct kestrel_pci_bus *bus = opaque;
	unsigned long flags;
	u32 cf8;

	if (port == KESTREL_PCI_RESET_PORT && len == 1)
		return bus->params.cf9_read ?
		       bus->params.cf9_read(bus->params.cf9_opaque, port, 1) :
		       0xff;
	spin_lock_irqsave(&bus->lock, flags);
	cf8 = bus->cf8;
	spin_unlock_irqrestore(&bus->lock, flags);
	if (port == KESTREL_PCI_PIO_BASE && len == 4)
		return cf8;
	if (port < KESTREL_PCI_PIO_BASE + 4 ||
	    port + len > KESTREL_PCI_PIO_BASE + KESTREL_PCI_PIO_LEN)
		return ones(len);
	return cfg_read(cf8_dev(bus, cf8),
			(cf8 & 0xfc) + (port - KESTREL_PCI_PIO_BASE - 4), len);
}

void kestrel_pci_pio_write(void *opaque, u64 port, unsigned int len, u64 val)
{
	struct kestrel_pci_bus *bus = opaque;
	unsigned long flags;
	u32 cf8;

	if (port == KESTREL_PCI_RESET_PORT && len == 1) {
		if (bus->params.cf9_write)
			bus->params.cf9_write(bus->params.cf9_opaque, port, 1,
					      val & 0xff);
		return;
	}
	spin_lock_irqsave(&bus->lock, flags);
	if (port == KESTREL_PCI_PIO_BASE && len == 4)
		bus->cf8 = val & CFG_ADDR_MASK;
	cf8 = bus->cf8;
	spin_unlock_irqrestore(&bus->lock, flags);
	if (port < KESTREL_PCI_PIO_BASE + 4 ||
	    port + len > KESTREL_PCI_PIO_BASE + KESTREL_PCI_PIO_LEN)
		return;
	cfg_write(cf8_dev(bus, cf8),
		  (cf8 & 0xfc) + (port - KESTREL_PCI_PIO_BASE - 4), len, val);
}

static struct kestrel_pci_dev *ecam_dev(struct kestrel_pci_bus *bus, u64 off)
{
	return cfg_dev(bus, off >> 20, (off >> 15) & 0x1f, (off >> 12) & 7);
}

u64 kestrel_pci_ecam_read(void *opaque, u64 off, unsigned int len)
{
	struct kestrel_pci_bus *bus = opaque;

	if (off >= KESTREL_PCI_ECAM_SIZE)
		return ones(len);
	if (len == 8 && !(off % 8))
		return kestrel_pci_ecam_read(opaque, off, 4) |
		       (u64)kestrel_pci_ecam_read(opaque, off + 4, 4) << 32;
	return cfg_read(ecam_dev(bus, off), off & 0xfff, len);
}

void kestrel_pci_ecam_write(void *opaque, u64 off, unsigned int len, u64 val)
{
	struct kestrel_pci_bus *bus = opaque;

	if (off >= KESTREL_PCI_ECAM_SIZE)
		return;
	if (len == 8 && !(off % 8)) {
		kestrel_pci_ecam_write(opaque, off, 4, (u32)val);
		kestrel_pci_ecam_write(opaque, off + 4, 4, val >> 32);
		return;
	}
	cfg_write(ecam_dev(bus, off), off & 0xfff, len, val);
}

/* ---- devices ---- */

int kestrel_pci_dev_init(struct kestrel_pci_dev *dev)
{
	unsigned int i;
	u64 window = KESTREL_PCI_MMIO_END - KESTREL_PCI_MMIO_START + 1;

	for (i = 0; i < KESTREL_PCI_NR_BARS; i++) {
		const struct kestrel_pci_bar *b = &dev->bars[i];

		if (!b->size) {
			if (b->is64)
				return -EINVAL;
			continue;
		}
		if (!pow2(b->size) || b->size < KESTREL_PCI_MIN_BAR ||
		    b->size > window)
			return -EINVAL;
		if (b->is64) {
			if (i == KESTREL_PCI_NR_BARS - 1 ||
			    dev->bars[i + 1].size || dev->bars[i + 1].is64)
				return -EINVAL;
			i++;	/* the upper half */
		}
	}

	dev->bus = NULL;
	dev->slot = 0;
	dev->cap_end = PCI_CAP_START;
	dev->cap_last = 0;
	dev->msix_cap = 0;
	dev->msix_nr = 0;
	for (i = 0; i < sizeof(dev->cfg); i++)
		dev->cfg[i] = dev->wmask[i] = 0;
	put_le(&dev->cfg[KESTREL_PCI_VENDOR_ID], 2, dev->vendor_id);
	put_le(&dev->cfg[PCI_DEVICE_ID], 2, dev->device_id);
	dev->cfg[PCI_REVISION] = dev->revision;
	put_le(&dev->cfg[PCI_CLASS_PROG], 3, dev->class_code);
	dev->cfg[PCI_HEADER_TYPE] = 0;
	put_le(&dev->cfg[PCI_SUBSYS_VENDOR], 2, dev->subsys_vendor_id);
	put_le(&dev->cfg[PCI_SUBSYS_ID], 2, dev->subsys_id);
	/* memory space, bus master, parity; SERR, INTx disable */
	dev->wmask[KESTREL_PCI_COMMAND] = 0x46;
	dev->wmask[KESTREL_PCI_COMMAND + 1] = 0x05;
	dev->wmask[PCI_CACHE_LINE] = 0xff;
	dev->wmask[PCI_LATENCY] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	for (i = 0; i < KESTREL_PCI_NR_BARS; i++) {
		const struct kestrel_pci_bar *b = &dev->bars[i];

		if (!b->size)
			continue;
		put_le(&dev->wmask[KESTREL_PCI_BAR0 + 4 * i], 4,
		       ~(u32)(b->size - 1) & BAR_ADDR_MASK);
		if (b->is64) {
			put_le(&dev->wmask[KESTREL_PCI_BAR0 + 4 * i + 4], 4,
			       ~0U);
			i++;
		}
	}
	for (i = 0; i < KESTREL_PCI_NR_BARS; i++)
		if (dev->bars[i].size)
			set_bar_addr(dev, i, 0);
	msix_reset(dev);
	return 0;
}

int kestrel_pci_add_cap(struct kestrel_pci_dev *dev, const u8 *bytes,
			const u8 *wmask, unsigned int len)
{
	unsigned int off = dev->cap_end, i;

	if (dev->bus || len < 4 || len > 64 || off + len > 0x100)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		dev->cfg[off + i] = bytes[i];
		dev->wmask[off + i] = wmask ? wmask[i] : 0;
	}
	dev->cfg[off + 1] = 0;
	dev->wmask[off + 1] = 0;
	dev->wmask[off] = 0;
	if (dev->cap_last)
		dev->cfg[dev->cap_last + 1] = off;
	else
		dev->cfg[KESTREL_PCI_CAP_PTR] = off;
	dev->cfg[KESTREL_PCI_STATUS] |= KESTREL_PCI_STATUS_CAP_LIST;
	dev->cap_last = off;
	dev->cap_end = (off + len + 3) & ~3U;
	return off;
}

int kestrel_pci_add_msix(struct kestrel_pci_dev *dev, unsigned int nr,
			 unsigned int table_bar, u32 table_off,
			 unsigned int pba_bar, u32 pba_off)
{
	u8 cap[MSIX_CAP_LEN] = { KESTREL_PCI_CAP_ID_MSIX };
	u8 wmask[MSIX_CAP_LEN] = { };
	u32 tsize = nr * KESTREL_PCI_MSIX_ENTRY_SIZE, psize = (nr + 63) / 64 * 8;
	int off;

	if (dev->msix_cap || !nr || nr > KESTREL_PCI_MSIX_MAX ||
	    table_bar >= KESTREL_PCI_NR_BARS || pba_bar >= KESTREL_PCI_NR_BARS ||
	    (table_off | pba_off) & 7 ||
	    !span_in(table_off, tsize, 0, dev->bars[table_bar].size) ||
	    !span_in(pba_off, psize, 0, dev->bars[pba_bar].size))
		return -EINVAL;
	if (table_bar == pba_bar && table_off < pba_off + psize &&
	    pba_off < table_off + tsize)
		return -EINVAL;
	put_le(&cap[MSIX_CTRL], 2, nr - 1);
	put_le(&cap[MSIX_TABLE], 4, table_off | table_bar);
	put_le(&cap[MSIX_PBA], 4, pba_off | pba_bar);
	wmask[MSIX_CTRL + 1] = (KESTREL_PCI_MSIX_ENABLE |
				KESTREL_PCI_MSIX_MASKALL) >> 8;
	off = kestrel_pci_add_cap(dev, cap, wmask, sizeof(cap));
	if (off < 0)
		return off;
	dev->msix_cap = off;
	dev->msix_nr = nr;
	dev->msix_table_bar = table_bar;
	dev->msix_table_off = table_off;
	dev->msix_pba_bar = pba_bar;
	dev->msix_pba_off = pba_off;
	return off;
}

/* Naturally aligned addresses from the window's start.  Bus lock held. */
static int assign_bars(struct kestrel_pci_bus *bus, struct kestrel_pci_dev *dev)
{
	unsigned int i;

	for (i = 0; i < KESTREL_PCI_NR_BARS; i++) {
		u64 size = dev->bars[i].size, addr;

		if (!size)
			continue;
		addr = (bus->next_mmio + size - 1) & ~(size - 1);
		if (addr + size - 1 > KESTREL_PCI_MMIO_END)
			return -ENOSPC;
		set_bar_addr(dev, i, addr);
		bus->next_mmio = addr + size;
	}
	dev->cfg[KESTREL_PCI_COMMAND] |= KESTREL_PCI_CMD_MEMORY;
	return 0;
}

/* At @slot, or the first free one when @slot is KESTREL_PCI_MAX_DEVS. */
static int pci_register(struct kestrel_pci_bus *bus,
			struct kestrel_pci_dev *dev, unsigned int slot)
{
	unsigned long flags;
	u64 cursor;
	int err = -ENOSPC;

	if (dev->bus)
		return -EINVAL;
	spin_lock_irqsave(&bus->lock, flags);
	if (slot == KESTREL_PCI_MAX_DEVS) {
		for (slot = 0; slot < KESTREL_PCI_MAX_DEVS; slot++)
			if (!bus->devs[slot])
				break;
	} else if (bus->devs[slot]) {
		err = -EBUSY;
		slot = KESTREL_PCI_MAX_DEVS;
	}
	cursor = bus->next_mmio;
	if (slot < KESTREL_PCI_MAX_DEVS)
		err = assign_bars(bus, dev);
	if (!err) {
		dev->bus = bus;
		dev->slot = slot;
		msix_reset(dev);
		for (slot = 0; slot < sizeof(dev->cfg); slot++)
			dev->reset_cfg[slot] = dev->cfg[slot];
		bus->devs[dev->slot] = dev;
	} else {
		bus->next_mmio = cursor;
	}
	spin_unlock_irqrestore(&bus->lock, flags);
	return err;
}

int kestrel_pci_register(struct kestrel_pci_bus *bus,
			 struct kestrel_pci_dev *dev)
{
	return pci_register(bus, dev, KESTREL_PCI_MAX_DEVS);
}

int kestrel_pci_register_slot(struct kestrel_pci_bus *bus,
			      struct kestrel_pci_dev *dev, unsigned int slot)
{
	if (!slot || slot >= KESTREL_PCI_MAX_DEVS)
		return -EINVAL;
	return pci_register(bus, dev, slot);
}

void kestrel_pci_unregister(struct kestrel_pci_dev *dev)
{
	struct kestrel_pci_bus *bus = dev->bus;
	unsigned long flags;

	if (!bus)
		return;
	spin_lock_irqsave(&bus->lock, flags);
	if (bus->devs[dev->slot] == dev)
		bus->devs[dev->slot] = NULL;
	spin_unlock_irqrestore(&bus->lock, flags);
	dev->bus = NULL;
}

void kestrel_pci_bus_reset(struct kestrel_pci_bus *bus)
{
	unsigned long flags;
	unsigned int slot, i;

	spin_lock_irqsave(&bus->lock, flags);
	bus->cf8 = 0;
	for (slot = 0; slot < KESTREL_PCI_MAX_DEVS; slot++) {
		struct kestrel_pci_dev *dev = bus->devs[slot];

		if (!dev)
			continue;
		for (i = 0; i < sizeof(dev->cfg); i++)
			dev->cfg[i] = dev->reset_cfg[i];
		msix_reset(dev);
	}
	spin_unlock_irqrestore(&bus->lock, flags);
}

static void bus_init(struct kestrel_pci_bus *bus,
		     const struct kestrel_pci_bus_params *params)
{
	struct kestrel_pci_dev *host = &bus->host;

	spin_lock_init(&bus->lock);
	bus->params = *params;
	bus->next_mmio = KESTREL_PCI_MMIO_START;
	host->vendor_id = KESTREL_PCI_HOST_VENDOR;
	host->device_id = KESTREL_PCI_HOST_DEVICE;
	host->subsys_vendor_id = KESTREL_PCI_HOST_VENDOR;
	host->subsys_id = 0x1100;	/* QEMU's subsystem ID */
	host->class_code = KESTREL_PCI_CLASS_HOST;
	kestrel_pci_dev_init(host);
	kestrel_pci_register(bus, host);
}

/* Allocation: the kernel's, or kshim.h's in the unit tests. */
struct kestrel_pci_bus *
kestrel_pci_bus_create(const struct kestrel_pci_bus_params *params)
{
	struct kestrel_pci_bus *bus;

	bus = kzalloc(sizeof(*bus), GFP_KERNEL_ACCOUNT);
	if (bus)
		bus_init(bus, params);
	return bus;
}

void kestrel_pci_bus_destroy(struct kestrel_pci_bus *bus)
{
	kfree(bus);
}
