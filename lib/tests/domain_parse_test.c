// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The parsers of the module's domain, stats, register and event messages,
 * fed hand-built netlink messages: well-formed ones as the module sends
 * them, and broken ones it must never be trusted not to send.
 *
 * Then the requests around them, against a scripted module: this file
 * defines mnl_socket_sendto() and mnl_socket_recvfrom(), which take
 * precedence over libmnl's, so libkestrel's requests land here and its
 * replies come from here (the socket itself is a real, idle one).
 */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "kselftest_harness.h"
#include "libkestrel.h"
#include "domain_priv.h"

#define FAMILY 0x1f

static union {
	char c[1 << 17];
	struct nlmsghdr align;
} buf;

static const uint8_t uuid1[KESTREL_UUID_LEN] = {
	0x6e, 0x1f, 0x3c, 0x2a, 0x9b, 0x41, 0x4d, 0x2e,
	0x8f, 0x10, 0x55, 0x21, 0x0a, 0xbc, 0xde, 0xf1,
};

static struct nlmsghdr *msg_start(uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(buf.c, 0, 8192);
	nlh = mnl_nlmsg_put_header(buf.c);
	nlh->nlmsg_type = FAMILY;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KESTREL_GENL_VERSION;
	return nlh;
}

/* A u64 the way nla_put_u64_64bit() lays it out: PAD first if needed. */
static void put_u64_padded(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	if ((nlh->nlmsg_len + NLA_HDRLEN) % 8)
		mnl_attr_put(nlh, KESTREL_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

/* Everything but @skip (0: nothing skipped). */
static struct nlmsghdr *domain_msg(uint16_t skip)
{
	struct nlmsghdr *nlh = msg_start(KESTREL_CMD_DOMAIN_GET);

	if (skip != KESTREL_A_DOM_ID)
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, 7);
	if (skip != KESTREL_A_DOM_NAME)
		mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "web-01");
	if (skip != KESTREL_A_DOM_UUID)
		mnl_attr_put(nlh, KESTREL_A_DOM_UUID, sizeof(uuid1), uuid1);
	if (skip != KESTREL_A_DOM_STATE)
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_STATE, KESTREL_STATE_PAUSED);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_REASON, KESTREL_PAUSED_USER);
	put_u64_padded(nlh, KESTREL_A_DOM_MEMORY, 512ULL << 20);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 2);
	put_u64_padded(nlh, KESTREL_A_DOM_CPU_TIME, 12345678901ULL);
	return nlh;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* ---- domain messages ---- */

TEST(domain_full_message)
{
	struct kestrel_domain_info info;

	ASSERT_EQ(0, kestrel_parse_domain(domain_msg(0), &info));
	EXPECT_EQ(7, info.id);
	EXPECT_STREQ("web-01", info.name);
	EXPECT_EQ(0, memcmp(uuid1, info.uuid, sizeof(uuid1)));
	EXPECT_EQ(KESTREL_STATE_PAUSED, info.state);
	EXPECT_EQ(KESTREL_PAUSED_USER, info.reason);
	EXPECT_EQ(512ULL << 20, info.memory);
	EXPECT_EQ(2, info.vcpus);
	EXPECT_EQ(12345678901ULL, info.cpu_time_ns);
	EXPECT_EQ(NULL, info.xml);
	EXPECT_EQ(0, info.xml_len);
	kestrel_domain_info_clear(&info);
}

TEST(domain_optional_attributes_default_to_zero)
{
	struct nlmsghdr *nlh = msg_start(KESTREL_CMD_DOMAIN_GET);
	struct kestrel_domain_info info;

	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, 1);
	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "a");
	mnl_attr_put(nlh, KESTREL_A_DOM_UUID, sizeof(uuid1), uuid1);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_STATE, KESTREL_STATE_SHUTOFF);
	memset(&info, 0x55, sizeof(info));
	ASSERT_EQ(0, kestrel_parse_domain(nlh, &info));
	EXPECT_EQ(0, info.reason);
	EXPECT_EQ(0, info.memory);
	EXPECT_EQ(0, info.vcpus);
	EXPECT_EQ(0, info.cpu_time_ns);
	EXPECT_EQ(NULL, info.xml);
}

TEST(domain_xml_is_copied_and_terminated)
{
	static const char xml[] = "<domain type='kestrel'><name>web-01</name></domain>";
	struct nlmsghdr *nlh = domain_msg(0);
	struct kestrel_domain_info info;

	/* Without its NUL, as an opaque binary. */
	mnl_attr_put(nlh, KESTREL_A_DOM_XML, strlen(xml), xml);
	ASSERT_EQ(0, kestrel_parse_domain(nlh, &info));
	ASSERT_NE(NULL, info.xml);
	EXPECT_EQ(strlen(xml), info.xml_len);
	EXPECT_STREQ(xml, info.xml);
	kestrel_domain_info_clear(&info);
	EXPECT_EQ(NULL, info.xml);
	EXPECT_EQ(0, info.xml_len);
	EXPECT_EQ(0, info.id);
}

TEST(domain_empty_and_repeated_xml)
{
	struct nlmsghdr *nlh = domain_msg(0);
	struct kestrel_domain_info info;

	mnl_attr_put(nlh, KESTREL_A_DOM_XML, 5, "first");
	mnl_attr_put(nlh, KESTREL_A_DOM_XML, 0, NULL);
	ASSERT_EQ(0, kestrel_parse_domain(nlh, &info));
	/* The last one wins; the first is freed (valgrind). */
	ASSERT_NE(NULL, info.xml);
	EXPECT_EQ(0, info.xml_len);
	EXPECT_STREQ("", info.xml);
	kestrel_domain_info_clear(&info);
}

TEST(domain_unknown_attributes_are_skipped)
{
	struct nlmsghdr *nlh = domain_msg(0);
	struct kestrel_domain_info info;

	mnl_attr_put_u32(nlh, KESTREL_A_MAX + 1, 0xdead);
	mnl_attr_put_strz(nlh, 0x3fff, "from a newer module");
	/* Attributes of other commands mean nothing here. */
	mnl_attr_put_u32(nlh, KESTREL_A_EVENT, KESTREL_EVENT_STARTED);
	ASSERT_EQ(0, kestrel_parse_domain(nlh, &info));
	EXPECT_EQ(7, info.id);
	EXPECT_STREQ("web-01", info.name);
}

TEST(domain_required_attributes)
{
	static const struct {
		uint16_t attr;
		const char *name;
	} req[] = {
		{ KESTREL_A_DOM_ID, "DOM_ID" },
		{ KESTREL_A_DOM_NAME, "DOM_NAME" },
		{ KESTREL_A_DOM_UUID, "DOM_UUID" },
		{ KESTREL_A_DOM_STATE, "DOM_STATE" },
	};
	struct kestrel_domain_info info;
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		memset(&info, 0x55, sizeof(info));
		EXPECT_EQ(-EPROTO, kestrel_parse_domain(domain_msg(req[i].attr),
							&info));
		EXPECT_NE(NULL, strstr(kestrel_last_error(), req[i].name))
			TH_LOG("message: %s", kestrel_last_error());
		EXPECT_TRUE(all_zero(&info, sizeof(info)));
	}
}

/* The message with one attribute replaced by a malformed one. */
static void expect_malformed(struct __test_metadata *_metadata,
			     uint16_t type, const void *data, size_t len,
			     const char *what)
{
	struct nlmsghdr *nlh = domain_msg(type);
	struct kestrel_domain_info info;

	mnl_attr_put(nlh, type, len, data);
	mnl_attr_put(nlh, KESTREL_A_DOM_XML, 3, "abc");
	EXPECT_EQ(-EPROTO, kestrel_parse_domain(nlh, &info));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), what))
		TH_LOG("message: %s", kestrel_last_error());
	EXPECT_TRUE(all_zero(&info, sizeof(info)));
}

TEST(domain_wrong_sizes_are_rejected)
{
	char name[KESTREL_NAME_MAX + 1];
	uint8_t big[KESTREL_UUID_LEN + 1] = { 0 };
	uint64_t u64 = 1;
	uint16_t u16 = 1;

	expect_malformed(_metadata, KESTREL_A_DOM_ID, &u16, sizeof(u16), "DOM_ID");
	expect_malformed(_metadata, KESTREL_A_DOM_ID, &u64, sizeof(u64), "DOM_ID");
	expect_malformed(_metadata, KESTREL_A_DOM_ID, NULL, 0, "DOM_ID");
	expect_malformed(_metadata, KESTREL_A_DOM_STATE, &u16, sizeof(u16),
			 "DOM_STATE");
	expect_malformed(_metadata, KESTREL_A_DOM_UUID, big, KESTREL_UUID_LEN - 1,
			 "DOM_UUID");
	expect_malformed(_metadata, KESTREL_A_DOM_UUID, big, KESTREL_UUID_LEN + 1,
			 "DOM_UUID");
	expect_malformed(_metadata, KESTREL_A_DOM_MEMORY, &u16, sizeof(u16),
			 "DOM_MEMORY");
	expect_malformed(_metadata, KESTREL_A_DOM_CPU_TIME, &u64, 4,
			 "DOM_CPU_TIME");
	/* Strings: not terminated, empty, too long for the struct. */
	expect_malformed(_metadata, KESTREL_A_DOM_NAME, "web", 3, "DOM_NAME");
	expect_malformed(_metadata, KESTREL_A_DOM_NAME, "", 1, "DOM_NAME");
	expect_malformed(_metadata, KESTREL_A_DOM_NAME, NULL, 0, "DOM_NAME");
	memset(name, 'n', sizeof(name));
	name[KESTREL_NAME_MAX] = '\0';
	expect_malformed(_metadata, KESTREL_A_DOM_NAME, name, sizeof(name),
			 "DOM_NAME");
}

TEST(domain_longest_name_fits)
{
	struct nlmsghdr *nlh = domain_msg(KESTREL_A_DOM_NAME);
	struct kestrel_domain_info info;
	char name[KESTREL_NAME_MAX];

	memset(name, 'n', sizeof(name));
	name[KESTREL_NAME_MAX - 1] = '\0';
	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, name);
	ASSERT_EQ(0, kestrel_parse_domain(nlh, &info));
	EXPECT_STREQ(name, info.name);
}

