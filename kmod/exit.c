// SPDX-License-Identifier: GPL-2.0
/*
 * Vendor-neutral exit handling: the backend decodes its exit into
 * vcpu->exit, this file does what it means.  Runs in the vCPU thread with
 * preemption disabled (inside a burst): nothing here sleeps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ratelimit.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>
#include <asm/trapnr.h>
#include <asm/apicdef.h>

#include "domain.h"
#include "emulate.h"
#include "interrupt.h"
#include "dev/lapic.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3

enum {
	EXIT_CONTINUE = 0,	/* enter the guest again */
	EXIT_LEAVE = 1,		/* end the burst: sleep or crash handled */
};

static void skip_insn(struct kestrel_vcpu *vcpu)
{
	vcpu->rip += vcpu->exit.insn_len;
}

static void inject_gp(struct kestrel_vcpu *vcpu)
{
	kestrel_arch->inject_exception(vcpu, X86_TRAP_GP, true, 0);
}

static void set_eax_edx(struct kestrel_vcpu *vcpu, u64 val)
{
	vcpu->gprs[RAX] = (u32)val;
	vcpu->gprs[RDX] = val >> 32;
}

/* ---- CPUID: the host's leaves, filtered to what the guest may see ---- */

#define KESTREL_CPUID_SIGNATURE	0x40000000
#define KESTREL_CPUID_FEATURES	0x40000001
#define KESTREL_CPUID_TIMING	0x40000010

static u64 guest_xcr0_supported(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) & XFEATURE_MASK_USER_SUPPORTED &
	       ~XFEATURE_MASK_XTILE & ~XFEATURE_MASK_PKRU;
}

