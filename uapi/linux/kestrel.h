/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Kestrel: the contract between the kestrel module and userspace.
 *
 * Control plane: the generic netlink family KESTREL_GENL_NAME.  Every
 * request is validated against a strict per-command policy; every
 * rejection carries an extack message.  Lifecycle events go out on the
 * multicast group KESTREL_MCGRP_EVENTS.
 *
 * Data plane: the misc character device /dev/kestrel, which hands out
 * per-domain file descriptors (guest RAM mapping, console stream).
 */
#ifndef _UAPI_LINUX_KESTREL_H
#define _UAPI_LINUX_KESTREL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KESTREL_GENL_NAME	"kestrel"
#define KESTREL_GENL_VERSION	1
#define KESTREL_MCGRP_EVENTS	"events"

/* Bumped on any incompatible change of this file. */
#define KESTREL_API_VERSION	1

/* Limits of attributes (bytes, including the terminating NUL for strings). */
#define KESTREL_NAME_MAX	64
#define KESTREL_UUID_LEN	16
#define KESTREL_XML_MAX		65000	/* an attribute payload is < 64 KiB */

enum kestrel_backend {
	KESTREL_BACKEND_NONE,	/* no usable hardware virtualization */
	KESTREL_BACKEND_SVM,	/* AMD-V with nested paging */
	KESTREL_BACKEND_VMX,	/* Intel VT-x with EPT */
};

/*
 * Hardware features, reported as one u64 bitmask (KESTREL_A_FEATURES).
 * Bits 0-15 describe SVM, bits 16-31 VMX.  Optional features are used when
 * present; the backend needs only what KESTREL_FEAT_NPT / KESTREL_FEAT_EPT
 * (and, for VMX, unrestricted guest) give it.
 */
enum kestrel_feature {
	KESTREL_FEAT_NPT		= 0,	/* nested page tables */
	KESTREL_FEAT_NRIPS		= 1,	/* next-RIP saved on exit */
	KESTREL_FEAT_VMCB_CLEAN		= 2,	/* VMCB clean bits */
	KESTREL_FEAT_FLUSH_BY_ASID	= 3,
	KESTREL_FEAT_DECODE_ASSISTS	= 4,
	KESTREL_FEAT_PAUSE_FILTER	= 5,
	KESTREL_FEAT_AVIC		= 6,
	KESTREL_FEAT_TSC_RATE		= 7,	/* TSC ratio MSR */
	KESTREL_FEAT_LBR_VIRT		= 8,
	KESTREL_FEAT_VGIF		= 9,
	KESTREL_FEAT_VLS		= 10,	/* virtual VMLOAD/VMSAVE */

	KESTREL_FEAT_EPT		= 16,
	KESTREL_FEAT_VPID		= 17,
	KESTREL_FEAT_UNRESTRICTED	= 18,	/* unrestricted guest */
	KESTREL_FEAT_EPT_2M		= 19,
	KESTREL_FEAT_EPT_1G		= 20,
	KESTREL_FEAT_EPT_AD		= 21,	/* EPT accessed/dirty bits */
	KESTREL_FEAT_TRUE_CTLS		= 22,	/* IA32_VMX_TRUE_*_CTLS */
	KESTREL_FEAT_PREEMPT_TIMER	= 23,
	KESTREL_FEAT_POSTED_INTR	= 24,
	KESTREL_FEAT_APIC_VIRT		= 25,	/* virtualize APIC accesses */
	KESTREL_FEAT_TSC_SCALING	= 26,
	KESTREL_FEAT_INVPCID		= 27,	/* enable INVPCID in guest */

	KESTREL_FEAT_COUNT		= 32
};

/*
 * Domain states and reasons use libvirt's numbering (virDomainState and
 * the virDomain*Reason enums) so that tools map them 1:1.
 */
enum kestrel_dom_state {
	KESTREL_STATE_NOSTATE = 0,
	KESTREL_STATE_RUNNING = 1,
	KESTREL_STATE_BLOCKED = 2,	/* every vCPU halted */
	KESTREL_STATE_PAUSED = 3,
	KESTREL_STATE_SHUTDOWN = 4,	/* being shut down */
	KESTREL_STATE_SHUTOFF = 5,	/* created, not started; or stopped */
	KESTREL_STATE_CRASHED = 6,
};

enum kestrel_running_reason {
	KESTREL_RUNNING_UNKNOWN = 0,
	KESTREL_RUNNING_BOOTED = 1,
	KESTREL_RUNNING_UNPAUSED = 5,
};

