// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (kmod/virtio/console.c) with its kernel services shimmed
 * (kshim.h): the work item runs when the test calls kshim_run_work().  A
 * fake console stream records output and serves input from a buffer; the
 * driver model of vring_model.h puts buffers on the two queues and reads
 * the used rings.
 */
#include "kshim.h"

/* queue_work() on kshim's work items (the workqueue is ignored). */
#ifndef queue_work
#define queue_work(wq, w)	((void)(wq), schedule_work(w))
#endif

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../virtio/virtqueue.c"
#include "../virtio/console.c"

#include <stdlib.h>

#define NQ		2
#include "vring_model.h"
#include "kselftest_harness.h"

/* Queue 0 (receiveq) and queue 1 (transmitq) rings; a table; buffers. */
#define RX		0
#define TX		1
#define RING_GPA(q)	(0x1000u + 0x3000u * (q))
#define DESC_GPA(q)	RING_GPA(q)
#define AVAIL_GPA(q)	(RING_GPA(q) + 0x1000u)
#define USED_GPA(q)	(RING_GPA(q) + 0x2000u)
#define TABLE_GPA	0x8000u
#define BUF_GPA		0x10000u
#define QSIZE		16

/* The fake console stream. */
#define OUT_MAX		(2u << 20)
#define IN_MAX		(1u << 20)

static struct {
	u8 out[OUT_MAX];
	size_t out_len;
	unsigned int out_calls;
	size_t out_max_call;
	u8 in[IN_MAX];
	size_t in_head, in_tail;
	unsigned int in_calls;
} fake;

static void fake_output(void *opaque, const u8 *buf, size_t len)
{
	if (opaque != &fake || !len || fake.out_len + len > OUT_MAX)
		abort();
	memcpy(fake.out + fake.out_len, buf, len);
	fake.out_len += len;
	fake.out_calls++;
	if (len > fake.out_max_call)
		fake.out_max_call = len;
}

static int fake_input_get(void *opaque)
{
	if (opaque != &fake)
		abort();
	fake.in_calls++;
	if (fake.in_head == fake.in_tail)
		return -1;
	return fake.in[fake.in_head++];
}

/* Host input arrives: queued in the console, then the notifier. */
static void host_types(struct kestrel_virtio_console *vc, const void *s,
		       size_t len, bool notify)
{
	if (fake.in_tail + len > IN_MAX)
		abort();
	memcpy(fake.in + fake.in_tail, s, len);
	fake.in_tail += len;
	if (notify)
		kestrel_virtio_console_input_ready(vc);
}

static size_t in_left(void)
{
	return fake.in_tail - fake.in_head;
}

struct drv {
	struct kestrel_mem mem;
	struct vring vr[NQ];
	struct kestrel_virtio_console *vc;
	struct kestrel_virtio_dev *vdev;
};

/* One writable buffer of @len at @gpa on the receive queue. */
static u16 give_rx(struct drv *d, u64 gpa, u32 len)
{
	return add_buf(&d->vr[RX], gpa, len, F_WRITE);
}

/* @len bytes of @s at @gpa, sent as one readable buffer. */
static u16 send_tx(struct drv *d, u64 gpa, const void *s, u32 len)
{
	memcpy(d->mem.ram + gpa, s, len);
	return add_buf(&d->vr[TX], gpa, len, 0);
}

static void kick(struct drv *d, int q)
{
	d->vdev->ops->notify(d->vdev, q);
}

/* Run only the first queued work item; whether there was one. */
static bool run_one_work(void)
{
	struct work_struct *w;
	unsigned int i;

	if (!kshim_nr_work)
		return false;
	w = kshim_work[0];
	for (i = 1; i < kshim_nr_work; i++)
		kshim_work[i - 1] = kshim_work[i];
	kshim_nr_work--;
	w->queued = false;
	w->func(w);
	return true;
}

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	recorders_reset();
}

static const struct kestrel_virtio_console_params fake_params = {
	.output = fake_output,
	.input_get = fake_input_get,
	.opaque = &fake,
};

static void drv_create(struct drv *d, u64 features)
{
	int q;

	memset(d, 0, sizeof(*d));
	fake_reset();
	ram_alloc(&d->mem);
	d->vc = kestrel_virtio_console_create(&fake_params, "test console");
	if (IS_ERR(d->vc))
		abort();
	d->vdev = kestrel_virtio_console_vdev(d->vc);
	vdev_attach(d->vdev, &d->mem, features);
	for (q = 0; q < NQ; q++) {
		vring_init(&d->vr[q], &d->mem, QSIZE, DESC_GPA(q),
			   AVAIL_GPA(q), USED_GPA(q));
		vring_to_queue(&d->vr[q], &d->vdev->queues[q]);
	}
}

/* The driver's indexes back to 0 (the rings' memory is the caller's). */
static void drv_rewind(struct drv *d)
{
	int q;

	for (q = 0; q < NQ; q++)
		d->vr[q].avail_idx = d->vr[q].next_desc = 0;
}

