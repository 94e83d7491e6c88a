// SPDX-License-Identifier: GPL-2.0
/*
 * Domains: the registry, the lifecycle state machine and its events.
 *
 * States and events use libvirt's numbering (uapi/linux/kestrel.h).  A
 * domain is created shut off with zeroed RAM, so that userspace can load
 * it through the memory fd and set registers; START makes its vCPU threads;
 * DESTROY stops them and removes the domain from the registry, after which
 * it lives on only as long as someone holds an fd to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <net/netlink.h>
#include <asm/msr.h>

#include "domain.h"
#include "console.h"
#include "platform.h"

/* The registry: every domain not yet destroyed, in ID order. */
static DEFINE_MUTEX(kestrel_domains_mutex);
static LIST_HEAD(kestrel_domains);
static u32 kestrel_next_id = 1;		/* IDs are never reused */
static unsigned int kestrel_nr_domains;

unsigned int kestrel_domain_count(void)
{
	return READ_ONCE(kestrel_nr_domains);
}

static void kestrel_domain_release(struct kref *ref)
{
	struct kestrel_domain *dom = container_of(ref, struct kestrel_domain, ref);

	/* The devices' timers kick vCPUs: cancel them first. */
	kestrel_platform_free(dom);
	kestrel_vcpus_free(dom);
	if (kestrel_arch)
		kestrel_arch->dom_free(dom);
	if (dom->console)
		kestrel_console_destroy(dom->console);
	if (dom->mem.chunks)
		kestrel_mem_destroy(&dom->mem);
	kestrel_boot_free(dom->boot);
	kvfree(dom->xml);
	kfree(dom);
	module_put(THIS_MODULE);
}

void kestrel_domain_put(struct kestrel_domain *dom)
{
	kref_put(&dom->ref, kestrel_domain_release);
}

static void console_get(void *owner)
{
	kref_get(&((struct kestrel_domain *)owner)->ref);
}

static void console_put(void *owner)
{
	kestrel_domain_put(owner);
}

static int domain_devices_init(struct kestrel_domain *dom)
{
	/*
	 * The console holds no reference of its own on the domain: fds do,
	 * through console_get/console_put.
	 */
	dom->console = kestrel_console_create(console_get, console_put, dom);
	if (!dom->console)
		return -ENOMEM;
	return kestrel_platform_init(dom);
}

static void domain_shutdown_work(struct work_struct *work);
static void guest_event_queue(struct kestrel_domain *dom,
			      enum kestrel_guest_event ev);

static bool name_taken(const char *name, const u8 *uuid)
{
	struct kestrel_domain *d;

	list_for_each_entry(d, &kestrel_domains, node)
		if (!strcmp(d->name, name) ||
		    !memcmp(d->uuid, uuid, KESTREL_UUID_LEN))
			return true;
	return false;
}

/*
 * Create a domain; on success *domp holds a reference for the caller (the
 * registry holds its own).
 */
int kestrel_domain_create(const char *name, const u8 *uuid, u64 memory,
			  u32 nr_vcpus, const void *xml, u32 xml_len,
			  const struct kestrel_actions *actions,
			  const struct kestrel_dev_config *devs,
			  unsigned int nr_devs,
			  struct netlink_ext_ack *extack,
			  struct kestrel_domain **domp)
{
	struct kestrel_domain *dom, *pos;
	unsigned int i;
	int err;

