/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM: kernel pages owned by a domain.
 *
 * Layout (uapi/linux/kestrel.h): RAM from GPA 0 to the MMIO hole, the
 * rest from 4 GiB.  The "RAM offset" of a byte is its index in guest RAM
 * with the hole squeezed out; it is also its offset in the memory fd.
 *
 * Lifetime: created with the domain, freed with the domain's last
 * reference.  Pages are plain order-0 pages (large allocations are split)
 * so that a user mapping holds its own reference to each page it maps and
 * outlives the domain safely.  The chunk table never changes after
 * creation: readers need no lock.
 */
#ifndef KESTREL_MEMORY_H
#define KESTREL_MEMORY_H

#include <linux/types.h>
#include <linux/mm.h>

struct netlink_ext_ack;

/*
 * RAM comes in 2 MiB chunks (by RAM offset).  A chunk that got a 2 MiB
 * allocation keeps only its first page (split: the rest follow it); one
 * that did not, or the short last chunk, keeps an array of its 4 KiB
 * pages.  So the bookkeeping is 16 bytes per 2 MiB when the host has
 * large pages to give, and 8 bytes per 4 KiB more where it had not.
 */
struct kestrel_mem_chunk {
	struct page *head;		/* 2 MiB contiguous; else NULL */
	struct page **small;		/* without head: its pages */
};

struct kestrel_mem {
	u64 size;			/* bytes, a multiple of PAGE_SIZE */
	unsigned long nr_pages;
	unsigned long nr_chunks;
	struct kestrel_mem_chunk *chunks;
	unsigned long nr_large;		/* chunks that got a 2 MiB page */
};

#define KESTREL_MEM_CHUNK_SHIFT	21		/* 2 MiB */
#define KESTREL_MEM_CHUNK_ORDER	(KESTREL_MEM_CHUNK_SHIFT - PAGE_SHIFT)
#define KESTREL_MEM_CHUNK_PAGES	(1UL << KESTREL_MEM_CHUNK_ORDER)

/* The page at RAM offset @idx << PAGE_SHIFT; @idx < nr_pages. */
static inline struct page *kestrel_mem_page(const struct kestrel_mem *mem,
					    unsigned long idx)
{
	const struct kestrel_mem_chunk *c =
		&mem->chunks[idx / KESTREL_MEM_CHUNK_PAGES];

	if (c->head)
		return nth_page(c->head, idx % KESTREL_MEM_CHUNK_PAGES);
	return c->small[idx % KESTREL_MEM_CHUNK_PAGES];
}

/* Whether the chunk holding RAM offset @off is one 2 MiB page. */
static inline bool kestrel_mem_chunk_large(const struct kestrel_mem *mem,
					   u64 off)
{
	return mem->chunks[off >> KESTREL_MEM_CHUNK_SHIFT].head;
}

int kestrel_mem_create(struct kestrel_mem *mem, u64 size,
		       struct netlink_ext_ack *extack);
void kestrel_mem_destroy(struct kestrel_mem *mem);

/* RAM offset of @gpa; false if @gpa is in the MMIO hole or beyond RAM. */
bool kestrel_mem_gpa_to_off(const struct kestrel_mem *mem, u64 gpa, u64 *off);
/* Copy to/from guest RAM; -EFAULT if any byte is not RAM.  Never sleeps. */
int kestrel_mem_read(const struct kestrel_mem *mem, u64 gpa, void *buf,
		     unsigned int len);
int kestrel_mem_write(const struct kestrel_mem *mem, u64 gpa, const void *buf,
		      unsigned int len);
/* Zero all of it (a reboot in place); no vCPU may run.  Sleeps. */
void kestrel_mem_clear(struct kestrel_mem *mem);
/* Map the RAM into a VMA (fault-in on access); offset = RAM offset. */
int kestrel_mem_mmap(struct kestrel_mem *mem, struct vm_area_struct *vma);

#endif /* KESTREL_MEMORY_H */