/* XSAVE area size needed for the components in @xcr0. */
static u32 xsave_size(u64 xcr0)
{
	u32 size = 576, eax, ebx, ecx, edx;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

static void cpuid_leaf(struct kestrel_vcpu *vcpu, u32 leaf, u32 sub,
		       u32 *a, u32 *b, u32 *c, u32 *d)
{
	u32 max_basic = min_t(u32, cpuid_eax(0), 0xd);
	u32 max_ext = min_t(u32, cpuid_eax(0x80000000), 0x80000008);
	u64 xcr0;

	*a = *b = *c = *d = 0;
	if (leaf == KESTREL_CPUID_SIGNATURE) {
		*a = KESTREL_CPUID_TIMING;
		memcpy(b, "Kest", 4);
		memcpy(c, "rel\0", 4);
		return;
	}
	if (leaf == KESTREL_CPUID_FEATURES)
		return;
	if (leaf == KESTREL_CPUID_TIMING) {
		/* The generic timing leaf: TSC and APIC bus rates in kHz. */
		*a = kestrel_guest_tsc_khz();
		*b = KESTREL_LAPIC_BUS_KHZ;
		return;
	}
	if (leaf > KESTREL_CPUID_SIGNATURE && leaf < 0x40000100)
		return;
	if ((leaf < 0x80000000 && leaf > max_basic) ||
	    (leaf >= 0x80000000 && leaf > max_ext))
		return;

	switch (leaf) {
	case 0:
		cpuid(0, a, b, c, d);
		*a = max_basic;
		return;
	case 1:
		cpuid(1, a, b, c, d);
		/* One logical CPU per package until topology is modelled. */
		*b = (*b & 0xffff) | (1 << 16) | (vcpu->idx << 24);
		*c &= ~(BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) |
			BIT(9) | BIT(15) | BIT(18) | BIT(21) | BIT(24) |
			BIT(27));
		/* The local APIC's TSC-deadline mode, given the TSC rate. */
		if (kestrel_guest_tsc_khz())
			*c |= BIT(24);
		if (kestrel_arch->get_cr4(vcpu) & X86_CR4_OSXSAVE)
			*c |= BIT(27);
		/* Without host XSAVE: no XSAVE, AVX, FMA, F16C for the guest. */
		if (!guest_xcr0_supported())
			*c &= ~(BIT(12) | BIT(26) | BIT(27) | BIT(28) | BIT(29));
		*c |= BIT(31);		/* running under a hypervisor */
		/* No MCE/MCA, ACPI thermal, TM, PBE, DS, HTT; an xAPIC. */
		*d &= ~(BIT(7) | BIT(14) | BIT(21) | BIT(22) |
			BIT(28) | BIT(29) | BIT(31));
		*d |= BIT(9);
		return;
	case 4:
		cpuid_count(4, sub, a, b, c, d);
		*a &= 0x3fff;		/* one core, one thread per cache */
		return;
	case 7:
		if (sub != 0)
			return;
		cpuid_count(7, 0, a, b, c, d);
		*a = 0;
		/*
		 * FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS AVX512* RDSEED ADX SMAP
		 * CLFLUSHOPT CLWB SHA
		 */
		*b &= BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | BIT(9) |
		      BIT(16) | BIT(17) | BIT(18) | BIT(19) | BIT(20) |
		      BIT(21) | BIT(23) | BIT(24) | BIT(26) | BIT(27) |
		      BIT(28) | BIT(29) | BIT(30) | BIT(31);
		/* AVX512_VBMI GFNI VAES VPCLMULQDQ AVX512_VNNI BITALG VPOPCNTDQ */
		*c &= BIT(1) | BIT(8) | BIT(9) | BIT(10) | BIT(11) | BIT(12) |
		      BIT(14);
		*d &= BIT(4);		/* FSRM */
		/* AVX2 and AVX-512 need their XCR0 components. */
		xcr0 = guest_xcr0_supported();
		if (!(xcr0 & XFEATURE_MASK_YMM))
			*b &= ~BIT(5);
		if ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512) {
			*b &= ~(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) |
				BIT(28) | BIT(30) | BIT(31));
			*c &= ~(BIT(1) | BIT(11) | BIT(12) | BIT(14));
		}
		return;
	case 0xd:
		xcr0 = guest_xcr0_supported();
		if (!xcr0)
			return;
		if (sub == 0) {
			*a = (u32)xcr0;
			/*
			 * EBX is the size for the current XCR0.  Report the
			 * size for every offered component instead: never too
			 * small, and right for Linux, which sizes its buffers
			 * from it after enabling them all (QEMU's nested SVM
			 * lets XSETBV through without the intercept).
			 */
			*b = xsave_size(xcr0);
			*c = xsave_size(xcr0);
			*d = xcr0 >> 32;
		} else if (sub == 1) {
			cpuid_count(0xd, 1, a, b, c, d);
			*a &= BIT(0) | BIT(1) | BIT(2);	/* XSAVEOPT XSAVEC XGETBV1 */
			*b = *c = *d = 0;
		} else if (sub < 64 && (xcr0 & BIT_ULL(sub))) {
			cpuid_count(0xd, sub, a, b, c, d);
		}
		return;
	case 0x80000000:
		cpuid(leaf, a, b, c, d);
		*a = max_ext;
		return;
	case 0x80000001:
		cpuid(leaf, a, b, c, d);
		/* LAHF ABM SSE4A MISALIGNSSE 3DNOWPREFETCH */
		*c &= BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8);
		/*
		 * SYSCALL NX MMXEXT FXSR_OPT PDPE1GB LM 3DNow!, and AMD's copies
		 * of leaf 1 bits (FPU..PGE, APIC, CMOV..PSE36, MMX, FXSR)
		 * without MCE and MCA, which leaf 1 hides too.
		 */
		*d &= BIT(11) | BIT(20) | BIT(22) | BIT(25) | BIT(26) |
		      BIT(29) | BIT(30) | BIT(31) |
		      (GENMASK(9, 0) & ~BIT(7)) | BIT(12) | BIT(13) |
		      BIT(15) | BIT(16) | BIT(17) | BIT(23) | BIT(24);
		return;
	case 0x80000002 ... 0x80000006:
		cpuid(leaf, a, b, c, d);
		return;
	case 0x80000007:
		/*
		 * Invariant TSC, whatever the host's leaf says.  The guest's
		 * TSC is the host's plus one offset per domain, and every CPU
		 * with NPT or EPT keeps its TSC at a constant rate; emulators
		 * (QEMU's TCG) merely leave the bit out.  Without it Linux
		 * calls the TSCs of an AMD guest with two vCPUs unsynchronized
		 * and falls back to the ACPI PM timer: a port exit for every
		 * clock read.
		 */
		*d = BIT(8);
		return;
	case 0x80000008:
		cpuid(leaf, a, b, c, d);
		*b = *c = *d = 0;
		return;
	case 2:
		cpuid(leaf, a, b, c, d);
		return;
	}
}

