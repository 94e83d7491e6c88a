// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-pci 1.x transport (virtio 1.2, 4.1 "Virtio Over PCI Bus"):
 * registers, feature negotiation, the device status state machine with
 * start and reset in a work item, MSI-X vectors, notifications.  See
 * pci.h for the layout and what the driver sees.
 *
 * The work item is the only place ops->start and ops->reset run, so they
 * never overlap; it loops until no request is left.  @started says
 * whether the device runs (ops->start returned 0 and ops->reset has not
 * been called since); it is written under the lock and read without it
 * by the notification fast path.
 *
 * Packed rings: VIRTIO_F_RING_PACKED is offered (module parameter
 * packed_rings, default on) to devices whose max_queue_size is at most
 * KESTREL_VQ_PACKED_MAX_SIZE.  Once the driver accepted it, queue_size
 * takes any value from 1 to the maximum, and queue_desc, queue_driver and
 * queue_device are the descriptor ring and the driver and device event
 * suppression structures (the device's kestrel_vq_init() reads them so).
 * A reset clears driver_features, so a split driver gets powers of 2 again.
 */
#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#endif

#include "../dev/pci.h"
#include "pci.h"
#include "virtqueue.h"

/*
 * Offer VIRTIO_F_RING_PACKED (to devices whose queues are no larger than
 * KESTREL_VQ_PACKED_MAX_SIZE); the driver chooses.
 */
static bool packed_rings = true;
#ifdef __KERNEL__
module_param(packed_rings, bool, 0444);
MODULE_PARM_DESC(packed_rings, "offer packed virtqueues (VIRTIO_F_RING_PACKED)");
#endif

/* common configuration registers (virtio 1.2, 4.1.4.3) */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX		0x10
#define CC_NUMQ		0x12
#define CC_STATUS	0x14
#define CC_GENERATION	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30

/* vendor-specific capability types */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4
#define CAP_PCI		5
#define CAP_LEN		16	/* struct virtio_pci_cap */
#define CAP_PCI_LEN	20U	/* with pci_cfg_data */
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_DATA	16U

#define MSIX_TABLE_OFF	0
#define MSIX_PBA_OFF	0x1000
#define MSIX_BAR_SIZE	0x2000

#define ISR_QUEUE	0x1
#define ISR_CONFIG	0x2

struct kestrel_virtio_pci {
	struct kestrel_pci_dev pci;
	struct kestrel_virtio_dev *vdev;
	const struct kestrel_virtio_ops *ops;
	struct work_struct work;
	spinlock_t lock;	/* everything below */
	u32 dfselect, gfselect;
	u16 msix_config;
	u16 queue_select;
	u8 status;
	u8 generation;
	u8 isr;
	bool start_req, reset_req;
	bool started;
	u8 pcicfg_cap;		/* offset of the PCI_CFG capability */
	u8 pcicfg[CAP_PCI_LEN];	/* its bytes as the guest wrote them */
};

static u64 vp_ones(unsigned int len)
{
	return len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

static u64 offered(const struct kestrel_virtio_pci *vp)
{
	u64 f = vp->ops->features | 1ULL << KESTREL_VIRTIO_F_VERSION_1;

	if (packed_rings &&
	    vp->ops->max_queue_size <= KESTREL_VQ_PACKED_MAX_SIZE)
		f |= 1ULL << KESTREL_VIRTIO_F_RING_PACKED;
	return f;
}

static u16 nr_vectors(const struct kestrel_virtio_pci *vp)
{
	return kestrel_pci_msix_vectors(&vp->pci);
}

static u16 check_vector(const struct kestrel_virtio_pci *vp, u16 v)
{
	return v < nr_vectors(vp) ? v : KESTREL_VIRTIO_NO_VECTOR;
}

/* Registers to power-on (the lock held, or nobody else around). */
static void regs_reset(struct kestrel_virtio_pci *vp)
{
	struct kestrel_virtio_dev *vdev = vp->vdev;
	unsigned int q;

	vp->status = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->msix_config = KESTREL_VIRTIO_NO_VECTOR;
	vp->queue_select = 0;
	vp->isr = 0;
	vdev->driver_features = 0;
	for (q = 0; q < KESTREL_VIRTIO_MAX_QUEUES; q++) {
		struct kestrel_virtio_queue *vq = &vdev->queues[q];

		vq->size = q < vp->ops->num_queues ? vp->ops->max_queue_size : 0;
		vq->enabled = false;
		vq->msix_vector = KESTREL_VIRTIO_NO_VECTOR;
		vq->desc = vq->driver = vq->device = 0;
	}
}

/* ---- interrupts (the device's side; any context) ---- */

static void vp_interrupt(struct kestrel_virtio_dev *vdev, u16 q)
{
	struct kestrel_virtio_pci *vp = vdev->transport;
	unsigned long flags;
	u16 vector;

	if (q >= vp->ops->num_queues)
		return;
	spin_lock_irqsave(&vp->lock, flags);
	vp->isr |= ISR_QUEUE;
	vector = vdev->queues[q].msix_vector;
	spin_unlock_irqrestore(&vp->lock, flags);
	if (vector != KESTREL_VIRTIO_NO_VECTOR)
		kestrel_pci_msix_notify(&vp->pci, vector);
}

static void vp_config_changed(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_pci *vp = vdev->transport;
	unsigned long flags;
	u16 vector;

	spin_lock_irqsave(&vp->lock, flags);
	vp->isr |= ISR_CONFIG;
	vp->generation++;
	vector = vp->msix_config;
	spin_unlock_irqrestore(&vp->lock, flags);
	if (vector != KESTREL_VIRTIO_NO_VECTOR)
		kestrel_pci_msix_notify(&vp->pci, vector);
}

static void vp_needs_reset(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_pci *vp = vdev->transport;
	unsigned long flags;

	spin_lock_irqsave(&vp->lock, flags);
	if (vp->status && !vp->reset_req)
		vp->status |= KESTREL_VIRTIO_S_NEEDS_RESET;
	spin_unlock_irqrestore(&vp->lock, flags);
	vp_config_changed(vdev);
}

/* ---- start and reset (the work item) ---- */

static void vp_work(struct work_struct *work)
{
	struct kestrel_virtio_pci *vp =
		container_of(work, struct kestrel_virtio_pci, work);
	struct kestrel_virtio_dev *vdev = vp->vdev;
	unsigned long flags;
	unsigned int q;
	bool was;
	int err;

	for (;;) {
		spin_lock_irqsave(&vp->lock, flags);
		if (vp->reset_req) {
			vp->start_req = false;
			was = vp->started;
			WRITE_ONCE(vp->started, false);
			spin_unlock_irqrestore(&vp->lock, flags);
			if (was)
				vp->ops->reset(vdev);
			spin_lock_irqsave(&vp->lock, flags);
			regs_reset(vp);
			vp->reset_req = false;
			spin_unlock_irqrestore(&vp->lock, flags);
			continue;
		}
		if (!vp->start_req) {
			spin_unlock_irqrestore(&vp->lock, flags);
			return;
		}
		vp->start_req = false;
		spin_unlock_irqrestore(&vp->lock, flags);

		err = vp->ops->start(vdev);

		spin_lock_irqsave(&vp->lock, flags);
		if (!err)
			WRITE_ONCE(vp->started, true);
		spin_unlock_irqrestore(&vp->lock, flags);
		if (err) {
			vp_needs_reset(vdev);
			continue;
		}
		/* kicks that came before the start */
		for (q = 0; q < vp->ops->num_queues; q++)
			if (vdev->queues[q].enabled && !READ_ONCE(vp->reset_req))
				vp->ops->notify(vdev, q);
	}
}

/* ---- common configuration ---- */

static bool features_ok(const struct kestrel_virtio_pci *vp)
{
	u64 f = vp->vdev->driver_features;

	return !(f & ~offered(vp)) && (f & 1ULL << KESTREL_VIRTIO_F_VERSION_1);
}

/* device_status write, the lock held; true: queue the work. */
static bool status_write(struct kestrel_virtio_pci *vp, u8 val)
{
	u8 old = vp->status, new;

	if (!val) {
		if (vp->started || vp->start_req) {
			vp->reset_req = true;
			return true;
		}
		regs_reset(vp);
		return false;
	}
	new = old | (val & ~KESTREL_VIRTIO_S_NEEDS_RESET);
	if ((new & ~old & KESTREL_VIRTIO_S_FEATURES_OK) && !features_ok(vp))
		new &= ~KESTREL_VIRTIO_S_FEATURES_OK;
	if (new & ~old & KESTREL_VIRTIO_S_DRIVER_OK) {
		if (!(new & KESTREL_VIRTIO_S_FEATURES_OK)) {
			new &= ~KESTREL_VIRTIO_S_DRIVER_OK;
		} else {
			vp->status = new;
			vp->start_req = true;
			return true;
		}
	}
	vp->status = new;
	return false;
}

static void vp_put_le(u8 *p, unsigned int len, u64 v)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static u64 vp_get_le(const u8 *p, unsigned int len)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static u64 common_read(struct kestrel_virtio_pci *vp, u32 off,
		       unsigned int len)
{
	struct kestrel_virtio_dev *vdev = vp->vdev;
	u8 regs[KESTREL_VIRTIO_PCI_COMMON_LEN] = { };
	unsigned long flags;
	u16 q;

	if (off >= sizeof(regs) || len > sizeof(regs) - off)
		return vp_ones(len);
	spin_lock_irqsave(&vp->lock, flags);
	vp_put_le(regs + CC_DFSELECT, 4, vp->dfselect);
	if (vp->dfselect < 2)
		vp_put_le(regs + CC_DF, 4, offered(vp) >> (32 * vp->dfselect));
	vp_put_le(regs + CC_GFSELECT, 4, vp->gfselect);
	if (vp->gfselect < 2)
		vp_put_le(regs + CC_GF, 4,
		       vdev->driver_features >> (32 * vp->gfselect));
	vp_put_le(regs + CC_MSIX, 2, vp->msix_config);
	vp_put_le(regs + CC_NUMQ, 2, vp->ops->num_queues);
	regs[CC_STATUS] = vp->status;
	regs[CC_GENERATION] = vp->generation;
	q = vp->queue_select;
	vp_put_le(regs + CC_Q_SELECT, 2, q);
	if (q < vp->ops->num_queues) {
		const struct kestrel_virtio_queue *vq = &vdev->queues[q];

		vp_put_le(regs + CC_Q_SIZE, 2, vq->size);
		vp_put_le(regs + CC_Q_MSIX, 2, vq->msix_vector);
		vp_put_le(regs + CC_Q_ENABLE, 2, vq->enabled);
		vp_put_le(regs + CC_Q_NOFF, 2, q);
		vp_put_le(regs + CC_Q_DESC, 8, vq->desc);
		vp_put_le(regs + CC_Q_DRIVER, 8, vq->driver);
		vp_put_le(regs + CC_Q_DEVICE, 8, vq->device);
	} else {
		vp_put_le(regs + CC_Q_MSIX, 2, KESTREL_VIRTIO_NO_VECTOR);
	}
	spin_unlock_irqrestore(&vp->lock, flags);
	return vp_get_le(regs + off, len);
}

/* A 32-bit half (or all, @len 8) of a 64-bit queue address. */
static void addr_write(u64 *addr, u32 rel, unsigned int len, u64 val)
{
	if (len == 8 && !rel)
		*addr = val;
	else if (len == 4 && !rel)
		*addr = (*addr & ~0xffffffffULL) | (u32)val;
	else if (len == 4 && rel == 4)
		*addr = (*addr & 0xffffffffULL) | val << 32;
}

/* Queue registers of the selected queue, the lock held. */
static void queue_write(struct kestrel_virtio_pci *vp, u32 off,
			unsigned int len, u64 val)
{
	struct kestrel_virtio_queue *vq;
	u16 q = vp->queue_select;

	if (q >= vp->ops->num_queues ||
	    (vp->status & KESTREL_VIRTIO_S_DRIVER_OK))
		return;
	vq = &vp->vdev->queues[q];
	if (off == CC_Q_MSIX && len == 2) {
		vq->msix_vector = check_vector(vp, val);
		return;
	}
	if (vq->enabled)
		return;
	if (off == CC_Q_SIZE && len == 2) {
		bool packed = vp->vdev->driver_features &
			      1ULL << KESTREL_VIRTIO_F_RING_PACKED;

		/* Packed rings may have any size (virtio 1.2, 2.8.10.1). */
		if (val && val <= vp->ops->max_queue_size &&
		    (packed || !(val & (val - 1))))
			vq->size = val;
	} else if (off == CC_Q_ENABLE && len == 2) {
		if (val == 1)
			vq->enabled = true;
	} else if (off >= CC_Q_DESC && off < CC_Q_DRIVER) {
		addr_write(&vq->desc, off - CC_Q_DESC, len, val);
	} else if (off >= CC_Q_DRIVER && off < CC_Q_DEVICE) {
		addr_write(&vq->driver, off - CC_Q_DRIVER, len, val);
	} else if (off >= CC_Q_DEVICE &&
		   off < KESTREL_VIRTIO_PCI_COMMON_LEN) {
		addr_write(&vq->device, off - CC_Q_DEVICE, len, val);
	}
}

static void common_write(struct kestrel_virtio_pci *vp, u32 off,
			 unsigned int len, u64 val)
{
	struct kestrel_virtio_dev *vdev = vp->vdev;
	unsigned long flags;
	bool work = false;

	spin_lock_irqsave(&vp->lock, flags);
	if (vp->reset_req)
		goto out;	/* resetting: only the status poll counts */
	if (off == CC_DFSELECT && len == 4) {
		vp->dfselect = val;
	} else if (off == CC_GFSELECT && len == 4) {
		vp->gfselect = val;
	} else if (off == CC_GF && len == 4) {
		if (vp->gfselect < 2 &&
		    !(vp->status & KESTREL_VIRTIO_S_FEATURES_OK)) {
			unsigned int sh = 32 * vp->gfselect;

			vdev->driver_features &= ~(0xffffffffULL << sh);
			vdev->driver_features |= (u64)(u32)val << sh;
		}
	} else if (off == CC_MSIX && len == 2) {
		vp->msix_config = check_vector(vp, val);
	} else if (off == CC_STATUS && len == 1) {
		work = status_write(vp, val);
	} else if (off == CC_Q_SELECT && len == 2) {
		vp->queue_select = val;
	} else if (off >= CC_Q_SIZE && off < KESTREL_VIRTIO_PCI_COMMON_LEN) {
		queue_write(vp, off, len, val);
	}
out:
	spin_unlock_irqrestore(&vp->lock, flags);
	if (work)
		schedule_work(&vp->work);
}

/* ---- BAR 4 ---- */

static struct kestrel_virtio_pci *to_vp(struct kestrel_pci_dev *dev)
{
	return container_of(dev, struct kestrel_virtio_pci, pci);
}

static u64 devcfg_read(struct kestrel_virtio_pci *vp, u32 off,
		       unsigned int len)
{
	u8 buf[8];

	if (off >= vp->ops->config_len || len > vp->ops->config_len - off)
		return vp_ones(len);
	vp->ops->config_read(vp->vdev, off, buf, len);
	return vp_get_le(buf, len);
}

static void devcfg_write(struct kestrel_virtio_pci *vp, u32 off,
			 unsigned int len, u64 val)
{
	u8 buf[8];

	if (off >= vp->ops->config_len || len > vp->ops->config_len - off)
		return;
	vp_put_le(buf, len, val);
	vp->ops->config_write(vp->vdev, off, buf, len);
}

static u64 vp_bar_read(struct kestrel_pci_dev *dev, u64 off, unsigned int len)
{
	struct kestrel_virtio_pci *vp = to_vp(dev);
	unsigned long flags;
	u8 isr;

	if (off < KESTREL_VIRTIO_PCI_ISR)
		return common_read(vp, off, len);
	if (off < KESTREL_VIRTIO_PCI_DEVCFG) {
		if (off != KESTREL_VIRTIO_PCI_ISR)
			return 0;
		spin_lock_irqsave(&vp->lock, flags);
		isr = vp->isr;
		vp->isr = 0;
		spin_unlock_irqrestore(&vp->lock, flags);
		return isr;
	}
	if (off < KESTREL_VIRTIO_PCI_NOTIFY)
		return devcfg_read(vp, off - KESTREL_VIRTIO_PCI_DEVCFG, len);
	return 0;	/* notifications are write-only */
}

static void vp_bar_write(struct kestrel_pci_dev *dev, u64 off,
			 unsigned int len, u64 val)
{
	struct kestrel_virtio_pci *vp = to_vp(dev);
	u64 q;

	if (off >= KESTREL_VIRTIO_PCI_NOTIFY) {
		q = (off - KESTREL_VIRTIO_PCI_NOTIFY) /
		    KESTREL_VIRTIO_PCI_NOTIFY_MULT;
		if (off % KESTREL_VIRTIO_PCI_NOTIFY_MULT ||
		    (len != 2 && len != 4) || q >= vp->ops->num_queues ||
		    !READ_ONCE(vp->started))
			return;
		vp->ops->notify(vp->vdev, q);
	} else if (off < KESTREL_VIRTIO_PCI_ISR) {
		common_write(vp, off, len, val);
	} else if (off >= KESTREL_VIRTIO_PCI_DEVCFG) {
		devcfg_write(vp, off - KESTREL_VIRTIO_PCI_DEVCFG, len, val);
	}
}

/* ---- the PCI configuration access capability ---- */

/* The window's target, or false when it is not a valid access. */
static bool pcicfg_target(struct kestrel_virtio_pci *vp, unsigned int *bar,
			  u32 *off, unsigned int *len)
{
	unsigned long flags;

	spin_lock_irqsave(&vp->lock, flags);
	*bar = vp->pcicfg[CAP_BAR];
	*off = vp_get_le(&vp->pcicfg[CAP_OFFSET], 4);
	*len = vp_get_le(&vp->pcicfg[CAP_LENGTH], 4);
	spin_unlock_irqrestore(&vp->lock, flags);
	return (*len == 1 || *len == 2 || *len == 4) && !(*off % *len);
}

static bool vp_cfg_read(struct kestrel_pci_dev *dev, u32 off,
			unsigned int len, u32 *val)
{
	struct kestrel_virtio_pci *vp = to_vp(dev);
	unsigned int bar, n;
	u32 boff;

	if (off != vp->pcicfg_cap + CAP_DATA)
		return false;
	if (!pcicfg_target(vp, &bar, &boff, &n))
		*val = ~0U;
	else
		*val = kestrel_pci_bar_read(dev, bar, boff, n);
	*val &= vp_ones(len);
	return true;
}

static void vp_cfg_write(struct kestrel_pci_dev *dev, u32 off,
			 unsigned int len, u32 val)
{
	struct kestrel_virtio_pci *vp = to_vp(dev);
	unsigned int bar, n, i;
	unsigned long flags;
	u32 boff, rel;

	if (off < vp->pcicfg_cap || off >= vp->pcicfg_cap + CAP_PCI_LEN)
		return;
	rel = off - vp->pcicfg_cap;
	spin_lock_irqsave(&vp->lock, flags);
	for (i = 0; i < len && rel + i < CAP_PCI_LEN; i++)
		if (rel + i >= CAP_BAR && rel + i != CAP_BAR + 1 &&
		    rel + i != CAP_BAR + 2 && rel + i != CAP_BAR + 3)
			vp->pcicfg[rel + i] = val >> (8 * i);
	spin_unlock_irqrestore(&vp->lock, flags);
	if (rel != CAP_DATA || !pcicfg_target(vp, &bar, &boff, &n))
		return;
	kestrel_pci_bar_write(dev, bar, boff, n, val);
}

/* ---- creation ---- */

static int add_vcap(struct kestrel_virtio_pci *vp, u8 type, u32 offset,
		    u32 length, bool notify)
{
	u8 cap[CAP_PCI_LEN] = { KESTREL_PCI_CAP_ID_VNDR };
	u8 wmask[CAP_PCI_LEN] = { };
	unsigned int len = CAP_LEN;

	cap[2] = notify || type == CAP_PCI ? CAP_PCI_LEN : CAP_LEN;
	cap[3] = type;
	cap[CAP_BAR] = KESTREL_VIRTIO_PCI_BAR;
	vp_put_le(&cap[CAP_OFFSET], 4, offset);
	vp_put_le(&cap[CAP_LENGTH], 4, length);
	if (notify) {
		vp_put_le(&cap[CAP_DATA], 4, KESTREL_VIRTIO_PCI_NOTIFY_MULT);
		len = CAP_PCI_LEN;
	}
	if (type == CAP_PCI) {
		cap[CAP_BAR] = 0;
		wmask[CAP_BAR] = 0xff;
		vp_put_le(&wmask[CAP_OFFSET], 4, ~0U);
		vp_put_le(&wmask[CAP_LENGTH], 4, ~0U);
		vp_put_le(&wmask[CAP_DATA], 4, ~0U);
		len = CAP_PCI_LEN;
	}
	return kestrel_pci_add_cap(&vp->pci, cap, wmask, len);
}

static bool ops_valid(const struct kestrel_virtio_ops *ops)
{
	return ops && ops->num_queues && ops->num_queues <= KESTREL_VIRTIO_MAX_QUEUES &&
	       ops->max_queue_size && ops->max_queue_size <= 32768 &&
	       !(ops->max_queue_size & (ops->max_queue_size - 1)) &&
	       ops->config_len <= KESTREL_VIRTIO_PCI_DEVCFG_MAX &&
	       (!ops->config_len || (ops->config_read && ops->config_write)) &&
	       ops->start && ops->reset && ops->notify && ops->device_id &&
	       ops->device_id < 0x40;
}

static int vp_setup(struct kestrel_virtio_pci *vp)
{
	const struct kestrel_virtio_ops *ops = vp->ops;
	struct kestrel_pci_dev *d = &vp->pci;
	int err, off;

	d->vendor_id = KESTREL_VIRTIO_PCI_VENDOR;
	d->device_id = KESTREL_VIRTIO_PCI_DEVICE_BASE + ops->device_id;
	d->subsys_vendor_id = KESTREL_VIRTIO_PCI_VENDOR;
	d->subsys_id = ops->device_id;
	d->revision = 1;
	d->class_code = 0xff0000;
	d->bars[KESTREL_VIRTIO_PCI_MSIX_BAR].size = MSIX_BAR_SIZE;
	d->bars[KESTREL_VIRTIO_PCI_BAR] = (struct kestrel_pci_bar){
		.size = KESTREL_VIRTIO_PCI_BAR_SIZE, .is64 = true,
		.read = vp_bar_read, .write = vp_bar_write,
	};
	d->cfg_read = vp_cfg_read;
	d->cfg_write = vp_cfg_write;
	err = kestrel_pci_dev_init(d);
	if (err)
		return err;
	if (add_vcap(vp, CAP_COMMON, KESTREL_VIRTIO_PCI_COMMON,
		     KESTREL_VIRTIO_PCI_COMMON_LEN, false) < 0 ||
	    add_vcap(vp, CAP_NOTIFY, KESTREL_VIRTIO_PCI_NOTIFY,
		     ops->num_queues * KESTREL_VIRTIO_PCI_NOTIFY_MULT, true) < 0 ||
	    add_vcap(vp, CAP_ISR, KESTREL_VIRTIO_PCI_ISR, 1, false) < 0 ||
	    (ops->config_len &&
	     add_vcap(vp, CAP_DEVICE, KESTREL_VIRTIO_PCI_DEVCFG,
		      ops->config_len, false) < 0))
		return -ENOSPC;
	off = add_vcap(vp, CAP_PCI, 0, 0, false);
	if (off < 0)
		return off;
	vp->pcicfg_cap = off;
	err = kestrel_pci_add_msix(d, ops->num_queues + 1,
				   KESTREL_VIRTIO_PCI_MSIX_BAR, MSIX_TABLE_OFF,
				   KESTREL_VIRTIO_PCI_MSIX_BAR, MSIX_PBA_OFF);
	return err < 0 ? err : 0;
}

int kestrel_virtio_pci_create(struct kestrel_pci_bus *bus,
			      struct kestrel_virtio_dev *vdev,
			      unsigned int slot,
			      struct kestrel_virtio_pci **out)
{
	struct kestrel_virtio_pci *vp;
	int err;

	if (!ops_valid(vdev->ops))
		return -EINVAL;
	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (!vp)
		return -ENOMEM;
	vp->vdev = vdev;
	vp->ops = vdev->ops;
	spin_lock_init(&vp->lock);
	INIT_WORK(&vp->work, vp_work);
	vdev->interrupt = vp_interrupt;
	vdev->config_changed = vp_config_changed;
	vdev->needs_reset = vp_needs_reset;
	vdev->transport = vp;
	regs_reset(vp);
	err = vp_setup(vp);
	if (!err)
		err = slot ? kestrel_pci_register_slot(bus, &vp->pci, slot) :
		      kestrel_pci_register(bus, &vp->pci);
	if (err) {
		vdev->transport = NULL;
		kfree(vp);
		return err;
	}
	*out = vp;
	return 0;
}

void kestrel_virtio_pci_reset(struct kestrel_virtio_pci *vp)
{
	unsigned long flags;
	unsigned int i;
	bool was;

	cancel_work_sync(&vp->work);
	spin_lock_irqsave(&vp->lock, flags);
	was = vp->started;
	WRITE_ONCE(vp->started, false);
	vp->start_req = vp->reset_req = false;
	spin_unlock_irqrestore(&vp->lock, flags);
	if (was)
		vp->ops->reset(vp->vdev);
	spin_lock_irqsave(&vp->lock, flags);
	regs_reset(vp);
	for (i = 0; i < CAP_PCI_LEN; i++)
		vp->pcicfg[i] = 0;
	spin_unlock_irqrestore(&vp->lock, flags);
}

void kestrel_virtio_pci_destroy(struct kestrel_virtio_pci *vp)
{
	if (!vp)
		return;
	kestrel_virtio_pci_reset(vp);
	kestrel_pci_unregister(&vp->pci);
	vp->vdev->transport = NULL;
	kfree(vp);
}