enum kestrel_paused_reason {
	KESTREL_PAUSED_UNKNOWN = 0,
	KESTREL_PAUSED_USER = 1,
};

enum kestrel_shutoff_reason {
	KESTREL_SHUTOFF_UNKNOWN = 0,
	KESTREL_SHUTOFF_SHUTDOWN = 1,
	KESTREL_SHUTOFF_DESTROYED = 2,
	KESTREL_SHUTOFF_CRASHED = 3,
	KESTREL_SHUTOFF_FAILED = 6,
};

enum kestrel_crashed_reason {
	KESTREL_CRASHED_UNKNOWN = 0,
	KESTREL_CRASHED_PANICKED = 1,	/* triple fault, guest panic */
};

/* Lifecycle events (virDomainEventType) and their details. */
enum kestrel_event {
	KESTREL_EVENT_DEFINED = 0,
	KESTREL_EVENT_UNDEFINED = 1,
	KESTREL_EVENT_STARTED = 2,
	KESTREL_EVENT_SUSPENDED = 3,
	KESTREL_EVENT_RESUMED = 4,
	KESTREL_EVENT_STOPPED = 5,
	KESTREL_EVENT_SHUTDOWN = 6,
	KESTREL_EVENT_PMSUSPENDED = 7,
	KESTREL_EVENT_CRASHED = 8,
};

#define KESTREL_EVENT_DEFINED_ADDED		0
#define KESTREL_EVENT_STARTED_BOOTED		0
#define KESTREL_EVENT_SUSPENDED_PAUSED		0
#define KESTREL_EVENT_RESUMED_UNPAUSED		0
#define KESTREL_EVENT_STOPPED_SHUTDOWN		0
#define KESTREL_EVENT_STOPPED_DESTROYED		1
#define KESTREL_EVENT_STOPPED_CRASHED		2
#define KESTREL_EVENT_STOPPED_FAILED		5
#define KESTREL_EVENT_CRASHED_PANICKED		0
/*
 * Not a lifecycle event (libvirt reports it through its own "reboot" event
 * ID): the guest rebooted and the domain restarted in place
 * (on_reboot = restart).  Detail 0.
 */
#define KESTREL_EVENT_REBOOTED			100
/*
 * Not a lifecycle event either (libvirt's "io-error" event ID): a disk's
 * backend failed requests, which the guest got as I/O errors (libvirt's
 * action "report").  KESTREL_A_EVENT_SLOT names the disk by its PCI slot,
 * KESTREL_A_EVENT_ERRNO is the last error (a positive errno) and
 * KESTREL_A_EVENT_COUNT how many requests failed since the previous
 * io-error event of that disk: errors that come faster than the events
 * can be sent are folded into one.  Detail 0.
 */
#define KESTREL_EVENT_IO_ERROR			101

/*
 * What happens when the guest powers off, reboots or crashes
 * (KESTREL_A_DOM_ON_POWEROFF, _ON_REBOOT, _ON_CRASH; libvirt's
 * on_poweroff/on_reboot/on_crash).  Without the attribute the kernel uses
 * DESTROY for power-off and reboot and PRESERVE for a crash.
 *   DESTROY:  the domain stops (shut off with the reason) and goes away:
 *             kernel domains are transient.
 *   RESTART:  the domain resets in place: RAM zeroed, the boot image
 *             (KESTREL_A_DOM_BOOT_REGIONS) re-applied, every vCPU and
 *             device back to its state at the first start.
 *   PRESERVE: the vCPUs stop and the domain stays, crashed (or shut off),
 *             until destroyed, so its memory can be inspected.
 */
enum kestrel_lifecycle_action {
	KESTREL_ACTION_DESTROY = 0,
	KESTREL_ACTION_RESTART = 1,
	KESTREL_ACTION_PRESERVE = 2,
};

/*
 * One region of the boot image (KESTREL_A_DOM_BOOT_REGIONS is an array of
 * these): guest-physical RAM userspace loaded before the first start.
 */
struct kestrel_mem_region {
	__u64 gpa;
	__u64 size;
};

#define KESTREL_MAX_BOOT_REGIONS	16

