// SPDX-License-Identifier: GPL-2.0
/*
 * The device side of a split virtqueue (virtio 1.2, 2.7), as vhost
 * (drivers/vhost/vhost.c) does it, on guest RAM; and of a packed one
 * (2.8), as QEMU's hw/virtio/virtio.c does it (see "packed" below).
 *
 * Layout, all little-endian:
 *   descriptor table  size * 16 bytes, 16-aligned:
 *                     { le64 addr; le32 len; le16 flags; le16 next; }
 *   available ring    le16 flags, le16 idx, le16 ring[size],
 *                     le16 used_event, 2-aligned (6 + 2 * size bytes)
 *   used ring         le16 flags, le16 idx, { le32 id; le32 len; }[size],
 *                     le16 avail_event, 4-aligned (6 + 8 * size bytes)
 *
 * Ordering (the driver runs on other CPUs):
 *   - avail idx is read, then smp_rmb(), then the entries it exposes;
 *   - a used entry is written, then smp_wmb(), then used idx;
 *   - used idx is written, then smp_mb(), then the driver's interrupt
 *     suppression (flags or used_event) is read;
 *   - notifications are re-enabled (flags or avail_event), then smp_mb(),
 *     then avail idx is read again.
 * The shared 16-bit fields are single loads and stores (READ_ONCE,
 * WRITE_ONCE); everything else is copied.  The driver may rewrite a
 * descriptor while it is read: each is copied once and only the copy is
 * checked and used.
 *
 * The rest of guest RAM is reached through the four vq_ram_* functions: the
 * kernel's at the end of this file, a fake RAM in the unit test
 * (kmod/tests/virtqueue_test.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

#include "../memory.h"
#endif

#include "virtio.h"
#include "virtqueue.h"

#define VQ_DESC_SIZE		16
#define VQ_USED_ELEM_SIZE	8
/* RAM is checked page by page; any page size that divides it will do. */
#define VQ_PROBE_STEP		4096

/* A descriptor as the driver wrote it. */
struct vq_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

/* A packed one (virtio 1.2, 2.8.13). */
struct vq_pdesc {
	__le64 addr;
	__le32 len;
	__le16 id;
	__le16 flags;
};

/* Guest RAM; -EFAULT for anything that is not RAM.  Never sleep. */
static int vq_ram_read(const struct kestrel_mem *mem, u64 gpa, void *buf,
		       u32 len);
static int vq_ram_write(const struct kestrel_mem *mem, u64 gpa,
			const void *buf, u32 len);
/* One untorn 16-bit access at an even @gpa. */
static int vq_ram_load16(const struct kestrel_mem *mem, u64 gpa, u16 *val);
static int vq_ram_store16(const struct kestrel_mem *mem, u64 gpa, u16 val);

static const char * const vq_errors[KESTREL_VQ_ERR_COUNT] = {
	[KESTREL_VQ_OK]			= "no error",
	[KESTREL_VQ_ERR_SIZE]		= "queue size is not a power of 2 up to 32768 (packed: 1 to 256)",
	[KESTREL_VQ_ERR_ALIGN]		= "ring address misaligned",
	[KESTREL_VQ_ERR_RING_RAM]	= "ring outside RAM",
	[KESTREL_VQ_ERR_RING_FAULT]	= "ring access outside RAM",
	[KESTREL_VQ_ERR_AVAIL_IDX]	= "available index more than the queue size ahead",
	[KESTREL_VQ_ERR_HEAD]		= "available ring entry out of range",
	[KESTREL_VQ_ERR_NEXT]		= "next descriptor index out of range",
	[KESTREL_VQ_ERR_LOOP]		= "descriptor chain longer than its table (a loop)",
	[KESTREL_VQ_ERR_INDIRECT_FEATURE] = "indirect descriptor without VIRTIO_F_INDIRECT_DESC",
	[KESTREL_VQ_ERR_INDIRECT_NEXT]	= "indirect descriptor with NEXT",
	[KESTREL_VQ_ERR_INDIRECT_NESTED] = "indirect descriptor in an indirect table",
	[KESTREL_VQ_ERR_INDIRECT_LEN]	= "indirect table length 0, not a multiple of 16 or more than the queue size",
	[KESTREL_VQ_ERR_INDIRECT_ADDR]	= "indirect table wraps or is outside RAM",
	[KESTREL_VQ_ERR_ORDER]		= "device-readable buffer after a device-writable one",
	[KESTREL_VQ_ERR_BUF_ADDR]	= "buffer wraps past the top of the address space",
	[KESTREL_VQ_ERR_TOTAL_LEN]	= "chain length reaches 4 GiB",
	[KESTREL_VQ_ERR_SEGS]		= "more buffers in a chain than the device takes",
	[KESTREL_VQ_ERR_BUF_FAULT]	= "buffer outside RAM",
	[KESTREL_VQ_ERR_DEVICE]		= "request the device cannot serve",
	[KESTREL_VQ_ERR_ID]		= "buffer id out of range",
	[KESTREL_VQ_ERR_ID_BUSY]	= "buffer id already in use",
	[KESTREL_VQ_ERR_INDIRECT_CHAIN]	= "NEXT in a packed indirect table",
	[KESTREL_VQ_ERR_OVERRUN]	= "more descriptors available than the queue size",
	[KESTREL_VQ_ERR_EVENT]		= "bad driver event suppression structure",
};

