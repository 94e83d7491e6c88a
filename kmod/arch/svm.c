// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V (SVM) backend.
 *
 * Facts come from the AMD64 Architecture Programmer's Manual, volume 2,
 * chapter 15 ("Secure Virtual Machine").  Works without NRIP-save, decode
 * assists and VMCB clean bits: intercepted instructions are skipped by
 * their known length, I/O exits use EXITINFO2, MMIO is decoded by
 * emulate.c, and the VMCB is always entered with every clean bit clear.
 *
 * Per-CPU state (struct svm_cpu) is touched only on its own CPU with
 * preemption disabled, or before the first/after the last hw_enable.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/io.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/svm.h>
#include <asm/fpu/xcr.h>
#include <asm/trapnr.h>
#include <asm/debugreg.h>

#include "../domain.h"
#include "../emulate.h"
#include "tdp.h"
#include "svm_run.h"
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

static inline void clgi(void)
{
	asm volatile("clgi" : : : "memory");
}

static inline void stgi(void)
{
	asm volatile("stgi" : : : "memory");
}

static inline void svm_vmsave(u64 pa)
{
	asm volatile("vmsave %%rax" : : "a" (pa) : "memory");
}

/* ---- per-CPU state ---- */

struct svm_cpu {
	struct page *hsave;		/* MSR_VM_HSAVE_PA: VMRUN's host save */
	struct page *host_state;	/* VMSAVE/VMLOAD of the host's state */
	u64 asid_generation;
	u32 next_asid;
	/*
	 * A new generation started: the next VMRUN on this CPU, whichever
	 * vCPU's, flushes every ASID before any ASID of it is used.
	 */
	bool flush_pending;
	bool enabled;			/* we set EFER.SVME on this CPU */
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);
static u32 svm_max_asid;
static u64 host_xcr0;


static int svm_init(void)
{
	int cpu;

	svm_max_asid = kestrel_hw.nr_asids - 1;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);
		int node = cpu_to_node(cpu);

		sc->hsave = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		sc->host_state = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		if (!sc->hsave || !sc->host_state)
			return -ENOMEM;	/* svm_exit() frees what was allocated */
	}
	return 0;
}

static void svm_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);

		if (sc->hsave)
			__free_page(sc->hsave);
		if (sc->host_state)
			__free_page(sc->host_state);
		sc->hsave = NULL;
		sc->host_state = NULL;
	}
}

static int svm_hw_enable(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpus);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* another hypervisor owns SVM here */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sc->hsave));
	/* The first ASID handed out on this CPU starts a flushed generation. */
	sc->asid_generation++;
	sc->next_asid = svm_max_asid + 1;
	sc->enabled = true;
	return 0;
}

static void svm_hw_disable(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpus);
	u64 efer;

	if (!sc->enabled)
		return;
	/* GIF=1 before SVM goes, so that INIT and NMI are not left blocked. */
	stgi();
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	sc->enabled = false;
}

/* ---- domains: nested page tables and the permission maps ---- */

/* Every port and every MSR intercepted: one read-only copy for all. */
#define IOPM_ORDER	2	/* 12 KiB used */
#define MSRPM_ORDER	1	/* 8 KiB */
static struct page *svm_iopm, *svm_msrpm;

static int svm_maps_alloc(void)
{
	svm_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		return -ENOMEM;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);
	return 0;
}

static void svm_maps_free(void)
{
	if (svm_iopm)
		__free_pages(svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, MSRPM_ORDER);
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

static int svm_module_init(void)
{
	int err = svm_maps_alloc();

	if (!err)
		err = svm_init();
	if (err) {
		svm_exit();
		svm_maps_free();
	}
	return err;
}

static void svm_module_exit(void)
{
	svm_exit();
	svm_maps_free();
}

static int svm_dom_init(struct kestrel_domain *dom)
{
	struct kestrel_tdp *tdp;
	int err;

	tdp = kzalloc(sizeof(*tdp), GFP_KERNEL_ACCOUNT);
	if (!tdp)
		return -ENOMEM;
	err = kestrel_tdp_build(tdp, KESTREL_TDP_NPT, &dom->mem);
	if (err) {
		kfree(tdp);
		return err;
	}
	dom->arch = tdp;
	return 0;
}

static void svm_dom_free(struct kestrel_domain *dom)
{
	struct kestrel_tdp *tdp = dom->arch;

	if (!tdp)
		return;
	kestrel_tdp_free(tdp);
	kfree(tdp);
	dom->arch = NULL;
}

/* ---- vCPUs ---- */

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	int asid_cpu;
	u64 asid_generation;
	u64 last_rip;		/* RIP at the last exit, for the shadow */
};