	if (!name[0]) {
		NL_SET_ERR_MSG(extack, "domain name must not be empty");
		return -EINVAL;
	}
	if (nr_vcpus > KESTREL_MAX_VCPUS) {
		NL_SET_ERR_MSG(extack, "too many vCPUs (at most 64)");
		return -EINVAL;
	}
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom) {
		module_put(THIS_MODULE);
		return -ENOMEM;
	}
	kref_init(&dom->ref);
	INIT_LIST_HEAD(&dom->node);
	mutex_init(&dom->lock);
	spin_lock_init(&dom->state_lock);
	init_waitqueue_head(&dom->park_wq);
	INIT_WORK(&dom->shutdown_work, domain_shutdown_work);
	kestrel_platform_prepare(dom);
	/*
	 * The ID now, not at registration: the device and vCPU threads are
	 * named after it.  A creation that fails uses one up; IDs are never
	 * reused either way.
	 */
	mutex_lock(&kestrel_domains_mutex);
	dom->id = kestrel_next_id++;
	mutex_unlock(&kestrel_domains_mutex);
	strscpy(dom->name, name, sizeof(dom->name));
	if (uuid)
		memcpy(dom->uuid, uuid, KESTREL_UUID_LEN);
	else
		generate_random_uuid(dom->uuid);
	dom->state = KESTREL_STATE_SHUTOFF;
	dom->reason = KESTREL_SHUTOFF_UNKNOWN;
	dom->nr_vcpus = nr_vcpus;
	dom->tsc_offset = -rdtsc();
	dom->actions = *actions;
	dom->nr_devs = nr_devs;
	memcpy(dom->devs, devs, nr_devs * sizeof(*devs));

	/* From here on the release function undoes whatever was done. */
	if (xml_len) {
		dom->xml = kvmalloc(xml_len, GFP_KERNEL_ACCOUNT);
		if (!dom->xml) {
			err = -ENOMEM;
			goto err_put;
		}
		memcpy(dom->xml, xml, xml_len);
		dom->xml_len = xml_len;
	}
	err = kestrel_mem_create(&dom->mem, memory, extack);
	if (err)
		goto err_put;
	err = kestrel_arch->dom_init(dom);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot build the nested page tables");
		goto err_put;
	}
	err = kestrel_vcpus_init(dom);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot set up the vCPUs");
		goto err_put;
	}
	err = domain_devices_init(dom);
	for (i = 0; i < nr_devs; i++) {	/* the caller's; see domain.h */
		dom->devs[i].file = NULL;
		memset(dom->devs[i].taps, 0, sizeof(dom->devs[i].taps));
	}
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot set up the domain's devices");
		goto err_put;
	}

	mutex_lock(&kestrel_domains_mutex);
	if (name_taken(dom->name, dom->uuid)) {
		mutex_unlock(&kestrel_domains_mutex);
		NL_SET_ERR_MSG(extack, "a domain with this name or UUID already exists");
		err = -EEXIST;
		goto err_put;
	}
	/*
	 * In ID order (get_next() resumes dumps by ID); a domain whose
	 * creation began later may have got here first.
	 */
	list_for_each_entry(pos, &kestrel_domains, node)
		if (pos->id > dom->id)
			break;
	list_add_tail(&dom->node, &pos->node);
	WRITE_ONCE(kestrel_nr_domains, kestrel_nr_domains + 1);
	kref_get(&dom->ref);	/* the caller's */
	mutex_unlock(&kestrel_domains_mutex);

	kestrel_genl_notify(dom, KESTREL_EVENT_DEFINED,
			    KESTREL_EVENT_DEFINED_ADDED, GFP_KERNEL);
	*domp = dom;
	return 0;

err_put:
	kestrel_domain_put(dom);
	return err;
}

/* Lookups take a reference the caller drops with kestrel_domain_put(). */
static struct kestrel_domain *domain_find(bool (*match)(struct kestrel_domain *,
						       const void *),
					  const void *key)
{
	struct kestrel_domain *d, *found = NULL;

	mutex_lock(&kestrel_domains_mutex);
	list_for_each_entry(d, &kestrel_domains, node) {
		if (match(d, key)) {
			kref_get(&d->ref);
			found = d;
			break;
		}
	}
	mutex_unlock(&kestrel_domains_mutex);
	return found;
}

static bool match_id(struct kestrel_domain *d, const void *key)
{
	return d->id == *(const u32 *)key;
}

static bool match_name(struct kestrel_domain *d, const void *key)
{
	return !strcmp(d->name, key);
}

static bool match_uuid(struct kestrel_domain *d, const void *key)
{
	return !memcmp(d->uuid, key, KESTREL_UUID_LEN);
}

static bool match_after(struct kestrel_domain *d, const void *key)
{
	return d->id > *(const u32 *)key;
}

struct kestrel_domain *kestrel_domain_get_by_id(u32 id)
{
	return domain_find(match_id, &id);
}

struct kestrel_domain *kestrel_domain_get_by_name(const char *name)
{
	return domain_find(match_name, name);
}

struct kestrel_domain *kestrel_domain_get_by_uuid(const u8 *uuid)
{
	return domain_find(match_uuid, uuid);
}

/* The first domain with an ID above @id: how dumps resume. */
struct kestrel_domain *kestrel_domain_get_next(u32 id)
{
	return domain_find(match_after, &id);
}

void kestrel_domain_get_state(struct kestrel_domain *dom, u32 *state,
			      u32 *reason)
{
	spin_lock(&dom->state_lock);
	*state = dom->state;
	*reason = dom->reason;
	spin_unlock(&dom->state_lock);
	/* libvirt's "idle": running, but every vCPU waits in HLT. */
	if (*state == KESTREL_STATE_RUNNING && kestrel_vcpus_all_halted(dom)) {
		*state = KESTREL_STATE_BLOCKED;
		*reason = 0;
	}
}