const char *kestrel_vq_strerror(enum kestrel_vq_err err)
{
	if ((unsigned int)err >= KESTREL_VQ_ERR_COUNT)
		return "unknown error";
	return vq_errors[err];
}

/* The first violation breaks the queue and is logged; returns @ret. */
static int vq_break(struct kestrel_vq *vq, enum kestrel_vq_err err, int ret)
{
	if (vq->error == KESTREL_VQ_OK) {
		vq->error = err;
		pr_warn_ratelimited("%s: the driver broke the virtqueue: %s\n",
				    vq->name ? vq->name : "virtqueue",
				    kestrel_vq_strerror(err));
	}
	return ret;
}

int kestrel_vq_fail(struct kestrel_vq *vq, enum kestrel_vq_err err)
{
	return vq_break(vq, err, -EINVAL);
}

static bool vq_usable(const struct kestrel_vq *vq)
{
	return vq->ready && vq->error == KESTREL_VQ_OK;
}

static u64 vq_avail_ring(const struct kestrel_vq *vq, u16 idx)
{
	return vq->avail + 4 + 2 * (u64)(idx & (vq->size - 1));
}

static u64 vq_used_event(const struct kestrel_vq *vq)
{
	return vq->avail + 4 + 2 * (u64)vq->size;
}

static u64 vq_used_ring(const struct kestrel_vq *vq, u16 idx)
{
	return vq->used + 4 + VQ_USED_ELEM_SIZE * (u64)(idx & (vq->size - 1));
}

static u64 vq_avail_event(const struct kestrel_vq *vq)
{
	return vq->used + 4 + VQ_USED_ELEM_SIZE * (u64)vq->size;
}

/* Whether [@gpa, @gpa + @len) is all RAM (@len > 0). */
static bool vq_ram_range(const struct kestrel_mem *mem, u64 gpa, u64 len)
{
	u64 last = gpa + len - 1;
	u64 page;
	u8 b;

	if (last < gpa)
		return false;
	if (vq_ram_read(mem, gpa, &b, 1) || vq_ram_read(mem, last, &b, 1))
		return false;
	for (page = (gpa | (VQ_PROBE_STEP - 1)) + 1;
	     page > gpa && page < last; page += VQ_PROBE_STEP)
		if (vq_ram_read(mem, page, &b, 1))
			return false;
	return true;
}

