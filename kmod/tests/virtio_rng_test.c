// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (kmod/virtio/rng.c) with its kernel services shimmed
 * (kshim.h): the work item runs when the test calls kshim_run_work(), time
 * moves with kshim_advance_ns(), and get_random_bytes() gives 1, 2, 3, ...
 * A driver model here puts buffers on the queue and reads the used ring.
 */
#include "kshim.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../virtio/virtqueue.c"
#include "../virtio/rng.c"

#include <stdlib.h>

#include "kselftest_harness.h"

/* Fake guest RAM: [0, RAM_SIZE) but the hole [HOLE_START, HOLE_END). */
#define RAM_SIZE	(1u << 20)
#define HOLE_START	0x80000u
#define HOLE_END	0x90000u

struct kestrel_mem {
	u8 *ram;
};

static bool ram_ok(u64 gpa, u64 len)
{
	if (!len || gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	return gpa + len <= HOLE_START || gpa >= HOLE_END;
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

#define DESC_GPA	0x1000u
#define AVAIL_GPA	0x2000u
#define USED_GPA	0x3000u
#define TABLE_GPA	0x4000u
#define BUF_GPA		0x10000u
#define QSIZE		16
#define MS		1000000ULL

#define F_NEXT		KESTREL_VRING_DESC_F_NEXT
#define F_WRITE		KESTREL_VRING_DESC_F_WRITE
#define F_INDIRECT	KESTREL_VRING_DESC_F_INDIRECT

static unsigned int interrupts, resets_asked;

static void on_interrupt(struct kestrel_virtio_dev *vdev, u16 q)
{
	if (q != 0)
		abort();
	interrupts++;
}

static void on_needs_reset(struct kestrel_virtio_dev *vdev)
{
	resets_asked++;
}

struct drv {
	struct kestrel_mem mem;
	struct kestrel_virtio_rng *rng;
	struct kestrel_virtio_dev *vdev;
	u16 avail_idx;
	u16 next_desc;
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

static void avail_add(struct drv *d, u16 head)
{
	put16(d, AVAIL_GPA + 4 + 2 * (d->avail_idx % QSIZE), head);
	d->avail_idx++;
	put16(d, AVAIL_GPA + 2, d->avail_idx);
}

/* One writable buffer of @len at @gpa; returns its head. */
static u16 give(struct drv *d, u64 gpa, u32 len)
{
	u16 head = d->next_desc++ % QSIZE;

	set_desc(d, DESC_GPA, head, gpa, len, F_WRITE, 0);
	avail_add(d, head);
	return head;
}

static u16 used_idx(struct drv *d)
{
	return get16(d, USED_GPA + 2);
}

static u32 used_id(struct drv *d, u16 i)
{
	return get32(d, USED_GPA + 4 + 8 * (i % QSIZE));
}

static u32 used_len(struct drv *d, u16 i)
{
	return get32(d, USED_GPA + 8 + 8 * (i % QSIZE));
}

static void kick(struct drv *d)
{
	d->vdev->ops->notify(d->vdev, 0);
}

/* What get_random_bytes() gave as byte number @n (from 0). */
static u8 random_byte(u64 n)
{
	return (u8)(n + 1);
}

static void drv_create(struct drv *d, const struct kestrel_virtio_rng_params *p,
		       u64 features)
{
	struct kestrel_virtio_queue *q;

	memset(d, 0, sizeof(*d));
	interrupts = 0;
	resets_asked = 0;
	kshim_warnings = 0;
	kshim_random_bytes = 0;
	d->mem.ram = calloc(1, RAM_SIZE);
	if (!d->mem.ram)
		abort();
	d->rng = kestrel_virtio_rng_create(p, "test rng");
	if (IS_ERR(d->rng))
		abort();
	d->vdev = kestrel_virtio_rng_vdev(d->rng);
	d->vdev->mem = &d->mem;
	d->vdev->interrupt = on_interrupt;
	d->vdev->needs_reset = on_needs_reset;
	d->vdev->driver_features = features;
	q = &d->vdev->queues[0];
	q->size = QSIZE;
	q->enabled = true;
	q->desc = DESC_GPA;
	q->driver = AVAIL_GPA;
	q->device = USED_GPA;
}

static void drv_start(struct drv *d)
{
	if (d->vdev->ops->start(d->vdev))
		abort();
}

static void drv_destroy(struct drv *d)
{
	kestrel_virtio_rng_destroy(d->rng);
	free(d->mem.ram);
}

FIXTURE(rng) {
	struct drv d;
};

FIXTURE_SETUP(rng)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };

	drv_create(&self->d, &unlimited,
		   1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC);
	drv_start(&self->d);
	kshim_run_work();		/* start's look at the ring */
}

FIXTURE_TEARDOWN(rng)
{
	drv_destroy(&self->d);
}

TEST(ops)
{
	struct drv d;
	struct kestrel_virtio_rng_params no_period = { .rate_bytes = 10 };
	const struct kestrel_virtio_ops *ops;
	u8 b[4] = { 1, 2, 3, 4 };

	drv_create(&d, NULL, 0);
	ops = d.vdev->ops;
	EXPECT_EQ(KESTREL_VIRTIO_ID_RNG, ops->device_id);
	EXPECT_EQ((1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) |
		  (1ULL << KESTREL_VIRTIO_F_EVENT_IDX), ops->features);
	EXPECT_EQ(1, ops->num_queues);
	EXPECT_EQ(0, ops->config_len);
	EXPECT_EQ(0, ops->max_queue_size & (ops->max_queue_size - 1));
	ops->config_read(d.vdev, 0, b, 4);
	EXPECT_EQ(0, b[3]);
	ops->config_write(d.vdev, 0, b, 4);
	/* the defaults: 1 MiB a second */
	EXPECT_EQ(KESTREL_VIRTIO_RNG_RATE_DEFAULT, d.rng->rate_bytes);
	EXPECT_EQ(KESTREL_VIRTIO_RNG_PERIOD_DEFAULT * MS, d.rng->period_ns);
	EXPECT_STREQ("test rng", d.rng->name);
	drv_destroy(&d);

	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_rng_create(&no_period, "x")));
	kestrel_virtio_rng_destroy(NULL);
}

