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

#define CHUNK_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define CHUNK_PAGES	(1UL << CHUNK_ORDER)

/* Large chunks first: fail fast rather than compact hard, then 4 KiB. */
#define GFP_GUEST_LARGE	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_NORETRY)
#define GFP_GUEST_SMALL	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

static void mem_free_pages(struct kestrel_mem *mem, unsigned long n)
{
	while (n--)
		put_page(mem->pages[n]);
}

static void mem_free_arrays(struct kestrel_mem *mem)
{
	kvfree(mem->pages);
	bitmap_free(mem->large);
	memset(mem, 0, sizeof(*mem));
}

int kestrel_mem_create(struct kestrel_mem *mem, u64 size,
		       struct netlink_ext_ack *extack)
{
	unsigned long i = 0, j, chunks;
	struct page *page;

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
	chunks = DIV_ROUND_UP(mem->nr_pages, CHUNK_PAGES);
	mem->pages = kvcalloc(mem->nr_pages, sizeof(*mem->pages),
			      GFP_KERNEL_ACCOUNT);
	mem->large = bitmap_zalloc(chunks, GFP_KERNEL_ACCOUNT);
	if (!mem->pages || !mem->large)
		goto err_nomem;

	while (i < mem->nr_pages) {
		if (fatal_signal_pending(current))
			goto err_intr;
		page = NULL;
		if (mem->nr_pages - i >= CHUNK_PAGES)
			page = alloc_pages(GFP_GUEST_LARGE, CHUNK_ORDER);
		if (page) {
			split_page(page, CHUNK_ORDER);
			for (j = 0; j < CHUNK_PAGES; j++)
				mem->pages[i + j] = page + j;
			set_bit(i / CHUNK_PAGES, mem->large);
			mem->nr_large++;
			i += CHUNK_PAGES;
		} else {
			page = alloc_page(GFP_GUEST_SMALL);
			if (!page)
				goto err_pages;
			mem->pages[i++] = page;
		}
		cond_resched();
	}
	return 0;

err_intr:
	mem_free_pages(mem, i);
	mem_free_arrays(mem);
	return -EINTR;
err_pages:
	mem_free_pages(mem, i);
err_nomem:
	mem_free_arrays(mem);
	NL_SET_ERR_MSG(extack, "cannot allocate the guest RAM (host or cgroup memory limit)");
	return -ENOMEM;
}

void kestrel_mem_destroy(struct kestrel_mem *mem)
{
	mem_free_pages(mem, mem->nr_pages);
	mem_free_arrays(mem);
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
		va = page_address(mem->pages[off >> PAGE_SHIFT]) +
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
		clear_highpage(mem->pages[i]);
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
	page = mem->pages[vmf->pgoff];
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
