/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between a virtio device model (rng.c, later blk, net,
 * console) and the transport that shows it to the guest (pci.c, virtio-pci
 * 1.x).  The transport owns the registers the driver sees: status, feature
 * selection, queue configuration, MSI-X vectors, notifications.  The device
 * owns its configuration space and its queues' contents.
 *
 * Contexts and locking:
 * - Register accesses arrive in a vCPU thread with preemption disabled:
 *   config_read, config_write and notify must not sleep.  notify should do
 *   no more than wake the device's worker.
 * - start and reset may sleep; the transport calls them from a work item,
 *   never from a register access, and never both at once for one device
 *   (the transport serialises them).  Between start and reset the queue
 *   configuration (struct kestrel_virtio_queue) and driver_features are
 *   stable and the device's workers may read them without a lock.
 * - interrupt and needs_reset may be called from any context, including
 *   the device's workers, between start and the end of reset.
 */
#ifndef KESTREL_VIRTIO_H
#define KESTREL_VIRTIO_H

#include <linux/types.h>

/* Device IDs (virtio 1.2, 5 "Device Types"). */
#define KESTREL_VIRTIO_ID_NET		1
#define KESTREL_VIRTIO_ID_BLOCK		2
#define KESTREL_VIRTIO_ID_CONSOLE	3
#define KESTREL_VIRTIO_ID_RNG		4

/* Reserved feature bits (virtio 1.2, 6 "Reserved Feature Bits"). */
#define KESTREL_VIRTIO_F_INDIRECT_DESC	28
#define KESTREL_VIRTIO_F_EVENT_IDX	29
#define KESTREL_VIRTIO_F_VERSION_1	32
#define KESTREL_VIRTIO_F_ACCESS_PLATFORM 33
#define KESTREL_VIRTIO_F_RING_PACKED	34

#define KESTREL_VIRTIO_MAX_QUEUES	64
#define KESTREL_VIRTIO_NO_VECTOR	0xffff

struct kestrel_mem;
struct kestrel_virtio_dev;

/* One queue as the driver configured it (virtio-pci common config). */
struct kestrel_virtio_queue {
	u16 size;		/* entries <= max_queue_size, a power of 2
				 * unless VIRTIO_F_RING_PACKED
				 */
	bool enabled;		/* queue_enable was written 1 */
	u16 msix_vector;	/* KESTREL_VIRTIO_NO_VECTOR: none */
	u64 desc;		/* guest physical addresses */
	u64 driver;		/* the available ring (packed: driver event) */
	u64 device;		/* the used ring (packed: device event) */
};

struct kestrel_virtio_ops {
	u32 device_id;			/* KESTREL_VIRTIO_ID_* */
	u64 features;			/* offered; VERSION_1 is implied */
	u16 num_queues;			/* <= KESTREL_VIRTIO_MAX_QUEUES */
	u16 max_queue_size;		/* a power of 2, <= 32768 */
	u32 config_len;			/* bytes of device config space */
	/* Device config space, @off + @len <= config_len.  No sleeping. */
	void (*config_read)(struct kestrel_virtio_dev *vdev, u32 off,
			    void *buf, u32 len);
	void (*config_write)(struct kestrel_virtio_dev *vdev, u32 off,
			     const void *buf, u32 len);
	/* DRIVER_OK: the enabled queues are live.  May sleep. */
	int (*start)(struct kestrel_virtio_dev *vdev);
	/* Stop using the queues and forget them; after start.  May sleep. */
	void (*reset)(struct kestrel_virtio_dev *vdev);
	/* The driver notified queue @q.  No sleeping. */
	void (*notify)(struct kestrel_virtio_dev *vdev, u16 q);
};

/*
 * Embedded in the device model's own structure (container_of).  The
 * transport fills in everything below ops before start.
 */
struct kestrel_virtio_dev {
	const struct kestrel_virtio_ops *ops;
	struct kestrel_mem *mem;	/* guest RAM */
	u64 driver_features;		/* accepted, a subset of ops->features */
	struct kestrel_virtio_queue queues[KESTREL_VIRTIO_MAX_QUEUES];
	/* The transport's: signal queue @q's used buffers (its vector). */
	void (*interrupt)(struct kestrel_virtio_dev *vdev, u16 q);
	/* The transport's: the config space changed (config vector). */
	void (*config_changed)(struct kestrel_virtio_dev *vdev);
	/*
	 * The transport's: the driver broke the protocol (a bad ring); set
	 * DEVICE_NEEDS_RESET and signal a config change.  The device stops
	 * processing on its own until reset.
	 */
	void (*needs_reset)(struct kestrel_virtio_dev *vdev);
	void *transport;		/* the transport's private data */
};

#endif /* KESTREL_VIRTIO_H */