#define SEG_ATTR(type, s, dpl, p, l, db, g) \
	((type) | (s) << 4 | (dpl) << 5 | (p) << 7 | (l) << 9 | (db) << 10 | \
	 (g) << 11)

static void svm_set_intercept(struct vmcb_control_area *c, int bit)
{
	c->intercepts[bit / 32] |= BIT(bit % 32);
}

/* The architectural state after RESET (APM 14.1.3), in real mode. */
static void svm_vcpu_reset(struct svm_vcpu *sv)
{
	struct vmcb_save_area *save = &sv->vmcb->save;
	struct vmcb_seg data = {
		.selector = 0, .base = 0, .limit = 0xffff,
		.attrib = SEG_ATTR(3, 1, 0, 1, 0, 0, 0),
	};

	save->cs.selector = 0xf000;
	save->cs.base = 0xffff0000;
	save->cs.limit = 0xffff;
	save->cs.attrib = SEG_ATTR(0xb, 1, 0, 1, 0, 0, 0);
	save->ds = data;
	save->es = data;
	save->fs = data;
	save->gs = data;
	save->ss = data;
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->ldtr.limit = 0xffff;
	save->ldtr.attrib = SEG_ATTR(2, 0, 0, 1, 0, 0, 0);
	save->tr.limit = 0xffff;
	save->tr.attrib = SEG_ATTR(3, 0, 0, 1, 0, 0, 0);
	save->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	save->efer = EFER_SVME;	/* VMRUN requires it; the guest never sees it */
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0xfff0;
	save->g_pat = 0x0007040600070406ULL;
}

static int svm_vcpu_init(struct kestrel_vcpu *vcpu)
{
	struct kestrel_tdp *tdp = vcpu->dom->arch;
	struct vmcb_control_area *c;
	struct svm_vcpu *sv;
	struct page *page;

	sv = kzalloc(sizeof(*sv), GFP_KERNEL_ACCOUNT);
	if (!sv)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(sv);
		return -ENOMEM;
	}
	sv->vmcb = page_address(page);
	sv->vmcb_pa = page_to_phys(page);
	sv->asid_cpu = -1;

	c = &sv->vmcb->control;
	svm_set_intercept(c, INTERCEPT_INTR);
	svm_set_intercept(c, INTERCEPT_NMI);
	svm_set_intercept(c, INTERCEPT_SMI);
	svm_set_intercept(c, INTERCEPT_CPUID);
	svm_set_intercept(c, INTERCEPT_INVD);
	svm_set_intercept(c, INTERCEPT_HLT);
	svm_set_intercept(c, INTERCEPT_INVLPGA);
	svm_set_intercept(c, INTERCEPT_IOIO_PROT);
	svm_set_intercept(c, INTERCEPT_MSR_PROT);
	svm_set_intercept(c, INTERCEPT_SHUTDOWN);
	svm_set_intercept(c, INTERCEPT_VMRUN);
	svm_set_intercept(c, INTERCEPT_VMMCALL);
	svm_set_intercept(c, INTERCEPT_VMLOAD);
	svm_set_intercept(c, INTERCEPT_VMSAVE);
	svm_set_intercept(c, INTERCEPT_STGI);
	svm_set_intercept(c, INTERCEPT_CLGI);
	svm_set_intercept(c, INTERCEPT_SKINIT);
	svm_set_intercept(c, INTERCEPT_RDTSCP);
	svm_set_intercept(c, INTERCEPT_MONITOR);
	svm_set_intercept(c, INTERCEPT_MWAIT);
	svm_set_intercept(c, INTERCEPT_XSETBV);
	svm_set_intercept(c, INTERCEPT_RDPRU);
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = __pa(tdp->root);
	c->tsc_offset = vcpu->dom->tsc_offset;
	svm_vcpu_reset(sv);
	vcpu->rip = sv->vmcb->save.rip;
	vcpu->gprs[2] = cpuid_eax(1);	/* EDX after RESET: the signature */
	vcpu->arch = sv;
	return 0;
}

