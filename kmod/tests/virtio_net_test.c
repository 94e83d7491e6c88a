// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (kmod/virtio/net.c) with its kernel services shimmed
 * (kshim.h): a pair's worker runs when the test calls kshim_run_work(),
 * the backends are in-memory taps (struct kshim_tap) with injectable
 * failures, and a driver model here puts buffers on the queues and reads
 * the used rings.
 */
#include "kshim.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../virtio/virtqueue.c"
#include "../virtio/net.c"

#include <stdlib.h>

#include "kselftest_harness.h"

/* Fake guest RAM: [0, RAM_SIZE) but the hole [HOLE_START, HOLE_END). */
#define RAM_SIZE	(4u << 20)
#define HOLE_START	0x380000u
#define HOLE_END	0x390000u
#define RAM_PAGES	(RAM_SIZE / PAGE_SIZE)

struct kestrel_mem {
	u8 *ram;
	struct page pages[RAM_PAGES];
};

static bool ram_ok(u64 gpa, u64 len)
{
	if (!len || gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	return gpa + len <= HOLE_START || gpa >= HOLE_END;
}

bool kestrel_mem_gpa_to_off(const struct kestrel_mem *mem, u64 gpa, u64 *off)
{
	if (!ram_ok(gpa, 1))
		return false;
	*off = gpa;
	return true;
}

struct page *kestrel_mem_page(const struct kestrel_mem *mem, unsigned long idx)
{
	if (idx >= RAM_PAGES)
		abort();
	return (struct page *)&mem->pages[idx];
}

static int vq_ram_read(const struct kestrel_mem *mem, u64 gpa, void *buf,
		       u32 len)
{
	if (!ram_ok(gpa, len))
		return -EFAULT;
	memcpy(buf, mem->ram + gpa, len);
	return 0;
}

static int vq_ram_write(const struct kestrel_mem *mem, u64 gpa,
			const void *buf, u32 len)
{
	if (!ram_ok(gpa, len))
		return -EFAULT;
	memcpy(mem->ram + gpa, buf, len);
	return 0;
}

static int vq_ram_load16(const struct kestrel_mem *mem, u64 gpa, u16 *val)
{
	__le16 v;

	if (vq_ram_read(mem, gpa, &v, 2))
		return -EFAULT;
	*val = le16_to_cpu(v);
	return 0;
}

static int vq_ram_store16(const struct kestrel_mem *mem, u64 gpa, u16 val)
{
	__le16 v = cpu_to_le16(val);

	return vq_ram_write(mem, gpa, &v, 2);
}

/* Queue q's rings at QBASE(q); indirect tables after them. */
#define QBASE(q)	(0x1000u + 0x10000u * (q))
#define DESC_GPA(q)	(QBASE(q))
#define AVAIL_GPA(q)	(QBASE(q) + 0x1000u)
#define USED_GPA(q)	(QBASE(q) + 0x2000u)
#define TABLE_GPA(q)	(QBASE(q) + 0x3000u)	/* 0x8000 of tables */
#define BUF_GPA		0x100000u		/* buffers, to the hole */
#define BUF_END		HOLE_START
#define QSIZE		64
#define NQ		5			/* 2 pairs and control */

#define F_NEXT		KESTREL_VRING_DESC_F_NEXT
#define F_WRITE		KESTREL_VRING_DESC_F_WRITE
#define F_INDIRECT	KESTREL_VRING_DESC_F_INDIRECT

#define BIT_F(n)	(1ULL << (n))
#define BASE_F		(BIT_F(KESTREL_VIRTIO_F_VERSION_1) | \
			 BIT_F(KESTREL_VIRTIO_F_INDIRECT_DESC) | \
			 BIT_F(NET_F_MAC) | BIT_F(NET_F_STATUS))
#define MRG_F		(BASE_F | BIT_F(NET_F_MRG_RXBUF))
#define MQ_F		(MRG_F | BIT_F(NET_F_CTRL_VQ) | BIT_F(NET_F_MQ))

static unsigned int interrupts[NQ], resets_asked, config_changes;

static void on_interrupt(struct kestrel_virtio_dev *vdev, u16 q)
{
	if (q >= NQ)
		abort();
	interrupts[q]++;
}

static void on_needs_reset(struct kestrel_virtio_dev *vdev)
{
	resets_asked++;
}

static void on_config_changed(struct kestrel_virtio_dev *vdev)
{
	config_changes++;
}

struct drv {
	struct kestrel_mem mem;
	struct kshim_tap taps[2];
	struct kestrel_virtio_net_params p;
	struct kestrel_virtio_net *net;
	struct kestrel_virtio_dev *vdev;
	u16 avail_idx[NQ];
	u16 next_desc[NQ];
	u32 next_table[NQ];
	u16 used_seen[NQ];
	u64 buf;
};

struct seg {
	u64 gpa;
	u32 len;
	bool write;
};

static void put16(struct drv *d, u64 gpa, u16 v)
{
	__le16 x = cpu_to_le16(v);

	memcpy(d->mem.ram + gpa, &x, 2);
}

static u16 get16(struct drv *d, u64 gpa)
{
	__le16 x;

	memcpy(&x, d->mem.ram + gpa, 2);
	return le16_to_cpu(x);
}

static u32 get32(struct drv *d, u64 gpa)
{
	__le32 x;

	memcpy(&x, d->mem.ram + gpa, 4);
	return le32_to_cpu(x);
}

static void set_desc(struct drv *d, u64 table, u16 i, u64 addr, u32 len,
		     u16 flags, u16 next)
{
	struct vq_desc x = {
		.addr = cpu_to_le64(addr),
		.len = cpu_to_le32(len),
		.flags = cpu_to_le16(flags),
		.next = cpu_to_le16(next),
	};

	memcpy(d->mem.ram + table + 16 * (u64)i, &x, sizeof(x));
}

