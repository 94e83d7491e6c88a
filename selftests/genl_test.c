// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink family rejects bad requests with the right errno and an
 * extack message, and a rejected request changes nothing.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "kselftest_harness.h"
#include "nl.h"
#include "util.h"

FIXTURE(genl) {
	struct kestrel_conn *conn;
	struct kestrel_info info;
};

FIXTURE_SETUP(genl)
{
	ASSERT_EQ(0, kestrel_open(&self->conn))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_get_info(self->conn, &self->info));
}

FIXTURE_TEARDOWN(genl)
{
	struct kestrel_info after;

	/* Whatever a test sent, the module still answers and holds nothing. */
	if (kestrel_get_info(self->conn, &after) == 0 &&
	    after.active_domains != self->info.active_domains)
		TH_LOG("domain count changed: %u -> %u",
		       self->info.active_domains, after.active_domains);
	kestrel_close(self->conn);
}

/* A valid create request, so each test can break exactly one thing. */
static struct nlmsghdr *create_msg(struct kestrel_conn *c, const char *name)
{
	struct nlmsghdr *nlh = kestrel_request_start(c, KESTREL_CMD_DOMAIN_CREATE, 0);

	if (name)
		mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, name);
	mnl_attr_put_u64(nlh, KESTREL_A_DOM_MEMORY, 64 << 20);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 1);
	return nlh;
}

#define EXPECT_REJECTED(c, nlh, errnum) do {				\
	EXPECT_EQ(-(errnum), kestrel_transact(c, nlh, NULL, NULL))	\
		TH_LOG("got: %s", kestrel_last_error());		\
	EXPECT_NE(0, strlen(kestrel_conn_extack(c)))			\
		TH_LOG("no extack message: %s", kestrel_last_error());	\
} while (0)

TEST_F(genl, unknown_attribute)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_GET_INFO, 0);

	mnl_attr_put_u32(nlh, KESTREL_A_MAX + 1, 1);
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
}

TEST_F(genl, attribute_not_taken_by_command)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_GET_INFO, 0);

	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "x");
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
}

TEST_F(genl, attribute_not_for_create)
{
	struct nlmsghdr *nlh = create_msg(self->conn, "t1");

	mnl_attr_put_u32(nlh, KESTREL_A_HOST_CPUS, 1);
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
}

TEST_F(genl, name_not_terminated)
{
	struct nlmsghdr *nlh = create_msg(self->conn, NULL);

	mnl_attr_put(nlh, KESTREL_A_DOM_NAME, 3, "abc");
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
}

TEST_F(genl, name_too_long)
{
	char name[KESTREL_NAME_MAX + 1];
	struct nlmsghdr *nlh;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nlh = create_msg(self->conn, name);
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
}

TEST_F(genl, wrong_width)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_DOMAIN_CREATE, 0);

	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "t1");
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_MEMORY, 64 << 20);	/* u64 */
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 1);
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
}

TEST_F(genl, zero_vcpus)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_DOMAIN_CREATE, 0);

	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "t1");
	mnl_attr_put_u64(nlh, KESTREL_A_DOM_MEMORY, 64 << 20);
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 0);
	EXPECT_REJECTED(self->conn, nlh, ERANGE);	/* out of the policy's range */
}

TEST_F(genl, uuid_wrong_length)
{
	struct nlmsghdr *nlh = create_msg(self->conn, "t1");

	mnl_attr_put(nlh, KESTREL_A_DOM_UUID, 15, "0123456789abcde");
	EXPECT_REJECTED(self->conn, nlh, ERANGE);	/* exact length policy */
}

TEST_F(genl, missing_required)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_DOMAIN_CREATE, 0);

	mnl_attr_put_strz(nlh, KESTREL_A_DOM_NAME, "t1");
	mnl_attr_put_u32(nlh, KESTREL_A_DOM_VCPUS, 1);
	if (domains_unsupported())
		SKIP(return, "without a backend EOPNOTSUPP comes first: %s",
		     domains_unsupported());
	EXPECT_REJECTED(self->conn, nlh, EINVAL);
	EXPECT_NE(NULL, strstr(kestrel_conn_extack(self->conn), "memory"));
}

TEST_F(genl, reserved_header_field)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_GET_INFO, 0);
	struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	g->reserved = 1;
	EXPECT_EQ(-EINVAL, kestrel_transact(self->conn, nlh, NULL, NULL));
}