static void svm_vcpu_free(struct kestrel_vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->arch;

	if (!sv)
		return;
	free_page((unsigned long)sv->vmcb);
	kfree(sv);
	vcpu->arch = NULL;
}

/*
 * A fresh ASID whenever the vCPU lands on another CPU or the CPU started a
 * new generation.  When a CPU runs out of ASIDs it flushes every ASID once
 * and starts over, so an ASID is never reused without a flush: that is how
 * more vCPUs than ASIDs share a CPU.
 */
static void svm_vcpu_load(struct kestrel_vcpu *vcpu)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpus);
	struct svm_vcpu *sv = vcpu->arch;
	int cpu = smp_processor_id();

	/*
	 * The host's FS, GS, TR, LDTR and syscall MSRs, which the exit path
	 * restores with VMLOAD.  Taken once per burst: preemption is off
	 * until vcpu_put, so none of them changes meanwhile.
	 */
	svm_vmsave(page_to_phys(sc->host_state));

	if (sv->asid_cpu == cpu && sv->asid_generation == sc->asid_generation)
		return;
	if (sc->next_asid > svm_max_asid) {
		/*
		 * Not on this VMCB: its vCPU may leave the burst before it
		 * enters, and another vCPU would then run with an ASID of
		 * the new generation that still holds stale translations
		 * (another domain's).
		 */
		sc->asid_generation++;
		sc->next_asid = 1;
		sc->flush_pending = true;
	}
	sv->asid = sc->next_asid++;
	sv->asid_cpu = cpu;
	sv->asid_generation = sc->asid_generation;
	sv->vmcb->control.asid = sv->asid;
}

static void svm_vcpu_put(struct kestrel_vcpu *vcpu)
{
}

/* Instruction lengths of the intercepted instructions (no NRIP-save). */
static u8 svm_insn_len(struct kestrel_vcpu *vcpu, u8 known)
{
	struct svm_vcpu *sv = vcpu->arch;
	u64 next = sv->vmcb->control.next_rip;

	if ((kestrel_hw.features & BIT_ULL(KESTREL_FEAT_NRIPS)) && next &&
	    next > sv->vmcb->save.rip && next - sv->vmcb->save.rip <= 15)
		return next - sv->vmcb->save.rip;
	return known;
}

static void svm_set_irq_window(struct kestrel_vcpu *vcpu, bool on);