u64 kestrel_domain_cpu_time(struct kestrel_domain *dom)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < dom->nr_vcpus; i++)
		sum += READ_ONCE(dom->vcpus[i].cpu_time_ns);
	return sum;
}

static void set_state(struct kestrel_domain *dom, u32 state, u32 reason)
{
	spin_lock(&dom->state_lock);
	dom->state = state;
	dom->reason = reason;
	spin_unlock(&dom->state_lock);
}

/*
 * A vCPU found the guest unable to go on.  Called from a vCPU thread,
 * possibly with preemption disabled: must not sleep.  The domain stays
 * crashed (libvirt's on_crash=preserve) until destroyed.
 */
void kestrel_domain_crash(struct kestrel_domain *dom, const char *why)
{
	unsigned int i;
	bool first;

	spin_lock(&dom->state_lock);
	first = dom->state == KESTREL_STATE_RUNNING;
	if (first) {
		dom->state = KESTREL_STATE_CRASHED;
		dom->reason = KESTREL_CRASHED_PANICKED;
	}
	spin_unlock(&dom->state_lock);
	if (!first)
		return;
	pr_info_ratelimited("domain %u (%s) crashed: %s\n", dom->id, dom->name,
			    why);
	kestrel_genl_notify(dom, KESTREL_EVENT_CRASHED,
			    KESTREL_EVENT_CRASHED_PANICKED, GFP_ATOMIC);
	if (dom->actions.on_crash != KESTREL_ACTION_PRESERVE) {
		spin_lock(&dom->state_lock);
		guest_event_queue(dom, KESTREL_GUEST_CRASH);
		spin_unlock(&dom->state_lock);
		return;
	}
	for (i = 0; i < dom->nr_vcpus; i++) {
		kestrel_vcpu_request(&dom->vcpus[i], KESTREL_REQ_PAUSE);
		kestrel_vcpu_kick(&dom->vcpus[i]);
	}
}

int kestrel_domain_start(struct kestrel_domain *dom,
			 const struct kestrel_mem_region *regions,
			 unsigned int nr_regions,
			 const struct kestrel_boot_file *files,
			 unsigned int nr_files,
			 struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&dom->lock);
	if (dom->destroyed || dom->state != KESTREL_STATE_SHUTOFF ||
	    dom->started) {
		NL_SET_ERR_MSG(extack, "Requested operation is not valid: domain is already active");
		err = -EINVAL;
		goto out;
	}
	if (nr_files && !nr_regions) {
		NL_SET_ERR_MSG(extack, "boot files without boot regions");
		err = -EINVAL;
		goto out;
	}
	if (nr_regions) {
		err = kestrel_boot_take(dom, regions, nr_regions, files,
					nr_files, extack);
		if (err)
			goto out;
	}
	err = kestrel_hw_get();
	if (err) {
		if (err == -EBUSY)
			NL_SET_ERR_MSG(extack, "another hypervisor (kvm_amd or kvm_intel with running guests?) owns the CPU's virtualization extension");
		else
			NL_SET_ERR_MSG(extack, "cannot enable hardware virtualization");
		goto out;
	}
	err = kestrel_vcpus_start(dom);
	if (err) {
		kestrel_hw_put();
		NL_SET_ERR_MSG(extack, "cannot start the vCPU threads");
		goto out;
	}
	dom->hw_held = true;
	dom->started = true;
	set_state(dom, KESTREL_STATE_RUNNING, KESTREL_RUNNING_BOOTED);
	kestrel_genl_notify(dom, KESTREL_EVENT_STARTED,
			    KESTREL_EVENT_STARTED_BOOTED, GFP_KERNEL);
out:
	mutex_unlock(&dom->lock);
	return err;
}

