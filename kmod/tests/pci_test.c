// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI bus model (kmod/dev/pci.c), built natively: configuration
 * mechanism #1 and ECAM, BAR sizing and decoding, capabilities, MSI-X.
 */
#include "kshim.h"
#include "../dev/pci.c"

#include <string.h>

#include "kselftest_harness.h"

#define MSIX_CTRL_OFF	2

static struct kestrel_irq_msg msgs[16];
static unsigned int nr_msgs;

static void deliver(void *opaque, const struct kestrel_irq_msg *msg)
{
	(void)opaque;
	if (nr_msgs < 16)
		msgs[nr_msgs] = *msg;
	nr_msgs++;
}

static u8 cf9_val;

static u64 cf9_read(void *opaque, u64 port, unsigned int len)
{
	(void)opaque;
	return port == 0xcf9 && len == 1 ? cf9_val : 0xdead;
}

static void cf9_write(void *opaque, u64 port, unsigned int len, u64 val)
{
	(void)opaque;
	if (port == 0xcf9 && len == 1)
		cf9_val = val;
}

/* A test device: BAR 0 32-bit 4 KiB, BAR 2 64-bit 64 KiB (MSI-X table). */
struct tdev {
	struct kestrel_pci_dev pci;
	u64 last_off, last_val;
	unsigned int last_bar, last_len, writes, cfg_writes;
	u32 last_cfg_off, last_cfg_val;
};

static u64 bar0_read(struct kestrel_pci_dev *dev, u64 off, unsigned int len)
{
	struct tdev *t = container_of(dev, struct tdev, pci);

	t->last_bar = 0;
	t->last_off = off;
	t->last_len = len;
	return 0x1000 + off;
}

static void bar0_write(struct kestrel_pci_dev *dev, u64 off, unsigned int len,
		       u64 val)
{
	struct tdev *t = container_of(dev, struct tdev, pci);

	t->last_bar = 0;
	t->last_off = off;
	t->last_len = len;
	t->last_val = val;
	t->writes++;
}

static u64 bar2_read(struct kestrel_pci_dev *dev, u64 off, unsigned int len)
{
	struct tdev *t = container_of(dev, struct tdev, pci);

	t->last_bar = 2;
	t->last_off = off;
	t->last_len = len;
	return 0x2000 + off;
}

static void tcfg_write(struct kestrel_pci_dev *dev, u32 off, unsigned int len,
		       u32 val)
{
	struct tdev *t = container_of(dev, struct tdev, pci);

	(void)len;
	t->cfg_writes++;
	t->last_cfg_off = off;
	t->last_cfg_val = val;
}

static bool tcfg_read(struct kestrel_pci_dev *dev, u32 off, unsigned int len,
		      u32 *val)
{
	(void)dev;
	if (off != 0x46 || len != 2)
		return false;
	*val = 0xbeef;
	return true;
}

FIXTURE(pci) {
	struct kestrel_pci_bus *bus;
	struct tdev dev;
	int vndr_cap, msix_cap;
};

