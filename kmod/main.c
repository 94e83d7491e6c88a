// SPDX-License-Identifier: GPL-2.0
/*
 * Kestrel: load and unload, hardware detection, /dev/kestrel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cpu.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include <asm/reboot.h>

#include "kestrel.h"
#include "domain.h"
#include "console.h"

struct kestrel_hw kestrel_hw;
const struct kestrel_arch_ops *kestrel_arch;
/*
 * Deferred domain work (a guest's power-off).  Module-owned so that
 * unloading drains it: a work item may drop a domain's last reference,
 * and with it the module reference, while still running module code.
 */
struct workqueue_struct *kestrel_wq;

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
		if (err)
			return;
		hw->backend = kestrel_backends[i]->backend;
		/* A backend that can only detect runs no domain yet. */
		if (!kestrel_backends[i]->vcpu_run)
			hw->detail = "the extension is detected, but Kestrel's backend for it is not implemented yet";
		else
			kestrel_arch = kestrel_backends[i];
		return;
	}
	memset(hw, 0, sizeof(*hw));
	hw->detail = "the CPU has neither AMD-V (SVM) nor Intel VT-x (VMX)";
}

/*
 * Hardware virtualization is enabled on every online CPU while at least
 * one domain has started, and disabled again after the last one is gone.
 * kestrel_hw_users is protected by kestrel_hw_mutex; CPU hotplug is held
 * off while the state flips, and the hotplug callbacks follow it.
 */
static DEFINE_MUTEX(kestrel_hw_mutex);
static unsigned int kestrel_hw_users;
static int kestrel_cpuhp_state = -1;

/*
 * Whether this CPU has the extension enabled for us.  Written only on its
 * own CPU (IPI or hotplug callback), read by vCPU threads on the same CPU
 * with preemption disabled, so that a burst never starts on a CPU that a
 * hotplug callback has just disabled (the thread moves away first).
 */
DEFINE_PER_CPU(bool, kestrel_hw_on);

static int hw_enable_this_cpu(void)
{
	int err = kestrel_arch->hw_enable();

	if (!err)
		this_cpu_write(kestrel_hw_on, true);
	return err;
}

static void hw_disable_this_cpu(void)
{
	this_cpu_write(kestrel_hw_on, false);
	kestrel_arch->hw_disable();
}

static void hw_enable_one(void *failed)
{
	if (hw_enable_this_cpu())
		atomic_inc(failed);
}

static void hw_disable_one(void *unused)
{
	hw_disable_this_cpu();
}

int kestrel_hw_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int err = 0;

	mutex_lock(&kestrel_hw_mutex);
	if (kestrel_hw_users++ == 0) {
		cpus_read_lock();
		on_each_cpu(hw_enable_one, &failed, 1);
		if (atomic_read(&failed)) {
			/* Undo where it worked: nothing stays half-enabled. */
			on_each_cpu(hw_disable_one, NULL, 1);
			kestrel_hw_users = 0;
			err = -EBUSY;
		}
		cpus_read_unlock();
	}
	mutex_unlock(&kestrel_hw_mutex);
	return err;
}

void kestrel_hw_put(void)
{
	mutex_lock(&kestrel_hw_mutex);
	if (!WARN_ON(!kestrel_hw_users) && --kestrel_hw_users == 0) {
		cpus_read_lock();
		on_each_cpu(hw_disable_one, NULL, 1);
		cpus_read_unlock();
	}
	mutex_unlock(&kestrel_hw_mutex);
}

static int kestrel_cpu_online(unsigned int cpu)
{
	/* Runs on @cpu; kestrel_hw_get() holds the hotplug lock. */
	if (READ_ONCE(kestrel_hw_users) && hw_enable_this_cpu())
		return -EBUSY;
	return 0;
}

static int kestrel_cpu_offline(unsigned int cpu)
{
	hw_disable_this_cpu();
	return 0;
}

/*
 * Crash, kexec or emergency reboot: leave no CPU with VMX on (it blocks
 * INIT).  The kernel keeps a single emergency callback, which kvm_intel
 * takes at load too: a second registration WARNs.  kvm_intel's callback
 * turns VMX off on any CPU with CR4.VMXE set, Kestrel's included, so the
 * slot is handed to kvm_intel while it is loaded.  SVM needs no callback:
 * the kernel turns SVM off itself (and kvm_amd does not use the slot).
 */
static void kestrel_emergency_disable(void)
{
	if (kestrel_arch)
		hw_disable_this_cpu();
}

static DEFINE_MUTEX(kestrel_emergency_mutex);
static bool kestrel_emergency_wanted, kestrel_emergency_registered;

static void kestrel_emergency_update(bool kvm_intel_loaded)
{
	bool want = kestrel_emergency_wanted && !kvm_intel_loaded;

	if (want == kestrel_emergency_registered)
		return;
	if (want)
		cpu_emergency_register_virt_callback(kestrel_emergency_disable);
	else
		cpu_emergency_unregister_virt_callback(kestrel_emergency_disable);
	kestrel_emergency_registered = want;
}