TEST_F(genl, unknown_command)
{
	struct nlmsghdr *nlh = kestrel_request_start(self->conn,
						     KESTREL_CMD_MAX + 1, 0);

	EXPECT_EQ(-EOPNOTSUPP, kestrel_transact(self->conn, nlh, NULL, NULL));
}

TEST_F(genl, truncated_message)
{
	struct nlmsghdr *nlh = create_msg(self->conn, "t1");

	/* Claim one byte less than the last attribute needs. */
	nlh->nlmsg_len -= 1;
	EXPECT_EQ(-EINVAL, kestrel_transact(self->conn, nlh, NULL, NULL));
}

/* Changing commands need CAP_SYS_ADMIN; the check comes before anything. */
TEST_F(genl, create_unprivileged)
{
	struct kestrel_conn *conn;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534) || kestrel_open(&conn))
			_exit(2);
		if (kestrel_transact(conn, create_msg(conn, "t1"), NULL, NULL) !=
		    -EPERM)
			_exit(1);
		_exit(strstr(kestrel_conn_extack(conn), "CAP_SYS_ADMIN") ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * DEVICE_SET_LINK names a network device by slot: a slot without a
 * device, a device of another type, a missing or out-of-range state are
 * refused with a message; the domain is not touched.
 */
TEST_F(genl, set_link_refusals)
{
	struct kestrel_domain_config cfg = {
		.name = "setlink", .memory = 64 << 20, .vcpus = 1,
		.nr_devices = 1,
		.devices = { { .type = KESTREL_DEV_RNG, .slot = 3, .fd = -1 } },
	};
	struct kestrel_domain_info info;
	struct kestrel_domain_stats st;
	const struct {
		int slot, state;	/* -1: attribute left out */
		int err;
		const char *msg;
	} c[] = {
		{ 4, 1, ENODEV, "no device" },
		{ 3, 0, EINVAL, "not a network interface" },
		{ 3, -1, EINVAL, "missing" },
		{ -1, 1, EINVAL, "missing" },
		{ 3, 2, ERANGE, "out of range" },
		{ KESTREL_PCI_MAX_SLOT + 1, 1, ERANGE, "out of range" },
	};
	struct nlmsghdr *nlh;
	unsigned int i;

	if (domains_unsupported())
		SKIP(return, "%s", domains_unsupported());
	ASSERT_EQ(0, kestrel_domain_create(self->conn, &cfg, &info))
		TH_LOG("%s", kestrel_last_error());
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		nlh = kestrel_request_start(self->conn,
					    KESTREL_CMD_DEVICE_SET_LINK, 0);
		mnl_attr_put_u32(nlh, KESTREL_A_DOM_ID, info.id);
		if (c[i].slot >= 0)
			mnl_attr_put_u32(nlh, KESTREL_A_LINK_SLOT, c[i].slot);
		if (c[i].state >= 0)
			mnl_attr_put_u32(nlh, KESTREL_A_LINK_STATE, c[i].state);
		EXPECT_REJECTED(self->conn, nlh, c[i].err);
		EXPECT_NE(NULL, strstr(kestrel_conn_extack(self->conn), c[i].msg))
			TH_LOG("case %u: %s", i, kestrel_conn_extack(self->conn));
	}
	/* An unknown domain, through the library. */
	EXPECT_EQ(-ENOENT, kestrel_device_set_link(self->conn, 999999, 3, true));
	ASSERT_EQ(0, kestrel_domain_stats(self->conn, info.id, &st));
	ASSERT_EQ(1, st.nr_devices);
	EXPECT_FALSE(st.devices[0].link_down);
	EXPECT_EQ(0, kestrel_domain_destroy(self->conn, info.id));
	kestrel_domain_info_clear(&info);
}

/* On a CPU without SVM or VMX, domain commands fail and say why. */
TEST_F(genl, create_without_backend)
{
	struct nlmsghdr *nlh;

	if (self->info.backend != KESTREL_BACKEND_NONE)
		SKIP(return, "the CPU has a backend (%s)",
		     kestrel_backend_name(self->info.backend));
	nlh = create_msg(self->conn, "t1");
	EXPECT_REJECTED(self->conn, nlh, EOPNOTSUPP);
	EXPECT_STREQ(self->info.backend_detail,
		     kestrel_conn_extack(self->conn));
}

TEST_HARNESS_MAIN
