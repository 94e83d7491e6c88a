// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-pci modern transport (kmod/virtio/pci.c) over the PCI bus
 * model (kmod/dev/pci.c), built natively with a fake device.  Work items
 * run when the test says so (kshim_run_work()), which makes the window
 * between a status write and the start or reset visible.
 */
#include "kshim.h"
#include "../dev/pci.c"
#include "../virtio/pci.c"

#include <string.h>

#include "kselftest_harness.h"

#define NQ		3
#define QMAX		256
#define CFG_LEN		12
#define F_DEV		5	/* a device feature bit */

struct fake {
	struct kestrel_virtio_dev vdev;
	u8 config[CFG_LEN];
	unsigned int starts, resets, notifies[NQ], config_writes;
	int start_err;
	u64 features_at_start;
	struct kestrel_virtio_queue q_at_start[NQ];
};

static struct kestrel_irq_msg msgs[64];
static unsigned int nr_msgs;

static void deliver(void *opaque, const struct kestrel_irq_msg *msg)
{
	(void)opaque;
	if (nr_msgs < 64)
		msgs[nr_msgs] = *msg;
	nr_msgs++;
}

static struct fake *to_fake(struct kestrel_virtio_dev *vdev)
{
	return container_of(vdev, struct fake, vdev);
}

static void f_config_read(struct kestrel_virtio_dev *vdev, u32 off, void *buf,
			  u32 len)
{
	memcpy(buf, to_fake(vdev)->config + off, len);
}

static void f_config_write(struct kestrel_virtio_dev *vdev, u32 off,
			   const void *buf, u32 len)
{
	memcpy(to_fake(vdev)->config + off, buf, len);
	to_fake(vdev)->config_writes++;
}

static int f_start(struct kestrel_virtio_dev *vdev)
{
	struct fake *f = to_fake(vdev);

	f->starts++;
	f->features_at_start = vdev->driver_features;
	memcpy(f->q_at_start, vdev->queues, sizeof(f->q_at_start));
	return f->start_err;
}

static void f_reset(struct kestrel_virtio_dev *vdev)
{
	to_fake(vdev)->resets++;
}

static void f_notify(struct kestrel_virtio_dev *vdev, u16 q)
{
	if (q < NQ)
		to_fake(vdev)->notifies[q]++;
}

static const struct kestrel_virtio_ops fake_ops = {
	.device_id = KESTREL_VIRTIO_ID_RNG,
	.features = 1ULL << F_DEV | 1ULL << KESTREL_VIRTIO_F_EVENT_IDX,
	.num_queues = NQ,
	.max_queue_size = QMAX,
	.config_len = CFG_LEN,
	.config_read = f_config_read,
	.config_write = f_config_write,
	.start = f_start,
	.reset = f_reset,
	.notify = f_notify,
};

FIXTURE(vpci) {
	struct kestrel_pci_bus *bus;
	struct fake fake;
	struct kestrel_virtio_pci *vp;
	u64 bar4, bar1;
};

static u32 cfg_rd(struct kestrel_pci_bus *bus, unsigned int off,
		  unsigned int len)
{
	return kestrel_pci_ecam_read(bus, 1 << 15 | off, len);
}

static void cfg_wr(struct kestrel_pci_bus *bus, unsigned int off,
		   unsigned int len, u32 val)
{
	kestrel_pci_ecam_write(bus, 1 << 15 | off, len, val);
}

FIXTURE_SETUP(vpci)
{
	struct kestrel_pci_bus_params p = { .deliver = deliver };

	nr_msgs = 0;
	memset(&self->fake, 0, sizeof(self->fake));
	memcpy(self->fake.config, "kestrel-cfg", CFG_LEN);
	self->fake.vdev.ops = &fake_ops;
	self->bus = kestrel_pci_bus_create(&p);
	ASSERT_NE(NULL, self->bus);
	ASSERT_EQ(0, kestrel_virtio_pci_create(self->bus, &self->fake.vdev, 0,
					       &self->vp));
	self->bar1 = cfg_rd(self->bus, 0x14, 4) & ~0xfULL;
	self->bar4 = (cfg_rd(self->bus, 0x20, 4) & ~0xfULL) |
		     (u64)cfg_rd(self->bus, 0x24, 4) << 32;
	/* as Linux does: bus master on */
	cfg_wr(self->bus, 4, 2, KESTREL_PCI_CMD_MEMORY | KESTREL_PCI_CMD_MASTER);
}

FIXTURE_TEARDOWN(vpci)
{
	kestrel_virtio_pci_destroy(self->vp);
	kestrel_pci_bus_destroy(self->bus);
}

#define CC(self, off, len)	kestrel_pci_mmio_read((self)->bus, (self)->bar4 + (off), (len))
#define CC_WR(self, off, len, v) kestrel_pci_mmio_write((self)->bus, (self)->bar4 + (off), (len), (v))

