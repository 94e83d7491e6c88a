// SPDX-License-Identifier: LGPL-2.1-or-later
/* Names of backends and hardware features, as /proc/cpuinfo spells them. */
#include <stdio.h>
#include <string.h>

#include "libkestrel.h"

static const char *const feature_names[KESTREL_FEAT_COUNT] = {
	[KESTREL_FEAT_NPT] = "npt",
	[KESTREL_FEAT_NRIPS] = "nrip_save",
	[KESTREL_FEAT_VMCB_CLEAN] = "vmcb_clean",
	[KESTREL_FEAT_FLUSH_BY_ASID] = "flushbyasid",
	[KESTREL_FEAT_DECODE_ASSISTS] = "decodeassists",
	[KESTREL_FEAT_PAUSE_FILTER] = "pausefilter",
	[KESTREL_FEAT_AVIC] = "avic",
	[KESTREL_FEAT_TSC_RATE] = "tsc_scale",
	[KESTREL_FEAT_LBR_VIRT] = "lbrv",
	[KESTREL_FEAT_VGIF] = "vgif",
	[KESTREL_FEAT_VLS] = "v_vmsave_vmload",
	[KESTREL_FEAT_EPT] = "ept",
	[KESTREL_FEAT_VPID] = "vpid",
	[KESTREL_FEAT_UNRESTRICTED] = "unrestricted_guest",
	[KESTREL_FEAT_EPT_2M] = "ept_2mb",
	[KESTREL_FEAT_EPT_1G] = "ept_1gb",
	[KESTREL_FEAT_EPT_AD] = "ept_ad",
	[KESTREL_FEAT_TRUE_CTLS] = "true_ctls",
	[KESTREL_FEAT_PREEMPT_TIMER] = "preemption_timer",
	[KESTREL_FEAT_POSTED_INTR] = "posted_intr",
	[KESTREL_FEAT_APIC_VIRT] = "apic_access",
	[KESTREL_FEAT_TSC_SCALING] = "tsc_scaling",
	[KESTREL_FEAT_INVPCID] = "invpcid",
};

const char *kestrel_backend_name(enum kestrel_backend backend)
{
	switch (backend) {
	case KESTREL_BACKEND_SVM:
		return "svm";
	case KESTREL_BACKEND_VMX:
		return "vmx";
	case KESTREL_BACKEND_NONE:
		return "none";
	}
	return "unknown";
}

const char *kestrel_feature_name(unsigned int bit)
{
	if (bit >= KESTREL_FEAT_COUNT)
		return NULL;
	return feature_names[bit];
}

char *kestrel_features_string(uint64_t features, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int bit;

	if (len)
		buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		const char *name = kestrel_feature_name(bit);
		char unknown[16];
		size_t n;

		if (!(features & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(unknown, sizeof(unknown), "bit%u", bit);
			name = unknown;
		}
		/* Whole names only: stop before one that does not fit. */
		n = strlen(name) + (used ? 1 : 0);
		if (used + n >= len)
			break;
		sprintf(buf + used, "%s%s", used ? " " : "", name);
		used += n;
	}
	return buf;
}