static void avail_add(struct drv *d, u16 q, u16 head)
{
	put16(d, AVAIL_GPA(q) + 4 + 2 * (d->avail_idx[q] % QSIZE), head);
	d->avail_idx[q]++;
	put16(d, AVAIL_GPA(q) + 2, d->avail_idx[q]);
}

/* Put @n segments on queue @q as one chain, direct or through a table. */
static u16 chain(struct drv *d, u16 q, const struct seg *s, unsigned int n,
		 bool indirect)
{
	u64 table;
	u16 head;
	unsigned int i;

	if (indirect) {
		if (d->next_table[q] + 16 * n > 0x8000)
			d->next_table[q] = 0;
		table = TABLE_GPA(q) + d->next_table[q];
		d->next_table[q] += 16 * n;
		for (i = 0; i < n; i++)
			set_desc(d, table, i, s[i].gpa, s[i].len,
				 (s[i].write ? F_WRITE : 0) |
				 (i + 1 < n ? F_NEXT : 0), i + 1);
		head = d->next_desc[q]++ % QSIZE;
		set_desc(d, DESC_GPA(q), head, table, 16 * n, F_INDIRECT, 0);
	} else {
		head = d->next_desc[q] % QSIZE;
		for (i = 0; i < n; i++) {
			u16 me = d->next_desc[q]++ % QSIZE;

			set_desc(d, DESC_GPA(q), me, s[i].gpa, s[i].len,
				 (s[i].write ? F_WRITE : 0) |
				 (i + 1 < n ? F_NEXT : 0),
				 d->next_desc[q] % QSIZE);
		}
	}
	avail_add(d, q, head);
	return head;
}

static u64 alloc_buf(struct drv *d, u32 len)
{
	u64 gpa = d->buf;

	d->buf += (len + 15) & ~15u;
	if (d->buf > BUF_END) {
		d->buf = BUF_GPA;
		gpa = d->buf;
		d->buf += (len + 15) & ~15u;
	}
	return gpa;
}

static u16 used_idx(struct drv *d, u16 q)
{
	return get16(d, USED_GPA(q) + 2);
}

static u32 used_id(struct drv *d, u16 q, u16 i)
{
	return get32(d, USED_GPA(q) + 4 + 8 * (i % QSIZE));
}

static u32 used_len(struct drv *d, u16 q, u16 i)
{
	return get32(d, USED_GPA(q) + 8 + 8 * (i % QSIZE));
}

static unsigned int kick(struct drv *d, u16 q)
{
	d->vdev->ops->notify(d->vdev, q);
	return kshim_run_work();
}

static void fill(u8 *p, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seed * 131 + i * 7 + (i >> 9));
}

static void drv_init(struct drv *d, u16 pairs)
{
	unsigned long i;

	memset(d, 0, sizeof(*d));
	memset(interrupts, 0, sizeof(interrupts));
	resets_asked = 0;
	config_changes = 0;
	kshim_warnings = 0;
	d->mem.ram = calloc(1, RAM_SIZE);
	if (!d->mem.ram)
		abort();
	for (i = 0; i < RAM_PAGES; i++)
		d->mem.pages[i].kshim_virt = d->mem.ram + i * PAGE_SIZE;
	d->buf = BUF_GPA;
	for (i = 0; i < 2; i++) {
		kshim_tap_init(&d->taps[i]);
		d->p.taps[i] = &d->taps[i].file;
	}
	d->p.nr_pairs = pairs;
	memcpy(d->p.mac, "\x52\x54\x00\x12\x34\x56", 6);
	d->p.domid = 7;
	d->p.index = 0;
}

static void drv_queues(struct drv *d, u64 features)
{
	unsigned int q;

	d->vdev = kestrel_virtio_net_vdev(d->net);
	d->vdev->mem = &d->mem;
	d->vdev->interrupt = on_interrupt;
	d->vdev->needs_reset = on_needs_reset;
	d->vdev->config_changed = on_config_changed;
	d->vdev->driver_features = features;
	for (q = 0; q < d->vdev->ops->num_queues && q < NQ; q++) {
		struct kestrel_virtio_queue *vq = &d->vdev->queues[q];

		vq->size = QSIZE;
		vq->enabled = true;
		vq->desc = DESC_GPA(q);
		vq->driver = AVAIL_GPA(q);
		vq->device = USED_GPA(q);
	}
}

/* A started device with @pairs pairs and @features negotiated. */
static void drv_create(struct drv *d, u16 pairs, u64 features)
{
	drv_init(d, pairs);
	d->net = kestrel_virtio_net_create(&d->p, "test net");
	if (IS_ERR(d->net))
		abort();
	drv_queues(d, features);
	if (d->vdev->ops->start(d->vdev))
		abort();
	kshim_run_work();		/* start's look at the rings */
}

/* Reset, forget the rings, start again. */
static void drv_restart(struct drv *d)
{
	d->vdev->ops->reset(d->vdev);
	memset(d->mem.ram, 0, BUF_GPA);
	memset(d->avail_idx, 0, sizeof(d->avail_idx));
	memset(d->next_desc, 0, sizeof(d->next_desc));
	memset(d->next_table, 0, sizeof(d->next_table));
	memset(d->used_seen, 0, sizeof(d->used_seen));
	if (d->vdev->ops->start(d->vdev))
		abort();
	kshim_run_work();
}

static void drv_destroy(struct drv *d)
{
	unsigned int i, pairs = d->p.nr_pairs;

	kestrel_virtio_net_destroy(d->net);
	if (kshim_nr_work || kshim_nr_workers)
		abort();
	for (i = 0; i < 2; i++) {
		if (d->taps[i].file.kshim_fputs != (i < pairs) ||
		    d->taps[i].wq.kshim_first)
			abort();
		kshim_tap_free(&d->taps[i]);
	}
	free(d->mem.ram);
}