int kestrel_vq_init(struct kestrel_vq *vq, const struct kestrel_mem *mem,
		    const struct kestrel_virtio_queue *q, u64 features,
		    const char *name)
{
	u64 size = q->size;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->name = name;
	vq->size = q->size;
	vq->desc = q->desc;
	vq->avail = q->driver;
	vq->used = q->device;
	vq->event_idx = features & (1ULL << KESTREL_VIRTIO_F_EVENT_IDX);
	vq->indirect = features & (1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC);
	vq->packed = features & (1ULL << KESTREL_VIRTIO_F_RING_PACKED);
	vq->ready = true;

	if (vq->packed) {
		/* desc ring, driver event, device event; both counters 1 */
		vq->avail_wrap = true;
		vq->used_wrap = true;
		if (!size || size > KESTREL_VQ_PACKED_MAX_SIZE)
			return vq_break(vq, KESTREL_VQ_ERR_SIZE, -EINVAL);
		if ((vq->desc & 15) || (vq->avail & 3) || (vq->used & 3))
			return vq_break(vq, KESTREL_VQ_ERR_ALIGN, -EINVAL);
		if (!vq_ram_range(mem, vq->desc, VQ_DESC_SIZE * size) ||
		    !vq_ram_range(mem, vq->avail, 4) ||
		    !vq_ram_range(mem, vq->used, 4))
			return vq_break(vq, KESTREL_VQ_ERR_RING_RAM, -EFAULT);
		return 0;
	}

	if (!size || size > KESTREL_VQ_MAX_SIZE || (size & (size - 1)))
		return vq_break(vq, KESTREL_VQ_ERR_SIZE, -EINVAL);
	if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3))
		return vq_break(vq, KESTREL_VQ_ERR_ALIGN, -EINVAL);
	if (!vq_ram_range(mem, vq->desc, VQ_DESC_SIZE * size) ||
	    !vq_ram_range(mem, vq->avail, 6 + 2 * size) ||
	    !vq_ram_range(mem, vq->used, 6 + VQ_USED_ELEM_SIZE * size))
		return vq_break(vq, KESTREL_VQ_ERR_RING_RAM, -EFAULT);
	return 0;
}

void kestrel_vq_reset(struct kestrel_vq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

/* Read the driver's avail idx; it may not run more than size ahead. */
static int vq_read_avail_idx(struct kestrel_vq *vq)
{
	u16 idx;

	if (vq_ram_load16(vq->mem, vq->avail + 2, &idx))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	if ((u16)(idx - vq->last_avail) > vq->size)
		return vq_break(vq, KESTREL_VQ_ERR_AVAIL_IDX, -EINVAL);
	vq->avail_idx = idx;
	return 0;
}

/* Append one buffer of a chain, checking order, wrap, totals, room. */
static int vq_add_seg(struct kestrel_vq *vq, struct kestrel_vq_chain *c,
		      u64 addr, u32 len, bool write)
{
	u32 *total = write ? &c->in_len : &c->out_len;
	struct kestrel_vq_seg *seg;

	if (!write && c->n_in)
		return vq_break(vq, KESTREL_VQ_ERR_ORDER, -EINVAL);
	if (!len)
		return 0;
	if (addr + (len - 1) < addr)
		return vq_break(vq, KESTREL_VQ_ERR_BUF_ADDR, -EOVERFLOW);
	if (len > (u32)~0U - *total)
		return vq_break(vq, KESTREL_VQ_ERR_TOTAL_LEN, -EOVERFLOW);
	if (c->n_out + c->n_in >= c->max_segs)
		return vq_break(vq, KESTREL_VQ_ERR_SEGS, -ENOBUFS);
	seg = &c->segs[c->n_out + c->n_in];
	seg->gpa = addr;
	seg->len = len;
	seg->write = write;
	*total += len;
	if (write)
		c->n_in++;
	else
		c->n_out++;
	return 0;
}

/*
 * A descriptor with INDIRECT (of either format): the feature negotiated,
 * no NEXT beside it, a table of 1 to size entries that does not wrap.
 * Its WRITE flag is ignored.
 */
static int vq_check_indirect(struct kestrel_vq *vq, u16 flags, u64 addr,
			     u32 len)
{
	if (!vq->indirect)
		return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_FEATURE, -EINVAL);
	if (flags & KESTREL_VRING_DESC_F_NEXT)
		return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_NEXT, -EINVAL);
	if (!len || len % VQ_DESC_SIZE || len / VQ_DESC_SIZE > vq->size)
		return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_LEN, -EINVAL);
	if (addr + (len - 1) < addr)
		return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_ADDR, -EFAULT);
	return 0;
}

