// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4; the driver: drivers/char/hw_random/
 * virtio-rng.c).  No configuration space, no device-specific feature;
 * INDIRECT_DESC and EVENT_IDX are offered.
 *
 * The worker is a delayed work item on system_unbound_wq rather than a
 * vhost-style thread per device: an entropy source rate limited to about a
 * megabyte a second needs little CPU, a thread would cost every domain a
 * task and its stack, and a delayed work item is also the timer the rate
 * limit needs (when the bucket is empty the work is queued again with the
 * delay that refills it, and a notification meanwhile does not shorten
 * it).  Unbound, it does not preempt the vCPU that kicked it.  Devices
 * with real throughput (blk, net) want vhost's thread in the domain's
 * cgroups instead.
 *
 * Locking: @lock orders "running" against queueing the work: notify and
 * the worker queue it only while running, and reset clears running before
 * cancel_delayed_work_sync(), so once reset returns no work is pending or
 * running and the queue is left alone.  The queue itself is the worker's
 * alone (start initialises it before the worker can run).
 *
 * The driver may only put device-writable buffers on the queue; a chain
 * with a readable buffer, or any ring error, breaks the queue: the worker
 * reports it once through vdev->needs_reset and serves nothing more until
 * reset.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#endif

#include "virtio.h"
#include "virtqueue.h"
#include "rng.h"

#define RNG_QUEUE_SIZE		64
/* Enough for any chain the specification allows (virtqueue.h). */
#define RNG_MAX_SEGS		(2 * RNG_QUEUE_SIZE)
/* Random bytes are drawn this many at a time. */
#define RNG_CHUNK		256
/* Not worth waking up for less (unless the burst is smaller). */
#define RNG_MIN_GRANT		64
/* One run of the worker serves at most this much, then yields. */
#define RNG_RUN_BYTES		(64 * 1024)
#define RNG_RUN_CHAINS		64

#define RNG_NS_PER_MS		1000000ULL

struct kestrel_virtio_rng {
	struct kestrel_virtio_dev vdev;
	struct kestrel_vq vq;
	char name[48];

	spinlock_t lock;
	bool running;			/* between start and reset; @lock */
	struct delayed_work work;
	bool reported;			/* needs_reset called for this start */

	/* Token bucket; 0 rate: unlimited.  The worker's. */
	u64 rate_bytes;
	u64 period_ns;
	u64 tokens;			/* <= rate_bytes (the burst) */
	u64 last_ns;			/* when tokens were last added */

	u64 served;			/* bytes given to the driver */
	struct kestrel_vq_seg segs[RNG_MAX_SEGS];
	u8 buf[RNG_CHUNK];
};

static struct kestrel_virtio_rng *to_rng(struct kestrel_virtio_dev *vdev)
{
	return container_of(vdev, struct kestrel_virtio_rng, vdev);
}

/* Queue the worker after @delay jiffies, unless reset has begun. */
static void rng_kick(struct kestrel_virtio_rng *rng, unsigned long delay)
{
	spin_lock(&rng->lock);
	if (rng->running)
		queue_delayed_work(system_unbound_wq, &rng->work, delay);
	spin_unlock(&rng->lock);
}

static void rng_refill(struct kestrel_virtio_rng *rng, u64 now)
{
	u64 elapsed = now - rng->last_ns;
	u64 add;

	if (rng->tokens >= rng->rate_bytes) {
		rng->last_ns = now;
		return;
	}
	if (elapsed >= rng->period_ns)
		add = rng->rate_bytes;
	else
		add = mul_u64_u64_div_u64(elapsed, rng->rate_bytes,
					  rng->period_ns);
	/* Keep the fraction of a byte: the clock is not reset until one. */
	if (!add)
		return;
	rng->tokens += add;
	if (rng->tokens > rng->rate_bytes)
		rng->tokens = rng->rate_bytes;
	rng->last_ns = now;
}

/* Bytes the bucket grants now, or 0 after queueing the worker to wait. */
static u64 rng_grant(struct kestrel_virtio_rng *rng)
{
	u64 want = rng->rate_bytes < RNG_MIN_GRANT ? rng->rate_bytes :
		   RNG_MIN_GRANT;
	u64 ns;

	if (!rng->rate_bytes)
		return RNG_RUN_BYTES;
	rng_refill(rng, ktime_get_ns());
	if (rng->tokens >= want)
		return rng->tokens;
	ns = mul_u64_u64_div_u64(want - rng->tokens, rng->period_ns,
				 rng->rate_bytes) + 1;
	rng_kick(rng, nsecs_to_jiffies(ns) + 1);
	return 0;
}

/* Fill the first @len bytes of @c's writable part; 0 or -errno. */
static int rng_fill(struct kestrel_virtio_rng *rng,
		    const struct kestrel_vq_chain *c, u32 len)
{
	u32 off = 0;

	while (off < len) {
		u32 n = len - off < RNG_CHUNK ? len - off : RNG_CHUNK;
		long ret;

		get_random_bytes(rng->buf, n);
		ret = kestrel_vq_copy_to_chain(&rng->vq, c, off, rng->buf, n);
		if (ret < 0)
			return ret;
		off += n;
	}
	memset(rng->buf, 0, sizeof(rng->buf));
	return 0;
}