static void msix_setup(struct kestrel_pci_bus *bus, u64 bar1,
		       unsigned int nvec)
{
	unsigned int v;

	for (v = 0; v < nvec; v++) {
		kestrel_pci_mmio_write(bus, bar1 + 16 * v, 4, 0xfee00000);
		kestrel_pci_mmio_write(bus, bar1 + 16 * v + 8, 4, 0x40 + v);
		kestrel_pci_mmio_write(bus, bar1 + 16 * v + 12, 4, 0);
	}
	/* MSI-X capability: the last one; find it */
	for (v = cfg_rd(bus, 0x34, 1); v; v = cfg_rd(bus, v + 1, 1))
		if (cfg_rd(bus, v, 1) == 0x11)
			cfg_wr(bus, v + 2, 2, 0x8000);
}

/* Linux's virtio_pci_modern probe and virtio_dev_probe, up to DRIVER_OK. */
static void driver_init(struct __test_metadata *_metadata,
			struct _test_data_vpci *self, u64 features)
{
	unsigned int q;

	CC_WR(self, CC_STATUS, 1, 0);
	ASSERT_EQ(0, CC(self, CC_STATUS, 1));
	CC_WR(self, CC_STATUS, 1, KESTREL_VIRTIO_S_ACKNOWLEDGE);
	CC_WR(self, CC_STATUS, 1, KESTREL_VIRTIO_S_ACKNOWLEDGE |
	      KESTREL_VIRTIO_S_DRIVER);
	CC_WR(self, CC_GFSELECT, 4, 0);
	CC_WR(self, CC_GF, 4, (u32)features);
	CC_WR(self, CC_GFSELECT, 4, 1);
	CC_WR(self, CC_GF, 4, features >> 32);
	CC_WR(self, CC_STATUS, 1, 0x0b);
	ASSERT_EQ(0x0b, CC(self, CC_STATUS, 1));
	msix_setup(self->bus, self->bar1, NQ + 1);
	CC_WR(self, CC_MSIX, 2, 0);
	for (q = 0; q < NQ; q++) {
		CC_WR(self, CC_Q_SELECT, 2, q);
		CC_WR(self, CC_Q_SIZE, 2, 64);
		CC_WR(self, CC_Q_MSIX, 2, q + 1);
		CC_WR(self, CC_Q_DESC, 4, 0x10000 * (q + 1));
		CC_WR(self, CC_Q_DESC + 4, 4, q);
		CC_WR(self, CC_Q_DRIVER, 4, 0x10000 * (q + 1) + 0x1000);
		CC_WR(self, CC_Q_DEVICE, 4, 0x10000 * (q + 1) + 0x2000);
		CC_WR(self, CC_Q_ENABLE, 2, 1);
	}
}

static const u64 V1 = 1ULL << KESTREL_VIRTIO_F_VERSION_1;

TEST_F(vpci, identity_and_capabilities)
{
	unsigned int ptr, types = 0, n = 0;

	EXPECT_EQ(0x10441af4, cfg_rd(self->bus, 0, 4));
	EXPECT_EQ(1, cfg_rd(self->bus, 8, 1));
	EXPECT_EQ(0x00041af4, cfg_rd(self->bus, 0x2c, 4));
	EXPECT_EQ(0, cfg_rd(self->bus, 0x3d, 1));
	EXPECT_EQ(0, self->bar1 & 0x1fff);
	EXPECT_EQ(0, self->bar4 & 0x3fff);
	EXPECT_EQ(4, cfg_rd(self->bus, 0x20, 4) & 0x6);	/* 64-bit */
	for (ptr = cfg_rd(self->bus, 0x34, 1); ptr; ptr = cfg_rd(self->bus, ptr + 1, 1)) {
		ASSERT_LT(n++, 16);
		if (cfg_rd(self->bus, ptr, 1) != 0x09) {
			EXPECT_EQ(0x11, cfg_rd(self->bus, ptr, 1));
			EXPECT_EQ(NQ, cfg_rd(self->bus, ptr + 2, 2) & 0x7ff);
			EXPECT_EQ(0x1, cfg_rd(self->bus, ptr + 4, 4));
			EXPECT_EQ(0x1001, cfg_rd(self->bus, ptr + 8, 4));
			continue;
		}
		types |= 1U << cfg_rd(self->bus, ptr + 3, 1);
		switch (cfg_rd(self->bus, ptr + 3, 1)) {
		case CAP_COMMON:
			EXPECT_EQ(4, cfg_rd(self->bus, ptr + 4, 1));
			EXPECT_EQ(0, cfg_rd(self->bus, ptr + 8, 4));
			EXPECT_EQ(0x38, cfg_rd(self->bus, ptr + 12, 4));
			break;
		case CAP_NOTIFY:
			EXPECT_EQ(20, cfg_rd(self->bus, ptr + 2, 1));
			EXPECT_EQ(0x3000, cfg_rd(self->bus, ptr + 8, 4));
			EXPECT_EQ(4 * NQ, cfg_rd(self->bus, ptr + 12, 4));
			EXPECT_EQ(4, cfg_rd(self->bus, ptr + 16, 4));
			break;
		case CAP_DEVICE:
			EXPECT_EQ(0x2000, cfg_rd(self->bus, ptr + 8, 4));
			EXPECT_EQ(CFG_LEN, cfg_rd(self->bus, ptr + 12, 4));
			break;
		case CAP_ISR:
			EXPECT_EQ(0x1000, cfg_rd(self->bus, ptr + 8, 4));
			break;
		}
	}
	EXPECT_EQ(1 << CAP_COMMON | 1 << CAP_NOTIFY | 1 << CAP_ISR |
		  1 << CAP_DEVICE | 1 << CAP_PCI, types);
	EXPECT_EQ(NQ, CC(self, CC_NUMQ, 2));
	/* device config through BAR 4 */
	EXPECT_EQ(0x7473656b, CC(self, 0x2000, 4));
	EXPECT_EQ(0xffffffff, CC(self, 0x2000 + CFG_LEN - 2, 4));
	CC_WR(self, 0x2000, 1, 'K');
	EXPECT_EQ('K', self->fake.config[0]);
	CC_WR(self, 0x2000 + CFG_LEN, 1, 'X');
	EXPECT_EQ(1, self->fake.config_writes);
}

