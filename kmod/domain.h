/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Domains and vCPUs: the vendor-neutral objects.
 */
#ifndef KESTREL_DOMAIN_H
#define KESTREL_DOMAIN_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/sched.h>

#include "kestrel.h"
#include "memory.h"
#include "iobus.h"

struct kestrel_console;
struct kestrel_uart;
struct kestrel_pic;
struct kestrel_pit;
struct kestrel_rtc;
struct kestrel_acpi_pm;
struct kestrel_ioapic;
struct kestrel_lapic;

/* Bits of kestrel_vcpu.requests: what the vCPU thread must do next. */
enum {
	KESTREL_REQ_PAUSE,	/* park outside guest mode until cleared */
	KESTREL_REQ_STOP,	/* the domain is going away */
};

/* kestrel_vcpu.mode, for kicks */
enum {
	KESTREL_MODE_OUTSIDE,
	KESTREL_MODE_IN_GUEST,
};

#define KESTREL_MAX_NET_PAIRS	16

/* One device from DOMAIN_CREATE (uapi enum kestrel_dev_attr), checked. */
struct kestrel_dev_config {
	u32 type;			/* enum kestrel_dev_type */
	u32 slot;			/* PCI device number, 1-31 */
	u32 rate_bytes;			/* rng: per period; 0: unlimited */
	u32 rate_period;		/* rng: ms */
	/*
	 * block: the backend, borrowed from genl.c (which holds the
	 * reference) for the time of kestrel_domain_create() only: a device
	 * keeps its own reference; NULL afterwards.
	 */
	struct file *file;
	bool readonly;
	char serial[21];
	u32 queues;			/* block: 0: one per vCPU */
	/* net: the taps, one per queue pair, borrowed as @file is */
	struct file *taps[KESTREL_MAX_NET_PAIRS];
	u32 nr_taps;
	u8 mac[6];
	bool link_down;			/* net: starts with the link down */
};

/* libvirt's on_poweroff/on_reboot/on_crash: enum kestrel_lifecycle_action */
struct kestrel_actions {
	u32 on_poweroff;
	u32 on_reboot;
	u32 on_crash;
};

/* What the guest did that its actions answer (kestrel_domain.guest_event). */
enum kestrel_guest_event {
	KESTREL_GUEST_POWEROFF,
	KESTREL_GUEST_RESET,
	KESTREL_GUEST_CRASH,
};

/*
 * The boot image (DESIGN principle 9): the RAM regions userspace loaded
 * and every vCPU's registers, taken at the first start and put back by a
 * reboot in place (boot.c).  A region is either a copy or, for the kernel
 * and the initrd, a reference to the file it came from, checked unchanged
 * before it is read again.  Written once under dom->lock before the vCPUs
 * first run; read-only afterwards.
 */
struct kestrel_pci_bus;
struct kestrel_virtio_pci;

struct kestrel_boot_image {
	unsigned int nr_regions;
	struct {
		u64 gpa;
		u64 size;
		void *data;		/* kvmalloc'd copy, or NULL: */
		struct file *file;	/* its bytes from @offset */
		u64 offset;
		loff_t i_size;		/* the file as it was */
		struct timespec64 mtime;
		struct timespec64 ctime;
	} regions[KESTREL_MAX_BOOT_REGIONS];
	struct kestrel_regs *regs;	/* per vCPU */
	struct kestrel_sregs *sregs;	/* per vCPU */
	bool *regs_set;			/* per vCPU: runs at start */
};

/*
 * boot.c.  Take @regions of RAM (@files: those that are file ranges) and
 * every vCPU's registers as dom->boot, under dom->lock before the first
 * start, in the sender's context (the fds are its).  _free takes NULL.
 * _check: whether the files are still as they were (-ESTALE, logged, if
 * not).  _apply writes the regions back into guest RAM; it sleeps.
 */
int kestrel_boot_take(struct kestrel_domain *dom,
		      const struct kestrel_mem_region *regions, unsigned int nr,
		      const struct kestrel_boot_file *files,
		      unsigned int nr_files, struct netlink_ext_ack *extack);
void kestrel_boot_free(struct kestrel_boot_image *boot);
int kestrel_boot_check(struct kestrel_domain *dom);
int kestrel_boot_apply(struct kestrel_domain *dom);

/* A decoded exit, filled in by the vendor backend for exit.c. */
struct kestrel_exit {
	enum kestrel_exit_reason reason;
	u8 insn_len;		/* bytes to skip when the exit completes */
	union {
		struct {
			u16 port;
			u8 size;	/* 1, 2 or 4 */
			bool in;
			bool string;	/* INS/OUTS: not emulated */
		} io;
		struct {
			u64 gpa;
		} mmio;
		struct {
			u32 index;
			bool write;
		} msr;
		struct {
			u8 vector;	/* #UD etc. to inject for INVALID */
		} invalid;
	};
	u32 hw_code;		/* the vendor's own exit code, for logs */
	u64 hw_info1, hw_info2;
};

