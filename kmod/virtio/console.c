// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3; the driver: drivers/char/
 * virtio_console.c), a single port: no MULTIPORT, so no control queues.
 *
 * The worker is a work item on system_unbound_wq, as for virtio-rng: a
 * console moves a few bytes at a time and needs little CPU, and a thread
 * per device would cost every domain a task.  Each run serves the
 * transmit queue, then the receive queue, each within a budget of chains
 * and bytes; a run that exhausts one queues the work again.
 *
 * Transmit: each chain's readable bytes go to params.output in chunks of
 * CON_CHUNK, then the chain is used with length 0.  A chain larger than
 * a run's budget is continued in the next run (tx_busy, tx_off).
 *
 * Receive: host input is taken (params.input_get) only into a buffer the
 * guest made available, so nothing is dropped and nothing is kept here:
 * without buffers, input waits in the console's queue.  input_pending says
 * that input may be waiting; input_ready sets it, the worker clears it
 * (under @lock) before it asks input_get, so input that arrives after the
 * worker found none sets it again and queues the work again.  When input
 * is pending and the ring is empty, the worker asks for the guest's
 * notification and stops; the kick queues the work.  While the worker is
 * not waiting for buffers the receive queue's notifications stay off.
 *
 * Locking: @lock orders "running" and "input_pending" against queueing
 * the work: notify, input_ready and the worker queue it only while
 * running, and reset clears running before cancel_work_sync(), so once
 * reset returns no work is pending or running and the queues are left
 * alone.  The queues are the worker's alone (start initialises them
 * before the worker can run).  The emergency write register is served in
 * the vCPU thread that wrote it (params.output never sleeps).
 *
 * A chain with a part of the wrong direction (readable buffers on the
 * receive queue, writable ones on the transmit queue), or any ring error,
 * breaks that queue: the worker reports it once through vdev->needs_reset
 * and serves neither queue until reset.
 */
#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <asm/byteorder.h>
#endif

#include "virtio.h"
#include "virtqueue.h"
#include "console.h"

/* Feature bits (virtio 1.2, 5.3.3). */
#define CON_F_SIZE		0
#define CON_F_MULTIPORT		1
#define CON_F_EMERG_WRITE	2

#define CON_RXQ			0	/* receiveq: host to guest */
#define CON_TXQ			1	/* transmitq: guest to host */
#define CON_NUM_QUEUES		2

#define CON_QUEUE_SIZE		128
/* Enough for any chain the specification allows (virtqueue.h). */
#define CON_MAX_SEGS		(2 * CON_QUEUE_SIZE)
/* Bytes are moved this many at a time. */
#define CON_CHUNK		256
/* One run serves at most this much of each queue, then yields. */
#define CON_RUN_BYTES		(64 * 1024)
#define CON_RUN_CHAINS		64

/* struct virtio_console_config, little endian. */
struct con_config {
	__le16 cols;
	__le16 rows;
	__le32 max_nr_ports;
	__le32 emerg_wr;
};

static_assert(sizeof(struct con_config) == 12, "virtio_console_config");

struct kestrel_virtio_console {
	struct kestrel_virtio_dev vdev;
	struct kestrel_virtio_console_params params;
	struct kestrel_vq rxq;
	struct kestrel_vq txq;
	char name[48];
	char rx_name[64];		/* "<name> rx", for the log */
	char tx_name[64];

	spinlock_t lock;
	bool running;			/* between start and reset; @lock */
	bool input_pending;		/* host input may wait; @lock */
	struct work_struct work;
	bool reported;			/* needs_reset called for this start */

	/* A transmit chain begun in an earlier run.  The worker's. */
	bool tx_busy;
	u32 tx_off;
	struct kestrel_vq_chain tx_chain;
	struct kestrel_vq_seg tx_segs[CON_MAX_SEGS];
	struct kestrel_vq_seg rx_segs[CON_MAX_SEGS];