/*
 * A boot region whose bytes are a range of a file (KESTREL_A_DOM_BOOT_FILES
 * is an array of these, next to KESTREL_A_DOM_BOOT_REGIONS): the kernel
 * image and the initrd.  Instead of copying such a region the kernel keeps
 * a reference to the file and reads it again on reboot, so the boot image
 * costs no memory beyond the page cache.  @gpa and @size name one of the
 * boot regions exactly; @fd is the sender's descriptor of a regular file
 * open for reading whose bytes at @offset equal the region's in guest RAM
 * (checked).  A reboot finds the file as it was at the first start (size,
 * modification and change times) or does not happen: the domain then
 * shuts off as failed.  @flags is 0.
 */
struct kestrel_boot_file {
	__u64 gpa;
	__u64 size;
	__u64 offset;
	__s32 fd;
	__u32 flags;
};

/* Exit reasons counted per domain (KESTREL_A_STAT_EXITS, indexed by these). */
enum kestrel_exit_reason {
	KESTREL_EXIT_CPUID,
	KESTREL_EXIT_MSR_READ,
	KESTREL_EXIT_MSR_WRITE,
	KESTREL_EXIT_IO,
	KESTREL_EXIT_MMIO,
	KESTREL_EXIT_HLT,
	KESTREL_EXIT_HYPERCALL,		/* VMMCALL / VMCALL */
	KESTREL_EXIT_INTR,		/* host interrupt */
	KESTREL_EXIT_NMI,
	KESTREL_EXIT_SHUTDOWN,		/* triple fault */
	KESTREL_EXIT_EXCEPTION,
	KESTREL_EXIT_INVALID,		/* instruction the guest may not use */
	KESTREL_EXIT_NPF,		/* nested page fault outside MMIO */
	KESTREL_EXIT_XSETBV,
	KESTREL_EXIT_OTHER,
	KESTREL_EXIT_IRQ_WINDOW,	/* the guest can take an interrupt now */
	KESTREL_EXIT_COUNT
};

/*
 * Guest physical layout: RAM from 0 up to KESTREL_MMIO_HOLE_START, the MMIO
 * hole up to 4 GiB (local APIC, I/O APIC, device windows), the rest of RAM
 * from 4 GiB.
 */
#define KESTREL_MMIO_HOLE_START	0xc0000000ULL
#define KESTREL_MMIO_HOLE_END	0x100000000ULL

/*
 * PCI in the MMIO hole: bus 0 only.  The 32-bit memory window from which
 * BARs are assigned (inclusive end), and the ECAM (PCI Express enhanced
 * configuration access) region of bus 0: 32 devices x 8 functions x 4 KiB.
 */
#define KESTREL_PCI_MMIO_START	0xc0000000ULL
#define KESTREL_PCI_MMIO_END	0xdfffffffULL
#define KESTREL_PCI_ECAM_BASE	0xe0000000ULL
#define KESTREL_PCI_ECAM_SIZE	0x100000ULL

/*
 * Hypercalls (VMMCALL on SVM, VMCALL on VMX): number in RAX, result in RAX.
 * Unknown numbers return -KESTREL_HC_ENOSYS, as KVM's do.
 */
#define KESTREL_HC_NOP		0	/* returns 0: the cheapest exit */
#define KESTREL_HC_ENOSYS	1000

/* Limits of a domain. */
#define KESTREL_MAX_VCPUS	64
#define KESTREL_MIN_MEMORY	(2ULL << 20)
#define KESTREL_MAX_MEMORY	(1ULL << 40)

/*
 * vCPU register state (KESTREL_A_VCPU_REGS), readable and writable while
 * the domain is shut off before its first start, paused, or crashed.
 */
struct kestrel_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

struct kestrel_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 attrib;	/* VMCB format: type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1 */
};

struct kestrel_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

/* KESTREL_A_VCPU_SREGS */
struct kestrel_sregs {
	struct kestrel_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct kestrel_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, efer;
};

