// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU threads and the vendor-neutral run loop.
 *
 * One kernel thread per vCPU, "kestrel/<domid>:<vcpu>", attached to the
 * creator's cgroups.  The thread runs the guest in bursts: a burst holds
 * the FPU (kernel_fpu_begin(), so preemption is off), loads the guest's
 * FPU state and enters the guest again and again while exits are handled
 * in place; it ends when the thread must sleep or reschedule or when
 * someone asked for something (pause, stop).  Host interrupts exit the
 * guest and are serviced between entries with interrupts enabled.
 *
 * Kernel threads do not own FPU state across context switches on x86, so
 * the guest's FPU state lives in registers only inside a burst and in
 * vcpu->fpu outside.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/types.h>

#include "domain.h"
#include "interrupt.h"
#include "dev/lapic.h"

/* XSAVE area size for every state component the host enables. */
static unsigned int fpu_area_size(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 512;
	cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
	return max(ebx, 576U);
}

/* Host XCR0 without components needing per-task permission (AMX). */
static u64 fpu_mask(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return XFEATURE_MASK_FPSSE;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) & ~XFEATURE_MASK_XTILE;
}

static void guest_fpu_load(struct kestrel_vcpu *vcpu)
{
	u64 mask = fpu_mask();

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		asm volatile("xrstor64 (%0)" : : "D" (vcpu->fpu), "a" ((u32)mask),
			     "d" ((u32)(mask >> 32)) : "memory");
	else
		asm volatile("fxrstor64 (%0)" : : "D" (vcpu->fpu) : "memory");
}

static void guest_fpu_save(struct kestrel_vcpu *vcpu)
{
	u64 mask = fpu_mask();

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		asm volatile("xsave64 (%0)" : : "D" (vcpu->fpu), "a" ((u32)mask),
			     "d" ((u32)(mask >> 32)) : "memory");
	else
		asm volatile("fxsave64 (%0)" : : "D" (vcpu->fpu) : "memory");
}

/* The architectural reset state: FCW 0x37f, MXCSR 0x1f80, all else init. */
static void guest_fpu_reset(struct kestrel_vcpu *vcpu)
{
	struct fxregs_state *fx = vcpu->fpu;

	memset(vcpu->fpu, 0, fpu_area_size());
	fx->cwd = 0x37f;
	fx->mxcsr = 0x1f80;
	vcpu->xcr0 = XFEATURE_MASK_FP;
}

int kestrel_vcpus_init(struct kestrel_domain *dom)
{
	unsigned int i;
	int err;

	dom->vcpus = kcalloc(dom->nr_vcpus, sizeof(*dom->vcpus),
			     GFP_KERNEL_ACCOUNT);
	if (!dom->vcpus)
		return -ENOMEM;
	for (i = 0; i < dom->nr_vcpus; i++) {
		struct kestrel_vcpu *vcpu = &dom->vcpus[i];

		vcpu->dom = dom;
		vcpu->idx = i;
		vcpu->cpu = -1;
		init_waitqueue_head(&vcpu->wq);
		vcpu->fpu = kzalloc(fpu_area_size(), GFP_KERNEL_ACCOUNT);
		if (!vcpu->fpu) {
			err = -ENOMEM;
			goto err;
		}
		guest_fpu_reset(vcpu);
		err = kestrel_arch->vcpu_init(vcpu);
		if (err) {
			kfree(vcpu->fpu);
			vcpu->fpu = NULL;
			goto err;
		}
	}
	return 0;

err:
	while (i--) {
		kestrel_arch->vcpu_free(&dom->vcpus[i]);
		kfree(dom->vcpus[i].fpu);
	}
	kfree(dom->vcpus);
	dom->vcpus = NULL;
	return err;
}

/* Threads must be stopped (kestrel_vcpus_stop) before. */
void kestrel_vcpus_free(struct kestrel_domain *dom)
{
	unsigned int i;

	if (!dom->vcpus)
		return;
	for (i = 0; i < dom->nr_vcpus; i++) {
		kestrel_arch->vcpu_free(&dom->vcpus[i]);
		kfree(dom->vcpus[i].fpu);
	}
	kfree(dom->vcpus);
	dom->vcpus = NULL;
}

