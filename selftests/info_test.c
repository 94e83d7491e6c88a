// SPDX-License-Identifier: GPL-2.0
/*
 * KESTREL_CMD_GET_INFO: the module reports itself and the hardware
 * truthfully, checked against what the CPU and the kernel say.
 */
#include <cpuid.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define SVM_FEATURES_MASK 0xffffULL
#define VMX_FEATURES_MASK 0xffff0000ULL

static void check_feature(struct __test_metadata *_metadata, const char *line,
			  const char *flag, bool module_has)
{
	bool cpu_has = cpuinfo_has(line, flag);

	if (cpu_has != module_has)
		TH_LOG("%s: cpuinfo says %d, the module %d", flag, cpu_has,
		       module_has);
	EXPECT_EQ(cpu_has, module_has);
}

FIXTURE(info) {
	struct kestrel_conn *conn;
	struct kestrel_info info;
};

FIXTURE_SETUP(info)
{
	ASSERT_EQ(0, kestrel_open(&self->conn))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_get_info(self->conn, &self->info))
		TH_LOG("%s", kestrel_last_error());
}

FIXTURE_TEARDOWN(info)
{
	kestrel_close(self->conn);
}

TEST_F(info, version)
{
	EXPECT_STREQ(LIBKESTREL_VERSION, self->info.version);
	EXPECT_EQ(KESTREL_API_VERSION, self->info.api_version);
}

TEST_F(info, backend_matches_cpu)
{
	EXPECT_EQ(expected_backend(), self->info.backend)
		TH_LOG("module says %s (%s)",
		       kestrel_backend_name(self->info.backend),
		       self->info.backend_detail);
	EXPECT_NE(0, strlen(self->info.backend_detail));
}

/* Feature bits agree with CPUID and with the kernel's own cpuinfo flags. */
TEST_F(info, svm_features)
{
	static const struct { int bit; const char *flag; } map[] = {
		{ KESTREL_FEAT_NPT, "npt" },
		{ KESTREL_FEAT_NRIPS, "nrip_save" },
		{ KESTREL_FEAT_VMCB_CLEAN, "vmcb_clean" },
		{ KESTREL_FEAT_FLUSH_BY_ASID, "flushbyasid" },
		{ KESTREL_FEAT_DECODE_ASSISTS, "decodeassists" },
	};
	unsigned int eax, ebx, ecx, edx, i;

	if (self->info.backend != KESTREL_BACKEND_SVM)
		SKIP(return, "backend is %s, not svm",
		     kestrel_backend_name(self->info.backend));
	EXPECT_EQ(0, self->info.features & VMX_FEATURES_MASK);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		check_feature(_metadata, "flags", map[i].flag,
			      self->info.features & (1ULL << map[i].bit));
	ASSERT_TRUE(__get_cpuid(0x8000000a, &eax, &ebx, &ecx, &edx));
	EXPECT_EQ(eax & 0xff, self->info.hw_revision);
	EXPECT_EQ(ebx, self->info.nr_asids);
}

TEST_F(info, vmx_features)
{
	static const struct { int bit; const char *flag; } map[] = {
		{ KESTREL_FEAT_EPT, "ept" },
		{ KESTREL_FEAT_VPID, "vpid" },
		{ KESTREL_FEAT_UNRESTRICTED, "unrestricted_guest" },
		{ KESTREL_FEAT_EPT_AD, "ept_ad" },
		{ KESTREL_FEAT_EPT_1G, "ept_1gb" },
	};
	unsigned int i;

	if (self->info.backend != KESTREL_BACKEND_VMX)
		SKIP(return, "backend is %s, not vmx",
		     kestrel_backend_name(self->info.backend));
	EXPECT_EQ(0, self->info.features & SVM_FEATURES_MASK);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		check_feature(_metadata, "vmx flags", map[i].flag,
			      self->info.features & (1ULL << map[i].bit));
	EXPECT_NE(0, self->info.hw_revision);
}

TEST_F(info, host_cpus)
{
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), self->info.host_cpus);
}

TEST_F(info, no_domains_yet)
{
	EXPECT_EQ(0, self->info.active_domains);
}

/* Queries are open to local users, as `ip link` is (DESIGN principle 10). */
TEST(unprivileged_get_info)
{
	struct kestrel_conn *conn;
	struct kestrel_info info;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (kestrel_open(&conn) || kestrel_get_info(conn, &info))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