/* Generic netlink commands. */
enum kestrel_cmd {
	KESTREL_CMD_UNSPEC,
	/*
	 * GET_INFO: no attributes in; replies with VERSION, API_VERSION,
	 * BACKEND, BACKEND_DETAIL, FEATURES, HW_REVISION, NR_ASIDS,
	 * HOST_CPUS, ACTIVE_DOMAINS, TSC_KHZ.  Open to every local user.
	 */
	KESTREL_CMD_GET_INFO,
	/*
	 * DOMAIN_CREATE: DOM_NAME, DOM_MEMORY, DOM_VCPUS required; DOM_UUID,
	 * DOM_XML and DOM_ON_POWEROFF/_ON_REBOOT/_ON_CRASH optional.  The domain starts shut off with zeroed RAM;
	 * the reply is a domain message.  Fails with EOPNOTSUPP when the
	 * backend is KESTREL_BACKEND_NONE.
	 */
	KESTREL_CMD_DOMAIN_CREATE,
	/*
	 * DOMAIN_GET: one domain named by DOM_ID, DOM_NAME or DOM_UUID (a
	 * domain message, with DOM_XML when DOM_WANT_XML is given), or a dump
	 * of all domains (without XML).  Open to every local user.
	 */
	KESTREL_CMD_DOMAIN_GET,
	/*
	 * START, PAUSE, RESUME, DESTROY: the domain named as for GET.  The
	 * first START may carry DOM_BOOT_REGIONS: those bytes of guest RAM
	 * and every vCPU's registers are kept as the boot image that
	 * on_reboot = restart and DOMAIN_RESET re-apply.
	 */
	KESTREL_CMD_DOMAIN_START,
	KESTREL_CMD_DOMAIN_PAUSE,
	KESTREL_CMD_DOMAIN_RESUME,
	KESTREL_CMD_DOMAIN_DESTROY,
	/*
	 * DOMAIN_STATS: the domain's exit counts and per-vCPU CPU time, and
	 * STAT_DEVICES: one nested DEVICE per device of DOMAIN_CREATE's
	 * DOM_DEVICES, in that order, with its DEV_TYPE, DEV_SLOT and, for
	 * block and net devices, their DEV_STAT_* counters.
	 */
	KESTREL_CMD_DOMAIN_STATS,
	/* VCPU_GET_REGS / VCPU_SET_REGS: domain, VCPU_ID, REGS and SREGS. */
	KESTREL_CMD_VCPU_GET_REGS,
	KESTREL_CMD_VCPU_SET_REGS,
	/* DOMAIN_EVENT: multicast notification on KESTREL_MCGRP_EVENTS. */
	KESTREL_CMD_DOMAIN_EVENT,
	/*
	 * DOMAIN_SHUTDOWN: press the ACPI power button of a running domain;
	 * the guest decides.  With DOM_REBOOT the guest's next power-off
	 * restarts the domain instead (libvirt's reboot through ACPI).
	 */
	KESTREL_CMD_DOMAIN_SHUTDOWN,
	/* DOMAIN_RESET: hard reset of a running domain (virsh reset). */
	KESTREL_CMD_DOMAIN_RESET,
	/*
	 * DEVICE_SET_LINK: the domain named as for GET, LINK_SLOT (the PCI
	 * slot of one of its network devices) and LINK_STATE: the link as
	 * the guest sees it (virsh domif-setlink), in any domain state; a
	 * reset keeps it.  DOMAIN_STATS reports it (DEV_LINK_DOWN).
	 */
	KESTREL_CMD_DEVICE_SET_LINK,
	/*
	 * Every command but GET_INFO, DOMAIN_GET and DOMAIN_STATS needs
	 * CAP_SYS_ADMIN in the initial user namespace.
	 */

	__KESTREL_CMD_MAX,
	KESTREL_CMD_MAX = __KESTREL_CMD_MAX - 1
};

/* Attributes: one flat space shared by all commands. */
enum kestrel_attr {
	KESTREL_A_UNSPEC,
	KESTREL_A_PAD,			/* alignment padding for u64 */
	KESTREL_A_VERSION,		/* string: module version */
	KESTREL_A_API_VERSION,		/* u32: KESTREL_API_VERSION */
	KESTREL_A_BACKEND,		/* u32: enum kestrel_backend */
	KESTREL_A_BACKEND_DETAIL,	/* string: why the backend is what it is */
	KESTREL_A_FEATURES,		/* u64: bitmask of enum kestrel_feature */
	KESTREL_A_HW_REVISION,		/* u32: SVM revision / VMCS revision id */
	KESTREL_A_NR_ASIDS,		/* u32: SVM ASIDs or VMX VPIDs usable */
	KESTREL_A_HOST_CPUS,		/* u32: online host CPUs */
	KESTREL_A_ACTIVE_DOMAINS,	/* u32: domains that exist now */

