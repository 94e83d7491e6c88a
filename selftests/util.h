/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Kestrel selftests: what the CPU itself says, as an
 * oracle independent of the module.
 */
#ifndef KESTREL_SELFTEST_UTIL_H
#define KESTREL_SELFTEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkestrel.h"

/* Is @flag a whole word on the /proc/cpuinfo line starting with @key? */
static inline bool cpuinfo_has(const char *key, const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p, *tok, *save;

		if (strncmp(line, key, strlen(key)) || !(p = strchr(line, ':')))
			continue;
		for (tok = strtok_r(p + 1, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save))
			if (!strcmp(tok, flag))
				found = true;
		break;	/* the first CPU is enough */
	}
	fclose(f);
	return found;
}

/*
 * The backend the module must report on this CPU: KESTREL_EXPECT_BACKEND
 * when the test host says so, otherwise what /proc/cpuinfo shows.
 */
static inline enum kestrel_backend expected_backend(void)
{
	const char *env = getenv("KESTREL_EXPECT_BACKEND");

	if (env && !strcmp(env, "svm"))
		return KESTREL_BACKEND_SVM;
	if (env && !strcmp(env, "vmx"))
		return KESTREL_BACKEND_VMX;
	if (env && !strcmp(env, "none"))
		return KESTREL_BACKEND_NONE;
	if (cpuinfo_has("flags", "svm") && cpuinfo_has("flags", "npt"))
		return KESTREL_BACKEND_SVM;
	if (cpuinfo_has("flags", "vmx") && cpuinfo_has("vmx flags", "ept") &&
	    cpuinfo_has("vmx flags", "unrestricted_guest"))
		return KESTREL_BACKEND_VMX;
	return KESTREL_BACKEND_NONE;
}

/*
 * Why domain tests cannot run here, or NULL when they can: no extension
 * on this CPU, or (VMX only, while its backend is being written) a module
 * that detects VT-x but refuses domains.  On SVM a refusal is a failure
 * of the test, never a reason to skip.
 */
static inline const char *domains_unsupported(void)
{
	static char reason[160];
	struct kestrel_domain_config cfg = {
		.name = "selftest-probe", .memory = 2 << 20, .vcpus = 1,
	};
	struct kestrel_domain_info info;
	struct kestrel_conn *conn;
	int err;

	switch (expected_backend()) {
	case KESTREL_BACKEND_NONE:
		return "no virtualization backend on this CPU";
	case KESTREL_BACKEND_SVM:
		return NULL;
	case KESTREL_BACKEND_VMX:
		break;
	}
	if (kestrel_open(&conn))
		return NULL;
	err = kestrel_domain_create(conn, &cfg, &info);
	if (!err)
		kestrel_domain_destroy(conn, info.id);
	else if (err == -EOPNOTSUPP)
		snprintf(reason, sizeof(reason), "%s", kestrel_last_error());
	kestrel_close(conn);
	return err == -EOPNOTSUPP ? reason : NULL;
}

#endif /* KESTREL_SELFTEST_UTIL_H */