/* The worker: serve chains while the bucket and this run's budget last. */
static void rng_process(struct kestrel_virtio_rng *rng)
{
	struct kestrel_vq *vq = &rng->vq;
	struct kestrel_vq_chain c = {
		.segs = rng->segs,
		.max_segs = RNG_MAX_SEGS,
	};
	u32 budget = RNG_RUN_BYTES;
	unsigned int chains = 0;
	bool pushed = false;

	if (!READ_ONCE(rng->running) || !vq->ready)
		return;
	if (kestrel_vq_broken(vq))
		goto broken;

	kestrel_vq_disable_notify(vq);
	for (;;) {
		u64 grant;
		u32 len;
		int ret;

		if (!budget || chains == RNG_RUN_CHAINS) {
			rng_kick(rng, 0);
			break;
		}
		ret = kestrel_vq_pop(vq, &c);
		if (ret < 0)
			goto broken;
		if (!ret) {
			if (!kestrel_vq_enable_notify(vq))
				break;
			kestrel_vq_disable_notify(vq);
			continue;
		}
		if (c.n_out) {
			kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
			goto broken;
		}
		/* Out of tokens: leave the chain for when there are some. */
		grant = rng_grant(rng);
		if (!grant) {
			kestrel_vq_unpop(vq, 1);
			break;
		}
		chains++;
		len = c.in_len;
		if (len > budget)
			len = budget;
		if (len > grant)
			len = grant;
		if (rng_fill(rng, &c, len) || kestrel_vq_push(vq, c.head, len))
			goto broken;
		pushed = true;
		budget -= len;
		rng->served += len;
		if (rng->rate_bytes)
			rng->tokens -= len;
	}
	if (pushed && kestrel_vq_should_interrupt(vq))
		rng->vdev.interrupt(&rng->vdev, 0);
	if (!kestrel_vq_broken(vq))
		return;
broken:
	if (!rng->reported) {
		rng->reported = true;
		rng->vdev.needs_reset(&rng->vdev);
	}
}

static void rng_work(struct work_struct *work)
{
	struct delayed_work *dw = to_delayed_work(work);

	rng_process(container_of(dw, struct kestrel_virtio_rng, work));
}

static void rng_config_read(struct kestrel_virtio_dev *vdev, u32 off,
			    void *buf, u32 len)
{
	memset(buf, 0, len);
}

static void rng_config_write(struct kestrel_virtio_dev *vdev, u32 off,
			     const void *buf, u32 len)
{
}

/*
 * DRIVER_OK.  A queue the driver configured badly is broken here and
 * reported by the worker (needs_reset), not by this function's result.
 */
static int rng_start(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_rng *rng = to_rng(vdev);
	const struct kestrel_virtio_queue *q = &vdev->queues[0];

	rng->reported = false;
	rng->tokens = rng->rate_bytes;
	rng->last_ns = ktime_get_ns();
	if (q->enabled)
		kestrel_vq_init(&rng->vq, vdev->mem, q, vdev->driver_features,
				rng->name);
	else
		kestrel_vq_reset(&rng->vq);

	spin_lock(&rng->lock);
	rng->running = true;
	/* Buffers made available before DRIVER_OK, or a broken ring. */
	if (q->enabled)
		queue_delayed_work(system_unbound_wq, &rng->work, 0);
	spin_unlock(&rng->lock);
	return 0;
}

static void rng_reset(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_rng *rng = to_rng(vdev);

	spin_lock(&rng->lock);
	rng->running = false;
	spin_unlock(&rng->lock);
	cancel_delayed_work_sync(&rng->work);
	kestrel_vq_reset(&rng->vq);
}

/* A vCPU's doorbell: wake the worker (a pending delay stands). */
static void rng_notify(struct kestrel_virtio_dev *vdev, u16 q)
{
	if (q == 0)
		rng_kick(to_rng(vdev), 0);
}

static const struct kestrel_virtio_ops rng_ops = {
	.device_id	= KESTREL_VIRTIO_ID_RNG,
	.features	= (1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) |
			  (1ULL << KESTREL_VIRTIO_F_EVENT_IDX),
	.num_queues	= 1,
	.max_queue_size	= RNG_QUEUE_SIZE,
	.config_len	= 0,
	.config_read	= rng_config_read,
	.config_write	= rng_config_write,
	.start		= rng_start,
	.reset		= rng_reset,
	.notify		= rng_notify,
};

struct kestrel_virtio_rng *
kestrel_virtio_rng_create(const struct kestrel_virtio_rng_params *params,
			  const char *name)
{
	static const struct kestrel_virtio_rng_params defaults = {
		.rate_bytes = KESTREL_VIRTIO_RNG_RATE_DEFAULT,
		.period_ms = KESTREL_VIRTIO_RNG_PERIOD_DEFAULT,
	};
	struct kestrel_virtio_rng *rng;

	if (!params)
		params = &defaults;
	if (params->rate_bytes && !params->period_ms)
		return ERR_PTR(-EINVAL);
	rng = kzalloc(sizeof(*rng), GFP_KERNEL_ACCOUNT);
	if (!rng)
		return ERR_PTR(-ENOMEM);
	rng->vdev.ops = &rng_ops;
	snprintf(rng->name, sizeof(rng->name), "%s", name ? name : "virtio-rng");
	spin_lock_init(&rng->lock);
	INIT_DELAYED_WORK(&rng->work, rng_work);
	rng->rate_bytes = params->rate_bytes;
	rng->period_ns = params->period_ms * RNG_NS_PER_MS;
	return rng;
}

struct kestrel_virtio_dev *kestrel_virtio_rng_vdev(struct kestrel_virtio_rng *rng)
{
	return &rng->vdev;
}

void kestrel_virtio_rng_destroy(struct kestrel_virtio_rng *rng)
{
	if (!rng)
		return;
	spin_lock(&rng->lock);
	rng->running = false;
	spin_unlock(&rng->lock);
	cancel_delayed_work_sync(&rng->work);
	kfree(rng);
}