static void drv_start(struct drv *d)
{
	if (d->vdev->ops->start(d->vdev))
		abort();
}

/* Reset, wipe the rings, start again. */
static void drv_restart(struct drv *d)
{
	d->vdev->ops->reset(d->vdev);
	memset(d->mem.ram, 0, BUF_GPA);
	drv_rewind(d);
	drv_start(d);
}

static void drv_destroy(struct drv *d)
{
	kestrel_virtio_console_destroy(d->vc);
	free(d->mem.ram);
}

FIXTURE(con) {
	struct drv d;
};

FIXTURE_SETUP(con)
{
	drv_create(&self->d, FEAT_INDIRECT);
	drv_start(&self->d);
	kshim_run_work();		/* start's look at the rings */
}

FIXTURE_TEARDOWN(con)
{
	drv_destroy(&self->d);
}

TEST(ops_and_config)
{
	struct kestrel_virtio_console_params p = fake_params;
	const struct kestrel_virtio_ops *ops;
	u8 cfg[12], b[4];
	struct drv d;

	drv_create(&d, 0);
	ops = d.vdev->ops;
	EXPECT_EQ(KESTREL_VIRTIO_ID_CONSOLE, ops->device_id);
	EXPECT_EQ(0x7ULL & ~(1ULL << 1), ops->features & 0xffffff);
	EXPECT_EQ(FEAT_INDIRECT | FEAT_EVENT_IDX, ops->features & ~0xffffffULL);
	EXPECT_EQ(2, ops->num_queues);
	EXPECT_EQ(12, ops->config_len);
	EXPECT_EQ(0, ops->max_queue_size & (ops->max_queue_size - 1));
	ops->config_read(d.vdev, 0, cfg, sizeof(cfg));
	EXPECT_EQ(80, cfg[0] | cfg[1] << 8);
	EXPECT_EQ(25, cfg[2] | cfg[3] << 8);
	EXPECT_EQ(1, cfg[4] | cfg[5] << 8 | cfg[6] << 16 | cfg[7] << 24);
	EXPECT_EQ(0, cfg[8] | cfg[9] | cfg[10] | cfg[11]);
	/* partial reads */
	ops->config_read(d.vdev, 2, b, 1);
	EXPECT_EQ(25, b[0]);
	ops->config_read(d.vdev, 4, b, 4);
	EXPECT_EQ(1, b[0]);
	EXPECT_EQ(0, b[3]);
	/* out of range (the transport should not): zeros */
	memset(b, 0xff, 4);
	ops->config_read(d.vdev, 10, b, 4);
	EXPECT_EQ(0, b[0]);
	/* read-only fields stay */
	memset(b, 7, 4);
	ops->config_write(d.vdev, 0, b, 4);
	ops->config_read(d.vdev, 0, b, 2);
	EXPECT_EQ(80, b[0]);
	EXPECT_EQ(0, fake.out_calls);
	EXPECT_STREQ("test console", d.vc->name);
	EXPECT_STREQ("test console rx", d.vc->rx_name);
	EXPECT_STREQ("test console tx", d.vc->tx_name);
	drv_destroy(&d);

	p.output = NULL;
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_console_create(&p, "x")));
	p = fake_params;
	p.input_get = NULL;
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_console_create(&p, "x")));
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_console_create(NULL, "x")));
	kestrel_virtio_console_destroy(NULL);
}

TEST(emergency_write)
{
	__le32 c = cpu_to_le32('A');
	u8 byte = 'b';
	struct drv d;

	/* before start, without any feature */
	drv_create(&d, 0);
	d.vdev->ops->config_write(d.vdev, 8, &c, 4);
	ASSERT_EQ(1, fake.out_len);
	EXPECT_EQ('A', fake.out[0]);
	d.vdev->ops->config_write(d.vdev, 8, &byte, 1);
	EXPECT_EQ(2, fake.out_len);
	EXPECT_EQ('b', fake.out[1]);
	/* not at emerg_wr: ignored */
	d.vdev->ops->config_write(d.vdev, 9, &byte, 1);
	d.vdev->ops->config_write(d.vdev, 4, &c, 4);
	EXPECT_EQ(2, fake.out_len);
	/* reads as 0 */
	d.vdev->ops->config_read(d.vdev, 8, &c, 4);
	EXPECT_EQ(0, c);
	/* and while running */
	drv_start(&d);
	byte = '\n';
	d.vdev->ops->config_write(d.vdev, 8, &byte, 1);
	EXPECT_EQ(3, fake.out_len);
	EXPECT_EQ('\n', fake.out[2]);
	EXPECT_EQ(1, kshim_nr_work);	/* start's, nothing more */
	drv_destroy(&d);
}

