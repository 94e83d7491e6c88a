/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC of one vCPU (Intel SDM volume 3, chapter 11 "Advanced
 * Programmable Interrupt Controller"), in xAPIC mode through MMIO at
 * 0xfee00000 and in x2APIC mode through the MSRs 0x800-0x8ff.  Register it
 * on the vCPU's MMIO bus as
 *
 *	{ .base = KESTREL_LAPIC_BASE, .len = KESTREL_LAPIC_SIZE,
 *	  .read = kestrel_lapic_mmio_read,
 *	  .write = kestrel_lapic_mmio_write, .opaque = lapic }
 *
 * The local APIC never calls anything else with its lock held: an IPI the
 * guest sends (ICR, x2APIC self-IPI) and an EOI of a level-triggered
 * interrupt are handed to @ops->send_ipi and @ops->level_eoi after the lock
 * is dropped, so the caller may route the IPI to other local APICs
 * (kestrel_lapic_match_dest(), kestrel_lapic_accept()) and tell the I/O APIC
 * (kestrel_ioapic_eoi()) from there.  kestrel_lapic_accept() may be called
 * with the I/O APIC's lock held (the local APIC's lock nests inside it).
 */
#ifndef KESTREL_DEV_LAPIC_H
#define KESTREL_DEV_LAPIC_H

#include <linux/types.h>

#include "irq.h"

#define KESTREL_LAPIC_BASE	0xfee00000ULL
#define KESTREL_LAPIC_SIZE	0x1000
#define KESTREL_LAPIC_VERSION	0x00050014	/* version 0x14, max LVT 5 */
/* The timer counts at 1 GHz before the divider (lapic.c). */
#define KESTREL_LAPIC_BUS_KHZ	1000000

/* Delivery mode 6 of an ICR: startup (SIPI); irq.h lacks it. */
#ifndef KESTREL_IRQ_DM_STARTUP
#define KESTREL_IRQ_DM_STARTUP	6
#endif

/* MSRs */
#define KESTREL_MSR_APIC_BASE		0x1b
#define KESTREL_MSR_TSC_DEADLINE	0x6e0
#define KESTREL_MSR_X2APIC_FIRST	0x800
#define KESTREL_MSR_X2APIC_LAST		0x8ff

/* IA32_APIC_BASE bits */
#define KESTREL_APIC_BASE_BSP		(1ULL << 8)
#define KESTREL_APIC_BASE_EXTD		(1ULL << 10)	/* x2APIC mode */
#define KESTREL_APIC_BASE_EN		(1ULL << 11)

/* Destination shorthands (ICR bits 19:18) */
#define KESTREL_LAPIC_SH_NONE		0
#define KESTREL_LAPIC_SH_SELF		1
#define KESTREL_LAPIC_SH_ALL		2	/* all including self */
#define KESTREL_LAPIC_SH_OTHERS		3	/* all excluding self */

/* Events for the vCPU, kestrel_lapic_take_events() */
#define KESTREL_LAPIC_EV_NMI		(1U << 0)
#define KESTREL_LAPIC_EV_INIT		(1U << 1)	/* already applied */
#define KESTREL_LAPIC_EV_SIPI		(1U << 2)
#define KESTREL_LAPIC_EV_EXTINT		(1U << 3)	/* ask the PIC */

/* LVT indexes for kestrel_lapic_get_lvt() */
#define KESTREL_LAPIC_LVT_CMCI		0
#define KESTREL_LAPIC_LVT_TIMER		1
#define KESTREL_LAPIC_LVT_THERMAL	2
#define KESTREL_LAPIC_LVT_PERF		3
#define KESTREL_LAPIC_LVT_LINT0		4
#define KESTREL_LAPIC_LVT_LINT1		5
#define KESTREL_LAPIC_LVT_ERROR		6
#define KESTREL_LAPIC_NR_LVT		7

struct kestrel_lapic;

struct kestrel_lapic_ops {
	/*
	 * The guest sent an IPI: deliver @msg to every local APIC for which
	 * kestrel_lapic_match_dest(apic, msg->dest, msg->dest_logical,
	 * @shorthand, apic == sender) holds (lowest priority: to one of
	 * them).  Called from the vCPU thread that wrote the ICR, without
	 * the local APIC's lock.
	 */
	void (*send_ipi)(void *opaque, const struct kestrel_irq_msg *msg,
			 unsigned int shorthand);
	/*
	 * The guest EOI'd level-triggered @vector: call kestrel_ioapic_eoi().
	 * Called from the vCPU thread, without the local APIC's lock.
	 */
	void (*level_eoi)(void *opaque, u8 vector);
	/*
	 * The APIC timer fired (its vector may now be pending): kick the
	 * vCPU.  Called from hrtimer (hard interrupt) context without the
	 * lock: must not sleep.
	 */
	void (*timer_fired)(void *opaque);
};