TEST_F(vpci, feature_negotiation)
{
	/* offered: the device's, VERSION_1 and RING_PACKED */
	CC_WR(self, CC_DFSELECT, 4, 0);
	EXPECT_EQ(1U << F_DEV | 1U << KESTREL_VIRTIO_F_EVENT_IDX, CC(self, CC_DF, 4));
	CC_WR(self, CC_DFSELECT, 4, 1);
	EXPECT_EQ(1 | 1 << (KESTREL_VIRTIO_F_RING_PACKED - 32),
		  CC(self, CC_DF, 4));
	CC_WR(self, CC_DFSELECT, 4, 7);
	EXPECT_EQ(0, CC(self, CC_DF, 4));

	/* without VERSION_1: FEATURES_OK refused */
	CC_WR(self, CC_STATUS, 1, 3);
	CC_WR(self, CC_GFSELECT, 4, 0);
	CC_WR(self, CC_GF, 4, 1U << F_DEV);
	CC_WR(self, CC_STATUS, 1, 0x0b);
	EXPECT_EQ(3, CC(self, CC_STATUS, 1));
	/* DRIVER_OK without FEATURES_OK: refused too */
	CC_WR(self, CC_STATUS, 1, 0x07);
	EXPECT_EQ(3, CC(self, CC_STATUS, 1));
	kshim_run_work();
	EXPECT_EQ(0, self->fake.starts);

	/* an unoffered bit: refused */
	CC_WR(self, CC_GF, 4, 1U << F_DEV | 1U << 3);
	CC_WR(self, CC_GFSELECT, 4, 1);
	CC_WR(self, CC_GF, 4, 1);
	CC_WR(self, CC_STATUS, 1, 0x0b);
	EXPECT_EQ(3, CC(self, CC_STATUS, 1));

	/* with it: accepted and then read-only */
	CC_WR(self, CC_GFSELECT, 4, 0);
	CC_WR(self, CC_GF, 4, 1U << F_DEV);
	EXPECT_EQ(1U << F_DEV, CC(self, CC_GF, 4));
	CC_WR(self, CC_STATUS, 1, 0x0b);
	EXPECT_EQ(0x0b, CC(self, CC_STATUS, 1));
	CC_WR(self, CC_GF, 4, 0);
	EXPECT_EQ(1U << F_DEV, CC(self, CC_GF, 4));
	EXPECT_EQ(V1 | 1ULL << F_DEV, self->fake.vdev.driver_features);
	/* the device status cannot lose bits but through reset */
	CC_WR(self, CC_STATUS, 1, 1);
	EXPECT_EQ(0x0b, CC(self, CC_STATUS, 1));
	/* reset before start: synchronous */
	CC_WR(self, CC_STATUS, 1, 0);
	EXPECT_EQ(0, CC(self, CC_STATUS, 1));
	EXPECT_EQ(0, self->fake.vdev.driver_features);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, self->fake.resets);
}

