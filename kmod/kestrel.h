/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kestrel module internals shared between its files.
 */
#ifndef KESTREL_H
#define KESTREL_H

#include <linux/types.h>
#include <linux/percpu-defs.h>
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

struct kestrel_domain;
struct kestrel_vcpu;
struct kestrel_emu_ctx;

/*
 * A vendor backend: everything that differs between SVM and VMX.
 *
 * detect() only reads CPUID and MSRs; it never enables anything.  It
 * returns 0 when the backend is usable, -ENODEV when the CPU lacks the
 * extension, and another negative errno with hw->detail set when the
 * extension is present but cannot be used.
 *
 * hw_enable()/hw_disable() run on each CPU (IPI context) while the first
 * domain starts and after the last one is gone; hw_enable() returns -EBUSY
 * when another hypervisor owns the extension on that CPU.
 *
 * vcpu_load(), vcpu_run() and vcpu_put() run in the vCPU thread with
 * preemption disabled; vcpu_run() also with interrupts disabled.  It
 * enters the guest once, copies the guest GPRs and RIP to the vcpu and
 * decodes the exit into vcpu->exit.
 */
struct kestrel_arch_ops {
	const char *name;
	enum kestrel_backend backend;
	int (*detect)(struct kestrel_hw *hw);
	/* at module load when this backend is in use, and at unload */
	int (*init)(void);
	void (*exit)(void);

	int (*hw_enable)(void);
	void (*hw_disable)(void);

	int (*dom_init)(struct kestrel_domain *dom);
	void (*dom_free)(struct kestrel_domain *dom);

	int (*vcpu_init)(struct kestrel_vcpu *vcpu);
	void (*vcpu_free)(struct kestrel_vcpu *vcpu);
	void (*vcpu_load)(struct kestrel_vcpu *vcpu);
	void (*vcpu_put)(struct kestrel_vcpu *vcpu);
	void (*vcpu_run)(struct kestrel_vcpu *vcpu);

	void (*get_regs)(struct kestrel_vcpu *vcpu, struct kestrel_regs *regs);
	void (*set_regs)(struct kestrel_vcpu *vcpu,
			 const struct kestrel_regs *regs);
	void (*get_sregs)(struct kestrel_vcpu *vcpu,
			  struct kestrel_sregs *sregs);
	/* -EINVAL for a state the hardware would refuse to enter */
	int (*set_sregs)(struct kestrel_vcpu *vcpu,
			 const struct kestrel_sregs *sregs);

	void (*inject_exception)(struct kestrel_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error);
	/*
	 * Interrupts, inside a burst only (the VMCB/VMCS current, interrupts
	 * off).  irq_allowed: RFLAGS.IF set, no interrupt shadow, no event
	 * queued for the next entry; nmi_allowed: the same without IF and
	 * with NMIs unblocked.  inject_irq/inject_nmi queue the event for
	 * the next entry.  set_irq_window: exit (KESTREL_EXIT_IRQ_WINDOW) as
	 * soon as the guest can take an interrupt, or not; cheap when
	 * nothing changes.  rflags_if: RFLAGS.IF now.
	 */
	bool (*irq_allowed)(struct kestrel_vcpu *vcpu);
	bool (*nmi_allowed)(struct kestrel_vcpu *vcpu);
	void (*inject_irq)(struct kestrel_vcpu *vcpu, u8 vector);
	void (*inject_nmi)(struct kestrel_vcpu *vcpu);
	void (*set_irq_window)(struct kestrel_vcpu *vcpu, bool on);
	bool (*rflags_if)(struct kestrel_vcpu *vcpu);
	/*
	 * A reboot in place, outside a burst: drop any event queued for
	 * injection and the interrupt shadow, and flush the guest's TLB
	 * before the next entry.
	 */
	void (*reset_events)(struct kestrel_vcpu *vcpu);
	/* MSRs the VMCB/VMCS holds: 0, or -ENOENT if not one of them */
	int (*get_msr)(struct kestrel_vcpu *vcpu, u32 index, u64 *val);
	/*
	 * ... and -EINVAL for a value the guest may not write (#GP); exit.c
	 * has already refused non-canonical addresses and invalid PATs.
	 */
	int (*set_msr)(struct kestrel_vcpu *vcpu, u32 index, u64 val);
	u64 (*get_cr4)(struct kestrel_vcpu *vcpu);
	void (*get_emu_ctx)(struct kestrel_vcpu *vcpu,
			    struct kestrel_emu_ctx *ctx);
};

extern const struct kestrel_arch_ops kestrel_svm_ops;
extern const struct kestrel_arch_ops kestrel_vmx_ops;
/*
 * The backend in use; NULL when there is none, or when the CPU's
 * extension is detected (kestrel_hw.backend) but its backend cannot run
 * domains yet.  Set once at load.
 */
extern const struct kestrel_arch_ops *kestrel_arch;

/* Hardware virtualization on every CPU, held by started domains. */
int kestrel_hw_get(void);
void kestrel_hw_put(void);
DECLARE_PER_CPU(bool, kestrel_hw_on);
struct workqueue_struct;
extern struct workqueue_struct *kestrel_wq;

void kestrel_hw_detect(struct kestrel_hw *hw);

/* genl.c */
int kestrel_genl_init(void);
void kestrel_genl_exit(void);
void kestrel_genl_notify(struct kestrel_domain *dom, u32 event, u32 detail,
			 gfp_t gfp);
void kestrel_genl_notify_io_error(struct kestrel_domain *dom, u32 slot,
				  int err, u32 count);

/* domain.c */
unsigned int kestrel_domain_count(void);

#endif /* KESTREL_H */