TEST_F(rng, fills_buffers)
{
	struct drv *d = &self->d;
	u16 h1, h2;
	int i;

	h1 = give(d, BUF_GPA, 100);
	h2 = give(d, BUF_GPA + 0x1000, 1000);
	kick(d);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(2, used_idx(d));
	EXPECT_EQ(h1, used_id(d, 0));
	EXPECT_EQ(100, used_len(d, 0));
	EXPECT_EQ(h2, used_id(d, 1));
	EXPECT_EQ(1000, used_len(d, 1));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(random_byte(i), d->mem.ram[BUF_GPA + i]);
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 100]);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(random_byte(100 + i), d->mem.ram[BUF_GPA + 0x1000 + i]);
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 0x1000 + 1000]);
	EXPECT_EQ(1100, d->rng->served);
	EXPECT_EQ(1, interrupts);
	EXPECT_EQ(0, resets_asked);

	/* nothing new: no interrupt */
	kick(d);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(2, used_idx(d));
	EXPECT_EQ(1, interrupts);
	/* notifications were enabled again once the ring was empty */
	EXPECT_EQ(0, get16(d, USED_GPA));
}

TEST_F(rng, scattered_and_indirect)
{
	struct drv *d = &self->d;

	set_desc(d, DESC_GPA, 0, BUF_GPA, 3, F_WRITE | F_NEXT, 1);
	set_desc(d, DESC_GPA, 1, BUF_GPA + 0x100, 5, F_WRITE, 0);
	avail_add(d, 0);
	set_desc(d, DESC_GPA, 2, TABLE_GPA, 32, F_INDIRECT, 0);
	set_desc(d, TABLE_GPA, 0, BUF_GPA + 0x200, 2, F_WRITE | F_NEXT, 1);
	set_desc(d, TABLE_GPA, 1, BUF_GPA + 0x300, 2, F_WRITE, 0);
	avail_add(d, 2);
	kick(d);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(d));
	EXPECT_EQ(8, used_len(d, 0));
	EXPECT_EQ(4, used_len(d, 1));
	EXPECT_EQ(random_byte(2), d->mem.ram[BUF_GPA + 2]);
	EXPECT_EQ(random_byte(3), d->mem.ram[BUF_GPA + 0x100]);
	EXPECT_EQ(random_byte(7), d->mem.ram[BUF_GPA + 0x104]);
	EXPECT_EQ(random_byte(8), d->mem.ram[BUF_GPA + 0x200]);
	EXPECT_EQ(random_byte(11), d->mem.ram[BUF_GPA + 0x301]);
	EXPECT_EQ(0, resets_asked);
}

