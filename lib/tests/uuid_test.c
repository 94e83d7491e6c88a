// SPDX-License-Identifier: LGPL-2.1-or-later
/* UUID formatting, parsing and generation. */
#include <errno.h>

#include "kselftest_harness.h"
#include "libkestrel.h"

static const uint8_t sample[KESTREL_UUID_LEN] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

#define SAMPLE_STR "12345678-9abc-def0-0fed-cba987654321"

TEST(format_is_lower_case_8_4_4_4_12)
{
	char s[KESTREL_UUID_STRLEN];
	uint8_t zero[KESTREL_UUID_LEN] = { 0 };

	memset(s, 'x', sizeof(s));
	kestrel_uuid_format(sample, s);
	EXPECT_STREQ(SAMPLE_STR, s);
	EXPECT_EQ(36, strlen(s));
	kestrel_uuid_format(zero, s);
	EXPECT_STREQ("00000000-0000-0000-0000-000000000000", s);
}

TEST(parse_dashed_any_case_and_plain_hex)
{
	uint8_t u[KESTREL_UUID_LEN];

	ASSERT_EQ(0, kestrel_uuid_parse(SAMPLE_STR, u));
	EXPECT_EQ(0, memcmp(sample, u, sizeof(u)));
	memset(u, 0, sizeof(u));
	ASSERT_EQ(0, kestrel_uuid_parse("12345678-9ABC-DEF0-0FED-CBA987654321", u));
	EXPECT_EQ(0, memcmp(sample, u, sizeof(u)));
	memset(u, 0, sizeof(u));
	ASSERT_EQ(0, kestrel_uuid_parse("123456789abcdef00fedcba987654321", u));
	EXPECT_EQ(0, memcmp(sample, u, sizeof(u)));
}

TEST(parse_rejects_malformed_and_leaves_output_alone)
{
	static const char *const bad[] = {
		"",
		"12345678-9abc-def0-0fed-cba98765432",		/* short */
		"12345678-9abc-def0-0fed-cba9876543210",	/* long */
		"123456789-abc-def0-0fed-cba987654321",		/* dash moved */
		"12345678-9abc-def0-0fed_cba987654321",		/* not a dash */
		"12345678-9abc-def0-0fed-cba98765432g",		/* not hex */
		"123456789abcdef00fedcba98765432",		/* 31 digits */
		"123456789abcdef00fedcba98765432x",
		" 2345678-9abc-def0-0fed-cba987654321",
		"12345678-9abc-def0-0fed-cba98765432\n",
		"1234567--9abc-def0-0fed-cba987654321",
		"web-01",
		"5",
	};
	uint8_t u[KESTREL_UUID_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(u, 0xaa, sizeof(u));
		EXPECT_EQ(-EINVAL, kestrel_uuid_parse(bad[i], u))
			TH_LOG("accepted '%s'", bad[i]);
		EXPECT_EQ(0xaa, u[0]);
		EXPECT_EQ(0xaa, u[15]);
	}
	EXPECT_EQ(-EINVAL, kestrel_uuid_parse(NULL, u));
}

TEST(parse_failure_says_why)
{
	uint8_t u[KESTREL_UUID_LEN];

	kestrel_clear_error();
	EXPECT_EQ(-EINVAL, kestrel_uuid_parse("nope", u));
	EXPECT_EQ(EINVAL, kestrel_last_errno());
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "'nope'"));
}

TEST(round_trip)
{
	char s[KESTREL_UUID_STRLEN];
	uint8_t u[KESTREL_UUID_LEN];

	kestrel_uuid_format(sample, s);
	ASSERT_EQ(0, kestrel_uuid_parse(s, u));
	EXPECT_EQ(0, memcmp(sample, u, sizeof(u)));
}

TEST(generate_is_version_4_variant_1)
{
	uint8_t a[KESTREL_UUID_LEN], b[KESTREL_UUID_LEN];
	char s[KESTREL_UUID_STRLEN];
	int i;

	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, kestrel_uuid_generate(a));
		EXPECT_EQ(0x40, a[6] & 0xf0);
		EXPECT_EQ(0x80, a[8] & 0xc0);
		kestrel_uuid_format(a, s);
		EXPECT_EQ('4', s[14]);
		EXPECT_NE(NULL, strchr("89ab", s[19]));
	}
	ASSERT_EQ(0, kestrel_uuid_generate(b));
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
}

TEST_HARNESS_MAIN