static struct kestrel_virtio_net_stats stats(struct drv *d)
{
	struct kestrel_virtio_net_stats s;

	kestrel_virtio_net_stats(d->net, &s);
	return s;
}

static u16 cfg16(struct drv *d, u32 off)
{
	__le16 v;

	d->vdev->ops->config_read(d->vdev, off, &v, 2);
	return le16_to_cpu(v);
}

/* A transmitted frame: header @h (10 bytes used) + @len bytes of @frame. */
static u16 send(struct drv *d, u16 q, const struct net_hdr *h,
		const u8 *frame, u32 len, unsigned int nsegs, bool indirect)
{
	struct seg s[20];
	u64 hg = alloc_buf(d, NET_HDR_LEN);
	u32 per = (len + nsegs - 1) / nsegs, off = 0;
	unsigned int n = 1;

	if (nsegs >= 20)
		abort();
	memcpy(d->mem.ram + hg, h, NET_HDR_LEN);
	s[0] = (struct seg){ hg, NET_HDR_LEN, false };
	while (off < len) {
		u32 k = min(per, len - off);
		/* Start a little before a page end: buffers cross pages. */
		u64 g = alloc_buf(d, k + PAGE_SIZE) + PAGE_SIZE - 7;

		memcpy(d->mem.ram + g, frame + off, k);
		s[n++] = (struct seg){ g, k, false };
		off += k;
	}
	return chain(d, q, s, n, indirect);
}

/* Post @n receive buffers of @len bytes (one segment each). */
static void post_rx(struct drv *d, u16 q, unsigned int n, u32 len,
		    u64 *gpas)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct seg s = { alloc_buf(d, len), len, true };

		memset(d->mem.ram + s.gpa, 0xee, len);
		if (gpas)
			gpas[i] = s.gpa;
		chain(d, q, &s, 1, false);
	}
}

static const struct net_hdr test_hdr = {
	.flags = 1,			/* NEEDS_CSUM */
	.gso_type = 0,
	.hdr_len = 0x3412,
	.gso_size = 0x0,
	.csum_start = 0x2200,
	.csum_offset = 0x1000,
	.num_buffers = 0x7777,		/* the tap skips it */
};

TEST(ops_and_config)
{
	const struct kestrel_virtio_ops *ops;
	struct drv d;
	u8 mac[6];
	u64 f;

	drv_create(&d, 1, MRG_F);
	ops = d.vdev->ops;
	ASSERT_EQ(KESTREL_VIRTIO_ID_NET, ops->device_id);
	ASSERT_EQ(2, ops->num_queues);
	ASSERT_EQ(NET_QUEUE_SIZE, ops->max_queue_size);
	ASSERT_EQ(10, ops->config_len);
	f = ops->features;
	ASSERT_TRUE(f & BIT_F(NET_F_MAC));
	ASSERT_TRUE(f & BIT_F(NET_F_STATUS));
	ASSERT_TRUE(f & BIT_F(NET_F_MRG_RXBUF));
	ASSERT_TRUE(f & BIT_F(NET_F_CSUM));
	ASSERT_TRUE(f & BIT_F(NET_F_GUEST_CSUM));
	ASSERT_TRUE(f & BIT_F(NET_F_HOST_TSO4));
	ASSERT_TRUE(f & BIT_F(NET_F_GUEST_TSO6));
	ASSERT_TRUE(f & BIT_F(KESTREL_VIRTIO_F_EVENT_IDX));
	ASSERT_TRUE(f & BIT_F(KESTREL_VIRTIO_F_INDIRECT_DESC));
	ASSERT_FALSE(f & BIT_F(NET_F_MQ));
	ASSERT_FALSE(f & BIT_F(NET_F_CTRL_VQ));
	d.vdev->ops->config_read(d.vdev, 0, mac, 6);
	ASSERT_EQ(0, memcmp(mac, d.p.mac, 6));
	ASSERT_EQ(NET_S_LINK_UP, cfg16(&d, 6));
	ASSERT_EQ(1, cfg16(&d, 8));
	/* Out of range reads zero; writes are ignored. */
	d.vdev->ops->config_read(d.vdev, 9, mac, 2);
	ASSERT_EQ(0, mac[0]);
	d.vdev->ops->config_write(d.vdev, 0, "\x02\0\0\0\0\0", 6);
	d.vdev->ops->config_read(d.vdev, 0, mac, 6);
	ASSERT_EQ(0x52, mac[0]);
	ASSERT_EQ(1, kshim_nr_workers);
	ASSERT_STREQ("kestrel/7:net0.0", d.net->pairs[0]->worker->kshim_name);
	ASSERT_EQ(1, d.net->pairs[0]->worker->task->kshim_cgroup);
	/* The poll is registered on the tap. */
	ASSERT_NE(NULL, d.taps[0].wq.kshim_first);
	/* No GUEST_* negotiated: the tap was asked for no offloads. */
	ASSERT_EQ(0, d.taps[0].offloads);
	drv_destroy(&d);

	drv_create(&d, 2, MQ_F);
	ASSERT_EQ(5, d.vdev->ops->num_queues);
	ASSERT_TRUE(d.vdev->ops->features & BIT_F(NET_F_MQ));
	ASSERT_TRUE(d.vdev->ops->features & BIT_F(NET_F_CTRL_VQ));
	ASSERT_EQ(2, cfg16(&d, 8));
	ASSERT_EQ(2, kshim_nr_workers);
	drv_destroy(&d);
}

