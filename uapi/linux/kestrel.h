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

/* Generic netlink commands. */
enum kestrel_cmd {
	KESTREL_CMD_UNSPEC,
	/*
	 * GET_INFO: no attributes in; replies with VERSION, API_VERSION,
	 * BACKEND, BACKEND_DETAIL, FEATURES, HW_REVISION, NR_ASIDS,
	 * HOST_CPUS, ACTIVE_DOMAINS.  Open to every local user.
	 */
	KESTREL_CMD_GET_INFO,
	/*
	 * DOMAIN_CREATE: DOM_NAME, DOM_MEMORY, DOM_VCPUS required; DOM_UUID
	 * and DOM_XML optional.  Needs CAP_SYS_ADMIN.  Fails with EOPNOTSUPP
	 * when the backend is KESTREL_BACKEND_NONE.
	 */
	KESTREL_CMD_DOMAIN_CREATE,

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

	__KESTREL_A_MAX,
	KESTREL_A_MAX = __KESTREL_A_MAX - 1
};

/*
 * ioctls on /dev/kestrel.  Type 0xAF, numbers 0x80-0xFF (0x00-0x1F belong to
 * fsl_hypervisor, see Documentation/userspace-api/ioctl/ioctl-number.rst).
 */
#define KESTREL_IO		0xAF
#define KESTREL_GET_API_VERSION	_IO(KESTREL_IO, 0x80)

#endif /* _UAPI_LINUX_KESTREL_H */