/*
 * Walk the chain at @head: at most size descriptors in the table, the last
 * of which may point to an indirect table walked the same way.  Each step
 * counts against the current table's length, so a loop ends as "too long".
 */
static int vq_walk(struct kestrel_vq *vq, u16 head, struct kestrel_vq_chain *c)
{
	u64 table = vq->desc;
	u32 entries = vq->size;
	bool indirect = false;
	u32 seen = 0;
	u32 i = head;

	for (;;) {
		struct vq_desc d;
		u16 flags;
		u64 addr;
		u32 len;
		int ret;

		if (++seen > entries)
			return vq_break(vq, KESTREL_VQ_ERR_LOOP, -ELOOP);
		if (vq_ram_read(vq->mem, table + (u64)i * VQ_DESC_SIZE, &d,
				sizeof(d)))
			return vq_break(vq, indirect ?
					KESTREL_VQ_ERR_INDIRECT_ADDR :
					KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
		flags = le16_to_cpu(d.flags);
		addr = le64_to_cpu(d.addr);
		len = le32_to_cpu(d.len);

		if (flags & KESTREL_VRING_DESC_F_INDIRECT) {
			if (indirect)
				return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_NESTED,
						-EINVAL);
			ret = vq_check_indirect(vq, flags, addr, len);
			if (ret)
				return ret;
			table = addr;
			entries = len / VQ_DESC_SIZE;
			indirect = true;
			seen = 0;
			i = 0;
			continue;
		}

		ret = vq_add_seg(vq, c, addr, len,
				 flags & KESTREL_VRING_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(flags & KESTREL_VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(d.next);
		if (i >= entries)
			return vq_break(vq, KESTREL_VQ_ERR_NEXT, -EINVAL);
	}
}

/* Write the device's flags at @gpa (used->flags, packed: device event). */
static int vq_set_used_flags_at(struct kestrel_vq *vq, u64 gpa, u16 flags)
{
	if (vq->used_flags == flags)
		return 0;
	if (vq_ram_store16(vq->mem, gpa, flags))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	vq->used_flags = flags;
	return 0;
}

/*
 * ---- packed rings (virtio 1.2, 2.8) ----
 *
 * Layout, all little-endian:
 *   descriptor ring  size * 16 bytes, 16-aligned (any size, not only
 *                    powers of 2): { le64 addr; le32 len; le16 id;
 *                    le16 flags; }
 *   driver event     { le16 off_wrap; le16 flags; }, 4-aligned: when the
 *                    driver wants interrupts (read here)
 *   device event     the same, 4-aligned: when the device wants
 *                    notifications (written here)
 *
 * A descriptor is available when its AVAIL flag equals the device's avail
 * wrap counter and its USED flag does not; a used one has both equal to
 * the used wrap counter.  Both counters start at 1 and flip each time
 * their position wraps.  A buffer is a chain of descriptors linked by
 * NEXT, the last possibly INDIRECT (a table of packed descriptors without
 * NEXT); its id is the last descriptor's, any value below the size that
 * is not in flight.  Buffers are used in any order: each is written at the
 * next used position, which then moves on by as many descriptors as the
 * buffer took (nr_desc[id], remembered at pop).
 *
 * Ordering:
 *   - a descriptor's flags are read, then smp_rmb(), then the chain;
 *   - a used descriptor's len and id are written, then smp_wmb(), then
 *     its flags;
 *   - used flags are written, then smp_mb(), then the driver event
 *     structure is read: flags, smp_rmb(), off_wrap;
 *   - the device event structure is written (off_wrap, smp_wmb(),
 *     flags), then smp_mb(), then the next descriptor's flags are read.
 */

#define VQ_PDESC_LEN		8
#define VQ_PDESC_ID		12
#define VQ_PDESC_FLAGS		14
#define VQ_EVENT_FLAGS		2
#define VQ_EVENT_OFF_MASK	0x7fff

static u64 vq_pdesc(const struct kestrel_vq *vq, u16 pos)
{
	return vq->desc + (u64)pos * VQ_DESC_SIZE;
}

/* Whether @flags make a descriptor available in the lap of @wrap. */
static bool vq_pdesc_avail(u16 flags, bool wrap)
{
	bool avail = flags & KESTREL_VRING_PACKED_DESC_F_AVAIL;
	bool used = flags & KESTREL_VRING_PACKED_DESC_F_USED;

	return avail == wrap && used != wrap;
}

/* 1: the descriptor at last_avail is available, 0: not, or -EFAULT. */
static int vq_packed_peek(struct kestrel_vq *vq)
{
	u16 flags;

	if (vq_ram_load16(vq->mem, vq_pdesc(vq, vq->last_avail) +
			  VQ_PDESC_FLAGS, &flags))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	return vq_pdesc_avail(flags, vq->avail_wrap);
}

/*
 * An indirect table: @len bytes at @addr of packed descriptors, checked
 * by vq_check_indirect().
 */
static int vq_packed_table(struct kestrel_vq *vq, struct kestrel_vq_chain *c,
			   u64 addr, u32 len)
{
	u32 i;

	for (i = 0; i < len / VQ_DESC_SIZE; i++) {
		struct vq_pdesc d;
		u16 flags;
		int ret;

		if (vq_ram_read(vq->mem, addr + (u64)i * VQ_DESC_SIZE, &d,
				sizeof(d)))
			return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_ADDR,
					-EFAULT);
		flags = le16_to_cpu(d.flags);
		if (flags & KESTREL_VRING_DESC_F_INDIRECT)
			return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_NESTED,
					-EINVAL);
		if (flags & KESTREL_VRING_DESC_F_NEXT)
			return vq_break(vq, KESTREL_VQ_ERR_INDIRECT_CHAIN,
					-EINVAL);
		ret = vq_add_seg(vq, c, le64_to_cpu(d.addr),
				 le32_to_cpu(d.len),
				 flags & KESTREL_VRING_DESC_F_WRITE);
		if (ret)
			return ret;
	}
	return 0;
}