TEST_F(con, tx_single)
{
	struct drv *d = &self->d;
	u16 h;

	h = send_tx(d, BUF_GPA, "hello", 5);
	kick(d, TX);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(1, used_idx(&d->vr[TX]));
	EXPECT_EQ(h, used_id(&d->vr[TX], 0));
	EXPECT_EQ(0, used_len(&d->vr[TX], 0));
	ASSERT_EQ(5, fake.out_len);
	EXPECT_EQ(0, memcmp(fake.out, "hello", 5));
	EXPECT_EQ(1, interrupts[TX]);
	EXPECT_EQ(0, interrupts[RX]);
	EXPECT_EQ(5, d->vc->tx_bytes);
	/* notifications on again once the ring is empty */
	EXPECT_EQ(0, used_flags(&d->vr[TX]));
	/* nothing new: no interrupt */
	kick(d, TX);
	kshim_run_work();
	EXPECT_EQ(1, interrupts[TX]);
	EXPECT_EQ(0, resets_asked);
	EXPECT_EQ(0, fake.in_calls);	/* no input wanted */
}

TEST_F(con, tx_multi_segment_and_indirect)
{
	struct drv *d = &self->d;

	memcpy(d->mem.ram + BUF_GPA, "ab", 2);
	memcpy(d->mem.ram + BUF_GPA + 0x100, "cde", 3);
	memcpy(d->mem.ram + BUF_GPA + 0x200, "f", 1);
	set_desc(&d->mem, DESC_GPA(TX), 0, BUF_GPA, 2, F_NEXT, 1);
	set_desc(&d->mem, DESC_GPA(TX), 1, BUF_GPA + 0x100, 3, F_NEXT, 2);
	set_desc(&d->mem, DESC_GPA(TX), 2, BUF_GPA + 0x200, 1, 0, 0);
	avail_add(&d->vr[TX], 0);
	memcpy(d->mem.ram + BUF_GPA + 0x300, "gh", 2);
	memcpy(d->mem.ram + BUF_GPA + 0x400, "ij", 2);
	set_desc(&d->mem, DESC_GPA(TX), 3, TABLE_GPA, 32, F_INDIRECT, 0);
	set_desc(&d->mem, TABLE_GPA, 0, BUF_GPA + 0x300, 2, F_NEXT, 1);
	set_desc(&d->mem, TABLE_GPA, 1, BUF_GPA + 0x400, 2, 0, 0);
	avail_add(&d->vr[TX], 3);
	kick(d, TX);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d->vr[TX]));
	EXPECT_EQ(0, used_id(&d->vr[TX], 0));
	EXPECT_EQ(3, used_id(&d->vr[TX], 1));
	ASSERT_EQ(10, fake.out_len);
	EXPECT_EQ(0, memcmp(fake.out, "abcdefghij", 10));
	EXPECT_EQ(1, interrupts[TX]);
	EXPECT_EQ(0, resets_asked);
}

TEST_F(con, tx_in_chunks)
{
	struct drv *d = &self->d;
	u8 data[1000];
	int i;

	for (i = 0; i < 1000; i++)
		data[i] = (u8)(i * 7);
	send_tx(d, BUF_GPA, data, sizeof(data));
	kick(d, TX);
	kshim_run_work();
	ASSERT_EQ(1000, fake.out_len);
	EXPECT_EQ(0, memcmp(fake.out, data, 1000));
	EXPECT_EQ(CON_CHUNK, fake.out_max_call);
	EXPECT_EQ(4, fake.out_calls);
}

TEST_F(con, tx_budget_yields)
{
	struct drv *d = &self->d;
	u32 big = 200 * 1024;
	int i;

	/* 16 chains of 8 KiB (whatever they hold): 64 KiB a run */
	for (i = 0; i < QSIZE; i++)
		add_buf(&d->vr[TX], BUF_GPA + 0x2000 * i, 0x2000, 0);
	kick(d, TX);
	EXPECT_EQ(3, kshim_run_work());
	EXPECT_EQ(QSIZE, used_idx(&d->vr[TX]));
	EXPECT_EQ(QSIZE * 0x2000, fake.out_len);
	EXPECT_EQ(2, interrupts[TX]);

	/* one chain larger than a run: continued, used once at the end */
	fake.out_len = 0;
	set_desc(&d->mem, DESC_GPA(TX), 0, BUF_GPA, big, 0, 0);
	for (i = 0; i < (int)big; i++)
		d->mem.ram[BUF_GPA + i] = (u8)(i / 3);
	avail_add(&d->vr[TX], 0);
	kick(d, TX);
	EXPECT_EQ(1, kshim_run_work() > 0);
	EXPECT_EQ(QSIZE + 1, used_idx(&d->vr[TX]));
	ASSERT_EQ(big, fake.out_len);
	EXPECT_EQ(0, memcmp(fake.out, d->mem.ram + BUF_GPA, big));
	EXPECT_EQ(0, resets_asked);
}

