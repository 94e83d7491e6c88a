/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-console (virtio 1.2, 5.3): device ID 3, one port, no MULTIPORT.
 * Queue 0 ("receiveq") carries host input to the guest in device-writable
 * buffers, queue 1 ("transmitq") guest output in device-readable ones.
 * The configuration space is struct virtio_console_config: 80 columns by
 * 25 rows (VIRTIO_CONSOLE_F_SIZE), max_nr_ports 1 and the emergency write
 * register (VIRTIO_CONSOLE_F_EMERG_WRITE: a write of a character to it is
 * output).  INDIRECT_DESC and EVENT_IDX are offered.
 *
 * The model knows nothing of the domain's console stream (kmod/console.h):
 * it reaches it through the callbacks in its parameters, so that it can be
 * tested on its own.  The platform connects it like this:
 *
 *   static void vcon_output(void *con, const u8 *buf, size_t len)
 *   {
 *	kestrel_console_output(con, buf, len);
 *   }
 *   static int vcon_input_get(void *con)
 *   {
 *	return kestrel_console_input_get(con);
 *   }
 *   static void vcon_input_notify(void *vc)
 *   {
 *	kestrel_virtio_console_input_ready(vc);
 *   }
 *
 *   p.output = vcon_output; p.input_get = vcon_input_get; p.opaque = con;
 *   vc = kestrel_virtio_console_create(&p, "domain 3 console0");
 *   kestrel_console_set_input_notify(con, vcon_input_notify, vc);
 *   vdev = kestrel_virtio_console_vdev(vc);
 *   ... hand vdev to a transport, which fills vdev->mem, ->interrupt,
 *   ->config_changed, ->needs_reset and ->transport, and calls
 *   vdev->ops->start/reset/notify/config_* as virtio.h says ...
 *   ... remove the transport: no call into vdev->ops may follow ...
 *   kestrel_console_set_input_notify(con, NULL, NULL);
 *   kestrel_virtio_console_destroy(vc);
 *   ... and only then kestrel_console_destroy(con) ...
 *
 * The device is served by a work item on system_unbound_wq (see console.c).
 * Host input is taken from the console (input_get) only when the guest has
 * a receive buffer for it: until then it waits in the console's queue.
 */
#ifndef KESTREL_VIRTIO_CONSOLE_H
#define KESTREL_VIRTIO_CONSOLE_H

#include <linux/types.h>

struct kestrel_virtio_dev;
struct kestrel_virtio_console;

/* The console size the configuration space reports. */
#define KESTREL_VIRTIO_CONSOLE_COLS	80
#define KESTREL_VIRTIO_CONSOLE_ROWS	25

struct kestrel_virtio_console_params {
	/*
	 * Guest output: @len (> 0) bytes at @buf.  Called from the worker
	 * and, for the emergency write register, from a vCPU thread with
	 * preemption disabled, possibly at the same time: never sleeps,
	 * safe against itself.
	 */
	void (*output)(void *opaque, const u8 *buf, size_t len);
	/*
	 * The next byte of host input (0 .. 255), or -1 when there is none.
	 * Called from the worker only; never sleeps.
	 */
	int (*input_get)(void *opaque);
	void *opaque;
};

/*
 * A new device (not started).  @params is copied; output and input_get are
 * required.  @name prefixes its log lines (copied).  ERR_PTR(-EINVAL) or
 * ERR_PTR(-ENOMEM).  May sleep.
 */
struct kestrel_virtio_console *
kestrel_virtio_console_create(const struct kestrel_virtio_console_params *params,
			      const char *name);
/* The device as a transport sees it. */
struct kestrel_virtio_dev *
kestrel_virtio_console_vdev(struct kestrel_virtio_console *vc);
/*
 * Host input arrived (or may have): the worker moves what the guest has
 * buffers for.  Process context, at any time between create and destroy,
 * before start and after reset too (it is then remembered; start looks
 * for input anyway).  Does not sleep; does not call input_get itself.
 */
void kestrel_virtio_console_input_ready(struct kestrel_virtio_console *vc);
/*
 * Stop the worker (waiting for it) and free the device; NULL is ignored.
 * The transport must already be gone and no input_ready call may be
 * running or follow (unregister the console's input notifier first).
 * May sleep.
 */
void kestrel_virtio_console_destroy(struct kestrel_virtio_console *vc);

#endif /* KESTREL_VIRTIO_CONSOLE_H */
