// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-x (VMX) backend.
 *
 * Facts come from the Intel SDM, volume 3: chapters 24-28 (VMCS, VM
 * entries and exits) and appendix A (VMX capability reporting MSRs).
 * Needs EPT and unrestricted guest; uses VPIDs when present.
 *
 * State: the VMCS is authoritative only between vcpu_load and vcpu_put
 * (a burst), where it is the current VMCS of the CPU.  Outside a burst the
 * guest state lives in struct vmx_guest ("the soft copy"): vcpu_put reads
 * what the guest can change without an exit back from the VMCS, register
 * commands read and write the soft copy, and the next vcpu_load writes it
 * all to the VMCS when it changed.  That keeps register access independent
 * of where the VMCS is loaded and of whether VMX is on at all (a domain
 * that never started).
 *
 * A VMCS is active on at most one CPU (vmx_vcpu.cpu) and on that CPU's
 * list of loaded VMCSs, so that hw_disable can VMCLEAR it; moving it to
 * another CPU VMCLEARs it where it was (an IPI) first.  Per-CPU state is
 * touched only on its own CPU with interrupts disabled or preemption off.
 *
 * Host control: external interrupts and NMIs exit.  The VMX preemption
 * timer, when the CPU has it, also ends every stay in the guest after about
 * a millisecond: on hardware an interrupt always comes first, but Bochs
 * does not deliver external-interrupt exits to a guest entered with
 * RFLAGS.IF=0 (it computes its interrupt mask before it is in guest mode),
 * and a guest spinning with interrupts off would keep the CPU forever.
 *
 * Debug registers: MOV DR exits; DR0-DR3, DR6 and DR7 are plain storage
 * for the guest (what it writes it reads back), the hardware DR7 of the
 * guest stays 0x400, so no guest breakpoint ever fires and the host's
 * DR0-DR3 are never exposed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/xcr.h>
#include <asm/io.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "../domain.h"
#include "../emulate.h"
#include "tdp.h"
#include "vmx_run.h"

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

/* ---- VMX instructions ---- */

#define VMX_BASIC_VMCS_SIZE(b)	(((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_PA	BIT_ULL(48)
#define VMX_BASIC_MEM_TYPE(b)	(((b) >> 50) & 0xf)
#define VMX_MEM_TYPE_WB		6

#define VMX_EXIT_BASIC(r)	((r) & 0xffff)
#define VMX_INTR_SHADOW		(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)
#define VMX_DR6_FIXED		0xffff0ff0ULL
#define VMX_DR7_FIXED		0x400ULL

static noinline void vmx_vmwrite_error(unsigned long field, unsigned long val);

/* 0 when VMX is off or the field does not exist (both are our bugs). */
static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long val = 0;

	asm volatile("1: vmread %[field], %[val]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [val] "+r" (val) : [field] "r" (field) : "cc");
	return val;
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	return vmcs_read(field);
}

/*
 * The VMX instructions below jump to "ok" on success (CF = ZF = 0); a
 * VMfail falls through, and so does a fault (VMX off: a bug, or an
 * emergency shutdown under us) through the exception table.
 */
static __always_inline void vmcs_write(unsigned long field, unsigned long val)
{
	asm goto("1: vmwrite %[val], %[field]\n\t"
		 "ja %l[ok]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [field] "r" (field), [val] "rm" (val) : "cc" : ok);
	vmx_vmwrite_error(field, val);
ok:
	return;
}

static noinline void vmx_vmwrite_error(unsigned long field, unsigned long val)
{
	pr_err_ratelimited("VMWRITE of %#lx to field %#lx failed: VM-instruction error %u\n",
			   val, field, vmcs_read32(VM_INSTRUCTION_ERROR));
}

/* VMXON, VMCLEAR, VMPTRLD: 0, or -EIO on VMfail or a fault. */
static int vmx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "ja %l[ok]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : ok);
	return -EIO;
ok:
	return 0;
}

static void vmx_vmxoff(void)
{
	asm volatile("1: vmxoff\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : : "cc", "memory");
}

static int vmx_vmclear(u64 pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "ja %l[ok]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : ok);
	pr_err_ratelimited("VMCLEAR of %#llx failed\n", pa);
	return -EIO;
ok:
	return 0;
}

static int vmx_vmptrld(u64 pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "ja %l[ok]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : ok);
	pr_err_ratelimited("VMPTRLD of %#llx failed\n", pa);
	return -EIO;
ok:
	return 0;
}

static void vmx_invept(unsigned long type, u64 eptp)
{
	struct {
		u64 eptp, gpa;
	} desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "ja %l[ok]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory" : ok);
	pr_err_ratelimited("INVEPT type %lu of %#llx failed\n", type, eptp);
ok:
	return;
}

static void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct {
		u64 vpid, gla;
	} desc = { vpid, 0 };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 "ja %l[ok]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory" : ok);
	pr_err_ratelimited("INVVPID type %lu of VPID %u failed\n", type, vpid);
ok:
	return;
}

/* ---- what this CPU's VT-x allows, computed once at module load ---- */

static struct {
	int err;			/* for vcpu_init: 0 or -EOPNOTSUPP */
	u32 revision;
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_must1, cr0_must0, cr0_mask;
	u64 cr4_must1, cr4_must0, cr4_mask;
	bool vpid;
	bool exit_saves_lma;		/* VM exits update "IA-32e mode guest" */
	bool invept_global, invvpid_global;
	u32 preempt_timer;		/* VMX preemption timer value, or 0 */
	unsigned long invept_type, invvpid_type;
} vmx_cfg;

static u64 host_xcr0;

/*
 * A control word: what we want, made legal by the capability MSR's
 * allowed-0 (must be 1) and allowed-1 (may be 1) halves.  Bits in @need
 * must survive; bits in @refuse must not be forced on.
 */
static int vmx_control(u32 msr, u32 true_msr, bool use_true, u32 want,
		       u32 need, u32 refuse, const char *what, u32 *out)
{
	u32 allowed0, allowed1, ctl;
	u64 cap;

	if (rdmsrl_safe(use_true ? true_msr : msr, &cap))
		return -EOPNOTSUPP;
	allowed0 = cap;
	allowed1 = cap >> 32;
	ctl = (want | allowed0) & allowed1;
	if (need & ~ctl) {
		pr_warn("VT-x lacks %s controls %#x\n", what, need & ~ctl);
		return -EOPNOTSUPP;
	}
	if (ctl & refuse) {
		pr_warn("VT-x forces %s controls %#x on\n", what, ctl & refuse);
		return -EOPNOTSUPP;
	}
	*out = ctl;
	return 0;
}

