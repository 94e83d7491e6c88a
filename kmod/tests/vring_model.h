/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver side of split and packed virtqueues, shared by the virtqueue
 * and virtio device unit tests: a fake guest RAM with a hole that is not RAM (and the
 * kernel's guest RAM accessors over it), descriptor tables, available and
 * used rings written and read the way a guest driver does, and recorders
 * for a device's interrupt and needs_reset callbacks.
 *
 * Include it once per test binary, after kshim.h and the kernel .c files
 * under test.  A test may define before it RAM_SIZE, HOLE_START and
 * HOLE_END (the fake RAM: [0, RAM_SIZE) but [HOLE_START, HOLE_END)), and
 * NQ, the number of queues the interrupt recorder counts.
 */
#ifndef KESTREL_TESTS_VRING_MODEL_H
#define KESTREL_TESTS_VRING_MODEL_H

#include <stdlib.h>
#include <string.h>

/* ---- fake guest RAM ---- */

#ifndef RAM_SIZE
#define RAM_SIZE	(1u << 20)
#define HOLE_START	0x80000u
#define HOLE_END	0x90000u
#endif
#define RAM_PAGES	(RAM_SIZE / PAGE_SIZE)

struct kestrel_mem {
	u8 *ram;
	struct page pages[RAM_PAGES];	/* kestrel_mem_page()'s, into ram */
	unsigned long faults;		/* vq_ram_* accesses refused */
};

static inline bool ram_ok(u64 gpa, u64 len)
{
	if (!len || gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	return gpa + len <= HOLE_START || gpa >= HOLE_END;
}

/* Zeroed RAM and its pages; abort()s when out of memory. */
static inline void ram_alloc(struct kestrel_mem *mem)
{
	unsigned long i;

	mem->ram = calloc(1, RAM_SIZE);
	if (!mem->ram)
		abort();
	for (i = 0; i < RAM_PAGES; i++)
		mem->pages[i].kshim_virt = mem->ram + i * PAGE_SIZE;
}

/* kmod/memory.h's, as kshim.h declares them (for bio_vecs into RAM). */
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

/* kmod/virtio/virtqueue.c's guest RAM accessors. */
static int vq_ram_read(const struct kestrel_mem *mem, u64 gpa, void *buf,
		       u32 len)
{
	if (!ram_ok(gpa, len)) {
		((struct kestrel_mem *)mem)->faults++;
		return -EFAULT;
	}
	memcpy(buf, mem->ram + gpa, len);
	return 0;
}

static int vq_ram_write(const struct kestrel_mem *mem, u64 gpa,
			const void *buf, u32 len)
{
	if (!ram_ok(gpa, len)) {
		((struct kestrel_mem *)mem)->faults++;
		return -EFAULT;
	}
	memcpy(mem->ram + gpa, buf, len);
	return 0;
}

static int vq_ram_load16(const struct kestrel_mem *mem, u64 gpa, u16 *val)
{
	__le16 v;

	if (gpa & 1)
		abort();		/* the kernel's would WARN */
	if (vq_ram_read(mem, gpa, &v, 2))
		return -EFAULT;
	*val = le16_to_cpu(v);
	return 0;
}

static int vq_ram_store16(const struct kestrel_mem *mem, u64 gpa, u16 val)
{
	__le16 v = cpu_to_le16(val);

	if (gpa & 1)
		abort();
	return vq_ram_write(mem, gpa, &v, 2);
}

/* ---- the driver: raw RAM, descriptors ---- */

#define F_NEXT		KESTREL_VRING_DESC_F_NEXT
#define F_WRITE		KESTREL_VRING_DESC_F_WRITE
#define F_INDIRECT	KESTREL_VRING_DESC_F_INDIRECT
#define FEAT_INDIRECT	(1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC)
#define FEAT_EVENT_IDX	(1ULL << KESTREL_VIRTIO_F_EVENT_IDX)

static inline void put16(struct kestrel_mem *mem, u64 gpa, u16 v)
{
	__le16 x = cpu_to_le16(v);

	memcpy(mem->ram + gpa, &x, 2);
}

static inline u16 get16(const struct kestrel_mem *mem, u64 gpa)
{
	__le16 x;

	memcpy(&x, mem->ram + gpa, 2);
	return le16_to_cpu(x);
}

static inline u32 get32(const struct kestrel_mem *mem, u64 gpa)
{
	__le32 x;

	memcpy(&x, mem->ram + gpa, 4);
	return le32_to_cpu(x);
}

/* Entry @i of the descriptor table (or indirect table) at @table. */
static inline void set_desc(struct kestrel_mem *mem, u64 table, u16 i,
			    u64 addr, u32 len, u16 flags, u16 next)
{
	struct vq_desc x = {
		.addr = cpu_to_le64(addr),
		.len = cpu_to_le32(len),
		.flags = cpu_to_le16(flags),
		.next = cpu_to_le16(next),
	};

	memcpy(mem->ram + table + 16 * (u64)i, &x, sizeof(x));
}

/* ---- the driver: one queue's rings ---- */

struct vring {
	struct kestrel_mem *mem;
	u64 desc, avail, used;		/* the rings' GPAs */
	u16 size;
	u16 avail_idx;			/* the driver's avail idx */
	u16 next_desc;			/* descriptors are taken in turn */
};

static inline void vring_init(struct vring *r, struct kestrel_mem *mem,
			      u16 size, u64 desc, u64 avail, u64 used)
{
	*r = (struct vring){
		.mem = mem, .size = size,
		.desc = desc, .avail = avail, .used = used,
	};
}

/* What the transport tells the device: the rings, enabled. */
static inline void vring_to_queue(const struct vring *r,
				  struct kestrel_virtio_queue *q)
{
	q->size = r->size;
	q->enabled = true;
	q->desc = r->desc;
	q->driver = r->avail;
	q->device = r->used;
}

/* Expose @head: ring entry, then idx. */
static inline void avail_add(struct vring *r, u16 head)
{
	put16(r->mem, r->avail + 4 + 2 * (r->avail_idx % r->size), head);
	r->avail_idx++;
	put16(r->mem, r->avail + 2, r->avail_idx);
}

static inline u16 used_flags(const struct vring *r)
{
	return get16(r->mem, r->used);
}

static inline u16 used_idx(const struct vring *r)
{
	return get16(r->mem, r->used + 2);
}

static inline u32 used_id(const struct vring *r, u16 i)
{
	return get32(r->mem, r->used + 4 + 8 * (i % r->size));
}

static inline u32 used_len(const struct vring *r, u16 i)
{
	return get32(r->mem, r->used + 8 + 8 * (i % r->size));
}

/* EVENT_IDX: the driver's used_event, the device's avail_event. */
static inline void set_used_event(struct vring *r, u16 v)
{
	put16(r->mem, r->avail + 4 + 2 * r->size, v);
}

static inline u16 avail_event(const struct vring *r)
{
	return get16(r->mem, r->used + 4 + 8 * r->size);
}

/* The next descriptor in turn. */
static inline u16 next_desc(struct vring *r)
{
	return r->next_desc++ % r->size;
}

/* One buffer of @len at @gpa as a chain of one; returns its head. */
static inline u16 add_buf(struct vring *r, u64 gpa, u32 len, u16 flags)
{
	u16 head = next_desc(r);

	set_desc(r->mem, r->desc, head, gpa, len, flags, 0);
	avail_add(r, head);
	return head;
}

struct seg {
	u64 gpa;
	u32 len;
	bool write;
};

/*
 * Put @n segments on the queue as one chain: through the indirect table
 * at @table, or direct in descriptors taken in turn when @table is 0.
 * Returns its head.
 */
static inline u16 add_chain(struct vring *r, const struct seg *s,
			    unsigned int n, u64 table)
{
	unsigned int i;
	u16 head;

	if (table) {
		for (i = 0; i < n; i++)
			set_desc(r->mem, table, i, s[i].gpa, s[i].len,
				 (s[i].write ? F_WRITE : 0) |
				 (i + 1 < n ? F_NEXT : 0), i + 1);
		head = next_desc(r);
		set_desc(r->mem, r->desc, head, table, 16 * n, F_INDIRECT, 0);
	} else {
		head = r->next_desc % r->size;
		for (i = 0; i < n; i++) {
			u16 me = next_desc(r);

			set_desc(r->mem, r->desc, me, s[i].gpa, s[i].len,
				 (s[i].write ? F_WRITE : 0) |
				 (i + 1 < n ? F_NEXT : 0),
				 r->next_desc % r->size);
		}
	}
	avail_add(r, head);
	return head;
}

/* ---- the driver: one packed queue (virtio 1.2, 2.8) ---- */

#define F_AVAIL		KESTREL_VRING_PACKED_DESC_F_AVAIL
#define F_USED		KESTREL_VRING_PACKED_DESC_F_USED
#define FEAT_PACKED	(1ULL << KESTREL_VIRTIO_F_RING_PACKED)
#define EV_ENABLE	KESTREL_VRING_PACKED_EVENT_ENABLE
#define EV_DISABLE	KESTREL_VRING_PACKED_EVENT_DISABLE
#define EV_DESC		KESTREL_VRING_PACKED_EVENT_DESC

struct pring {
	struct kestrel_mem *mem;
	u64 desc, drv_event, dev_event;	/* the three parts' GPAs */
	u16 size;
	u16 next;			/* the next position to fill */
	bool wrap;			/* its avail wrap counter */
	u16 used;			/* the next used position to read */
	bool used_wrap;
	u16 nr[KESTREL_VQ_PACKED_MAX_SIZE]; /* descriptors per buffer id */
};

static inline void pring_init(struct pring *r, struct kestrel_mem *mem,
			      u16 size, u64 desc, u64 drv_event, u64 dev_event)
{
	memset(r, 0, sizeof(*r));
	r->mem = mem;
	r->size = size;
	r->desc = desc;
	r->drv_event = drv_event;
	r->dev_event = dev_event;
	r->wrap = true;
	r->used_wrap = true;
}

static inline void pring_to_queue(const struct pring *r,
				  struct kestrel_virtio_queue *q)
{
	q->size = r->size;
	q->enabled = true;
	q->desc = r->desc;
	q->driver = r->drv_event;
	q->device = r->dev_event;
}

/* A packed descriptor, flags last (in RAM order they are the last 2). */
static inline void set_pdesc(struct kestrel_mem *mem, u64 table, u16 i,
			     u64 addr, u32 len, u16 id, u16 flags)
{
	struct vq_pdesc x = {
		.addr = cpu_to_le64(addr),
		.len = cpu_to_le32(len),
		.id = cpu_to_le16(id),
		.flags = cpu_to_le16(flags),
	};

	memcpy(mem->ram + table + 16 * (u64)i, &x, sizeof(x));
}

static inline u16 pdesc_flags(const struct pring *r, u16 pos)
{
	return get16(r->mem, r->desc + 16 * (u64)pos + 14);
}

/* The AVAIL and USED bits that make a descriptor available in a lap. */
static inline u16 pring_avail_bits(bool wrap)
{
	return wrap ? F_AVAIL : F_USED;
}

/*
 * Put one raw descriptor at the next position, made available (@flags
 * gets the lap's bits), and move on; returns its position.  For chains
 * built by hand, malformed ones included.
 */
static inline u16 pring_put(struct pring *r, u64 addr, u32 len, u16 id,
			    u16 flags)
{
	u16 pos = r->next;

	set_pdesc(r->mem, r->desc, pos, addr, len, id,
		  flags | pring_avail_bits(r->wrap));
	if (++r->next == r->size) {
		r->next = 0;
		r->wrap = !r->wrap;
	}
	return pos;
}

/*
 * Make @n segments available as buffer @id: direct, or through the
 * indirect table at @table when it is not 0.  Returns the descriptors
 * taken.  (The device runs only between calls here, so the order in which
 * Linux writes the flags does not matter.)
 */
static inline u16 pring_add(struct pring *r, const struct seg *s,
			    unsigned int n, u16 id, u64 table)
{
	unsigned int i;

	if (table) {
		for (i = 0; i < n; i++)
			set_pdesc(r->mem, table, i, s[i].gpa, s[i].len, 0,
				  s[i].write ? F_WRITE : 0);
		pring_put(r, table, 16 * n, id, F_INDIRECT);
		r->nr[id] = 1;
	} else {
		for (i = 0; i < n; i++)
			pring_put(r, s[i].gpa, s[i].len, id,
				  (s[i].write ? F_WRITE : 0) |
				  (i + 1 < n ? F_NEXT : 0));
		r->nr[id] = n;
	}
	return r->nr[id];
}

/* One used buffer, in the order the device wrote them: 1, or 0 if none. */
static inline int pring_get_used(struct pring *r, u16 *id, u32 *len)
{
	u16 flags = pdesc_flags(r, r->used);
	bool avail = flags & F_AVAIL, used = flags & F_USED;
	u16 n;

	if (avail != r->used_wrap || used != r->used_wrap)
		return 0;
	*id = get16(r->mem, r->desc + 16 * (u64)r->used + 12);
	*len = get32(r->mem, r->desc + 16 * (u64)r->used + 8);
	n = *id < r->size ? r->nr[*id] : 0;
	if (!n)
		abort();	/* the device used a buffer it was not given */
	r->nr[*id] = 0;
	r->used += n;
	if (r->used >= r->size) {
		r->used -= r->size;
		r->used_wrap = !r->used_wrap;
	}
	return 1;
}

/* The driver event structure: off_wrap, then flags. */
static inline void set_drv_event(struct pring *r, u16 flags, u16 off,
				 bool wrap)
{
	put16(r->mem, r->drv_event, off | (u16)wrap << 15);
	put16(r->mem, r->drv_event + 2, flags);
}

static inline u16 dev_event_flags(const struct pring *r)
{
	return get16(r->mem, r->dev_event + 2);
}

static inline u16 dev_event_off_wrap(const struct pring *r)
{
	return get16(r->mem, r->dev_event);
}

/* ---- a device's callbacks, recorded ---- */

#ifndef NQ
#define NQ		1
#endif

static unsigned int interrupts[NQ], resets_asked;

static inline void on_interrupt(struct kestrel_virtio_dev *vdev, u16 q)
{
	if (q >= NQ)
		abort();
	interrupts[q]++;
}

static inline void on_needs_reset(struct kestrel_virtio_dev *vdev)
{
	resets_asked++;
}

/* Nothing recorded, no warning yet. */
static inline void recorders_reset(void)
{
	memset(interrupts, 0, sizeof(interrupts));
	resets_asked = 0;
	kshim_warnings = 0;
}

/* The transport's part: RAM, the recorders, the features accepted. */
static inline void vdev_attach(struct kestrel_virtio_dev *vdev,
			       struct kestrel_mem *mem, u64 features)
{
	vdev->mem = mem;
	vdev->interrupt = on_interrupt;
	vdev->needs_reset = on_needs_reset;
	vdev->driver_features = features;
}

#endif /* KESTREL_TESTS_VRING_MODEL_H */