TEST(domain_name_stops_at_the_first_nul)
{
	struct nlmsghdr *nlh = domain_msg(KESTREL_A_DOM_NAME);
	struct kestrel_domain_info info;

	mnl_attr_put(nlh, KESTREL_A_DOM_NAME, 6, "ab\0cd");
	ASSERT_EQ(0, kestrel_parse_domain(nlh, &info));
	EXPECT_STREQ("ab", info.name);
}

TEST(domain_truncated_messages_are_rejected)
{
	struct nlmsghdr *nlh;
	struct kestrel_domain_info info;

	/* The last attribute cut short. */
	nlh = domain_msg(0);
	mnl_attr_put(nlh, KESTREL_A_DOM_XML, 3, "abc");
	nlh->nlmsg_len -= 4;
	EXPECT_EQ(-EPROTO, kestrel_parse_domain(nlh, &info));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "truncated"));
	EXPECT_TRUE(all_zero(&info, sizeof(info)));

	/* An attribute claiming more than the message holds. */
	nlh = domain_msg(0);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 4);
	((struct nlattr *)((char *)nlh + nlh->nlmsg_len - 8))->nla_len = 200;
	EXPECT_EQ(-EPROTO, kestrel_parse_domain(nlh, &info));

	/* Trailing bytes that are no attribute. */
	nlh = domain_msg(0);
	nlh->nlmsg_len += 2;
	EXPECT_EQ(-EPROTO, kestrel_parse_domain(nlh, &info));

	/* Not even a genetlink header. */
	nlh = domain_msg(0);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EPROTO, kestrel_parse_domain(nlh, &info));
	EXPECT_TRUE(all_zero(&info, sizeof(info)));
}

/* ---- stats ---- */

static struct nlmsghdr *stats_msg(size_t nexits, size_t nvcpus)
{
	struct nlmsghdr *nlh = msg_start(KESTREL_CMD_DOMAIN_STATS);
	uint64_t v[256];
	size_t i;

	for (i = 0; i < 256; i++)
		v[i] = 1000 + i;
	if (nexits != (size_t)-1)
		mnl_attr_put(nlh, KESTREL_A_STAT_EXITS, nexits * 8, v);
	for (i = 0; i < 256; i++)
		v[i] = 5000000000ULL + i;
	if (nvcpus != (size_t)-1)
		mnl_attr_put(nlh, KESTREL_A_STAT_VCPU_TIME, nvcpus * 8, v);
	return nlh;
}

TEST(stats_exact)
{
	struct kestrel_domain_stats st;
	int i;

	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(KESTREL_EXIT_COUNT, 2), &st));
	for (i = 0; i < KESTREL_EXIT_COUNT; i++)
		EXPECT_EQ(1000 + i, st.exits[i]);
	EXPECT_EQ(2, st.nr_vcpus);
	EXPECT_EQ(5000000000ULL, st.vcpu_time_ns[0]);
	EXPECT_EQ(5000000001ULL, st.vcpu_time_ns[1]);
	EXPECT_EQ(0, st.vcpu_time_ns[2]);
}

TEST(stats_from_an_older_module_has_fewer_exits)
{
	struct kestrel_domain_stats st;
	int i;

	memset(&st, 0x55, sizeof(st));
	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(3, 1), &st));
	EXPECT_EQ(1000, st.exits[0]);
	EXPECT_EQ(1002, st.exits[2]);
	for (i = 3; i < KESTREL_EXIT_COUNT; i++)
		EXPECT_EQ(0, st.exits[i]);
	EXPECT_EQ(1, st.nr_vcpus);
}

TEST(stats_from_a_newer_module_has_more_exits)
{
	struct kestrel_domain_stats st;

	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(KESTREL_EXIT_COUNT + 5, 1),
					 &st));
	EXPECT_EQ(1000 + KESTREL_EXIT_COUNT - 1, st.exits[KESTREL_EXIT_COUNT - 1]);
}

TEST(stats_vcpu_times_are_capped)
{
	struct kestrel_domain_stats st;

	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(KESTREL_EXIT_COUNT,
						   KESTREL_MAX_VCPUS + 10), &st));
	EXPECT_EQ(KESTREL_MAX_VCPUS, st.nr_vcpus);
	EXPECT_EQ(5000000000ULL + KESTREL_MAX_VCPUS - 1,
		  st.vcpu_time_ns[KESTREL_MAX_VCPUS - 1]);
}

TEST(stats_without_vcpu_times)
{
	struct kestrel_domain_stats st;

	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(KESTREL_EXIT_COUNT, -1), &st));
	EXPECT_EQ(0, st.nr_vcpus);
	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(0, 0), &st));
	EXPECT_EQ(0, st.exits[0]);
}

TEST(stats_malformed)
{
	struct kestrel_domain_stats st;
	struct nlmsghdr *nlh;

	EXPECT_EQ(-EPROTO, kestrel_parse_stats(stats_msg(-1, 2), &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "STAT_EXITS"));

	nlh = msg_start(KESTREL_CMD_DOMAIN_STATS);
	mnl_attr_put(nlh, KESTREL_A_STAT_EXITS, 12, "0123456789ab");
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_TRUE(all_zero(&st, sizeof(st)));

	nlh = stats_msg(KESTREL_EXIT_COUNT, 0);
	mnl_attr_put(nlh, KESTREL_A_STAT_VCPU_TIME, 7, "0123456");
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "STAT_VCPU_TIME"));
	EXPECT_TRUE(all_zero(&st, sizeof(st)));
}

/* ---- per-device stats (STAT_DEVICES) ---- */

/* A u64 inside a device nest, padded with DEV_PAD as the module does. */
static void put_dev_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	if ((nlh->nlmsg_len + NLA_HDRLEN) % 8)
		mnl_attr_put(nlh, KESTREL_A_DEV_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

/* A block device: counters base+0 .. base+5 in the uapi's order. */
static void put_blk_dev(struct nlmsghdr *nlh, uint32_t slot, uint64_t base)
{
	struct nlattr *d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	uint16_t t;

	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_BLOCK);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, slot);
	for (t = KESTREL_A_DEV_STAT_RD_REQS; t <= KESTREL_A_DEV_STAT_ERRORS; t++)
		put_dev_u64(nlh, t, base + t - KESTREL_A_DEV_STAT_RD_REQS);
	mnl_attr_nest_end(nlh, d);
}

/* A net device: counters base+0 .. base+7 in the uapi's order. */
static void put_net_dev(struct nlmsghdr *nlh, uint32_t slot, uint64_t base)
{
	struct nlattr *d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	uint16_t t;

	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_NET);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, slot);
	for (t = KESTREL_A_DEV_STAT_RX_PACKETS; t <= KESTREL_A_DEV_STAT_TX_ERRORS;
	     t++)
		put_dev_u64(nlh, t, base + t - KESTREL_A_DEV_STAT_RX_PACKETS);
	mnl_attr_nest_end(nlh, d);
}

static void put_rng_dev(struct nlmsghdr *nlh, uint32_t slot)
{
	struct nlattr *d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);

	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_RNG);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, slot);
	mnl_attr_nest_end(nlh, d);
}

static void expect_blk(struct __test_metadata *_metadata,
		       const struct kestrel_device_stats *d, uint32_t slot,
		       uint64_t base)
{
	EXPECT_EQ(KESTREL_DEV_BLOCK, d->type);
	EXPECT_EQ(slot, d->slot);
	EXPECT_EQ(base, d->rd_reqs);
	EXPECT_EQ(base + 1, d->rd_bytes);
	EXPECT_EQ(base + 2, d->wr_reqs);
	EXPECT_EQ(base + 3, d->wr_bytes);
	EXPECT_EQ(base + 4, d->flush_reqs);
	EXPECT_EQ(base + 5, d->errors);
	EXPECT_EQ(0, d->rx_packets);
	EXPECT_EQ(0, d->tx_errors);
}

static void expect_net(struct __test_metadata *_metadata,
		       const struct kestrel_device_stats *d, uint32_t slot,
		       uint64_t base)
{
	EXPECT_EQ(KESTREL_DEV_NET, d->type);
	EXPECT_EQ(slot, d->slot);
	EXPECT_EQ(base, d->rx_packets);
	EXPECT_EQ(base + 1, d->rx_bytes);
	EXPECT_EQ(base + 2, d->rx_drops);
	EXPECT_EQ(base + 3, d->rx_errors);
	EXPECT_EQ(base + 4, d->tx_packets);
	EXPECT_EQ(base + 5, d->tx_bytes);
	EXPECT_EQ(base + 6, d->tx_drops);
	EXPECT_EQ(base + 7, d->tx_errors);
	EXPECT_EQ(0, d->rd_reqs);
	EXPECT_EQ(0, d->errors);
}

TEST(stats_devices)
{
	struct nlmsghdr *nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	struct kestrel_domain_stats st;
	struct nlattr *devs;

	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	put_blk_dev(nlh, 3, 1ULL << 40);
	put_net_dev(nlh, 1, 100);
	put_rng_dev(nlh, 4);
	mnl_attr_nest_end(nlh, devs);
	ASSERT_EQ(0, kestrel_parse_stats(nlh, &st))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(1000, st.exits[0]);
	EXPECT_EQ(1, st.nr_vcpus);
	ASSERT_EQ(3, st.nr_devices);
	expect_blk(_metadata, &st.devices[0], 3, 1ULL << 40);
	expect_net(_metadata, &st.devices[1], 1, 100);
	EXPECT_EQ(KESTREL_DEV_RNG, st.devices[2].type);
	EXPECT_EQ(4, st.devices[2].slot);
	EXPECT_EQ(0, st.devices[2].rd_reqs);
	EXPECT_EQ(0, st.devices[2].rx_packets);
}

/* DEV_LINK_DOWN: a flag in a net device's entry; absent means up. */
TEST(stats_link_down_flag)
{
	struct nlmsghdr *nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	struct kestrel_domain_stats st;
	struct nlattr *devs, *d;

	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_NET);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, 2);
	mnl_attr_put(nlh, KESTREL_A_DEV_LINK_DOWN, 0, NULL);
	mnl_attr_nest_end(nlh, d);
	put_net_dev(nlh, 3, 0);
	mnl_attr_nest_end(nlh, devs);
	ASSERT_EQ(0, kestrel_parse_stats(nlh, &st))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(2, st.nr_devices);
	EXPECT_TRUE(st.devices[0].link_down);
	EXPECT_FALSE(st.devices[1].link_down);

	/* A flag with a payload is malformed. */
	nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_NET);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, 2);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_LINK_DOWN, 1);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, devs);
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DEV_LINK_DOWN"));
}