static int vmx_setup_controls(u64 basic)
{
	bool t = basic & VMX_BASIC_TRUE_CTLS_BIT;
	u32 proc_need, proc_refuse, proc2_want;
	u64 ept_cap = 0, misc = 0, f0, f1;
	int err;

	err = vmx_control(MSR_IA32_VMX_PINBASED_CTLS,
			  MSR_IA32_VMX_TRUE_PINBASED_CTLS, t,
			  PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			  PIN_BASED_VMX_PREEMPTION_TIMER,
			  PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
			  PIN_BASED_POSTED_INTR, "pin-based", &vmx_cfg.pin);
	if (err)
		return err;

	/*
	 * Every port and every MSR exits (no bitmaps); MOV to/from CR8 exits
	 * so that the guest never touches the host's TPR; CR3 accesses do
	 * not exit (EPT).
	 */
	proc_need = CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
		    CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_MWAIT_EXITING |
		    CPU_BASED_MONITOR_EXITING | CPU_BASED_CR8_LOAD_EXITING |
		    CPU_BASED_CR8_STORE_EXITING | CPU_BASED_MOV_DR_EXITING |
		    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	proc_refuse = CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		      CPU_BASED_INVLPG_EXITING | CPU_BASED_RDTSC_EXITING |
		      CPU_BASED_TPR_SHADOW | CPU_BASED_USE_IO_BITMAPS |
		      CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MONITOR_TRAP_FLAG |
		      CPU_BASED_PAUSE_EXITING | CPU_BASED_INTR_WINDOW_EXITING |
		      CPU_BASED_NMI_WINDOW_EXITING |
		      CPU_BASED_ACTIVATE_TERTIARY_CONTROLS;
	err = vmx_control(MSR_IA32_VMX_PROCBASED_CTLS,
			  MSR_IA32_VMX_TRUE_PROCBASED_CTLS, t,
			  proc_need | CPU_BASED_RDPMC_EXITING, proc_need,
			  proc_refuse, "processor-based", &vmx_cfg.proc);
	if (err)
		return err;

	/*
	 * RDTSCP, INVPCID, XSAVES and the rest stay disabled: the guest gets
	 * #UD for them, as on a CPU without them (CPUID hides them too).
	 */
	proc2_want = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	if (kestrel_hw.features & BIT_ULL(KESTREL_FEAT_VPID))
		proc2_want |= SECONDARY_EXEC_ENABLE_VPID;
	err = vmx_control(MSR_IA32_VMX_PROCBASED_CTLS2,
			  MSR_IA32_VMX_PROCBASED_CTLS2, false, proc2_want,
			  SECONDARY_EXEC_ENABLE_EPT |
			  SECONDARY_EXEC_UNRESTRICTED_GUEST, 0,
			  "secondary", &vmx_cfg.proc2);
	if (err)
		return err;

	/* Interrupts stay pending at exit: the host takes them with IF=1. */
	err = vmx_control(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS, t,
			  VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_DEBUG_CONTROLS |
			  VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
			  VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT,
			  VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
			  VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
			  VM_EXIT_LOAD_IA32_PAT,
			  VM_EXIT_ACK_INTR_ON_EXIT |
			  VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL |
			  VM_EXIT_SAVE_VMX_PREEMPTION_TIMER,
			  "VM-exit", &vmx_cfg.exit);
	if (err)
		return err;

	/* IA-32e mode guest follows the guest's EFER.LMA, per vCPU. */
	err = vmx_control(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS, t,
			  VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_EFER |
			  VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_IA32E_MODE,
			  VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
			  VM_ENTRY_IA32E_MODE,
			  VM_ENTRY_SMM | VM_ENTRY_DEACT_DUAL_MONITOR |
			  VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL,
			  "VM-entry", &vmx_cfg.entry);
	if (err)
		return err;
	vmx_cfg.entry &= ~VM_ENTRY_IA32E_MODE;

	rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &ept_cap);
	if (!(ept_cap & VMX_EPT_PAGE_WALK_4_BIT) || !(ept_cap & VMX_EPTP_WB_BIT) ||
	    !(ept_cap & VMX_EPT_2MB_PAGE_BIT) || !(ept_cap & VMX_EPT_INVEPT_BIT) ||
	    !(ept_cap & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_warn("EPT lacks 4-level walks, write-back, 2 MiB pages or INVEPT (%#llx)\n",
			ept_cap);
		return -EOPNOTSUPP;
	}
	vmx_cfg.invept_global = ept_cap & VMX_EPT_EXTENT_GLOBAL_BIT;
	vmx_cfg.invept_type = (ept_cap & VMX_EPT_EXTENT_CONTEXT_BIT) ?
			      VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;

	/* VPIDs only with INVVPID of a whole context (or of all of them). */
	vmx_cfg.vpid = (vmx_cfg.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
		       (ept_cap >> 32 & VMX_VPID_INVVPID_BIT) &&
		       (ept_cap >> 32 & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
					 VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT));
	if (!vmx_cfg.vpid)
		vmx_cfg.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	vmx_cfg.invvpid_global = ept_cap >> 32 & VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT;
	vmx_cfg.invvpid_type = (ept_cap >> 32 & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT) ?
			       VMX_VPID_EXTENT_SINGLE_CONTEXT :
			       VMX_VPID_EXTENT_ALL_CONTEXT;

	rdmsrl_safe(MSR_IA32_VMX_MISC, &misc);
	vmx_cfg.exit_saves_lma = misc & VMX_MISC_SAVE_EFER_LMA;
	/* The timer ticks every 2^rate TSC cycles: about a millisecond. */
	if (vmx_cfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmx_cfg.preempt_timer = max(tsc_khz >> vmx_misc_preemption_timer_rate(misc), 1U);

	/*
	 * CR0 and CR4 bits fixed in VMX operation: PE and PG are free with
	 * unrestricted guest.  The host owns the fixed bits (the guest sees
	 * its own value in the read shadow, the CPU runs with the fixed one)
	 * and CR4.VMXE, which the guest reads as 0 and may not set.
	 */
	if (rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED0, &f0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED1, &f1))
		return -EOPNOTSUPP;
	vmx_cfg.cr0_must1 = f0 & ~(u64)(X86_CR0_PE | X86_CR0_PG);
	vmx_cfg.cr0_must0 = ~f1 & 0xffffffffULL;
	vmx_cfg.cr0_mask = vmx_cfg.cr0_must1 | vmx_cfg.cr0_must0;
	if (rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED0, &f0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED1, &f1))
		return -EOPNOTSUPP;
	vmx_cfg.cr4_must1 = f0;
	vmx_cfg.cr4_must0 = ~f1;
	/*
	 * A host kernel that does not use XSAVE (Bochs' XSAVE leaves fail
	 * Linux's checks) switches no XCR0 and no extended state for the
	 * guest: CR4.OSXSAVE is then reserved for it, as without XSAVE.
	 */
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		vmx_cfg.cr4_must0 |= X86_CR4_OSXSAVE;
	vmx_cfg.cr4_mask = vmx_cfg.cr4_must1 | vmx_cfg.cr4_must0 | X86_CR4_VMXE;
	return 0;
}

/* ---- per-CPU state: VMXON and the VMCSs loaded here ---- */

struct vmx_vcpu;

struct vmx_cpu {
	void *vmxon;			/* VMXON region, a zeroed page */
	struct vmx_vcpu *current_vmcs;	/* the VMCS VMPTRLD made current */
	struct list_head loaded;	/* vmx_vcpu.loaded_link: active here */
	bool enabled;			/* we did VMXON (and set CR4.VMXE) */
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);

/* VPIDs: 0 is the host's. */
static DEFINE_IDA(vmx_vpids);

static void vmx_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

		if (vc->vmxon)
			free_page((unsigned long)vc->vmxon);
		vc->vmxon = NULL;
	}
}

static int vmx_init(void)
{
	u64 basic;
	int cpu;

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_cfg.revision = VMX_BASIC_REVISION(basic);
	if (VMX_BASIC_VMCS_SIZE(basic) > PAGE_SIZE ||
	    (basic & VMX_BASIC_32BIT_PA) ||
	    VMX_BASIC_MEM_TYPE(basic) != VMX_MEM_TYPE_WB) {
		pr_warn("unsupported VMCS format (IA32_VMX_BASIC %#llx)\n", basic);
		vmx_cfg.err = -EOPNOTSUPP;
	} else {
		vmx_cfg.err = vmx_setup_controls(basic);
	}

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);
		struct page *page;

		INIT_LIST_HEAD(&vc->loaded);
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_exit();
			return -ENOMEM;
		}
		vc->vmxon = page_address(page);
		*(u32 *)vc->vmxon = vmx_cfg.revision;
	}
	return 0;
}

/*
 * Belt and braces: every VMCS flushes its own EPTP and VPID when it
 * arrives on a CPU (vmx_flush_on_arrival) anyway.
 */
static void vmx_flush_all(void)
{
	if (vmx_cfg.err)
		return;
	if (vmx_cfg.invept_global)
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (vmx_cfg.vpid && vmx_cfg.invvpid_global)
		vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
}

/*
 * VMXON on this CPU.  Someone else's CR4.VMXE means another hypervisor
 * (kvm_intel with VMs) owns VT-x here: -EBUSY, and nothing changes.
 */
static int vmx_hw_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);

	if (vc->enabled)
		return 0;
	if ((cr4_read_shadow() | __read_cr4()) & X86_CR4_VMXE)
		return -EBUSY;
	cr4_set_bits(X86_CR4_VMXE);
	if (vmx_vmxon(__pa(vc->vmxon))) {
		cr4_clear_bits(X86_CR4_VMXE);
		return -EBUSY;
	}
	vc->enabled = true;
	vc->current_vmcs = NULL;
	/* Nothing a previous owner of VT-x cached may be used by us. */
	vmx_flush_all();
	return 0;
}

/* ---- vCPUs: the VMCS and the soft copy of the guest state ---- */

/* Segment registers in VMCS field order. */
enum {
	VMX_ES, VMX_CS, VMX_SS, VMX_DS, VMX_FS, VMX_GS, VMX_LDTR, VMX_TR,
	VMX_NR_SEGS
};

struct vmx_seg {
	u64 base;
	u32 limit;
	u32 ar;			/* VMX access rights, unusable at bit 16 */
	u16 sel;
};

/* The guest state outside the VMCS or while it is not current. */
struct vmx_guest {
	struct vmx_seg seg[VMX_NR_SEGS];
	u64 gdt_base, idt_base;
	u32 gdt_limit, idt_limit;
	u64 cr0, cr2, cr3, cr4;		/* CR0 and CR4 as the guest sees them */
	u64 efer, pat, rflags;
	u64 sysenter_esp, sysenter_eip;
	u32 sysenter_cs;
	u32 interruptibility;
	u64 pending_dbg;
	u64 tsc_offset;
	/* Not switched by VMX: loaded by hand for a burst. */
	u64 kernel_gs_base, star, lstar, cstar, sfmask;
	/* Emulated. */
	u64 dr[4], dr6, dr7;
	u8 cr8;
};

/* Host state a burst changes and vcpu_put restores. */
struct vmx_host {
	u64 kernel_gs_base, star, lstar, cstar, sfmask;
	unsigned long debugctl;
	u16 ds, es, fs, gs, ldt;
};