FIXTURE_SETUP(pci)
{
	struct kestrel_pci_bus_params p = {
		.deliver = deliver, .cf9_read = cf9_read, .cf9_write = cf9_write,
	};
	static const u8 vndr[8] = { 0x09, 0xaa, 8, 1, 2, 3, 4, 5 };
	static const u8 vmask[8] = { 0, 0, 0, 0, 0xff, 0, 0, 0 };
	struct kestrel_pci_dev *d = &self->dev.pci;

	nr_msgs = 0;
	memset(&self->dev, 0, sizeof(self->dev));
	self->bus = kestrel_pci_bus_create(&p);
	ASSERT_NE(NULL, self->bus);
	d->vendor_id = 0x1af4;
	d->device_id = 0x1044;
	d->subsys_vendor_id = 0x1af4;
	d->subsys_id = 0x44;
	d->revision = 1;
	d->class_code = 0xff0000;
	d->bars[0] = (struct kestrel_pci_bar){ .size = 0x1000,
		.read = bar0_read, .write = bar0_write };
	d->bars[2] = (struct kestrel_pci_bar){ .size = 0x10000, .is64 = true,
		.read = bar2_read };
	d->cfg_write = tcfg_write;
	d->cfg_read = tcfg_read;
	ASSERT_EQ(0, kestrel_pci_dev_init(d));
	self->vndr_cap = kestrel_pci_add_cap(d, vndr, vmask, sizeof(vndr));
	ASSERT_EQ(0x40, self->vndr_cap);
	self->msix_cap = kestrel_pci_add_msix(d, 4, 2, 0x8000, 2, 0x9000);
	ASSERT_EQ(0x48, self->msix_cap);
	ASSERT_EQ(0, kestrel_pci_register(self->bus, d));
	ASSERT_EQ(1, d->slot);
}

FIXTURE_TEARDOWN(pci)
{
	kestrel_pci_bus_destroy(self->bus);
}

static u32 cf8(unsigned int slot, unsigned int fn, unsigned int reg)
{
	return 0x80000000U | slot << 11 | fn << 8 | reg;
}

static u32 pio_cfg_read(struct kestrel_pci_bus *bus, unsigned int slot,
			unsigned int off, unsigned int len)
{
	kestrel_pci_pio_write(bus, 0xcf8, 4, cf8(slot, 0, off & 0xfc));
	return kestrel_pci_pio_read(bus, 0xcfc + (off & 3), len);
}

static void pio_cfg_write(struct kestrel_pci_bus *bus, unsigned int slot,
			  unsigned int off, unsigned int len, u32 val)
{
	kestrel_pci_pio_write(bus, 0xcf8, 4, cf8(slot, 0, off & 0xfc));
	kestrel_pci_pio_write(bus, 0xcfc + (off & 3), len, val);
}

static u32 ecam_read(struct kestrel_pci_bus *bus, unsigned int slot,
		     unsigned int off, unsigned int len)
{
	return kestrel_pci_ecam_read(bus, slot << 15 | off, len);
}

static void ecam_write(struct kestrel_pci_bus *bus, unsigned int slot,
		       unsigned int off, unsigned int len, u32 val)
{
	kestrel_pci_ecam_write(bus, slot << 15 | off, len, val);
}

TEST_F(pci, host_bridge)
{
	EXPECT_EQ(0x00081b36, ecam_read(self->bus, 0, 0, 4));
	EXPECT_EQ(0x060000, ecam_read(self->bus, 0, 8, 4) >> 8);
	EXPECT_EQ(0, ecam_read(self->bus, 0, 0x0e, 1));
	EXPECT_EQ(0x00081b36, pio_cfg_read(self->bus, 0, 0, 4));
}

TEST_F(pci, mechanisms_agree)
{
	unsigned int off, len;

	for (off = 0; off < 0x100; off += 4)
		EXPECT_EQ(ecam_read(self->bus, 1, off, 4),
			  pio_cfg_read(self->bus, 1, off, 4));
	for (off = 0; off < 0x40; off++)
		for (len = 1; len <= 4; len *= 2)
			if (!(off % len))
				EXPECT_EQ(ecam_read(self->bus, 1, off, len),
					  pio_cfg_read(self->bus, 1, off, len));
	EXPECT_EQ(0x10441af4, ecam_read(self->bus, 1, 0, 4));
	EXPECT_EQ(0x1044, pio_cfg_read(self->bus, 1, 2, 2));
	EXPECT_EQ(0x00440000 | 0x1af4, ecam_read(self->bus, 1, 0x2c, 4));
	EXPECT_EQ(0xff000001, ecam_read(self->bus, 1, 8, 4));

	/* a write through one is seen through the other */
	pio_cfg_write(self->bus, 1, 0x3c, 1, 0x0b);
	EXPECT_EQ(0x0b, ecam_read(self->bus, 1, 0x3c, 1));
	ecam_write(self->bus, 1, 0x0c, 2, 0x4010);
	EXPECT_EQ(0x4010, pio_cfg_read(self->bus, 1, 0x0c, 2));
	/* interrupt pin 0: MSI-X only */
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x3d, 1));
	/* extended space: no capabilities */
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x100, 4));
	/* a qword ECAM read is two dwords */
	EXPECT_EQ(0x0010000210441af4ULL,
		  kestrel_pci_ecam_read(self->bus, 1 << 15, 8));
}

