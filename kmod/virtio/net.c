// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1; the driver: drivers/net/virtio_net.c) on
 * tap file descriptors, vhost-style (drivers/vhost/net.c) but through the
 * tap's file operations rather than its socket, so that the module has no
 * symbol dependency on tun or tap and works with either.
 *
 * Queues: receive queue 2i and transmit queue 2i + 1 for pair i, the
 * control queue 2 * nr_pairs when nr_pairs > 1.  Pair i transmits on
 * taps[i] and receives from taps[i]; after the driver chose k active pairs
 * (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET; 1 until then) the taps of inactive
 * pairs j >= k are read by active pair j % k, so that frames the tap
 * steered to an inactive queue still reach the guest (the kernel cannot
 * detach a tap queue: TUNSETQUEUE takes a user pointer).
 *
 * Workers: one kthread_worker per queue pair, created with the device and
 * attached to the creator's cgroups (as blk.c explains).  A pair's receive
 * work, transmit work (and on pair 0 the control and link works) run on
 * its worker, so a pair's queues are only ever touched by one thread.
 *
 * Locking: @lock (irqsave: the tap's wake-up comes from softirq context)
 * orders "running" against queueing work: notify (a vCPU), the tap's
 * wake-up, set_link and a worker that used up its budget queue work only
 * while running; reset clears running, cancels every work synchronously
 * and then takes the wait queue entries off the taps, so once reset
 * returns nothing runs and nothing will be queued until start.  Each
 * queue's kestrel_vq, buffers and counters are its worker's alone; the
 * counters are written with WRITE_ONCE and summed with READ_ONCE.
 * @active_pairs is written under @lock by the control work and read with
 * READ_ONCE; @status likewise by set_link.
 *
 * Transmit (5.1.6.2): the readable part of a chain is the 12-byte header
 * followed by the frame; it is written to the tap in one call, the tap
 * taking the header as its vnet header (its size set to 12 by the
 * controller; the tap skips num_buffers).  A chain with writable buffers
 * or shorter than the header breaks the queue (KESTREL_VQ_ERR_DEVICE) and
 * the device asks for a reset.  A failed write is counted, logged (rate
 * limited) and the frame dropped; the chain is always given back.
 *
 * Receive (5.1.6.3, 5.1.6.4): the tap has no way to tell the next frame's
 * length through its file, so the device gathers guest buffers first: one
 * chain without MRG_RXBUF, with it chains until they hold the largest
 * frame (12 + 65550 bytes), the ring is entirely the device's, or the
 * segment pool is full.  Chains popped and not used stay with the worker
 * for the next frame (never given back).  The read's iov_iter is the
 * buffers' guest pages plus one byte of a private page: a frame that
 * reaches that byte did not fit (the tap truncates silently) and is
 * dropped and counted.  num_buffers is written after the read.  With no
 * buffers the device enables notifications and waits for the driver's
 * kick; the tap keeps queueing meanwhile.  The device reads without
 * blocking (IOCB_NOWAIT) and is woken by the tap's wait queue, on which
 * its entry stays from start to reset (as vhost_poll does).  An rx chain
 * with readable buffers or shorter than the header breaks the queue.
 *
 * Offloads: transmit offloads (CSUM, HOST_TSO4/6, HOST_ECN) need nothing:
 * the tap accepts any header the guest sends.  Receive offloads are what
 * TUNSETOFFLOAD enables, and the tap must not produce what the driver did
 * not accept, so start sets them from the negotiated GUEST_* bits with
 * vfs_ioctl() (TUNSETOFFLOAD takes its argument as an integer, not a user
 * pointer, in both tun and tap).  If that fails the tap is asked for no
 * offloads; if that fails too the error is logged.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/bvec.h>
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/if_tun.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <asm/byteorder.h>

#include "../memory.h"
#endif

#include "virtio.h"
#include "virtqueue.h"
#include "net.h"

/* Feature bits (virtio 1.2, 5.1.3). */
#define NET_F_CSUM		0
#define NET_F_GUEST_CSUM	1
#define NET_F_MAC		5
#define NET_F_GUEST_TSO4	7
#define NET_F_GUEST_TSO6	8
#define NET_F_GUEST_ECN		9
#define NET_F_HOST_TSO4		11
#define NET_F_HOST_TSO6		12
#define NET_F_HOST_ECN		13
#define NET_F_MRG_RXBUF		15
#define NET_F_STATUS		16
#define NET_F_CTRL_VQ		17
#define NET_F_MQ		22

#define NET_S_LINK_UP		1

/* Control queue (5.1.6.5). */
#define NET_CTRL_MQ		4
#define NET_CTRL_MQ_VQ_PAIRS_SET 0
#define NET_OK			0
#define NET_ERR			1

#define NET_QUEUE_SIZE		256
/* Enough for any chain the specification allows (virtqueue.h). */
#define NET_MAX_SEGS		(2 * NET_QUEUE_SIZE)
#define NET_HDR_LEN		KESTREL_VIRTIO_NET_HDR_LEN
/* The largest frame: 64 KiB of IP plus an Ethernet and a VLAN header. */
#define NET_MAX_FRAME		65550
#define NET_RX_NEED		(NET_HDR_LEN + NET_MAX_FRAME)
/* Page pieces per tap call: the largest frame in any layout of a chain. */
#define NET_BVECS		(NET_MAX_SEGS + NET_MAX_FRAME / 4096 + 32)
/* Receive segment pool: gathered chains waiting for frames. */
#define NET_RX_POOL		(4 * NET_MAX_SEGS)
/* Frames per run of a worker on one queue; then it interrupts, requeues. */
#define NET_RUN			64

/* struct virtio_net_hdr_mrg_rxbuf (virtio 1.x: always 12 bytes). */
struct net_hdr {
	u8 flags;
	u8 gso_type;
	__le16 hdr_len;
	__le16 gso_size;
	__le16 csum_start;
	__le16 csum_offset;
	__le16 num_buffers;
};

/* struct virtio_net_config up to max_virtqueue_pairs. */
struct net_config {
	u8 mac[KESTREL_VIRTIO_NET_MAC_LEN];
	__le16 status;
	__le16 max_virtqueue_pairs;
} __packed;

static_assert(sizeof(struct net_hdr) == NET_HDR_LEN);
static_assert(sizeof(struct net_config) == 10);

/* A receive chain gathered and not used yet: segments in the pool. */
struct net_rxbuf {
	u16 head;
	u32 len;			/* its writable bytes */
	u32 seg;			/* first segment in rx_segs */
	u32 nsegs;
};

struct net_pair {
	struct kestrel_virtio_net *net;
	u16 index;
	struct file *tap;
	struct kthread_worker *worker;
	struct kthread_work rx_work;
	struct kthread_work tx_work;
	struct kestrel_vq rxq;
	struct kestrel_vq txq;
	char rx_name[64];		/* "<device> rx<index>", for the log */
	char tx_name[64];
	/* The tap's wait queue, while registered (start to reset). */
	wait_queue_entry_t wait;
	poll_table table;
	wait_queue_head_t *wqh;
	struct page *scratch;		/* catches frames that did not fit */
	struct kestrel_virtio_net_stats stats;

	struct kestrel_vq_seg tx_segs[NET_MAX_SEGS];
	struct bio_vec tx_bvecs[NET_BVECS];

	struct kestrel_vq_seg rx_segs[NET_RX_POOL];
	u32 rx_nsegs;			/* pool entries in use */
	struct net_rxbuf rx_bufs[NET_QUEUE_SIZE];
	u16 rx_nbufs;			/* chains gathered */
	u32 rx_cap;			/* their writable bytes */
	struct bio_vec rx_bvecs[NET_BVECS + 1];
};

struct kestrel_virtio_net {
	struct kestrel_virtio_dev vdev;
	struct kestrel_virtio_ops ops;
	char name[48];
	u16 nr_pairs;
	u8 mac[KESTREL_VIRTIO_NET_MAC_LEN];

	spinlock_t lock;
	bool running;			/* between start and reset; @lock */
	bool reported;			/* needs_reset called; @lock */
	u16 active_pairs;		/* @lock, READ_ONCE */
	u16 status;			/* NET_S_*; @lock, READ_ONCE */
	bool mrg;			/* MRG_RXBUF negotiated; stable */

	/* On pair 0's worker. */
	struct kthread_work ctrl_work;
	struct kthread_work link_work;
	struct kestrel_vq ctrlq;
	char ctrl_name[64];
	struct kestrel_vq_seg ctrl_segs[NET_MAX_SEGS];

	struct net_pair *pairs[KESTREL_VIRTIO_NET_MAX_PAIRS];
};

static struct kestrel_virtio_net *to_net(struct kestrel_virtio_dev *vdev)
{
	return container_of(vdev, struct kestrel_virtio_net, vdev);
}

static u16 net_ctrl_index(const struct kestrel_virtio_net *net)
{
	return 2 * net->nr_pairs;
}

/* Queue @work on @worker unless reset has begun. */
static void net_queue(struct kestrel_virtio_net *net,
		      struct kthread_worker *worker, struct kthread_work *work)
{
	unsigned long flags;

	spin_lock_irqsave(&net->lock, flags);
	if (net->running)
		kthread_queue_work(worker, work);
	spin_unlock_irqrestore(&net->lock, flags);
}

/* The pair whose worker reads pair @i's tap. */
static struct net_pair *net_rx_owner(struct kestrel_virtio_net *net, u16 i)
{
	u16 active = READ_ONCE(net->active_pairs);

	if (!active)
		active = 1;
	return net->pairs[i < active ? i : i % active];
}

static void net_kick_rx(struct net_pair *np)
{
	struct net_pair *owner = net_rx_owner(np->net, np->index);

	net_queue(np->net, owner->worker, &owner->rx_work);
}

static void net_count(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/* Ask for a reset once per start, whichever queue broke first. */
static void net_report(struct kestrel_virtio_net *net)
{
	unsigned long flags;
	bool first;

	spin_lock_irqsave(&net->lock, flags);
	first = !net->reported;
	net->reported = true;
	spin_unlock_irqrestore(&net->lock, flags);
	if (first)
		net->vdev.needs_reset(&net->vdev);
}

/*
 * Describe the guest pages of @segs (at most @max bytes) as bio_vecs from
 * @bv[*nr] on, at most @max_bv in all.  Returns the bytes described, or
 * -EFAULT when a buffer is not RAM (@vq is then broken).
 */
static long net_map(struct kestrel_virtio_net *net, struct kestrel_vq *vq,
		    const struct kestrel_vq_seg *segs, unsigned int nsegs,
		    u32 max, struct bio_vec *bv, unsigned int *nr,
		    unsigned int max_bv)
{
	const struct kestrel_mem *mem = net->vdev.mem;
	unsigned int i;
	u32 done = 0;

	for (i = 0; i < nsegs && done < max; i++) {
		const struct kestrel_vq_seg *s = &segs[i];
		u32 off_in = 0;

		while (off_in < s->len && done < max) {
			u64 gpa = s->gpa + off_in;
			u32 n = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
			u64 off;

			if (*nr == max_bv)
				return done;
			if (n > s->len - off_in)
				n = s->len - off_in;
			if (n > max - done)
				n = max - done;
			if (!kestrel_mem_gpa_to_off(mem, gpa, &off)) {
				kestrel_vq_fail(vq, KESTREL_VQ_ERR_BUF_FAULT);
				return -EFAULT;
			}
			bv[*nr].bv_page = kestrel_mem_page(mem, off >> PAGE_SHIFT);
			bv[*nr].bv_offset = off & (PAGE_SIZE - 1);
			bv[*nr].bv_len = n;
			(*nr)++;
			done += n;
			off_in += n;
		}
	}
	return done;
}

/* ---- transmit ---- */

/* Send one chain's frame; failures are counted, never fatal. */
static int net_tx_one(struct net_pair *np, const struct kestrel_vq_chain *c)
{
	struct kestrel_virtio_net *net = np->net;
	u32 frame = c->out_len - NET_HDR_LEN;
	struct iov_iter iter;
	struct kiocb kiocb;
	unsigned int nr = 0;
	ssize_t ret;
	long n;

	if (!(READ_ONCE(net->status) & NET_S_LINK_UP) ||
	    frame > NET_MAX_FRAME) {
		net_count(&np->stats.tx_drops, 1);
		return 0;
	}
	n = net_map(net, &np->txq, c->segs, c->n_out, c->out_len,
		    np->tx_bvecs, &nr, NET_BVECS);
	if (n < 0)
		return n;
	if (n != c->out_len) {
		net_count(&np->stats.tx_drops, 1);
		return 0;
	}
	iov_iter_bvec(&iter, ITER_SOURCE, np->tx_bvecs, nr, n);
	init_sync_kiocb(&kiocb, np->tap);
	kiocb.ki_flags |= IOCB_NOWAIT;
	ret = call_write_iter(np->tap, &kiocb, &iter);
	if (ret != n) {
		net_count(&np->stats.tx_errors, 1);
		pr_warn_ratelimited("%s: tap write of %u bytes failed: %ld\n",
				    np->tx_name, frame, (long)ret);
		return 0;
	}
	net_count(&np->stats.tx_packets, 1);
	net_count(&np->stats.tx_bytes, frame);
	return 0;
}

static void net_tx_process(struct net_pair *np)
{
	struct kestrel_virtio_net *net = np->net;
	struct kestrel_vq *vq = &np->txq;
	struct kestrel_vq_chain c = {
		.segs = np->tx_segs,
		.max_segs = NET_MAX_SEGS,
	};
	unsigned int chains = 0;
	bool pushed = false;

	if (!READ_ONCE(net->running) || !vq->ready)
		return;
	if (kestrel_vq_broken(vq))
		goto broken;

	kestrel_vq_disable_notify(vq);
	for (;;) {
		int ret;

		if (!READ_ONCE(net->running))
			break;
		if (chains == NET_RUN) {
			net_queue(net, np->worker, &np->tx_work);
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
		chains++;
		if (c.n_in || c.out_len < NET_HDR_LEN) {
			kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
			goto broken;
		}
		if (net_tx_one(np, &c) || kestrel_vq_push(vq, c.head, 0))
			goto broken;
		pushed = true;
	}
	if (pushed && kestrel_vq_should_interrupt(vq))
		net->vdev.interrupt(&net->vdev, 2 * np->index + 1);
	return;
broken:
	if (pushed && kestrel_vq_should_interrupt(vq))
		net->vdev.interrupt(&net->vdev, 2 * np->index + 1);
	net_report(net);
}

static void net_tx_work(struct kthread_work *work)
{
	net_tx_process(container_of(work, struct net_pair, tx_work));
}

/* ---- receive ---- */

/* Forget the gathered chains (reset: the ring is forgotten too). */
static void net_rx_forget(struct net_pair *np)
{
	np->rx_nsegs = 0;
	np->rx_nbufs = 0;
	np->rx_cap = 0;
}

/*
 * Gather receive chains for the next frame.  1: enough (or all there will
 * be), 0: none or too few and the driver will kick, or a negative errno
 * when the queue broke.
 */
static int net_rx_gather(struct net_pair *np)
{
	struct kestrel_vq *vq = &np->rxq;
	bool mrg = np->net->mrg;

	while (!np->rx_nbufs || (mrg && np->rx_cap < NET_RX_NEED)) {
		struct kestrel_vq_chain c = {
			.segs = &np->rx_segs[np->rx_nsegs],
			.max_segs = NET_MAX_SEGS,
		};
		struct net_rxbuf *b;
		int ret;

		/* The whole ring is ours, or no room: use what we have. */
		if (np->rx_nbufs == vq->size ||
		    NET_RX_POOL - np->rx_nsegs < NET_MAX_SEGS)
			break;
		ret = kestrel_vq_pop(vq, &c);
		if (ret < 0)
			return ret;
		if (!ret) {
			if (!kestrel_vq_enable_notify(vq))
				return 0;
			kestrel_vq_disable_notify(vq);
			continue;
		}
		if (c.n_out || c.in_len < NET_HDR_LEN)
			return kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
		b = &np->rx_bufs[np->rx_nbufs++];
		b->head = c.head;
		b->len = c.in_len;
		b->seg = np->rx_nsegs;
		b->nsegs = c.n_in;
		np->rx_nsegs += c.n_in;
		np->rx_cap += c.in_len;
	}
	return 1;
}

/* Drop the first @n gathered chains (pushed): move the rest down. */
static void net_rx_consume(struct net_pair *np, u16 n)
{
	u32 segs = 0, bytes = 0;
	u16 i;

	for (i = 0; i < n; i++) {
		segs += np->rx_bufs[i].nsegs;
		bytes += np->rx_bufs[i].len;
	}
	memmove(np->rx_segs, &np->rx_segs[segs],
		(np->rx_nsegs - segs) * sizeof(np->rx_segs[0]));
	memmove(np->rx_bufs, &np->rx_bufs[n],
		(np->rx_nbufs - n) * sizeof(np->rx_bufs[0]));
	np->rx_nsegs -= segs;
	np->rx_nbufs -= n;
	np->rx_cap -= bytes;
	for (i = 0; i < np->rx_nbufs; i++)
		np->rx_bufs[i].seg -= segs;
}

/* Give @len bytes of frame (header included) to the guest. */
static int net_rx_deliver(struct net_pair *np, u32 len)
{
	struct kestrel_vq *vq = &np->rxq;
	struct net_rxbuf *b = &np->rx_bufs[0];
	struct kestrel_vq_chain c = {
		.segs = &np->rx_segs[b->seg],
		.max_segs = b->nsegs,
		.head = b->head,
		.n_in = b->nsegs,
		.in_len = b->len,
	};
	u32 left = len;
	__le16 num;
	long ret;
	u16 n = 0;

	while (left) {
		u32 used = min(left, np->rx_bufs[n].len);

		left -= used;
		n++;
	}
	num = cpu_to_le16(n);
	ret = kestrel_vq_copy_to_chain(vq, &c, offsetof(struct net_hdr,
							 num_buffers),
				       &num, sizeof(num));
	if (ret < 0)
		return ret;
	left = len;
	for (n = 0; left; n++) {
		u32 used = min(left, np->rx_bufs[n].len);

		if (kestrel_vq_push(vq, np->rx_bufs[n].head, used))
			return -EIO;
		left -= used;
	}
	net_rx_consume(np, n);
	return 0;
}

enum net_rx_result {
	NET_RX_AGAIN,			/* a frame moved or dropped: go on */
	NET_RX_EMPTY,			/* the tap has nothing */
	NET_RX_STOP,			/* the tap failed: wait for a wake-up */
	NET_RX_WAIT,			/* no buffers: wait for a kick */
	NET_RX_BROKEN,			/* the queue broke */
};

/* Move one frame from @tap into the gathered buffers. */
static enum net_rx_result net_rx_one(struct net_pair *np, struct file *tap)
{
	struct kestrel_virtio_net *net = np->net;
	unsigned int nr = 0, i;
	struct iov_iter iter;
	struct kiocb kiocb;
	u32 mapped = 0;
	ssize_t ret;
	int err;

	err = net_rx_gather(np);
	if (err < 0)
		return NET_RX_BROKEN;
	if (!err)
		return NET_RX_WAIT;
	for (i = 0; i < (net->mrg ? np->rx_nbufs : 1u); i++) {
		const struct net_rxbuf *b = &np->rx_bufs[i];
		long n;

		if (mapped == NET_RX_NEED || nr == NET_BVECS)
			break;
		n = net_map(net, &np->rxq, &np->rx_segs[b->seg], b->nsegs,
			    NET_RX_NEED - mapped, np->rx_bvecs, &nr, NET_BVECS);
		if (n < 0)
			return NET_RX_BROKEN;
		mapped += n;
	}
	np->rx_bvecs[nr].bv_page = np->scratch;
	np->rx_bvecs[nr].bv_offset = 0;
	np->rx_bvecs[nr].bv_len = 1;
	iov_iter_bvec(&iter, ITER_DEST, np->rx_bvecs, nr + 1, mapped + 1);
	init_sync_kiocb(&kiocb, tap);
	kiocb.ki_flags |= IOCB_NOWAIT;
	ret = call_read_iter(tap, &kiocb, &iter);
	if (ret == -EAGAIN || !ret)
		return NET_RX_EMPTY;
	if (ret < 0) {
		net_count(&np->stats.rx_errors, 1);
		pr_warn_ratelimited("%s: tap read failed: %ld\n", np->rx_name,
				    (long)ret);
		/* The tap drops a frame it could not copy; others: wait. */
		return ret == -EFAULT || ret == -EINVAL ? NET_RX_AGAIN :
		       NET_RX_STOP;
	}
	if (ret > mapped || ret < NET_HDR_LEN) {
		/* Truncated by the tap: the buffers are reused. */
		net_count(&np->stats.rx_drops, 1);
		return NET_RX_AGAIN;
	}
	if (net_rx_deliver(np, ret))
		return NET_RX_BROKEN;
	net_count(&np->stats.rx_packets, 1);
	net_count(&np->stats.rx_bytes, ret - NET_HDR_LEN);
	return NET_RX_AGAIN;
}

static void net_rx_process(struct net_pair *np)
{
	struct kestrel_virtio_net *net = np->net;
	struct kestrel_vq *vq = &np->rxq;
	u16 active = READ_ONCE(net->active_pairs);
	unsigned int frames = 0;
	bool pushed = false;
	u16 t;

	if (!READ_ONCE(net->running) || !vq->ready)
		return;
	if (kestrel_vq_broken(vq))
		goto broken;
	if (!(READ_ONCE(net->status) & NET_S_LINK_UP) || np->index >= active)
		return;

	kestrel_vq_disable_notify(vq);
	/* Our tap, then those of the inactive pairs we stand in for. */
	for (t = np->index; t < net->nr_pairs;
	     t = t < active ? active + np->index : t + active) {
		struct file *tap = net->pairs[t]->tap;

		for (;;) {
			u16 before = vq->used_idx;
			enum net_rx_result r;

			if (!READ_ONCE(net->running))
				goto out;
			if (frames == NET_RUN) {
				net_queue(net, np->worker, &np->rx_work);
				goto out;
			}
			r = net_rx_one(np, tap);
			if (vq->used_idx != before)
				pushed = true;
			if (r == NET_RX_BROKEN)
				goto broken;
			if (r == NET_RX_WAIT)
				goto out;
			if (r != NET_RX_AGAIN)
				break;
			frames++;
		}
	}
out:
	if (pushed && kestrel_vq_should_interrupt(vq))
		net->vdev.interrupt(&net->vdev, 2 * np->index);
	return;
broken:
	if (pushed && kestrel_vq_should_interrupt(vq))
		net->vdev.interrupt(&net->vdev, 2 * np->index);
	net_report(net);
}

static void net_rx_work(struct kthread_work *work)
{
	net_rx_process(container_of(work, struct net_pair, rx_work));
}

/* The tap's wait queue: a frame arrived (or the tap failed). */
static int net_poll_wake(wait_queue_entry_t *wait, unsigned int mode,
			 int sync, void *key)
{
	struct net_pair *np = container_of(wait, struct net_pair, wait);

	if (key && !(key_to_poll(key) & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return 0;
	net_kick_rx(np);
	return 0;
}

static void net_poll_func(struct file *file, wait_queue_head_t *wqh,
			  poll_table *pt)
{
	struct net_pair *np = container_of(pt, struct net_pair, table);

	if (np->wqh)
		return;
	np->wqh = wqh;
	add_wait_queue(wqh, &np->wait);
}

/* Put our entry on the tap's wait queue; kick if a frame waits. */
static void net_poll_start(struct net_pair *np)
{
	__poll_t mask;

	init_waitqueue_func_entry(&np->wait, net_poll_wake);
	init_poll_funcptr(&np->table, net_poll_func);
	mask = vfs_poll(np->tap, &np->table);
	if (mask & EPOLLIN)
		net_kick_rx(np);
}

static void net_poll_stop(struct net_pair *np)
{
	if (np->wqh) {
		remove_wait_queue(np->wqh, &np->wait);
		np->wqh = NULL;
	}
}

/* ---- control queue and link ---- */

/* Serve one control command; returns NET_OK or NET_ERR, <0: broken. */
static int net_ctrl_one(struct kestrel_virtio_net *net,
			const struct kestrel_vq_chain *c)
{
	struct kestrel_vq *vq = &net->ctrlq;
	u8 cmd[2];
	__le16 pairs;
	unsigned long flags;
	u16 n, i;
	long ret;

	ret = kestrel_vq_copy_from_chain(vq, c, 0, cmd, sizeof(cmd));
	if (ret < 0)
		return ret;
	if (cmd[0] != NET_CTRL_MQ || cmd[1] != NET_CTRL_MQ_VQ_PAIRS_SET ||
	    !(net->vdev.driver_features & (1ULL << NET_F_MQ)) ||
	    c->out_len != sizeof(cmd) + sizeof(pairs))
		return NET_ERR;
	ret = kestrel_vq_copy_from_chain(vq, c, sizeof(cmd), &pairs,
					 sizeof(pairs));
	if (ret < 0)
		return ret;
	n = le16_to_cpu(pairs);
	if (n < 1 || n > net->nr_pairs)
		return NET_ERR;
	spin_lock_irqsave(&net->lock, flags);
	WRITE_ONCE(net->active_pairs, n);
	spin_unlock_irqrestore(&net->lock, flags);
	/* Frames may wait on taps that changed hands. */
	for (i = 0; i < n; i++)
		net_queue(net, net->pairs[i]->worker, &net->pairs[i]->rx_work);
	return NET_OK;
}

static void net_ctrl_process(struct kestrel_virtio_net *net)
{
	struct kestrel_vq *vq = &net->ctrlq;
	struct kestrel_vq_chain c = {
		.segs = net->ctrl_segs,
		.max_segs = NET_MAX_SEGS,
	};
	bool pushed = false;

	if (!READ_ONCE(net->running) || !vq->ready)
		return;
	if (kestrel_vq_broken(vq))
		goto broken;

	kestrel_vq_disable_notify(vq);
	for (;;) {
		u8 ack;
		int ret;

		if (!READ_ONCE(net->running))
			break;
		ret = kestrel_vq_pop(vq, &c);
		if (ret < 0)
			goto broken;
		if (!ret) {
			if (!kestrel_vq_enable_notify(vq))
				break;
			kestrel_vq_disable_notify(vq);
			continue;
		}
		if (c.out_len < 2 || !c.in_len) {
			kestrel_vq_fail(vq, KESTREL_VQ_ERR_DEVICE);
			goto broken;
		}
		ret = net_ctrl_one(net, &c);
		if (ret < 0)
			goto broken;
		ack = ret;
		if (kestrel_vq_copy_to_chain(vq, &c, 0, &ack, 1) < 0 ||
		    kestrel_vq_push(vq, c.head, 1))
			goto broken;
		pushed = true;
	}
	if (pushed && kestrel_vq_should_interrupt(vq))
		net->vdev.interrupt(&net->vdev, net_ctrl_index(net));
	return;
broken:
	net_report(net);
}

static void net_ctrl_work(struct kthread_work *work)
{
	net_ctrl_process(container_of(work, struct kestrel_virtio_net,
				      ctrl_work));
}

/* The link changed while running: tell the driver, restart receive. */
static void net_link_work(struct kthread_work *work)
{
	struct kestrel_virtio_net *net =
		container_of(work, struct kestrel_virtio_net, link_work);
	u16 i;

	if (!READ_ONCE(net->running))
		return;
	if (net->vdev.driver_features & (1ULL << NET_F_STATUS))
		net->vdev.config_changed(&net->vdev);
	if (READ_ONCE(net->status) & NET_S_LINK_UP)
		for (i = 0; i < net->nr_pairs; i++)
			net_queue(net, net->pairs[i]->worker,
				  &net->pairs[i]->rx_work);
}

/* ---- the transport's calls ---- */

/* The transport keeps @off + @len within config_len. */
static void net_config_read(struct kestrel_virtio_dev *vdev, u32 off,
			    void *buf, u32 len)
{
	struct kestrel_virtio_net *net = to_net(vdev);
	struct net_config cfg;

	memcpy(cfg.mac, net->mac, sizeof(cfg.mac));
	cfg.status = cpu_to_le16(READ_ONCE(net->status));
	cfg.max_virtqueue_pairs = cpu_to_le16(net->nr_pairs);
	if (off > sizeof(cfg) || len > sizeof(cfg) - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, (const u8 *)&cfg + off, len);
}

/* The MAC is read-only in virtio 1.x (CTRL_MAC_ADDR is not offered). */
static void net_config_write(struct kestrel_virtio_dev *vdev, u32 off,
			     const void *buf, u32 len)
{
}

/* The tap's receive offloads for what the driver accepted. */
static unsigned long net_tap_offloads(u64 features)
{
	unsigned long f = 0;

	if (features & (1ULL << NET_F_GUEST_CSUM)) {
		f |= TUN_F_CSUM;
		if (features & (1ULL << NET_F_GUEST_TSO4))
			f |= TUN_F_TSO4;
		if (features & (1ULL << NET_F_GUEST_TSO6))
			f |= TUN_F_TSO6;
		if ((f & (TUN_F_TSO4 | TUN_F_TSO6)) &&
		    (features & (1ULL << NET_F_GUEST_ECN)))
			f |= TUN_F_TSO_ECN;
	}
	return f;
}

static void net_set_offloads(struct net_pair *np, unsigned long f)
{
	long err;

	err = vfs_ioctl(np->tap, TUNSETOFFLOAD, f);
	if (err && f)
		err = vfs_ioctl(np->tap, TUNSETOFFLOAD, 0);
	if (err)
		pr_warn_ratelimited("%s: TUNSETOFFLOAD %#lx failed: %ld\n",
				    np->rx_name, f, err);
}

static void net_init_vq(struct kestrel_virtio_dev *vdev, struct kestrel_vq *vq,
			u16 q, const char *name)
{
	if (vdev->queues[q].enabled)
		kestrel_vq_init(vq, vdev->mem, &vdev->queues[q],
				vdev->driver_features, name);
	else
		kestrel_vq_reset(vq);
}

/*
 * DRIVER_OK.  A queue the driver configured badly is broken here and
 * reported by its worker (needs_reset), not by this function's result.
 */
static int net_start(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_net *net = to_net(vdev);
	unsigned long offloads = net_tap_offloads(vdev->driver_features);
	unsigned long flags;
	u16 i;

	net->mrg = vdev->driver_features & (1ULL << NET_F_MRG_RXBUF);
	for (i = 0; i < net->nr_pairs; i++) {
		struct net_pair *np = net->pairs[i];

		net_init_vq(vdev, &np->rxq, 2 * i, np->rx_name);
		net_init_vq(vdev, &np->txq, 2 * i + 1, np->tx_name);
		net_rx_forget(np);
		net_set_offloads(np, offloads);
	}
	if (net->nr_pairs > 1)
		net_init_vq(vdev, &net->ctrlq, net_ctrl_index(net),
			    net->ctrl_name);

	spin_lock_irqsave(&net->lock, flags);
	net->reported = false;
	net->active_pairs = 1;
	net->running = true;
	/* Buffers made available before DRIVER_OK, or a broken ring. */
	for (i = 0; i < net->nr_pairs; i++) {
		struct net_pair *np = net->pairs[i];

		if (vdev->queues[2 * i].enabled)
			kthread_queue_work(np->worker, &np->rx_work);
		if (vdev->queues[2 * i + 1].enabled)
			kthread_queue_work(np->worker, &np->tx_work);
	}
	if (net->nr_pairs > 1 && vdev->queues[net_ctrl_index(net)].enabled)
		kthread_queue_work(net->pairs[0]->worker, &net->ctrl_work);
	spin_unlock_irqrestore(&net->lock, flags);

	for (i = 0; i < net->nr_pairs; i++)
		net_poll_start(net->pairs[i]);
	return 0;
}

/* Stop queueing, wait for every worker to be idle, leave the taps. */
static void net_stop(struct kestrel_virtio_net *net)
{
	unsigned long flags;
	u16 i;

	spin_lock_irqsave(&net->lock, flags);
	net->running = false;
	spin_unlock_irqrestore(&net->lock, flags);
	for (i = 0; i < net->nr_pairs; i++) {
		struct net_pair *np = net->pairs[i];

		if (!np)
			continue;
		kthread_cancel_work_sync(&np->rx_work);
		kthread_cancel_work_sync(&np->tx_work);
	}
	kthread_cancel_work_sync(&net->ctrl_work);
	kthread_cancel_work_sync(&net->link_work);
	for (i = 0; i < net->nr_pairs; i++)
		if (net->pairs[i])
			net_poll_stop(net->pairs[i]);
}

static void net_reset(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_net *net = to_net(vdev);
	u16 i;

	net_stop(net);
	for (i = 0; i < net->nr_pairs; i++) {
		kestrel_vq_reset(&net->pairs[i]->rxq);
		kestrel_vq_reset(&net->pairs[i]->txq);
		net_rx_forget(net->pairs[i]);
	}
	kestrel_vq_reset(&net->ctrlq);
}

/* A vCPU's doorbell: wake the queue's worker. */
static void net_notify(struct kestrel_virtio_dev *vdev, u16 q)
{
	struct kestrel_virtio_net *net = to_net(vdev);
	struct net_pair *np;

	if (q / 2 < net->nr_pairs) {
		np = net->pairs[q / 2];
		net_queue(net, np->worker, q & 1 ? &np->tx_work : &np->rx_work);
	} else if (net->nr_pairs > 1 && q == net_ctrl_index(net)) {
		net_queue(net, net->pairs[0]->worker, &net->ctrl_work);
	}
}

static void net_init_ops(struct kestrel_virtio_net *net)
{
	struct kestrel_virtio_ops *ops = &net->ops;
	u64 f = (1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) |
		(1ULL << KESTREL_VIRTIO_F_EVENT_IDX) |
		(1ULL << NET_F_CSUM) | (1ULL << NET_F_GUEST_CSUM) |
		(1ULL << NET_F_MAC) |
		(1ULL << NET_F_GUEST_TSO4) | (1ULL << NET_F_GUEST_TSO6) |
		(1ULL << NET_F_GUEST_ECN) |
		(1ULL << NET_F_HOST_TSO4) | (1ULL << NET_F_HOST_TSO6) |
		(1ULL << NET_F_HOST_ECN) |
		(1ULL << NET_F_MRG_RXBUF) | (1ULL << NET_F_STATUS);

	if (net->nr_pairs > 1)
		f |= (1ULL << NET_F_CTRL_VQ) | (1ULL << NET_F_MQ);

	ops->device_id = KESTREL_VIRTIO_ID_NET;
	ops->features = f;
	ops->num_queues = 2 * net->nr_pairs + (net->nr_pairs > 1);
	ops->max_queue_size = NET_QUEUE_SIZE;
	ops->config_len = sizeof(struct net_config);
	ops->config_read = net_config_read;
	ops->config_write = net_config_write;
	ops->start = net_start;
	ops->reset = net_reset;
	ops->notify = net_notify;
}

/* Free what create made, the workers stopped; the taps are not dropped. */
static void net_free(struct kestrel_virtio_net *net)
{
	u16 i;

	net_stop(net);
	for (i = 0; i < net->nr_pairs; i++) {
		struct net_pair *np = net->pairs[i];

		if (!np)
			continue;
		if (np->worker)
			kthread_destroy_worker(np->worker);
		if (np->scratch)
			__free_page(np->scratch);
		kvfree(np);
	}
	kfree(net);
}

static int net_add_pair(struct kestrel_virtio_net *net, u16 i,
			const struct kestrel_virtio_net_params *p)
{
	struct kthread_worker *worker;
	struct net_pair *np;

	np = kvzalloc(sizeof(*np), GFP_KERNEL_ACCOUNT);
	if (!np)
		return -ENOMEM;
	net->pairs[i] = np;
	np->net = net;
	np->index = i;
	np->tap = p->taps[i];
	snprintf(np->rx_name, sizeof(np->rx_name), "%s rx%u", net->name, i);
	snprintf(np->tx_name, sizeof(np->tx_name), "%s tx%u", net->name, i);
	kthread_init_work(&np->rx_work, net_rx_work);
	kthread_init_work(&np->tx_work, net_tx_work);
	np->scratch = alloc_page(GFP_KERNEL_ACCOUNT);
	if (!np->scratch)
		return -ENOMEM;
	worker = kthread_create_worker(0, "kestrel/%u:net%u.%u", p->domid,
				       p->index, i);
	if (IS_ERR(worker))
		return PTR_ERR(worker);
	np->worker = worker;
	/* Charge the traffic to the creator's cgroups, as vhost does. */
	return cgroup_attach_task_all(current, worker->task);
}

static bool net_params_ok(const struct kestrel_virtio_net_params *p)
{
	static const u8 zero[KESTREL_VIRTIO_NET_MAC_LEN];
	u16 i;

	if (!p || !p->nr_pairs || p->nr_pairs > KESTREL_VIRTIO_NET_MAX_PAIRS)
		return false;
	if ((p->mac[0] & 1) || !memcmp(p->mac, zero, sizeof(zero)))
		return false;
	for (i = 0; i < p->nr_pairs; i++) {
		struct file *tap = p->taps[i];

		if (!tap || (tap->f_mode & (FMODE_READ | FMODE_WRITE)) !=
			    (FMODE_READ | FMODE_WRITE) || !file_can_poll(tap))
			return false;
	}
	return true;
}

struct kestrel_virtio_net *
kestrel_virtio_net_create(const struct kestrel_virtio_net_params *params,
			  const char *name)
{
	struct kestrel_virtio_net *net;
	u16 i;
	int err;

	if (!net_params_ok(params))
		return ERR_PTR(-EINVAL);
	net = kzalloc(sizeof(*net), GFP_KERNEL_ACCOUNT);
	if (!net)
		return ERR_PTR(-ENOMEM);
	snprintf(net->name, sizeof(net->name), "%s", name ? name : "virtio-net");
	snprintf(net->ctrl_name, sizeof(net->ctrl_name), "%s ctrl", net->name);
	spin_lock_init(&net->lock);
	net->nr_pairs = params->nr_pairs;
	memcpy(net->mac, params->mac, sizeof(net->mac));
	net->status = params->link_down ? 0 : NET_S_LINK_UP;
	net->active_pairs = 1;
	kthread_init_work(&net->ctrl_work, net_ctrl_work);
	kthread_init_work(&net->link_work, net_link_work);
	net_init_ops(net);
	net->vdev.ops = &net->ops;

	for (i = 0; i < net->nr_pairs; i++) {
		err = net_add_pair(net, i, params);
		if (err) {
			net_free(net);
			return ERR_PTR(err);
		}
	}
	return net;
}

struct kestrel_virtio_dev *kestrel_virtio_net_vdev(struct kestrel_virtio_net *net)
{
	return &net->vdev;
}

void kestrel_virtio_net_stats(struct kestrel_virtio_net *net,
			      struct kestrel_virtio_net_stats *stats)
{
	u16 i;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < net->nr_pairs; i++) {
		const struct kestrel_virtio_net_stats *s = &net->pairs[i]->stats;

		stats->rx_packets += READ_ONCE(s->rx_packets);
		stats->rx_bytes += READ_ONCE(s->rx_bytes);
		stats->rx_drops += READ_ONCE(s->rx_drops);
		stats->rx_errors += READ_ONCE(s->rx_errors);
		stats->tx_packets += READ_ONCE(s->tx_packets);
		stats->tx_bytes += READ_ONCE(s->tx_bytes);
		stats->tx_drops += READ_ONCE(s->tx_drops);
		stats->tx_errors += READ_ONCE(s->tx_errors);
	}
}

void kestrel_virtio_net_set_link(struct kestrel_virtio_net *net, bool up)
{
	u16 status = up ? NET_S_LINK_UP : 0;
	unsigned long flags;

	spin_lock_irqsave(&net->lock, flags);
	if (net->status != status) {
		WRITE_ONCE(net->status, status);
		if (net->running)
			kthread_queue_work(net->pairs[0]->worker,
					   &net->link_work);
	}
	spin_unlock_irqrestore(&net->lock, flags);
}

bool kestrel_virtio_net_link_up(struct kestrel_virtio_net *net)
{
	return READ_ONCE(net->status) & NET_S_LINK_UP;
}

void kestrel_virtio_net_destroy(struct kestrel_virtio_net *net)
{
	struct file *taps[KESTREL_VIRTIO_NET_MAX_PAIRS];
	u16 i, n;

	if (!net)
		return;
	n = net->nr_pairs;
	for (i = 0; i < n; i++)
		taps[i] = net->pairs[i]->tap;
	net_free(net);
	for (i = 0; i < n; i++)
		fput(taps[i]);
}