struct vmx_vcpu {
	struct kestrel_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	int cpu;			/* where the VMCS is active, or -1 */
	struct list_head loaded_link;	/* in that CPU's vmx_cpu.loaded */
	bool launched;			/* VMLAUNCH done since the VMCLEAR */
	bool fresh;			/* controls never written */
	bool dirty;			/* the soft copy is newer than the VMCS */
	bool in_burst;			/* the VMCS is current and authoritative */
	bool flush_pending;		/* reboot: flush EPT/VPID at next load */
	u16 vpid;			/* 0: none */
	u32 proc, proc2, entry;		/* controls as last written */
	unsigned long host_rsp, host_cr3, host_cr4;
	u64 last_rip, last_rsp;		/* GUEST_RIP/RSP as the VMCS holds them */
	u32 inj_info, inj_err, inj_len;	/* event for the next entry */
	struct vmx_guest g;
	struct vmx_host h;
};

/* Domains: the EPT and its pointer. */
struct vmx_dom {
	struct kestrel_tdp tdp;
	u64 eptp;
};

static inline struct vmx_vcpu *to_vmx(struct kestrel_vcpu *vcpu)
{
	return vcpu->arch;
}

static u64 vmx_cr0_real(u64 view)
{
	return (view | vmx_cfg.cr0_must1) & ~vmx_cfg.cr0_must0;
}

static u64 vmx_cr4_real(u64 view)
{
	return (view | vmx_cfg.cr4_must1) & ~vmx_cfg.cr4_must0;
}

/* The guest's view: host-owned bits come from the read shadow (= view). */
static u64 vmx_cr0_view(u64 real, u64 view)
{
	return (real & ~vmx_cfg.cr0_mask) | (view & vmx_cfg.cr0_mask);
}

static u64 vmx_cr4_view(u64 real, u64 view)
{
	return (real & ~vmx_cfg.cr4_mask) | (view & vmx_cfg.cr4_mask);
}

static u64 vmx_guest_cr0(struct vmx_vcpu *vv)
{
	if (vv->in_burst)
		return vmx_cr0_view(vmcs_read(GUEST_CR0), vv->g.cr0);
	return vv->g.cr0;
}

static u64 vmx_guest_cr4(struct vmx_vcpu *vv)
{
	if (vv->in_burst)
		return vmx_cr4_view(vmcs_read(GUEST_CR4), vv->g.cr4);
	return vv->g.cr4;
}

static u64 vmx_guest_efer(struct vmx_vcpu *vv)
{
	return vv->in_burst ? vmcs_read(GUEST_IA32_EFER) : vv->g.efer;
}

static u32 vmx_guest_cs_ar(struct vmx_vcpu *vv)
{
	return vv->in_burst ? vmcs_read32(GUEST_CS_AR_BYTES) : vv->g.seg[VMX_CS].ar;
}

/* 64-bit mode: operands of MOV CR/DR are 64 bits wide. */
static bool vmx_long64(struct vmx_vcpu *vv)
{
	return (vmx_guest_efer(vv) & EFER_LMA) &&
	       (vmx_guest_cs_ar(vv) & VMX_AR_L_MASK);
}

/* ---- VMCS migration ---- */

/* IPI (or local call): VMCLEAR the VMCS if it is still active here. */
static void vmx_vmclear_local(void *arg)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *vv = arg;

	if (READ_ONCE(vv->cpu) != smp_processor_id())
		return;
	vmx_vmclear(vv->vmcs_pa);
	if (vc->current_vmcs == vv)
		vc->current_vmcs = NULL;
	list_del(&vv->loaded_link);
	vv->launched = false;
	/* Off the list before anyone sees it free (vmx_vcpu_load). */
	smp_wmb();
	WRITE_ONCE(vv->cpu, -1);
}

/* VMCLEAR the VMCS on the CPU where it is active.  Not in atomic context. */
static void vmx_vmcs_clear(struct vmx_vcpu *vv)
{
	int cpu = READ_ONCE(vv->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_vmclear_local, vv, 1);
}

static void vmx_hw_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *vv, *tmp;
	unsigned long flags;

	local_irq_save(flags);
	if (vc->enabled) {
		list_for_each_entry_safe(vv, tmp, &vc->loaded, loaded_link) {
			vmx_vmclear(vv->vmcs_pa);
			list_del(&vv->loaded_link);
			vv->launched = false;
			/* As in vmx_vmclear_local(). */
			smp_wmb();
			WRITE_ONCE(vv->cpu, -1);
		}
		vc->current_vmcs = NULL;
		vmx_vmxoff();
		cr4_clear_bits(X86_CR4_VMXE);
		vc->enabled = false;
	}
	local_irq_restore(flags);
}

/* ---- domains ---- */

static int vmx_dom_init(struct kestrel_domain *dom)
{
	struct vmx_dom *vd;
	int err;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL_ACCOUNT);
	if (!vd)
		return -ENOMEM;
	err = kestrel_tdp_build(&vd->tdp, KESTREL_TDP_EPT, &dom->mem);
	if (err) {
		kfree(vd);
		return err;
	}
	/* Write-back, 4-level walk, no accessed/dirty flags. */
	vd->eptp = __pa(vd->tdp.root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	dom->arch = vd;
	return 0;
}

static void vmx_dom_free(struct kestrel_domain *dom)
{
	struct vmx_dom *vd = dom->arch;

	if (!vd)
		return;
	kestrel_tdp_free(&vd->tdp);
	kfree(vd);
	dom->arch = NULL;
}

/* ---- guest state: reset, soft copy <-> VMCS ---- */

/* kestrel_segment.attrib (VMCB layout) <-> VMX access rights. */
static u32 vmx_ar_from_attrib(u16 attrib)
{
	u32 ar = (attrib & 0xff) | ((attrib & 0xf00) << 4);

	if (!(attrib & VMX_AR_P_MASK))
		return ar | VMX_AR_UNUSABLE_MASK;
	/* Loading a code or data segment sets its accessed bit. */
	if (ar & VMX_AR_S_MASK)
		ar |= VMX_AR_TYPE_ACCESSES_MASK;
	return ar;
}

static u16 vmx_attrib_from_ar(u32 ar)
{
	u16 attrib = (ar & 0xff) | ((ar >> 4) & 0xf00);

	if (ar & VMX_AR_UNUSABLE_MASK)
		attrib &= ~VMX_AR_P_MASK;
	return attrib;
}

static void vmx_seg_set(struct vmx_seg *s, u16 sel, u64 base, u32 limit,
			u32 ar)
{
	s->sel = sel;
	s->base = base;
	s->limit = limit;
	s->ar = ar;
}

/* The architectural state after RESET (SDM 10.1.1), in real mode. */
static void vmx_vcpu_reset(struct kestrel_vcpu *vcpu)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;
	int i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < VMX_NR_SEGS; i++)
		vmx_seg_set(&g->seg[i], 0, 0, 0xffff, 0x93);
	vmx_seg_set(&g->seg[VMX_CS], 0xf000, 0xffff0000, 0xffff, 0x9b);
	vmx_seg_set(&g->seg[VMX_LDTR], 0, 0, 0xffff, 0x82);
	vmx_seg_set(&g->seg[VMX_TR], 0, 0, 0xffff, 0x83);
	g->gdt_limit = 0xffff;
	g->idt_limit = 0xffff;
	g->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	g->rflags = X86_EFLAGS_FIXED;
	g->pat = 0x0007040600070406ULL;
	g->dr6 = VMX_DR6_FIXED;
	g->dr7 = VMX_DR7_FIXED;
	g->tsc_offset = vcpu->dom->tsc_offset;
	vcpu->rip = 0xfff0;
	memset(vcpu->gprs, 0, sizeof(vcpu->gprs));
	vcpu->gprs[2] = cpuid_eax(1);	/* EDX after RESET: the signature */
}

static bool vmx_pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/*
 * PAE paging with EPT: VM entry loads the four PDPTEs from the VMCS, so
 * they are read from guest memory when the host sets up that mode.  An
 * entry the CPU would refuse (reserved bits) reads as not present.
 */
static void vmx_load_pdptrs(struct kestrel_vcpu *vcpu, u64 cr3)
{
	u64 rsvd = GENMASK_ULL(63, boot_cpu_data.x86_phys_bits) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	u64 pdpte[4] = {};
	int i;

	if (kestrel_mem_read(&vcpu->dom->mem, (u32)cr3 & ~0x1fU, pdpte,
			     sizeof(pdpte)))
		memset(pdpte, 0, sizeof(pdpte));
	for (i = 0; i < 4; i++) {
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			pdpte[i] = 0;
		vmcs_write(GUEST_PDPTR0 + 2 * i, pdpte[i]);
	}
}

static void vmx_write_entry_controls(struct vmx_vcpu *vv, u64 efer)
{
	u32 entry = vmx_cfg.entry | ((efer & EFER_LMA) ? VM_ENTRY_IA32E_MODE : 0);

	if (entry != vv->entry || vv->fresh) {
		vv->entry = entry;
		vmcs_write(VM_ENTRY_CONTROLS, entry);
	}
}