TEST(create_errors)
{
	struct drv d;

	drv_init(&d, 1);
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(NULL, "x")));
	d.p.nr_pairs = 0;
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	d.p.nr_pairs = KESTREL_VIRTIO_NET_MAX_PAIRS + 1;
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	d.p.nr_pairs = 2;
	d.p.taps[1] = NULL;
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	d.p.taps[1] = &d.taps[1].file;
	d.taps[1].no_poll = true;
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	d.taps[1].no_poll = false;
	d.taps[1].file.f_mode = FMODE_READ;
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	d.taps[1].file.f_mode = FMODE_READ | FMODE_WRITE;
	d.p.mac[0] = 0x01;
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	memset(d.p.mac, 0, 6);
	ASSERT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	d.p.mac[5] = 2;
	kshim_worker_err = -EINTR;
	ASSERT_EQ(-EINTR, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	ASSERT_EQ(0, kshim_nr_workers);
	kshim_cgroup_err = -EPERM;
	ASSERT_EQ(-EPERM, PTR_ERR(kestrel_virtio_net_create(&d.p, "x")));
	ASSERT_EQ(0, kshim_nr_workers);
	ASSERT_EQ(0, d.taps[0].file.kshim_fputs);
	ASSERT_EQ(0, d.taps[1].file.kshim_fputs);
	free(d.mem.ram);
}

TEST(tx_single_and_multi_segment)
{
	static u8 frame[9000];
	struct kestrel_virtio_net_stats s;
	struct drv d;
	unsigned int i;

	drv_create(&d, 1, MRG_F | BIT_F(KESTREL_VIRTIO_F_EVENT_IDX));
	for (i = 0; i < 3; i++) {
		u32 len = i == 0 ? 60 : i == 1 ? 1514 : 9000;
		u16 head;

		fill(frame, len, i);
		head = send(&d, 1, &test_hdr, frame, len, i == 0 ? 1 : 5,
			    i == 2);
		kick(&d, 1);
		ASSERT_EQ(i + 1, d.taps[0].tx_count);
		ASSERT_EQ(10 + len, d.taps[0].tx[i].len);
		ASSERT_EQ(0, memcmp(d.taps[0].tx[i].data, &test_hdr, 10));
		ASSERT_EQ(0, memcmp(d.taps[0].tx[i].data + 10, frame, len));
		ASSERT_EQ(i + 1, used_idx(&d, 1));
		ASSERT_EQ(head, used_id(&d, 1, i));
		ASSERT_EQ(0, used_len(&d, 1, i));
	}
	ASSERT_LE(1, interrupts[1]);
	s = stats(&d);
	ASSERT_EQ(3, s.tx_packets);
	ASSERT_EQ(60 + 1514 + 9000, s.tx_bytes);
	ASSERT_EQ(0, s.tx_errors + s.tx_drops);
	ASSERT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(tx_batch_and_budget)
{
	u8 frame[100];
	struct drv d;
	unsigned int i;

	drv_create(&d, 1, MRG_F);
	fill(frame, sizeof(frame), 3);
	for (i = 0; i < QSIZE; i++)
		send(&d, 1, &test_hdr, frame, sizeof(frame), 1, true);
	/* More than one run: the worker requeues itself. */
	ASSERT_LE(2, kick(&d, 1));
	ASSERT_EQ(QSIZE, d.taps[0].tx_count);
	ASSERT_EQ(QSIZE, used_idx(&d, 1));
	ASSERT_EQ(QSIZE, stats(&d).tx_packets);
	drv_destroy(&d);
}

static const struct net_hdr rx_hdr = {
	.flags = 2,			/* DATA_VALID */
	.gso_type = 4,			/* TCPV6 */
	.hdr_len = 0x0102,
	.gso_size = 0x0304,
	.csum_start = 0x0506,
	.csum_offset = 0x0708,
};

/* Check one received frame at @gpa: header, num_buffers, data. */
static bool rx_ok(struct drv *d, u64 gpa, u16 nbufs, const u8 *frame,
		  u32 len)
{
	return !memcmp(d->mem.ram + gpa, &rx_hdr, 10) &&
	       get16(d, gpa + 10) == nbufs &&
	       (!len || !memcmp(d->mem.ram + gpa + 12, frame,
				min(len, 1000u)));
}

TEST(rx_single_buffers)
{
	static u8 frame[1600];
	u64 gpa[4];
	struct drv d;

	drv_create(&d, 1, BASE_F);
	post_rx(&d, 0, 4, 1526, gpa);
	kick(&d, 0);
	ASSERT_EQ(0, used_idx(&d, 0));
	fill(frame, sizeof(frame), 9);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 100);
	ASSERT_EQ(1, kshim_nr_work);	/* the tap's wake-up */
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_EQ(0, used_id(&d, 0, 0));
	ASSERT_EQ(112, used_len(&d, 0, 0));
	ASSERT_TRUE(rx_ok(&d, gpa[0], 1, frame, 100));
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 1514);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d, 0));
	ASSERT_EQ(1526, used_len(&d, 0, 1));
	ASSERT_TRUE(rx_ok(&d, gpa[1], 1, frame, 1514));
	ASSERT_EQ(0, memcmp(d.mem.ram + gpa[1] + 12, frame, 1514));
	ASSERT_EQ(2, stats(&d).rx_packets);
	ASSERT_EQ(1614, stats(&d).rx_bytes);
	ASSERT_LE(1, interrupts[0]);

	/* Too large for a buffer: dropped, the buffer serves the next. */
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 1515);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 50);
	kshim_run_work();
	ASSERT_EQ(3, used_idx(&d, 0));
	ASSERT_EQ(62, used_len(&d, 0, 2));
	ASSERT_TRUE(rx_ok(&d, gpa[2], 1, frame, 50));
	ASSERT_EQ(1, stats(&d).rx_drops);
	drv_destroy(&d);
}