TEST_F(con, tx_budget_counts_runs)
{
	struct drv *d = &self->d;
	u32 big = 200 * 1024;

	set_desc(&d->mem, DESC_GPA(TX), 0, BUF_GPA, big, 0, 0);
	avail_add(&d->vr[TX], 0);
	kick(d, TX);
	/* 64 + 64 + 64 + 8 KiB, used at the end */
	EXPECT_TRUE(run_one_work());
	EXPECT_EQ(64 * 1024, fake.out_len);
	EXPECT_EQ(0, used_idx(&d->vr[TX]));
	EXPECT_EQ(0, interrupts[TX]);
	EXPECT_EQ(KESTREL_VRING_USED_F_NO_NOTIFY, used_flags(&d->vr[TX]));
	EXPECT_EQ(3, kshim_run_work());
	EXPECT_EQ(1, used_idx(&d->vr[TX]));
	EXPECT_EQ(big, fake.out_len);
	EXPECT_EQ(1, interrupts[TX]);
}

TEST_F(con, rx_into_buffers)
{
	struct drv *d = &self->d;
	u16 h;

	h = give_rx(d, BUF_GPA, 16);
	kick(d, RX);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d->vr[RX]));
	host_types(d->vc, "hello", 5, true);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(1, used_idx(&d->vr[RX]));
	EXPECT_EQ(h, used_id(&d->vr[RX], 0));
	EXPECT_EQ(5, used_len(&d->vr[RX], 0));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA, "hello", 5));
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 5]);
	EXPECT_EQ(1, interrupts[RX]);
	EXPECT_EQ(0, interrupts[TX]);
	EXPECT_EQ(0, in_left());
	EXPECT_EQ(5, d->vc->rx_bytes);
	EXPECT_FALSE(d->vc->input_pending);
	EXPECT_EQ(0, resets_asked);
}

TEST_F(con, rx_partial_fills)
{
	struct drv *d = &self->d;
	u8 s[40];
	int i;

	for (i = 0; i < 40; i++)
		s[i] = 'A' + i;
	give_rx(d, BUF_GPA, 16);
	give_rx(d, BUF_GPA + 0x100, 16);
	give_rx(d, BUF_GPA + 0x200, 16);
	give_rx(d, BUF_GPA + 0x300, 16);
	host_types(d->vc, s, 40, true);
	kshim_run_work();
	ASSERT_EQ(3, used_idx(&d->vr[RX]));
	EXPECT_EQ(16, used_len(&d->vr[RX], 0));
	EXPECT_EQ(16, used_len(&d->vr[RX], 1));
	EXPECT_EQ(8, used_len(&d->vr[RX], 2));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA, s, 16));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x100, s + 16, 16));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x200, s + 32, 8));
	EXPECT_EQ(1, interrupts[RX]);
	/* the fourth buffer is kept for later input */
	host_types(d->vc, "xy", 2, true);
	kshim_run_work();
	ASSERT_EQ(4, used_idx(&d->vr[RX]));
	EXPECT_EQ(2, used_len(&d->vr[RX], 3));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x300, "xy", 2));
}

TEST_F(con, rx_scattered_and_indirect)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA(RX), 0, BUF_GPA, 3, F_WRITE | F_NEXT, 1);
	set_desc(&d->mem, DESC_GPA(RX), 1, BUF_GPA + 0x100, 2, F_WRITE, 0);
	avail_add(&d->vr[RX], 0);
	set_desc(&d->mem, DESC_GPA(RX), 2, TABLE_GPA, 32, F_INDIRECT, 0);
	set_desc(&d->mem, TABLE_GPA, 0, BUF_GPA + 0x200, 1,
		 F_WRITE | F_NEXT, 1);
	set_desc(&d->mem, TABLE_GPA, 1, BUF_GPA + 0x300, 4, F_WRITE, 0);
	avail_add(&d->vr[RX], 2);
	host_types(d->vc, "0123456789", 10, true);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d->vr[RX]));
	EXPECT_EQ(5, used_len(&d->vr[RX], 0));
	EXPECT_EQ(5, used_len(&d->vr[RX], 1));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA, "012", 3));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x100, "34", 2));
	EXPECT_EQ('5', d->mem.ram[BUF_GPA + 0x200]);
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x300, "6789", 4));
	EXPECT_EQ(0, in_left());
}

TEST_F(con, rx_input_waits_for_buffers)
{
	struct drv *d = &self->d;
	unsigned int calls;

	host_types(d->vc, "late", 4, true);
	EXPECT_EQ(1, kshim_run_work());
	/* nothing taken, no spinning, waiting for the kick */
	EXPECT_EQ(4, in_left());
	EXPECT_EQ(0, kshim_nr_work);
	EXPECT_EQ(0, used_flags(&d->vr[RX]));
	EXPECT_TRUE(d->vc->input_pending);
	calls = fake.in_calls;
	EXPECT_EQ(0, calls);
	/* more input: still no buffer, still kept */
	host_types(d->vc, "r", 1, true);
	kshim_run_work();
	EXPECT_EQ(5, in_left());
	EXPECT_EQ(0, fake.in_calls);

	give_rx(d, BUF_GPA, 64);
	kick(d, RX);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(1, used_idx(&d->vr[RX]));
	EXPECT_EQ(5, used_len(&d->vr[RX], 0));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA, "later", 5));
	EXPECT_EQ(0, in_left());
	EXPECT_EQ(1, interrupts[RX]);
	/* while not waiting, the receive queue is not kicked */
	EXPECT_EQ(KESTREL_VRING_USED_F_NO_NOTIFY, used_flags(&d->vr[RX]));
}