/* Soft copy -> VMCS (current on this CPU). */
static void vmx_load_guest_state(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	struct vmx_guest *g = &vv->g;
	u64 rflags = g->rflags;
	int i;

	for (i = 0; i < VMX_NR_SEGS; i++) {
		vmcs_write(GUEST_ES_SELECTOR + 2 * i, g->seg[i].sel);
		vmcs_write(GUEST_ES_BASE + 2 * i, g->seg[i].base);
		vmcs_write(GUEST_ES_LIMIT + 2 * i, g->seg[i].limit);
		vmcs_write(GUEST_ES_AR_BYTES + 2 * i, g->seg[i].ar);
	}
	vmcs_write(GUEST_GDTR_BASE, g->gdt_base);
	vmcs_write(GUEST_GDTR_LIMIT, g->gdt_limit);
	vmcs_write(GUEST_IDTR_BASE, g->idt_base);
	vmcs_write(GUEST_IDTR_LIMIT, g->idt_limit);
	vmcs_write(GUEST_CR0, vmx_cr0_real(g->cr0));
	vmcs_write(CR0_READ_SHADOW, g->cr0);
	vmcs_write(GUEST_CR3, g->cr3);
	vmcs_write(GUEST_CR4, vmx_cr4_real(g->cr4));
	vmcs_write(CR4_READ_SHADOW, g->cr4);
	vmcs_write(GUEST_IA32_EFER, g->efer);
	vmx_write_entry_controls(vv, g->efer);
	vmcs_write(GUEST_IA32_PAT, g->pat);
	vmcs_write(GUEST_SYSENTER_CS, g->sysenter_cs);
	vmcs_write(GUEST_SYSENTER_ESP, g->sysenter_esp);
	vmcs_write(GUEST_SYSENTER_EIP, g->sysenter_eip);
	/* Virtual-8086 mode exists only in protected mode, outside long mode. */
	if ((g->efer & EFER_LMA) || !(g->cr0 & X86_CR0_PE))
		rflags &= ~X86_EFLAGS_VM;
	vmcs_write(GUEST_RFLAGS, rflags);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, g->interruptibility);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, g->pending_dbg);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(TSC_OFFSET, g->tsc_offset);
	if (vmx_pae_paging(g->cr0, g->cr4, g->efer))
		vmx_load_pdptrs(vcpu, g->cr3);
	vmcs_write(GUEST_RIP, vcpu->rip);
	vmcs_write(GUEST_RSP, vcpu->gprs[4]);
	vv->last_rip = vcpu->rip;
	vv->last_rsp = vcpu->gprs[4];
}

/* VMCS -> soft copy: what the guest changes without an exit. */
static void vmx_save_guest_state(struct vmx_vcpu *vv)
{
	struct vmx_guest *g = &vv->g;
	int i;

	for (i = 0; i < VMX_NR_SEGS; i++) {
		g->seg[i].sel = vmcs_read(GUEST_ES_SELECTOR + 2 * i);
		g->seg[i].base = vmcs_read(GUEST_ES_BASE + 2 * i);
		g->seg[i].limit = vmcs_read32(GUEST_ES_LIMIT + 2 * i);
		g->seg[i].ar = vmcs_read32(GUEST_ES_AR_BYTES + 2 * i);
	}
	g->gdt_base = vmcs_read(GUEST_GDTR_BASE);
	g->gdt_limit = vmcs_read32(GUEST_GDTR_LIMIT);
	g->idt_base = vmcs_read(GUEST_IDTR_BASE);
	g->idt_limit = vmcs_read32(GUEST_IDTR_LIMIT);
	g->cr0 = vmx_cr0_view(vmcs_read(GUEST_CR0), g->cr0);
	g->cr3 = vmcs_read(GUEST_CR3);
	g->cr4 = vmx_cr4_view(vmcs_read(GUEST_CR4), g->cr4);
	g->efer = vmcs_read(GUEST_IA32_EFER);
	g->rflags = vmcs_read(GUEST_RFLAGS);
	g->interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	g->pending_dbg = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS);
}

static int vmx_vcpu_init(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv;
	struct page *page;
	int vpid;

	if (vmx_cfg.err)
		return vmx_cfg.err;
	vv = kzalloc(sizeof(*vv), GFP_KERNEL_ACCOUNT);
	if (!vv)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(vv);
		return -ENOMEM;
	}
	vv->vcpu = vcpu;
	vv->vmcs = page_address(page);
	vv->vmcs_pa = page_to_phys(page);
	*(u32 *)vv->vmcs = vmx_cfg.revision;
	vv->cpu = -1;
	INIT_LIST_HEAD(&vv->loaded_link);
	vv->fresh = true;
	vv->dirty = true;
	vv->proc = vmx_cfg.proc;
	vv->proc2 = vmx_cfg.proc2;
	if (vmx_cfg.vpid) {
		/* Out of VPIDs: this vCPU runs untagged, flushed at each entry. */
		vpid = ida_alloc_range(&vmx_vpids, 1, VMX_NR_VPIDS - 1, GFP_KERNEL);
		if (vpid > 0)
			vv->vpid = vpid;
		else
			vv->proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	}
	vcpu->arch = vv;
	vmx_vcpu_reset(vcpu);
	return 0;
}

static void vmx_vcpu_free(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = vcpu->arch;

	if (!vv)
		return;
	/*
	 * The next owner of the VPID flushes it on every CPU before its first
	 * entry there (vmx_vcpu_load), so only the VMCS needs clearing.
	 */
	vmx_vmcs_clear(vv);
	if (vv->vpid)
		ida_free(&vmx_vpids, vv->vpid);
	free_page((unsigned long)vv->vmcs);
	kfree(vv);
	vcpu->arch = NULL;
}

/* ---- vcpu_load / vcpu_put ---- */

static void vmx_write_controls(struct kestrel_vcpu *vcpu)
{
	struct vmx_dom *vd = vcpu->dom->arch;
	struct vmx_vcpu *vv = to_vmx(vcpu);

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vv->proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vv->proc2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_cfg.exit);
	/* Reloaded at every entry: the exit does not save it. */
	if (vmx_cfg.preempt_timer)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_cfg.preempt_timer);
	/* Host machine checks in guest mode go to the host's handler. */
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_MC));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, vmx_cfg.cr0_mask);
	vmcs_write(CR4_GUEST_HOST_MASK, vmx_cfg.cr4_mask);
	vmcs_write(EPT_POINTER, vd->eptp);
	if (vv->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vv->vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0UL);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_DR7, VMX_DR7_FIXED);

	/* Host state that is the same on every CPU and for every burst. */
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_RIP, (unsigned long)kestrel_vmx_exit);
}

/* Host state of this CPU: when the VMCS arrives on it. */
static void vmx_write_host_cpu(struct vmx_vcpu *vv, int cpu)
{
	struct desc_ptr idt;
	u64 v;

	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
	vmcs_write(HOST_CR0, read_cr0());
	/* CR3 and CR4 are checked before every entry. */
	vv->host_cr3 = 0;
	vv->host_cr4 = 0;
}

/*
 * Guest-physical translations are tagged with the EPTP, guest-linear ones
 * with the VPID; both may be stale on a CPU the VMCS comes to (an EPT
 * root or VPID reused from a freed domain, or this vCPU's own entries from
 * before it last left the CPU).  The EPT never changes after creation, so
 * flushing when the VMCS arrives is enough.
 */
static void vmx_flush_on_arrival(struct kestrel_vcpu *vcpu)
{
	struct vmx_dom *vd = vcpu->dom->arch;
	struct vmx_vcpu *vv = to_vmx(vcpu);

	vmx_invept(vmx_cfg.invept_type, vd->eptp);
	if (vv->vpid)
		vmx_invvpid(vmx_cfg.invvpid_type, vv->vpid);
}

static u16 vmx_sldt(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=g" (sel));
	return sel;
}

static void vmx_lldt(u16 sel)
{
	asm volatile("lldt %0" : : "rm" (sel));
}

