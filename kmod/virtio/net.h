/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.2, 5.1): device ID 1, nr_pairs receive/transmit
 * queue pairs (and a control queue when nr_pairs > 1), backed by tap file
 * descriptors that the controller opened, one per queue pair.  Frames move
 * between guest RAM and the tap with its read_iter/write_iter on bio_vecs
 * of guest pages, without a bounce buffer; the 12-byte virtio-net header
 * travels in front of each frame as the tap's vnet header.
 *
 * What the controller must do with each tap before passing its fd:
 *   open /dev/net/tun, TUNSETIFF with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
 *   (| IFF_MULTI_QUEUE and the same name for every fd when nr_pairs > 1),
 *   TUNSETVNETHDRSZ to 12 (sizeof(struct virtio_net_hdr_mrg_rxbuf)).
 * The device sets the tap's receive offloads itself (TUNSETOFFLOAD) when
 * the driver has negotiated its features; nothing else is needed.  A
 * macvtap fd works as well (same read/write/poll/ioctl semantics).
 *
 * Each queue pair has its own worker thread (a kthread_worker) that
 * serves its transmit and receive queues (the control queue on pair 0's),
 * created at create time in the caller's cgroups (see net.c).
 *
 * Life cycle, for the platform:
 *   p.taps[i] = fget(fd[i]);	(the device owns these references)
 *   net = kestrel_virtio_net_create(&p, "dom: net0");
 *   if (IS_ERR(net)) fput each;	(on error the caller keeps them)
 *   vdev = kestrel_virtio_net_vdev(net);
 *   ... hand vdev to a transport (as for virtio-blk, blk.h) ...
 *   kestrel_virtio_net_set_link(net, false);	(any time, any context)
 *   ... remove the transport: no call into vdev->ops may follow ...
 *   kestrel_virtio_net_destroy(net);	(stops the workers, fput)
 */
#ifndef KESTREL_VIRTIO_NET_H
#define KESTREL_VIRTIO_NET_H

#include <linux/types.h>

struct file;
struct kestrel_virtio_dev;
struct kestrel_virtio_net;

/* Queue pairs a device can have (each has a thread and a tap). */
#define KESTREL_VIRTIO_NET_MAX_PAIRS	16
#define KESTREL_VIRTIO_NET_MAC_LEN	6
/* The vnet header size the controller must set on every tap. */
#define KESTREL_VIRTIO_NET_HDR_LEN	12

struct kestrel_virtio_net_params {
	/* taps[0 .. nr_pairs - 1], open for reading and writing; see create */
	struct file *taps[KESTREL_VIRTIO_NET_MAX_PAIRS];
	u16 nr_pairs;			/* 1 .. KESTREL_VIRTIO_NET_MAX_PAIRS */
	u8 mac[KESTREL_VIRTIO_NET_MAC_LEN];	/* unicast, not all zero */
	bool link_down;			/* start with the link down */
	/* For the workers' names, kestrel/<domid>:net<index>.<pair>. */
	u32 domid;
	u32 index;
};

/* Counters since create; each is read untorn, the set is not atomic. */
struct kestrel_virtio_net_stats {
	u64 rx_packets;			/* frames given to the guest */
	u64 rx_bytes;			/* their bytes, header excluded */
	u64 rx_drops;			/* larger than the guest's buffers */
	u64 rx_errors;			/* tap reads that failed */
	u64 tx_packets;			/* frames written to the tap */
	u64 tx_bytes;			/* their bytes, header excluded */
	u64 tx_drops;			/* too large, or sent while link down */
	u64 tx_errors;			/* tap writes that failed */
};

/*
 * A new device (not started), link up unless @params->link_down (as if
 * kestrel_virtio_net_set_link(net, false) followed).  On success the device owns the
 * references @params->taps[0 .. nr_pairs - 1] (fput on destroy); on error
 * the caller still does.  @name prefixes log lines (copied).  The worker
 * threads join the caller's cgroups, as vhost's do: call it in the context
 * of the task the traffic is to be charged to.  ERR_PTR(-EINVAL) for a bad
 * parameter (nr_pairs 0 or too many, a missing tap, a tap not open for
 * reading and writing or that cannot poll, a multicast or zero MAC),
 * ERR_PTR(-ENOMEM), or the error of creating a thread.  May sleep.
 */
struct kestrel_virtio_net *
kestrel_virtio_net_create(const struct kestrel_virtio_net_params *params,
			  const char *name);
/* The device as a transport sees it. */
struct kestrel_virtio_dev *kestrel_virtio_net_vdev(struct kestrel_virtio_net *net);
/* Any context, any time before destroy. */
void kestrel_virtio_net_stats(struct kestrel_virtio_net *net,
			      struct kestrel_virtio_net_stats *stats);
/*
 * The link's state as the guest sees it (VIRTIO_NET_S_LINK_UP, with a
 * configuration change interrupt when the driver negotiated STATUS).
 * While down, transmitted frames are dropped and nothing is received
 * (the tap keeps, then drops, what arrives).  Any context, before destroy.
 */
void kestrel_virtio_net_set_link(struct kestrel_virtio_net *net, bool up);
/* What set_link (or the creation's link_down) last said.  Any context. */
bool kestrel_virtio_net_link_up(struct kestrel_virtio_net *net);
/*
 * Stop the workers (waiting for them), drop the taps and free the device;
 * NULL is ignored.  The transport must already be gone.  May sleep.
 */
void kestrel_virtio_net_destroy(struct kestrel_virtio_net *net);

#endif /* KESTREL_VIRTIO_NET_H */
