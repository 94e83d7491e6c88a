// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Domain XML writing, in the layout `virsh dumpxml` gives a KVM domain
 * booted from a kernel: libvirt's element and attribute order, 2-space
 * indentation, memory in KiB, and only what the model holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkestrel.h"
#include "domxml.h"

/* "  <tag>text</tag>\n" */
static void text_elem(FILE *f, const char *indent, const char *tag,
		      const char *text)
{
	fprintf(f, "%s<%s>", indent, tag);
	kestrel_xml_escape(f, text);
	fprintf(f, "</%s>\n", tag);
}

/*
 * A <disk>, in libvirt's order: driver, source, target, readonly,
 * serial, address.  -1 if the model holds something it cannot write.
 */
static int format_disk(FILE *f, const struct kestrel_domxml_device *dev)
{
	const char *type = kestrel_domxml_disk_type_name(dev->disk.type);
	const char *driver = kestrel_domxml_disk_driver_name(dev->disk.driver);
	const char *cache = kestrel_domxml_disk_cache_name(dev->disk.cache);
	const char *io = kestrel_domxml_disk_io_name(dev->disk.io);

	if (!type || !dev->disk.source || dev->disk.source[0] != '/' ||
	    strncmp(dev->disk.target, "vd", 2) || !dev->disk.target[2] ||
	    !memchr(dev->disk.target, '\0', sizeof(dev->disk.target)) ||
	    !memchr(dev->disk.serial, '\0', sizeof(dev->disk.serial)) ||
	    (!driver && dev->disk.driver != KESTREL_DOMXML_DISK_DRIVER_NONE) ||
	    (!cache && dev->disk.cache != KESTREL_DOMXML_DISK_CACHE_DEFAULT) ||
	    (!io && dev->disk.io != KESTREL_DOMXML_DISK_IO_DEFAULT) ||
	    dev->disk.queues > KESTREL_DOMXML_DISK_QUEUES_MAX)
		return -1;
	fprintf(f, "    <disk type='%s' device='disk'>\n      <driver", type);
	if (driver)
		fprintf(f, " name='%s'", driver);
	fputs(" type='raw'", f);
	if (cache)
		fprintf(f, " cache='%s'", cache);
	if (io)
		fprintf(f, " io='%s'", io);
	if (dev->disk.queues)
		fprintf(f, " queues='%u'", dev->disk.queues);
	fprintf(f, "/>\n      <source %s='",
		dev->disk.type == KESTREL_DOMXML_DISK_BLOCK ? "dev" : "file");
	kestrel_xml_escape_attr(f, dev->disk.source);
	fputs("'/>\n      <target dev='", f);
	kestrel_xml_escape_attr(f, dev->disk.target);
	fputs("' bus='virtio'/>\n", f);
	if (dev->disk.readonly)
		fputs("      <readonly/>\n", f);
	if (dev->disk.serial[0])
		text_elem(f, "      ", "serial", dev->disk.serial);
	fprintf(f, "      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n",
		dev->slot);
	fputs("    </disk>\n", f);
	return 0;
}

/*
 * An <interface>, in libvirt's order: mac, source, target, model,
 * driver, link, address.  -1 if the model holds something it cannot write.
 */
static int format_interface(FILE *f, const struct kestrel_domxml_device *dev)
{
	const char *type = kestrel_domxml_net_type_name(dev->net.type);
	const char *driver = kestrel_domxml_net_driver_name(dev->net.driver);
	const char *link = kestrel_domxml_link_name(dev->net.link);
	const char *managed = kestrel_domxml_tristate_name(dev->net.managed);
	bool ethernet = dev->net.type == KESTREL_DOMXML_NET_ETHERNET;
	char mac[18];

	if (!type ||
	    !memchr(dev->net.source, '\0', sizeof(dev->net.source)) ||
	    !memchr(dev->net.target, '\0', sizeof(dev->net.target)) ||
	    ethernet != !dev->net.source[0] ||
	    (dev->net.target[0] && !kestrel_ifname_valid(dev->net.target)) ||
	    (!driver && dev->net.driver != KESTREL_DOMXML_NET_DRIVER_NONE) ||
	    (!link && dev->net.link != KESTREL_DOMXML_LINK_DEFAULT) ||
	    (!managed && dev->net.managed != KESTREL_DOMXML_ABSENT) ||
	    (dev->net.managed == KESTREL_DOMXML_NO && !dev->net.target[0]) ||
	    dev->net.queues > KESTREL_DOMXML_NET_QUEUES_MAX ||
	    (dev->net.mac[0] & 1))
		return -1;
	fprintf(f, "    <interface type='%s'>\n      <mac address='%s'/>\n",
		type, kestrel_mac_format(dev->net.mac, mac));
	if (!ethernet) {
		fprintf(f, "      <source %s='",
			dev->net.type == KESTREL_DOMXML_NET_BRIDGE ?
			"bridge" : "network");
		kestrel_xml_escape_attr(f, dev->net.source);
		fputs("'/>\n", f);
	}
	if (dev->net.target[0] || managed) {
		fputs("      <target", f);
		if (dev->net.target[0]) {
			fputs(" dev='", f);
			kestrel_xml_escape_attr(f, dev->net.target);
			fputc('\'', f);
		}
		if (managed)
			fprintf(f, " managed='%s'", managed);
		fputs("/>\n", f);
	}
	fputs("      <model type='virtio'/>\n", f);
	if (driver || dev->net.queues) {
		fputs("      <driver", f);
		if (driver)
			fprintf(f, " name='%s'", driver);
		if (dev->net.queues)
			fprintf(f, " queues='%u'", dev->net.queues);
		fputs("/>\n", f);
	}
	if (link)
		fprintf(f, "      <link state='%s'/>\n", link);
	fprintf(f, "      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n",
		dev->slot);
	fputs("    </interface>\n", f);
	return 0;
}