TEST_F(vpci, queue_registers)
{
	struct kestrel_virtio_queue *vq = &self->fake.vdev.queues[1];

	CC_WR(self, CC_Q_SELECT, 2, 1);
	EXPECT_EQ(1, CC(self, CC_Q_SELECT, 2));
	EXPECT_EQ(QMAX, CC(self, CC_Q_SIZE, 2));
	EXPECT_EQ(1, CC(self, CC_Q_NOFF, 2));
	EXPECT_EQ(0xffff, CC(self, CC_Q_MSIX, 2));
	EXPECT_EQ(0, CC(self, CC_Q_ENABLE, 2));
	/* size: a power of 2 up to the maximum */
	CC_WR(self, CC_Q_SIZE, 2, 100);
	EXPECT_EQ(QMAX, CC(self, CC_Q_SIZE, 2));
	CC_WR(self, CC_Q_SIZE, 2, 512);
	EXPECT_EQ(QMAX, CC(self, CC_Q_SIZE, 2));
	CC_WR(self, CC_Q_SIZE, 2, 0);
	EXPECT_EQ(QMAX, CC(self, CC_Q_SIZE, 2));
	CC_WR(self, CC_Q_SIZE, 2, 32);
	EXPECT_EQ(32, CC(self, CC_Q_SIZE, 2));
	EXPECT_EQ(32, vq->size);
	/* vectors: NQ + 1 of them */
	CC_WR(self, CC_Q_MSIX, 2, NQ);
	EXPECT_EQ(NQ, CC(self, CC_Q_MSIX, 2));
	CC_WR(self, CC_Q_MSIX, 2, NQ + 1);
	EXPECT_EQ(0xffff, CC(self, CC_Q_MSIX, 2));
	CC_WR(self, CC_MSIX, 2, 0x123);
	EXPECT_EQ(0xffff, CC(self, CC_MSIX, 2));
	CC_WR(self, CC_MSIX, 2, 0);
	EXPECT_EQ(0, CC(self, CC_MSIX, 2));
	/* 64-bit addresses in halves, and whole */
	CC_WR(self, CC_Q_DESC, 4, 0x12345000);
	CC_WR(self, CC_Q_DESC + 4, 4, 0x1);
	CC_WR(self, CC_Q_DRIVER, 8, 0x223456000ULL);
	CC_WR(self, CC_Q_DEVICE + 4, 4, 0x3);
	CC_WR(self, CC_Q_DEVICE, 4, 0x32345000);
	EXPECT_EQ(0x112345000ULL, CC(self, CC_Q_DESC, 8));
	EXPECT_EQ(0x12345000, CC(self, CC_Q_DESC, 4));
	EXPECT_EQ(0x1, CC(self, CC_Q_DESC + 4, 4));
	EXPECT_EQ(0x223456000ULL, vq->driver);
	EXPECT_EQ(0x332345000ULL, vq->device);
	EXPECT_EQ(0x112345000ULL, vq->desc);
	/* enable: then the configuration is fixed */
	CC_WR(self, CC_Q_ENABLE, 2, 1);
	EXPECT_EQ(1, CC(self, CC_Q_ENABLE, 2));
	EXPECT_TRUE(vq->enabled);
	CC_WR(self, CC_Q_SIZE, 2, 16);
	CC_WR(self, CC_Q_DESC, 4, 0);
	EXPECT_EQ(32, CC(self, CC_Q_SIZE, 2));
	EXPECT_EQ(0x112345000ULL, vq->desc);
	CC_WR(self, CC_Q_ENABLE, 2, 0);
	EXPECT_TRUE(vq->enabled);
	/* the other queues are untouched */
	CC_WR(self, CC_Q_SELECT, 2, 0);
	EXPECT_EQ(QMAX, CC(self, CC_Q_SIZE, 2));
	EXPECT_EQ(0, CC(self, CC_Q_DESC, 8));
	/* a queue that does not exist reads size 0 and ignores writes */
	CC_WR(self, CC_Q_SELECT, 2, NQ);
	EXPECT_EQ(0, CC(self, CC_Q_SIZE, 2));
	CC_WR(self, CC_Q_SIZE, 2, 16);
	CC_WR(self, CC_Q_ENABLE, 2, 1);
	EXPECT_EQ(0, CC(self, CC_Q_SIZE, 2));
	EXPECT_EQ(0xffff, CC(self, CC_Q_MSIX, 2));
	CC_WR(self, CC_Q_SELECT, 2, 0xffff);
	EXPECT_EQ(0, CC(self, CC_Q_ENABLE, 2));
}

