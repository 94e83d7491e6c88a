// SPDX-License-Identifier: LGPL-2.1-or-later
/* Feature and backend names. */
#include "kselftest_harness.h"
#include "libkestrel.h"

static const unsigned int defined_bits[] = {
	KESTREL_FEAT_NPT, KESTREL_FEAT_NRIPS, KESTREL_FEAT_VMCB_CLEAN,
	KESTREL_FEAT_FLUSH_BY_ASID, KESTREL_FEAT_DECODE_ASSISTS,
	KESTREL_FEAT_PAUSE_FILTER, KESTREL_FEAT_AVIC, KESTREL_FEAT_TSC_RATE,
	KESTREL_FEAT_LBR_VIRT, KESTREL_FEAT_VGIF, KESTREL_FEAT_VLS,
	KESTREL_FEAT_EPT, KESTREL_FEAT_VPID, KESTREL_FEAT_UNRESTRICTED,
	KESTREL_FEAT_EPT_2M, KESTREL_FEAT_EPT_1G, KESTREL_FEAT_EPT_AD,
	KESTREL_FEAT_TRUE_CTLS, KESTREL_FEAT_PREEMPT_TIMER,
	KESTREL_FEAT_POSTED_INTR, KESTREL_FEAT_APIC_VIRT,
	KESTREL_FEAT_TSC_SCALING, KESTREL_FEAT_INVPCID,
};

#define NBITS (sizeof(defined_bits) / sizeof(defined_bits[0]))

TEST(every_defined_bit_has_a_unique_name)
{
	unsigned int i, j;

	for (i = 0; i < NBITS; i++) {
		const char *a = kestrel_feature_name(defined_bits[i]);

		ASSERT_NE(NULL, a);
		EXPECT_NE(0, strlen(a));
		for (j = 0; j < i; j++)
			EXPECT_STRNE(a, kestrel_feature_name(defined_bits[j]));
	}
}

TEST(undefined_bits_have_no_name)
{
	EXPECT_EQ(NULL, kestrel_feature_name(11));
	EXPECT_EQ(NULL, kestrel_feature_name(KESTREL_FEAT_COUNT));
	EXPECT_EQ(NULL, kestrel_feature_name(1000));
}

TEST(features_string)
{
	char buf[256];
	uint64_t f = (1ULL << KESTREL_FEAT_NPT) | (1ULL << KESTREL_FEAT_EPT) |
		     (1ULL << 40);

	EXPECT_STREQ("npt ept bit40", kestrel_features_string(f, buf, sizeof(buf)));
	EXPECT_STREQ("", kestrel_features_string(0, buf, sizeof(buf)));
}

TEST(features_string_truncates_cleanly)
{
	char buf[8];
	uint64_t f = (1ULL << KESTREL_FEAT_NPT) | (1ULL << KESTREL_FEAT_NRIPS);

	/* "npt nrip_save" does not fit: whole names only, always terminated. */
	EXPECT_STREQ("npt", kestrel_features_string(f, buf, sizeof(buf)));
}

TEST(backend_names)
{
	EXPECT_STREQ("svm", kestrel_backend_name(KESTREL_BACKEND_SVM));
	EXPECT_STREQ("vmx", kestrel_backend_name(KESTREL_BACKEND_VMX));
	EXPECT_STREQ("none", kestrel_backend_name(KESTREL_BACKEND_NONE));
	EXPECT_STREQ("unknown", kestrel_backend_name((enum kestrel_backend)7));
}

TEST_HARNESS_MAIN