TEST(rx_merged_buffers)
{
	static u8 frame[65550];
	u64 gpa[40];
	struct drv d;
	u32 got = 0;
	unsigned int i;

	drv_create(&d, 1, MRG_F);
	post_rx(&d, 0, 40, 2048, gpa);
	fill(frame, sizeof(frame), 5);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 3000);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d, 0));
	ASSERT_EQ(2048, used_len(&d, 0, 0));
	ASSERT_EQ(3012 - 2048, used_len(&d, 0, 1));
	ASSERT_TRUE(rx_ok(&d, gpa[0], 2, frame, 1000));
	ASSERT_EQ(0, memcmp(d.mem.ram + gpa[1], frame + 2036, 964));
	/* A small one takes the next buffer. */
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 60);
	kshim_run_work();
	ASSERT_EQ(3, used_idx(&d, 0));
	ASSERT_EQ(2, used_id(&d, 0, 2));
	ASSERT_TRUE(rx_ok(&d, gpa[2], 1, frame, 60));
	/* The largest frame: 33 buffers; 37 were left, the ring is not full. */
	post_rx(&d, 0, 20, 2048, NULL);
	kick(&d, 0);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 65550);
	kshim_run_work();
	ASSERT_EQ(3 + 33, used_idx(&d, 0));
	ASSERT_EQ(33, get16(&d, gpa[3] + 10));
	for (i = 3; i < 36; i++)
		got += used_len(&d, 0, i);
	ASSERT_EQ(65562, got);
	ASSERT_EQ(0, memcmp(d.mem.ram + gpa[3] + 12, frame, 2036));
	for (i = 4; i < 36; i++) {
		u32 off = (i - 3) * 2048, n = used_len(&d, 0, i);

		ASSERT_EQ(0, memcmp(d.mem.ram + gpa[i], frame + off - 12, n));
	}
	ASSERT_EQ(0, stats(&d).rx_drops);
	ASSERT_EQ(3, stats(&d).rx_packets);
	drv_destroy(&d);
}

TEST(rx_waits_for_buffers)
{
	u8 frame[200];
	u64 gpa[QSIZE];
	struct drv d;

	drv_create(&d, 1, MRG_F | BIT_F(KESTREL_VIRTIO_F_EVENT_IDX));
	fill(frame, sizeof(frame), 1);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 200);
	kshim_run_work();
	ASSERT_EQ(0, used_idx(&d, 0));
	ASSERT_EQ(1, d.taps[0].rx_count);	/* kept by the tap */
	/* Too few buffers for the largest frame: still waiting. */
	post_rx(&d, 0, 10, 1024, gpa);
	kick(&d, 0);
	ASSERT_EQ(0, used_idx(&d, 0));
	ASSERT_EQ(1, d.taps[0].rx_count);
	/* The whole ring: that is all there will be. */
	post_rx(&d, 0, QSIZE - 10, 1024, gpa + 10);
	kick(&d, 0);
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_EQ(0, d.taps[0].rx_count);
	ASSERT_TRUE(rx_ok(&d, gpa[0], 1, frame, 200));
	ASSERT_EQ(1, stats(&d).rx_packets);
	ASSERT_EQ(0, stats(&d).rx_drops);
	drv_destroy(&d);

	/* Without MRG_RXBUF one buffer is enough. */
	drv_create(&d, 1, BASE_F);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 200);
	kshim_run_work();
	ASSERT_EQ(0, used_idx(&d, 0));
	post_rx(&d, 0, 1, 1526, gpa);
	kick(&d, 0);
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_TRUE(rx_ok(&d, gpa[0], 1, frame, 200));
	drv_destroy(&d);
}

TEST(link_down_up)
{
	u8 frame[100];
	u64 gpa[2];
	struct drv d;

	drv_create(&d, 1, BASE_F);
	fill(frame, sizeof(frame), 2);
	post_rx(&d, 0, 2, 1526, gpa);
	kick(&d, 0);
	kestrel_virtio_net_set_link(d.net, false);
	kshim_run_work();
	ASSERT_EQ(1, config_changes);
	ASSERT_EQ(0, cfg16(&d, 6));
	kestrel_virtio_net_set_link(d.net, false);	/* no change */
	kshim_run_work();
	ASSERT_EQ(1, config_changes);
	/* Down: transmit drops, receive waits. */
	send(&d, 1, &test_hdr, frame, 100, 1, false);
	kick(&d, 1);
	ASSERT_EQ(1, used_idx(&d, 1));
	ASSERT_EQ(0, d.taps[0].tx_count);
	ASSERT_EQ(1, stats(&d).tx_drops);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 100);
	kshim_run_work();
	ASSERT_EQ(0, used_idx(&d, 0));
	/* Up: the waiting frame arrives. */
	kestrel_virtio_net_set_link(d.net, true);
	kshim_run_work();
	ASSERT_EQ(2, config_changes);
	ASSERT_EQ(NET_S_LINK_UP, cfg16(&d, 6));
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_TRUE(rx_ok(&d, gpa[0], 1, frame, 100));
	drv_destroy(&d);

	/* Without STATUS negotiated: no interrupt; before start: none. */
	drv_init(&d, 1);
	d.net = kestrel_virtio_net_create(&d.p, "t");
	ASSERT_FALSE(IS_ERR(d.net));
	kestrel_virtio_net_set_link(d.net, false);
	ASSERT_EQ(0, kshim_nr_work);
	drv_queues(&d, BASE_F & ~BIT_F(NET_F_STATUS));
	ASSERT_EQ(0, d.vdev->ops->start(d.vdev));
	kshim_run_work();
	kestrel_virtio_net_set_link(d.net, true);
	kshim_run_work();
	ASSERT_EQ(0, config_changes);
	drv_destroy(&d);
}