TEST_F(vpci, driver_ok_starts_and_notify)
{
	unsigned int q;

	driver_init(_metadata, self, V1 | 1ULL << F_DEV);
	/* a kick before the start: dropped now, replayed at start */
	CC_WR(self, 0x3000 + 4, 2, 1);
	EXPECT_EQ(0, self->fake.notifies[1]);
	CC_WR(self, CC_STATUS, 1, 0x0f);
	EXPECT_EQ(0x0f, CC(self, CC_STATUS, 1));
	EXPECT_EQ(0, self->fake.starts);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(1, self->fake.starts);
	EXPECT_EQ(V1 | 1ULL << F_DEV, self->fake.features_at_start);
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(1, self->fake.notifies[q]);
		EXPECT_EQ(64, self->fake.q_at_start[q].size);
		EXPECT_TRUE(self->fake.q_at_start[q].enabled);
		EXPECT_EQ(q + 1, self->fake.q_at_start[q].msix_vector);
		EXPECT_EQ(0x10000ULL * (q + 1) | (u64)q << 32,
			  self->fake.q_at_start[q].desc);
		EXPECT_EQ(0x10000ULL * (q + 1) + 0x2000,
			  self->fake.q_at_start[q].device);
	}
	/* each queue has its own notify address */
	CC_WR(self, 0x3000 + 8, 2, 2);
	EXPECT_EQ(2, self->fake.notifies[2]);
	EXPECT_EQ(1, self->fake.notifies[1]);
	CC_WR(self, 0x3000, 4, 0);
	EXPECT_EQ(2, self->fake.notifies[0]);
	/* not a queue, or a misaligned / odd-sized write: nothing */
	CC_WR(self, 0x3000 + 4 * NQ, 2, 0);
	CC_WR(self, 0x3000 + 2, 2, 0);
	CC_WR(self, 0x3000 + 4, 1, 0);
	CC_WR(self, 0x3fff, 1, 0);
	EXPECT_EQ(2, self->fake.notifies[0]);
	EXPECT_EQ(1, self->fake.notifies[1]);
	EXPECT_EQ(2, self->fake.notifies[2]);
	/* queue configuration is now read-only */
	CC_WR(self, CC_Q_SELECT, 2, 0);
	CC_WR(self, CC_Q_MSIX, 2, 3);
	EXPECT_EQ(1, CC(self, CC_Q_MSIX, 2));

	/* interrupts: queue 2 uses vector 3 (data 0x43) */
	nr_msgs = 0;
	self->fake.vdev.interrupt(&self->fake.vdev, 2);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x43, msgs[0].vector);
	self->fake.vdev.config_changed(&self->fake.vdev);
	ASSERT_EQ(2, nr_msgs);
	EXPECT_EQ(0x40, msgs[1].vector);
	EXPECT_EQ(1, CC(self, CC_GENERATION, 1));
	/* ISR: both bits, read to clear */
	EXPECT_EQ(3, CC(self, 0x1000, 1));
	EXPECT_EQ(0, CC(self, 0x1000, 1));
	/* bogus queue */
	self->fake.vdev.interrupt(&self->fake.vdev, NQ);
	EXPECT_EQ(2, nr_msgs);
}

TEST_F(vpci, reset_protocol)
{
	unsigned int q;

	driver_init(_metadata, self, V1);
	CC_WR(self, CC_STATUS, 1, 0x0f);
	kshim_run_work();
	ASSERT_EQ(1, self->fake.starts);

	CC_WR(self, CC_STATUS, 1, 0);
	/* not yet: the status reads nonzero and the device still runs */
	EXPECT_EQ(0x0f, CC(self, CC_STATUS, 1));
	EXPECT_EQ(0, self->fake.resets);
	/* writes while resetting are dropped */
	CC_WR(self, CC_Q_SELECT, 2, 1);
	EXPECT_EQ(NQ - 1, CC(self, CC_Q_SELECT, 2));
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(1, self->fake.resets);
	EXPECT_EQ(0, CC(self, CC_STATUS, 1));
	/* queues cleared; notifications dropped */
	for (q = 0; q < NQ; q++) {
		struct kestrel_virtio_queue *vq = &self->fake.vdev.queues[q];

		EXPECT_FALSE(vq->enabled);
		EXPECT_EQ(QMAX, vq->size);
		EXPECT_EQ(0xffff, vq->msix_vector);
		EXPECT_EQ(0, vq->desc);
		EXPECT_EQ(0, vq->driver);
		EXPECT_EQ(0, vq->device);
	}
	EXPECT_EQ(0, self->fake.vdev.driver_features);
	EXPECT_EQ(0xffff, CC(self, CC_MSIX, 2));
	CC_WR(self, 0x3000, 2, 0);
	EXPECT_EQ(1, self->fake.notifies[0]);

	/* again, and a reset requested before the start ran: no start */
	driver_init(_metadata, self, V1);
	CC_WR(self, CC_STATUS, 1, 0x0f);
	CC_WR(self, CC_STATUS, 1, 0);
	EXPECT_NE(0, CC(self, CC_STATUS, 1));
	kshim_run_work();
	EXPECT_EQ(1, self->fake.starts);
	EXPECT_EQ(1, self->fake.resets);
	EXPECT_EQ(0, CC(self, CC_STATUS, 1));

	/* system reset of a started device */
	driver_init(_metadata, self, V1);
	CC_WR(self, CC_STATUS, 1, 0x0f);
	kshim_run_work();
	EXPECT_EQ(2, self->fake.starts);
	kestrel_virtio_pci_reset(self->vp);
	kestrel_pci_bus_reset(self->bus);
	EXPECT_EQ(2, self->fake.resets);
	EXPECT_EQ(0, CC(self, CC_STATUS, 1));
	EXPECT_FALSE(self->fake.vdev.queues[0].enabled);
}