static void vmx_vcpu_load(struct kestrel_vcpu *vcpu)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *vv = to_vmx(vcpu);
	struct vmx_host *h = &vv->h;
	int cpu = smp_processor_id();
	bool arrived = vv->cpu != cpu;
	u64 fs_base, gs_base, debugctl;

	if (arrived) {
		vmx_vmcs_clear(vv);
		if (vv->fresh)
			vmx_vmclear(vv->vmcs_pa);	/* launch state: clear */
		local_irq_disable();
		/* vv->cpu was read before the list add: see vmx_vmclear_local. */
		smp_rmb();
		list_add(&vv->loaded_link, &vc->loaded);
		local_irq_enable();
	}
	if (vc->current_vmcs != vv) {
		vmx_vmptrld(vv->vmcs_pa);
		vc->current_vmcs = vv;
	}
	if (arrived) {
		WRITE_ONCE(vv->cpu, cpu);
		if (vv->fresh) {
			vmx_write_controls(vcpu);
			vv->dirty = true;
		}
		vmx_write_host_cpu(vv, cpu);
		vmx_flush_on_arrival(vcpu);
	}
	if (vv->dirty) {
		vmx_load_guest_state(vcpu);
		vv->dirty = false;
	}
	if (vv->flush_pending) {
		vmx_flush_on_arrival(vcpu);
		vv->flush_pending = false;
	}
	vv->fresh = false;

	/*
	 * Per-task host state.  A VM exit loads FS and GS from the VMCS with
	 * null selectors when the real ones cannot go there (RPL or TI set),
	 * nulls DS, ES and LDTR: vcpu_put puts them back.
	 */
	/* Bochs has no DEBUGCTL: read it the safe way. */
	if (rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &debugctl))
		debugctl = 0;
	h->debugctl = debugctl;
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	h->ldt = vmx_sldt();
	rdmsrl(MSR_FS_BASE, fs_base);
	rdmsrl(MSR_GS_BASE, gs_base);
	vmcs_write(HOST_FS_SELECTOR, (h->fs & 7) ? 0 : h->fs);
	vmcs_write(HOST_GS_SELECTOR, (h->gs & 7) ? 0 : h->gs);
	vmcs_write(HOST_FS_BASE, fs_base);
	vmcs_write(HOST_GS_BASE, gs_base);

	/*
	 * The syscall MSRs VMX does not switch: the guest's are live for the
	 * whole burst (preemption is off), the host's come back at vcpu_put.
	 */
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	rdmsrl(MSR_STAR, h->star);
	rdmsrl(MSR_LSTAR, h->lstar);
	rdmsrl(MSR_CSTAR, h->cstar);
	rdmsrl(MSR_SYSCALL_MASK, h->sfmask);
	wrmsrl(MSR_KERNEL_GS_BASE, vv->g.kernel_gs_base);
	wrmsrl(MSR_STAR, vv->g.star);
	wrmsrl(MSR_LSTAR, vv->g.lstar);
	wrmsrl(MSR_CSTAR, vv->g.cstar);
	wrmsrl(MSR_SYSCALL_MASK, vv->g.sfmask);
	vv->in_burst = true;
}

static void vmx_vcpu_put(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	struct vmx_host *h = &vv->h;

	vmx_save_guest_state(vv);
	vv->in_burst = false;

	rdmsrl(MSR_KERNEL_GS_BASE, vv->g.kernel_gs_base);
	if (h->ldt || (h->gs & 7)) {
		vmx_lldt(h->ldt);
		load_gs_index(h->gs);
	}
	if (h->fs & 7)
		loadsegment(fs, h->fs);
	if (h->ds | h->es) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	/* The exit left TR's limit at 0x67 and GDTR's at 0xffff. */
	invalidate_tss_limit();
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	wrmsrl(MSR_STAR, h->star);
	wrmsrl(MSR_LSTAR, h->lstar);
	wrmsrl(MSR_CSTAR, h->cstar);
	wrmsrl(MSR_SYSCALL_MASK, h->sfmask);
	load_fixmap_gdt(smp_processor_id());
}

/* ---- event injection ---- */

/* Exceptions that push an error code in protected mode. */
static bool vmx_exception_has_error(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DF:
	case X86_TRAP_TS:
	case X86_TRAP_NP:
	case X86_TRAP_SS:
	case X86_TRAP_GP:
	case X86_TRAP_PF:
	case X86_TRAP_AC:
	case X86_TRAP_CP:
		return true;
	}
	return false;
}

/*
 * Delivered at the next entry.  VM entry insists that the error code is
 * there exactly when the CPU would push one: in protected mode and for the
 * vectors above, whatever the caller says (0 if it gave none).  #BP and
 * #OF are software exceptions: they need the instruction length.
 */
static void vmx_inject_exception(struct kestrel_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	u32 info = vector | INTR_INFO_VALID_MASK;

	if ((vector == X86_TRAP_BP || vector == X86_TRAP_OF) &&
	    vcpu->exit.insn_len) {
		info |= INTR_TYPE_SOFT_EXCEPTION;
		vv->inj_len = vcpu->exit.insn_len;
	} else {
		info |= INTR_TYPE_HARD_EXCEPTION;
		vv->inj_len = 0;
	}
	if (vmx_exception_has_error(vector) &&
	    (vmx_guest_cr0(vv) & X86_CR0_PE)) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		vv->inj_err = has_error ? error : 0;
	} else {
		vv->inj_err = 0;
	}
	vv->inj_info = info;
}

/*
 * An event whose delivery the exit interrupted is delivered again on the
 * next entry (SDM 27.2.4).  Software interrupts and exceptions restart
 * with their instruction instead, as on SVM.
 */
static void vmx_requeue_event(struct vmx_vcpu *vv)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	vv->inj_info = 0;
	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		return;
	vv->inj_info = info & (INTR_INFO_VALID_MASK | INTR_INFO_VECTOR_MASK |
			       INTR_INFO_INTR_TYPE_MASK |
			       INTR_INFO_DELIVER_CODE_MASK);
	vv->inj_len = 0;
	vv->inj_err = (info & INTR_INFO_DELIVER_CODE_MASK) ?
		      vmcs_read32(IDT_VECTORING_ERROR_CODE) : 0;
}

/* The guest executed past STI/MOV SS, or gets an exception instead. */
static void vmx_clear_interrupt_shadow(void)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if (intr & VMX_INTR_SHADOW)
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr & ~VMX_INTR_SHADOW);
}

/*
 * Interrupt-window exiting: an exit as soon as the guest can take an
 * external interrupt (irq.c asks for it); the exit turns it off again.
 */
static void vmx_set_intr_window(struct vmx_vcpu *vv, bool on)
{
	u32 proc = on ? vv->proc | CPU_BASED_INTR_WINDOW_EXITING :
			vv->proc & ~CPU_BASED_INTR_WINDOW_EXITING;

	if (proc != vv->proc) {
		vv->proc = proc;
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
	}
}

/* Interruptibility, unless the host completed an instruction since. */
static u32 vmx_interruptibility(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if (vcpu->rip != vv->last_rip)
		intr &= ~VMX_INTR_SHADOW;
	return intr;
}

static bool vmx_nmi_allowed(struct kestrel_vcpu *vcpu)
{
	return !to_vmx(vcpu)->inj_info &&
	       !(vmx_interruptibility(vcpu) &
		 (VMX_INTR_SHADOW | GUEST_INTR_STATE_NMI));
}

static bool vmx_rflags_if(struct kestrel_vcpu *vcpu)
{
	return vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF;
}

static bool vmx_irq_allowed(struct kestrel_vcpu *vcpu)
{
	return !to_vmx(vcpu)->inj_info && vmx_rflags_if(vcpu) &&
	       !(vmx_interruptibility(vcpu) & VMX_INTR_SHADOW);
}

static void vmx_inject_irq(struct kestrel_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);

	vv->inj_info = vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK;
	vv->inj_len = 0;
	vv->inj_err = 0;
}

static void vmx_inject_nmi(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);

	vv->inj_info = X86_TRAP_NMI | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK;
	vv->inj_len = 0;
	vv->inj_err = 0;
}

static void vmx_set_irq_window(struct kestrel_vcpu *vcpu, bool on)
{
	vmx_set_intr_window(to_vmx(vcpu), on);
}

/*
 * Outside a burst the soft copy is authoritative; an interrupt window
 * left open only costs one spurious exit.
 */
static void vmx_reset_events(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);

	vv->inj_info = 0;
	vv->g.interruptibility = 0;
	vv->dirty = true;
	vv->flush_pending = true;
}

/* ---- emulated CR and DR accesses ---- */

/* Results of the emulation helpers: done, or the exception to inject. */
#define VMX_EMU_DONE	0
#define VMX_EMU_BUG	(-1)

/* After an emulated change of paging controls. */
static void vmx_paging_changed(struct kestrel_vcpu *vcpu, u64 cr0, u64 cr4,
			       u64 efer)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);

	if (vv->vpid)
		vmx_invvpid(vmx_cfg.invvpid_type, vv->vpid);
	if (vmx_pae_paging(cr0, cr4, efer))
		vmx_load_pdptrs(vcpu, vmcs_read(GUEST_CR3));
}

/*
 * MOV to CR0 that changed a host-owned (fixed) bit, typically NE.  PG and
 * PE are the guest's, but when one changes here the emulation does what
 * the CPU would: long mode activation and its checks.
 */
static int vmx_emulate_cr0(struct kestrel_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	u64 old = vmx_guest_cr0(vv), cr4 = vmx_guest_cr4(vv);
	u64 efer = vmcs_read(GUEST_IA32_EFER), new_efer = efer;
	bool cs_l = vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK;

	val |= X86_CR0_ET;
	if (val >> 32 || ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) ||
	    ((val & X86_CR0_PG) && !(val & X86_CR0_PE)))
		return X86_TRAP_GP;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE) || cs_l)
			return X86_TRAP_GP;
		new_efer |= EFER_LMA;
	} else if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) &&
		   (efer & EFER_LMA)) {
		if (cs_l)
			return X86_TRAP_GP;
		new_efer &= ~EFER_LMA;
	}
	vv->g.cr0 = val;
	vmcs_write(GUEST_CR0, vmx_cr0_real(val));
	vmcs_write(CR0_READ_SHADOW, val);
	if (new_efer != efer) {
		vmcs_write(GUEST_IA32_EFER, new_efer);
		vmx_write_entry_controls(vv, new_efer);
	}
	vmx_paging_changed(vcpu, val, cr4, new_efer);
	return VMX_EMU_DONE;
}