	KESTREL_A_DOM_ID,		/* u32: domain ID, never reused */
	KESTREL_A_DOM_NAME,		/* string, < KESTREL_NAME_MAX */
	KESTREL_A_DOM_UUID,		/* binary, KESTREL_UUID_LEN */
	KESTREL_A_DOM_MEMORY,		/* u64: guest RAM in bytes */
	KESTREL_A_DOM_VCPUS,		/* u32: number of vCPUs */
	KESTREL_A_DOM_XML,		/* binary: opaque copy of the XML */
	KESTREL_A_DOM_WANT_XML,		/* flag: include DOM_XML in GET */
	KESTREL_A_DOM_STATE,		/* u32: enum kestrel_dom_state */
	KESTREL_A_DOM_REASON,		/* u32: the state's reason */
	KESTREL_A_DOM_CPU_TIME,		/* u64: ns of guest CPU time, all vCPUs */
	KESTREL_A_EVENT,		/* u32: enum kestrel_event */
	KESTREL_A_EVENT_DETAIL,		/* u32: the event's detail */
	KESTREL_A_VCPU_ID,		/* u32: vCPU index */
	KESTREL_A_VCPU_REGS,		/* binary: struct kestrel_regs */
	KESTREL_A_VCPU_SREGS,		/* binary: struct kestrel_sregs */
	KESTREL_A_STAT_EXITS,		/* binary: u64[KESTREL_EXIT_COUNT] */
	KESTREL_A_STAT_VCPU_TIME,	/* binary: u64 ns per vCPU */
	KESTREL_A_DOM_ON_POWEROFF,	/* u32: enum kestrel_lifecycle_action */
	KESTREL_A_DOM_ON_REBOOT,	/* u32: enum kestrel_lifecycle_action */
	KESTREL_A_DOM_ON_CRASH,		/* u32: enum kestrel_lifecycle_action */
	KESTREL_A_DOM_BOOT_REGIONS,	/* binary: struct kestrel_mem_region[] */
	KESTREL_A_DOM_REBOOT,		/* flag: SHUTDOWN means reboot */
	KESTREL_A_TSC_KHZ,		/* u32: guest TSC rate in kHz, 0 unknown */
	KESTREL_A_DOM_BOOT_FILES,	/* binary: struct kestrel_boot_file[] */
	KESTREL_A_DOM_DEVICES,		/* nested: KESTREL_A_DEVICE each */
	KESTREL_A_STAT_DEVICES,		/* nested: KESTREL_A_DEVICE each */
	KESTREL_A_EVENT_SLOT,		/* u32: IO_ERROR's device, PCI slot */
	KESTREL_A_EVENT_ERRNO,		/* u32: IO_ERROR's last errno, > 0 */
	KESTREL_A_EVENT_COUNT,		/* u32: IO_ERROR's failed requests */
	KESTREL_A_LINK_SLOT,		/* u32: SET_LINK's device, PCI slot */
	KESTREL_A_LINK_STATE,		/* u32: SET_LINK: 1 up, 0 down */

	__KESTREL_A_MAX,
	KESTREL_A_MAX = __KESTREL_A_MAX - 1
};

/*
 * Devices (DOMAIN_CREATE's KESTREL_A_DOM_DEVICES holds one nested
 * KESTREL_A_DEVICE per device, at most KESTREL_MAX_DEVICES): virtio-pci
 * devices on PCI bus 0, served by kernel workers.  Inside each, enum
 * kestrel_dev_attr.  A device of a type the module does not know, a slot
 * used twice or out of range, or an attribute that does not belong to the
 * type is refused with a message.
 */
enum kestrel_dev_type {
	KESTREL_DEV_RNG = 1,		/* virtio-rng: the host's entropy */
	KESTREL_DEV_BLOCK = 2,		/* virtio-blk on a file or block device */
	KESTREL_DEV_NET = 3,		/* virtio-net on the sender's tap fds */
	KESTREL_DEV_CONSOLE = 4,	/* virtio-console: hvc0, on the domain's console stream */
};

