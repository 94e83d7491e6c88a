// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt wiring of a domain: the ISA lines of the platform devices to
 * the 8259A pair and the I/O APIC, interrupt messages (I/O APIC, IPIs) to
 * the local APICs, and the injection of what a local APIC or the PIC has
 * pending into a vCPU.
 *
 *   ISA IRQ n  ->  PIC input n  and  I/O APIC pin n (IRQ 0: pin 2, as the
 *                  MADT's interrupt source override says)
 *   PIC INTR   ->  vCPU 0, when its local APIC is disabled or has LINT0
 *                  unmasked in ExtINT mode (virtual wire)
 *   messages   ->  every local APIC whose destination matches (lowest
 *                  priority: one of them, in turn)
 *
 * Lock order, outermost first: a device's own lock (PIT, UART, ACPI PM),
 * the PIC's, the I/O APIC's, a local APIC's.  Nothing here sleeps: lines
 * change from hrtimer callbacks (hard interrupt context) and from vCPU
 * threads with preemption disabled.  A vCPU that got something new is
 * kicked (kestrel_vcpu_kick() is safe in any context).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/tsc.h>

#include "domain.h"
#include "interrupt.h"
#include "dev/lapic.h"
#include "dev/pic.h"
#include "dev/ioapic.h"

/* Deliver @msg to the local APICs it addresses; @sender: an IPI's source. */
static void irq_route(struct kestrel_domain *dom,
		      const struct kestrel_irq_msg *msg, unsigned int shorthand,
		      struct kestrel_vcpu *sender)
{
	bool lowest = msg->delivery_mode == KESTREL_IRQ_DM_LOWEST &&
		      shorthand == KESTREL_LAPIC_SH_NONE;
	unsigned int i, n = dom->nr_vcpus, start = 0;

	/* Lowest priority: the first match after the previous choice. */
	if (lowest)
		start = (unsigned int)atomic_inc_return(&dom->irq_rr) % n;
	for (i = 0; i < n; i++) {
		struct kestrel_vcpu *v = &dom->vcpus[(start + i) % n];

		if (!kestrel_lapic_match_dest(v->lapic, msg->dest,
					      msg->dest_logical, shorthand,
					      v == sender))
			continue;
		if (kestrel_lapic_accept(v->lapic, msg))
			kestrel_vcpu_kick(v);
		if (lowest)
			break;
	}
}

static void ioapic_deliver(void *opaque, const struct kestrel_irq_msg *msg)
{
	irq_route(opaque, msg, KESTREL_LAPIC_SH_NONE, NULL);
}

void kestrel_irq_deliver(struct kestrel_domain *dom,
			 const struct kestrel_irq_msg *msg)
{
	irq_route(dom, msg, KESTREL_LAPIC_SH_NONE, NULL);
}

static void lapic_send_ipi(void *opaque, const struct kestrel_irq_msg *msg,
			   unsigned int shorthand)
{
	struct kestrel_vcpu *vcpu = opaque;

	irq_route(vcpu->dom, msg, shorthand, vcpu);
}

static void lapic_level_eoi(void *opaque, u8 vector)
{
	struct kestrel_vcpu *vcpu = opaque;

	kestrel_ioapic_eoi(vcpu->dom->ioapic, vector);
}

static void lapic_timer_fired(void *opaque)
{
	kestrel_vcpu_kick(opaque);
}

static const struct kestrel_lapic_ops lapic_ops = {
	.send_ipi = lapic_send_ipi,
	.level_eoi = lapic_level_eoi,
	.timer_fired = lapic_timer_fired,
};

/* The PIC's INTR output: only vCPU 0 can take it. */
static void pic_intr(void *opaque, bool level)
{
	struct kestrel_domain *dom = opaque;

	WRITE_ONCE(dom->pic_intr, level);
	if (level)
		kestrel_vcpu_kick(&dom->vcpus[0]);
}

void kestrel_isa_irq(struct kestrel_domain *dom, unsigned int irq, bool level)
{
	kestrel_pic_set_irq(dom->pic, irq, level);
	kestrel_ioapic_set_irq(dom->ioapic, irq ? irq : 2, level);
}

/* The guest's TSC rate, for the TSC-deadline timer; 0 if unknown. */
u32 kestrel_guest_tsc_khz(void)
{
	return boot_cpu_has(X86_FEATURE_TSC) ? tsc_khz : 0;
}

int kestrel_irq_init(struct kestrel_domain *dom)
{
	unsigned int i;

	dom->pic = kestrel_pic_create(pic_intr, dom);
	dom->ioapic = kestrel_ioapic_create(dom->nr_vcpus, ioapic_deliver, dom);
	if (!dom->pic || !dom->ioapic)
		return -ENOMEM;
	for (i = 0; i < dom->nr_vcpus; i++) {
		struct kestrel_vcpu *vcpu = &dom->vcpus[i];

		vcpu->lapic = kestrel_lapic_create(i, kestrel_guest_tsc_khz(),
						   &lapic_ops, vcpu);
		if (!vcpu->lapic)
			return -ENOMEM;
	}
	return 0;
}

/* After every vCPU thread stopped; cancels the APIC timers. */
void kestrel_irq_free(struct kestrel_domain *dom)
{
	unsigned int i;

	for (i = 0; dom->vcpus && i < dom->nr_vcpus; i++) {
		kestrel_lapic_destroy(dom->vcpus[i].lapic);
		dom->vcpus[i].lapic = NULL;
	}
	if (dom->ioapic)
		kestrel_ioapic_destroy(dom->ioapic);
	if (dom->pic)
		kestrel_pic_destroy(dom->pic);
	dom->ioapic = NULL;
	dom->pic = NULL;
}

/* A maskable interrupt is waiting for @vcpu (an ExtINT from the PIC too). */
static bool irq_pending(struct kestrel_vcpu *vcpu)
{
	if (kestrel_lapic_pending_vector(vcpu->lapic) >= 0)
		return true;
	return vcpu->idx == 0 && READ_ONCE(vcpu->dom->pic_intr) &&
	       kestrel_lapic_accepts_pic(vcpu->lapic);
}

bool kestrel_irq_wakes(struct kestrel_vcpu *vcpu)
{
	if (READ_ONCE(vcpu->nmi_pending) ||
	    kestrel_lapic_has_events(vcpu->lapic))
		return true;
	return READ_ONCE(vcpu->halt_if) && irq_pending(vcpu);
}

bool kestrel_irq_needs_thread(struct kestrel_vcpu *vcpu)
{
	return kestrel_lapic_has_events(vcpu->lapic);
}

void kestrel_irq_inject(struct kestrel_vcpu *vcpu)
{
	const struct kestrel_arch_ops *arch = kestrel_arch;
	int vector;

	if (vcpu->nmi_pending && arch->nmi_allowed(vcpu)) {
		arch->inject_nmi(vcpu);
		vcpu->nmi_pending = false;
		return;
	}
	if (!irq_pending(vcpu)) {
		arch->set_irq_window(vcpu, false);
		return;
	}
	if (!arch->irq_allowed(vcpu)) {
		/* Come back as soon as the guest can take it. */
		arch->set_irq_window(vcpu, true);
		return;
	}
	arch->set_irq_window(vcpu, false);
	vector = kestrel_lapic_pending_vector(vcpu->lapic);
	if (vector >= 0) {
		kestrel_lapic_ack(vcpu->lapic, vector);
	} else {
		/* The interrupt acknowledge cycle of the 8259A. */
		vector = kestrel_pic_ack(vcpu->dom->pic);
		if (vector < 0)
			return;
	}
	arch->inject_irq(vcpu, vector);
}