TEST_F(rng, interrupt_suppressed)
{
	struct drv *d = &self->d;

	put16(d, AVAIL_GPA, KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(d));
	EXPECT_EQ(0, interrupts);
}

TEST(event_idx)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };
	struct drv d;

	drv_create(&d, &unlimited, 1ULL << KESTREL_VIRTIO_F_EVENT_IDX);
	drv_start(&d);
	kshim_run_work();
	/* avail_event follows what the device has taken */
	EXPECT_EQ(0, get16(&d, USED_GPA + 4 + 8 * QSIZE));
	put16(&d, AVAIL_GPA + 4 + 2 * QSIZE, 1);	/* used_event: after 2 */
	give(&d, BUF_GPA, 16);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, interrupts);		/* the first one always */
	give(&d, BUF_GPA, 16);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(2, used_idx(&d));
	EXPECT_EQ(2, interrupts);		/* passed used_event 1 */
	give(&d, BUF_GPA, 16);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(3, used_idx(&d));
	EXPECT_EQ(2, interrupts);		/* the driver did not ask */
	EXPECT_EQ(3, get16(&d, USED_GPA + 4 + 8 * QSIZE));
	drv_destroy(&d);
}

TEST(rate_limit_defers)
{
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 1000, .period_ms = 1000,
	};
	struct drv d;

	drv_create(&d, &p, 0);
	drv_start(&d);
	kshim_run_work();
	give(&d, BUF_GPA, 400);
	give(&d, BUF_GPA + 0x1000, 400);
	give(&d, BUF_GPA + 0x2000, 400);
	give(&d, BUF_GPA + 0x3000, 400);
	kick(&d);
	EXPECT_EQ(1, kshim_run_work());
	/* the burst: 400 + 400 + 200 */
	ASSERT_EQ(3, used_idx(&d));
	EXPECT_EQ(400, used_len(&d, 1));
	EXPECT_EQ(200, used_len(&d, 2));
	EXPECT_EQ(1000, d.rng->served);
	EXPECT_EQ(1, interrupts);
	/* waiting on a timer, not spinning: a kick does not hurry it */
	EXPECT_TRUE(d.rng->work.timer);
	kick(&d);
	EXPECT_EQ(0, kshim_run_work());
	/* 64 bytes take 64 ms, rounded up to whole jiffies */
	kshim_advance_ns(50 * MS);
	EXPECT_EQ(0, kshim_run_work());
	kshim_advance_ns(25 * MS);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(4, used_idx(&d));
	EXPECT_EQ(75, used_len(&d, 3));
	EXPECT_EQ(2, interrupts);
	/* the ring is empty: no timer, notifications on */
	EXPECT_FALSE(d.rng->work.timer);

	/* a long pause refills to the burst, not beyond */
	kshim_advance_ns(10000 * MS);
	give(&d, BUF_GPA, 4000);
	kick(&d);
	kshim_run_work();
	ASSERT_EQ(5, used_idx(&d));
	EXPECT_EQ(1000, used_len(&d, 4));
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(rate_limit_tiny_rate)
{
	/* 10 bytes a second: the burst is below the usual minimum grant */
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 10, .period_ms = 1000,
	};
	struct drv d;
	int i;

	drv_create(&d, &p, 0);
	drv_start(&d);
	for (i = 0; i < 3; i++)
		give(&d, BUF_GPA + 0x100 * i, 64);
	kick(&d);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d));
	EXPECT_EQ(10, used_len(&d, 0));
	kshim_advance_ns(500 * MS);
	EXPECT_EQ(0, kshim_run_work());
	kshim_advance_ns(600 * MS);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(2, used_idx(&d));
	EXPECT_EQ(10, used_len(&d, 1));
	drv_destroy(&d);
}

TEST_F(rng, budget_yields)
{
	struct drv *d = &self->d;
	int i;

	/* 16 chains of 8 KiB: 64 KiB a run */
	for (i = 0; i < QSIZE; i++)
		give(d, BUF_GPA + 0x2000 * i, 0x2000);
	kick(d);
	/* 8 chains, 8 chains, then a look at an empty ring */
	EXPECT_EQ(3, kshim_run_work());
	EXPECT_EQ(QSIZE, used_idx(d));
	EXPECT_EQ(QSIZE * 0x2000, d->rng->served);
	EXPECT_EQ(2, interrupts);
}