	u64 tx_bytes;			/* guest output, emergency writes too */
	u64 rx_bytes;			/* host input given to the guest */
	u8 buf[CON_CHUNK];
};

static struct kestrel_virtio_console *to_con(struct kestrel_virtio_dev *vdev)
{
	return container_of(vdev, struct kestrel_virtio_console, vdev);
}

/* Queue the worker, unless reset has begun. */
static void con_kick(struct kestrel_virtio_console *vc)
{
	spin_lock(&vc->lock);
	if (vc->running)
		queue_work(system_unbound_wq, &vc->work);
	spin_unlock(&vc->lock);
}

static void con_set_pending(struct kestrel_virtio_console *vc, bool pending)
{
	spin_lock(&vc->lock);
	vc->input_pending = pending;
	spin_unlock(&vc->lock);
}

/*
 * Serve the transmit queue.  1: the budget ran out (run again), 0: the ring
 * is empty and notifications are on, -errno: the queue is broken.
 */
static int con_tx(struct kestrel_virtio_console *vc)
{
	struct kestrel_vq *vq = &vc->txq;
	struct kestrel_vq_chain *c = &vc->tx_chain;
	u32 budget = CON_RUN_BYTES;
	unsigned int chains = 0;
	bool pushed = false;
	int ret = 0;

	kestrel_vq_disable_notify(vq);
	for (;;) {
		if (!vc->tx_busy) {
			if (!budget || chains == CON_RUN_CHAINS) {
				ret = 1;
				break;
			}
			ret = kestrel_vq_pop(vq, c);
			if (ret < 0)
				return ret;
			if (!ret) {
				if (!kestrel_vq_enable_notify(vq))
					break;
				kestrel_vq_disable_notify(vq);
				continue;
			}
			if (c->n_in)
				return kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
			vc->tx_busy = true;
			vc->tx_off = 0;
			chains++;
		}
		while (vc->tx_off < c->out_len && budget) {
			u32 n = c->out_len - vc->tx_off;
			long got;

			if (n > CON_CHUNK)
				n = CON_CHUNK;
			if (n > budget)
				n = budget;
			got = kestrel_vq_copy_from_chain(vq, c, vc->tx_off,
							 vc->buf, n);
			if (got < 0)
				return got;
			if (!got)	/* cannot happen: out_len says so */
				return kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
			vc->params.output(vc->params.opaque, vc->buf, got);
			vc->tx_off += got;
			vc->tx_bytes += got;
			budget -= got;
		}
		if (vc->tx_off < c->out_len) {
			ret = 1;
			break;
		}
		ret = kestrel_vq_push(vq, c->head, 0);
		if (ret)
			return ret;
		vc->tx_busy = false;
		pushed = true;
	}
	if (pushed && kestrel_vq_should_interrupt(vq))
		vc->vdev.interrupt(&vc->vdev, CON_TXQ);
	return ret;
}

/*
 * Fill up to @limit bytes of @c's writable part with host input, as much
 * as there is.  Returns the bytes written or -errno.
 */
static long con_fill(struct kestrel_virtio_console *vc,
		     const struct kestrel_vq_chain *c, u32 limit)
{
	u32 off = 0;

	while (off < limit) {
		u32 max = limit - off < CON_CHUNK ? limit - off : CON_CHUNK;
		u32 n = 0;
		long ret;

		while (n < max) {
			int ch = vc->params.input_get(vc->params.opaque);

			if (ch < 0)
				break;
			vc->buf[n++] = (u8)ch;
		}
		if (!n)
			break;
		ret = kestrel_vq_copy_to_chain(&vc->rxq, c, off, vc->buf, n);
		if (ret < 0)
			return ret;
		off += n;
		if (n < max)
			break;
	}
	return off;
}

/*
 * Serve the receive queue.  1: the budget ran out (run again), 0: no input
 * or no buffers (then notifications are on), -errno: the queue is broken.
 */