int kestrel_domain_pause(struct kestrel_domain *dom,
			 struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&dom->lock);
	spin_lock(&dom->state_lock);
	if (dom->destroyed || dom->state != KESTREL_STATE_RUNNING)
		err = -EINVAL;
	spin_unlock(&dom->state_lock);
	if (err) {
		NL_SET_ERR_MSG(extack, "Requested operation is not valid: domain is not running");
		goto out;
	}
	kestrel_vcpus_pause(dom);
	/* A vCPU may have crashed the domain meanwhile: keep that state. */
	spin_lock(&dom->state_lock);
	if (dom->state == KESTREL_STATE_RUNNING) {
		dom->state = KESTREL_STATE_PAUSED;
		dom->reason = KESTREL_PAUSED_USER;
	} else {
		err = -EINVAL;
	}
	spin_unlock(&dom->state_lock);
	if (err) {
		NL_SET_ERR_MSG(extack, "the domain crashed while being paused");
		goto out;
	}
	kestrel_genl_notify(dom, KESTREL_EVENT_SUSPENDED,
			    KESTREL_EVENT_SUSPENDED_PAUSED, GFP_KERNEL);
out:
	mutex_unlock(&dom->lock);
	return err;
}

int kestrel_domain_resume(struct kestrel_domain *dom,
			  struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&dom->lock);
	spin_lock(&dom->state_lock);
	if (dom->destroyed || dom->state != KESTREL_STATE_PAUSED) {
		err = -EINVAL;
	} else {
		dom->state = KESTREL_STATE_RUNNING;
		dom->reason = KESTREL_RUNNING_UNPAUSED;
	}
	spin_unlock(&dom->state_lock);
	if (err) {
		NL_SET_ERR_MSG(extack, "Requested operation is not valid: domain is not paused");
		goto out;
	}
	kestrel_vcpus_resume(dom);
	kestrel_genl_notify(dom, KESTREL_EVENT_RESUMED,
			    KESTREL_EVENT_RESUMED_UNPAUSED, GFP_KERNEL);
out:
	mutex_unlock(&dom->lock);
	return err;
}

/*
 * Stop the guest, take the domain out of the registry and drop the
 * registry's reference: destroy, and a guest's power-off.
 */
static int domain_stop(struct kestrel_domain *dom, u32 reason, u32 detail,
		       struct netlink_ext_ack *extack)
{
	mutex_lock(&dom->lock);
	if (dom->destroyed) {
		mutex_unlock(&dom->lock);
		NL_SET_ERR_MSG(extack, "Domain not found: the domain is being destroyed");
		return -ENOENT;
	}
	dom->destroyed = true;
	mutex_lock(&kestrel_domains_mutex);
	list_del_init(&dom->node);
	WRITE_ONCE(kestrel_nr_domains, kestrel_nr_domains - 1);
	mutex_unlock(&kestrel_domains_mutex);

	kestrel_vcpus_stop(dom);
	if (dom->hw_held) {
		kestrel_hw_put();
		dom->hw_held = false;
	}
	set_state(dom, KESTREL_STATE_SHUTOFF, reason);
	kestrel_console_shutdown(dom->console);
	mutex_unlock(&dom->lock);

	kestrel_genl_notify(dom, KESTREL_EVENT_STOPPED, detail, GFP_KERNEL);
	kestrel_domain_put(dom);	/* the registry's */
	return 0;
}

int kestrel_domain_destroy(struct kestrel_domain *dom,
			   struct netlink_ext_ack *extack)
{
	return domain_stop(dom, KESTREL_SHUTOFF_DESTROYED,
			   KESTREL_EVENT_STOPPED_DESTROYED, extack);
}

/*
 * Reboot in place (DESIGN principle 9), under dom->lock with every vCPU
 * parked: RAM zeroed and the boot image written back, the devices and
 * vCPUs back to their state at the first start, and the vCPUs let go.
 * A boot file that changed is found before anything is touched
 * (-ESTALE); one that cannot be read again leaves RAM half written: the
 * caller stops the domain then.
 */
static int domain_reboot(struct kestrel_domain *dom)
{
	unsigned int i;
	int err;

	err = kestrel_boot_check(dom);
	if (err)
		return err;
	kestrel_vcpus_pause(dom);
	/*
	 * The devices first: a reset waits for their requests in flight,
	 * which would otherwise land in the fresh RAM.
	 */
	kestrel_platform_reset(dom);
	kestrel_mem_clear(&dom->mem);
	err = kestrel_boot_apply(dom);
	if (err)
		return err;
	for (i = 0; i < dom->nr_vcpus; i++)
		kestrel_vcpu_reset(&dom->vcpus[i], &dom->boot->regs[i],
				   &dom->boot->sregs[i],
				   dom->boot->regs_set[i]);
	dom->reboot_on_poweroff = false;
	set_state(dom, KESTREL_STATE_RUNNING, KESTREL_RUNNING_BOOTED);
	kestrel_genl_notify(dom, KESTREL_EVENT_REBOOTED, 0, GFP_KERNEL);
	kestrel_vcpus_resume(dom);
	return 0;
}