/*
 * MOV to CR4 that touched a host-owned bit: VMXE (the guest may not set
 * it), a bit the CPU does not support in VMX operation (reserved: #GP
 * too), or a bit fixed to 1 (forced, the guest keeps its view).
 */
static int vmx_emulate_cr4(struct kestrel_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	u64 cr0 = vmx_guest_cr0(vv), efer = vmcs_read(GUEST_IA32_EFER);

	if (val & (X86_CR4_VMXE | vmx_cfg.cr4_must0))
		return X86_TRAP_GP;
	if ((efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return X86_TRAP_GP;
	vv->g.cr4 = val;
	vmcs_write(GUEST_CR4, vmx_cr4_real(val));
	vmcs_write(CR4_READ_SHADOW, val);
	vmx_paging_changed(vcpu, cr0, val, efer);
	return VMX_EMU_DONE;
}

static int vmx_handle_cr(struct kestrel_vcpu *vcpu, u64 qual)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	unsigned int cr = qual & CONTROL_REG_ACCESS_NUM;
	unsigned int reg = (qual >> 8) & 0xf;
	bool wide = vmx_long64(vv);
	u64 val;

	switch ((qual & CONTROL_REG_ACCESS_TYPE) >> 4) {
	case 0:		/* MOV to CR */
		val = wide ? vcpu->gprs[reg] : (u32)vcpu->gprs[reg];
		if (cr == 0)
			return vmx_emulate_cr0(vcpu, val);
		if (cr == 4)
			return vmx_emulate_cr4(vcpu, val);
		if (cr == 8) {
			/* No local APIC yet: the TPR is plain storage. */
			if (val & ~0xfULL)
				return X86_TRAP_GP;
			vv->g.cr8 = val;
			return VMX_EMU_DONE;
		}
		break;
	case 1:		/* MOV from CR */
		if (cr == 8) {
			vcpu->gprs[reg] = vv->g.cr8;
			return VMX_EMU_DONE;
		}
		break;
	}
	/* CLTS, LMSW and CR3 never touch a host-owned bit: they do not exit. */
	return VMX_EMU_BUG;
}

static int vmx_handle_dr(struct kestrel_vcpu *vcpu, u64 qual)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	unsigned int dr = qual & DEBUG_REG_ACCESS_NUM;
	unsigned int reg = DEBUG_REG_ACCESS_REG(qual);
	bool wide = vmx_long64(vv);
	u64 val;

	/* With CR4.DE clear DR4/DR5 alias DR6/DR7 (with it set: #UD first). */
	if (dr == 4 || dr == 5)
		dr += 2;
	if (qual & TYPE_MOV_FROM_DR) {
		if (dr < 4)
			val = vv->g.dr[dr];
		else
			val = dr == 6 ? vv->g.dr6 : vv->g.dr7;
		vcpu->gprs[reg] = wide ? val : (u32)val;
		return VMX_EMU_DONE;
	}
	val = wide ? vcpu->gprs[reg] : (u32)vcpu->gprs[reg];
	if (dr < 4) {
		vv->g.dr[dr] = val;
	} else {
		if (val >> 32)
			return X86_TRAP_GP;
		if (dr == 6)
			vv->g.dr6 = val | VMX_DR6_FIXED;
		else
			vv->g.dr7 = (val | VMX_DR7_FIXED) & ~(BIT(11) | BIT(12) |
							      BIT(14) | BIT(15));
	}
	return VMX_EMU_DONE;
}

/* ---- exits ---- */

static void vmx_machine_check(void)
{
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
}

/* An emulation result as an exit for exit.c. */
static void vmx_emulated(struct kestrel_exit *e, int ret)
{
	if (ret == VMX_EMU_DONE) {
		e->reason = KESTREL_EXIT_OTHER;	/* skipped by exit.c */
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	} else if (ret > 0) {
		e->reason = KESTREL_EXIT_INVALID;
		e->invalid.vector = ret;
	} else {
		e->reason = KESTREL_EXIT_OTHER;	/* crashes the domain */
	}
}

static void vmx_entry_failed(struct kestrel_vcpu *vcpu, u32 reason, u64 qual)
{
	pr_err_ratelimited("domain %u vCPU %u: VM entry failed, exit reason %#x qualification %#llx (cr0 %#lx cr4 %#lx efer %#lx entry %#x cs %#x/%#x rip %#llx)\n",
			   vcpu->dom->id, vcpu->idx, reason, qual,
			   vmcs_read(GUEST_CR0), vmcs_read(GUEST_CR4),
			   vmcs_read(GUEST_IA32_EFER),
			   vmcs_read32(VM_ENTRY_CONTROLS),
			   (u32)vmcs_read(GUEST_CS_SELECTOR),
			   vmcs_read32(GUEST_CS_AR_BYTES), vcpu->rip);
}