/*
 * Make the vCPU look at its requests and interrupts now: leave guest mode,
 * wake up.  Any context, hard interrupts included (APIC and PIT timers):
 * the reschedule IPI is enough to make the guest exit, and the run loop
 * checks everything before the next entry.
 */
void kestrel_vcpu_kick(struct kestrel_vcpu *vcpu)
{
	int cpu;

	/* Pairs with smp_store_mb() of mode before entering the guest. */
	smp_mb();
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == KESTREL_MODE_IN_GUEST && cpu >= 0 &&
	    cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
	wake_up(&vcpu->wq);
}

static bool vcpu_has_request(struct kestrel_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests) != 0;
}

/*
 * One burst: enter the guest until an exit needs the thread to sleep, the
 * scheduler wants the CPU or a request arrives.  Returns <0 when the guest
 * cannot go on (the domain crashes).
 */
static int vcpu_burst(struct kestrel_vcpu *vcpu)
{
	u64 start = local_clock();
	int ret = 0;

	kernel_fpu_begin();
	/* A CPU going offline has disabled SVM/VMX: let the scheduler move us. */
	if (!this_cpu_read(kestrel_hw_on)) {
		kernel_fpu_end();
		schedule_timeout_interruptible(1);
		return 0;
	}
	guest_fpu_load(vcpu);
	vcpu->cpu = smp_processor_id();
	kestrel_arch->vcpu_load(vcpu);

	for (;;) {
		local_irq_disable();
		if (need_resched() || vcpu_has_request(vcpu) ||
		    signal_pending(current)) {
			local_irq_enable();
			break;
		}
		/* Pairs with the barrier in kestrel_vcpu_kick(). */
		smp_store_mb(vcpu->mode, KESTREL_MODE_IN_GUEST);
		if (kestrel_irq_needs_thread(vcpu)) {
			WRITE_ONCE(vcpu->mode, KESTREL_MODE_OUTSIDE);
			local_irq_enable();
			break;
		}
		/* After the mode store: a later kick makes the entry exit. */
		kestrel_irq_inject(vcpu);
		if (vcpu_has_request(vcpu)) {
			WRITE_ONCE(vcpu->mode, KESTREL_MODE_OUTSIDE);
			local_irq_enable();
			break;
		}
		kestrel_arch->vcpu_run(vcpu);
		WRITE_ONCE(vcpu->mode, KESTREL_MODE_OUTSIDE);
		local_irq_enable();

		ret = kestrel_handle_exit(vcpu);
		if (ret)
			break;
	}

	kestrel_arch->vcpu_put(vcpu);
	guest_fpu_save(vcpu);
	kernel_fpu_end();
	vcpu->cpu_time_ns += local_clock() - start;
	return ret < 0 ? ret : 0;
}

/* The state INIT leaves a processor in (SDM 9.1.1, APM 14.1.3). */
static void vcpu_init_state(struct kestrel_vcpu *vcpu)
{
	struct kestrel_segment data = {
		.limit = 0xffff, .attrib = 0x93,	/* P, S, data RW accessed */
	};
	struct kestrel_sregs sr = {
		.cs = { .selector = 0xf000, .base = 0xffff0000, .limit = 0xffff,
			.attrib = 0x9b },
		.ds = data, .es = data, .fs = data, .gs = data, .ss = data,
		.tr = { .limit = 0xffff, .attrib = 0x8b },
		.ldt = { .limit = 0xffff, .attrib = 0x82 },
		.gdt = { .limit = 0xffff }, .idt = { .limit = 0xffff },
		.cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD,
	};
	struct kestrel_regs r = {
		.rip = 0xfff0, .rflags = X86_EFLAGS_FIXED,
		.rdx = cpuid_eax(1),
	};

	kestrel_arch->set_regs(vcpu, &r);
	WARN_ON_ONCE(kestrel_arch->set_sregs(vcpu, &sr));
	guest_fpu_reset(vcpu);
}