TEST(stats_without_devices_from_an_older_module)
{
	struct kestrel_domain_stats st;

	memset(&st, 0x55, sizeof(st));
	ASSERT_EQ(0, kestrel_parse_stats(stats_msg(KESTREL_EXIT_COUNT, 1), &st));
	EXPECT_EQ(0, st.nr_devices);
	EXPECT_TRUE(all_zero(st.devices, sizeof(st.devices)));
}

TEST(stats_devices_unknown_attributes_and_entries_are_skipped)
{
	struct nlmsghdr *nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	struct kestrel_domain_stats st;
	struct nlattr *devs, *d;

	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	mnl_attr_put_u32(nlh, 200, 1);		/* not a device */
	d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_BLOCK);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, 2);
	mnl_attr_put_strz(nlh, 200, "a newer attribute");
	put_dev_u64(nlh, KESTREL_A_DEV_STAT_WR_BYTES, 1 << 20);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, devs);
	ASSERT_EQ(0, kestrel_parse_stats(nlh, &st))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(1, st.nr_devices);
	EXPECT_EQ(2, st.devices[0].slot);
	EXPECT_EQ(1 << 20, st.devices[0].wr_bytes);
	EXPECT_EQ(0, st.devices[0].wr_reqs);
}

TEST(stats_devices_are_capped)
{
	struct nlmsghdr *nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	struct kestrel_domain_stats st;
	struct nlattr *devs;
	uint32_t i;

	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	for (i = 0; i < KESTREL_MAX_DEVICES + 2; i++)
		put_blk_dev(nlh, i + 1, i * 10);
	mnl_attr_nest_end(nlh, devs);
	ASSERT_EQ(0, kestrel_parse_stats(nlh, &st));
	ASSERT_EQ(KESTREL_MAX_DEVICES, st.nr_devices);
	expect_blk(_metadata, &st.devices[KESTREL_MAX_DEVICES - 1],
		   KESTREL_MAX_DEVICES, (KESTREL_MAX_DEVICES - 1) * 10);
}

TEST(stats_devices_malformed)
{
	struct kestrel_domain_stats st;
	struct nlmsghdr *nlh;
	struct nlattr *devs, *d;

	/* A counter that is not a u64. */
	nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_BLOCK);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, 2);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_STAT_RD_REQS, 5);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, devs);
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DEV_STAT"));
	EXPECT_TRUE(all_zero(&st, sizeof(st)));

	/* A device without its slot. */
	nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_TYPE, KESTREL_DEV_NET);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, devs);
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DEV_SLOT"));

	/* A device without its type. */
	nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	d = mnl_attr_nest_start(nlh, KESTREL_A_DEVICE);
	mnl_attr_put_u32(nlh, KESTREL_A_DEV_SLOT, 1);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, devs);
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DEV_TYPE"));

	/* A device entry too short to hold an attribute. */
	nlh = stats_msg(KESTREL_EXIT_COUNT, 1);
	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	mnl_attr_put(nlh, KESTREL_A_DEVICE, 2, "xy");
	mnl_attr_nest_end(nlh, devs);
	EXPECT_EQ(-EPROTO, kestrel_parse_stats(nlh, &st));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "STAT_DEVICES"));
	EXPECT_TRUE(all_zero(&st, sizeof(st)));
}

/* ---- registers ---- */

static struct nlmsghdr *regs_msg(size_t regs_len, size_t sregs_len)
{
	struct nlmsghdr *nlh = msg_start(KESTREL_CMD_VCPU_GET_REGS);
	/* Room for the oversized cases. */
	union {
		struct kestrel_regs r;
		char room[sizeof(struct kestrel_regs) + 64];
	} r;
	union {
		struct kestrel_sregs s;
		char room[sizeof(struct kestrel_sregs) + 64];
	} s;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	r.r.rip = 0xfff0;
	r.r.rflags = 2;
	s.s.cs.selector = 0xf000;
	s.s.cs.base = 0xffff0000;
	s.s.cr0 = 0x60000010;
	if (regs_len)
		mnl_attr_put(nlh, KESTREL_A_VCPU_REGS, regs_len, &r);
	if (sregs_len)
		mnl_attr_put(nlh, KESTREL_A_VCPU_SREGS, sregs_len, &s);
	return nlh;
}

TEST(regs_both)
{
	struct kestrel_sregs s;
	struct kestrel_regs r;

	ASSERT_EQ(0, kestrel_parse_regs(regs_msg(sizeof(r), sizeof(s)), &r, &s));
	EXPECT_EQ(0xfff0, r.rip);
	EXPECT_EQ(2, r.rflags);
	EXPECT_EQ(0xf000, s.cs.selector);
	EXPECT_EQ(0xffff0000, s.cs.base);
	EXPECT_EQ(0x60000010, s.cr0);
}

TEST(regs_only_what_is_wanted)
{
	struct kestrel_regs r;
	struct kestrel_sregs s;

	ASSERT_EQ(0, kestrel_parse_regs(regs_msg(sizeof(r), sizeof(s)), &r, NULL));
	EXPECT_EQ(0xfff0, r.rip);
	ASSERT_EQ(0, kestrel_parse_regs(regs_msg(0, sizeof(s)), NULL, &s));
	EXPECT_EQ(0xf000, s.cs.selector);
	EXPECT_EQ(-EPROTO, kestrel_parse_regs(regs_msg(0, sizeof(s)), &r, &s));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "VCPU_REGS"));
}

TEST(regs_sizes_are_exact)
{
	struct kestrel_sregs s;
	struct kestrel_regs r;

	EXPECT_EQ(-EPROTO, kestrel_parse_regs(regs_msg(sizeof(r) - 8, sizeof(s)),
					      &r, &s));
	EXPECT_EQ(-EPROTO, kestrel_parse_regs(regs_msg(sizeof(r), sizeof(s) + 8),
					      &r, &s));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "VCPU_SREGS"));
	/* Even one the caller does not want is checked. */
	EXPECT_EQ(-EPROTO, kestrel_parse_regs(regs_msg(sizeof(r), 4), &r, NULL));
}

/* ---- events ---- */

static struct nlmsghdr *event_msg(uint32_t event, uint32_t detail,
				  uint16_t skip)
{
	struct nlmsghdr *nlh = msg_start(KESTREL_CMD_DOMAIN_EVENT);

	if (skip != KESTREL_A_DOM_ID)
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, 3);
	if (skip != KESTREL_A_DOM_NAME)
		mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "db");
	if (skip != KESTREL_A_DOM_UUID)
		mnl_attr_put(nlh, KESTREL_A_DOM_UUID, sizeof(uuid1), uuid1);
	if (skip != KESTREL_A_EVENT)
		mnl_attr_put_u32(nlh, KESTREL_A_EVENT, event);
	if (skip != KESTREL_A_EVENT_DETAIL)
		mnl_attr_put_u32(nlh, KESTREL_A_EVENT_DETAIL, detail);
	return nlh;
}

TEST(event_message)
{
	struct kestrel_event_msg ev;

	ASSERT_EQ(1, kestrel_parse_event(event_msg(KESTREL_EVENT_STOPPED,
						   KESTREL_EVENT_STOPPED_DESTROYED,
						   0), &ev));
	EXPECT_EQ(3, ev.id);
	EXPECT_STREQ("db", ev.name);
	EXPECT_EQ(0, memcmp(uuid1, ev.uuid, sizeof(uuid1)));
	EXPECT_EQ(KESTREL_EVENT_STOPPED, ev.event);
	EXPECT_EQ(KESTREL_EVENT_STOPPED_DESTROYED, ev.detail);
	EXPECT_STREQ("Stopped", kestrel_event_name(ev.event));
	EXPECT_STREQ("Destroyed", kestrel_event_detail_name(ev.event, ev.detail));
}

TEST(io_error_event)
{
	struct kestrel_event_msg ev;
	struct nlmsghdr *nlh = event_msg(KESTREL_EVENT_IO_ERROR, 0, 0);

	mnl_attr_put_u32(nlh, KESTREL_A_EVENT_SLOT, 4);
	mnl_attr_put_u32(nlh, KESTREL_A_EVENT_ERRNO, EIO);
	mnl_attr_put_u32(nlh, KESTREL_A_EVENT_COUNT, 3);
	ASSERT_EQ(1, kestrel_parse_event(nlh, &ev));
	EXPECT_EQ(KESTREL_EVENT_IO_ERROR, ev.event);
	EXPECT_EQ(4, ev.slot);
	EXPECT_EQ(EIO, ev.error);
	EXPECT_EQ(3, ev.count);
	/* A lifecycle event has none of them. */
	ASSERT_EQ(1, kestrel_parse_event(event_msg(KESTREL_EVENT_STARTED, 0, 0),
					 &ev));
	EXPECT_EQ(0, ev.slot);
	EXPECT_EQ(0, ev.count);
	/* A malformed one is refused. */
	nlh = event_msg(KESTREL_EVENT_IO_ERROR, 0, 0);
	mnl_attr_put_u16(nlh, KESTREL_A_EVENT_SLOT, 4);
	EXPECT_GT(0, kestrel_parse_event(nlh, &ev));
}

TEST(event_detail_is_optional)
{
	struct kestrel_event_msg ev;

	ASSERT_EQ(1, kestrel_parse_event(event_msg(KESTREL_EVENT_STARTED, 9,
						   KESTREL_A_EVENT_DETAIL), &ev));
	EXPECT_EQ(0, ev.detail);
}

TEST(other_messages_are_not_events)
{
	struct kestrel_event_msg ev;
	struct nlmsghdr *nlh;

	memset(&ev, 0x55, sizeof(ev));
	EXPECT_EQ(0, kestrel_parse_event(domain_msg(0), &ev));
	EXPECT_EQ(0x55, ev.name[0]);
	nlh = event_msg(0, 0, 0);
	nlh->nlmsg_len = NLMSG_HDRLEN;
	EXPECT_EQ(0, kestrel_parse_event(nlh, &ev));
}