TEST_F(pci, absent_reads_ones)
{
	unsigned int slot;

	for (slot = 2; slot < 32; slot++) {
		EXPECT_EQ(0xffffffff, ecam_read(self->bus, slot, 0, 4));
		EXPECT_EQ(0xffff, pio_cfg_read(self->bus, slot, 0, 2));
	}
	/* function 1, bus 1 */
	EXPECT_EQ(0xffffffff, kestrel_pci_ecam_read(self->bus, 1 << 12, 4));
	EXPECT_EQ(0xffffffff, kestrel_pci_ecam_read(self->bus, 1 << 20, 4));
	kestrel_pci_pio_write(self->bus, 0xcf8, 4, cf8(1, 1, 0));
	EXPECT_EQ(0xffffffff, kestrel_pci_pio_read(self->bus, 0xcfc, 4));
	kestrel_pci_pio_write(self->bus, 0xcf8, 4, cf8(1, 0, 0) | 1 << 16);
	EXPECT_EQ(0xffffffff, kestrel_pci_pio_read(self->bus, 0xcfc, 4));
	/* enable bit clear */
	kestrel_pci_pio_write(self->bus, 0xcf8, 4, cf8(1, 0, 0) & 0x7fffffff);
	EXPECT_EQ(0xffffffff, kestrel_pci_pio_read(self->bus, 0xcfc, 4));
	/* the address register reads back (reserved bits clear) */
	kestrel_pci_pio_write(self->bus, 0xcf8, 4, 0xffffffff);
	EXPECT_EQ(0x80fffffc, kestrel_pci_pio_read(self->bus, 0xcf8, 4));
	/* misaligned accesses */
	EXPECT_EQ(0xffff, ecam_read(self->bus, 1, 1, 2));
	EXPECT_EQ(0xffffffff, ecam_read(self->bus, 1, 2, 4));
	/* 0xcf9 is the reset register, byte-wide; the rest is nobody's */
	kestrel_pci_pio_write(self->bus, 0xcf9, 1, 0x06);
	EXPECT_EQ(0x06, cf9_val);
	EXPECT_EQ(0x06, kestrel_pci_pio_read(self->bus, 0xcf9, 1));
	EXPECT_EQ(0xff, kestrel_pci_pio_read(self->bus, 0xcf8, 1));
	EXPECT_EQ(0xffff, kestrel_pci_pio_read(self->bus, 0xcfa, 2));
}

