// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: allocation, GPA lookup and user mappings.
 *
 * RAM is allocated at domain creation in 2 MiB pages where the buddy
 * allocator has them and in 4 KiB pages otherwise, zeroed and charged to
 * the creator's memory cgroup (__GFP_ACCOUNT).  Allocations never invoke
 * the OOM killer: a domain that cannot have its memory is refused.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/highmem.h>
#include <net/netlink.h>

#include "kestrel.h"
#include "memory.h"

#define CHUNK_ORDER	KESTREL_MEM_CHUNK_ORDER
#define CHUNK_PAGES	KESTREL_MEM_CHUNK_PAGES

/* Large chunks first: fail fast rather than compact hard, then 4 KiB. */
#define GFP_GUEST_LARGE	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_NORETRY)
#define GFP_GUEST_SMALL	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

/* Pages in chunk @c: all of them but in the last, short one. */
static unsigned long chunk_pages(const struct kestrel_mem *mem,
				 unsigned long c)
{
	return min(CHUNK_PAGES, mem->nr_pages - c * CHUNK_PAGES);
}

/* Free chunk @c's pages (the first @n of a small one) and its array. */
static void chunk_free(struct kestrel_mem *mem, unsigned long c,
		       unsigned long n)
{
	struct kestrel_mem_chunk *chunk = &mem->chunks[c];
	unsigned long i;

	if (chunk->head) {
		for (i = 0; i < CHUNK_PAGES; i++)
			put_page(nth_page(chunk->head, i));
		chunk->head = NULL;
		return;
	}
	if (!chunk->small)
		return;
	for (i = 0; i < n; i++)
		put_page(chunk->small[i]);
	kvfree(chunk->small);
	chunk->small = NULL;
}

static int chunk_alloc(struct kestrel_mem *mem, unsigned long c)
{
	struct kestrel_mem_chunk *chunk = &mem->chunks[c];
	unsigned long n = chunk_pages(mem, c), i;
	struct page *page = NULL;

	if (n == CHUNK_PAGES)
		page = alloc_pages(GFP_GUEST_LARGE, CHUNK_ORDER);
	if (page) {
		split_page(page, CHUNK_ORDER);
		chunk->head = page;
		mem->nr_large++;
		return 0;
	}
	chunk->small = kvcalloc(n, sizeof(*chunk->small), GFP_KERNEL_ACCOUNT);
	if (!chunk->small)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		chunk->small[i] = alloc_page(GFP_GUEST_SMALL);
		if (!chunk->small[i]) {
			chunk_free(mem, c, i);
			return -ENOMEM;
		}
	}
	return 0;
}

static void mem_free(struct kestrel_mem *mem, unsigned long chunks)
{
	unsigned long c;

	for (c = 0; c < chunks; c++)
		chunk_free(mem, c, chunk_pages(mem, c));
	kvfree(mem->chunks);
	memset(mem, 0, sizeof(*mem));
}

int kestrel_mem_create(struct kestrel_mem *mem, u64 size,
		       struct netlink_ext_ack *extack)
{
	unsigned long c;
	int err;

	memset(mem, 0, sizeof(*mem));
	if (size < KESTREL_MIN_MEMORY || size > KESTREL_MAX_MEMORY ||
	    !PAGE_ALIGNED(size)) {
		NL_SET_ERR_MSG(extack,
			       "memory size must be a multiple of 4 KiB between 2 MiB and 1 TiB");
		return -EINVAL;
	}
	/* Refuse what the host plainly does not have before trying. */
	if (size >> PAGE_SHIFT > si_mem_available()) {
		NL_SET_ERR_MSG(extack, "not enough free memory on the host for the guest RAM");
		return -ENOMEM;
	}
	mem->size = size;
	mem->nr_pages = size >> PAGE_SHIFT;
	mem->nr_chunks = DIV_ROUND_UP(mem->nr_pages, CHUNK_PAGES);
	mem->chunks = kvcalloc(mem->nr_chunks, sizeof(*mem->chunks),
			       GFP_KERNEL_ACCOUNT);
	if (!mem->chunks)
		goto err_nomem;

	for (c = 0; c < mem->nr_chunks; c++) {
		if (fatal_signal_pending(current)) {
			mem_free(mem, c);
			return -EINTR;
		}
		err = chunk_alloc(mem, c);
		if (err) {
			mem_free(mem, c);
			goto err_nomem;
		}
		cond_resched();
	}
	return 0;

err_nomem:
	NL_SET_ERR_MSG(extack, "cannot allocate the guest RAM (host or cgroup memory limit)");
	return -ENOMEM;
}

void kestrel_mem_destroy(struct kestrel_mem *mem)
{
	mem_free(mem, mem->nr_chunks);
}

bool kestrel_mem_gpa_to_off(const struct kestrel_mem *mem, u64 gpa, u64 *off)
{
	if (gpa < KESTREL_MMIO_HOLE_START)
		*off = gpa;
	else if (gpa >= KESTREL_MMIO_HOLE_END)
		*off = gpa - (KESTREL_MMIO_HOLE_END - KESTREL_MMIO_HOLE_START);
	else
		return false;
	return *off < mem->size;
}

static int mem_copy(const struct kestrel_mem *mem, u64 gpa, void *buf,
		    unsigned int len, bool write)
{
	while (len) {
		unsigned int n = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		u64 off;
		void *va;

		if (!kestrel_mem_gpa_to_off(mem, gpa, &off))
			return -EFAULT;
		va = page_address(kestrel_mem_page(mem, off >> PAGE_SHIFT)) +
		     offset_in_page(off);
		if (write)
			memcpy(va, buf, n);
		else
			memcpy(buf, va, n);
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int kestrel_mem_read(const struct kestrel_mem *mem, u64 gpa, void *buf,
		     unsigned int len)
{
	return mem_copy(mem, gpa, buf, len, false);
}

int kestrel_mem_write(const struct kestrel_mem *mem, u64 gpa, const void *buf,
		      unsigned int len)
{
	return mem_copy(mem, gpa, (void *)buf, len, true);
}

void kestrel_mem_clear(struct kestrel_mem *mem)
{
	unsigned long i;

	for (i = 0; i < mem->nr_pages; i++) {
		clear_highpage(kestrel_mem_page(mem, i));
		if (!(i & 511))
			cond_resched();
	}
}

static vm_fault_t kestrel_mem_fault(struct vm_fault *vmf)
{
	struct kestrel_mem *mem = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= mem->nr_pages)
		return VM_FAULT_SIGBUS;
	page = kestrel_mem_page(mem, vmf->pgoff);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kestrel_mem_vm_ops = {
	.fault = kestrel_mem_fault,
};

int kestrel_mem_mmap(struct kestrel_mem *mem, struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= mem->nr_pages ||
	    pages > mem->nr_pages - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_private_data = mem;
	vma->vm_ops = &kestrel_mem_vm_ops;
	return 0;
}