/*
 * Reboot in place, with the vCPU parked: back to the boot image's
 * registers; @runs: it runs at once (else it waits for INIT/SIPI).
 */
void kestrel_vcpu_reset(struct kestrel_vcpu *vcpu,
			const struct kestrel_regs *regs,
			const struct kestrel_sregs *sregs, bool runs)
{
	kestrel_arch->reset_events(vcpu);
	kestrel_arch->set_regs(vcpu, regs);
	WARN_ON_ONCE(kestrel_arch->set_sregs(vcpu, sregs));
	guest_fpu_reset(vcpu);
	WRITE_ONCE(vcpu->halted, false);
	WRITE_ONCE(vcpu->halt_if, false);
	WRITE_ONCE(vcpu->nmi_pending, false);
	WRITE_ONCE(vcpu->wait_sipi, !runs);
}

/* SIPI: real mode at @vector * 4096. */
static void vcpu_sipi_state(struct kestrel_vcpu *vcpu, u8 vector)
{
	struct kestrel_sregs sr;
	struct kestrel_regs r;

	kestrel_arch->get_regs(vcpu, &r);
	kestrel_arch->get_sregs(vcpu, &sr);
	sr.cs.selector = vector << 8;
	sr.cs.base = (u64)vector << 12;
	r.rip = 0;
	kestrel_arch->set_regs(vcpu, &r);
	WARN_ON_ONCE(kestrel_arch->set_sregs(vcpu, &sr));
}

/*
 * INIT, SIPI and NMI from the local APIC, outside a burst: the register
 * setters need the vCPU out of guest mode.
 */
static void vcpu_take_events(struct kestrel_vcpu *vcpu)
{
	unsigned int ev;
	u8 sipi = 0;

	ev = kestrel_lapic_take_events(vcpu->lapic, &sipi);
	if (ev & KESTREL_LAPIC_EV_INIT) {
		vcpu_init_state(vcpu);
		WRITE_ONCE(vcpu->halted, false);
		/* The BSP runs from the reset vector; APs wait for SIPI. */
		WRITE_ONCE(vcpu->wait_sipi, vcpu->idx != 0);
		vcpu->nmi_pending = false;
	}
	if ((ev & KESTREL_LAPIC_EV_SIPI) && vcpu->wait_sipi) {
		vcpu_sipi_state(vcpu, sipi);
		WRITE_ONCE(vcpu->wait_sipi, false);
		WRITE_ONCE(vcpu->halted, false);
	}
	if (ev & KESTREL_LAPIC_EV_NMI) {
		WRITE_ONCE(vcpu->nmi_pending, true);
		WRITE_ONCE(vcpu->halted, false);
	}
}

static int vcpu_thread(void *data)
{
	struct kestrel_vcpu *vcpu = data;
	struct kestrel_domain *dom = vcpu->dom;

	while (!kthread_should_stop()) {
		if (test_bit(KESTREL_REQ_STOP, &vcpu->requests)) {
			/* Wait for kthread_stop(). */
			wait_event_interruptible(vcpu->wq, kthread_should_stop());
			continue;
		}
		if (test_bit(KESTREL_REQ_PAUSE, &vcpu->requests)) {
			WRITE_ONCE(vcpu->parked, true);
			wake_up(&dom->park_wq);
			wait_event_interruptible(vcpu->wq,
				!test_bit(KESTREL_REQ_PAUSE, &vcpu->requests) ||
				test_bit(KESTREL_REQ_STOP, &vcpu->requests));
			WRITE_ONCE(vcpu->parked, false);
			continue;
		}
		if (kestrel_irq_needs_thread(vcpu))
			vcpu_take_events(vcpu);
		if (READ_ONCE(vcpu->wait_sipi)) {
			wait_event_interruptible(vcpu->wq,
						 kestrel_irq_needs_thread(vcpu) ||
						 vcpu_has_request(vcpu));
			continue;
		}
		if (READ_ONCE(vcpu->halted)) {
			wait_event_interruptible(vcpu->wq,
						 kestrel_irq_wakes(vcpu) ||
						 vcpu_has_request(vcpu));
			if (kestrel_irq_wakes(vcpu))
				WRITE_ONCE(vcpu->halted, false);
			continue;
		}
		if (vcpu_burst(vcpu) < 0) {
			kestrel_domain_crash(dom, "the vCPU cannot continue");
			kestrel_vcpu_request(vcpu, KESTREL_REQ_PAUSE);
		}
		cond_resched();
	}
	return 0;
}

