// SPDX-License-Identifier: GPL-2.0
/*
 * Nested (NPT) and extended (EPT) page tables: one 4-level walker, two
 * entry formats.
 *
 * NPT entries are ordinary x86-64 page-table entries; guest accesses count
 * as user accesses, so every level has U/S set (APM 15.25.5).  EPT entries
 * carry read/write/execute bits and, in leaves, the memory type (SDM
 * 29.3.2); RAM is write-back and the guest's PAT still applies.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/bitops.h>
#include <asm/io.h>

#include "../kestrel.h"
#include "../memory.h"
#include "tdp.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_PS		BIT_ULL(7)

#define EPT_RWX		(BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2))
#define EPT_MT_WB	(6ULL << 3)
#define EPT_LARGE	BIT_ULL(7)

#define TDP_ADDR_MASK	GENMASK_ULL(51, 12)
#define TDP_ENTRIES	512

static u64 tdp_table_entry(const struct kestrel_tdp *tdp, u64 pa)
{
	if (tdp->fmt == KESTREL_TDP_EPT)
		return pa | EPT_RWX;
	return pa | NPT_P | NPT_RW | NPT_US;
}

static u64 tdp_leaf_entry(const struct kestrel_tdp *tdp, u64 pa, bool large)
{
	if (tdp->fmt == KESTREL_TDP_EPT)
		return pa | EPT_RWX | EPT_MT_WB | (large ? EPT_LARGE : 0);
	/* A and D preset: the walker never needs to write them back. */
	return pa | NPT_P | NPT_RW | NPT_US | NPT_A | NPT_D |
	       (large ? NPT_PS : 0);
}

static bool tdp_present(const struct kestrel_tdp *tdp, u64 entry)
{
	if (tdp->fmt == KESTREL_TDP_EPT)
		return entry & EPT_RWX;
	return entry & NPT_P;
}

static bool tdp_is_large(const struct kestrel_tdp *tdp, u64 entry)
{
	return entry & (tdp->fmt == KESTREL_TDP_EPT ? EPT_LARGE : NPT_PS);
}

static u64 *tdp_alloc_table(struct kestrel_tdp *tdp)
{
	u64 *table = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (table)
		tdp->nr_tables++;
	return table;
}

/* The table at @level (1..3) covering @gpa, allocated on the way down. */
static u64 *tdp_walk_alloc(struct kestrel_tdp *tdp, u64 gpa, int level)
{
	u64 *table = tdp->root;
	int l;

	for (l = 4; l > level; l--) {
		u64 *entry = &table[(gpa >> (12 + 9 * (l - 1))) & 511];

		if (!tdp_present(tdp, *entry)) {
			u64 *next = tdp_alloc_table(tdp);

			if (!next)
				return NULL;
			*entry = tdp_table_entry(tdp, __pa(next));
		}
		table = __va(*entry & TDP_ADDR_MASK);
	}
	return table;
}

static int tdp_map_chunk(struct kestrel_tdp *tdp, const struct kestrel_mem *mem,
			 u64 gpa, u64 off, u64 len)
{
	u64 *table;
	u64 i;

	if (len == PMD_SIZE && IS_ALIGNED(gpa, PMD_SIZE) &&
	    kestrel_mem_chunk_large(mem, off)) {
		table = tdp_walk_alloc(tdp, gpa, 2);
		if (!table)
			return -ENOMEM;
		table[(gpa >> PMD_SHIFT) & 511] =
			tdp_leaf_entry(tdp, page_to_phys(kestrel_mem_page(mem, off >> PAGE_SHIFT)),
				       true);
		tdp->nr_2m++;
		return 0;
	}
	for (i = 0; i < len; i += PAGE_SIZE) {
		table = tdp_walk_alloc(tdp, gpa + i, 1);
		if (!table)
			return -ENOMEM;
		table[((gpa + i) >> PAGE_SHIFT) & 511] =
			tdp_leaf_entry(tdp,
				       page_to_phys(kestrel_mem_page(mem, (off + i) >> PAGE_SHIFT)),
				       false);
		tdp->nr_4k++;
	}
	return 0;
}

int kestrel_tdp_build(struct kestrel_tdp *tdp, enum kestrel_tdp_format fmt,
		      const struct kestrel_mem *mem)
{
	u64 off, low = min_t(u64, mem->size, KESTREL_MMIO_HOLE_START);
	int err;

	memset(tdp, 0, sizeof(*tdp));
	tdp->fmt = fmt;
	tdp->root = tdp_alloc_table(tdp);
	if (!tdp->root)
		return -ENOMEM;
	for (off = 0; off < mem->size; off += PMD_SIZE) {
		u64 len = min_t(u64, PMD_SIZE, mem->size - off);
		u64 gpa = off < low ? off :
			  off - low + KESTREL_MMIO_HOLE_END;

		/* A chunk never straddles the hole: the hole start is 2M aligned. */
		err = tdp_map_chunk(tdp, mem, gpa, off, len);
		if (err) {
			kestrel_tdp_free(tdp);
			return err;
		}
		cond_resched();
	}
	return 0;
}

static void tdp_free_table(struct kestrel_tdp *tdp, u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < TDP_ENTRIES; i++) {
			u64 e = table[i];

			if (tdp_present(tdp, e) && !tdp_is_large(tdp, e))
				tdp_free_table(tdp, __va(e & TDP_ADDR_MASK),
					       level - 1);
		}
	}
	free_page((unsigned long)table);
}

void kestrel_tdp_free(struct kestrel_tdp *tdp)
{
	if (tdp->root)
		tdp_free_table(tdp, tdp->root, 4);
	tdp->root = NULL;
}

u64 kestrel_tdp_lookup(const struct kestrel_tdp *tdp, u64 gpa, int *level)
{
	u64 *table = tdp->root;
	int l;

	for (l = 4; l >= 1; l--) {
		u64 e = table[(gpa >> (12 + 9 * (l - 1))) & 511];

		if (!tdp_present(tdp, e))
			return 0;
		if (l == 1 || (l <= 3 && tdp_is_large(tdp, e))) {
			*level = l;
			return e;
		}
		table = __va(e & TDP_ADDR_MASK);
	}
	return 0;
}