static int con_rx(struct kestrel_virtio_console *vc)
{
	struct kestrel_vq *vq = &vc->rxq;
	struct kestrel_vq_chain c = {
		.segs = vc->rx_segs,
		.max_segs = CON_MAX_SEGS,
	};
	u32 budget = CON_RUN_BYTES;
	unsigned int chains = 0;
	bool pushed = false;
	int ret = 0;

	if (!READ_ONCE(vc->input_pending))
		return 0;
	kestrel_vq_disable_notify(vq);
	while (READ_ONCE(vc->input_pending)) {
		u32 limit;
		long got;

		if (!budget || chains == CON_RUN_CHAINS) {
			ret = 1;
			break;
		}
		ret = kestrel_vq_pop(vq, &c);
		if (ret < 0)
			return ret;
		if (!ret) {
			/* Input but no buffer: wait for the guest's kick. */
			if (!kestrel_vq_enable_notify(vq))
				break;
			kestrel_vq_disable_notify(vq);
			continue;
		}
		ret = 0;
		if (c.n_out)
			return kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
		chains++;
		limit = c.in_len < budget ? c.in_len : budget;
		/* Input arriving from now on sets it again. */
		con_set_pending(vc, false);
		got = con_fill(vc, &c, limit);
		if (got < 0)
			return got;
		if (!got && limit) {
			/* There was none after all: keep the buffer. */
			kestrel_vq_unpop(vq, 1);
			break;
		}
		ret = kestrel_vq_push(vq, c.head, got);
		if (ret)
			return ret;
		pushed = true;
		budget -= got;
		vc->rx_bytes += got;
		/* Filled up: there may be more. */
		if (got == limit)
			con_set_pending(vc, true);
	}
	if (pushed && kestrel_vq_should_interrupt(vq))
		vc->vdev.interrupt(&vc->vdev, CON_RXQ);
	return ret;
}

static void con_work(struct work_struct *work)
{
	struct kestrel_virtio_console *vc =
		container_of(work, struct kestrel_virtio_console, work);
	int more = 0;
	int ret;

	if (!READ_ONCE(vc->running))
		return;
	if (kestrel_vq_broken(&vc->txq) || kestrel_vq_broken(&vc->rxq))
		goto broken;
	if (vc->txq.ready) {
		ret = con_tx(vc);
		if (ret < 0)
			goto broken;
		more |= ret;
	}
	if (vc->rxq.ready) {
		ret = con_rx(vc);
		if (ret < 0)
			goto broken;
		more |= ret;
	}
	if (more)
		con_kick(vc);
	return;
broken:
	if (!vc->reported) {
		vc->reported = true;
		vc->vdev.needs_reset(&vc->vdev);
	}
}

static void con_config_read(struct kestrel_virtio_dev *vdev, u32 off,
			    void *buf, u32 len)
{
	struct con_config cfg = {
		.cols = cpu_to_le16(KESTREL_VIRTIO_CONSOLE_COLS),
		.rows = cpu_to_le16(KESTREL_VIRTIO_CONSOLE_ROWS),
		.max_nr_ports = cpu_to_le32(1),
		.emerg_wr = 0,
	};

	if (off > sizeof(cfg) || len > sizeof(cfg) - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, (const u8 *)&cfg + off, len);
}

/*
 * The emergency write register: the character is in the first byte the
 * driver wrote there (little endian), whatever the access size.  It works
 * before the driver is set up and without the feature acknowledged
 * (virtio 1.2, 5.3.6).  Other writes are ignored: the rest is read-only.
 */
static void con_config_write(struct kestrel_virtio_dev *vdev, u32 off,
			     const void *buf, u32 len)
{
	struct kestrel_virtio_console *vc = to_con(vdev);

	if (off != offsetof(struct con_config, emerg_wr) || !len)
		return;
	vc->params.output(vc->params.opaque, buf, 1);
}

static void con_init_queue(struct kestrel_virtio_console *vc,
			   struct kestrel_vq *vq, u16 i, const char *name)
{
	const struct kestrel_virtio_queue *q = &vc->vdev.queues[i];