/*
 * Create and wake one thread per vCPU.  On failure the threads already
 * created are stopped again.
 */
int kestrel_vcpus_start(struct kestrel_domain *dom)
{
	unsigned int i;
	int err;

	for (i = 0; i < dom->nr_vcpus; i++) {
		struct kestrel_vcpu *vcpu = &dom->vcpus[i];
		struct task_struct *t;

		t = kthread_create(vcpu_thread, vcpu, "kestrel/%u:%u", dom->id, i);
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			goto err;
		}
		/* Account the vCPU to the creator's cgroups, as vhost does. */
		err = cgroup_attach_task_all(current, t);
		if (err) {
			kthread_stop(t);
			goto err;
		}
		vcpu->thread = t;
	}
	/*
	 * vCPU 0 runs from its reset or boot state.  The others run at once
	 * only when userspace gave them registers; otherwise they are APs
	 * waiting for INIT and SIPI, as on hardware.
	 */
	for (i = 1; i < dom->nr_vcpus; i++)
		if (!dom->vcpus[i].regs_set)
			WRITE_ONCE(dom->vcpus[i].wait_sipi, true);
	for (i = 0; i < dom->nr_vcpus; i++)
		wake_up_process(dom->vcpus[i].thread);
	return 0;

err:
	while (i--) {
		kthread_stop(dom->vcpus[i].thread);
		dom->vcpus[i].thread = NULL;
	}
	return err;
}

/* Stop every thread: returns when none runs guest code any more. */
void kestrel_vcpus_stop(struct kestrel_domain *dom)
{
	unsigned int i;

	for (i = 0; i < dom->nr_vcpus; i++) {
		kestrel_vcpu_request(&dom->vcpus[i], KESTREL_REQ_STOP);
		kestrel_vcpu_kick(&dom->vcpus[i]);
	}
	for (i = 0; i < dom->nr_vcpus; i++) {
		if (dom->vcpus[i].thread)
			kthread_stop(dom->vcpus[i].thread);
		dom->vcpus[i].thread = NULL;
	}
}

/* Park every vCPU outside guest mode; returns once they all are. */
void kestrel_vcpus_pause(struct kestrel_domain *dom)
{
	unsigned int i;

	for (i = 0; i < dom->nr_vcpus; i++) {
		kestrel_vcpu_request(&dom->vcpus[i], KESTREL_REQ_PAUSE);
		kestrel_vcpu_kick(&dom->vcpus[i]);
	}
	for (i = 0; i < dom->nr_vcpus; i++) {
		struct kestrel_vcpu *vcpu = &dom->vcpus[i];

		if (vcpu->thread)
			wait_event(dom->park_wq, READ_ONCE(vcpu->parked));
	}
}

void kestrel_vcpus_resume(struct kestrel_domain *dom)
{
	unsigned int i;

	for (i = 0; i < dom->nr_vcpus; i++) {
		clear_bit(KESTREL_REQ_PAUSE, &dom->vcpus[i].requests);
		wake_up(&dom->vcpus[i].wq);
	}
}

bool kestrel_vcpus_all_halted(struct kestrel_domain *dom)
{
	unsigned int i;

	for (i = 0; i < dom->nr_vcpus; i++)
		if (!READ_ONCE(dom->vcpus[i].halted))
			return false;
	return true;
}