static void vmx_decode_exit(struct kestrel_vcpu *vcpu, u32 reason)
{
	struct kestrel_exit *e = &vcpu->exit;
	u32 intr;
	u64 qual;

	e->hw_code = reason;
	e->hw_info1 = 0;
	e->hw_info2 = 0;
	e->insn_len = 0;
	e->reason = KESTREL_EXIT_OTHER;

	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		e->hw_info1 = vmcs_read(EXIT_QUALIFICATION);
		vmx_entry_failed(vcpu, reason, e->hw_info1);
		return;
	}

	switch (VMX_EXIT_BASIC(reason)) {
	case EXIT_REASON_EXCEPTION_NMI:
		intr = vmcs_read32(VM_EXIT_INTR_INFO);
		e->hw_info1 = intr;
		if ((intr & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			e->reason = KESTREL_EXIT_NMI;	/* already handled */
		else
			e->reason = KESTREL_EXIT_EXCEPTION;	/* #MC: crash */
		break;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		e->reason = KESTREL_EXIT_INTR;
		break;
	case EXIT_REASON_INTERRUPT_WINDOW:
		vmx_set_intr_window(to_vmx(vcpu), false);
		e->reason = KESTREL_EXIT_IRQ_WINDOW;
		break;
	case EXIT_REASON_PREEMPTION_TIMER:
		/* The host's turn, as for an interrupt. */
		e->reason = KESTREL_EXIT_INTR;
		break;
	case EXIT_REASON_TRIPLE_FAULT:
		e->reason = KESTREL_EXIT_SHUTDOWN;
		break;
	case EXIT_REASON_CPUID:
		e->reason = KESTREL_EXIT_CPUID;
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_REASON_HLT:
		e->reason = KESTREL_EXIT_HLT;
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_REASON_VMCALL:
		e->reason = KESTREL_EXIT_HYPERCALL;
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		e->msr.write = VMX_EXIT_BASIC(reason) == EXIT_REASON_MSR_WRITE;
		e->reason = e->msr.write ? KESTREL_EXIT_MSR_WRITE :
					   KESTREL_EXIT_MSR_READ;
		e->msr.index = vcpu->gprs[1];
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		qual = vmcs_read(EXIT_QUALIFICATION);
		e->hw_info1 = qual;
		e->reason = KESTREL_EXIT_IO;
		e->io.size = (qual & 7) + 1;
		e->io.in = qual & BIT(3);
		e->io.string = qual & BIT(4);
		e->io.port = qual >> 16;
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_REASON_EPT_VIOLATION:
		e->hw_info1 = vmcs_read(EXIT_QUALIFICATION);
		e->hw_info2 = vmcs_read(GUEST_PHYSICAL_ADDRESS);
		e->reason = KESTREL_EXIT_MMIO;
		e->mmio.gpa = e->hw_info2;
		break;
	case EXIT_REASON_EPT_MISCONFIG:
		/* The EPT is built once and correct: this is our bug. */
		e->hw_info2 = vmcs_read(GUEST_PHYSICAL_ADDRESS);
		WARN_ONCE(1, "kestrel: EPT misconfiguration at %#llx\n",
			  e->hw_info2);
		break;
	case EXIT_REASON_XSETBV:
		e->reason = KESTREL_EXIT_XSETBV;
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_REASON_CR_ACCESS:
		qual = vmcs_read(EXIT_QUALIFICATION);
		e->hw_info1 = qual;
		vmx_emulated(e, vmx_handle_cr(vcpu, qual));
		break;
	case EXIT_REASON_DR_ACCESS:
		qual = vmcs_read(EXIT_QUALIFICATION);
		e->hw_info1 = qual;
		vmx_emulated(e, vmx_handle_dr(vcpu, qual));
		break;
	case EXIT_REASON_INVD:
		e->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		break;		/* skipped: WBINVD semantics */
	case EXIT_REASON_RDPMC:
		/* No performance counters: every index is invalid. */
		e->reason = KESTREL_EXIT_INVALID;
		e->invalid.vector = X86_TRAP_GP;
		break;
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case 11:	/* GETSEC */
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_RDTSCP:
	case EXIT_REASON_XSAVES:
	case EXIT_REASON_XRSTORS:
	case EXIT_REASON_UMWAIT:
	case EXIT_REASON_TPAUSE:
		/* Not offered to the guest: #UD, as on a CPU without them. */
		e->reason = KESTREL_EXIT_INVALID;
		e->invalid.vector = X86_TRAP_UD;
		break;
	default:
		/* Task switches, INIT and the rest: the domain crashes. */
		e->hw_info1 = vmcs_read(EXIT_QUALIFICATION);
		break;
	}
}

/* Host work that must happen before interrupts are enabled again. */
static void vmx_exit_irqoff(u32 reason)
{
	u32 intr;

	if (VMX_EXIT_BASIC(reason) == EXIT_REASON_MCE_DURING_VMENTRY) {
		vmx_machine_check();
		return;
	}
	if (VMX_EXIT_BASIC(reason) != EXIT_REASON_EXCEPTION_NMI)
		return;
	intr = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((intr & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		kestrel_vmx_do_nmi();
	else if ((intr & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)
		vmx_machine_check();
}

static void vmx_vcpu_run(struct kestrel_vcpu *vcpu)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	bool xcr0_switch = host_xcr0 && vcpu->xcr0 != host_xcr0;
	unsigned long cr3, cr4;
	u32 reason;
	int fail;

	/* The kernel may have switched page tables or CR4 since the last entry. */
	cr3 = __read_cr3();
	if (cr3 != vv->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		vv->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (cr4 != vv->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		vv->host_cr4 = cr4;
	}

	/* The host completed the instruction: the interrupt shadow ends. */
	if (vcpu->rip != vv->last_rip) {
		vmcs_write(GUEST_RIP, vcpu->rip);
		vv->last_rip = vcpu->rip;
		vmx_clear_interrupt_shadow();
	}
	if (vcpu->gprs[4] != vv->last_rsp) {
		vmcs_write(GUEST_RSP, vcpu->gprs[4]);
		vv->last_rsp = vcpu->gprs[4];
	}
	if (vv->inj_info) {
		if ((vv->inj_info & INTR_INFO_INTR_TYPE_MASK) != INTR_TYPE_EXT_INTR)
			vmx_clear_interrupt_shadow();
		if (vv->inj_info & INTR_INFO_DELIVER_CODE_MASK)
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vv->inj_err);
		if (vv->inj_len)
			vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vv->inj_len);
		/* VM exits clear it again. */
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, vv->inj_info);
		vv->inj_info = 0;
	}

	/* CR2 is not in the VMCS. */
	if (vv->g.cr2 != native_read_cr2())
		native_write_cr2(vv->g.cr2);
	if (xcr0_switch)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);

	fail = kestrel_vmx_run(vcpu->gprs, vv->launched, &vv->host_rsp);

	vv->g.cr2 = native_read_cr2();
	if (xcr0_switch)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	/* The exit set DR7 to 0x400 and cleared DEBUGCTL. */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	if (vv->h.debugctl)
		update_debugctlmsr(vv->h.debugctl);

	if (unlikely(fail)) {
		u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

		pr_err_ratelimited("domain %u vCPU %u: %s failed, VM-instruction error %u\n",
				   vcpu->dom->id, vcpu->idx,
				   vv->launched ? "VMRESUME" : "VMLAUNCH", err);
		vcpu->exit = (struct kestrel_exit){
			.reason = KESTREL_EXIT_OTHER,
			.hw_code = U32_MAX,
			.hw_info1 = err,
		};
		return;
	}

	reason = vmcs_read32(VM_EXIT_REASON);
	vmx_exit_irqoff(reason);
	if (!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		vv->launched = true;

	vcpu->rip = vmcs_read(GUEST_RIP);
	vv->last_rip = vcpu->rip;
	vcpu->gprs[4] = vmcs_read(GUEST_RSP);
	vv->last_rsp = vcpu->gprs[4];
	if (!vmx_cfg.exit_saves_lma)
		vmx_write_entry_controls(vv, vmcs_read(GUEST_IA32_EFER));
	vmx_requeue_event(vv);
	vmx_decode_exit(vcpu, reason);
}

/* ---- register state ---- */

static void vmx_get_regs(struct kestrel_vcpu *vcpu, struct kestrel_regs *r)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	const u64 *g = vcpu->gprs;

	r->rax = g[0];
	r->rcx = g[1];
	r->rdx = g[2];
	r->rbx = g[3];
	r->rsp = g[4];
	r->rbp = g[5];
	r->rsi = g[6];
	r->rdi = g[7];
	r->r8 = g[8];
	r->r9 = g[9];
	r->r10 = g[10];
	r->r11 = g[11];
	r->r12 = g[12];
	r->r13 = g[13];
	r->r14 = g[14];
	r->r15 = g[15];
	r->rip = vcpu->rip;
	r->rflags = vv->in_burst ? vmcs_read(GUEST_RFLAGS) : vv->g.rflags;
}

static void vmx_set_regs(struct kestrel_vcpu *vcpu, const struct kestrel_regs *r)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	u64 *g = vcpu->gprs;

	g[0] = r->rax;
	g[1] = r->rcx;
	g[2] = r->rdx;
	g[3] = r->rbx;
	g[4] = r->rsp;
	g[5] = r->rbp;
	g[6] = r->rsi;
	g[7] = r->rdi;
	g[8] = r->r8;
	g[9] = r->r9;
	g[10] = r->r10;
	g[11] = r->r11;
	g[12] = r->r12;
	g[13] = r->r13;
	g[14] = r->r14;
	g[15] = r->r15;
	/* A new RIP ends an interrupt shadow. */
	if (r->rip != vcpu->rip)
		vv->g.interruptibility &= ~VMX_INTR_SHADOW;
	vcpu->rip = r->rip;
	/* Bit 1 is always set; reserved bits stay clear. */
	vv->g.rflags = (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED;
	vv->dirty = true;
}

static void vmx_seg_to_user(struct kestrel_segment *u, const struct vmx_seg *s)
{
	u->base = s->base;
	u->limit = s->limit;
	u->selector = s->sel;
	u->attrib = vmx_attrib_from_ar(s->ar);
}

static void vmx_seg_from_user(struct vmx_seg *s, const struct kestrel_segment *u)
{
	s->base = u->base;
	s->limit = u->limit;
	s->sel = u->selector;
	s->ar = vmx_ar_from_attrib(u->attrib);
}

static void vmx_get_sregs(struct kestrel_vcpu *vcpu, struct kestrel_sregs *sr)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;

	vmx_seg_to_user(&sr->cs, &g->seg[VMX_CS]);
	vmx_seg_to_user(&sr->ds, &g->seg[VMX_DS]);
	vmx_seg_to_user(&sr->es, &g->seg[VMX_ES]);
	vmx_seg_to_user(&sr->fs, &g->seg[VMX_FS]);
	vmx_seg_to_user(&sr->gs, &g->seg[VMX_GS]);
	vmx_seg_to_user(&sr->ss, &g->seg[VMX_SS]);
	vmx_seg_to_user(&sr->tr, &g->seg[VMX_TR]);
	vmx_seg_to_user(&sr->ldt, &g->seg[VMX_LDTR]);
	sr->gdt.base = g->gdt_base;
	sr->gdt.limit = g->gdt_limit;
	sr->idt.base = g->idt_base;
	sr->idt.limit = g->idt_limit;
	sr->cr0 = g->cr0;
	sr->cr2 = g->cr2;
	sr->cr3 = g->cr3;
	sr->cr4 = g->cr4;
	sr->efer = g->efer;
}

#define VMX_EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/*
 * Refuse what VM entry would refuse (SDM 26.3.1) where it is cheap to
 * tell, so that a bad SET_REGS fails here, not at entry.  EFER.LMA is not
 * taken from the caller: it is EFER.LME && CR0.PG, as the CPU makes it.
 */
