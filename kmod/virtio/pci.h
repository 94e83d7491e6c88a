/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-pci 1.x ("modern") transport: shows a struct
 * kestrel_virtio_dev (virtio.h) as a PCI device on the bus of dev/pci.h.
 *
 *   IDs     vendor 0x1af4, device 0x1040 + virtio device ID, revision 1,
 *           subsystem vendor 0x1af4, subsystem ID the virtio device ID,
 *           class 0xff0000 (Linux's virtio-pci binds by vendor/device).
 *   BAR 1   32-bit memory, 8 KiB: the MSI-X table at 0 (num_queues + 1
 *           vectors) and the PBA at 0x1000.
 *   BAR 4   64-bit memory, 16 KiB, the virtio structures:
 *             0x0000  common configuration (0x38 bytes, virtio 1.2 4.1.4.3)
 *             0x1000  ISR status (read to clear: bit 0 queue, bit 1 config)
 *             0x2000  device configuration (ops->config_len bytes)
 *             0x3000  notifications: queue q at 0x3000 + 4 * q
 *                     (queue_notify_off q, notify_off_multiplier 4)
 *   Capabilities: vendor-specific COMMON, NOTIFY, ISR, DEVICE (when
 *   config_len > 0) and PCI_CFG (the configuration access window), then
 *   MSI-X.  No INTx: interrupt pin 0.  Without MSI-X enabled, queue and
 *   configuration interrupts only set ISR bits.
 *
 * Behaviour the driver sees:
 *   - VERSION_1 is always offered and must be accepted: FEATURES_OK is not
 *     set (reads back clear) when the driver did not accept it or accepted
 *     bits that were not offered.  Driver features are read-only once
 *     FEATURES_OK is set; queue configuration once DRIVER_OK is set (and
 *     a queue's size and addresses once it is enabled).
 *   - VIRTIO_F_RING_PACKED is offered (module parameter packed_rings,
 *     default on) when ops->max_queue_size is at most
 *     KESTREL_VQ_PACKED_MAX_SIZE; when accepted, a queue's desc, driver
 *     and device addresses are its descriptor ring and its driver and
 *     device event suppression structures.
 *   - queue_size: a power of 2 up to ops->max_queue_size (packed: any size
 *     from 1; others are ignored); queue_msix_vector and msix_config: a vector the MSI-X table
 *     has, or they read back NO_VECTOR.
 *   - device_status 0 resets.  When the device was started the reset runs
 *     ops->reset from a work item and device_status reads its old value
 *     until it completed; the driver polls for 0.  Everything else written
 *     meanwhile is dropped.
 *   - DRIVER_OK (with FEATURES_OK) runs ops->start from a work item; then
 *     every enabled queue gets one ops->notify (kicks before the start
 *     completed are not lost).  A failed start sets DEVICE_NEEDS_RESET.
 *   - A notification write (2 or 4 bytes) calls ops->notify(queue) in the
 *     vCPU's MMIO exit, nothing else; notifications of a device that is
 *     not started are dropped (see above).
 *
 * Wiring (the platform): the device model fills vdev->ops and vdev->mem,
 * then kestrel_virtio_pci_create(bus, vdev, &vp).  On system reset, with
 * the vCPUs parked: kestrel_virtio_pci_reset(vp) for every device, then
 * kestrel_pci_bus_reset(bus).  On teardown, with the vCPUs stopped:
 * kestrel_virtio_pci_destroy(vp) for every device (it stops the device
 * with ops->reset if started), then kestrel_pci_bus_destroy(bus).
 *
 * Locking: each transport has a spinlock for its registers; it is never
 * held while calling the device's ops or into the bus, so ops may call
 * vdev->interrupt, config_changed and needs_reset from anywhere.
 */
#ifndef KESTREL_VIRTIO_PCI_H
#define KESTREL_VIRTIO_PCI_H

#include "virtio.h"

#define KESTREL_VIRTIO_PCI_VENDOR	0x1af4
#define KESTREL_VIRTIO_PCI_DEVICE_BASE	0x1040
#define KESTREL_VIRTIO_PCI_MSIX_BAR	1
#define KESTREL_VIRTIO_PCI_BAR		4
#define KESTREL_VIRTIO_PCI_BAR_SIZE	0x4000
#define KESTREL_VIRTIO_PCI_COMMON	0x0000
#define KESTREL_VIRTIO_PCI_COMMON_LEN	0x38
#define KESTREL_VIRTIO_PCI_ISR		0x1000
#define KESTREL_VIRTIO_PCI_DEVCFG	0x2000
#define KESTREL_VIRTIO_PCI_DEVCFG_MAX	0x1000
#define KESTREL_VIRTIO_PCI_NOTIFY	0x3000
#define KESTREL_VIRTIO_PCI_NOTIFY_MULT	4

/* device_status bits (virtio 1.2, 2.1) */
#define KESTREL_VIRTIO_S_ACKNOWLEDGE	0x01
#define KESTREL_VIRTIO_S_DRIVER		0x02
#define KESTREL_VIRTIO_S_DRIVER_OK	0x04
#define KESTREL_VIRTIO_S_FEATURES_OK	0x08
#define KESTREL_VIRTIO_S_NEEDS_RESET	0x40
#define KESTREL_VIRTIO_S_FAILED		0x80

struct kestrel_pci_bus;
struct kestrel_virtio_pci;

/*
 * Create the transport for @vdev (ops and mem filled in; the rest is
 * set here) and plug it into @bus at device number @slot (1..31; 0: the
 * first free one).  0 and *@out, or -EINVAL (bad ops or slot), -ENOMEM,
 * -EBUSY (slot taken), -ENOSPC (bus or window full).  Sleeps; before the
 * domain runs.
 */
int kestrel_virtio_pci_create(struct kestrel_pci_bus *bus,
			      struct kestrel_virtio_dev *vdev,
			      unsigned int slot,
			      struct kestrel_virtio_pci **out);
/*
 * System reset: stop the device (ops->reset if it was started) and put
 * the registers back to power-on.  No vCPU may run.  Sleeps.
 */
void kestrel_virtio_pci_reset(struct kestrel_virtio_pci *vp);
/*
 * As reset, then take it off the bus and free it; before the bus is
 * destroyed, with the vCPUs stopped.  Sleeps.
 */
void kestrel_virtio_pci_destroy(struct kestrel_virtio_pci *vp);

#endif /* KESTREL_VIRTIO_PCI_H */