static void svm_decode_exit(struct kestrel_vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->arch;
	struct vmcb_control_area *c = &sv->vmcb->control;
	struct kestrel_exit *e = &vcpu->exit;
	u64 info1 = c->exit_info_1;

	e->hw_code = c->exit_code;
	e->hw_info1 = info1;
	e->hw_info2 = c->exit_info_2;
	e->insn_len = 0;

	switch (c->exit_code) {
	case SVM_EXIT_INTR:
		e->reason = KESTREL_EXIT_INTR;
		break;
	case SVM_EXIT_NMI:
		e->reason = KESTREL_EXIT_NMI;
		break;
	case SVM_EXIT_VINTR:
		e->reason = KESTREL_EXIT_IRQ_WINDOW;
		svm_set_irq_window(vcpu, false);
		break;
	case SVM_EXIT_CPUID:
		e->reason = KESTREL_EXIT_CPUID;
		e->insn_len = svm_insn_len(vcpu, 2);
		break;
	case SVM_EXIT_HLT:
		e->reason = KESTREL_EXIT_HLT;
		e->insn_len = svm_insn_len(vcpu, 1);
		break;
	case SVM_EXIT_VMMCALL:
		e->reason = KESTREL_EXIT_HYPERCALL;
		e->insn_len = svm_insn_len(vcpu, 3);
		break;
	case SVM_EXIT_MSR:
		e->reason = info1 ? KESTREL_EXIT_MSR_WRITE : KESTREL_EXIT_MSR_READ;
		e->msr.index = vcpu->gprs[1];
		e->msr.write = info1;
		e->insn_len = svm_insn_len(vcpu, 2);
		break;
	case SVM_EXIT_IOIO:
		e->reason = KESTREL_EXIT_IO;
		e->io.port = info1 >> 16;
		e->io.in = info1 & SVM_IOIO_TYPE_MASK;
		e->io.string = info1 & SVM_IOIO_STR_MASK;
		e->io.size = (info1 & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
		/* EXITINFO2 is the RIP of the next instruction. */
		e->insn_len = c->exit_info_2 - sv->vmcb->save.rip;
		break;
	case SVM_EXIT_NPF:
		e->reason = KESTREL_EXIT_MMIO;
		e->mmio.gpa = c->exit_info_2;
		break;
	case SVM_EXIT_XSETBV:
		e->reason = KESTREL_EXIT_XSETBV;
		e->insn_len = svm_insn_len(vcpu, 3);
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = KESTREL_EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_RDTSCP:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_RDPRU:
		/* Not offered to the guest: #UD, as on a CPU without them. */
		e->reason = KESTREL_EXIT_INVALID;
		e->invalid.vector = X86_TRAP_UD;
		break;
	case SVM_EXIT_INVD:
		e->reason = KESTREL_EXIT_OTHER;	/* skipped: WBINVD semantics */
		e->insn_len = svm_insn_len(vcpu, 2);
		break;
	default:
		e->reason = KESTREL_EXIT_OTHER;
		break;
	}
}

/*
 * An event whose delivery the exit interrupted is delivered again on the
 * next entry (APM 15.7.2).  Software interrupts restart with their
 * instruction instead.
 */
static void svm_requeue_event(struct svm_vcpu *sv)
{
	struct vmcb_control_area *c = &sv->vmcb->control;
	u32 info = c->exit_int_info;

	c->event_inj = 0;
	if (!(info & SVM_EXITINTINFO_VALID))
		return;
	if ((info & SVM_EXITINTINFO_TYPE_MASK) == SVM_EXITINTINFO_TYPE_SOFT)
		return;
	c->event_inj = info;
	c->event_inj_err = c->exit_int_info_err;
}

static void svm_vcpu_run(struct kestrel_vcpu *vcpu)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpus);
	struct svm_vcpu *sv = vcpu->arch;
	struct vmcb *vmcb = sv->vmcb;
	bool xcr0_switch = host_xcr0 && vcpu->xcr0 != host_xcr0;

	/* The host completed the instruction: the interrupt shadow ends. */
	if (vcpu->rip != sv->last_rip)
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rax = vcpu->gprs[0];
	vmcb->save.rsp = vcpu->gprs[4];
	vmcb->control.clean = 0;
	if (sc->flush_pending) {
		vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
		sc->flush_pending = false;
	}

	clgi();
	if (xcr0_switch)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	/*
	 * RFLAGS.IF=1 at VMRUN lets physical interrupts exit the guest; with
	 * GIF=0 none is taken in host code before the exit.
	 */
	raw_local_irq_enable();
	kestrel_svm_run(sv->vmcb_pa, vcpu->gprs, page_to_phys(sc->host_state));
	raw_local_irq_disable();
	if (host_xcr0) {
		u64 xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

		/*
		 * XSETBV is intercepted, so XCR0 is still what we loaded --
		 * except under QEMU's emulated SVM, which lets the guest's
		 * XSETBV through.  Follow the guest there rather than give
		 * it back a stale XCR0 at the next entry (its AVX would #UD
		 * and its XRSTORs fault).  Only host-enabled bits count.
		 */
		if (unlikely(xcr0 != vcpu->xcr0))
			vcpu->xcr0 = (xcr0 & host_xcr0) | XFEATURE_MASK_FP;
		if (xcr0 != host_xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	}
	/*
	 * #VMEXIT leaves DR7 with every breakpoint disabled, and the guest
	 * may have written DR0-3 (not intercepted): give the host back its
	 * own breakpoints when it has any.
	 */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	stgi();

	vcpu->gprs[0] = vmcb->save.rax;
	vcpu->gprs[4] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	sv->last_rip = vcpu->rip;
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	svm_requeue_event(sv);
	svm_decode_exit(vcpu);
}