TEST_F(vpci, start_failure_and_needs_reset)
{
	driver_init(_metadata, self, V1);
	self->fake.start_err = -ENOMEM;
	nr_msgs = 0;
	CC_WR(self, CC_STATUS, 1, 0x0f);
	kshim_run_work();
	EXPECT_EQ(1, self->fake.starts);
	EXPECT_EQ(0x4f, CC(self, CC_STATUS, 1));
	EXPECT_EQ(1, nr_msgs);		/* config vector 0 */
	EXPECT_EQ(0x40, msgs[0].vector);
	/* not started: a reset does not call ops->reset */
	CC_WR(self, CC_STATUS, 1, 0);
	kshim_run_work();
	EXPECT_EQ(0, self->fake.resets);
	EXPECT_EQ(0, CC(self, CC_STATUS, 1));

	self->fake.start_err = 0;
	driver_init(_metadata, self, V1);
	CC_WR(self, CC_STATUS, 1, 0x0f);
	kshim_run_work();
	nr_msgs = 0;
	self->fake.vdev.needs_reset(&self->fake.vdev);
	EXPECT_EQ(0x4f, CC(self, CC_STATUS, 1));
	EXPECT_EQ(1, nr_msgs);
	EXPECT_EQ(2, CC(self, 0x1000, 1));
	/* the driver cannot clear it but by reset */
	CC_WR(self, CC_STATUS, 1, 0x0f);
	EXPECT_EQ(0x4f, CC(self, CC_STATUS, 1));
	CC_WR(self, CC_STATUS, 1, 0);
	kshim_run_work();
	EXPECT_EQ(0, CC(self, CC_STATUS, 1));
	EXPECT_EQ(1, self->fake.resets);
}

TEST_F(vpci, no_msix_sets_isr_only)
{
	driver_init(_metadata, self, V1);
	/* MSI-X off again */
	{
		unsigned int v;

		for (v = cfg_rd(self->bus, 0x34, 1); v; v = cfg_rd(self->bus, v + 1, 1))
			if (cfg_rd(self->bus, v, 1) == 0x11)
				cfg_wr(self->bus, v + 2, 2, 0);
	}
	CC_WR(self, CC_STATUS, 1, 0x0f);
	kshim_run_work();
	nr_msgs = 0;
	self->fake.vdev.interrupt(&self->fake.vdev, 0);
	EXPECT_EQ(0, nr_msgs);
	EXPECT_EQ(1, CC(self, 0x1000, 1));
	EXPECT_EQ(0, CC(self, 0x1000, 1));
}

TEST_F(vpci, pci_cfg_window)
{
	unsigned int c;

	for (c = cfg_rd(self->bus, 0x34, 1); c; c = cfg_rd(self->bus, c + 1, 1))
		if (cfg_rd(self->bus, c, 1) == 9 && cfg_rd(self->bus, c + 3, 1) == CAP_PCI)
			break;
	ASSERT_NE(0, c);
	/* read num_queues through the window */
	cfg_wr(self->bus, c + 4, 1, 4);
	cfg_wr(self->bus, c + 8, 4, CC_NUMQ);
	cfg_wr(self->bus, c + 12, 4, 2);
	EXPECT_EQ(4, cfg_rd(self->bus, c + 4, 1));
	EXPECT_EQ(CC_NUMQ, cfg_rd(self->bus, c + 8, 4));
	EXPECT_EQ(NQ, cfg_rd(self->bus, c + 16, 4));
	/* write queue_select through it */
	cfg_wr(self->bus, c + 8, 4, CC_Q_SELECT);
	cfg_wr(self->bus, c + 16, 4, 2);
	EXPECT_EQ(2, CC(self, CC_Q_SELECT, 2));
	/* bad length or alignment: all ones, dropped */
	cfg_wr(self->bus, c + 12, 4, 3);
	EXPECT_EQ(0xffffffff, cfg_rd(self->bus, c + 16, 4));
	cfg_wr(self->bus, c + 12, 4, 4);
	cfg_wr(self->bus, c + 8, 4, 2);
	EXPECT_EQ(0xffffffff, cfg_rd(self->bus, c + 16, 4));
	/* another BAR, beyond it */
	cfg_wr(self->bus, c + 4, 1, 5);
	cfg_wr(self->bus, c + 8, 4, 0);
	EXPECT_EQ(0xffffffff, cfg_rd(self->bus, c + 16, 4));
	cfg_wr(self->bus, c + 4, 1, 4);
	cfg_wr(self->bus, c + 8, 4, 0x10000);
	EXPECT_EQ(0xffffffff, cfg_rd(self->bus, c + 16, 4));
	/* the type and length bytes are read-only */
	cfg_wr(self->bus, c, 4, 0);
	EXPECT_EQ(9, cfg_rd(self->bus, c, 1));
	EXPECT_EQ(20, cfg_rd(self->bus, c + 2, 1));
	EXPECT_EQ(CAP_PCI, cfg_rd(self->bus, c + 3, 1));
}