/*
 * Power-on state of the local APIC of vCPU @vcpu_id (its APIC ID; vCPU 0 is
 * the BSP).  @tsc_khz is the guest TSC frequency for TSC-deadline mode (0:
 * the TSC-deadline timer never fires; do not advertise it).  Returns NULL
 * when out of memory.  May sleep.
 */
struct kestrel_lapic *kestrel_lapic_create(u32 vcpu_id, u32 tsc_khz,
					   const struct kestrel_lapic_ops *ops,
					   void *opaque);
/* Cancels the timer synchronously.  Nothing may call in any more.  Sleeps. */
void kestrel_lapic_destroy(struct kestrel_lapic *lapic);
/* Back to the power-on state (a vCPU reset). */
void kestrel_lapic_reset(struct kestrel_lapic *lapic);

/*
 * Interrupt messages.  match_dest: does a message for @dest (@logical:
 * logical destination mode) with destination shorthand @shorthand
 * (KESTREL_LAPIC_SH_*) reach this local APIC; @is_self: this APIC sent it.
 * accept: take a message this APIC matched; returns true when the vCPU has
 * something new to look at (kick it).  Never sleep; any context.
 */
bool kestrel_lapic_match_dest(struct kestrel_lapic *lapic, u32 dest,
			      bool logical, unsigned int shorthand,
			      bool is_self);
bool kestrel_lapic_accept(struct kestrel_lapic *lapic,
			  const struct kestrel_irq_msg *msg);

/*
 * Injection, by the vCPU: pending_vector is the fixed interrupt to inject
 * (-1: none, or masked by the task/processor priority); ack: @vector was
 * injected (IRR -> ISR).  take_events returns and clears the
 * KESTREL_LAPIC_EV_* pending; for EV_SIPI *@sipi_vector is the start
 * vector.  EV_INIT means the APIC already went through INIT: reset the vCPU,
 * which then runs (BSP) or waits for SIPI (the others); EV_SIPI may come
 * with it (INIT and SIPI both arrived).
 */
int kestrel_lapic_pending_vector(struct kestrel_lapic *lapic);
void kestrel_lapic_ack(struct kestrel_lapic *lapic, u8 vector);
unsigned int kestrel_lapic_take_events(struct kestrel_lapic *lapic,
				       u8 *sipi_vector);
/*
 * has_events: an INIT, SIPI or NMI waits for take_events (nothing is
 * taken).  accepts_pic: the 8259A's INTR output reaches this CPU, because
 * the local APIC is disabled (INTR goes straight to the core) or LINT0 is
 * unmasked in ExtINT mode (virtual wire).  Never sleep; any context.
 */
bool kestrel_lapic_has_events(struct kestrel_lapic *lapic);
bool kestrel_lapic_accepts_pic(struct kestrel_lapic *lapic);
/*
 * The LINT0/LINT1 input @pin is now at @level: a rising edge on an
 * unmasked pin delivers by its LVT (fixed, NMI, ExtINT).  True: kick.
 */
bool kestrel_lapic_set_lint(struct kestrel_lapic *lapic, unsigned int pin,
			    bool level);
/* An LVT register (KESTREL_LAPIC_LVT_*), e.g. LINT0/LINT1 delivery modes. */
u32 kestrel_lapic_get_lvt(struct kestrel_lapic *lapic, unsigned int lvt);

/*
 * xAPIC MMIO handlers; @addr is the offset in the page.  4-byte accesses
 * at 16-byte-aligned offsets are the registers; a narrower or misaligned
 * read returns the bytes of the containing 32-bit register, writes other
 * than aligned 4-byte ones are ignored, and so is everything while the
 * APIC is disabled or in x2APIC mode (reads: 0).  Never sleep.
 */
u64 kestrel_lapic_mmio_read(void *opaque, u64 addr, unsigned int len);
void kestrel_lapic_mmio_write(void *opaque, u64 addr, unsigned int len,
			      u64 val);

/*
 * MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range.  A
 * negative return (-EINVAL) means: inject #GP.  @guest_tsc is the guest's
 * TSC at the time of the access (only used by IA32_TSC_DEADLINE writes).
 * A host-initiated IA32_APIC_BASE write (@host) may make any legal mode
 * change.  Never sleep.
 */
int kestrel_lapic_msr_read(struct kestrel_lapic *lapic, u32 msr, u64 *val);
int kestrel_lapic_msr_write(struct kestrel_lapic *lapic, u32 msr, u64 val,
			    u64 guest_tsc, bool host);

#endif /* KESTREL_DEV_LAPIC_H */
