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
 * outlives the domain safely.  The page array never changes after
 * creation: readers need no lock.
 */
#ifndef KESTREL_MEMORY_H
#define KESTREL_MEMORY_H

#include <linux/types.h>
#include <linux/mm_types.h>

struct netlink_ext_ack;

struct kestrel_mem {
	u64 size;			/* bytes, a multiple of PAGE_SIZE */
	unsigned long nr_pages;
	struct page **pages;		/* by RAM offset >> PAGE_SHIFT */
	unsigned long *large;		/* bit per 2 MiB chunk: contiguous */
	unsigned long nr_large;		/* chunks that got a 2 MiB page */
};

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