static const char *checked(const char *name, int *bad)
{
	if (!name) {
		*bad = 1;
		return "";
	}
	return name;
}

char *kestrel_domxml_format(const struct kestrel_domxml *d)
{
	char uuid[KESTREL_UUID_STRLEN];
	const char *cpu_mode;
	char *buf = NULL;
	size_t size = 0;
	unsigned int i;
	int bad = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f) {
		kestrel_fail(ENOMEM, "out of memory");
		return NULL;
	}

	fprintf(f, "<domain type='%s'>\n",
		checked(kestrel_domxml_type_name(d->type), &bad));
	fputs("  <name>", f);
	kestrel_xml_escape(f, d->name);
	fputs("</name>\n", f);
	kestrel_uuid_format(d->uuid, uuid);
	fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	if (d->title)
		text_elem(f, "  ", "title", d->title);
	if (d->description)
		text_elem(f, "  ", "description", d->description);
	fprintf(f, "  <memory unit='KiB'>%llu</memory>\n",
		(unsigned long long)d->memory_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
		(unsigned long long)d->current_memory_kib);

	fprintf(f, "  <vcpu placement='%s'",
		checked(kestrel_domxml_placement_name(d->placement), &bad));
	if (d->vcpus_current != d->vcpus)
		fprintf(f, " current='%u'", d->vcpus_current);
	fprintf(f, ">%u</vcpu>\n", d->vcpus);

	if (d->nr_vcpupins) {
		fputs("  <cputune>\n", f);
		for (i = 0; i < d->nr_vcpupins && i < KESTREL_MAX_VCPUS; i++) {
			char *set = kestrel_cpuset_format(&d->vcpupins[i].cpuset);

			if (!set) {
				bad = 2;
				break;
			}
			fprintf(f, "    <vcpupin vcpu='%u' cpuset='%s'/>\n",
				d->vcpupins[i].vcpu, set);
			free(set);
		}
		fputs("  </cputune>\n", f);
	}

	fputs("  <os>\n    <type arch='x86_64'", f);
	if (d->machine) {
		fputs(" machine='", f);
		kestrel_xml_escape_attr(f, d->machine);
		fputc('\'', f);
	}
	fputs(">hvm</type>\n", f);
	if (d->kernel)
		text_elem(f, "    ", "kernel", d->kernel);
	if (d->initrd)
		text_elem(f, "    ", "initrd", d->initrd);
	if (d->cmdline)
		text_elem(f, "    ", "cmdline", d->cmdline);
	fputs("  </os>\n", f);

	if (d->acpi || d->apic) {
		fputs("  <features>\n", f);
		if (d->acpi)
			fputs("    <acpi/>\n", f);
		if (d->apic)
			fputs("    <apic/>\n", f);
		fputs("  </features>\n", f);
	}

	cpu_mode = kestrel_domxml_cpu_mode_name(d->cpu_mode);
	if (cpu_mode || d->has_topology) {
		fputs("  <cpu", f);
		if (cpu_mode)
			fprintf(f, " mode='%s'", cpu_mode);
		if (d->has_topology)
			fprintf(f, ">\n    <topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n  </cpu>\n",
				d->sockets, d->dies, d->cores, d->threads);
		else
			fputs("/>\n", f);
	}

	fprintf(f, "  <clock offset='%s'/>\n",
		checked(kestrel_domxml_clock_name(d->clock_offset), &bad));
	fprintf(f, "  <on_poweroff>%s</on_poweroff>\n",
		checked(kestrel_domxml_lifecycle_name(d->on_poweroff), &bad));
	fprintf(f, "  <on_reboot>%s</on_reboot>\n",
		checked(kestrel_domxml_lifecycle_name(d->on_reboot), &bad));
	fprintf(f, "  <on_crash>%s</on_crash>\n",
		checked(kestrel_domxml_lifecycle_name(d->on_crash), &bad));

	/* libvirt writes <devices> even when there are none. */
	fputs("  <devices>\n", f);
	/* <disk>s first, as libvirt writes them (the model keeps them first). */
	for (i = 0; i < d->nr_devices && i < KESTREL_MAX_DEVICES; i++) {
		const struct kestrel_domxml_device *dev = &d->devices[i];

		if (dev->type != KESTREL_DEV_BLOCK)
			continue;
		if (dev->slot < 1 || dev->slot > KESTREL_PCI_MAX_SLOT ||
		    format_disk(f, dev)) {
			bad = 1;
			break;
		}
	}
	/* Then the <interface>s, before the consoles, as libvirt. */
	for (i = 0; i < d->nr_devices && i < KESTREL_MAX_DEVICES && !bad; i++) {
		const struct kestrel_domxml_device *dev = &d->devices[i];

		if (dev->type != KESTREL_DEV_NET)
			continue;
		if (dev->slot < 1 || dev->slot > KESTREL_PCI_MAX_SLOT ||
		    format_interface(f, dev)) {
			bad = 1;
			break;
		}
	}
	if (d->serial)
		fputs("    <serial type='pty'>\n"
		      "      <target port='0'/>\n"
		      "    </serial>\n", f);
	if (d->console)
		fputs("    <console type='pty'>\n"
		      "      <target type='serial' port='0'/>\n"
		      "    </console>\n", f);
	/*
	 * Then the virtio console, numbered after the UART's as libvirt
	 * numbers consoles, with its PCI address (libvirt's for a direct
	 * virtio-console device, as bhyve's).
	 */
	for (i = 0; i < d->nr_devices && i < KESTREL_MAX_DEVICES && !bad; i++) {
		const struct kestrel_domxml_device *dev = &d->devices[i];

		if (dev->type != KESTREL_DEV_CONSOLE)
			continue;
		if (dev->slot < 1 || dev->slot > KESTREL_PCI_MAX_SLOT) {
			bad = 1;
			break;
		}
		fprintf(f, "    <console type='pty'>\n"
			"      <target type='virtio' port='%u'/>\n"
			"      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n"
			"    </console>\n", d->console ? 1U : 0U, dev->slot);
	}
	/* libvirt writes <rng> after the consoles, before <panic>. */
	for (i = 0; i < d->nr_devices && i < KESTREL_MAX_DEVICES; i++) {
		const struct kestrel_domxml_device *dev = &d->devices[i];
		const char *path;

		if (dev->type == KESTREL_DEV_BLOCK || dev->type == KESTREL_DEV_NET ||
		    dev->type == KESTREL_DEV_CONSOLE)
			continue;
		if (dev->type != KESTREL_DEV_RNG ||
		    dev->rng.backend > KESTREL_DOMXML_RNG_BUILTIN ||
		    dev->slot < 1 || dev->slot > KESTREL_PCI_MAX_SLOT) {
			bad = 1;
			break;
		}
		fputs("    <rng model='virtio'>\n", f);
		if (dev->rng.rate_bytes) {
			fprintf(f, "      <rate bytes='%u'", dev->rng.rate_bytes);
			if (dev->rng.rate_period)
				fprintf(f, " period='%u'", dev->rng.rate_period);
			fputs("/>\n", f);
		}
		path = kestrel_domxml_rng_path(dev->rng.backend);
		if (path)
			fprintf(f, "      <backend model='random'>%s</backend>\n",
				path);
		else
			fputs("      <backend model='builtin'/>\n", f);
		fprintf(f, "      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n",
			dev->slot);
		fputs("    </rng>\n", f);
	}
	fputs("  </devices>\n</domain>\n", f);

	if (fclose(f) || !buf || bad) {
		free(buf);
		if (bad == 1)
			kestrel_fail(EINVAL, "cannot format domain XML: a setting holds an unknown value");
		else
			kestrel_fail(ENOMEM, "out of memory");
		return NULL;
	}
	return buf;
}