/* <link state='down'/>: the device starts with the link down. */
TEST(link_down_from_create)
{
	u8 frame[100];
	u64 gpa[2];
	struct drv d;

	drv_init(&d, 2);
	d.p.link_down = true;
	d.net = kestrel_virtio_net_create(&d.p, "t");
	ASSERT_FALSE(IS_ERR(d.net));
	drv_queues(&d, BASE_F);
	/* Down before the driver ever looks, without a change interrupt. */
	ASSERT_EQ(0, cfg16(&d, 6));
	ASSERT_EQ(0, d.vdev->ops->start(d.vdev));
	kshim_run_work();
	ASSERT_EQ(0, config_changes);
	ASSERT_EQ(0, cfg16(&d, 6));
	fill(frame, sizeof(frame), 5);
	post_rx(&d, 0, 2, 1526, gpa);
	kick(&d, 0);
	/* Transmit drops on every pair, receive waits. */
	send(&d, 1, &test_hdr, frame, 100, 1, false);
	kick(&d, 1);
	send(&d, 3, &test_hdr, frame, 100, 1, false);
	kick(&d, 3);
	ASSERT_EQ(1, used_idx(&d, 1));
	ASSERT_EQ(1, used_idx(&d, 3));
	ASSERT_EQ(0, d.taps[0].tx_count);
	ASSERT_EQ(0, d.taps[1].tx_count);
	ASSERT_EQ(2, stats(&d).tx_drops);
	ASSERT_EQ(0, stats(&d).tx_packets);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 100);
	kshim_run_work();
	ASSERT_EQ(0, used_idx(&d, 0));
	ASSERT_EQ(0, stats(&d).rx_packets);
	/* A reset keeps the link as it was. */
	drv_restart(&d);
	ASSERT_EQ(0, cfg16(&d, 6));
	ASSERT_EQ(0, config_changes);
	post_rx(&d, 0, 2, 1526, gpa);
	kick(&d, 0);
	kshim_run_work();
	ASSERT_EQ(0, used_idx(&d, 0));
	/* Up: the driver is told and the waiting frame arrives. */
	kestrel_virtio_net_set_link(d.net, true);
	kshim_run_work();
	ASSERT_EQ(1, config_changes);
	ASSERT_EQ(NET_S_LINK_UP, cfg16(&d, 6));
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_TRUE(rx_ok(&d, gpa[0], 1, frame, 100));
	ASSERT_EQ(1, stats(&d).rx_packets);
	drv_destroy(&d);
}

/* A control command; returns the ack (0xff: not answered). */
static u8 ctrl(struct drv *d, u8 class, u8 cmd, const void *data, u32 len)
{
	u64 g = alloc_buf(d, 2 + len), ack = alloc_buf(d, 1);
	struct seg s[3];
	unsigned int n = 0;

	d->mem.ram[g] = class;
	d->mem.ram[g + 1] = cmd;
	memcpy(d->mem.ram + g + 2, data, len);
	d->mem.ram[ack] = 0xff;
	s[n++] = (struct seg){ g, 2, false };
	if (len)
		s[n++] = (struct seg){ g + 2, len, false };
	s[n++] = (struct seg){ ack, 1, true };
	chain(d, 4, s, n, false);
	kick(d, 4);
	return d->mem.ram[ack];
}

TEST(multiqueue_ctrl)
{
	u8 frame[100];
	u64 gpa0[4], gpa1[4];
	__le16 n;
	struct drv d;

	drv_create(&d, 2, MQ_F);
	ASSERT_NE(NULL, d.taps[1].wq.kshim_first);
	fill(frame, sizeof(frame), 4);
	post_rx(&d, 0, QSIZE, 1024, NULL);
	post_rx(&d, 2, QSIZE, 1024, NULL);
	kick(&d, 0);
	kick(&d, 2);
	memcpy(gpa0, (u64[]){ BUF_GPA, BUF_GPA + 1024, BUF_GPA + 2048 },
	       3 * 8);
	gpa1[0] = BUF_GPA + QSIZE * 1024;
	/* One pair active: tap 1's frames go to receive queue 0. */
	kshim_tap_inject(&d.taps[1], &rx_hdr, frame, 100);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_EQ(0, used_idx(&d, 2));
	ASSERT_TRUE(rx_ok(&d, gpa0[0], 1, frame, 100));
	/* Two pairs.  The driver gives back the buffer it got. */
	post_rx(&d, 0, 1, 1024, NULL);
	n = cpu_to_le16(2);
	ASSERT_EQ(NET_OK, ctrl(&d, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
			       &n, 2));
	ASSERT_EQ(1, used_idx(&d, 4));
	ASSERT_EQ(1, used_len(&d, 4, 0));
	ASSERT_LE(1, interrupts[4]);
	kshim_tap_inject(&d.taps[1], &rx_hdr, frame, 90);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 80);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d, 0));
	ASSERT_EQ(1, used_idx(&d, 2));
	ASSERT_EQ(102, used_len(&d, 2, 0));
	ASSERT_TRUE(rx_ok(&d, gpa1[0], 1, frame, 90));
	ASSERT_EQ(92, used_len(&d, 0, 1));
	/* Transmit on pair 1 goes to tap 1. */
	send(&d, 3, &test_hdr, frame, 70, 1, false);
	kick(&d, 3);
	ASSERT_EQ(1, d.taps[1].tx_count);
	ASSERT_EQ(0, d.taps[0].tx_count);
	/* Bad commands are refused, not fatal. */
	n = cpu_to_le16(3);
	ASSERT_EQ(NET_ERR, ctrl(&d, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
				&n, 2));
	n = cpu_to_le16(0);
	ASSERT_EQ(NET_ERR, ctrl(&d, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
				&n, 2));
	ASSERT_EQ(NET_ERR, ctrl(&d, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
				&n, 1));
	ASSERT_EQ(NET_ERR, ctrl(&d, 0, 0, "\1", 1));	/* RX PROMISC */
	ASSERT_EQ(NET_ERR, ctrl(&d, 1, 1, "\2\0\0\0\0\1", 6)); /* MAC */
	ASSERT_EQ(2, d.net->active_pairs);
	/* Back to one. */
	post_rx(&d, 0, 1, 1024, NULL);
	n = cpu_to_le16(1);
	ASSERT_EQ(NET_OK, ctrl(&d, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
			       &n, 2));
	kshim_tap_inject(&d.taps[1], &rx_hdr, frame, 60);
	kshim_run_work();
	ASSERT_EQ(3, used_idx(&d, 0));
	ASSERT_EQ(1, used_idx(&d, 2));
	ASSERT_EQ(0, resets_asked);
	/* A reset goes back to one pair. */
	drv_restart(&d);
	ASSERT_EQ(1, d.net->active_pairs);
	drv_destroy(&d);

	/* MQ not negotiated: VQ_PAIRS_SET refused. */
	drv_create(&d, 2, MRG_F | BIT_F(NET_F_CTRL_VQ));
	n = cpu_to_le16(2);
	ASSERT_EQ(NET_ERR, ctrl(&d, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
				&n, 2));
	drv_destroy(&d);
}