TEST(event_malformed)
{
	struct kestrel_event_msg ev;
	struct nlmsghdr *nlh;

	EXPECT_EQ(-EPROTO, kestrel_parse_event(event_msg(0, 0, KESTREL_A_EVENT),
					       &ev));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "EVENT"));
	EXPECT_EQ(-EPROTO, kestrel_parse_event(event_msg(0, 0, KESTREL_A_DOM_NAME),
					       &ev));
	nlh = event_msg(0, 0, KESTREL_A_DOM_UUID);
	mnl_attr_put(nlh, KESTREL_A_DOM_UUID, 4, uuid1);
	EXPECT_EQ(-EPROTO, kestrel_parse_event(nlh, &ev));
	EXPECT_TRUE(all_zero(&ev, sizeof(ev)));
}

/* ---- requests, against a scripted module ---- */

#define FAKE_MCGRP	GENL_ID_CTRL	/* nlctrl's own group: joinable, quiet */
#define FAKE_DGRAMS	4

static struct {
	/* the last request */
	union {
		char c[1 << 17];
		struct nlmsghdr align;
	} req;
	int nsent;
	int nsent_kestrel;	/* requests to the kestrel family */
	/* the reply datagrams to it */
	union {
		char c[16384];
		struct nlmsghdr align;
	} dgram[FAKE_DGRAMS];
	size_t dgram_len[FAKE_DGRAMS];
	int ndgrams, next;
	uint32_t portid;
	uint32_t mcgrp;
	bool malformed_dump;
	uint8_t unknown_cmd;	/* a command this "module" does not have */
} fake = { .mcgrp = FAKE_MCGRP };

static struct nlmsghdr *fake_reqh(void)
{
	return &fake.req.align;
}

/* Start a message in the current reply datagram (@new: in a new one). */
static struct nlmsghdr *reply_put(bool new, uint16_t type, uint16_t flags)
{
	const struct nlmsghdr *req = fake_reqh();
	struct nlmsghdr *nlh;
	int d;

	if (new || !fake.ndgrams)
		fake.ndgrams++;
	d = fake.ndgrams - 1;
	nlh = mnl_nlmsg_put_header(fake.dgram[d].c + fake.dgram_len[d]);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = fake.portid;
	return nlh;
}

static void reply_end(struct nlmsghdr *nlh)
{
	fake.dgram_len[fake.ndgrams - 1] += nlh->nlmsg_len;
}

static struct nlmsghdr *reply_genl(bool new, uint16_t type, uint8_t cmd,
				   uint16_t flags)
{
	struct nlmsghdr *nlh = reply_put(new, type, flags);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* NLMSG_ERROR: an ACK (0) or an error, capped, with an extack message. */
static void reply_ack(int error, const char *extack)
{
	struct nlmsghdr *nlh = reply_put(false, NLMSG_ERROR, NLM_F_CAPPED);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = error;
	e->msg = *fake_reqh();
	if (extack) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
	}
	reply_end(nlh);
}

static void reply_done(void)
{
	struct nlmsghdr *nlh = reply_put(false, NLMSG_DONE, NLM_F_MULTI);
	int *zero = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*zero = 0;
	reply_end(nlh);
}

struct fake_dom {
	uint32_t id;
	const char *name;
	const uint8_t *uuid;
	uint32_t state;
};

static const uint8_t uuid2[KESTREL_UUID_LEN] = { [0] = 2, [15] = 2 };
static const uint8_t uuid3[KESTREL_UUID_LEN] = { [0] = 3, [15] = 3 };

static const struct fake_dom fake_doms[] = {
	{ 9, "db", uuid2, KESTREL_STATE_RUNNING },
	{ 7, "web-01", uuid1, KESTREL_STATE_PAUSED },
	{ 12, "1234", uuid3, KESTREL_STATE_SHUTOFF },
};

#define NDOMS (sizeof(fake_doms) / sizeof(fake_doms[0]))

static void reply_domain(bool new, const struct fake_dom *d, uint8_t cmd,
			 uint16_t flags, bool xml)
{
	struct nlmsghdr *nlh = reply_genl(new, FAMILY, cmd, flags);

	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, d->id);
	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, d->name);
	mnl_attr_put(nlh, KESTREL_A_DOM_UUID, KESTREL_UUID_LEN, d->uuid);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_STATE, d->state);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_REASON, 1);
	put_u64_padded(nlh, KESTREL_A_DOM_MEMORY, 64ULL << 20);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 1);
	put_u64_padded(nlh, KESTREL_A_DOM_CPU_TIME, 1000);
	if (xml)
		mnl_attr_put(nlh, KESTREL_A_DOM_XML, 9, "<domain/>");
	reply_end(nlh);
}

/* The request's attribute @type, or NULL. */
static const struct nlattr *req_attr(uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, fake_reqh(), GENL_HDRLEN)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const struct fake_dom *req_domain(void)
{
	const struct nlattr *id = req_attr(KESTREL_A_DOM_ID);
	const struct nlattr *name = req_attr(KESTREL_A_DOM_NAME);
	const struct nlattr *uuid = req_attr(KESTREL_A_DOM_UUID);
	size_t i;

	for (i = 0; i < NDOMS; i++) {
		const struct fake_dom *d = &fake_doms[i];

		if ((id && mnl_attr_get_u32(id) == d->id) ||
		    (name && !strcmp(mnl_attr_get_str(name), d->name)) ||
		    (uuid && mnl_attr_get_payload_len(uuid) == KESTREL_UUID_LEN &&
		     !memcmp(mnl_attr_get_payload(uuid), d->uuid,
			     KESTREL_UUID_LEN)))
			return d;
	}
	return NULL;
}

static void fake_family(void)
{
	struct nlmsghdr *nlh = reply_genl(false, GENL_ID_CTRL,
					  CTRL_CMD_NEWFAMILY, 0);
	struct nlattr *grps, *grp;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KESTREL_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	grp = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, KESTREL_MCGRP_EVENTS);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, fake.mcgrp);
	mnl_attr_nest_end(nlh, grp);
	mnl_attr_nest_end(nlh, grps);
	reply_end(nlh);
	reply_ack(0, NULL);
}

static void fake_stats(const struct fake_dom *d)
{
	struct nlmsghdr *nlh = reply_genl(false, FAMILY,
					  KESTREL_CMD_DOMAIN_STATS, 0);
	uint64_t exits[KESTREL_EXIT_COUNT] = { [KESTREL_EXIT_HLT] = 42 };
	uint64_t times[1] = { 777 };

	struct nlattr *devs;

	mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, d->id);
	mnl_attr_put(nlh, KESTREL_A_STAT_EXITS, sizeof(exits), exits);
	mnl_attr_put(nlh, KESTREL_A_STAT_VCPU_TIME, sizeof(times), times);
	devs = mnl_attr_nest_start(nlh, KESTREL_A_STAT_DEVICES);
	put_net_dev(nlh, 1, 500);
	put_blk_dev(nlh, 2, 9000);
	mnl_attr_nest_end(nlh, devs);
	reply_end(nlh);
}

static void fake_regs(void)
{
	struct nlmsghdr *nlh = reply_genl(false, FAMILY,
					  KESTREL_CMD_VCPU_GET_REGS, 0);
	struct kestrel_regs r = { .rip = 0x7c00 };
	struct kestrel_sregs s = { .cr0 = 0x10 };

	mnl_attr_put_u32(nlh, KESTREL_A_VCPU_ID, 0);
	mnl_attr_put(nlh, KESTREL_A_VCPU_REGS, sizeof(r), &r);
	mnl_attr_put(nlh, KESTREL_A_VCPU_SREGS, sizeof(s), &s);
	reply_end(nlh);
}

/* The module's side of every command this test sends. */
static void fake_module(void)
{
	const struct nlmsghdr *req = fake_reqh();
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	const struct fake_dom *d;
	size_t i;

	if (req->nlmsg_type == GENL_ID_CTRL) {
		fake_family();
		return;
	}
	fake.nsent_kestrel++;
	if (fake.unknown_cmd && g->cmd == fake.unknown_cmd) {
		/* What genl_family_rcv_msg() answers: no extack message. */
		reply_ack(-EOPNOTSUPP, NULL);
		return;
	}
	if (g->cmd == KESTREL_CMD_DOMAIN_GET && (req->nlmsg_flags & NLM_F_DUMP)) {
		/* Two datagrams, as a dump that fills an skb would come. */
		for (i = 0; i < NDOMS; i++)
			reply_domain(i == 1, &fake_doms[i], KESTREL_CMD_DOMAIN_GET,
				     NLM_F_MULTI, false);
		if (fake.malformed_dump) {
			struct nlmsghdr *nlh = reply_genl(false, FAMILY,
							  KESTREL_CMD_DOMAIN_GET,
							  NLM_F_MULTI);

			mnl_attr_put_u16(nlh, KESTREL_A_DOM_ID, 1);
			reply_end(nlh);
			reply_domain(true, &fake_doms[0], KESTREL_CMD_DOMAIN_GET,
				     NLM_F_MULTI, false);
		}
		reply_done();
		return;
	}
	if (g->cmd == KESTREL_CMD_DOMAIN_CREATE) {
		static const struct fake_dom created = { 20, "new", uuid2,
							 KESTREL_STATE_SHUTOFF };

		reply_domain(false, &created, g->cmd, 0, false);
		reply_ack(0, NULL);
		return;
	}
	d = req_domain();
	if (!d) {
		reply_ack(-ENOENT, "Domain not found");
		return;
	}
	switch (g->cmd) {
	case KESTREL_CMD_DOMAIN_GET:
		reply_domain(false, d, g->cmd, 0,
			     req_attr(KESTREL_A_DOM_WANT_XML) != NULL);
		break;
	case KESTREL_CMD_DOMAIN_PAUSE:
		if (d->state != KESTREL_STATE_RUNNING) {
			reply_ack(-EINVAL, "domain is not running");
			return;
		}
		break;
	case KESTREL_CMD_DOMAIN_STATS:
		fake_stats(d);
		break;
	case KESTREL_CMD_VCPU_GET_REGS:
		fake_regs();
		break;
	}
	reply_ack(0, NULL);
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req,
			  size_t len)
{
	if (len > sizeof(fake.req.c)) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(fake.req.c, req, len);
	fake.nsent++;
	memset(fake.dgram_len, 0, sizeof(fake.dgram_len));
	fake.ndgrams = 0;
	fake.next = 0;
	fake.portid = mnl_socket_get_portid(nl);
	fake_module();
	return len;
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
			    size_t len)
{
	(void)nl;
	if (fake.next >= fake.ndgrams) {
		errno = EAGAIN;
		return -1;
	}
	if (fake.dgram_len[fake.next] > len) {
		errno = ENOSPC;
		return -1;
	}
	len = fake.dgram_len[fake.next];
	memcpy(buf, fake.dgram[fake.next++].c, len);
	return len;
}