/* COMING runs before kvm_intel's init, GOING after its exit. */
static int kestrel_module_event(struct notifier_block *nb,
				unsigned long action, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm_intel"))
		return NOTIFY_DONE;
	mutex_lock(&kestrel_emergency_mutex);
	if (action == MODULE_STATE_COMING)
		kestrel_emergency_update(true);
	else if (action == MODULE_STATE_GOING)
		kestrel_emergency_update(false);
	mutex_unlock(&kestrel_emergency_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block kestrel_module_nb = {
	.notifier_call = kestrel_module_event,
};

static bool kvm_intel_loaded(void)
{
	struct kobject *kobj;

	kobj = kset_find_obj(THIS_MODULE->mkobj.kobj.kset, "kvm_intel");
	if (!kobj)
		return false;
	kobject_put(kobj);
	return true;
}

static int kestrel_emergency_init(void)
{
	int err;

	if (kestrel_hw.backend != KESTREL_BACKEND_VMX)
		return 0;
	err = register_module_notifier(&kestrel_module_nb);
	if (err)
		return err;
	mutex_lock(&kestrel_emergency_mutex);
	kestrel_emergency_wanted = true;
	kestrel_emergency_update(kvm_intel_loaded());
	mutex_unlock(&kestrel_emergency_mutex);
	return 0;
}

static void kestrel_emergency_exit(void)
{
	if (kestrel_hw.backend != KESTREL_BACKEND_VMX)
		return;
	unregister_module_notifier(&kestrel_module_nb);
	mutex_lock(&kestrel_emergency_mutex);
	kestrel_emergency_wanted = false;
	kestrel_emergency_update(false);
	mutex_unlock(&kestrel_emergency_mutex);
}

/* ---- /dev/kestrel ---- */

static int kestrel_memfd_release(struct inode *inode, struct file *file)
{
	kestrel_domain_put(file->private_data);
	return 0;
}

static int kestrel_memfd_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kestrel_domain *dom = file->private_data;

	return kestrel_mem_mmap(&dom->mem, vma);
}

static const struct file_operations kestrel_memfd_fops = {
	.owner = THIS_MODULE,
	.release = kestrel_memfd_release,
	.mmap = kestrel_memfd_mmap,
	.llseek = noop_llseek,
};

/* The fd holds a domain reference: the RAM lives until the last unmap. */
static long kestrel_open_domain_fd(unsigned int cmd, unsigned long id)
{
	struct kestrel_domain *dom;
	int fd;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (id > U32_MAX)
		return -EINVAL;
	dom = kestrel_domain_get_by_id(id);
	if (!dom)
		return -ENOENT;
	if (cmd == KESTREL_DOMAIN_CONSOLE_FD) {
		/* The console takes its own domain reference per fd. */
		fd = kestrel_console_open_fd(dom->console, O_RDWR | O_CLOEXEC);
		kestrel_domain_put(dom);
		return fd;
	}
	fd = anon_inode_getfd("kestrel-memory", &kestrel_memfd_fops, dom,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kestrel_domain_put(dom);
	return fd;
}

static long kestrel_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	switch (cmd) {
	case KESTREL_GET_API_VERSION:
		return KESTREL_API_VERSION;
	case KESTREL_DOMAIN_MEMORY_FD:
	case KESTREL_DOMAIN_CONSOLE_FD:
		if (!kestrel_arch)
			return -EOPNOTSUPP;
		return kestrel_open_domain_fd(cmd, arg);
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
	kestrel_wq = alloc_workqueue("kestrel", WQ_UNBOUND, 0);
	if (!kestrel_wq)
		return -ENOMEM;
	if (kestrel_arch) {
		err = kestrel_arch->init();
		if (err)
			goto err_wq;
		err = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
						"kestrel:online",
						kestrel_cpu_online,
						kestrel_cpu_offline);
		if (err < 0)
			goto err_arch;
		kestrel_cpuhp_state = err;
		err = kestrel_emergency_init();
		if (err)
			goto err_cpuhp;
	}

	err = misc_register(&kestrel_dev);
	if (err)
		goto err_cpuhp;
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
err_cpuhp:
	if (kestrel_arch) {
		kestrel_emergency_exit();
		if (kestrel_cpuhp_state >= 0)
			cpuhp_remove_state_nocalls(kestrel_cpuhp_state);
	}
err_arch:
	if (kestrel_arch)
		kestrel_arch->exit();
err_wq:
	destroy_workqueue(kestrel_wq);
	return err;
}

/* No domain exists here: each holds a module reference. */
static void __exit kestrel_exit(void)
{
	kestrel_genl_exit();
	misc_deregister(&kestrel_dev);
	if (kestrel_arch) {
		kestrel_emergency_exit();
		cpuhp_remove_state_nocalls(kestrel_cpuhp_state);
		kestrel_arch->exit();
	}
	destroy_workqueue(kestrel_wq);	/* drains it */
}

module_init(kestrel_init);
module_exit(kestrel_exit);

MODULE_DESCRIPTION("Kestrel hypervisor");
MODULE_AUTHOR("The Kestrel authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(KESTREL_VERSION);