TEST_F(con, rx_full_buffer_then_wait)
{
	struct drv *d = &self->d;

	give_rx(d, BUF_GPA, 4);
	host_types(d->vc, "abcdefg", 7, true);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d->vr[RX]));
	EXPECT_EQ(4, used_len(&d->vr[RX], 0));
	EXPECT_EQ(3, in_left());
	EXPECT_TRUE(d->vc->input_pending);
	EXPECT_EQ(0, used_flags(&d->vr[RX]));	/* waiting */
	give_rx(d, BUF_GPA + 0x100, 4);
	kick(d, RX);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d->vr[RX]));
	EXPECT_EQ(3, used_len(&d->vr[RX], 1));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x100, "efg", 3));
	EXPECT_FALSE(d->vc->input_pending);
}

TEST_F(con, rx_spurious_ready)
{
	struct drv *d = &self->d;

	give_rx(d, BUF_GPA, 16);
	kestrel_virtio_console_input_ready(d->vc);
	kshim_run_work();
	/* asked once, found nothing, kept the buffer */
	EXPECT_EQ(1, fake.in_calls);
	EXPECT_EQ(0, used_idx(&d->vr[RX]));
	EXPECT_EQ(0, interrupts[RX]);
	EXPECT_FALSE(d->vc->input_pending);
	host_types(d->vc, "z", 1, true);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d->vr[RX]));
	EXPECT_EQ(1, used_len(&d->vr[RX], 0));
}

TEST_F(con, rx_budget_yields)
{
	struct drv *d = &self->d;
	static u8 s[QSIZE * 0x2000];
	u32 i;

	for (i = 0; i < sizeof(s); i++)
		s[i] = (u8)(i * 13 + 1);
	for (i = 0; i < QSIZE; i++)
		give_rx(d, BUF_GPA + 0x2000 * i, 0x2000);
	host_types(d->vc, s, sizeof(s), true);
	/* 8 buffers, 8 buffers, then a look without buffers */
	EXPECT_EQ(3, kshim_run_work());
	EXPECT_EQ(QSIZE, used_idx(&d->vr[RX]));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA, s, sizeof(s)));
	EXPECT_EQ(2, interrupts[RX]);
	EXPECT_EQ(0, in_left());
}

TEST(input_ready_before_start)
{
	struct drv d;

	drv_create(&d, 0);
	host_types(d.vc, "early", 5, true);
	EXPECT_EQ(0, kshim_nr_work);
	EXPECT_EQ(0, fake.in_calls);
	give_rx(&d, BUF_GPA, 16);
	drv_start(&d);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(1, used_idx(&d.vr[RX]));
	EXPECT_EQ(5, used_len(&d.vr[RX], 0));
	EXPECT_EQ(0, memcmp(d.mem.ram + BUF_GPA, "early", 5));

	/* after reset too */
	d.vdev->ops->reset(d.vdev);
	host_types(d.vc, "gap", 3, true);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(3, in_left());
	memset(d.mem.ram, 0, BUF_GPA);
	drv_rewind(&d);
	drv_start(&d);
	kshim_run_work();
	EXPECT_EQ(3, in_left());	/* no buffer yet */
	give_rx(&d, BUF_GPA, 16);
	kick(&d, RX);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d.vr[RX]));
	EXPECT_EQ(3, used_len(&d.vr[RX], 0));
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(input_without_notify_seen_at_start)
{
	struct drv d;

	drv_create(&d, 0);
	host_types(d.vc, "quiet", 5, false);
	give_rx(&d, BUF_GPA, 16);
	drv_start(&d);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d.vr[RX]));
	EXPECT_EQ(5, used_len(&d.vr[RX], 0));
	drv_destroy(&d);
}