TEST_F(pci, bar_sizing_and_assignment)
{
	u32 bar0, bar2lo, bar2hi;

	/* assigned at registration, naturally aligned, decoding on */
	bar0 = ecam_read(self->bus, 1, 0x10, 4);
	bar2lo = ecam_read(self->bus, 1, 0x18, 4);
	bar2hi = ecam_read(self->bus, 1, 0x1c, 4);
	EXPECT_EQ(KESTREL_PCI_MMIO_START, bar0);
	EXPECT_EQ(0, bar2lo & 0xffff & ~0xfU);
	EXPECT_EQ(4, bar2lo & 0xf);		/* 64-bit memory */
	EXPECT_EQ(0, bar2hi);
	EXPECT_LE(KESTREL_PCI_MMIO_START, bar2lo & ~0xfU);
	EXPECT_EQ(KESTREL_PCI_CMD_MEMORY,
		  ecam_read(self->bus, 1, 4, 2) & KESTREL_PCI_CMD_MEMORY);
	/* unused BARs */
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x14, 4));
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x20, 4));

	/* sizing */
	ecam_write(self->bus, 1, 0x10, 4, 0xffffffff);
	EXPECT_EQ(0xfffff000, ecam_read(self->bus, 1, 0x10, 4));
	ecam_write(self->bus, 1, 0x18, 4, 0xffffffff);
	ecam_write(self->bus, 1, 0x1c, 4, 0xffffffff);
	EXPECT_EQ(0xffff0004, ecam_read(self->bus, 1, 0x18, 4));
	EXPECT_EQ(0xffffffff, ecam_read(self->bus, 1, 0x1c, 4));
	ecam_write(self->bus, 1, 0x14, 4, 0xffffffff);
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x14, 4));
	ecam_write(self->bus, 1, 0x30, 4, 0xfffff800);	/* ROM: none */
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x30, 4));
	/* restore */
	ecam_write(self->bus, 1, 0x10, 4, bar0);
	ecam_write(self->bus, 1, 0x18, 4, bar2lo);
	ecam_write(self->bus, 1, 0x1c, 4, bar2hi);
	EXPECT_EQ(bar0, ecam_read(self->bus, 1, 0x10, 4));

	/* read-only identity */
	ecam_write(self->bus, 1, 0, 4, 0);
	EXPECT_EQ(0x10441af4, ecam_read(self->bus, 1, 0, 4));
}

TEST_F(pci, mmio_dispatch_follows_bars)
{
	u64 bar0 = ecam_read(self->bus, 1, 0x10, 4) & ~0xfULL;
	u64 bar2 = ecam_read(self->bus, 1, 0x18, 4) & ~0xfULL;

	EXPECT_EQ(0x1010, kestrel_pci_mmio_read(self->bus, bar0 + 0x10, 4));
	EXPECT_EQ(0x10, self->dev.last_off);
	EXPECT_EQ(4, self->dev.last_len);
	EXPECT_EQ(0x2100, kestrel_pci_mmio_read(self->bus, bar2 + 0x100, 2));
	EXPECT_EQ(2, self->dev.last_bar);
	kestrel_pci_mmio_write(self->bus, bar0 + 0xff8, 8, 0x1122334455667788ULL);
	EXPECT_EQ(0xff8, self->dev.last_off);
	EXPECT_EQ(0x1122334455667788ULL, self->dev.last_val);
	/* crossing the BAR's end: nobody's */
	EXPECT_EQ(0xffffffff, kestrel_pci_mmio_read(self->bus, bar0 + 0xffe, 4));

	/* the guest moves BAR 0 */
	ecam_write(self->bus, 1, 0x10, 4, 0xd0000000);
	EXPECT_EQ(0xffffffff, kestrel_pci_mmio_read(self->bus, bar0 + 0x10, 4));
	EXPECT_EQ(0x1020, kestrel_pci_mmio_read(self->bus, 0xd0000020, 4));
	/* an unaligned base is truncated to the size */
	ecam_write(self->bus, 1, 0x10, 4, 0xd0000abc);
	EXPECT_EQ(0xd0000000, ecam_read(self->bus, 1, 0x10, 4));

	/* memory space off: nothing decodes */
	ecam_write(self->bus, 1, 4, 2, 0);
	EXPECT_EQ(0xffffffff, kestrel_pci_mmio_read(self->bus, 0xd0000020, 4));
	EXPECT_EQ(0xff, kestrel_pci_mmio_read(self->bus, bar2, 1));
	self->dev.writes = 0;
	kestrel_pci_mmio_write(self->bus, 0xd0000020, 4, 1);
	EXPECT_EQ(0, self->dev.writes);
	ecam_write(self->bus, 1, 4, 2, KESTREL_PCI_CMD_MEMORY);
	EXPECT_EQ(0x1020, kestrel_pci_mmio_read(self->bus, 0xd0000020, 4));

	/* a bar access helper works whether or not it decodes */
	ecam_write(self->bus, 1, 4, 2, 0);
	EXPECT_EQ(0x1004, kestrel_pci_bar_read(&self->dev.pci, 0, 4, 4));
	EXPECT_EQ(0xffffffff, kestrel_pci_bar_read(&self->dev.pci, 1, 4, 4));
	EXPECT_EQ(0xffffffff, kestrel_pci_bar_read(&self->dev.pci, 0, 0x1000, 4));
	EXPECT_EQ(0xffffffff, kestrel_pci_bar_read(&self->dev.pci, 7, 0, 4));

	/* reset restores the assignment */
	kestrel_pci_bus_reset(self->bus);
	EXPECT_EQ(bar0, ecam_read(self->bus, 1, 0x10, 4));
	EXPECT_EQ(0x1010, kestrel_pci_mmio_read(self->bus, bar0 + 0x10, 4));
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x3c, 1));
}