TEST(offloads)
{
	struct drv d;

	drv_create(&d, 2, MQ_F | BIT_F(NET_F_GUEST_CSUM) |
		   BIT_F(NET_F_GUEST_TSO4) | BIT_F(NET_F_GUEST_TSO6) |
		   BIT_F(NET_F_GUEST_ECN));
	ASSERT_EQ(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
		  d.taps[0].offloads);
	ASSERT_EQ(d.taps[0].offloads, d.taps[1].offloads);
	d.vdev->driver_features = MQ_F | BIT_F(NET_F_GUEST_CSUM);
	drv_restart(&d);
	ASSERT_EQ(TUN_F_CSUM, d.taps[0].offloads);
	/* TSO without CSUM means nothing. */
	d.vdev->driver_features = MQ_F | BIT_F(NET_F_GUEST_TSO4);
	drv_restart(&d);
	ASSERT_EQ(0, d.taps[1].offloads);
	/* A tap that refuses: logged, the device still runs. */
	d.taps[0].offload_err = -EBADFD;
	d.vdev->driver_features = MQ_F | BIT_F(NET_F_GUEST_CSUM);
	drv_restart(&d);
	ASSERT_LE(1, kshim_warnings);
	ASSERT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(malformed_chains)
{
	u8 frame[100];
	struct drv d;
	struct seg s[2];

	/* Transmit header too short. */
	drv_create(&d, 1, MRG_F);
	s[0] = (struct seg){ alloc_buf(&d, 8), 8, false };
	chain(&d, 1, s, 1, false);
	kick(&d, 1);
	ASSERT_EQ(1, resets_asked);
	ASSERT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d.net->pairs[0]->txq));
	/* Once per start; the broken queue stays broken. */
	kick(&d, 1);
	ASSERT_EQ(1, resets_asked);
	drv_restart(&d);
	ASSERT_FALSE(kestrel_vq_broken(&d.net->pairs[0]->txq));
	fill(frame, sizeof(frame), 1);
	send(&d, 1, &test_hdr, frame, 100, 1, false);
	kick(&d, 1);
	ASSERT_EQ(1, d.taps[0].tx_count);
	/* Transmit chain with a writable buffer. */
	s[0] = (struct seg){ alloc_buf(&d, 112), 112, false };
	s[1] = (struct seg){ alloc_buf(&d, 16), 16, true };
	chain(&d, 1, s, 2, false);
	kick(&d, 1);
	ASSERT_EQ(2, resets_asked);
	drv_destroy(&d);

	/* Receive chain with a readable buffer. */
	drv_create(&d, 1, BASE_F);
	s[0] = (struct seg){ alloc_buf(&d, 16), 16, false };
	s[1] = (struct seg){ alloc_buf(&d, 1526), 1526, true };
	chain(&d, 0, s, 2, false);
	kick(&d, 0);
	ASSERT_EQ(1, resets_asked);
	ASSERT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d.net->pairs[0]->rxq));
	drv_restart(&d);
	/* Receive buffer shorter than the header. */
	s[0] = (struct seg){ alloc_buf(&d, 8), 8, true };
	chain(&d, 0, s, 1, false);
	kick(&d, 0);
	ASSERT_EQ(2, resets_asked);
	drv_restart(&d);
	/* Receive buffer not RAM. */
	s[0] = (struct seg){ HOLE_START, 1526, true };
	chain(&d, 0, s, 1, false);
	kick(&d, 0);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 100);
	kshim_run_work();
	ASSERT_EQ(3, resets_asked);
	drv_destroy(&d);

	/* Control command without an ack byte, or shorter than 2 bytes. */
	drv_create(&d, 2, MQ_F);
	s[0] = (struct seg){ alloc_buf(&d, 4), 4, false };
	chain(&d, 4, s, 1, false);
	kick(&d, 4);
	ASSERT_EQ(1, resets_asked);
	drv_restart(&d);
	s[0] = (struct seg){ alloc_buf(&d, 1), 1, false };
	s[1] = (struct seg){ alloc_buf(&d, 1), 1, true };
	chain(&d, 4, s, 2, false);
	kick(&d, 4);
	ASSERT_EQ(2, resets_asked);
	drv_destroy(&d);
}