/*
 * A vCPU.  Lives as long as its domain.  Its thread is the only writer of
 * the guest register state while the domain runs; the netlink register
 * commands touch it only while the vCPU is parked (paused domain) or has
 * never run, under dom->lock.
 */
struct kestrel_vcpu {
	struct kestrel_domain *dom;
	unsigned int idx;
	struct task_struct *thread;	/* "kestrel/<id>:<idx>" once started */
	wait_queue_head_t wq;		/* the thread sleeps here */
	unsigned long requests;		/* KESTREL_REQ_*, atomic bitops */
	int mode;			/* KESTREL_MODE_*, READ_ONCE/smp_store_mb */
	int cpu;			/* CPU it runs or last ran on */
	bool parked;			/* thread acknowledged REQ_PAUSE */
	bool halted;			/* HLT with nothing to wake it */
	bool halt_if;			/* ...and RFLAGS.IF was set then */
	bool wait_sipi;			/* an AP after INIT: waits for SIPI */
	bool regs_set;			/* userspace set its registers */
	bool nmi_pending;		/* taken from the APIC, not injected */
	/* Its local APIC (irq.c): created with the domain, freed after the thread. */
	struct kestrel_lapic *lapic;

	u64 gprs[16];			/* x86 encoding order, RSP included */
	u64 rip;
	struct kestrel_exit exit;

	void *fpu;			/* XSAVE area of the guest, 64-byte aligned */
	u64 xcr0;			/* guest XCR0 */

	u64 cpu_time_ns;		/* written by the thread only */
	u64 exits[KESTREL_EXIT_COUNT];	/* written by the thread only */

	void *arch;			/* vendor state: VMCB or VMCS */
};

/*
 * A domain.
 *
 * Lifetime: a kref; the registry holds one reference from creation until
 * destroy, every open per-domain fd and every in-flight netlink command
 * holds one.  The last put frees the vCPUs, the memory and the console and
 * drops the module reference taken at creation, so the module cannot be
 * unloaded while a domain exists.
 *
 * Locking: @lock serialises lifecycle commands (start, pause, resume,
 * destroy) and register access; it may sleep and is never taken by a vCPU
 * thread.  @state_lock (a spinlock) protects @state and @reason, which
 * vCPU threads change too (crash).  The registry has its own mutex,
 * kestrel_domains_mutex in domain.c.
 */
struct kestrel_domain {
	struct kref ref;
	struct list_head node;		/* in the registry, by ID */
	u32 id;
	char name[KESTREL_NAME_MAX];
	u8 uuid[KESTREL_UUID_LEN];
	bool destroyed;			/* removed from the registry */

	struct mutex lock;
	spinlock_t state_lock;
	enum kestrel_dom_state state;
	u32 reason;
	bool started;			/* has run at least once */
	bool hw_held;			/* holds a kestrel_hw_get() reference */
	wait_queue_head_t park_wq;	/* pause waits here for vCPUs */

	struct kestrel_mem mem;
	unsigned int nr_vcpus;
	struct kestrel_vcpu *vcpus;

	void *xml;			/* opaque copy from the creator */
	u32 xml_len;

	struct kestrel_bus pio;		/* fixed after creation */
	struct kestrel_bus mmio;	/* fixed after creation */
	struct kestrel_console *console;
	struct kestrel_uart *uart;	/* platform.c: the devices */
	struct kestrel_pic *pic;
	struct kestrel_pit *pit;
	struct kestrel_rtc *rtc;
	struct kestrel_acpi_pm *pm;
	struct kestrel_ioapic *ioapic;
	bool pic_intr;			/* the PIC's INTR output, READ_ONCE */
	/* Every vCPU's TSC starts from this one offset: they stay in sync. */
	u64 tsc_offset;
	atomic_t irq_rr;		/* lowest-priority delivery turn */
	struct work_struct shutdown_work;	/* guest power-off, reset, crash */
	/* ...which one: set under @state_lock before the work is queued */
	enum kestrel_guest_event guest_event;
	struct kestrel_actions actions;	/* fixed at creation */
	bool reboot_on_poweroff;	/* SHUTDOWN with REBOOT; under @lock */
	struct kestrel_boot_image *boot;	/* NULL: none given */
	/*
	 * Devices: the configuration fixed at creation, and what platform.c
	 * made of it: the PCI bus and per device its model and transport.
	 * Created before the domain is visible, freed after its vCPUs
	 * stopped.
	 */
	unsigned int nr_devs;
	struct kestrel_dev_config devs[KESTREL_MAX_DEVICES];
	struct kestrel_pci_bus *pci;
	struct kestrel_dev_state {
		void *model;			/* by devs[i].type */
		struct kestrel_virtio_pci *vp;
		/*
		 * A disk's backend errors not yet sent as an event: counted
		 * by the blk hook in any context, sent and zeroed by
		 * @io_error_work.
		 */
		struct kestrel_domain *dom;
		atomic_t io_errors;
		int io_error_last;		/* WRITE_ONCE/READ_ONCE */
	} dev_state[KESTREL_MAX_DEVICES];
	/*
	 * Sends the io-error events.  Queued by the blk hook (any context)
	 * while the disks exist; cancelled after they are destroyed, so it
	 * never runs once platform.c has freed the devices.
	 */
	struct work_struct io_error_work;

