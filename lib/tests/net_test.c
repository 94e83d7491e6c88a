// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tap and bridge helpers (net.c): what they refuse before touching the
 * host.  Nothing here creates a device or changes the host's network
 * (creating taps needs CAP_NET_ADMIN and is the selftests' business).
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "kselftest_harness.h"
#include "libkestrel.h"
#include "domxml.h"

/* A name no host has: the helpers must find it missing. */
#define NO_SUCH_IF "kestrelnoif0"

TEST(tap_open_checks_its_arguments)
{
	int fds[17];
	char name[IFNAMSIZ];

	memset(fds, 0x55, sizeof(fds));
	EXPECT_EQ(-EINVAL, kestrel_tap_open(NULL, 0, fds, name));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "1-16 queue pairs, not 0"));
	EXPECT_EQ(-EINVAL, kestrel_tap_open(NULL, 17, fds, name));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "not 17"));
	EXPECT_EQ(-EINVAL, kestrel_tap_open(NULL, 1, NULL, name));
	EXPECT_EQ(-EINVAL, kestrel_tap_open("abcdefghijklmnop", 1, fds, name));
	EXPECT_NE(NULL, strstr(kestrel_last_error(),
			       "invalid tap device name 'abcdefghijklmnop'"))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(-EINVAL, kestrel_tap_open("tap%d", 1, fds, name));
	EXPECT_EQ(-EINVAL, kestrel_tap_open("a/b", 1, fds, name));
	EXPECT_EQ(-EINVAL, kestrel_tap_open("", 1, fds, name));
	/* Nothing was opened or written. */
	EXPECT_EQ(0x55555555, fds[0]);
}

TEST(tap_open_existing_needs_the_device)
{
	int fds[2] = { -1, -1 };

	EXPECT_EQ(-ENODEV, kestrel_tap_open_existing(NO_SUCH_IF, 1, fds));
	EXPECT_STREQ("target managed='no' but specified dev '" NO_SUCH_IF "' doesn't exist",
		     kestrel_last_error());
	EXPECT_EQ(-1, fds[0]);
	EXPECT_EQ(-EINVAL, kestrel_tap_open_existing(NULL, 1, fds));
	EXPECT_NE(NULL, strstr(kestrel_last_error(),
			       "target dev must be supplied when managed='no'"));
	EXPECT_EQ(-EINVAL, kestrel_tap_open_existing("tap0", 0, fds));
}

TEST(bridge_attach_names_what_is_missing)
{
	EXPECT_EQ(-ENODEV, kestrel_bridge_attach(NO_SUCH_IF, "lo"));
	EXPECT_STREQ("Unable to add bridge " NO_SUCH_IF " port lo: bridge "
		     NO_SUCH_IF " does not exist: No such device",
		     kestrel_last_error());
	/* lo exists in every namespace and is no bridge. */
	EXPECT_EQ(-EINVAL, kestrel_bridge_attach("lo", NO_SUCH_IF));
	EXPECT_STREQ("Unable to add bridge lo port " NO_SUCH_IF ": 'lo' is not a bridge",
		     kestrel_last_error());
	EXPECT_EQ(-EINVAL, kestrel_bridge_attach(NULL, "lo"));
	EXPECT_EQ(-EINVAL, kestrel_bridge_attach("lo", NULL));
	EXPECT_EQ(-EINVAL, kestrel_bridge_attach("br 0", "lo"));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "invalid bridge name 'br 0'"));
	EXPECT_EQ(-EINVAL, kestrel_bridge_attach("br0", "abcdefghijklmnop"));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "invalid interface name"));
}

TEST(set_mac_checks_the_name_and_the_device)
{
	static const uint8_t mac[6] = { 0xfe, 0x54, 0, 1, 2, 3 };

	EXPECT_EQ(-EINVAL, kestrel_netdev_set_mac(NULL, mac));
	EXPECT_EQ(-EINVAL, kestrel_netdev_set_mac("a:b", mac));
	EXPECT_EQ(-ENODEV, kestrel_netdev_set_mac(NO_SUCH_IF, mac));
	EXPECT_STREQ("Cannot set interface MAC to fe:54:00:01:02:03 on '"
		     NO_SUCH_IF "': No such device", kestrel_last_error());
}

TEST_HARNESS_MAIN