static int handle_cpuid(struct kestrel_vcpu *vcpu)
{
	u32 a, b, c, d;

	cpuid_leaf(vcpu, vcpu->gprs[RAX], vcpu->gprs[RCX], &a, &b, &c, &d);
	vcpu->gprs[RAX] = a;
	vcpu->gprs[RBX] = b;
	vcpu->gprs[RCX] = c;
	vcpu->gprs[RDX] = d;
	skip_insn(vcpu);
	return EXIT_CONTINUE;
}

/* ---- MSRs ---- */

/* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range. */
static bool lapic_msr(u32 index)
{
	return index == KESTREL_MSR_APIC_BASE ||
	       index == KESTREL_MSR_TSC_DEADLINE ||
	       (index >= KESTREL_MSR_X2APIC_FIRST &&
		index <= KESTREL_MSR_X2APIC_LAST);
}

static int msr_read(struct kestrel_vcpu *vcpu, u32 index, u64 *val)
{
	if (!kestrel_arch->get_msr(vcpu, index, val))
		return 0;
	if (lapic_msr(index))
		return kestrel_lapic_msr_read(vcpu->lapic, index, val);
	switch (index) {
	case MSR_IA32_MISC_ENABLE:
		*val = MSR_IA32_MISC_ENABLE_FAST_STRING;
		return 0;
	case MSR_IA32_FEAT_CTL:
		*val = FEAT_CTL_LOCKED;
		return 0;
	case MSR_MTRRcap:
	case MSR_MTRRdefType:
	case MSR_IA32_UCODE_REV:
	case MSR_AMD64_NB_CFG:
		*val = 0;
		return 0;
	}
	return -EINVAL;
}

static bool canonical(u64 addr)
{
	return ((s64)addr << 16 >> 16) == (s64)addr;
}

/* Each byte a memory type: UC, WC, WT, WP, WB or UC- (not 2, 3, > 7). */
static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/*
 * Values the architecture refuses with #GP whichever vendor keeps the
 * MSR; the backends check only what is theirs (EFER's interplay with CR0).
 */
static bool msr_value_valid(u32 index, u64 val)
{
	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return canonical(val);
	case MSR_IA32_CR_PAT:
		return pat_valid(val);
	}
	return true;
}

