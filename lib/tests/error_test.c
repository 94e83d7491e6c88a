// SPDX-License-Identifier: LGPL-2.1-or-later
/* The per-thread last error. */
#include <errno.h>
#include <pthread.h>

#include "kselftest_harness.h"
#include "libkestrel.h"

TEST(fail_records_message_and_errno)
{
	EXPECT_EQ(-EINVAL, kestrel_fail(EINVAL, "bad %s %d", "thing", 3));
	EXPECT_STREQ("bad thing 3", kestrel_last_error());
	EXPECT_EQ(EINVAL, kestrel_last_errno());
	/* A negative errno means the same. */
	EXPECT_EQ(-ENOENT, kestrel_fail(-ENOENT, "gone"));
	EXPECT_EQ(ENOENT, kestrel_last_errno());
	kestrel_clear_error();
	EXPECT_STREQ("", kestrel_last_error());
	EXPECT_EQ(0, kestrel_last_errno());
}

TEST(long_messages_are_truncated)
{
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kestrel_fail(EIO, "%s", big);
	EXPECT_GT(sizeof(big) - 1, strlen(kestrel_last_error()));
	EXPECT_LT(100, strlen(kestrel_last_error()));
}

static void *other_thread(void *arg)
{
	(void)arg;
	kestrel_fail(EPERM, "from another thread");
	return NULL;
}

TEST(errors_are_per_thread)
{
	pthread_t t;

	kestrel_fail(EBUSY, "mine");
	ASSERT_EQ(0, pthread_create(&t, NULL, other_thread, NULL));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_STREQ("mine", kestrel_last_error());
	EXPECT_EQ(EBUSY, kestrel_last_errno());
}

TEST(open_without_module_says_so)
{
	struct kestrel_conn *conn = (void *)1;

	if (access("/sys/module/kestrel", F_OK) == 0)
		SKIP(return, "the kestrel module is loaded on this machine");
	EXPECT_EQ(-ENOENT, kestrel_open(&conn));
	EXPECT_EQ(NULL, conn);
	EXPECT_TRUE(kestrel_error_is_no_module());
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "module is not loaded"));
}

TEST_HARNESS_MAIN