FIXTURE(conn) {
	struct kestrel_conn *conn;
};

FIXTURE_SETUP(conn)
{
	ASSERT_EQ(0, kestrel_open(&self->conn))
		TH_LOG("%s", kestrel_last_error());
	fake.nsent_kestrel = 0;
}

FIXTURE_TEARDOWN(conn)
{
	kestrel_close(self->conn);
}

TEST_F(conn, lookup_by_name_id_and_uuid)
{
	struct kestrel_domain_info info;

	ASSERT_EQ(0, kestrel_domain_lookup(self->conn, "web-01", &info, false));
	EXPECT_EQ(7, info.id);
	EXPECT_NE(NULL, req_attr(KESTREL_A_DOM_NAME));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_WANT_XML));
	EXPECT_EQ(NULL, info.xml);

	ASSERT_EQ(0, kestrel_domain_lookup(self->conn, "9", &info, false));
	EXPECT_STREQ("db", info.name);
	ASSERT_NE(NULL, req_attr(KESTREL_A_DOM_ID));
	EXPECT_EQ(9, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ID)));

	ASSERT_EQ(0, kestrel_domain_lookup(self->conn,
					   "6E1F3C2A-9B41-4D2E-8F10-55210ABCDEF1",
					   &info, false));
	EXPECT_STREQ("web-01", info.name);
	EXPECT_NE(NULL, req_attr(KESTREL_A_DOM_UUID));
	EXPECT_EQ(3, fake.nsent_kestrel);
}

TEST_F(conn, lookup_with_xml)
{
	struct kestrel_domain_info info;

	ASSERT_EQ(0, kestrel_domain_lookup(self->conn, "db", &info, true));
	EXPECT_NE(NULL, req_attr(KESTREL_A_DOM_WANT_XML));
	ASSERT_NE(NULL, info.xml);
	EXPECT_STREQ("<domain/>", info.xml);
	kestrel_domain_info_clear(&info);

	ASSERT_EQ(0, kestrel_domain_get(self->conn, 7, &info, true));
	EXPECT_STREQ("web-01", info.name);
	EXPECT_STREQ("<domain/>", info.xml);
	kestrel_domain_info_clear(&info);
}

TEST_F(conn, lookup_not_found_in_libvirt_words)
{
	struct kestrel_domain_info info;

	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, "nosuch", &info,
						 false));
	EXPECT_STREQ("Domain not found: no domain with matching name 'nosuch'",
		     kestrel_last_error());
	EXPECT_TRUE(all_zero(&info, sizeof(info)));

	EXPECT_EQ(-ENOENT, kestrel_domain_get(self->conn, 5, &info, false));
	EXPECT_STREQ("Domain not found: no domain with matching id 5",
		     kestrel_last_error());

	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn,
						 "AAAAAAAA-9B41-4D2E-8F10-55210ABCDEF1",
						 &info, false));
	EXPECT_STREQ("Domain not found: no domain with matching uuid 'aaaaaaaa-9b41-4d2e-8f10-55210abcdef1'",
		     kestrel_last_error());
}

TEST_F(conn, lookup_numbers_fall_back_to_names_like_virsh)
{
	struct kestrel_domain_info info;

	/* ID 1234 does not exist, the domain named "1234" does. */
	ASSERT_EQ(0, kestrel_domain_lookup(self->conn, "1234", &info, false));
	EXPECT_EQ(12, info.id);
	EXPECT_EQ(2, fake.nsent_kestrel);

	/* Neither: the message keeps the first reading. */
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, "42", &info, false));
	EXPECT_STREQ("Domain not found: no domain with matching id 42",
		     kestrel_last_error());
	/* Not IDs: signs, spaces, too big. */
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, "-1", &info, false));
	EXPECT_STREQ("Domain not found: no domain with matching name '-1'",
		     kestrel_last_error());
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, "4294967296", &info,
						 false));
	EXPECT_STREQ("Domain not found: no domain with matching name '4294967296'",
		     kestrel_last_error());
}

TEST_F(conn, lookup_of_impossible_names_asks_nobody)
{
	char name[KESTREL_NAME_MAX + 1];
	struct kestrel_domain_info info;

	memset(name, 'x', sizeof(name));
	name[KESTREL_NAME_MAX] = '\0';
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, name, &info, false));
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, "", &info, false));
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->conn, NULL, &info, false));
	EXPECT_EQ(0, fake.nsent_kestrel);
}

TEST_F(conn, list_is_sorted_by_id)
{
	struct kestrel_domain_info *list;
	size_t n;

	ASSERT_EQ(0, kestrel_domain_list(self->conn, &list, &n))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_TRUE(fake_reqh()->nlmsg_flags & NLM_F_DUMP);
	ASSERT_EQ(3, n);
	EXPECT_EQ(7, list[0].id);
	EXPECT_EQ(9, list[1].id);
	EXPECT_EQ(12, list[2].id);
	EXPECT_STREQ("1234", list[2].name);
	kestrel_domain_list_free(list, n);
}

TEST_F(conn, list_with_a_malformed_entry_fails_whole)
{
	struct kestrel_domain_info *list, info;
	size_t n;

	fake.malformed_dump = true;
	EXPECT_EQ(-EPROTO, kestrel_domain_list(self->conn, &list, &n));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DOM_ID"))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(NULL, list);
	EXPECT_EQ(0, n);
	/* The rest of the dump was drained: the conn still works. */
	fake.malformed_dump = false;
	EXPECT_EQ(0, kestrel_domain_lookup(self->conn, "db", &info, false));
}

TEST_F(conn, lifecycle_requests)
{
	EXPECT_EQ(0, kestrel_domain_start(self->conn, 7));
	EXPECT_EQ(KESTREL_CMD_DOMAIN_START, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(7, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ID)));
	EXPECT_EQ(0, kestrel_domain_resume(self->conn, 7));
	EXPECT_EQ(0, kestrel_domain_destroy(self->conn, 9));
	EXPECT_EQ(KESTREL_CMD_DOMAIN_DESTROY, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(0, kestrel_domain_pause(self->conn, 9));

	EXPECT_EQ(-ENOENT, kestrel_domain_destroy(self->conn, 8));
	EXPECT_STREQ("Domain not found: no domain with matching id 8",
		     kestrel_last_error());
	/* Other errors keep the module's extack message. */
	EXPECT_EQ(-EINVAL, kestrel_domain_pause(self->conn, 7));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "domain is not running"));
}

TEST_F(conn, stats_request)
{
	struct kestrel_domain_stats st;

	ASSERT_EQ(0, kestrel_domain_stats(self->conn, 9, &st))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(42, st.exits[KESTREL_EXIT_HLT]);
	EXPECT_EQ(1, st.nr_vcpus);
	EXPECT_EQ(777, st.vcpu_time_ns[0]);
	ASSERT_EQ(2, st.nr_devices);
	expect_net(_metadata, &st.devices[0], 1, 500);
	expect_blk(_metadata, &st.devices[1], 2, 9000);
	EXPECT_EQ(-ENOENT, kestrel_domain_stats(self->conn, 1, &st));
	EXPECT_STREQ("Domain not found: no domain with matching id 1",
		     kestrel_last_error());
}

TEST_F(conn, register_requests)
{
	struct kestrel_regs r = { .rax = 1 };
	struct kestrel_sregs s = { .efer = 0x500 };
	const struct nlattr *a;

	ASSERT_EQ(0, kestrel_vcpu_get_regs(self->conn, 7, 0, &r, &s));
	EXPECT_EQ(0x7c00, r.rip);
	EXPECT_EQ(0x10, s.cr0);
	ASSERT_EQ(0, kestrel_vcpu_get_regs(self->conn, 7, 0, NULL, &s));

	r.rax = 0x1234;
	ASSERT_EQ(0, kestrel_vcpu_set_regs(self->conn, 7, 1, &r, NULL));
	EXPECT_EQ(KESTREL_CMD_VCPU_SET_REGS, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(1, mnl_attr_get_u32(req_attr(KESTREL_A_VCPU_ID)));
	a = req_attr(KESTREL_A_VCPU_REGS);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(sizeof(r), mnl_attr_get_payload_len(a));
	EXPECT_EQ(0, memcmp(&r, mnl_attr_get_payload(a), sizeof(r)));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_VCPU_SREGS));
	ASSERT_EQ(0, kestrel_vcpu_set_regs(self->conn, 7, 1, NULL, &s));
	EXPECT_EQ(sizeof(s), mnl_attr_get_payload_len(req_attr(KESTREL_A_VCPU_SREGS)));

	fake.nsent_kestrel = 0;
	EXPECT_EQ(-EINVAL, kestrel_vcpu_set_regs(self->conn, 7, 1, NULL, NULL));
	EXPECT_EQ(0, fake.nsent_kestrel);
	EXPECT_EQ(-ENOENT, kestrel_vcpu_get_regs(self->conn, 3, 0, &r, &s));
}

