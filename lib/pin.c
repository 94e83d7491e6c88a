// SPDX-License-Identifier: GPL-2.0
/*
 * <cputune><vcpupin>: a vCPU is the kernel thread "kestrel/<domid>:<vcpu>"
 * (DESIGN principle 6), so pinning it is setting that thread's CPU
 * affinity, which the scheduler then honours for the vCPU.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "libkestrel.h"
#include "domxml.h"

/* The PID of vCPU thread @vcpu of domain @id, or -1. */
static pid_t vcpu_thread(uint32_t id, unsigned int vcpu)
{
	char want[32], path[64], comm[64];
	struct dirent *de;
	pid_t pid = -1;
	DIR *d;

	snprintf(want, sizeof(want), "kestrel/%u:%u\n", id, vcpu);
	d = opendir("/proc");
	if (!d)
		return -1;
	while (pid < 0 && (de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		FILE *f;

		if (*end || p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", p);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			pid = p;
		fclose(f);
	}
	closedir(d);
	return pid;
}

int kestrel_vcpu_pin(uint32_t id, unsigned int vcpu,
		     const struct kestrel_cpuset *set)
{
	cpu_set_t mask;
	unsigned int cpu;
	pid_t pid;

	CPU_ZERO(&mask);
	for (cpu = 0; cpu < KESTREL_CPUSET_MAX && cpu < CPU_SETSIZE; cpu++)
		if (kestrel_cpuset_test(set, cpu))
			CPU_SET(cpu, &mask);
	pid = vcpu_thread(id, vcpu);
	if (pid < 0)
		return kestrel_fail(ESRCH, "cannot find the thread of vCPU %u (kestrel/%u:%u)",
				    vcpu, id, vcpu);
	if (sched_setaffinity(pid, sizeof(mask), &mask))
		return kestrel_fail(errno, "cannot pin vCPU %u: %s%s", vcpu,
				    strerror(errno),
				    errno == EINVAL ? " (no online host CPU in its cpuset)" : "");
	return 0;
}
