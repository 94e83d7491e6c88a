/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-rng (virtio 1.2, 5.4): device ID 4, one queue ("requestq") of
 * device-writable buffers that the device fills with random bytes from
 * get_random_bytes(), at most rate_bytes per period_ms (a token bucket
 * whose burst is one period's worth), as libvirt's
 * <rng><rate bytes= period=/></rng> describes it.
 *
 * The device is served by a work item on system_unbound_wq (see rng.c).
 *
 * Life cycle, for the platform:
 *   rng = kestrel_virtio_rng_create(&params, "domain 3 rng0");
 *   vdev = kestrel_virtio_rng_vdev(rng);
 *   ... hand vdev to a transport, which fills vdev->mem, ->interrupt,
 *   ->config_changed, ->needs_reset and ->transport, and calls
 *   vdev->ops->start/reset/notify/config_* as virtio.h says ...
 *   ... remove the transport: no call into vdev->ops may follow ...
 *   kestrel_virtio_rng_destroy(rng);
 */
#ifndef KESTREL_VIRTIO_RNG_H
#define KESTREL_VIRTIO_RNG_H

#include <linux/types.h>

struct kestrel_virtio_dev;
struct kestrel_virtio_rng;

#define KESTREL_VIRTIO_RNG_RATE_DEFAULT		(1024 * 1024)	/* bytes */
#define KESTREL_VIRTIO_RNG_PERIOD_DEFAULT	1000		/* ms */

struct kestrel_virtio_rng_params {
	u64 rate_bytes;			/* per period; 0: no limit */
	u32 period_ms;			/* > 0 when rate_bytes is */
};

/*
 * A new device (not started); @params NULL: the defaults (1 MiB per
 * second).  @name prefixes its log lines (copied).  ERR_PTR(-EINVAL) for
 * a rate without a period, ERR_PTR(-ENOMEM).  May sleep.
 */
struct kestrel_virtio_rng *
kestrel_virtio_rng_create(const struct kestrel_virtio_rng_params *params,
			  const char *name);
/* The device as a transport sees it. */
struct kestrel_virtio_dev *kestrel_virtio_rng_vdev(struct kestrel_virtio_rng *rng);
/*
 * Stop the worker (waiting for it) and free the device; NULL is ignored.
 * The transport must already be gone.  May sleep.
 */
void kestrel_virtio_rng_destroy(struct kestrel_virtio_rng *rng);

#endif /* KESTREL_VIRTIO_RNG_H */
