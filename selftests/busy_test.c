// SPDX-License-Identifier: GPL-2.0
/*
 * SVM and VT-x have one owner per CPU.  kvm_amd/kvm_intel turn the
 * extension on when their first VM is created and off when the last one
 * goes; Kestrel when its first domain starts and off after the last one is
 * destroyed.  While KVM holds a VM, starting a domain fails with EBUSY and
 * says why, and nothing stays half-enabled: once the VM is closed the same
 * domain starts.  The other way round, KVM cannot create a VM while a
 * domain runs.
 *
 * Needs a backend and a loadable kvm_amd (svm) or kvm_intel (vmx);
 * skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "guest.h"
#include "util.h"

#define MB (1ULL << 20)

GUEST_ASM(g64_halt, code64, "hlt\n");

static bool module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

FIXTURE(busy) {
	int kvm;
	const char *kvm_vendor;		/* set when this test loaded it */
	bool loaded_kvm;
	struct guest g;
	bool created;
};

/*
 * The 6.1 harness runs the test body after a SKIP in setup unless setup
 * jumps out (see domain_test.c).
 */
#define SKIP_SETUP(fmt, ...) SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

FIXTURE_SETUP(busy)
{
	const char *why, *vendor;
	char cmd[96];

	self->kvm = -1;
	switch (expected_backend()) {
	case KESTREL_BACKEND_SVM:
		vendor = "kvm_amd";
		break;
	case KESTREL_BACKEND_VMX:
		vendor = "kvm_intel";
		break;
	default:
		SKIP_SETUP("no svm or vmx backend here");
	}
	why = domains_unsupported();
	if (why)
		SKIP_SETUP("%s", why);
	if (!module_loaded(vendor)) {
		self->loaded_kvm = !module_loaded("kvm");
		snprintf(cmd, sizeof(cmd), "modprobe %s >/dev/null 2>&1", vendor);
		if (system(cmd) != 0 || !module_loaded(vendor))
			SKIP_SETUP("%s cannot be loaded (modprobe %s)", vendor,
				   vendor);
		self->kvm_vendor = vendor;
	}
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->kvm < 0)
		SKIP_SETUP("cannot open /dev/kvm: %s", strerror(errno));

	ASSERT_EQ(0, guest_create(&self->g, "busy", 16 * MB, 1))
		TH_LOG("%s", kestrel_last_error());
	self->created = true;
	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_halt), 0))
		TH_LOG("%s", kestrel_last_error());
}

FIXTURE_TEARDOWN(busy)
{
	if (self->created)
		guest_destroy(&self->g);
	if (self->kvm >= 0)
		close(self->kvm);
	char cmd[96];

	/* Leave the modules as they were. */
	if (!self->kvm_vendor)
		return;
	snprintf(cmd, sizeof(cmd), "rmmod %s >/dev/null 2>&1", self->kvm_vendor);
	if (system(cmd) == 0 && self->loaded_kvm)
		(void)!system("rmmod kvm >/dev/null 2>&1");
}

TEST_F(busy, kvm_vm_makes_start_fail_until_closed)
{
	struct kestrel_domain_info info;
	int vm;

	vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));

	EXPECT_EQ(-EBUSY, kestrel_domain_start(self->g.conn, self->g.id));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "another hypervisor"))
		TH_LOG("extack: %s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_domain_get(self->g.conn, self->g.id, &info, false));
	EXPECT_EQ(KESTREL_STATE_SHUTOFF, info.state);
	/* Refused again, and still nothing left enabled. */
	EXPECT_EQ(-EBUSY, kestrel_domain_start(self->g.conn, self->g.id));

	close(vm);
	ASSERT_EQ(0, guest_start(&self->g)) TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());
}

TEST_F(busy, running_domain_makes_kvm_fail_until_destroyed)
{
	int vm;

	ASSERT_EQ(0, guest_start(&self->g)) TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());

	vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	EXPECT_EQ(-1, vm);
	EXPECT_EQ(EBUSY, errno);
	if (vm >= 0)
		close(vm);

	ASSERT_EQ(0, kestrel_domain_destroy(self->g.conn, self->g.id));
	vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	EXPECT_LE(0, vm) TH_LOG("KVM_CREATE_VM after destroy: %s",
				strerror(errno));
	if (vm >= 0)
		close(vm);
}

TEST_HARNESS_MAIN