static int msr_write(struct kestrel_vcpu *vcpu, u32 index, u64 val)
{
	int err;

	if (!msr_value_valid(index, val))
		return -EINVAL;
	err = kestrel_arch->set_msr(vcpu, index, val);

	if (err != -ENOENT)
		return err;
	if (lapic_msr(index)) {
		u64 tsc = 0;

		kestrel_arch->get_msr(vcpu, MSR_IA32_TSC, &tsc);
		return kestrel_lapic_msr_write(vcpu->lapic, index, val, tsc,
					       false);
	}
	switch (index) {
	case MSR_MTRRdefType:
	case MSR_IA32_UCODE_REV:
	case MSR_AMD64_NB_CFG:
		return 0;	/* accepted and ignored */
	case MSR_IA32_MISC_ENABLE:
		return val == MSR_IA32_MISC_ENABLE_FAST_STRING ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static int handle_msr(struct kestrel_vcpu *vcpu)
{
	u32 index = vcpu->exit.msr.index;
	u64 val;

	if (vcpu->exit.msr.write) {
		val = (vcpu->gprs[RAX] & 0xffffffff) | vcpu->gprs[RDX] << 32;
		if (msr_write(vcpu, index, val)) {
			inject_gp(vcpu);
			return EXIT_CONTINUE;
		}
	} else {
		if (msr_read(vcpu, index, &val)) {
			inject_gp(vcpu);
			return EXIT_CONTINUE;
		}
		set_eax_edx(vcpu, val);
	}
	skip_insn(vcpu);
	return EXIT_CONTINUE;
}

/* ---- XSETBV ---- */

static int handle_xsetbv(struct kestrel_vcpu *vcpu)
{
	u64 val = (vcpu->gprs[RAX] & 0xffffffff) | vcpu->gprs[RDX] << 32;
	u64 ok = guest_xcr0_supported();

	if (!(kestrel_arch->get_cr4(vcpu) & X86_CR4_OSXSAVE)) {
		kestrel_arch->inject_exception(vcpu, X86_TRAP_UD, false, 0);
		return EXIT_CONTINUE;
	}
	/* SDM XSETBV: x87 always; AVX needs SSE; AVX-512 all three or none. */
	if ((u32)vcpu->gprs[RCX] != 0 || (val & ~ok) ||
	    !(val & XFEATURE_MASK_FP) ||
	    ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE)) ||
	    ((val & XFEATURE_MASK_AVX512) &&
	     (val & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512) ||
	    ((val & XFEATURE_MASK_AVX512) && !(val & XFEATURE_MASK_YMM))) {
		inject_gp(vcpu);
		return EXIT_CONTINUE;
	}
	vcpu->xcr0 = val;
	skip_insn(vcpu);
	return EXIT_CONTINUE;
}

/* ---- port I/O and MMIO ---- */

static int handle_io(struct kestrel_vcpu *vcpu)
{
	struct kestrel_exit *e = &vcpu->exit;
	unsigned int size = e->io.size;
	u64 mask, val;

	if (e->io.string || !(size == 1 || size == 2 || size == 4)) {
		/* INS/OUTS are not emulated; the guest gets a #GP. */
		inject_gp(vcpu);
		return EXIT_CONTINUE;
	}
	mask = GENMASK_ULL(size * 8 - 1, 0);
	if (e->io.in) {
		val = kestrel_bus_read(&vcpu->dom->pio, e->io.port, size);
		if (size == 4)
			vcpu->gprs[RAX] = (u32)val;
		else
			vcpu->gprs[RAX] = (vcpu->gprs[RAX] & ~mask) | (val & mask);
	} else {
		kestrel_bus_write(&vcpu->dom->pio, e->io.port, size,
				  vcpu->gprs[RAX] & mask);
	}
	skip_insn(vcpu);
	return EXIT_CONTINUE;
}

static int read_gpa(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	struct kestrel_domain *dom = opaque;

	return kestrel_mem_read(&dom->mem, gpa, buf, len);
}

/*
 * The local APIC page: every vCPU sees its own there.  (Moving the APIC
 * base is not supported: Linux leaves it where the MADT says.)
 */
static bool is_lapic(u64 gpa)
{
	return (gpa & ~0xfffULL) == KESTREL_LAPIC_BASE;
}

static int handle_mmio(struct kestrel_vcpu *vcpu)
{
	struct kestrel_domain *dom = vcpu->dom;
	struct kestrel_mmio_insn insn;
	struct kestrel_emu_ctx ctx;
	u64 gpa = vcpu->exit.mmio.gpa, off;
	int err;

	if (kestrel_mem_gpa_to_off(&dom->mem, gpa, &off)) {
		/* RAM is always mapped: a fault there is our bug. */
		WARN_ONCE(1, "kestrel: nested page fault on RAM at %#llx\n", gpa);
		kestrel_domain_crash(dom, "nested page fault on guest RAM");
		return EXIT_LEAVE;
	}
	memset(&ctx, 0, sizeof(ctx));
	kestrel_arch->get_emu_ctx(vcpu, &ctx);
	ctx.read_gpa = read_gpa;
	ctx.opaque = dom;
	err = kestrel_emu_decode_mmio(&ctx, &insn);
	if (err) {
		pr_info_ratelimited("domain %u vCPU %u: cannot emulate the MMIO access at %#llx (rip %#llx): %d\n",
				    dom->id, vcpu->idx, gpa, vcpu->rip, err);
		kestrel_domain_crash(dom, "MMIO access by an instruction Kestrel does not emulate");
		return EXIT_LEAVE;
	}
	if (insn.write) {
		if (is_lapic(gpa))
			kestrel_lapic_mmio_write(vcpu->lapic, gpa & 0xfff,
						 insn.size, insn.value);
		else
			kestrel_bus_write(&dom->mmio, gpa, insn.size,
					  insn.value);
	} else {
		u64 val = is_lapic(gpa) ?
			  kestrel_lapic_mmio_read(vcpu->lapic, gpa & 0xfff,
						  insn.size) :
			  kestrel_bus_read(&dom->mmio, gpa, insn.size);

		kestrel_emu_complete_load(&ctx, &insn, val);
		memcpy(vcpu->gprs, ctx.gprs, sizeof(vcpu->gprs));
	}
	vcpu->rip = kestrel_emu_next_rip(&ctx, &insn);
	return EXIT_CONTINUE;
}

/* ---- the rest ---- */

static int handle_hypercall(struct kestrel_vcpu *vcpu)
{
	switch (vcpu->gprs[RAX]) {
	case KESTREL_HC_NOP:
		vcpu->gprs[RAX] = 0;
		break;
	default:
		vcpu->gprs[RAX] = -KESTREL_HC_ENOSYS;
		break;
	}
	skip_insn(vcpu);
	return EXIT_CONTINUE;
}

/*
 * HLT: go on at once when something is pending that ends it, else sleep
 * until an interrupt (if RFLAGS.IF is set), an NMI, INIT or SIPI arrives.
 */
static int handle_hlt(struct kestrel_vcpu *vcpu)
{
	skip_insn(vcpu);
	WRITE_ONCE(vcpu->halt_if, kestrel_arch->rflags_if(vcpu));
	if (kestrel_irq_wakes(vcpu))
		return EXIT_CONTINUE;
	WRITE_ONCE(vcpu->halted, true);
	return EXIT_LEAVE;
}

int kestrel_handle_exit(struct kestrel_vcpu *vcpu)
{
	struct kestrel_exit *e = &vcpu->exit;

	vcpu->exits[e->reason]++;
	switch (e->reason) {
	case KESTREL_EXIT_INTR:
	case KESTREL_EXIT_NMI:
		/* Serviced when the run loop enabled interrupts. */
		return EXIT_CONTINUE;
	case KESTREL_EXIT_IRQ_WINDOW:
		/* The run loop injects before the next entry. */
		return EXIT_CONTINUE;
	case KESTREL_EXIT_CPUID:
		return handle_cpuid(vcpu);
	case KESTREL_EXIT_MSR_READ:
	case KESTREL_EXIT_MSR_WRITE:
		return handle_msr(vcpu);
	case KESTREL_EXIT_IO:
		return handle_io(vcpu);
	case KESTREL_EXIT_MMIO:
		return handle_mmio(vcpu);
	case KESTREL_EXIT_HLT:
		return handle_hlt(vcpu);
	case KESTREL_EXIT_HYPERCALL:
		return handle_hypercall(vcpu);
	case KESTREL_EXIT_XSETBV:
		return handle_xsetbv(vcpu);
	case KESTREL_EXIT_INVALID:
		kestrel_arch->inject_exception(vcpu, e->invalid.vector, false, 0);
		return EXIT_CONTINUE;
	case KESTREL_EXIT_SHUTDOWN:
		kestrel_domain_crash(vcpu->dom, "triple fault");
		return EXIT_LEAVE;
	case KESTREL_EXIT_OTHER:
		if (e->insn_len) {
			skip_insn(vcpu);
			return EXIT_CONTINUE;
		}
		break;
	default:
		break;
	}
	pr_info_ratelimited("domain %u vCPU %u: unhandled exit %#x (%#llx, %#llx) at rip %#llx\n",
			    vcpu->dom->id, vcpu->idx, e->hw_code, e->hw_info1,
			    e->hw_info2, vcpu->rip);
	kestrel_domain_crash(vcpu->dom, "unhandled exit");
	return EXIT_LEAVE;
}
