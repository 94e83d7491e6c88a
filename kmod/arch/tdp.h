/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two-dimensional paging: the nested page tables (AMD NPT) or extended
 * page tables (Intel EPT) that map guest-physical to host-physical.
 *
 * Built once, eagerly, when the domain is created: every byte of guest RAM
 * is mapped (2 MiB entries where the RAM chunk is contiguous and aligned),
 * the MMIO hole and everything above RAM are not, so that only MMIO faults.
 * The tables never change afterwards and are freed with the domain: no
 * lock is needed and no TLB shootdown ever happens for them.
 */
#ifndef KESTREL_TDP_H
#define KESTREL_TDP_H

#include <linux/types.h>

struct kestrel_mem;

enum kestrel_tdp_format {
	KESTREL_TDP_NPT,
	KESTREL_TDP_EPT,
};

struct kestrel_tdp {
	enum kestrel_tdp_format fmt;
	u64 *root;			/* PML4, a zeroed page */
	unsigned long nr_tables;	/* table pages, root included */
	unsigned long nr_2m, nr_4k;	/* leaf entries */
};

int kestrel_tdp_build(struct kestrel_tdp *tdp, enum kestrel_tdp_format fmt,
		      const struct kestrel_mem *mem);
void kestrel_tdp_free(struct kestrel_tdp *tdp);
/* The leaf entry for @gpa (0 if unmapped) and its level (1 = 4 KiB). */
u64 kestrel_tdp_lookup(const struct kestrel_tdp *tdp, u64 gpa, int *level);

#endif /* KESTREL_TDP_H */