TEST_F(pci, capability_list)
{
	unsigned int ptr, n = 0;
	bool msix = false, vndr = false;

	EXPECT_TRUE(ecam_read(self->bus, 1, 6, 2) & KESTREL_PCI_STATUS_CAP_LIST);
	ptr = ecam_read(self->bus, 1, 0x34, 1);
	while (ptr) {
		ASSERT_GE(ptr, 0x40);
		ASSERT_LT(ptr, 0x100);
		ASSERT_EQ(0, ptr & 3);
		ASSERT_LT(n++, 48);
		if (ecam_read(self->bus, 1, ptr, 1) == 0x11)
			msix = true;
		if (ecam_read(self->bus, 1, ptr, 1) == 0x09)
			vndr = true;
		ptr = ecam_read(self->bus, 1, ptr + 1, 1);
	}
	EXPECT_EQ(2, n);
	EXPECT_TRUE(msix);
	EXPECT_TRUE(vndr);
	/* the host bridge has none */
	EXPECT_FALSE(ecam_read(self->bus, 0, 6, 2) & KESTREL_PCI_STATUS_CAP_LIST);
	EXPECT_EQ(0, ecam_read(self->bus, 0, 0x34, 1));

	/* vendor cap: byte 4 writable, the rest read-only; the hooks run */
	ecam_write(self->bus, 1, 0x44, 4, 0xffffffff);
	EXPECT_EQ(0x050403ff, ecam_read(self->bus, 1, 0x44, 4));
	EXPECT_EQ(1, self->dev.cfg_writes);
	EXPECT_EQ(0x44, self->dev.last_cfg_off);
	EXPECT_EQ(0xffffffff, self->dev.last_cfg_val);
	ecam_write(self->bus, 1, 0x40, 1, 0);
	EXPECT_EQ(9, ecam_read(self->bus, 1, 0x40, 1));
	/* the MSI-X capability is the bus's: no hook */
	self->dev.cfg_writes = 0;
	ecam_write(self->bus, 1, 0x48, 4, 0);
	EXPECT_EQ(0, self->dev.cfg_writes);
	/* MSI-X: table size 4 (N - 1 = 3), table and PBA in BAR 2 */
	EXPECT_EQ(3, ecam_read(self->bus, 1, 0x4a, 2) & 0x7ff);
	EXPECT_EQ(0x8002, ecam_read(self->bus, 1, 0x4c, 4));
	EXPECT_EQ(0x9002, ecam_read(self->bus, 1, 0x50, 4));
	/* a device's read hook overrides the stored bytes */
	EXPECT_EQ(0xbeef, ecam_read(self->bus, 1, 0x46, 2));
	EXPECT_EQ(0x05, ecam_read(self->bus, 1, 0x47, 1));
}