TEST_F(conn, create_request)
{
	static const char xml[] = "<domain type='kestrel'/>";
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 2,
		.xml = xml, .xml_len = sizeof(xml) - 1,
	};
	struct kestrel_domain_info info;
	const uint8_t *u;

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, &info))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(20, info.id);
	EXPECT_STREQ("new", mnl_attr_get_str(req_attr(KESTREL_A_DOM_NAME)));
	EXPECT_EQ(64ULL << 20, mnl_attr_get_u64(req_attr(KESTREL_A_DOM_MEMORY)));
	EXPECT_EQ(2, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_VCPUS)));
	EXPECT_EQ(sizeof(xml) - 1,
		  mnl_attr_get_payload_len(req_attr(KESTREL_A_DOM_XML)));
	/* No UUID given: a random one is sent. */
	ASSERT_NE(NULL, req_attr(KESTREL_A_DOM_UUID));
	EXPECT_EQ(KESTREL_UUID_LEN,
		  mnl_attr_get_payload_len(req_attr(KESTREL_A_DOM_UUID)));
	u = mnl_attr_get_payload(req_attr(KESTREL_A_DOM_UUID));
	EXPECT_EQ(0x40, u[6] & 0xf0);

	cfg.uuid = uuid1;
	cfg.xml = NULL;
	cfg.xml_len = 0;
	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL));
	EXPECT_EQ(0, memcmp(uuid1, mnl_attr_get_payload(req_attr(KESTREL_A_DOM_UUID)),
			    KESTREL_UUID_LEN));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_XML));
}

TEST_F(conn, create_checks_before_sending)
{
	char name[KESTREL_NAME_MAX + 1];
	struct kestrel_domain_config cfg = { .name = "ok", .memory = 1 << 21,
					     .vcpus = 1 };
	struct kestrel_domain_info info;

	memset(name, 'n', sizeof(name));
	name[KESTREL_NAME_MAX] = '\0';
	cfg.name = name;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, &info));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "too long"));
	name[KESTREL_NAME_MAX - 1] = '\0';	/* 63: fits */
	EXPECT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL));
	cfg.name = "";
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, &info));
	cfg.name = NULL;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, &info));
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, NULL, &info));
	cfg.name = "ok";
	cfg.xml = "x";
	cfg.xml_len = KESTREL_XML_MAX + 1;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, &info));
	cfg.xml = NULL;
	cfg.xml_len = 3;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, &info));
	EXPECT_EQ(1, fake.nsent_kestrel);
}

TEST_F(conn, create_sends_lifecycle_actions_only_when_set)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
	};

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_ON_POWEROFF));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_ON_REBOOT));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_ON_CRASH));

	cfg.set_lifecycle = true;
	cfg.on_poweroff = KESTREL_ACTION_DESTROY;
	cfg.on_reboot = KESTREL_ACTION_RESTART;
	cfg.on_crash = KESTREL_ACTION_PRESERVE;
	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL));
	ASSERT_NE(NULL, req_attr(KESTREL_A_DOM_ON_POWEROFF));
	ASSERT_NE(NULL, req_attr(KESTREL_A_DOM_ON_REBOOT));
	ASSERT_NE(NULL, req_attr(KESTREL_A_DOM_ON_CRASH));
	EXPECT_EQ(sizeof(uint32_t),
		  mnl_attr_get_payload_len(req_attr(KESTREL_A_DOM_ON_POWEROFF)));
	EXPECT_EQ(KESTREL_ACTION_DESTROY,
		  mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ON_POWEROFF)));
	EXPECT_EQ(KESTREL_ACTION_RESTART,
		  mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ON_REBOOT)));
	EXPECT_EQ(KESTREL_ACTION_PRESERVE,
		  mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ON_CRASH)));

	fake.nsent_kestrel = 0;
	cfg.on_reboot = KESTREL_ACTION_PRESERVE + 1;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, NULL));
	EXPECT_EQ(0, fake.nsent_kestrel);
}

/* The u32 attribute @type inside nest @nest, or ~0U if absent. */
static uint32_t nested_u32(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type &&
		    mnl_attr_get_payload_len(a) == sizeof(uint32_t))
			return mnl_attr_get_u32(a);
	return ~0U;
}

TEST_F(conn, create_sends_devices_nested)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
		.nr_devices = 2,
		.devices = {
			{ .type = KESTREL_DEV_RNG, .slot = 1 },
			{ .type = KESTREL_DEV_RNG, .slot = 31,
			  .rate_bytes = 1024, .rate_period = 2000 },
		},
	};
	const struct nlattr *devs, *a;
	const struct nlattr *dev[3] = { NULL };
	unsigned int n = 0;

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
	devs = req_attr(KESTREL_A_DOM_DEVICES);
	ASSERT_NE(NULL, devs);
	EXPECT_TRUE(mnl_attr_get_type(devs) == KESTREL_A_DOM_DEVICES);
	mnl_attr_for_each_nested(a, devs) {
		EXPECT_EQ(KESTREL_A_DEVICE, mnl_attr_get_type(a));
		if (n < 3)
			dev[n] = a;
		n++;
	}
	ASSERT_EQ(2, n);
	EXPECT_EQ(KESTREL_DEV_RNG, nested_u32(dev[0], KESTREL_A_DEV_TYPE));
	EXPECT_EQ(1, nested_u32(dev[0], KESTREL_A_DEV_SLOT));
	/* No rate: neither attribute. */
	EXPECT_EQ(~0U, nested_u32(dev[0], KESTREL_A_DEV_RATE_BYTES));
	EXPECT_EQ(~0U, nested_u32(dev[0], KESTREL_A_DEV_RATE_PERIOD));
	EXPECT_EQ(KESTREL_DEV_RNG, nested_u32(dev[1], KESTREL_A_DEV_TYPE));
	EXPECT_EQ(31, nested_u32(dev[1], KESTREL_A_DEV_SLOT));
	EXPECT_EQ(1024, nested_u32(dev[1], KESTREL_A_DEV_RATE_BYTES));
	EXPECT_EQ(2000, nested_u32(dev[1], KESTREL_A_DEV_RATE_PERIOD));
	/* The nests are well-formed: exactly the attributes written. */
	n = 0;
	mnl_attr_for_each_nested(a, dev[1])
		n++;
	EXPECT_EQ(4, n);

	/* No devices: no KESTREL_A_DOM_DEVICES at all. */
	cfg.nr_devices = 0;
	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_DEVICES));
}

TEST_F(conn, create_sends_console_type_and_slot)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
		.nr_devices = 2,
		.devices = {
			{ .type = KESTREL_DEV_RNG, .slot = 1 },
			{ .type = KESTREL_DEV_CONSOLE, .slot = 2, .fd = -1 },
		},
	};
	const struct nlattr *devs, *a, *dev[2] = { NULL };
	unsigned int n = 0;

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
	devs = req_attr(KESTREL_A_DOM_DEVICES);
	ASSERT_NE(NULL, devs);
	mnl_attr_for_each_nested(a, devs) {
		if (n < 2)
			dev[n] = a;
		n++;
	}
	ASSERT_EQ(2, n);
	EXPECT_EQ(KESTREL_DEV_CONSOLE, nested_u32(dev[1], KESTREL_A_DEV_TYPE));
	EXPECT_EQ(2, nested_u32(dev[1], KESTREL_A_DEV_SLOT));
	/* Just the type and the slot. */
	n = 0;
	mnl_attr_for_each_nested(a, dev[1])
		n++;
	EXPECT_EQ(2, n);
}

TEST_F(conn, create_checks_devices_before_sending)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
		.nr_devices = 2,
		.devices = {
			{ .type = KESTREL_DEV_RNG, .slot = 3 },
			{ .type = KESTREL_DEV_RNG, .slot = 4 },
		},
	};
	static const struct {
		unsigned int i;
		struct kestrel_device_config dev;
		const char *msg;
	} bad[] = {
		{ 1, { .type = KESTREL_DEV_RNG, .slot = 3 }, "used twice" },
		{ 1, { .type = KESTREL_DEV_RNG, .slot = 0 }, "out of range" },
		{ 0, { .type = KESTREL_DEV_RNG, .slot = 32 }, "out of range" },
		{ 0, { .type = 0, .slot = 5 }, "unknown device type" },
		{ 0, { .type = KESTREL_DEV_RNG, .slot = 5, .rate_bytes = 1 },
		  "invalid rate" },
		{ 0, { .type = KESTREL_DEV_RNG, .slot = 5, .rate_period = 1000 },
		  "invalid rate" },
		{ 0, { .type = KESTREL_DEV_RNG, .slot = 5, .rate_bytes = 1,
		       .rate_period = 3600001 }, "invalid rate" },
		{ 0, { .type = KESTREL_DEV_CONSOLE, .slot = 5, .rate_bytes = 1,
		       .rate_period = 1000 }, "console device takes no attributes" },
		{ 0, { .type = KESTREL_DEV_CONSOLE, .slot = 5, .readonly = true },
		  "console device takes no attributes" },
		{ 0, { .type = KESTREL_DEV_CONSOLE, .slot = 5, .queues = 1 },
		  "console device takes no attributes" },
		{ 0, { .type = KESTREL_DEV_CONSOLE, .slot = 5, .serial = "x" },
		  "console device takes no attributes" },
		{ 0, { .type = KESTREL_DEV_CONSOLE, .slot = 5, .nr_fds = 1 },
		  "are for net devices" },
		{ 0, { .type = KESTREL_DEV_CONSOLE, .slot = 5,
		       .mac = { 0x52 } }, "are for net devices" },
	};
	struct kestrel_device_config keep[2];
	size_t i;

	memcpy(keep, cfg.devices, sizeof(keep));
	fake.nsent_kestrel = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(cfg.devices, keep, sizeof(keep));
		cfg.devices[bad[i].i] = bad[i].dev;
		EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, NULL))
			TH_LOG("case %zu", i);
		EXPECT_NE(NULL, strstr(kestrel_last_error(), bad[i].msg))
			TH_LOG("case %zu: %s", i, kestrel_last_error());
	}
	memcpy(cfg.devices, keep, sizeof(keep));
	cfg.nr_devices = KESTREL_MAX_DEVICES + 1;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, NULL));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "too many devices"));
	EXPECT_EQ(0, fake.nsent_kestrel);

	/* At the limits: 1 byte per 3600000 ms. */
	cfg.nr_devices = 2;
	cfg.devices[1].rate_bytes = 1;
	cfg.devices[1].rate_period = 3600000;
	EXPECT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
}