enum kestrel_dev_attr {
	KESTREL_A_DEV_UNSPEC,
	KESTREL_A_DEVICE,		/* nested: one device (in DOM_DEVICES) */
	KESTREL_A_DEV_TYPE,		/* u32: enum kestrel_dev_type */
	KESTREL_A_DEV_SLOT,		/* u32: PCI device number, 1-31 */
	KESTREL_A_DEV_RATE_BYTES,	/* u32: rng: bytes per period, 0: no limit */
	KESTREL_A_DEV_RATE_PERIOD,	/* u32: rng: the period in ms, 1-3600000 */
	KESTREL_A_DEV_FD,		/* u32: block: the sender's fd of the backend */
	KESTREL_A_DEV_READONLY,		/* flag: block: the guest may not write */
	KESTREL_A_DEV_SERIAL,		/* string: block: <serial>, <= 20 bytes */
	KESTREL_A_DEV_QUEUES,		/* u32: block: 1-64; absent: one per vCPU */
	/* binary: net: __s32[1-16], the sender's tap fds, one per queue pair */
	KESTREL_A_DEV_FDS,
	KESTREL_A_DEV_MAC,		/* binary: net: the guest's MAC, 6 bytes */
	/*
	 * Counters in DOMAIN_STATS replies (STAT_DEVICES), never in
	 * requests: u64 each, since the domain was created (a reboot in
	 * place keeps counting).  DEV_PAD aligns them.  Block: requests
	 * served and their bytes, and requests answered with an I/O error.
	 */
	KESTREL_A_DEV_PAD,
	KESTREL_A_DEV_STAT_RD_REQS,	/* u64: block: reads served */
	KESTREL_A_DEV_STAT_RD_BYTES,	/* u64: block: bytes read */
	KESTREL_A_DEV_STAT_WR_REQS,	/* u64: block: writes served */
	KESTREL_A_DEV_STAT_WR_BYTES,	/* u64: block: bytes written */
	KESTREL_A_DEV_STAT_FLUSH_REQS,	/* u64: block: flushes served */
	KESTREL_A_DEV_STAT_ERRORS,	/* u64: block: requests failed */
	/*
	 * Net, from the guest's side: RX is what the device gave the guest
	 * (read from the tap), TX what the guest sent (written to it).
	 * Bytes exclude the virtio-net header.  RX drops are frames larger
	 * than the guest's buffers, TX drops frames too large or sent while
	 * the link was down; errors are failed tap reads and writes.
	 */
	KESTREL_A_DEV_STAT_RX_PACKETS,	/* u64: net */
	KESTREL_A_DEV_STAT_RX_BYTES,	/* u64: net */
	KESTREL_A_DEV_STAT_RX_DROPS,	/* u64: net */
	KESTREL_A_DEV_STAT_RX_ERRORS,	/* u64: net */
	KESTREL_A_DEV_STAT_TX_PACKETS,	/* u64: net */
	KESTREL_A_DEV_STAT_TX_BYTES,	/* u64: net */
	KESTREL_A_DEV_STAT_TX_DROPS,	/* u64: net */
	KESTREL_A_DEV_STAT_TX_ERRORS,	/* u64: net */
	/*
	 * flag: net: the link starts down (<link state='down'/>): the
	 * guest sees no carrier (VIRTIO_NET_S_LINK_UP clear), frames it
	 * sends are dropped and nothing reaches it.  Absent: up.  In a
	 * DOMAIN_STATS device entry: the link is down now.
	 */
	KESTREL_A_DEV_LINK_DOWN,

	__KESTREL_A_DEV_MAX,
	KESTREL_A_DEV_MAX = __KESTREL_A_DEV_MAX - 1
};

#define KESTREL_MAX_DEVICES	16
#define KESTREL_PCI_MAX_SLOT	31

/*
 * ioctls on /dev/kestrel.  Type 0xAF, numbers 0x80-0xFF (0x00-0x1F belong to
 * fsl_hypervisor, see Documentation/userspace-api/ioctl/ioctl-number.rst).
 */
#define KESTREL_IO		0xAF
#define KESTREL_GET_API_VERSION	_IO(KESTREL_IO, 0x80)
/*
 * Per-domain file descriptors, for a domain ID given as the argument; both
 * need CAP_SYS_ADMIN and hold the domain until closed (it stays destroyable:
 * destroy makes the fds return errors).
 *   MEMORY_FD: mmap(MAP_SHARED) of guest RAM; offset = guest physical
 *              address for RAM below the MMIO hole, RAM above 4 GiB follows
 *              at offset KESTREL_MMIO_HOLE_START.
 *   CONSOLE_FD: read() the UART output (the newest output is kept in a
 *              ring; a reader that falls behind skips ahead), write() to
 *              the guest's receive side, poll().
 */
#define KESTREL_DOMAIN_MEMORY_FD	_IO(KESTREL_IO, 0x81)
#define KESTREL_DOMAIN_CONSOLE_FD	_IO(KESTREL_IO, 0x82)

#endif /* _UAPI_LINUX_KESTREL_H */