static void svm_inject_exception(struct kestrel_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error)
{
	struct vmcb_control_area *c = &((struct svm_vcpu *)vcpu->arch)->vmcb->control;

	c->event_inj = vector | SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT |
		       (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = error;
}

/* ---- interrupts ---- */

/* An STI/MOV SS shadow, unless the host completed an instruction since. */
static bool svm_shadowed(struct kestrel_vcpu *vcpu, struct svm_vcpu *sv)
{
	return vcpu->rip == sv->last_rip &&
	       (sv->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK);
}

static bool svm_nmi_allowed(struct kestrel_vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->arch;

	return !(sv->vmcb->control.event_inj & SVM_EVTINJ_VALID) &&
	       !svm_shadowed(vcpu, sv);
}

static bool svm_irq_allowed(struct kestrel_vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->arch;

	return (sv->vmcb->save.rflags & X86_EFLAGS_IF) &&
	       svm_nmi_allowed(vcpu);
}

static bool svm_rflags_if(struct kestrel_vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->arch;

	return sv->vmcb->save.rflags & X86_EFLAGS_IF;
}

static void svm_inject_irq(struct kestrel_vcpu *vcpu, u8 vector)
{
	struct vmcb_control_area *c = &((struct svm_vcpu *)vcpu->arch)->vmcb->control;

	c->event_inj = vector | SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_INTR;
}

static void svm_inject_nmi(struct kestrel_vcpu *vcpu)
{
	struct vmcb_control_area *c = &((struct svm_vcpu *)vcpu->arch)->vmcb->control;

	c->event_inj = X86_TRAP_NMI | SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI;
}

/*
 * The interrupt window: a virtual interrupt (V_IRQ) of the highest
 * priority, ignoring the TPR, with VINTR intercepted.  The guest takes it
 * as soon as RFLAGS.IF and the shadow allow, which exits instead.
 */
static void svm_set_irq_window(struct kestrel_vcpu *vcpu, bool on)
{
	struct vmcb_control_area *c = &((struct svm_vcpu *)vcpu->arch)->vmcb->control;
	bool is_on = c->int_ctl & V_IRQ_MASK;

	if (on == is_on)
		return;
	if (on) {
		c->int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
			      (0xf << V_INTR_PRIO_SHIFT);
		svm_set_intercept(c, INTERCEPT_VINTR);
	} else {
		c->int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK | V_INTR_PRIO_MASK);
		c->intercepts[INTERCEPT_VINTR / 32] &= ~BIT(INTERCEPT_VINTR % 32);
	}
}

static void svm_reset_events(struct kestrel_vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->arch;
	struct vmcb_control_area *c = &sv->vmcb->control;

	c->event_inj = 0;
	c->int_state = 0;
	svm_set_irq_window(vcpu, false);
	/* A fresh ASID at the next load: nothing of the old boot stays. */
	sv->asid_cpu = -1;
}

/* ---- register state ---- */

static void svm_get_regs(struct kestrel_vcpu *vcpu, struct kestrel_regs *r)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;
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
	r->rflags = save->rflags;
}

static void svm_set_regs(struct kestrel_vcpu *vcpu, const struct kestrel_regs *r)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;
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
	vcpu->rip = r->rip;
	/* Bit 1 is always set; reserved bits stay clear. */
	save->rflags = (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED;
}

static void seg_to_user(struct kestrel_segment *u, const struct vmcb_seg *s)
{
	u->base = s->base;
	u->limit = s->limit;
	u->selector = s->selector;
	u->attrib = s->attrib;
}

static void seg_from_user(struct vmcb_seg *s, const struct kestrel_segment *u)
{
	s->base = u->base;
	s->limit = u->limit;
	s->selector = u->selector;
	s->attrib = u->attrib & 0xfff;
}

