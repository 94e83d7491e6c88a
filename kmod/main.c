// SPDX-License-Identifier: GPL-2.0
/*
 * Kestrel: load and unload, hardware detection, /dev/kestrel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

#include "kestrel.h"

struct kestrel_hw kestrel_hw;

static const struct kestrel_arch_ops *const kestrel_backends[] = {
	&kestrel_svm_ops,
	&kestrel_vmx_ops,
};

/*
 * Pick the first backend whose extension the CPU has.  A CPU that has one
 * but cannot use it (disabled by firmware, no nested paging) leaves the
 * module loaded with KESTREL_BACKEND_NONE and the reason in hw->detail, so
 * that userspace can tell the user why.
 */
void kestrel_hw_detect(struct kestrel_hw *hw)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(kestrel_backends); i++) {
		memset(hw, 0, sizeof(*hw));
		err = kestrel_backends[i]->detect(hw);
		if (err == -ENODEV)
			continue;
		if (!err)
			hw->backend = kestrel_backends[i]->backend;
		return;
	}
	memset(hw, 0, sizeof(*hw));
	hw->detail = "the CPU has neither AMD-V (SVM) nor Intel VT-x (VMX)";
}

static long kestrel_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	switch (cmd) {
	case KESTREL_GET_API_VERSION:
		return KESTREL_API_VERSION;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kestrel_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kestrel_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kestrel_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kestrel",
	.fops = &kestrel_dev_fops,
};

static int __init kestrel_init(void)
{
	int err;

	kestrel_hw_detect(&kestrel_hw);

	err = misc_register(&kestrel_dev);
	if (err)
		return err;
	err = kestrel_genl_init();
	if (err)
		goto err_misc;

	pr_info("%s, backend %s: %s\n", KESTREL_VERSION,
		kestrel_hw.backend == KESTREL_BACKEND_SVM ? "svm" :
		kestrel_hw.backend == KESTREL_BACKEND_VMX ? "vmx" : "none",
		kestrel_hw.detail);
	return 0;

err_misc:
	misc_deregister(&kestrel_dev);
	return err;
}

static void __exit kestrel_exit(void)
{
	kestrel_genl_exit();
	misc_deregister(&kestrel_dev);
}

module_init(kestrel_init);
module_exit(kestrel_exit);

MODULE_DESCRIPTION("Kestrel hypervisor");
MODULE_AUTHOR("The Kestrel authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(KESTREL_VERSION);