/* The guest powered off, reset or crashed: carry out its action. */
static void domain_shutdown_work(struct work_struct *work)
{
	struct kestrel_domain *dom = container_of(work, struct kestrel_domain,
						  shutdown_work);
	u32 action, reason = KESTREL_SHUTOFF_SHUTDOWN;
	u32 detail = KESTREL_EVENT_STOPPED_SHUTDOWN;

	mutex_lock(&dom->lock);
	switch (dom->guest_event) {
	case KESTREL_GUEST_POWEROFF:
		action = dom->reboot_on_poweroff ? KESTREL_ACTION_RESTART :
			 dom->actions.on_poweroff;
		break;
	case KESTREL_GUEST_RESET:
		action = dom->actions.on_reboot;
		break;
	default:
		action = dom->actions.on_crash;
		reason = KESTREL_SHUTOFF_CRASHED;
		detail = KESTREL_EVENT_STOPPED_CRASHED;
		break;
	}
	pr_info_ratelimited("domain %u (%s): guest %s, action %s\n", dom->id,
			    dom->name,
			    dom->guest_event == KESTREL_GUEST_POWEROFF ? "power-off" :
			    dom->guest_event == KESTREL_GUEST_RESET ? "reset" :
			    "crash",
			    action == KESTREL_ACTION_RESTART ? "restart" :
			    action == KESTREL_ACTION_PRESERVE ? "preserve" :
			    "destroy");
	if (action == KESTREL_ACTION_RESTART && !dom->boot) {
		pr_info_ratelimited("domain %u (%s): no boot image to restart from; it shuts off\n",
				    dom->id, dom->name);
		action = KESTREL_ACTION_DESTROY;
	}
	if (dom->destroyed) {
		mutex_unlock(&dom->lock);
	} else if (action == KESTREL_ACTION_RESTART) {
		if (domain_reboot(dom)) {
			mutex_unlock(&dom->lock);
			domain_stop(dom, KESTREL_SHUTOFF_FAILED,
				    KESTREL_EVENT_STOPPED_FAILED, NULL);
		} else {
			mutex_unlock(&dom->lock);
		}
	} else if (action == KESTREL_ACTION_PRESERVE) {
		/* The vCPUs stay parked; a crash keeps its crashed state. */
		if (dom->guest_event != KESTREL_GUEST_CRASH) {
			set_state(dom, KESTREL_STATE_SHUTOFF, reason);
			kestrel_genl_notify(dom, KESTREL_EVENT_STOPPED, detail,
					    GFP_KERNEL);
		}
		mutex_unlock(&dom->lock);
	} else {
		mutex_unlock(&dom->lock);
		domain_stop(dom, reason, detail, NULL);
	}
	kestrel_domain_put(dom);	/* the work's */
}

/* Park the vCPUs and let the work item answer @ev.  State lock held. */
static void guest_event_queue(struct kestrel_domain *dom,
			      enum kestrel_guest_event ev)
{
	unsigned int i;

	dom->guest_event = ev;
	for (i = 0; i < dom->nr_vcpus; i++) {
		kestrel_vcpu_request(&dom->vcpus[i], KESTREL_REQ_PAUSE);
		kestrel_vcpu_kick(&dom->vcpus[i]);
	}
	kref_get(&dom->ref);
	queue_work(kestrel_wq, &dom->shutdown_work);
}

/*
 * The guest powered off (ACPI S5) or asked for a reset.  Called from a
 * vCPU thread with preemption disabled: park the vCPUs and let a work
 * item, which may sleep, do the rest.  Only the first request of a
 * running domain counts.
 */
void kestrel_domain_shutdown_from_guest(struct kestrel_domain *dom, bool reset)
{
	spin_lock(&dom->state_lock);
	if (dom->state == KESTREL_STATE_RUNNING) {
		dom->state = KESTREL_STATE_SHUTDOWN;
		dom->reason = 0;
		guest_event_queue(dom, reset ? KESTREL_GUEST_RESET :
					       KESTREL_GUEST_POWEROFF);
	}
	spin_unlock(&dom->state_lock);
}

/* Under dom->lock: the guest runs (or halts; or, with @paused, is paused). */
static bool domain_running(struct kestrel_domain *dom, bool paused,
			   struct netlink_ext_ack *extack)
{
	u32 state, reason;