static void svm_get_sregs(struct kestrel_vcpu *vcpu, struct kestrel_sregs *sr)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;

	seg_to_user(&sr->cs, &save->cs);
	seg_to_user(&sr->ds, &save->ds);
	seg_to_user(&sr->es, &save->es);
	seg_to_user(&sr->fs, &save->fs);
	seg_to_user(&sr->gs, &save->gs);
	seg_to_user(&sr->ss, &save->ss);
	seg_to_user(&sr->tr, &save->tr);
	seg_to_user(&sr->ldt, &save->ldtr);
	sr->gdt.base = save->gdtr.base;
	sr->gdt.limit = save->gdtr.limit;
	sr->idt.base = save->idtr.base;
	sr->idt.limit = save->idtr.limit;
	sr->cr0 = save->cr0;
	sr->cr2 = save->cr2;
	sr->cr3 = save->cr3;
	sr->cr4 = save->cr4;
	sr->efer = save->efer & ~EFER_SVME;
}

#define SVM_EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/*
 * Refuse what VMRUN would refuse (APM 15.5.1, "Canonicalization and
 * Consistency Checks") so that a bad SET_REGS fails here, not at entry.
 */
static int svm_check_state(u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	if (efer & ~SVM_EFER_ALLOWED)
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if (cr0 >> 32 || cr4 & ~0x3fffffULL || cr3 >> 52)
		return -EINVAL;
	if ((efer & EFER_LME) && (cr0 & X86_CR0_PG) &&
	    (!(cr4 & X86_CR4_PAE) || !(cr0 & X86_CR0_PE)))
		return -EINVAL;
	return 0;
}

static int svm_set_sregs(struct kestrel_vcpu *vcpu,
			 const struct kestrel_sregs *sr)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;
	int err;

	err = svm_check_state(sr->cr0, sr->cr3, sr->cr4, sr->efer);
	if (err)
		return err;
	seg_from_user(&save->cs, &sr->cs);
	seg_from_user(&save->ds, &sr->ds);
	seg_from_user(&save->es, &sr->es);
	seg_from_user(&save->fs, &sr->fs);
	seg_from_user(&save->gs, &sr->gs);
	seg_from_user(&save->ss, &sr->ss);
	seg_from_user(&save->tr, &sr->tr);
	seg_from_user(&save->ldtr, &sr->ldt);
	save->gdtr.base = sr->gdt.base;
	save->gdtr.limit = sr->gdt.limit;
	save->idtr.base = sr->idt.base;
	save->idtr.limit = sr->idt.limit;
	save->cr0 = sr->cr0 | X86_CR0_ET;
	save->cr2 = sr->cr2;
	save->cr3 = sr->cr3;
	save->cr4 = sr->cr4;
	save->efer = sr->efer | EFER_SVME;
	save->cpl = (save->cs.attrib & SVM_SELECTOR_DPL_MASK) >>
		    SVM_SELECTOR_DPL_SHIFT;
	return 0;
}

/* ---- MSRs that live in the VMCB ---- */

static int svm_get_msr(struct kestrel_vcpu *vcpu, u32 index, u64 *val)
{
	struct vmcb *vmcb = ((struct svm_vcpu *)vcpu->arch)->vmcb;

	switch (index) {
	case MSR_EFER:
		*val = vmcb->save.efer & ~EFER_SVME;
		return 0;
	case MSR_STAR:
		*val = vmcb->save.star;
		return 0;
	case MSR_LSTAR:
		*val = vmcb->save.lstar;
		return 0;
	case MSR_CSTAR:
		*val = vmcb->save.cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*val = vmcb->save.sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*val = vmcb->save.kernel_gs_base;
		return 0;
	case MSR_FS_BASE:
		*val = vmcb->save.fs.base;
		return 0;
	case MSR_GS_BASE:
		*val = vmcb->save.gs.base;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*val = vmcb->save.sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*val = vmcb->save.sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = vmcb->save.sysenter_eip;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = vmcb->save.g_pat;
		return 0;
	case MSR_IA32_TSC:
		*val = rdtsc() + vmcb->control.tsc_offset;
		return 0;
	}
	return -ENOENT;
}

