// SPDX-License-Identifier: GPL-2.0
/*
 * The boot image of a domain (DESIGN principle 9): what a reboot in place
 * writes back into zeroed RAM, and the registers it starts the vCPUs with.
 *
 * Small regions (zero page, command line, page tables, GDT, ACPI tables)
 * are copied.  The big ones, the kernel and the initrd, are ranges of
 * files: userspace names the file and the kernel keeps a reference to it
 * instead of a copy, so a domain costs no memory for its boot image beyond
 * the page cache, which is shared and reclaimable.  At the first start the
 * file's bytes are compared with what userspace wrote into RAM; before a
 * reboot the file's size and times must be what they were then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <net/netlink.h>

#include "domain.h"

#define BOOT_CHUNK	SZ_64K

void kestrel_boot_free(struct kestrel_boot_image *boot)
{
	unsigned int i;

	if (!boot)
		return;
	for (i = 0; i < boot->nr_regions; i++) {
		kvfree(boot->regions[i].data);
		if (boot->regions[i].file)
			fput(boot->regions[i].file);
	}
	kfree(boot->regs);
	kfree(boot->sregs);
	kfree(boot->regs_set);
	kfree(boot);
}

/* Read @len bytes of @file at @pos into @buf; -EIO when it has fewer. */
static int boot_read(struct file *file, u64 pos, void *buf, size_t len)
{
	loff_t p = pos;
	ssize_t n;

	while (len) {
		n = kernel_read(file, buf, len, &p);
		if (n < 0)
			return n;
		if (!n)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Region @i comes from @bf: hold the file, check that it is a readable
 * regular file holding the range and that its bytes are those in RAM.
 */
static int boot_take_file(struct kestrel_domain *dom,
			  struct kestrel_boot_image *boot, unsigned int i,
			  const struct kestrel_boot_file *bf,
			  struct netlink_ext_ack *extack)
{
	struct file *file;
	struct inode *inode;
	void *buf;
	u64 done;
	int err;

	if (bf->flags) {
		NL_SET_ERR_MSG(extack, "boot file: flags must be 0");
		return -EINVAL;
	}
	file = fget(bf->fd);
	if (!file) {
		NL_SET_ERR_MSG(extack, "boot file: not an open file descriptor");
		return -EBADF;
	}
	boot->regions[i].file = file;
	inode = file_inode(file);
	if (!S_ISREG(inode->i_mode) || !(file->f_mode & FMODE_READ)) {
		NL_SET_ERR_MSG(extack, "boot file: not a regular file open for reading");
		return -EINVAL;
	}
	boot->regions[i].offset = bf->offset;
	boot->regions[i].i_size = i_size_read(inode);
	boot->regions[i].mtime = inode->i_mtime;
	boot->regions[i].ctime = inode->i_ctime;
	if (bf->offset > boot->regions[i].i_size ||
	    bf->size > boot->regions[i].i_size - bf->offset) {
		NL_SET_ERR_MSG(extack, "boot file: the range is beyond the end of the file");
		return -EINVAL;
	}

	buf = kvmalloc(2 * BOOT_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (done = 0; done < bf->size; done += BOOT_CHUNK) {
		unsigned int len = min_t(u64, BOOT_CHUNK, bf->size - done);

		err = boot_read(file, bf->offset + done, buf, len);
		if (err) {
			NL_SET_ERR_MSG(extack, "boot file: cannot read it");
			break;
		}
		kestrel_mem_read(&dom->mem, bf->gpa + done, buf + BOOT_CHUNK,
				 len);
		if (memcmp(buf, buf + BOOT_CHUNK, len)) {
			NL_SET_ERR_MSG(extack, "boot file: its bytes differ from those in guest RAM");
			err = -EINVAL;
			break;
		}
		cond_resched();
	}
	kvfree(buf);
	return err;
}

int kestrel_boot_take(struct kestrel_domain *dom,
		      const struct kestrel_mem_region *regions, unsigned int nr,
		      const struct kestrel_boot_file *files,
		      unsigned int nr_files, struct netlink_ext_ack *extack)
{
	struct kestrel_boot_image *boot;
	bool used[KESTREL_MAX_BOOT_REGIONS] = {};
	unsigned int i, j;
	u64 total = 0, off, done;
	int err = -ENOMEM;

	kestrel_boot_free(dom->boot);	/* from a start that failed */
	dom->boot = NULL;
	boot = kzalloc(sizeof(*boot), GFP_KERNEL_ACCOUNT);
	if (!boot)
		return -ENOMEM;
	boot->regs = kcalloc(dom->nr_vcpus, sizeof(*boot->regs),
			     GFP_KERNEL_ACCOUNT);
	boot->sregs = kcalloc(dom->nr_vcpus, sizeof(*boot->sregs),
			      GFP_KERNEL_ACCOUNT);
	boot->regs_set = kcalloc(dom->nr_vcpus, sizeof(*boot->regs_set),
				 GFP_KERNEL_ACCOUNT);
	if (!boot->regs || !boot->sregs || !boot->regs_set)
		goto err;
	for (i = 0; i < nr; i++) {
		const struct kestrel_mem_region *r = &regions[i];
		const struct kestrel_boot_file *bf = NULL;

		/* Both ends in RAM and the hole not crossed. */
		if (!r->size || r->gpa + r->size < r->gpa ||
		    !kestrel_mem_gpa_to_off(&dom->mem, r->gpa, &off) ||
		    !kestrel_mem_gpa_to_off(&dom->mem, r->gpa + r->size - 1,
					    &done) ||
		    done - off != r->size - 1) {
			NL_SET_ERR_MSG(extack, "a boot region is empty or not within guest RAM");
			err = -EINVAL;
			goto err;
		}
		total += r->size;
		if (total > dom->mem.size) {
			NL_SET_ERR_MSG(extack, "the boot regions are larger than guest RAM");
			err = -EINVAL;
			goto err;
		}
		for (j = 0; j < nr_files; j++) {
			if (!used[j] && files[j].gpa == r->gpa &&
			    files[j].size == r->size) {
				bf = &files[j];
				used[j] = true;
				break;
			}
		}
		boot->regions[i].gpa = r->gpa;
		boot->regions[i].size = r->size;
		boot->nr_regions = i + 1;
		if (bf) {
			err = boot_take_file(dom, boot, i, bf, extack);
			if (err)
				goto err;
			continue;
		}
		boot->regions[i].data = kvmalloc(r->size, GFP_KERNEL_ACCOUNT);
		if (!boot->regions[i].data) {
			NL_SET_ERR_MSG(extack, "out of memory for the boot image");
			err = -ENOMEM;
			goto err;
		}
		for (done = 0; done < r->size; done += SZ_1M) {
			unsigned int len = min_t(u64, SZ_1M, r->size - done);

			kestrel_mem_read(&dom->mem, r->gpa + done,
					 boot->regions[i].data + done, len);
			cond_resched();
		}
	}
	for (j = 0; j < nr_files; j++) {
		if (!used[j]) {
			NL_SET_ERR_MSG(extack, "a boot file names no boot region (gpa and size must match one)");
			err = -EINVAL;
			goto err;
		}
	}
	for (i = 0; i < dom->nr_vcpus; i++) {
		kestrel_arch->get_regs(&dom->vcpus[i], &boot->regs[i]);
		kestrel_arch->get_sregs(&dom->vcpus[i], &boot->sregs[i]);
		boot->regs_set[i] = i == 0 || dom->vcpus[i].regs_set;
	}
	dom->boot = boot;
	return 0;
err:
	kestrel_boot_free(boot);
	return err;
}

int kestrel_boot_check(struct kestrel_domain *dom)
{
	struct kestrel_boot_image *boot = dom->boot;
	unsigned int i;

	for (i = 0; i < boot->nr_regions; i++) {
		struct file *file = boot->regions[i].file;
		struct inode *inode;
		struct timespec64 mtime, ctime;

		if (!file)
			continue;
		inode = file_inode(file);
		mtime = inode->i_mtime;
		ctime = inode->i_ctime;
		if (i_size_read(inode) != boot->regions[i].i_size ||
		    !timespec64_equal(&mtime, &boot->regions[i].mtime) ||
		    !timespec64_equal(&ctime, &boot->regions[i].ctime)) {
			pr_warn_ratelimited("domain %u (%s): %pD changed since the first start: no reboot from it\n",
					    dom->id, dom->name, file);
			return -ESTALE;
		}
	}
	return 0;
}

int kestrel_boot_apply(struct kestrel_domain *dom)
{
	struct kestrel_boot_image *boot = dom->boot;
	void *buf = NULL;
	unsigned int i;
	u64 done;
	int err = 0;

	for (i = 0; i < boot->nr_regions && !err; i++) {
		void *data = boot->regions[i].data;
		unsigned int chunk = data ? SZ_1M : BOOT_CHUNK;

		if (!data && !buf) {
			buf = kvmalloc(BOOT_CHUNK, GFP_KERNEL);
			if (!buf)
				return -ENOMEM;
		}
		for (done = 0; done < boot->regions[i].size; done += chunk) {
			unsigned int len = min_t(u64, chunk,
						 boot->regions[i].size - done);

			if (!data) {
				err = boot_read(boot->regions[i].file,
						boot->regions[i].offset + done,
						buf, len);
				if (err) {
					pr_warn_ratelimited("domain %u (%s): cannot read %pD again (%d): no reboot from it\n",
							    dom->id, dom->name,
							    boot->regions[i].file,
							    err);
					break;
				}
			}
			kestrel_mem_write(&dom->mem, boot->regions[i].gpa + done,
					  data ? data + done : buf, len);
			cond_resched();
		}
	}
	kvfree(buf);
	return err;
}