	kestrel_domain_get_state(dom, &state, &reason);
	if (!dom->destroyed && (state == KESTREL_STATE_RUNNING ||
				state == KESTREL_STATE_BLOCKED ||
				(paused && state == KESTREL_STATE_PAUSED)))
		return true;
	NL_SET_ERR_MSG(extack, "Requested operation is not valid: domain is not running");
	return false;
}

int kestrel_domain_shutdown(struct kestrel_domain *dom, bool reboot,
			    struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&dom->lock);
	if (!domain_running(dom, false, extack)) {
		err = -EINVAL;
	} else {
		if (reboot)
			dom->reboot_on_poweroff = true;
		kestrel_platform_power_button(dom);
	}
	mutex_unlock(&dom->lock);
	return err;
}

int kestrel_domain_reset(struct kestrel_domain *dom,
			 struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&dom->lock);
	if (!domain_running(dom, true, extack)) {
		err = -EINVAL;
	} else if (!dom->boot) {
		NL_SET_ERR_MSG(extack, "the domain has no boot image to reset to (its first start named no boot regions)");
		err = -EOPNOTSUPP;
	} else {
		err = domain_reboot(dom);
		if (err == -ESTALE) {
			NL_SET_ERR_MSG(extack, "the kernel or initrd file changed since the domain started: no reset from it");
		} else if (err) {
			/* RAM is half written: the domain cannot go on. */
			mutex_unlock(&dom->lock);
			NL_SET_ERR_MSG(extack, "cannot read the kernel or initrd file again: the domain is shut off");
			domain_stop(dom, KESTREL_SHUTOFF_FAILED,
				    KESTREL_EVENT_STOPPED_FAILED, NULL);
			return err;
		}
	}
	mutex_unlock(&dom->lock);
	return err;
}

/* Register access: the vCPU must not be running guest code. */
static int regs_check(struct kestrel_domain *dom, u32 vcpu,
		      struct netlink_ext_ack *extack)
{
	u32 state, reason;

	if (vcpu >= dom->nr_vcpus) {
		NL_SET_ERR_MSG(extack, "no such vCPU");
		return -ENOENT;
	}
	kestrel_domain_get_state(dom, &state, &reason);
	if (dom->destroyed ||
	    !((state == KESTREL_STATE_SHUTOFF && !dom->started) ||
	      state == KESTREL_STATE_PAUSED ||
	      (state == KESTREL_STATE_CRASHED &&
	       READ_ONCE(dom->vcpus[vcpu].parked)))) {
		NL_SET_ERR_MSG(extack, "Requested operation is not valid: registers are accessible only before the first start, while paused or after a crash");
		return -EBUSY;
	}
	return 0;
}

int kestrel_domain_get_regs(struct kestrel_domain *dom, u32 vcpu,
			    struct kestrel_regs *regs,
			    struct kestrel_sregs *sregs,
			    struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&dom->lock);
	err = regs_check(dom, vcpu, extack);
	if (!err) {
		kestrel_arch->get_regs(&dom->vcpus[vcpu], regs);
		kestrel_arch->get_sregs(&dom->vcpus[vcpu], sregs);
	}
	mutex_unlock(&dom->lock);
	return err;
}

int kestrel_domain_set_regs(struct kestrel_domain *dom, u32 vcpu,
			    const struct kestrel_regs *regs,
			    const struct kestrel_sregs *sregs,
			    struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&dom->lock);
	err = regs_check(dom, vcpu, extack);
	if (!err && sregs) {
		err = kestrel_arch->set_sregs(&dom->vcpus[vcpu], sregs);
		if (err)
			NL_SET_ERR_MSG(extack, "the segment or control register state is invalid");
	}
	if (!err && regs)
		kestrel_arch->set_regs(&dom->vcpus[vcpu], regs);
	/* A vCPU given registers before the first start runs at start. */
	if (!err && !dom->started)
		dom->vcpus[vcpu].regs_set = true;
	mutex_unlock(&dom->lock);
	return err;
}

void kestrel_domain_get_stats(struct kestrel_domain *dom, u64 *exits,
			      u64 *vcpu_time)
{
	unsigned int i, r;

	memset(exits, 0, sizeof(u64) * KESTREL_EXIT_COUNT);
	for (i = 0; i < dom->nr_vcpus; i++) {
		for (r = 0; r < KESTREL_EXIT_COUNT; r++)
			exits[r] += READ_ONCE(dom->vcpus[i].exits[r]);
		vcpu_time[i] = READ_ONCE(dom->vcpus[i].cpu_time_ns);
	}
}

/* Module unload: the module reference each domain holds prevents it. */