TEST(event_idx)
{
	struct drv d;

	drv_create(&d, FEAT_EVENT_IDX);
	drv_start(&d);
	kshim_run_work();
	set_used_event(&d.vr[TX], 1);
	send_tx(&d, BUF_GPA, "a", 1);
	kick(&d, TX);
	kshim_run_work();
	EXPECT_EQ(1, interrupts[TX]);
	send_tx(&d, BUF_GPA, "b", 1);
	kick(&d, TX);
	kshim_run_work();
	EXPECT_EQ(2, interrupts[TX]);
	send_tx(&d, BUF_GPA, "c", 1);
	kick(&d, TX);
	kshim_run_work();
	EXPECT_EQ(3, used_idx(&d.vr[TX]));
	EXPECT_EQ(2, interrupts[TX]);
	EXPECT_EQ(3, avail_event(&d.vr[TX]));
	EXPECT_EQ(0, memcmp(fake.out, "abc", 3));

	/* receive: waiting for buffers moves avail_event */
	host_types(d.vc, "in", 2, true);
	kshim_run_work();
	EXPECT_EQ(0, avail_event(&d.vr[RX]));
	give_rx(&d, BUF_GPA, 1);
	kick(&d, RX);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d.vr[RX]));
	EXPECT_EQ(1, avail_event(&d.vr[RX]));
	EXPECT_EQ(1, interrupts[RX]);
	EXPECT_EQ(1, in_left());
	drv_destroy(&d);
}

TEST_F(con, interrupt_suppressed)
{
	struct drv *d = &self->d;

	put16(&d->mem, AVAIL_GPA(TX), KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	put16(&d->mem, AVAIL_GPA(RX), KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	send_tx(d, BUF_GPA, "q", 1);
	give_rx(d, BUF_GPA + 0x100, 8);
	host_types(d->vc, "r", 1, true);
	kick(d, TX);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr[TX]));
	EXPECT_EQ(1, used_idx(&d->vr[RX]));
	EXPECT_EQ(0, interrupts[TX]);
	EXPECT_EQ(0, interrupts[RX]);
}

TEST_F(con, readable_rx_buffer_refused)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA(RX), 0, BUF_GPA, 16, 0, 0);
	avail_add(&d->vr[RX], 0);
	host_types(d->vc, "x", 1, true);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(&d->vr[RX]));
	EXPECT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d->vc->rxq));
	EXPECT_NE(NULL, strstr(kshim_last_warning, "test console rx"));
	EXPECT_EQ(0, fake.in_calls);
	EXPECT_EQ(1, in_left());
	/* stopped: transmit is not served either, nothing said again */
	send_tx(d, BUF_GPA + 0x100, "t", 1);
	kick(d, TX);
	kick(d, RX);
	kshim_run_work();
	EXPECT_EQ(0, used_idx(&d->vr[TX]));
	EXPECT_EQ(0, fake.out_len);
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(1, kshim_warnings);

	/* reset, start: served again */
	drv_restart(d);
	give_rx(d, BUF_GPA, 16);
	send_tx(d, BUF_GPA + 0x100, "t", 1);
	kick(d, RX);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr[RX]));
	EXPECT_EQ(1, used_idx(&d->vr[TX]));
	EXPECT_EQ(1, fake.out_len);
	EXPECT_EQ(1, resets_asked);
}

TEST_F(con, writable_tx_buffer_refused)
{
	struct drv *d = &self->d;

	memcpy(d->mem.ram + BUF_GPA, "out", 3);
	set_desc(&d->mem, DESC_GPA(TX), 0, BUF_GPA, 3, F_NEXT, 1);
	set_desc(&d->mem, DESC_GPA(TX), 1, BUF_GPA + 0x100, 16, F_WRITE, 0);
	avail_add(&d->vr[TX], 0);
	kick(d, TX);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(&d->vr[TX]));
	EXPECT_EQ(0, fake.out_len);
	EXPECT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d->vc->txq));
	kick(d, TX);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
}

TEST_F(con, broken_ring)
{
	struct drv *d = &self->d;

	/* a loop on the transmit queue, a buffer outside RAM on receive */
	set_desc(&d->mem, DESC_GPA(TX), 5, BUF_GPA, 16, F_NEXT, 5);
	avail_add(&d->vr[TX], 5);
	kick(d, TX);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(KESTREL_VQ_ERR_LOOP, kestrel_vq_error(&d->vc->txq));

	drv_restart(d);
	give_rx(d, HOLE_START - 8, 16);
	host_types(d->vc, "0123456789abcdef", 16, true);
	kshim_run_work();
	EXPECT_EQ(2, resets_asked);
	EXPECT_EQ(KESTREL_VQ_ERR_BUF_FAULT, kestrel_vq_error(&d->vc->rxq));
	EXPECT_EQ(0, used_idx(&d->vr[RX]));
}

TEST(bad_ring_at_start)
{
	struct drv d;

	drv_create(&d, 0);
	d.vdev->queues[RX].device = HOLE_START;
	drv_start(&d);
	EXPECT_EQ(0, resets_asked);	/* not from start itself */
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(KESTREL_VQ_ERR_RING_RAM, kestrel_vq_error(&d.vc->rxq));
	kick(&d, TX);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	drv_destroy(&d);
}