/* Attribute @type inside nest @nest, or NULL. */
static const struct nlattr *nested_attr(const struct nlattr *nest,
					uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

TEST_F(conn, create_sends_block_devices_with_their_fds)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 2,
		.nr_devices = 3,
		.devices = {
			{ .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = 7,
			  .readonly = true, .serial = "WEB 01_v1.0+x",
			  .queues = 4 },
			{ .type = KESTREL_DEV_BLOCK, .slot = 2, .fd = 0 },
			{ .type = KESTREL_DEV_RNG, .slot = 3, .fd = -1 },
		},
	};
	const struct nlattr *devs, *a, *dev[4] = { NULL };
	unsigned int n = 0;

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
	devs = req_attr(KESTREL_A_DOM_DEVICES);
	ASSERT_NE(NULL, devs);
	mnl_attr_for_each_nested(a, devs) {
		if (n < 4)
			dev[n] = a;
		n++;
	}
	ASSERT_EQ(3, n);
	EXPECT_EQ(KESTREL_DEV_BLOCK, nested_u32(dev[0], KESTREL_A_DEV_TYPE));
	EXPECT_EQ(1, nested_u32(dev[0], KESTREL_A_DEV_SLOT));
	EXPECT_EQ(7, nested_u32(dev[0], KESTREL_A_DEV_FD));
	a = nested_attr(dev[0], KESTREL_A_DEV_READONLY);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, mnl_attr_get_payload_len(a));	/* a flag */
	a = nested_attr(dev[0], KESTREL_A_DEV_SERIAL);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, mnl_attr_validate(a, MNL_TYPE_NUL_STRING));
	EXPECT_STREQ("WEB 01_v1.0+x", mnl_attr_get_str(a));
	EXPECT_EQ(4, nested_u32(dev[0], KESTREL_A_DEV_QUEUES));
	EXPECT_EQ(~0U, nested_u32(dev[0], KESTREL_A_DEV_RATE_BYTES));
	n = 0;
	mnl_attr_for_each_nested(a, dev[0])
		n++;
	EXPECT_EQ(6, n);
	/* fd 0 is an fd; no readonly, serial or queues: not sent. */
	EXPECT_EQ(0, nested_u32(dev[1], KESTREL_A_DEV_FD));
	EXPECT_EQ(NULL, nested_attr(dev[1], KESTREL_A_DEV_READONLY));
	EXPECT_EQ(NULL, nested_attr(dev[1], KESTREL_A_DEV_SERIAL));
	EXPECT_EQ(NULL, nested_attr(dev[1], KESTREL_A_DEV_QUEUES));
	n = 0;
	mnl_attr_for_each_nested(a, dev[1])
		n++;
	EXPECT_EQ(3, n);
	/* An rng never carries an fd. */
	EXPECT_EQ(NULL, nested_attr(dev[2], KESTREL_A_DEV_FD));
	EXPECT_EQ(KESTREL_DEV_RNG, nested_u32(dev[2], KESTREL_A_DEV_TYPE));
}

TEST_F(conn, create_checks_block_devices_before_sending)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
		.nr_devices = 1,
	};
	static const struct {
		struct kestrel_device_config dev;
		const char *msg;
	} bad[] = {
		{ { .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = -1 },
		  "needs the open fd of its backend" },
		{ { .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = 3, .queues = 65 },
		  "65 queues" },
		{ { .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = 3,
		    .rate_bytes = 1, .rate_period = 1000 }, "a rate is for rng" },
		{ { .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = 3,
		    .serial = "web\n" }, "not printable" },
		{ { .type = KESTREL_DEV_BLOCK, .slot = 0, .fd = 3 },
		  "out of range" },
		{ { .type = KESTREL_DEV_RNG, .slot = 1, .readonly = true },
		  "are for block devices" },
		{ { .type = KESTREL_DEV_RNG, .slot = 1, .serial = "x" },
		  "are for block devices" },
		{ { .type = KESTREL_DEV_RNG, .slot = 1, .queues = 1 },
		  "are for block devices" },
	};
	size_t i;

	fake.nsent_kestrel = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.devices[0] = bad[i].dev;
		EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, NULL))
			TH_LOG("case %zu", i);
		EXPECT_NE(NULL, strstr(kestrel_last_error(), bad[i].msg))
			TH_LOG("case %zu: %s", i, kestrel_last_error());
	}
	/* A serial of 21 bytes has no room for its NUL. */
	memset(&cfg.devices[0], 0, sizeof(cfg.devices[0]));
	cfg.devices[0].type = KESTREL_DEV_BLOCK;
	cfg.devices[0].slot = 1;
	memset(cfg.devices[0].serial, 'x', sizeof(cfg.devices[0].serial));
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->conn, &cfg, NULL));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "longer than 20 bytes"))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0, fake.nsent_kestrel);

	/* At the limits: 20 bytes of serial, 64 queues. */
	cfg.devices[0].serial[20] = '\0';
	cfg.devices[0].queues = 64;
	EXPECT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
}

TEST_F(conn, create_sends_net_devices_with_their_tap_fds)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 2,
		.nr_devices = 2,
		.devices = {
			{ .type = KESTREL_DEV_NET, .slot = 1, .fd = -1,
			  .fds = { 7, 8, 9 }, .nr_fds = 3,
			  .mac = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef } },
			{ .type = KESTREL_DEV_NET, .slot = 2, .fd = 5,
			  .fds = { 0 }, .nr_fds = 1,
			  .mac = { 0x02, 0, 0, 0, 0, 1 } },
		},
	};
	const struct nlattr *devs, *a, *dev[3] = { NULL };
	const int32_t *fds;
	unsigned int n = 0;

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
	devs = req_attr(KESTREL_A_DOM_DEVICES);
	ASSERT_NE(NULL, devs);
	mnl_attr_for_each_nested(a, devs) {
		if (n < 3)
			dev[n] = a;
		n++;
	}
	ASSERT_EQ(2, n);
	EXPECT_EQ(KESTREL_DEV_NET, nested_u32(dev[0], KESTREL_A_DEV_TYPE));
	EXPECT_EQ(1, nested_u32(dev[0], KESTREL_A_DEV_SLOT));
	a = nested_attr(dev[0], KESTREL_A_DEV_FDS);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(3 * sizeof(int32_t), mnl_attr_get_payload_len(a));
	fds = mnl_attr_get_payload(a);
	EXPECT_EQ(7, fds[0]);
	EXPECT_EQ(8, fds[1]);
	EXPECT_EQ(9, fds[2]);
	a = nested_attr(dev[0], KESTREL_A_DEV_MAC);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(6, mnl_attr_get_payload_len(a));
	EXPECT_EQ(0, memcmp(mnl_attr_get_payload(a), "\x52\x54\x00\xab\xcd\xef", 6));
	/* Never a single fd, queues, or block or rng attributes. */
	EXPECT_EQ(NULL, nested_attr(dev[0], KESTREL_A_DEV_FD));
	n = 0;
	mnl_attr_for_each_nested(a, dev[0])
		n++;
	EXPECT_EQ(4, n);
	/* fd 0 is an fd; the unused single fd is not read. */
	a = nested_attr(dev[1], KESTREL_A_DEV_FDS);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(sizeof(int32_t), mnl_attr_get_payload_len(a));
	EXPECT_EQ(0, *(const int32_t *)mnl_attr_get_payload(a));
	EXPECT_EQ(NULL, nested_attr(dev[1], KESTREL_A_DEV_FD));
}

/* <link state='down'/>: KESTREL_A_DEV_LINK_DOWN, a flag, only when down. */
TEST_F(conn, create_sends_link_down_as_a_flag)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
		.nr_devices = 3,
		.devices = {
			{ .type = KESTREL_DEV_NET, .slot = 1, .fd = -1,
			  .fds = { 7 }, .nr_fds = 1,
			  .mac = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef },
			  .link_down = true },
			{ .type = KESTREL_DEV_NET, .slot = 2, .fd = -1,
			  .fds = { 8, 9 }, .nr_fds = 2,
			  .mac = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xf0 } },
			{ .type = KESTREL_DEV_RNG, .slot = 3 },
		},
	};
	const struct nlattr *devs, *a, *dev[4] = { NULL };
	unsigned int n = 0;

	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
	devs = req_attr(KESTREL_A_DOM_DEVICES);
	ASSERT_NE(NULL, devs);
	mnl_attr_for_each_nested(a, devs) {
		if (n < 4)
			dev[n] = a;
		n++;
	}
	ASSERT_EQ(3, n);
	a = nested_attr(dev[0], KESTREL_A_DEV_LINK_DOWN);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, mnl_attr_get_payload_len(a));
	EXPECT_EQ(KESTREL_DEV_NET, nested_u32(dev[0], KESTREL_A_DEV_TYPE));
	EXPECT_NE(NULL, nested_attr(dev[0], KESTREL_A_DEV_FDS));
	EXPECT_NE(NULL, nested_attr(dev[0], KESTREL_A_DEV_MAC));
	n = 0;
	mnl_attr_for_each_nested(a, dev[0])
		n++;
	EXPECT_EQ(5, n);
	/* Up (the default) sends nothing; nor does any other device. */
	EXPECT_EQ(NULL, nested_attr(dev[1], KESTREL_A_DEV_LINK_DOWN));
	EXPECT_EQ(NULL, nested_attr(dev[2], KESTREL_A_DEV_LINK_DOWN));
}

TEST_F(conn, create_checks_net_devices_before_sending)
{
	struct kestrel_domain_config cfg = {
		.name = "new", .memory = 64ULL << 20, .vcpus = 1,
		.nr_devices = 1,
	};
#define MAC .mac = { 0x52, 0x54, 0, 1, 2, 3 }
	static const struct {
		struct kestrel_device_config dev;
		int err;
		const char *msg;
	} bad[] = {
		{ { .type = KESTREL_DEV_NET, .slot = 1, MAC }, EINVAL,
		  "needs 1-16 tap fds, one per queue pair (0 given)" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, MAC, .nr_fds = 17 },
		  EINVAL, "(17 given)" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, MAC, .nr_fds = 2,
		    .fds = { 3, -1 } }, EINVAL, "tap fd 1 is not open" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, .nr_fds = 1, .fds = { 3 } },
		  EINVAL, "needs a MAC address" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, .nr_fds = 1, .fds = { 3 },
		    .mac = { 0x01, 0, 0x5e, 0, 0, 1 } }, EINVAL, "multicast" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, MAC, .nr_fds = 1,
		    .fds = { 3 }, .queues = 1 }, EINVAL,
		  "one queue pair per fd" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, MAC, .nr_fds = 1,
		    .fds = { 3 }, .readonly = true }, EINVAL, "for block devices" },
		{ { .type = KESTREL_DEV_NET, .slot = 1, MAC, .nr_fds = 1,
		    .fds = { 3 }, .rate_bytes = 1, .rate_period = 1 }, EINVAL,
		  "a rate is for rng devices" },
		{ { .type = KESTREL_DEV_NET, .slot = 0, MAC, .nr_fds = 1,
		    .fds = { 3 } }, EINVAL, "out of range" },
		{ { .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = 3, .nr_fds = 1,
		    .fds = { 3 } }, EINVAL, "are for net devices" },
		{ { .type = KESTREL_DEV_RNG, .slot = 1, MAC }, EINVAL,
		  "are for net devices" },
		{ { .type = KESTREL_DEV_RNG, .slot = 1, .link_down = true },
		  EINVAL, "are for net devices" },
		{ { .type = KESTREL_DEV_BLOCK, .slot = 1, .fd = 3,
		    .link_down = true }, EINVAL, "are for net devices" },
		{ { .type = KESTREL_DEV_CONSOLE, .slot = 1, .link_down = true },
		  EINVAL, "are for net devices" },
	};
