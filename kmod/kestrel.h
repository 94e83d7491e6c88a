/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kestrel module internals shared between its files.
 */
#ifndef KESTREL_H
#define KESTREL_H

#include <linux/types.h>
#include <linux/kestrel.h>

#define KESTREL_VERSION "0.1.0"

/*
 * What the hardware offers, filled in once by kestrel_hw_detect() at module
 * load, before /dev/kestrel or the netlink family are registered, and
 * read-only afterwards: readers need no lock.
 */
struct kestrel_hw {
	enum kestrel_backend backend;
	const char *detail;	/* static string: what was found, or why none */
	u64 features;		/* BIT_ULL(enum kestrel_feature) */
	u32 revision;		/* SVM revision or VMCS revision identifier */
	u32 nr_asids;		/* ASIDs (SVM) or VPIDs (VMX) */
};

extern struct kestrel_hw kestrel_hw;

/*
 * A vendor backend.  detect() only reads CPUID and MSRs; it never enables
 * anything.  It returns 0 when the backend is usable, -ENODEV when the CPU
 * lacks the extension, and another negative errno with hw->detail set when
 * the extension is present but cannot be used.
 */
struct kestrel_arch_ops {
	const char *name;
	enum kestrel_backend backend;
	int (*detect)(struct kestrel_hw *hw);
};

extern const struct kestrel_arch_ops kestrel_svm_ops;
extern const struct kestrel_arch_ops kestrel_vmx_ops;

void kestrel_hw_detect(struct kestrel_hw *hw);

/* genl.c */
int kestrel_genl_init(void);
void kestrel_genl_exit(void);

/* domain.c */
unsigned int kestrel_domain_count(void);

#endif /* KESTREL_H */