	if (q->enabled)
		kestrel_vq_init(vq, vc->vdev.mem, q, vc->vdev.driver_features,
				name);
	else
		kestrel_vq_reset(vq);
}

/*
 * DRIVER_OK.  A queue the driver configured badly is broken here and
 * reported by the worker (needs_reset), not by this function's result.
 */
static int con_start(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_console *vc = to_con(vdev);

	vc->reported = false;
	vc->tx_busy = false;
	con_init_queue(vc, &vc->rxq, CON_RXQ, vc->rx_name);
	con_init_queue(vc, &vc->txq, CON_TXQ, vc->tx_name);

	spin_lock(&vc->lock);
	vc->running = true;
	/*
	 * Input may have arrived before (or with nobody told): look.  Output
	 * made available before DRIVER_OK, or a broken ring, is seen too.
	 */
	vc->input_pending = true;
	queue_work(system_unbound_wq, &vc->work);
	spin_unlock(&vc->lock);
	return 0;
}

static void con_reset(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_console *vc = to_con(vdev);

	spin_lock(&vc->lock);
	vc->running = false;
	spin_unlock(&vc->lock);
	cancel_work_sync(&vc->work);
	kestrel_vq_reset(&vc->rxq);
	kestrel_vq_reset(&vc->txq);
	vc->tx_busy = false;
}

/* A vCPU's doorbell: wake the worker. */
static void con_notify(struct kestrel_virtio_dev *vdev, u16 q)
{
	if (q < CON_NUM_QUEUES)
		con_kick(to_con(vdev));
}

static const struct kestrel_virtio_ops con_ops = {
	.device_id	= KESTREL_VIRTIO_ID_CONSOLE,
	.features	= (1ULL << CON_F_SIZE) |
			  (1ULL << CON_F_EMERG_WRITE) |
			  (1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) |
			  (1ULL << KESTREL_VIRTIO_F_EVENT_IDX),
	.num_queues	= CON_NUM_QUEUES,
	.max_queue_size	= CON_QUEUE_SIZE,
	.config_len	= sizeof(struct con_config),
	.config_read	= con_config_read,
	.config_write	= con_config_write,
	.start		= con_start,
	.reset		= con_reset,
	.notify		= con_notify,
};

struct kestrel_virtio_console *
kestrel_virtio_console_create(const struct kestrel_virtio_console_params *params,
			      const char *name)
{
	struct kestrel_virtio_console *vc;

	if (!params || !params->output || !params->input_get)
		return ERR_PTR(-EINVAL);
	vc = kzalloc(sizeof(*vc), GFP_KERNEL_ACCOUNT);
	if (!vc)
		return ERR_PTR(-ENOMEM);
	vc->vdev.ops = &con_ops;
	vc->params = *params;
	snprintf(vc->name, sizeof(vc->name), "%s",
		 name ? name : "virtio-console");
	snprintf(vc->rx_name, sizeof(vc->rx_name), "%s rx", vc->name);
	snprintf(vc->tx_name, sizeof(vc->tx_name), "%s tx", vc->name);
	spin_lock_init(&vc->lock);
	INIT_WORK(&vc->work, con_work);
	vc->tx_chain.segs = vc->tx_segs;
	vc->tx_chain.max_segs = CON_MAX_SEGS;
	return vc;
}

struct kestrel_virtio_dev *
kestrel_virtio_console_vdev(struct kestrel_virtio_console *vc)
{
	return &vc->vdev;
}

void kestrel_virtio_console_input_ready(struct kestrel_virtio_console *vc)
{
	spin_lock(&vc->lock);
	vc->input_pending = true;
	if (vc->running)
		queue_work(system_unbound_wq, &vc->work);
	spin_unlock(&vc->lock);
}

void kestrel_virtio_console_destroy(struct kestrel_virtio_console *vc)
{
	if (!vc)
		return;
	spin_lock(&vc->lock);
	vc->running = false;
	spin_unlock(&vc->lock);
	cancel_work_sync(&vc->work);
	kfree(vc);
}