/* Packed rings: offered per parameter and size, any queue size then. */
TEST_F(vpci, packed_rings)
{
	const u64 packed = 1ULL << KESTREL_VIRTIO_F_RING_PACKED;
	struct kestrel_virtio_queue *vq = &self->fake.vdev.queues[0];
	struct kestrel_virtio_ops big = fake_ops;

	/* split: only powers of 2 */
	CC_WR(self, CC_STATUS, 1, 3);
	CC_WR(self, CC_GFSELECT, 4, 1);
	CC_WR(self, CC_GF, 4, 1);
	CC_WR(self, CC_STATUS, 1, 0x0b);
	ASSERT_EQ(0x0b, CC(self, CC_STATUS, 1));
	CC_WR(self, CC_Q_SELECT, 2, 0);
	CC_WR(self, CC_Q_SIZE, 2, 100);
	EXPECT_EQ(QMAX, vq->size);
	CC_WR(self, CC_STATUS, 1, 0);

	/* packed accepted: any size from 1 up to the maximum */
	CC_WR(self, CC_STATUS, 1, 3);
	CC_WR(self, CC_GFSELECT, 4, 1);
	CC_WR(self, CC_GF, 4, (1 | packed >> 32));
	CC_WR(self, CC_STATUS, 1, 0x0b);
	ASSERT_EQ(0x0b, CC(self, CC_STATUS, 1));
	EXPECT_EQ(V1 | packed, self->fake.vdev.driver_features);
	CC_WR(self, CC_Q_SIZE, 2, 100);
	EXPECT_EQ(100, vq->size);
	EXPECT_EQ(100, CC(self, CC_Q_SIZE, 2));
	CC_WR(self, CC_Q_SIZE, 2, 1);
	EXPECT_EQ(1, vq->size);
	CC_WR(self, CC_Q_SIZE, 2, QMAX + 1);
	EXPECT_EQ(1, vq->size);
	CC_WR(self, CC_Q_SIZE, 2, 0);
	EXPECT_EQ(1, vq->size);
	/* the three addresses as they are */
	CC_WR(self, CC_Q_DESC, 8, 0x5000);
	CC_WR(self, CC_Q_DRIVER, 8, 0x6004);
	CC_WR(self, CC_Q_DEVICE, 8, 0x7008);
	EXPECT_EQ(0x5000, vq->desc);
	EXPECT_EQ(0x6004, vq->driver);
	EXPECT_EQ(0x7008, vq->device);
	/* reset forgets it: powers of 2 again */
	CC_WR(self, CC_STATUS, 1, 0);
	EXPECT_EQ(0, self->fake.vdev.driver_features);
	EXPECT_EQ(QMAX, vq->size);
	EXPECT_EQ(0, vq->desc);
	CC_WR(self, CC_Q_SIZE, 2, 100);
	EXPECT_EQ(QMAX, vq->size);

	/* not offered with the parameter off */
	packed_rings = false;
	CC_WR(self, CC_DFSELECT, 4, 1);
	EXPECT_EQ(1, CC(self, CC_DF, 4));
	CC_WR(self, CC_STATUS, 1, 3);
	CC_WR(self, CC_GFSELECT, 4, 1);
	CC_WR(self, CC_GF, 4, (1 | packed >> 32));
	CC_WR(self, CC_STATUS, 1, 0x0b);
	EXPECT_EQ(3, CC(self, CC_STATUS, 1));
	packed_rings = true;
	CC_WR(self, CC_STATUS, 1, 0);

	/* nor to a device whose queues are too large for it */
	big.max_queue_size = 2 * KESTREL_VQ_PACKED_MAX_SIZE;
	self->vp->ops = &big;
	CC_WR(self, CC_DFSELECT, 4, 1);
	EXPECT_EQ(1, CC(self, CC_DF, 4));
	self->vp->ops = &fake_ops;
	EXPECT_EQ(1 | packed >> 32, CC(self, CC_DF, 4));
}