TEST(bad_devices)
{
	struct kestrel_pci_bus_params p = { 0 };
	struct kestrel_pci_bus *bus = kestrel_pci_bus_create(&p);
	struct kestrel_pci_dev *d = calloc(1, sizeof(*d));
	u8 cap[64] = { 9 };
	unsigned int i;

	ASSERT_NE(NULL, bus);
	d->bars[0].size = 0x800;
	EXPECT_EQ(-EINVAL, kestrel_pci_dev_init(d));
	d->bars[0].size = 0x3000;
	EXPECT_EQ(-EINVAL, kestrel_pci_dev_init(d));
	d->bars[0].size = 0x1000;
	d->bars[5].size = 0x1000;
	d->bars[5].is64 = true;
	EXPECT_EQ(-EINVAL, kestrel_pci_dev_init(d));
	d->bars[5].size = 0;
	d->bars[5].is64 = false;
	d->bars[0].is64 = true;
	d->bars[1].size = 0x1000;
	EXPECT_EQ(-EINVAL, kestrel_pci_dev_init(d));
	d->bars[1].size = 0;
	ASSERT_EQ(0, kestrel_pci_dev_init(d));
	/* MSI-X table outside its BAR, or overlapping the PBA */
	EXPECT_EQ(-EINVAL, kestrel_pci_add_msix(d, 4, 0, 0xff8, 0, 0));
	EXPECT_EQ(-EINVAL, kestrel_pci_add_msix(d, 4, 0, 0, 0, 0x20));
	EXPECT_EQ(-EINVAL, kestrel_pci_add_msix(d, 4, 1, 0, 0, 0x100));
	EXPECT_EQ(-EINVAL, kestrel_pci_add_msix(d, 0, 0, 0, 0, 0x100));
	EXPECT_EQ(-EINVAL, kestrel_pci_add_msix(d, 129, 0, 0, 0, 0x900));
	/* capabilities fill 0x40-0xff: three 64-byte ones */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0x40 + 64 * (int)i, kestrel_pci_add_cap(d, cap, NULL, 64));
	EXPECT_EQ(-ENOSPC, kestrel_pci_add_cap(d, cap, NULL, 4));
	free(d);

	/* 31 devices fit, the 32nd does not; the window runs out too */
	for (i = 0; i < 32; i++) {
		d = calloc(1, sizeof(*d));
		d->bars[0].size = 0x1000;
		ASSERT_EQ(0, kestrel_pci_dev_init(d));
		EXPECT_EQ(i < 31 ? 0 : -ENOSPC, kestrel_pci_register(bus, d));
		if (i == 31)
			free(d);
	}
	for (i = 1; i < 32; i++)
		free(bus->devs[i]);
	kestrel_pci_bus_destroy(bus);

	bus = kestrel_pci_bus_create(&p);
	d = calloc(2, sizeof(*d));
	d[0].bars[0].size = 0x10000000;
	d[0].bars[2].size = 0x10000000;
	ASSERT_EQ(0, kestrel_pci_dev_init(&d[0]));
	EXPECT_EQ(0, kestrel_pci_register(bus, &d[0]));
	d[1].bars[0].size = 0x1000;
	ASSERT_EQ(0, kestrel_pci_dev_init(&d[1]));
	EXPECT_EQ(-ENOSPC, kestrel_pci_register(bus, &d[1]));
	free(d);
	kestrel_pci_bus_destroy(bus);
}

static u64 table(struct kestrel_pci_bus *bus, unsigned int v, unsigned int r)
{
	u64 bar2 = kestrel_pci_ecam_read(bus, 1 << 15 | 0x18, 4) & ~0xfULL;

	return bar2 + 0x8000 + 16 * v + r;
}

static u64 pba(struct kestrel_pci_bus *bus)
{
	return (kestrel_pci_ecam_read(bus, 1 << 15 | 0x18, 4) & ~0xfULL) + 0x9000;
}