TEST(queue_not_enabled)
{
	struct drv d;

	drv_create(&d, 0);
	d.vdev->queues[RX].enabled = false;
	drv_start(&d);
	kshim_run_work();
	host_types(d.vc, "x", 1, true);
	give_rx(&d, BUF_GPA, 16);
	kick(&d, RX);
	kshim_run_work();
	EXPECT_EQ(0, used_idx(&d.vr[RX]));
	EXPECT_EQ(1, in_left());
	/* transmit still works */
	send_tx(&d, BUF_GPA + 0x100, "y", 1);
	kick(&d, TX);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d.vr[TX]));
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST_F(con, reset_with_pending_work)
{
	struct drv *d = &self->d;

	send_tx(d, BUF_GPA, "zz", 2);
	kick(d, TX);			/* queued, not run yet */
	EXPECT_EQ(1, kshim_nr_work);
	d->vdev->ops->reset(d->vdev);
	EXPECT_EQ(0, kshim_nr_work);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d->vr[TX]));
	kick(d, TX);			/* after reset: ignored */
	kestrel_virtio_console_input_ready(d->vc);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_FALSE(d->vc->txq.ready);
	EXPECT_FALSE(d->vc->rxq.ready);
	EXPECT_EQ(0, d->vc->lock.held);
	EXPECT_EQ(0, fake.out_len);

	/* started again on the same rings: the chain is served now */
	drv_start(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr[TX]));
	EXPECT_EQ(2, fake.out_len);

	/* a chain half sent when reset came is forgotten */
	drv_restart(d);
	kshim_run_work();
	fake.out_len = 0;
	set_desc(&d->mem, DESC_GPA(TX), 0, BUF_GPA, 100 * 1024, 0, 0);
	avail_add(&d->vr[TX], 0);
	kick(d, TX);
	EXPECT_TRUE(run_one_work());
	EXPECT_TRUE(d->vc->tx_busy);
	EXPECT_EQ(CON_RUN_BYTES, d->vc->tx_off);
	EXPECT_EQ(CON_RUN_BYTES, fake.out_len);
	EXPECT_EQ(1, kshim_nr_work);	/* to go on */
	EXPECT_EQ(0, used_idx(&d->vr[TX]));
	drv_restart(d);
	EXPECT_FALSE(d->vc->tx_busy);
	kshim_run_work();
	EXPECT_EQ(CON_RUN_BYTES, fake.out_len);
	send_tx(d, BUF_GPA, "ok", 2);
	kick(d, TX);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr[TX]));
	EXPECT_EQ(CON_RUN_BYTES + 2, fake.out_len);
	EXPECT_EQ(0, resets_asked);
}

TEST(destroy_with_work_pending)
{
	struct drv d;

	drv_create(&d, 0);
	drv_start(&d);
	host_types(d.vc, "x", 1, true);
	EXPECT_EQ(1, kshim_nr_work);
	drv_destroy(&d);
	EXPECT_EQ(0, kshim_nr_work);
}

TEST_F(con, other_queue_ignored)
{
	send_tx(&self->d, BUF_GPA, "x", 1);
	self->d.vdev->ops->notify(self->d.vdev, 2);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&self->d.vr[TX]));
}

static u32 rnd_state = 12345;

static u32 rnd(u32 n)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 8) % n;
}

/*
 * Random well-formed traffic both ways, with input arriving in bursts and
 * buffers given late: every byte of output arrives once and in order, and
 * so does every byte of input, without a reset.
 */