TEST(bad_ops)
{
	struct kestrel_pci_bus_params p = { .deliver = deliver };
	struct kestrel_pci_bus *bus = kestrel_pci_bus_create(&p);
	struct kestrel_virtio_ops ops = fake_ops;
	struct fake f = { .vdev.ops = &ops }, f2 = { .vdev.ops = &fake_ops };
	struct kestrel_virtio_pci *vp, *vp2 = NULL;

	ops.max_queue_size = 100;
	EXPECT_EQ(-EINVAL, kestrel_virtio_pci_create(bus, &f.vdev, 0, &vp));
	ops = fake_ops;
	ops.num_queues = 0;
	EXPECT_EQ(-EINVAL, kestrel_virtio_pci_create(bus, &f.vdev, 0, &vp));
	ops.num_queues = KESTREL_VIRTIO_MAX_QUEUES + 1;
	EXPECT_EQ(-EINVAL, kestrel_virtio_pci_create(bus, &f.vdev, 0, &vp));
	ops = fake_ops;
	ops.config_len = 0x1001;
	EXPECT_EQ(-EINVAL, kestrel_virtio_pci_create(bus, &f.vdev, 0, &vp));
	ops = fake_ops;
	ops.notify = NULL;
	EXPECT_EQ(-EINVAL, kestrel_virtio_pci_create(bus, &f.vdev, 0, &vp));
	/* 64 queues and no device config fit */
	ops = fake_ops;
	ops.num_queues = KESTREL_VIRTIO_MAX_QUEUES;
	ops.config_len = 0;
	ops.config_read = NULL;
	ops.config_write = NULL;
	ASSERT_EQ(0, kestrel_virtio_pci_create(bus, &f.vdev, 0, &vp));
	EXPECT_EQ(65, kestrel_pci_msix_vectors(&vp->pci));
	EXPECT_EQ(1, vp->pci.slot);
	kestrel_virtio_pci_destroy(vp);
	/* at a given slot: 1-31, once */
	ops = fake_ops;
	EXPECT_EQ(-EINVAL, kestrel_virtio_pci_create(bus, &f.vdev, 32, &vp));
	/* the destroyed one left its slot */
	EXPECT_EQ(0xffffffff, kestrel_pci_ecam_read(bus, 1 << 15, 4));
	ASSERT_EQ(0, kestrel_virtio_pci_create(bus, &f.vdev, 7, &vp));
	EXPECT_EQ(7, vp->pci.slot);
	EXPECT_EQ(0x10441af4, kestrel_pci_ecam_read(bus, 7 << 15, 4));
	EXPECT_EQ(-EBUSY, kestrel_virtio_pci_create(bus, &f2.vdev, 7, &vp2));
	kestrel_virtio_pci_destroy(vp);
	EXPECT_EQ(0xffffffff, kestrel_pci_ecam_read(bus, 7 << 15, 4));
	kestrel_pci_bus_destroy(bus);
}

static unsigned int rnd_state = 4242;

static unsigned int rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

TEST_F(vpci, garbage_does_not_crash)
{
	static const unsigned int lens[] = { 1, 2, 4, 8, 3, 0 };
	unsigned int i;

	for (i = 0; i < 300000; i++) {
		unsigned int len = lens[rnd() % 6];
		u64 val = (u64)rnd() << 32 | rnd();
		u64 off;

		/* mostly valid-looking values to get deep into the protocol */
		if (rnd() % 2)
			val &= rnd() % 2 ? 0xf : 0xffff;
		switch (rnd() % 8) {
		case 0:
			off = rnd() % 0x40;
			CC_WR(self, off, len, val);
			break;
		case 1:
			off = rnd() % 0x4010;
			CC_WR(self, off, len, val);
			break;
		case 2:
			CC(self, rnd() % 0x4010, len);
			break;
		case 3:
			kestrel_pci_ecam_write(self->bus, 1 << 15 | (rnd() % 0x100),
					       len, val);
			break;
		case 4:
			kestrel_pci_ecam_read(self->bus, 1 << 15 | (rnd() % 0x100), len);
			break;
		case 5:
			kestrel_pci_mmio_write(self->bus, self->bar1 + rnd() % 0x2000,
					       len, val);
			break;
		case 6:
			if (rnd() % 4 == 0)
				kshim_run_work();
			self->fake.vdev.interrupt(&self->fake.vdev, rnd() % 70);
			break;
		default:
			CC_WR(self, CC_STATUS, 1, rnd() % 4 ? rnd() & 0xff : 0);
		}
		/* the contract: the configuration is stable while started */
		if (self->vp->started) {
			ASSERT_EQ(self->fake.features_at_start,
				  self->fake.vdev.driver_features);
			ASSERT_EQ(0, memcmp(self->fake.q_at_start,
					    self->fake.vdev.queues,
					    sizeof(self->fake.q_at_start)));
		}
		ASSERT_GE(1U, self->fake.starts - self->fake.resets);
	}
	kshim_run_work();
	EXPECT_EQ(0x10441af4, cfg_rd(self->bus, 0, 4));
}

TEST_HARNESS_MAIN