static int vq_packed_pop(struct kestrel_vq *vq, struct kestrel_vq_chain *c)
{
	struct kestrel_vq_popped *h;
	u16 pos = vq->last_avail;
	bool wrap = vq->avail_wrap;
	u32 n = 0;
	u16 id;
	int ret;

	ret = vq_packed_peek(vq);
	if (ret <= 0)
		return ret;
	/* The chain is read after the flags that exposed it. */
	smp_rmb();
	for (;;) {
		struct vq_pdesc d;
		u16 flags;
		u64 addr;
		u32 len;

		if (++n > vq->size)
			return vq_break(vq, KESTREL_VQ_ERR_LOOP, -ELOOP);
		if (n + vq->inflight > vq->size)
			return vq_break(vq, KESTREL_VQ_ERR_OVERRUN, -EINVAL);
		if (vq_ram_read(vq->mem, vq_pdesc(vq, pos), &d, sizeof(d)))
			return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
		if (++pos == vq->size) {
			pos = 0;
			wrap = !wrap;
		}
		flags = le16_to_cpu(d.flags);
		addr = le64_to_cpu(d.addr);
		len = le32_to_cpu(d.len);
		id = le16_to_cpu(d.id);

		if (flags & KESTREL_VRING_DESC_F_INDIRECT) {
			ret = vq_check_indirect(vq, flags, addr, len) ?:
			      vq_packed_table(vq, c, addr, len);
			if (ret)
				return ret;
			break;
		}
		ret = vq_add_seg(vq, c, addr, len,
				 flags & KESTREL_VRING_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(flags & KESTREL_VRING_DESC_F_NEXT))
			break;
	}
	if (id >= vq->size)
		return vq_break(vq, KESTREL_VQ_ERR_ID, -EINVAL);
	if (vq->nr_desc[id])
		return vq_break(vq, KESTREL_VQ_ERR_ID_BUSY, -EINVAL);
	vq->nr_desc[id] = n;
	vq->inflight += n;
	h = &vq->history[vq->pops % KESTREL_VQ_PACKED_MAX_SIZE];
	h->id = id;
	h->pos = vq->last_avail | (u16)vq->avail_wrap << 15;
	vq->pops++;
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	c->head = id;
	return 1;
}