#undef MAC
	size_t i;

	fake.nsent_kestrel = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.devices[0] = bad[i].dev;
		EXPECT_EQ(-bad[i].err, kestrel_domain_create(self->conn, &cfg, NULL))
			TH_LOG("case %zu", i);
		EXPECT_NE(NULL, strstr(kestrel_last_error(), bad[i].msg))
			TH_LOG("case %zu: %s", i, kestrel_last_error());
	}
	EXPECT_EQ(0, fake.nsent_kestrel);

	/* At the limit: 16 queue pairs. */
	memset(&cfg.devices[0], 0, sizeof(cfg.devices[0]));
	cfg.devices[0].type = KESTREL_DEV_NET;
	cfg.devices[0].slot = 1;
	cfg.devices[0].nr_fds = 16;
	cfg.devices[0].mac[0] = 0xfe;
	EXPECT_EQ(0, kestrel_domain_create(self->conn, &cfg, NULL))
		TH_LOG("%s", kestrel_last_error());
}

TEST_F(conn, start_carries_the_boot_regions)
{
	struct kestrel_mem_region r[KESTREL_MAX_BOOT_REGIONS + 1] = {
		{ 0x1000, 32 }, { 0x7000, 4096 }, { 0x1000000, 0x800000 },
	};
	const struct nlattr *a;

	ASSERT_EQ(0, kestrel_domain_start_boot(self->conn, 7, r, 3, NULL, 0))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(KESTREL_CMD_DOMAIN_START, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(7, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ID)));
	a = req_attr(KESTREL_A_DOM_BOOT_REGIONS);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(3 * sizeof(r[0]), mnl_attr_get_payload_len(a));
	EXPECT_EQ(0, memcmp(r, mnl_attr_get_payload(a), 3 * sizeof(r[0])));

	/* A plain start has none. */
	ASSERT_EQ(0, kestrel_domain_start(self->conn, 7));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_BOOT_REGIONS));
	ASSERT_EQ(0, kestrel_domain_start_boot(self->conn, 7, NULL, 0, NULL, 0));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_BOOT_REGIONS));

	/* The uapi's maximum, and not one more. */
	ASSERT_EQ(0, kestrel_domain_start_boot(self->conn, 7, r,
					       KESTREL_MAX_BOOT_REGIONS, NULL, 0));
	fake.nsent_kestrel = 0;
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->conn, 7, r,
						     KESTREL_MAX_BOOT_REGIONS + 1,
						     NULL, 0));
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->conn, 7, NULL, 1, NULL, 0));
	EXPECT_EQ(0, fake.nsent_kestrel);
	EXPECT_EQ(-ENOENT, kestrel_domain_start_boot(self->conn, 8, r, 1, NULL, 0));
	EXPECT_STREQ("Domain not found: no domain with matching id 8",
		     kestrel_last_error());
}

TEST_F(conn, start_carries_the_boot_files)
{
	struct kestrel_mem_region r[2] = { { 0x1000, 32 }, { 0x1000000, 0x800000 } };
	struct kestrel_boot_file f[2] = {
		{ .gpa = 0x1000000, .size = 0x800000, .offset = 0x4200, .fd = 5 },
	};
	const struct nlattr *a;

	ASSERT_EQ(0, kestrel_domain_start_boot(self->conn, 7, r, 2, f, 1))
		TH_LOG("%s", kestrel_last_error());
	a = req_attr(KESTREL_A_DOM_BOOT_FILES);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(sizeof(f[0]), mnl_attr_get_payload_len(a));
	EXPECT_EQ(0, memcmp(f, mnl_attr_get_payload(a), sizeof(f[0])));
	ASSERT_EQ(0, kestrel_domain_start_boot(self->conn, 7, r, 2, NULL, 0));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_BOOT_FILES));

	/* More files than regions, or counted and missing: refused unsent. */
	fake.nsent_kestrel = 0;
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->conn, 7, r, 1, f, 2));
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->conn, 7, r, 2, NULL, 1));
	EXPECT_EQ(0, fake.nsent_kestrel);
}

TEST_F(conn, shutdown_reboot_and_reset_requests)
{
	ASSERT_EQ(0, kestrel_domain_shutdown(self->conn, 9, false));
	EXPECT_EQ(KESTREL_CMD_DOMAIN_SHUTDOWN, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(9, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ID)));
	EXPECT_EQ(NULL, req_attr(KESTREL_A_DOM_REBOOT));

	ASSERT_EQ(0, kestrel_domain_shutdown(self->conn, 9, true));
	EXPECT_EQ(KESTREL_CMD_DOMAIN_SHUTDOWN, kestrel_msg_cmd(fake_reqh()));
	ASSERT_NE(NULL, req_attr(KESTREL_A_DOM_REBOOT));
	EXPECT_EQ(0, mnl_attr_get_payload_len(req_attr(KESTREL_A_DOM_REBOOT)));

	ASSERT_EQ(0, kestrel_domain_reset(self->conn, 7));
	EXPECT_EQ(KESTREL_CMD_DOMAIN_RESET, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(7, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ID)));

	EXPECT_EQ(-ENOENT, kestrel_domain_shutdown(self->conn, 8, false));
	EXPECT_STREQ("Domain not found: no domain with matching id 8",
		     kestrel_last_error());
	EXPECT_EQ(-ENOENT, kestrel_domain_reset(self->conn, 8));
}

TEST_F(conn, set_link_request)
{
	int sent;

	ASSERT_EQ(0, kestrel_device_set_link(self->conn, 9, 4, false))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(KESTREL_CMD_DEVICE_SET_LINK, kestrel_msg_cmd(fake_reqh()));
	EXPECT_EQ(9, mnl_attr_get_u32(req_attr(KESTREL_A_DOM_ID)));
	EXPECT_EQ(4, mnl_attr_get_u32(req_attr(KESTREL_A_LINK_SLOT)));
	EXPECT_EQ(0, mnl_attr_get_u32(req_attr(KESTREL_A_LINK_STATE)));
	ASSERT_EQ(0, kestrel_device_set_link(self->conn, 9, 4, true));
	EXPECT_EQ(1, mnl_attr_get_u32(req_attr(KESTREL_A_LINK_STATE)));

	/* A slot no PCI bus has: refused before anything is sent. */
	sent = fake.nsent_kestrel;
	EXPECT_EQ(-EINVAL, kestrel_device_set_link(self->conn, 9,
						   KESTREL_PCI_MAX_SLOT + 1,
						   true));
	EXPECT_EQ(sent, fake.nsent_kestrel);
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "slot"));

	EXPECT_EQ(-ENOENT, kestrel_device_set_link(self->conn, 8, 4, true));
	EXPECT_STREQ("Domain not found: no domain with matching id 8",
		     kestrel_last_error());
	fake.unknown_cmd = KESTREL_CMD_DEVICE_SET_LINK;
	EXPECT_EQ(-EOPNOTSUPP, kestrel_device_set_link(self->conn, 9, 4, true));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DEVICE_SET_LINK"));
	fake.unknown_cmd = 0;
}

TEST_F(conn, a_module_without_the_command_is_named_plainly)
{
	fake.unknown_cmd = KESTREL_CMD_DOMAIN_SHUTDOWN;
	EXPECT_EQ(-EOPNOTSUPP, kestrel_domain_shutdown(self->conn, 9, true));
	EXPECT_STREQ("the kestrel module does not support DOMAIN_SHUTDOWN (an older module?)",
		     kestrel_last_error());
	fake.unknown_cmd = KESTREL_CMD_DOMAIN_RESET;
	EXPECT_EQ(-EOPNOTSUPP, kestrel_domain_reset(self->conn, 9));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "DOMAIN_RESET"));
	fake.unknown_cmd = 0;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(events_time_out)
{
	struct kestrel_event_msg ev;
	struct kestrel_conn *c;
	long long t0, dt;

	ASSERT_EQ(0, kestrel_event_open(&c)) TH_LOG("%s", kestrel_last_error());
	t0 = ms_now();
	EXPECT_EQ(-ETIMEDOUT, kestrel_event_next(c, &ev, 100));
	dt = ms_now() - t0;
	EXPECT_LE(100, dt);
	EXPECT_GT(2000, dt);
	EXPECT_EQ(-ETIMEDOUT, kestrel_event_next(c, &ev, 0));
	kestrel_close(c);
}

TEST(events_need_the_group)
{
	struct kestrel_conn *c = (struct kestrel_conn *)1;

	fake.mcgrp = 0;
	EXPECT_EQ(-EPROTO, kestrel_event_open(&c));
	EXPECT_EQ(NULL, c);
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "'events'"));
}

TEST(domain_fds_without_the_device)
{
	if (access("/dev/kestrel", F_OK) == 0)
		SKIP(return, "/dev/kestrel exists here");
	EXPECT_EQ(-ENOENT, kestrel_domain_console_fd(1));
	EXPECT_NE(NULL, strstr(kestrel_last_error(),
			       "cannot open /dev/kestrel: the kestrel module is not loaded"));
	EXPECT_EQ(-ENOENT, kestrel_domain_memory_fd(1));
}

TEST_HARNESS_MAIN
