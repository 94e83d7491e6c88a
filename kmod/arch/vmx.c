// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-x (VMX) backend.
 *
 * Feature facts come from the Intel SDM, volume 3, appendix A (VMX
 * capability reporting MSRs).
 */
#include <linux/errno.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/vmx.h>

#include "../kestrel.h"

#define VMX_CPUID_ECX_VMX	BIT(5)		/* CPUID.1 ECX */
#define VMX_BASIC_REVISION(b)	((u32)(b) & 0x7fffffff)
#define VMX_BASIC_TRUE_CTLS_BIT	BIT_ULL(55)

/* The allowed-1 settings of a control are the high half of its MSR. */
static u32 vmx_allowed1(u32 msr)
{
	u64 val;

	if (rdmsrl_safe(msr, &val))
		return 0;
	return val >> 32;
}

static void vmx_feature(struct kestrel_hw *hw, bool present, int feature)
{
	if (present)
		hw->features |= BIT_ULL(feature);
}

static int vmx_detect(struct kestrel_hw *hw)
{
	u32 pin, proc, proc2 = 0;
	u64 basic, feat_ctl, ept_cap = 0;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_CENTAUR &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_ZHAOXIN)
		return -ENODEV;
	if (!(cpuid_ecx(1) & VMX_CPUID_ECX_VMX))
		return -ENODEV;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl) ||
	    ((feat_ctl & FEAT_CTL_LOCKED) &&
	     !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))) {
		hw->detail = "VT-x is disabled by the firmware (IA32_FEATURE_CONTROL)";
		return -EOPNOTSUPP;
	}
	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &basic)) {
		hw->detail = "VT-x capability MSRs are not readable";
		return -EOPNOTSUPP;
	}
	hw->revision = VMX_BASIC_REVISION(basic);
	vmx_feature(hw, basic & VMX_BASIC_TRUE_CTLS_BIT, KESTREL_FEAT_TRUE_CTLS);

	pin = vmx_allowed1(MSR_IA32_VMX_PINBASED_CTLS);
	proc = vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS);
	if (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		proc2 = vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (proc2 & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
		rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &ept_cap);

	vmx_feature(hw, proc2 & SECONDARY_EXEC_ENABLE_EPT, KESTREL_FEAT_EPT);
	vmx_feature(hw, proc2 & SECONDARY_EXEC_ENABLE_VPID, KESTREL_FEAT_VPID);
	vmx_feature(hw, proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST,
		    KESTREL_FEAT_UNRESTRICTED);
	vmx_feature(hw, proc2 & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES,
		    KESTREL_FEAT_APIC_VIRT);
	vmx_feature(hw, proc2 & SECONDARY_EXEC_TSC_SCALING,
		    KESTREL_FEAT_TSC_SCALING);
	vmx_feature(hw, proc2 & SECONDARY_EXEC_ENABLE_INVPCID,
		    KESTREL_FEAT_INVPCID);
	vmx_feature(hw, pin & PIN_BASED_VMX_PREEMPTION_TIMER,
		    KESTREL_FEAT_PREEMPT_TIMER);
	vmx_feature(hw, pin & PIN_BASED_POSTED_INTR, KESTREL_FEAT_POSTED_INTR);
	if (hw->features & BIT_ULL(KESTREL_FEAT_EPT)) {
		vmx_feature(hw, ept_cap & VMX_EPT_2MB_PAGE_BIT,
			    KESTREL_FEAT_EPT_2M);
		vmx_feature(hw, ept_cap & VMX_EPT_1GB_PAGE_BIT,
			    KESTREL_FEAT_EPT_1G);
		vmx_feature(hw, ept_cap & VMX_EPT_AD_BIT, KESTREL_FEAT_EPT_AD);
	}
	/* VPIDs are 16 bits wide; 0 belongs to the host. */
	hw->nr_asids = (hw->features & BIT_ULL(KESTREL_FEAT_VPID)) ? 0xffff : 0;

	if (!(hw->features & BIT_ULL(KESTREL_FEAT_EPT))) {
		hw->detail = "VT-x without EPT is not supported";
		return -EOPNOTSUPP;
	}
	if (!(hw->features & BIT_ULL(KESTREL_FEAT_UNRESTRICTED))) {
		hw->detail = "VT-x without unrestricted guest is not supported";
		return -EOPNOTSUPP;
	}
	hw->detail = "Intel VT-x with EPT";
	return 0;
}

const struct kestrel_arch_ops kestrel_vmx_ops = {
	.name = "vmx",
	.backend = KESTREL_BACKEND_VMX,
	.detect = vmx_detect,
};