static void program(struct kestrel_pci_bus *bus, unsigned int v, u8 vector,
		    u8 dest)
{
	kestrel_pci_mmio_write(bus, table(bus, v, 0), 4,
			       0xfee00000 | dest << 12);
	kestrel_pci_mmio_write(bus, table(bus, v, 4), 4, 0);
	kestrel_pci_mmio_write(bus, table(bus, v, 8), 4, vector);
}

static void msix_enable(struct kestrel_pci_bus *bus, bool on, bool maskall)
{
	ecam_write(bus, 1, 0x4a, 2, (on ? 0x8000 : 0) | (maskall ? 0x4000 : 0));
}

TEST_F(pci, msix_vector_mask_and_pending)
{
	struct kestrel_pci_dev *d = &self->dev.pci;
	unsigned int v;

	EXPECT_EQ(4, kestrel_pci_msix_vectors(d));
	/* disabled: nothing happens */
	EXPECT_FALSE(kestrel_pci_msix_notify(d, 0));
	EXPECT_FALSE(kestrel_pci_msix_enabled(d));
	/* reset state: entries masked, zero */
	for (v = 0; v < 4; v++) {
		EXPECT_EQ(0, kestrel_pci_mmio_read(self->bus, table(self->bus, v, 0), 4));
		EXPECT_EQ(1, kestrel_pci_mmio_read(self->bus, table(self->bus, v, 12), 4));
	}
	program(self->bus, 1, 0x41, 3);
	EXPECT_EQ(0x41, kestrel_pci_mmio_read(self->bus, table(self->bus, 1, 8), 4));
	EXPECT_EQ(0xfee03000, kestrel_pci_mmio_read(self->bus, table(self->bus, 1, 0), 4));
	/* qword read of address */
	EXPECT_EQ(0xfee03000, kestrel_pci_mmio_read(self->bus, table(self->bus, 1, 0), 8));
	ecam_write(self->bus, 1, 4, 2, KESTREL_PCI_CMD_MEMORY | KESTREL_PCI_CMD_MASTER);
	msix_enable(self->bus, true, false);
	EXPECT_TRUE(kestrel_pci_msix_enabled(d));

	/* masked: pending, nothing sent */
	EXPECT_TRUE(kestrel_pci_msix_notify(d, 1));
	EXPECT_EQ(0, nr_msgs);
	EXPECT_EQ(2, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
	EXPECT_EQ(2, kestrel_pci_mmio_read(self->bus, pba(self->bus), 8));
	/* out of range */
	EXPECT_FALSE(kestrel_pci_msix_notify(d, 4));
	/* unmask: delivered with the right message, pending cleared */
	kestrel_pci_mmio_write(self->bus, table(self->bus, 1, 12), 4, 0);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x41, msgs[0].vector);
	EXPECT_EQ(3, msgs[0].dest);
	EXPECT_EQ(KESTREL_IRQ_DM_FIXED, msgs[0].delivery_mode);
	EXPECT_FALSE(msgs[0].dest_logical);
	EXPECT_FALSE(msgs[0].level_triggered);
	EXPECT_TRUE(msgs[0].assert);
	EXPECT_EQ(0, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
	/* unmasked: sent at once */
	EXPECT_TRUE(kestrel_pci_msix_notify(d, 1));
	EXPECT_EQ(2, nr_msgs);
	/* a masked vector's pending bit is cleared by neither other vectors */
	EXPECT_TRUE(kestrel_pci_msix_notify(d, 0));
	EXPECT_EQ(2, nr_msgs);
	EXPECT_EQ(1, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
	/* PBA is read-only */
	kestrel_pci_mmio_write(self->bus, pba(self->bus), 4, 0);
	EXPECT_EQ(1, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
	/* reserved vector-control bits stay 0 */
	kestrel_pci_mmio_write(self->bus, table(self->bus, 2, 12), 4, 0xfffffffe);
	EXPECT_EQ(0, kestrel_pci_mmio_read(self->bus, table(self->bus, 2, 12), 4));

	/* bus master off: dropped */
	ecam_write(self->bus, 1, 4, 2, KESTREL_PCI_CMD_MEMORY);
	EXPECT_TRUE(kestrel_pci_msix_notify(d, 1));
	EXPECT_EQ(2, nr_msgs);

	/* reset: masked, disabled, no pending */
	kestrel_pci_bus_reset(self->bus);
	EXPECT_FALSE(kestrel_pci_msix_enabled(d));
	EXPECT_EQ(1, kestrel_pci_mmio_read(self->bus, table(self->bus, 1, 12), 4));
	EXPECT_EQ(0, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
}

TEST_F(pci, msix_function_mask)
{
	struct kestrel_pci_dev *d = &self->dev.pci;

	program(self->bus, 0, 0x30, 0);
	program(self->bus, 3, 0x33, 1);
	kestrel_pci_mmio_write(self->bus, table(self->bus, 0, 12), 4, 0);
	kestrel_pci_mmio_write(self->bus, table(self->bus, 3, 12), 4, 0);
	ecam_write(self->bus, 1, 4, 2, KESTREL_PCI_CMD_MEMORY | KESTREL_PCI_CMD_MASTER);
	msix_enable(self->bus, true, true);
	EXPECT_TRUE(kestrel_pci_msix_notify(d, 0));
	EXPECT_TRUE(kestrel_pci_msix_notify(d, 3));
	EXPECT_EQ(0, nr_msgs);
	EXPECT_EQ(9, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
	/* clearing the function mask sends both, in vector order */
	msix_enable(self->bus, true, false);
	ASSERT_EQ(2, nr_msgs);
	EXPECT_EQ(0x30, msgs[0].vector);
	EXPECT_EQ(0x33, msgs[1].vector);
	EXPECT_EQ(1, msgs[1].dest);
	EXPECT_EQ(0, kestrel_pci_mmio_read(self->bus, pba(self->bus), 4));
	/* disabling keeps nothing pending and sends nothing */
	msix_enable(self->bus, false, false);
	EXPECT_FALSE(kestrel_pci_msix_notify(d, 0));
	EXPECT_EQ(2, nr_msgs);
	/* the control register reads back (table size read-only) */
	msix_enable(self->bus, true, true);
	EXPECT_EQ(0xc003, ecam_read(self->bus, 1, 0x4a, 2));
}

static unsigned int rnd_state = 12345;

static unsigned int rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

TEST_F(pci, garbage_does_not_crash)
{
	static const unsigned int lens[] = { 1, 2, 3, 4, 8, 0, 16 };
	unsigned int i;

	for (i = 0; i < 200000; i++) {
		unsigned int len = lens[rnd() % 7], op = rnd() % 6;
		u64 val = (u64)rnd() << 32 | rnd();

		switch (op) {
		case 0:
			kestrel_pci_ecam_write(self->bus, rnd() % 0x110000, len, val);
			break;
		case 1:
			kestrel_pci_ecam_read(self->bus, rnd() % 0x110000, len);
			break;
		case 2:
			kestrel_pci_pio_write(self->bus, 0xcf8 + rnd() % 8, len, val);
			break;
		case 3:
			kestrel_pci_pio_read(self->bus, 0xcf8 + rnd() % 8, len);
			break;
		case 4:
			kestrel_pci_mmio_write(self->bus, KESTREL_PCI_MMIO_START +
					       rnd() % 0x40000, len, val);
			break;
		default:
			kestrel_pci_msix_notify(&self->dev.pci, rnd() % 8);
			kestrel_pci_mmio_read(self->bus, KESTREL_PCI_MMIO_START +
					      rnd() % 0x40000, len);
		}
	}
	/* the identity survived */
	EXPECT_EQ(0x10441af4, ecam_read(self->bus, 1, 0, 4));
	EXPECT_EQ(0x00081b36, ecam_read(self->bus, 0, 0, 4));
}

TEST_HARNESS_MAIN