TEST(tap_errors)
{
	u8 frame[100];
	u64 gpa[4];
	struct kestrel_virtio_net_stats st;
	struct drv d;

	drv_create(&d, 1, BASE_F);
	fill(frame, sizeof(frame), 8);
	d.taps[0].write_err = -EIO;
	send(&d, 1, &test_hdr, frame, 100, 1, false);
	send(&d, 1, &test_hdr, frame, 100, 2, false);
	kick(&d, 1);
	ASSERT_EQ(2, used_idx(&d, 1));
	ASSERT_EQ(1, d.taps[0].tx_count);
	/* A frame the tap refuses (shorter than Ethernet's header). */
	send(&d, 1, &test_hdr, frame, 10, 1, false);
	kick(&d, 1);
	ASSERT_EQ(3, used_idx(&d, 1));
	/* Too large: dropped without a write. */
	{
		static u8 big[NET_MAX_FRAME + 1];

		send(&d, 1, &test_hdr, big, sizeof(big), 16, true);
		kick(&d, 1);
	}
	ASSERT_EQ(4, used_idx(&d, 1));
	st = stats(&d);
	ASSERT_EQ(1, st.tx_packets);
	ASSERT_EQ(2, st.tx_errors);
	ASSERT_EQ(1, st.tx_drops);
	ASSERT_LE(1, kshim_warnings);

	post_rx(&d, 0, 4, 1526, gpa);
	kick(&d, 0);
	d.taps[0].read_err = -EFAULT;
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 100);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 90);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d, 0));
	ASSERT_EQ(102, used_len(&d, 0, 0));
	ASSERT_TRUE(rx_ok(&d, gpa[0], 1, frame, 90));
	/* Another error stops the run; the next wake-up goes on. */
	d.taps[0].read_err = -EBADFD;
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 80);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d, 0));
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 70);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d, 0));
	ASSERT_EQ(82, used_len(&d, 0, 1));
	st = stats(&d);
	ASSERT_EQ(2, st.rx_errors);
	ASSERT_EQ(2, st.rx_packets);
	ASSERT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(reset_with_work_pending)
{
	u8 frame[100];
	struct drv d;

	drv_create(&d, 2, MQ_F);
	fill(frame, sizeof(frame), 1);
	post_rx(&d, 0, 4, 1526, NULL);
	send(&d, 1, &test_hdr, frame, 100, 1, false);
	d.vdev->ops->notify(d.vdev, 0);
	d.vdev->ops->notify(d.vdev, 1);
	d.vdev->ops->notify(d.vdev, 4);
	kestrel_virtio_net_set_link(d.net, false);
	kshim_tap_inject(&d.taps[0], &rx_hdr, frame, 100);
	ASSERT_LE(3, kshim_nr_work);
	d.vdev->ops->reset(d.vdev);
	ASSERT_EQ(0, kshim_nr_work);
	ASSERT_EQ(0, d.taps[0].tx_count);
	ASSERT_EQ(NULL, d.taps[0].wq.kshim_first);
	ASSERT_EQ(NULL, d.taps[1].wq.kshim_first);
	/* Nothing is queued after reset. */
	d.vdev->ops->notify(d.vdev, 1);
	kestrel_virtio_net_set_link(d.net, true);
	kshim_tap_inject(&d.taps[1], &rx_hdr, frame, 100);
	ASSERT_EQ(0, kshim_nr_work);
	ASSERT_EQ(0, used_idx(&d, 1));
	ASSERT_EQ(0, config_changes);
	/* Started again: the waiting frames come through. */
	memset(d.mem.ram, 0, BUF_GPA);
	memset(d.avail_idx, 0, sizeof(d.avail_idx));
	memset(d.next_desc, 0, sizeof(d.next_desc));
	ASSERT_EQ(0, d.vdev->ops->start(d.vdev));
	post_rx(&d, 0, QSIZE, 1526, NULL);
	kick(&d, 0);
	ASSERT_EQ(2, used_idx(&d, 0));
	drv_destroy(&d);

	/* Destroy with work pending. */
	drv_create(&d, 1, BASE_F);
	d.vdev->ops->notify(d.vdev, 0);
	d.vdev->ops->notify(d.vdev, 1);
	drv_destroy(&d);
}

TEST(fuzz)
{
	static u8 frame[4000];
	struct drv d;
	unsigned int iter, i;

	srand(1234);
	fill(frame, sizeof(frame), 77);
	drv_create(&d, 2, MQ_F | BIT_F(KESTREL_VIRTIO_F_EVENT_IDX));
	for (iter = 0; iter < 3000; iter++) {
		unsigned int what = rand() % 8;
		u16 q = rand() % NQ;

		if (what < 3) {
			struct seg s[4];
			unsigned int n = 1 + rand() % 4;

			for (i = 0; i < n; i++) {
				u32 len = rand() % 3 ? 1 + rand() % 3000 :
					  rand() % 16;

				s[i].gpa = rand() % 50 ? alloc_buf(&d, len + 1) :
					   HOLE_START - 100;
				s[i].len = len;
				s[i].write = rand() % 2;
			}
			chain(&d, q, s, n, rand() % 2);
			if (rand() % 5)
				d.vdev->ops->notify(d.vdev, q);
		} else if (what < 5) {
			struct kshim_tap *t = &d.taps[rand() % 2];

			if (t->rx_count < KSHIM_TAP_QUEUE)
				kshim_tap_inject(t, &rx_hdr, frame,
						 rand() % sizeof(frame));
			if (!(rand() % 10))
				t->read_err = rand() % 2 ? -EFAULT : -EIO;
			if (!(rand() % 10))
				t->write_err = -ENOBUFS;
		} else if (what == 5) {
			kshim_run_work();
		} else if (what == 6) {
			if (!(rand() % 20))
				kestrel_virtio_net_set_link(d.net, rand() % 2);
			if (!(rand() % 50)) {
				__le16 n = cpu_to_le16(1 + rand() % 2);

				ctrl(&d, NET_CTRL_MQ,
				     NET_CTRL_MQ_VQ_PAIRS_SET, &n, 2);
			}
		} else if (!(rand() % 30)) {
			drv_restart(&d);
			for (i = 0; i < 2; i++)
				while (d.taps[i].tx_count)
					free(d.taps[i].tx[--d.taps[i].tx_count].data);
		}
		for (i = 0; i < 2; i++)
			if (d.taps[i].tx_count > KSHIM_TAP_QUEUE / 2)
				while (d.taps[i].tx_count)
					free(d.taps[i].tx[--d.taps[i].tx_count].data);
	}
	kshim_run_work();
	drv_destroy(&d);
}

TEST_HARNESS_MAIN