	void *arch;			/* vendor state: nested page tables */
};

static inline void kestrel_vcpu_request(struct kestrel_vcpu *vcpu, int req)
{
	set_bit(req, &vcpu->requests);
}

/* domain.c */
struct netlink_ext_ack;

int kestrel_domain_create(const char *name, const u8 *uuid, u64 memory,
			  u32 nr_vcpus, const void *xml, u32 xml_len,
			  const struct kestrel_actions *actions,
			  const struct kestrel_dev_config *devs,
			  unsigned int nr_devs,
			  struct netlink_ext_ack *extack,
			  struct kestrel_domain **domp);
struct kestrel_domain *kestrel_domain_get_by_id(u32 id);
struct kestrel_domain *kestrel_domain_get_by_name(const char *name);
struct kestrel_domain *kestrel_domain_get_by_uuid(const u8 *uuid);
struct kestrel_domain *kestrel_domain_get_next(u32 id);
void kestrel_domain_put(struct kestrel_domain *dom);
void kestrel_domain_get_state(struct kestrel_domain *dom, u32 *state,
			      u32 *reason);
u64 kestrel_domain_cpu_time(struct kestrel_domain *dom);
void kestrel_domain_get_stats(struct kestrel_domain *dom, u64 *exits,
			      u64 *vcpu_time);
int kestrel_domain_start(struct kestrel_domain *dom,
			 const struct kestrel_mem_region *regions,
			 unsigned int nr_regions,
			 const struct kestrel_boot_file *files,
			 unsigned int nr_files,
			 struct netlink_ext_ack *extack);
int kestrel_domain_shutdown(struct kestrel_domain *dom, bool reboot,
			    struct netlink_ext_ack *extack);
int kestrel_domain_reset(struct kestrel_domain *dom,
			 struct netlink_ext_ack *extack);
int kestrel_domain_pause(struct kestrel_domain *dom,
			 struct netlink_ext_ack *extack);
int kestrel_domain_resume(struct kestrel_domain *dom,
			  struct netlink_ext_ack *extack);
int kestrel_domain_destroy(struct kestrel_domain *dom,
			   struct netlink_ext_ack *extack);
int kestrel_domain_get_regs(struct kestrel_domain *dom, u32 vcpu,
			    struct kestrel_regs *regs,
			    struct kestrel_sregs *sregs,
			    struct netlink_ext_ack *extack);
int kestrel_domain_set_regs(struct kestrel_domain *dom, u32 vcpu,
			    const struct kestrel_regs *regs,
			    const struct kestrel_sregs *sregs,
			    struct netlink_ext_ack *extack);
void kestrel_domain_crash(struct kestrel_domain *dom, const char *why);
void kestrel_domain_shutdown_from_guest(struct kestrel_domain *dom, bool reset);
void kestrel_domain_power_button(struct kestrel_domain *dom);

/* vcpu.c */
int kestrel_vcpus_init(struct kestrel_domain *dom);
void kestrel_vcpus_free(struct kestrel_domain *dom);
int kestrel_vcpus_start(struct kestrel_domain *dom);
void kestrel_vcpus_stop(struct kestrel_domain *dom);
void kestrel_vcpus_pause(struct kestrel_domain *dom);
void kestrel_vcpus_resume(struct kestrel_domain *dom);
bool kestrel_vcpus_all_halted(struct kestrel_domain *dom);
void kestrel_vcpu_reset(struct kestrel_vcpu *vcpu,
			const struct kestrel_regs *regs,
			const struct kestrel_sregs *sregs, bool runs);
void kestrel_vcpu_kick(struct kestrel_vcpu *vcpu);

/* exit.c: 0 to re-enter, 1 to leave the burst (sleep), <0 fatal */
int kestrel_handle_exit(struct kestrel_vcpu *vcpu);

#endif /* KESTREL_DOMAIN_H */