static int svm_set_msr(struct kestrel_vcpu *vcpu, u32 index, u64 val)
{
	struct vmcb *vmcb = ((struct svm_vcpu *)vcpu->arch)->vmcb;

	switch (index) {
	case MSR_EFER:
		if (val & ~(EFER_SCE | EFER_LME | EFER_NX | EFER_LMA))
			return -EINVAL;
		/* LMA is the CPU's to set; LME may not change under paging. */
		val = (val & ~EFER_LMA) | (vmcb->save.efer & EFER_LMA);
		if ((vmcb->save.cr0 & X86_CR0_PG) &&
		    ((val ^ vmcb->save.efer) & EFER_LME))
			return -EINVAL;
		vmcb->save.efer = val | EFER_SVME;
		return 0;
	case MSR_STAR:
		vmcb->save.star = val;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (index == MSR_LSTAR)
			vmcb->save.lstar = val;
		else if (index == MSR_CSTAR)
			vmcb->save.cstar = val;
		else if (index == MSR_KERNEL_GS_BASE)
			vmcb->save.kernel_gs_base = val;
		else if (index == MSR_FS_BASE)
			vmcb->save.fs.base = val;
		else if (index == MSR_GS_BASE)
			vmcb->save.gs.base = val;
		else if (index == MSR_IA32_SYSENTER_ESP)
			vmcb->save.sysenter_esp = val;
		else
			vmcb->save.sysenter_eip = val;
		return 0;
	case MSR_SYSCALL_MASK:
		vmcb->save.sfmask = (u32)val;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		vmcb->save.sysenter_cs = (u16)val;
		return 0;
	case MSR_IA32_CR_PAT:
		vmcb->save.g_pat = val;
		return 0;
	case MSR_IA32_TSC:
		vmcb->control.tsc_offset = val - rdtsc();
		return 0;
	}
	return -ENOENT;
}

static u64 svm_get_cr4(struct kestrel_vcpu *vcpu)
{
	return ((struct svm_vcpu *)vcpu->arch)->vmcb->save.cr4;
}

static void svm_get_emu_ctx(struct kestrel_vcpu *vcpu,
			    struct kestrel_emu_ctx *ctx)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;

	ctx->rip = vcpu->rip;
	ctx->cs_base = save->cs.base;
	ctx->cs_l = save->cs.attrib & SVM_SELECTOR_L_MASK;
	ctx->cs_db = save->cs.attrib & SVM_SELECTOR_DB_MASK;
	ctx->cr0 = save->cr0;
	ctx->cr3 = save->cr3;
	ctx->cr4 = save->cr4;
	ctx->efer = save->efer & ~EFER_SVME;
	memcpy(ctx->gprs, vcpu->gprs, sizeof(ctx->gprs));
}

const struct kestrel_arch_ops kestrel_svm_ops = {
	.name = "svm",
	.backend = KESTREL_BACKEND_SVM,
	.detect = svm_detect,
	.init = svm_module_init,
	.exit = svm_module_exit,
	.hw_enable = svm_hw_enable,
	.hw_disable = svm_hw_disable,
	.dom_init = svm_dom_init,
	.dom_free = svm_dom_free,
	.vcpu_init = svm_vcpu_init,
	.vcpu_free = svm_vcpu_free,
	.vcpu_load = svm_vcpu_load,
	.vcpu_put = svm_vcpu_put,
	.vcpu_run = svm_vcpu_run,
	.get_regs = svm_get_regs,
	.set_regs = svm_set_regs,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.inject_exception = svm_inject_exception,
	.irq_allowed = svm_irq_allowed,
	.nmi_allowed = svm_nmi_allowed,
	.inject_irq = svm_inject_irq,
	.inject_nmi = svm_inject_nmi,
	.set_irq_window = svm_set_irq_window,
	.rflags_if = svm_rflags_if,
	.reset_events = svm_reset_events,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.get_cr4 = svm_get_cr4,
	.get_emu_ctx = svm_get_emu_ctx,
};