TEST_F(rng, reset_stops_processing)
{
	struct drv *d = &self->d;

	give(d, BUF_GPA, 16);
	kick(d);			/* queued, not run yet */
	d->vdev->ops->reset(d->vdev);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(d));
	kick(d);			/* after reset: ignored */
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(d));
	EXPECT_FALSE(d->rng->vq.ready);
	EXPECT_EQ(0, d->rng->lock.held);

	/* the driver starts again with a fresh ring */
	memset(d->mem.ram, 0, 0x20000);
	d->avail_idx = 0;
	drv_start(d);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(d));
	EXPECT_EQ(16, used_len(d, 0));
}

TEST(reset_cancels_the_timer)
{
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 100, .period_ms = 1000,
	};
	struct drv d;

	drv_create(&d, &p, 0);
	drv_start(&d);
	give(&d, BUF_GPA, 100);
	give(&d, BUF_GPA, 100);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d));
	EXPECT_TRUE(d.rng->work.timer);
	d.vdev->ops->reset(d.vdev);
	EXPECT_FALSE(d.rng->work.timer);
	kshim_advance_ns(5000 * MS);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(1, used_idx(&d));
	drv_destroy(&d);
}

TEST(destroy_with_work_pending)
{
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 100, .period_ms = 1000,
	};
	struct drv d;

	drv_create(&d, &p, 0);
	drv_start(&d);
	give(&d, BUF_GPA, 200);
	give(&d, BUF_GPA, 200);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, kshim_nr_timers);
	kick(&d);
	drv_destroy(&d);
	EXPECT_EQ(0, kshim_nr_timers);
	EXPECT_EQ(0, kshim_nr_work);
}

TEST_F(rng, broken_ring_needs_reset)
{
	struct drv *d = &self->d;

	set_desc(d, DESC_GPA, 5, BUF_GPA, 16, F_WRITE | F_NEXT, 5);	/* loop */
	avail_add(d, 5);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, interrupts);
	EXPECT_EQ(0, used_idx(d));
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(KESTREL_VQ_ERR_LOOP, kestrel_vq_error(&d->rng->vq));
	/* stopped: more kicks do nothing, and say nothing more */
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(0, used_idx(d));

	/* reset, start again: served again */
	d->vdev->ops->reset(d->vdev);
	memset(d->mem.ram, 0, 0x20000);
	d->avail_idx = 0;
	drv_start(d);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(d));
	EXPECT_EQ(1, resets_asked);
}

TEST_F(rng, readable_buffer_refused)
{
	struct drv *d = &self->d;

	set_desc(d, DESC_GPA, 0, BUF_GPA, 16, 0, 0);
	avail_add(d, 0);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(d));
	EXPECT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d->rng->vq));
	EXPECT_NE(NULL, strstr(kshim_last_warning, "test rng"));
}

TEST_F(rng, buffer_not_ram)
{
	struct drv *d = &self->d;

	give(d, HOLE_START - 8, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(d));
	EXPECT_EQ(KESTREL_VQ_ERR_BUF_FAULT, kestrel_vq_error(&d->rng->vq));
}

TEST(bad_ring_at_start)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };
	struct drv d;

	drv_create(&d, &unlimited, 0);
	d.vdev->queues[0].device = HOLE_START;
	drv_start(&d);
	EXPECT_EQ(0, resets_asked);	/* not from start itself */
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(KESTREL_VQ_ERR_RING_RAM, kestrel_vq_error(&d.rng->vq));
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	drv_destroy(&d);
}

TEST(queue_not_enabled)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };
	struct drv d;

	drv_create(&d, &unlimited, 0);
	d.vdev->queues[0].enabled = false;
	drv_start(&d);
	EXPECT_EQ(0, kshim_run_work());
	give(&d, BUF_GPA, 16);
	kick(&d);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d));
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST_F(rng, other_queue_ignored)
{
	give(&self->d, BUF_GPA, 16);
	self->d.vdev->ops->notify(self->d.vdev, 1);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&self->d));
}

TEST_HARNESS_MAIN
