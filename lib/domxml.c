// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The domain XML model: defaults, release, comparison, libvirt's names of
 * its enums, and cpusets.  Parsing is in domxml_parse.c, writing in
 * domxml_format.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "libkestrel.h"
#include "domxml.h"

void kestrel_domxml_init(struct kestrel_domxml *d)
{
	memset(d, 0, sizeof(*d));
	d->type = KESTREL_DOMXML_TYPE_KESTREL;
	d->vcpus = 1;
	d->vcpus_current = 1;
	d->placement = KESTREL_DOMXML_PLACEMENT_STATIC;
	d->cpu_mode = KESTREL_DOMXML_CPU_DEFAULT;
	d->clock_offset = KESTREL_DOMXML_CLOCK_UTC;
	d->on_poweroff = KESTREL_DOMXML_LIFECYCLE_DESTROY;
	d->on_reboot = KESTREL_DOMXML_LIFECYCLE_RESTART;
	d->on_crash = KESTREL_DOMXML_LIFECYCLE_DESTROY;
}

void kestrel_domxml_free(struct kestrel_domxml *d)
{
	unsigned int i;

	if (!d)
		return;
	for (i = 0; i < d->nr_devices && i < KESTREL_MAX_DEVICES; i++)
		if (d->devices[i].type == KESTREL_DEV_BLOCK)
			free(d->devices[i].disk.source);
	free(d->title);
	free(d->description);
	free(d->machine);
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	kestrel_domxml_init(d);
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool kestrel_domxml_equal(const struct kestrel_domxml *a,
			  const struct kestrel_domxml *b)
{
	unsigned int i;

	if (a->type != b->type ||
	    strcmp(a->name, b->name) ||
	    memcmp(a->uuid, b->uuid, sizeof(a->uuid)) ||
	    !str_eq(a->title, b->title) ||
	    !str_eq(a->description, b->description) ||
	    a->memory_kib != b->memory_kib ||
	    a->current_memory_kib != b->current_memory_kib ||
	    a->vcpus != b->vcpus ||
	    a->vcpus_current != b->vcpus_current ||
	    a->placement != b->placement ||
	    !str_eq(a->machine, b->machine) ||
	    !str_eq(a->kernel, b->kernel) ||
	    !str_eq(a->initrd, b->initrd) ||
	    !str_eq(a->cmdline, b->cmdline) ||
	    a->acpi != b->acpi || a->apic != b->apic ||
	    a->cpu_mode != b->cpu_mode ||
	    a->has_topology != b->has_topology ||
	    a->clock_offset != b->clock_offset ||
	    a->on_poweroff != b->on_poweroff ||
	    a->on_reboot != b->on_reboot ||
	    a->on_crash != b->on_crash ||
	    a->serial != b->serial || a->console != b->console ||
	    a->nr_vcpupins != b->nr_vcpupins)
		return false;
	/* uuid_generated is how the UUID came about, not what the domain is. */
	if (a->has_topology &&
	    (a->sockets != b->sockets || a->dies != b->dies ||
	     a->cores != b->cores || a->threads != b->threads))
		return false;
	for (i = 0; i < a->nr_vcpupins && i < KESTREL_MAX_VCPUS; i++)
		if (a->vcpupins[i].vcpu != b->vcpupins[i].vcpu ||
		    memcmp(&a->vcpupins[i].cpuset, &b->vcpupins[i].cpuset,
			   sizeof(a->vcpupins[i].cpuset)))
			return false;
	if (a->nr_devices != b->nr_devices)
		return false;
	for (i = 0; i < a->nr_devices && i < KESTREL_MAX_DEVICES; i++) {
		const struct kestrel_domxml_device *x = &a->devices[i];
		const struct kestrel_domxml_device *y = &b->devices[i];

		if (x->type != y->type || x->slot != y->slot)
			return false;
		if (x->type == KESTREL_DEV_RNG &&
		    (x->rng.backend != y->rng.backend ||
		     x->rng.rate_bytes != y->rng.rate_bytes ||
		     x->rng.rate_period != y->rng.rate_period))
			return false;
		if (x->type == KESTREL_DEV_BLOCK &&
		    (x->disk.type != y->disk.type ||
		     !str_eq(x->disk.source, y->disk.source) ||
		     strcmp(x->disk.target, y->disk.target) ||
		     x->disk.driver != y->disk.driver ||
		     x->disk.cache != y->disk.cache ||
		     x->disk.io != y->disk.io ||
		     x->disk.queues != y->disk.queues ||
		     x->disk.readonly != y->disk.readonly ||
		     strcmp(x->disk.serial, y->disk.serial)))
			return false;
		/* mac_generated is how the MAC came about, as uuid_generated. */
		if (x->type == KESTREL_DEV_NET &&
		    (x->net.type != y->net.type ||
		     memcmp(x->net.mac, y->net.mac, sizeof(x->net.mac)) ||
		     strncmp(x->net.source, y->net.source, sizeof(x->net.source)) ||
		     strncmp(x->net.target, y->net.target, sizeof(x->net.target)) ||
		     x->net.managed != y->net.managed ||
		     x->net.driver != y->net.driver ||
		     x->net.queues != y->net.queues ||
		     x->net.link != y->net.link))
			return false;
	}
	return true;
}

/* ---- names ---- */

const char *kestrel_domxml_rng_path(enum kestrel_domxml_rng_backend b)
{
	switch (b) {
	case KESTREL_DOMXML_RNG_URANDOM:
		return "/dev/urandom";
	case KESTREL_DOMXML_RNG_RANDOM:
		return "/dev/random";
	case KESTREL_DOMXML_RNG_BUILTIN:
		break;
	}
	return NULL;
}

const char *kestrel_domxml_disk_type_name(enum kestrel_domxml_disk_type t)
{
	switch (t) {
	case KESTREL_DOMXML_DISK_FILE:
		return "file";
	case KESTREL_DOMXML_DISK_BLOCK:
		return "block";
	}
	return NULL;
}

const char *kestrel_domxml_disk_driver_name(enum kestrel_domxml_disk_driver d)
{
	switch (d) {
	case KESTREL_DOMXML_DISK_DRIVER_NONE:
		break;
	case KESTREL_DOMXML_DISK_DRIVER_QEMU:
		return "qemu";
	case KESTREL_DOMXML_DISK_DRIVER_KESTREL:
		return "kestrel";
	}
	return NULL;
}

const char *kestrel_domxml_disk_cache_name(enum kestrel_domxml_disk_cache c)
{
	switch (c) {
	case KESTREL_DOMXML_DISK_CACHE_DEFAULT:
		break;
	case KESTREL_DOMXML_DISK_CACHE_NONE:
		return "none";
	case KESTREL_DOMXML_DISK_CACHE_WRITETHROUGH:
		return "writethrough";
	case KESTREL_DOMXML_DISK_CACHE_WRITEBACK:
		return "writeback";
	case KESTREL_DOMXML_DISK_CACHE_DIRECTSYNC:
		return "directsync";
	case KESTREL_DOMXML_DISK_CACHE_UNSAFE:
		return "unsafe";
	}
	return NULL;
}

const char *kestrel_domxml_disk_io_name(enum kestrel_domxml_disk_io io)
{
	switch (io) {
	case KESTREL_DOMXML_DISK_IO_DEFAULT:
		break;
	case KESTREL_DOMXML_DISK_IO_NATIVE:
		return "native";
	case KESTREL_DOMXML_DISK_IO_THREADS:
		return "threads";
	case KESTREL_DOMXML_DISK_IO_URING:
		return "io_uring";
	}
	return NULL;
}

bool kestrel_domxml_disk_direct(enum kestrel_domxml_disk_cache c)
{
	return c == KESTREL_DOMXML_DISK_CACHE_NONE ||
	       c == KESTREL_DOMXML_DISK_CACHE_DIRECTSYNC;
}

const char *kestrel_domxml_net_type_name(enum kestrel_domxml_net_type t)
{
	switch (t) {
	case KESTREL_DOMXML_NET_ETHERNET:
		return "ethernet";
	case KESTREL_DOMXML_NET_BRIDGE:
		return "bridge";
	case KESTREL_DOMXML_NET_NETWORK:
		return "network";
	}
	return NULL;
}

const char *kestrel_domxml_net_driver_name(enum kestrel_domxml_net_driver d)
{
	switch (d) {
	case KESTREL_DOMXML_NET_DRIVER_NONE:
		break;
	case KESTREL_DOMXML_NET_DRIVER_VHOST:
		return "vhost";
	case KESTREL_DOMXML_NET_DRIVER_QEMU:
		return "qemu";
	}
	return NULL;
}

const char *kestrel_domxml_link_name(enum kestrel_domxml_link l)
{
	switch (l) {
	case KESTREL_DOMXML_LINK_DEFAULT:
		break;
	case KESTREL_DOMXML_LINK_UP:
		return "up";
	case KESTREL_DOMXML_LINK_DOWN:
		return "down";
	}
	return NULL;
}

const char *kestrel_domxml_tristate_name(enum kestrel_domxml_tristate t)
{
	switch (t) {
	case KESTREL_DOMXML_ABSENT:
		break;
	case KESTREL_DOMXML_YES:
		return "yes";
	case KESTREL_DOMXML_NO:
		return "no";
	}
	return NULL;
}

/* ---- MAC addresses, interface names ---- */

char *kestrel_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kestrel_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	unsigned int i;

	for (i = 0; i < 6; i++, s += 3) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (hi < 0 || lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

int kestrel_mac_generate(uint8_t mac[6])
{
	size_t got = 0;

	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	while (got < 3) {
		ssize_t n = getrandom(mac + 3 + got, 3 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kestrel_fail(errno, "cannot generate a MAC address: getrandom: %s",
					    strerror(errno));
		got += (size_t)n;
	}
	return 0;
}

bool kestrel_ifname_valid(const char *name)
{
	size_t len = strnlen(name, KESTREL_DOMXML_IFNAME_MAX);
	size_t i;

	if (!len || len >= KESTREL_DOMXML_IFNAME_MAX || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == ':' || c == '%')
			return false;
	}
	return true;
}

const char *kestrel_domxml_type_name(enum kestrel_domxml_type type)
{
	switch (type) {
	case KESTREL_DOMXML_TYPE_KESTREL:
		return "kestrel";
	case KESTREL_DOMXML_TYPE_KVM:
		return "kvm";
	}
	return NULL;
}

const char *kestrel_domxml_placement_name(enum kestrel_domxml_placement p)
{
	switch (p) {
	case KESTREL_DOMXML_PLACEMENT_STATIC:
		return "static";
	case KESTREL_DOMXML_PLACEMENT_AUTO:
		return "auto";
	}
	return NULL;
}

const char *kestrel_domxml_cpu_mode_name(enum kestrel_domxml_cpu_mode mode)
{
	switch (mode) {
	case KESTREL_DOMXML_CPU_DEFAULT:
		return NULL;
	case KESTREL_DOMXML_CPU_HOST_PASSTHROUGH:
		return "host-passthrough";
	case KESTREL_DOMXML_CPU_HOST_MODEL:
		return "host-model";
	}
	return NULL;
}

const char *kestrel_domxml_clock_name(enum kestrel_domxml_clock_offset off)
{
	switch (off) {
	case KESTREL_DOMXML_CLOCK_UTC:
		return "utc";
	case KESTREL_DOMXML_CLOCK_LOCALTIME:
		return "localtime";
	}
	return NULL;
}

const char *kestrel_domxml_lifecycle_name(enum kestrel_domxml_lifecycle a)
{
	switch (a) {
	case KESTREL_DOMXML_LIFECYCLE_DESTROY:
		return "destroy";
	case KESTREL_DOMXML_LIFECYCLE_RESTART:
		return "restart";
	case KESTREL_DOMXML_LIFECYCLE_RENAME_RESTART:
		return "rename-restart";
	case KESTREL_DOMXML_LIFECYCLE_PRESERVE:
		return "preserve";
	case KESTREL_DOMXML_LIFECYCLE_COREDUMP_DESTROY:
		return "coredump-destroy";
	case KESTREL_DOMXML_LIFECYCLE_COREDUMP_RESTART:
		return "coredump-restart";
	}
	return NULL;
}

/* ---- cpusets ---- */

bool kestrel_cpuset_test(const struct kestrel_cpuset *set, unsigned int cpu)
{
	if (cpu >= KESTREL_CPUSET_MAX)
		return false;
	return set->bits[cpu / 64] >> (cpu % 64) & 1;
}

void kestrel_cpuset_set(struct kestrel_cpuset *set, unsigned int cpu)
{
	if (cpu < KESTREL_CPUSET_MAX)
		set->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

void kestrel_cpuset_clear(struct kestrel_cpuset *set, unsigned int cpu)
{
	if (cpu < KESTREL_CPUSET_MAX)
		set->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

bool kestrel_cpuset_empty(const struct kestrel_cpuset *set)
{
	size_t i;

	for (i = 0; i < sizeof(set->bits) / sizeof(set->bits[0]); i++)
		if (set->bits[i])
			return false;
	return true;
}

static void skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

/* A CPU number at *p: 0 and the position after it, or an error. */
static int cpuset_number(const char *s, const char **p, unsigned int *cpu)
{
	unsigned long v = 0;

	if (**p < '0' || **p > '9')
		return kestrel_fail(EINVAL, "invalid cpuset '%.64s' (expected a CPU number at '%.16s')",
				    s, **p ? *p : "the end");
	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (unsigned long)(**p - '0');
		if (v >= KESTREL_CPUSET_MAX) {
			while (**p >= '0' && **p <= '9')
				(*p)++;
			return kestrel_fail(ERANGE, "invalid cpuset '%.64s' (CPU numbers go up to %d)",
					    s, KESTREL_CPUSET_MAX - 1);
		}
		(*p)++;
	}
	*cpu = (unsigned int)v;
	return 0;
}

int kestrel_cpuset_parse(const char *s, struct kestrel_cpuset *set)
{
	struct kestrel_cpuset out;
	const char *p = s;
	int err;

	memset(&out, 0, sizeof(out));
	if (!s)
		return kestrel_fail(EINVAL, "invalid cpuset: none given");
	for (;;) {
		unsigned int first, last, cpu;
		bool neg = false;

		skip_blanks(&p);
		if (*p == '^') {
			neg = true;
			p++;
		}
		err = cpuset_number(s, &p, &first);
		if (err)
			return err;
		last = first;
		if (*p == '-') {
			if (neg)
				return kestrel_fail(EINVAL, "invalid cpuset '%.64s' ('^' excludes one CPU, not a range)",
						    s);
			p++;
			err = cpuset_number(s, &p, &last);
			if (err)
				return err;
			if (last < first)
				return kestrel_fail(EINVAL, "invalid cpuset '%.64s' (range %u-%u goes backwards)",
						    s, first, last);
		}
		for (cpu = first; cpu <= last; cpu++) {
			if (neg)
				kestrel_cpuset_clear(&out, cpu);
			else
				kestrel_cpuset_set(&out, cpu);
		}
		skip_blanks(&p);
		if (*p == '\0')
			break;
		if (*p != ',')
			return kestrel_fail(EINVAL, "invalid cpuset '%.64s' (unexpected '%c')",
					    s, *p);
		p++;
	}
	*set = out;
	return 0;
}

char *kestrel_cpuset_format(const struct kestrel_cpuset *set)
{
	char *buf = NULL;
	size_t size = 0;
	unsigned int cpu = 0;
	bool first = true;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f) {
		kestrel_fail(ENOMEM, "out of memory");
		return NULL;
	}
	while (cpu < KESTREL_CPUSET_MAX) {
		unsigned int end;

		if (!kestrel_cpuset_test(set, cpu)) {
			cpu++;
			continue;
		}
		end = cpu;
		while (end + 1 < KESTREL_CPUSET_MAX &&
		       kestrel_cpuset_test(set, end + 1))
			end++;
		fprintf(f, first ? "%u" : ",%u", cpu);
		if (end > cpu)
			fprintf(f, "-%u", end);
		first = false;
		cpu = end + 1;
	}
	if (fclose(f) || !buf) {
		free(buf);
		kestrel_fail(ENOMEM, "out of memory");
		return NULL;
	}
	return buf;
}

int kestrel_domxml_lifecycle_action(enum kestrel_domxml_lifecycle a)
{
	switch (a) {
	case KESTREL_DOMXML_LIFECYCLE_DESTROY:
		return KESTREL_ACTION_DESTROY;
	case KESTREL_DOMXML_LIFECYCLE_RESTART:
		return KESTREL_ACTION_RESTART;
	case KESTREL_DOMXML_LIFECYCLE_PRESERVE:
		return KESTREL_ACTION_PRESERVE;
	default:
		return -EINVAL;
	}
}
