// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V (SVM) backend.
 *
 * Feature facts come from the AMD64 Architecture Programmer's Manual,
 * volume 2, section 15.4 and CPUID Fn8000_000A.
 */
#include <linux/errno.h>
#include <asm/processor.h>
#include <asm/msr.h>

#include "../kestrel.h"

#define SVM_CPUID_LEAF		0x8000000a
#define SVM_CPUID_ECX_SVM	BIT(2)		/* Fn8000_0001 ECX */
#define SVM_VM_CR_SVMDIS	BIT_ULL(4)	/* MSR VM_CR */

/* Fn8000_000A EDX bits and the Kestrel feature each one maps to. */
static const struct {
	u8 edx_bit;
	u8 feature;
} svm_feature_map[] = {
	{ 0, KESTREL_FEAT_NPT },
	{ 1, KESTREL_FEAT_LBR_VIRT },
	{ 3, KESTREL_FEAT_NRIPS },
	{ 4, KESTREL_FEAT_TSC_RATE },
	{ 5, KESTREL_FEAT_VMCB_CLEAN },
	{ 6, KESTREL_FEAT_FLUSH_BY_ASID },
	{ 7, KESTREL_FEAT_DECODE_ASSISTS },
	{ 10, KESTREL_FEAT_PAUSE_FILTER },
	{ 13, KESTREL_FEAT_AVIC },
	{ 15, KESTREL_FEAT_VLS },
	{ 16, KESTREL_FEAT_VGIF },
};

static int svm_detect(struct kestrel_hw *hw)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;
	int i;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return -ENODEV;
	if (boot_cpu_data.extended_cpuid_level < SVM_CPUID_LEAF ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_ECX_SVM))
		return -ENODEV;

	if (!rdmsrl_safe(MSR_VM_CR, &vm_cr) && (vm_cr & SVM_VM_CR_SVMDIS)) {
		hw->detail = "AMD-V is disabled by the firmware (VM_CR.SVMDIS)";
		return -EOPNOTSUPP;
	}

	cpuid(SVM_CPUID_LEAF, &eax, &ebx, &ecx, &edx);
	hw->revision = eax & 0xff;
	hw->nr_asids = ebx;
	for (i = 0; i < ARRAY_SIZE(svm_feature_map); i++)
		if (edx & BIT(svm_feature_map[i].edx_bit))
			hw->features |= BIT_ULL(svm_feature_map[i].feature);

	if (!(hw->features & BIT_ULL(KESTREL_FEAT_NPT))) {
		hw->detail = "AMD-V without nested paging (NPT) is not supported";
		return -EOPNOTSUPP;
	}
	if (hw->nr_asids < 2) {
		hw->detail = "AMD-V reports no ASID for guests";
		return -EOPNOTSUPP;
	}
	hw->detail = "AMD-V with nested paging";
	return 0;
}

const struct kestrel_arch_ops kestrel_svm_ops = {
	.name = "svm",
	.backend = KESTREL_BACKEND_SVM,
	.detect = svm_detect,
};