static void vq_packed_unpop(struct kestrel_vq *vq, u16 n)
{
	while (n--) {
		const struct kestrel_vq_popped *h;

		h = &vq->history[(u16)(vq->pops - 1) %
				 KESTREL_VQ_PACKED_MAX_SIZE];
		/* Not popped, or pushed already: the caller's bug. */
		if (WARN_ON_ONCE(h->id >= vq->size || !vq->nr_desc[h->id]))
			return;
		vq->pops--;
		vq->inflight -= vq->nr_desc[h->id];
		vq->nr_desc[h->id] = 0;
		vq->last_avail = h->pos & VQ_EVENT_OFF_MASK;
		vq->avail_wrap = h->pos >> 15;
	}
}

static int vq_packed_push(struct kestrel_vq *vq, u16 id, u32 len)
{
	u64 at = vq_pdesc(vq, vq->used_pos);
	__le32 le_len = cpu_to_le32(len);
	u16 n = vq->nr_desc[id];
	u16 flags = 0;

	if (WARN_ON_ONCE(!n))
		return -EINVAL;
	if (vq->used_wrap)
		flags |= KESTREL_VRING_PACKED_DESC_F_AVAIL |
			 KESTREL_VRING_PACKED_DESC_F_USED;
	if (len)
		flags |= KESTREL_VRING_DESC_F_WRITE;
	if (vq_ram_write(vq->mem, at + VQ_PDESC_LEN, &le_len, 4) ||
	    vq_ram_store16(vq->mem, at + VQ_PDESC_ID, id))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	/* The id and length are visible before the flags that expose them. */
	smp_wmb();
	if (vq_ram_store16(vq->mem, at + VQ_PDESC_FLAGS, flags))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	vq->nr_desc[id] = 0;
	vq->inflight -= n;
	vq->used_pos += n;
	if (vq->used_pos >= vq->size) {
		vq->used_pos -= vq->size;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->used_idx++;
	vq->since_signal += n;
	if (vq->since_signal > vq->size)
		vq->since_signal = vq->size;
	return 0;
}

/*
 * The driver's interrupt suppression: ENABLE, DISABLE, or (EVENT_IDX) DESC,
 * an interrupt once the used position passes off_wrap.  Positions are
 * compared as counts modulo 2 * size (the lap's parity is the wrap
 * counter); after size descriptors or more the event was passed anyway.
 */
static bool vq_packed_should_interrupt(struct kestrel_vq *vq)
{
	u32 since = vq->since_signal;
	bool valid = vq->signalled_used_valid;
	u32 size = vq->size, new, event;
	u16 flags, off_wrap, off;

	vq->since_signal = 0;
	vq->signalled_used_valid = true;
	if (vq_ram_load16(vq->mem, vq->avail + VQ_EVENT_FLAGS, &flags))
		goto fault;
	if (flags == KESTREL_VRING_PACKED_EVENT_ENABLE)
		return true;
	if (flags == KESTREL_VRING_PACKED_EVENT_DISABLE)
		return false;
	if (flags != KESTREL_VRING_PACKED_EVENT_DESC || !vq->event_idx) {
		vq_break(vq, KESTREL_VQ_ERR_EVENT, -EINVAL);
		return false;
	}
	/* off_wrap is read after the flags that made it count. */
	smp_rmb();
	if (vq_ram_load16(vq->mem, vq->avail, &off_wrap))
		goto fault;
	off = off_wrap & VQ_EVENT_OFF_MASK;
	if (off >= size) {
		vq_break(vq, KESTREL_VQ_ERR_EVENT, -EINVAL);
		return false;
	}
	if (!valid || since >= size)
		return true;
	new = vq->used_pos + (vq->used_wrap ? 0 : size);
	event = off + (off_wrap >> KESTREL_VRING_PACKED_EVENT_WRAP ? 0 : size);
	return (new + 2 * size - event - 1) % (2 * size) < since;
fault:
	vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	return false;
}

/* The device event structure: @off_wrap (when DESC), then @flags. */
static int vq_packed_set_event(struct kestrel_vq *vq, u16 flags)
{
	if (flags == KESTREL_VRING_PACKED_EVENT_DESC) {
		if (vq_ram_store16(vq->mem, vq->used, vq->last_avail |
				   (u16)vq->avail_wrap <<
				   KESTREL_VRING_PACKED_EVENT_WRAP))
			return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
		/* off_wrap is visible before the flags that make it count. */
		smp_wmb();
	}
	return vq_set_used_flags_at(vq, vq->used + VQ_EVENT_FLAGS, flags);
}

static bool vq_packed_enable_notify(struct kestrel_vq *vq)
{
	if (vq_packed_set_event(vq, vq->event_idx ?
				KESTREL_VRING_PACKED_EVENT_DESC :
				KESTREL_VRING_PACKED_EVENT_ENABLE))
		return true;
	/* The driver sees the request before we look at the ring again. */
	smp_mb();
	return vq_packed_peek(vq) != 0;
}

int kestrel_vq_pop(struct kestrel_vq *vq, struct kestrel_vq_chain *chain)
{
	u16 head;
	int ret;

	chain->n_out = 0;
	chain->n_in = 0;
	chain->out_len = 0;
	chain->in_len = 0;
	if (!vq_usable(vq))
		return -EIO;
	if (vq->packed)
		return vq_packed_pop(vq, chain);

	if (vq->last_avail == vq->avail_idx) {
		ret = vq_read_avail_idx(vq);
		if (ret)
			return ret;
		if (vq->last_avail == vq->avail_idx)
			return 0;
		/* The entries are read after the index that exposed them. */
		smp_rmb();
	}

	if (vq_ram_load16(vq->mem, vq_avail_ring(vq, vq->last_avail), &head))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	if (head >= vq->size)
		return vq_break(vq, KESTREL_VQ_ERR_HEAD, -EINVAL);
	ret = vq_walk(vq, head, chain);
	if (ret)
		return ret;
	chain->head = head;
	vq->last_avail++;
	return 1;
}

void kestrel_vq_unpop(struct kestrel_vq *vq, u16 n)
{
	if (!vq->packed)
		vq->last_avail -= n;
	else if (vq_usable(vq))
		vq_packed_unpop(vq, n);
}

int kestrel_vq_push(struct kestrel_vq *vq, u16 head, u32 len)
{
	struct {
		__le32 id;
		__le32 len;
	} elem;

	if (!vq_usable(vq))
		return -EIO;
	if (WARN_ON_ONCE(head >= vq->size))
		return -EINVAL;
	if (vq->packed)
		return vq_packed_push(vq, head, len);
	elem.id = cpu_to_le32(head);
	elem.len = cpu_to_le32(len);
	if (vq_ram_write(vq->mem, vq_used_ring(vq, vq->used_idx), &elem,
			 sizeof(elem)))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	/* The entry is visible before the index that exposes it. */
	smp_wmb();
	if (vq_ram_store16(vq->mem, vq->used + 2, vq->used_idx + 1))
		return vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
	vq->used_idx++;
	return 0;
}

/* The driver wants an event once the index moves past @event. */
static bool vq_need_event(u16 event, u16 new, u16 old)
{
	return (u16)(new - event - 1) < (u16)(new - old);
}

bool kestrel_vq_should_interrupt(struct kestrel_vq *vq)
{
	u16 old, new, val;
	bool valid;

	if (!vq_usable(vq))
		return false;
	/* Used idx is visible before the driver's wishes are read. */
	smp_mb();
	if (vq->packed)
		return vq_packed_should_interrupt(vq);
	if (!vq->event_idx) {
		if (vq_ram_load16(vq->mem, vq->avail, &val)) {
			vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
			return false;
		}
		return !(val & KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	}
	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	new = vq->used_idx;
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	if (vq_ram_load16(vq->mem, vq_used_event(vq), &val)) {
		vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
		return false;
	}
	return vq_need_event(val, new, old);
}

static int vq_set_used_flags(struct kestrel_vq *vq, u16 flags)
{
	return vq_set_used_flags_at(vq, vq->used, flags);
}

void kestrel_vq_disable_notify(struct kestrel_vq *vq)
{
	if (!vq_usable(vq))
		return;
	if (vq->packed) {
		vq_packed_set_event(vq, KESTREL_VRING_PACKED_EVENT_DISABLE);
		return;
	}
	if (vq->event_idx)
		return;
	vq_set_used_flags(vq, vq->used_flags | KESTREL_VRING_USED_F_NO_NOTIFY);
}

bool kestrel_vq_enable_notify(struct kestrel_vq *vq)
{
	if (!vq_usable(vq))
		return true;
	if (vq->packed)
		return vq_packed_enable_notify(vq);
	if (!vq->event_idx) {
		if (vq_set_used_flags(vq, vq->used_flags &
				      ~KESTREL_VRING_USED_F_NO_NOTIFY))
			return true;
	} else if (vq_ram_store16(vq->mem, vq_avail_event(vq),
				  vq->last_avail)) {
		vq_break(vq, KESTREL_VQ_ERR_RING_FAULT, -EFAULT);
		return true;
	}
	/* The driver sees the request before we look at avail idx again. */
	smp_mb();
	if (vq_read_avail_idx(vq))
		return true;
	return vq->avail_idx != vq->last_avail;
}

static long vq_copy(struct kestrel_vq *vq, const struct kestrel_vq_chain *c,
		    u32 off, void *buf, u32 len, bool to_chain)
{
	unsigned int i = to_chain ? c->n_out : 0;
	unsigned int end = to_chain ? c->n_out + c->n_in : c->n_out;
	u32 done = 0;

	if (!vq_usable(vq))
		return -EIO;
	for (; i < end && done < len; i++) {
		const struct kestrel_vq_seg *seg = &c->segs[i];
		u32 n;
		int ret;

		if (off >= seg->len) {
			off -= seg->len;
			continue;
		}
		n = seg->len - off;
		if (n > len - done)
			n = len - done;
		if (to_chain)
			ret = vq_ram_write(vq->mem, seg->gpa + off,
					   (u8 *)buf + done, n);
		else
			ret = vq_ram_read(vq->mem, seg->gpa + off,
					  (u8 *)buf + done, n);
		if (ret)
			return vq_break(vq, KESTREL_VQ_ERR_BUF_FAULT, -EFAULT);
		done += n;
		off = 0;
	}
	return done;
}

long kestrel_vq_copy_from_chain(struct kestrel_vq *vq,
				const struct kestrel_vq_chain *chain, u32 off,
				void *buf, u32 len)
{
	return vq_copy(vq, chain, off, buf, len, false);
}

long kestrel_vq_copy_to_chain(struct kestrel_vq *vq,
			      const struct kestrel_vq_chain *chain, u32 off,
			      const void *buf, u32 len)
{
	return vq_copy(vq, chain, off, (void *)buf, len, true);
}

#ifdef __KERNEL__
static int vq_ram_read(const struct kestrel_mem *mem, u64 gpa, void *buf,
		       u32 len)
{
	return kestrel_mem_read(mem, gpa, buf, len);
}

static int vq_ram_write(const struct kestrel_mem *mem, u64 gpa,
			const void *buf, u32 len)
{
	return kestrel_mem_write(mem, gpa, buf, len);
}

/* An even GPA: its two bytes are in one page. */
static __le16 *vq_ram_ptr16(const struct kestrel_mem *mem, u64 gpa)
{
	u64 off;

	if (WARN_ON_ONCE(gpa & 1) || !kestrel_mem_gpa_to_off(mem, gpa, &off))
		return NULL;
	return page_address(kestrel_mem_page(mem, off >> PAGE_SHIFT)) +
	       offset_in_page(off);
}

static int vq_ram_load16(const struct kestrel_mem *mem, u64 gpa, u16 *val)
{
	__le16 *p = vq_ram_ptr16(mem, gpa);

	if (!p)
		return -EFAULT;
	*val = le16_to_cpu(READ_ONCE(*p));
	return 0;
}

static int vq_ram_store16(const struct kestrel_mem *mem, u64 gpa, u16 val)
{
	__le16 *p = vq_ram_ptr16(mem, gpa);

	if (!p)
		return -EFAULT;
	WRITE_ONCE(*p, cpu_to_le16(val));
	return 0;
}
#endif /* __KERNEL__ */