static int vmx_check_state(const struct kestrel_sregs *sr, bool lma)
{
	u64 cr0 = sr->cr0, cr4 = sr->cr4;
	u16 cs = sr->cs.attrib, ldt = sr->ldt.attrib;

	if (sr->efer & ~VMX_EFER_ALLOWED)
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if (cr0 >> 32 || sr->cr3 >> 52)
		return -EINVAL;
	if (cr4 & (X86_CR4_VMXE | vmx_cfg.cr4_must0))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if (lma && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	/* CS is always usable; 64-bit code cannot also be 32-bit. */
	if (!(cs & VMX_AR_P_MASK))
		return -EINVAL;
	if (lma && (cs & BIT(9)) && (cs & BIT(10)))
		return -EINVAL;
	/* A usable LDTR is a present LDT descriptor. */
	if ((ldt & VMX_AR_P_MASK) &&
	    ((ldt & VMX_AR_TYPE_MASK) != VMX_AR_TYPE_LDT || (ldt & VMX_AR_S_MASK)))
		return -EINVAL;
	return 0;
}

static int vmx_set_sregs(struct kestrel_vcpu *vcpu,
			 const struct kestrel_sregs *sr)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	struct vmx_guest *g = &vv->g;
	bool lma = (sr->efer & EFER_LME) && (sr->cr0 & X86_CR0_PG);
	struct vmx_seg *tr = &g->seg[VMX_TR];
	int err;

	err = vmx_check_state(sr, lma);
	if (err)
		return err;
	vmx_seg_from_user(&g->seg[VMX_CS], &sr->cs);
	vmx_seg_from_user(&g->seg[VMX_DS], &sr->ds);
	vmx_seg_from_user(&g->seg[VMX_ES], &sr->es);
	vmx_seg_from_user(&g->seg[VMX_FS], &sr->fs);
	vmx_seg_from_user(&g->seg[VMX_GS], &sr->gs);
	vmx_seg_from_user(&g->seg[VMX_SS], &sr->ss);
	vmx_seg_from_user(&g->seg[VMX_TR], &sr->tr);
	vmx_seg_from_user(&g->seg[VMX_LDTR], &sr->ldt);
	/*
	 * VM entry wants TR to be a busy TSS; SVM takes anything.  Mark an
	 * available TSS busy, and make a missing one a busy 32/64-bit TSS.
	 */
	if (tr->ar & VMX_AR_UNUSABLE_MASK)
		tr->ar = VMX_AR_P_MASK | VMX_AR_TYPE_BUSY_64_TSS;
	else if ((tr->ar & VMX_AR_TYPE_MASK) == 1 || (tr->ar & VMX_AR_TYPE_MASK) == 9)
		tr->ar |= 2;
	g->gdt_base = sr->gdt.base;
	g->gdt_limit = sr->gdt.limit;
	g->idt_base = sr->idt.base;
	g->idt_limit = sr->idt.limit;
	g->cr0 = sr->cr0 | X86_CR0_ET;
	g->cr2 = sr->cr2;
	g->cr3 = sr->cr3;
	g->cr4 = sr->cr4;
	g->efer = (sr->efer & ~EFER_LMA) | (lma ? EFER_LMA : 0);
	vv->dirty = true;
	return 0;
}

/* ---- MSRs the VMCS holds or the backend switches ---- */

static int vmx_get_msr(struct kestrel_vcpu *vcpu, u32 index, u64 *val)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	struct vmx_guest *g = &vv->g;

	switch (index) {
	case MSR_EFER:
		*val = vmx_guest_efer(vv);
		return 0;
	case MSR_STAR:
		*val = g->star;
		return 0;
	case MSR_LSTAR:
		*val = g->lstar;
		return 0;
	case MSR_CSTAR:
		*val = g->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*val = g->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		/* SWAPGS changes it without an exit. */
		if (vv->in_burst)
			rdmsrl(MSR_KERNEL_GS_BASE, *val);
		else
			*val = g->kernel_gs_base;
		return 0;
	case MSR_FS_BASE:
		*val = vv->in_burst ? vmcs_read(GUEST_FS_BASE) : g->seg[VMX_FS].base;
		return 0;
	case MSR_GS_BASE:
		*val = vv->in_burst ? vmcs_read(GUEST_GS_BASE) : g->seg[VMX_GS].base;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*val = g->sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*val = g->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = g->sysenter_eip;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = g->pat;
		return 0;
	case MSR_IA32_TSC:
		*val = rdtsc() + g->tsc_offset;
		return 0;
	}
	return -ENOENT;
}

/* A VMCS field and its soft copy. */
static void vmx_write_field(struct vmx_vcpu *vv, unsigned long field,
			    u64 *soft, u64 val)
{
	*soft = val;
	if (vv->in_burst)
		vmcs_write(field, val);
	else
		vv->dirty = true;
}

/* A syscall MSR: live in the CPU during a burst. */
static void vmx_write_live_msr(struct vmx_vcpu *vv, u32 index, u64 *soft,
			       u64 val)
{
	*soft = val;
	if (vv->in_burst)
		wrmsrl(index, val);
}

static int vmx_set_msr(struct kestrel_vcpu *vcpu, u32 index, u64 val)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	struct vmx_guest *g = &vv->g;
	u64 efer, cr0;

	switch (index) {
	case MSR_EFER:
		if (val & ~VMX_EFER_ALLOWED)
			return -EINVAL;
		/* LMA is the CPU's to set; LME may not change under paging. */
		efer = vmx_guest_efer(vv);
		cr0 = vmx_guest_cr0(vv);
		val = (val & ~EFER_LMA) | (efer & EFER_LMA);
		if ((cr0 & X86_CR0_PG) && ((val ^ efer) & EFER_LME))
			return -EINVAL;
		vmx_write_field(vv, GUEST_IA32_EFER, &g->efer, val);
		if (vv->in_burst)
			vmx_write_entry_controls(vv, val);
		return 0;
	case MSR_STAR:
		vmx_write_live_msr(vv, MSR_STAR, &g->star, val);
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (index == MSR_LSTAR)
			vmx_write_live_msr(vv, index, &g->lstar, val);
		else if (index == MSR_CSTAR)
			vmx_write_live_msr(vv, index, &g->cstar, val);
		else if (index == MSR_KERNEL_GS_BASE)
			vmx_write_live_msr(vv, index, &g->kernel_gs_base, val);
		else if (index == MSR_FS_BASE)
			vmx_write_field(vv, GUEST_FS_BASE, &g->seg[VMX_FS].base, val);
		else if (index == MSR_GS_BASE)
			vmx_write_field(vv, GUEST_GS_BASE, &g->seg[VMX_GS].base, val);
		else if (index == MSR_IA32_SYSENTER_ESP)
			vmx_write_field(vv, GUEST_SYSENTER_ESP, &g->sysenter_esp, val);
		else
			vmx_write_field(vv, GUEST_SYSENTER_EIP, &g->sysenter_eip, val);
		return 0;
	case MSR_SYSCALL_MASK:
		vmx_write_live_msr(vv, index, &g->sfmask, (u32)val);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		g->sysenter_cs = (u16)val;
		if (vv->in_burst)
			vmcs_write(GUEST_SYSENTER_CS, g->sysenter_cs);
		else
			vv->dirty = true;
		return 0;
	case MSR_IA32_CR_PAT:
		vmx_write_field(vv, GUEST_IA32_PAT, &g->pat, val);
		return 0;
	case MSR_IA32_TSC:
		vmx_write_field(vv, TSC_OFFSET, &g->tsc_offset, val - rdtsc());
		return 0;
	}
	return -ENOENT;
}

static u64 vmx_get_cr4(struct kestrel_vcpu *vcpu)
{
	return vmx_guest_cr4(to_vmx(vcpu));
}

static void vmx_get_emu_ctx(struct kestrel_vcpu *vcpu,
			    struct kestrel_emu_ctx *ctx)
{
	struct vmx_vcpu *vv = to_vmx(vcpu);
	u32 cs_ar = vmx_guest_cs_ar(vv);

	ctx->rip = vcpu->rip;
	ctx->cs_base = vv->in_burst ? vmcs_read(GUEST_CS_BASE) : vv->g.seg[VMX_CS].base;
	ctx->cs_l = cs_ar & VMX_AR_L_MASK;
	ctx->cs_db = cs_ar & VMX_AR_DB_MASK;
	ctx->cr0 = vmx_guest_cr0(vv);
	ctx->cr3 = vv->in_burst ? vmcs_read(GUEST_CR3) : vv->g.cr3;
	ctx->cr4 = vmx_guest_cr4(vv);
	ctx->efer = vmx_guest_efer(vv);
	memcpy(ctx->gprs, vcpu->gprs, sizeof(ctx->gprs));
}

const struct kestrel_arch_ops kestrel_vmx_ops = {
	.name = "vmx",
	.backend = KESTREL_BACKEND_VMX,
	.detect = vmx_detect,
	.init = vmx_init,
	.exit = vmx_exit,
	.hw_enable = vmx_hw_enable,
	.hw_disable = vmx_hw_disable,
	.dom_init = vmx_dom_init,
	.dom_free = vmx_dom_free,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_put = vmx_vcpu_put,
	.vcpu_run = vmx_vcpu_run,
	.get_regs = vmx_get_regs,
	.set_regs = vmx_set_regs,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.inject_exception = vmx_inject_exception,
	.irq_allowed = vmx_irq_allowed,
	.nmi_allowed = vmx_nmi_allowed,
	.inject_irq = vmx_inject_irq,
	.inject_nmi = vmx_inject_nmi,
	.set_irq_window = vmx_set_irq_window,
	.rflags_if = vmx_rflags_if,
	.reset_events = vmx_reset_events,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.get_cr4 = vmx_get_cr4,
	.get_emu_ctx = vmx_get_emu_ctx,
};