TEST(fuzz_streams)
{
	static u8 sent[1 << 20], got[1 << 20];
	size_t nsent = 0, ngot = 0, typed = 0;
	u16 rx_seen = 0, tx_seen = 0, rx_out = 0, tx_out = 0;
	u32 rx_len[QSIZE], rx_gpa[QSIZE];
	struct drv d;
	int iter;

	drv_create(&d, FEAT_INDIRECT | (rnd(2) ? FEAT_EVENT_IDX : 0));
	drv_start(&d);
	for (iter = 0; iter < 20000; iter++) {
		switch (rnd(6)) {
		case 0: {	/* host input */
			u8 s[64];
			u32 n = 1 + rnd(64), i;

			if (typed + n > sizeof(got))
				break;
			for (i = 0; i < n; i++)
				s[i] = (u8)(typed + i);
			typed += n;
			host_types(d.vc, s, n, rnd(8) != 0);
			break;
		}
		case 1: {	/* a receive buffer, in one or two pieces */
			u16 head;
			u32 len = 1 + rnd(300), gpa;

			if ((u16)(rx_out - rx_seen) == QSIZE)
				break;
			head = rx_out % QSIZE;
			gpa = BUF_GPA + 0x1000 * head;
			rx_len[head] = len;
			rx_gpa[head] = gpa;
			set_desc(&d.mem, DESC_GPA(RX), head, gpa, len,
				 F_WRITE, 0);
			avail_add(&d.vr[RX], head);
			rx_out++;
			if (rnd(2))
				kick(&d, RX);
			break;
		}
		case 2: {	/* output, direct or indirect */
			u16 head;
			u32 len = 1 + rnd(600), gpa, i, a;

			if ((u16)(tx_out - tx_seen) == QSIZE ||
			    nsent + len > sizeof(sent))
				break;
			head = tx_out % QSIZE;
			gpa = BUF_GPA + 0x20000 + 0x1000 * head;
			for (i = 0; i < len; i++)
				d.mem.ram[gpa + i] = sent[nsent + i] =
					(u8)rnd(256);
			nsent += len;
			if (rnd(2) && len > 1) {
				u64 t = TABLE_GPA + 0x100 * head;

				a = 1 + rnd(len - 1);
				set_desc(&d.mem, t, 0, gpa, a, F_NEXT, 1);
				set_desc(&d.mem, t, 1, gpa + a, len - a, 0, 0);
				set_desc(&d.mem, DESC_GPA(TX), head, t, 32,
					 F_INDIRECT, 0);
			} else {
				set_desc(&d.mem, DESC_GPA(TX), head, gpa, len,
					 0, 0);
			}
			avail_add(&d.vr[TX], head);
			tx_out++;
			kick(&d, TX);
			break;
		}
		default:
			kshim_run_work();
			break;
		}
		/* collect used receive buffers in order */
		while (rx_seen != used_idx(&d.vr[RX])) {
			u16 id = used_id(&d.vr[RX], rx_seen);
			u32 len = used_len(&d.vr[RX], rx_seen);

			ASSERT_EQ(rx_seen % QSIZE, id);
			ASSERT_LE(len, rx_len[id]);
			memcpy(got + ngot, d.mem.ram + rx_gpa[id], len);
			ngot += len;
			rx_seen++;
		}
		while (tx_seen != used_idx(&d.vr[TX])) {
			ASSERT_EQ(0, used_len(&d.vr[TX], tx_seen));
			tx_seen++;
		}
	}
	/* drain: buffers for what is left */
	kestrel_virtio_console_input_ready(d.vc);
	while (in_left() || kshim_nr_work) {
		if ((u16)(rx_out - rx_seen) < QSIZE) {
			u16 head = rx_out % QSIZE;

			rx_len[head] = 300;
			rx_gpa[head] = BUF_GPA + 0x1000 * head;
			set_desc(&d.mem, DESC_GPA(RX), head, rx_gpa[head], 300,
				 F_WRITE, 0);
			avail_add(&d.vr[RX], head);
			rx_out++;
			kick(&d, RX);
		}
		kshim_run_work();
		while (rx_seen != used_idx(&d.vr[RX])) {
			u16 id = used_id(&d.vr[RX], rx_seen);
			u32 len = used_len(&d.vr[RX], rx_seen);

			memcpy(got + ngot, d.mem.ram + rx_gpa[id], len);
			ngot += len;
			rx_seen++;
		}
	}
	EXPECT_EQ(0, resets_asked);
	EXPECT_EQ(typed, ngot);
	EXPECT_EQ(0, memcmp(got, fake.in, ngot));
	EXPECT_EQ(tx_out, used_idx(&d.vr[TX]));
	ASSERT_EQ(nsent, fake.out_len);
	EXPECT_EQ(0, memcmp(sent, fake.out, nsent));
	drv_destroy(&d);
}

/* Garbage rings: never a crash, at most one needs_reset per start. */
TEST(fuzz_garbage)
{
	struct drv d;
	int round, i;

	drv_create(&d, FEAT_INDIRECT);
	for (round = 0; round < 300; round++) {
		unsigned int before = resets_asked;

		memset(d.mem.ram, 0, BUF_GPA);
		drv_rewind(&d);
		drv_start(&d);
		for (i = 0; i < 64; i++) {
			int q = rnd(2);
			u16 flags = rnd(8);
			u64 addr = rnd(4) ? BUF_GPA + rnd(0x10000) :
				   rnd(RAM_SIZE + 0x1000);
			u64 table = rnd(2) ? DESC_GPA(q) : TABLE_GPA;

			set_desc(&d.mem, table, rnd(QSIZE), addr, rnd(0x800),
				 flags, rnd(QSIZE + 2));
			if (rnd(3) == 0)
				avail_add(&d.vr[q], rnd(QSIZE + 1));
			if (rnd(4) == 0)
				host_types(d.vc, "fuzz", 4, true);
			if (rnd(3) == 0)
				kick(&d, q);
			if (rnd(4) == 0)
				kshim_run_work();
			if (fake.in_tail > IN_MAX - 64)
				fake.in_head = fake.in_tail = 0;
			if (fake.out_len > OUT_MAX / 2)
				fake.out_len = 0;
		}
		kshim_run_work();
		ASSERT_LE(resets_asked - before, 1);
		d.vdev->ops->reset(d.vdev);
		ASSERT_EQ(0, kshim_nr_work);
	}
	EXPECT_EQ(0, kshim_warn_on);
	drv_destroy(&d);
}

TEST_HARNESS_MAIN
