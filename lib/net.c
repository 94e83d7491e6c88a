// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tap devices and bridge ports for virtio-net interfaces: what the
 * controller opens before DOMAIN_CREATE and hands the module as fds.
 *
 * A tap is opened through /dev/net/tun with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR (and IFF_MULTI_QUEUE for more than one queue pair: one fd
 * per pair).  A tap created here is never made persistent, so it lives
 * exactly as long as some fd (the controller's, then the module's
 * references) holds it.  Messages follow libvirt's where it has them.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/if_arp.h>

#include "libkestrel.h"
#include "domxml.h"

#define TUN_PATH	"/dev/net/tun"
#define TAP_TEMPLATE	KESTREL_DOMXML_TAP_PREFIX "%d"
#define MAX_QUEUES	16
/* struct virtio_net_hdr_mrg_rxbuf: what the module's virtio-net uses. */
#define VNET_HDR_SIZE	12

static void close_fds(int *fds, unsigned int n)
{
	while (n--) {
		close(fds[n]);
		fds[n] = -1;
	}
}

static int check_args(const char *name, unsigned int queues, const int *fds)
{
	if (!fds)
		return kestrel_fail(EINVAL, "no room for the tap fds");
	if (queues < 1 || queues > MAX_QUEUES)
		return kestrel_fail(EINVAL, "a tap has 1-%d queue pairs, not %u",
				    MAX_QUEUES, queues);
	if (name && !kestrel_ifname_valid(name))
		return kestrel_fail(EINVAL, "invalid tap device name '%.32s': a Linux interface name has 1 to 15 characters, no '/', ':', '%%' or blank",
				    name);
	return 0;
}

/* A control socket for the interface ioctls. */
static int ctl_socket(void)
{
	int s = socket(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return kestrel_fail(errno, "Unable to open control socket: %s",
				    strerror(errno));
	return s;
}

static int set_up(const char *ifname)
{
	struct ifreq ifr;
	int s, err = 0;

	s = ctl_socket();
	if (s < 0)
		return s;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		err = kestrel_fail(errno, "Cannot get interface flags on '%s': %s",
				   ifname, strerror(errno));
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			err = kestrel_fail(errno, "Cannot set interface flags on '%s': %s",
					   ifname, strerror(errno));
	}
	close(s);
	return err;
}

/*
 * The common part: @queues fds on tap @name (a "ktap%d" template is
 * resolved by the kernel on the first one, the others use the result).
 */
static int tap_attach(const char *name, unsigned int queues, int *fds,
		      char *name_out)
{
	char ifname[IFNAMSIZ];
	unsigned int i;
	int sz = VNET_HDR_SIZE;
	int err = 0;

	snprintf(ifname, sizeof(ifname), "%s", name);
	for (i = 0; i < queues; i++) {
		struct ifreq ifr;

		fds[i] = open(TUN_PATH, O_RDWR | O_CLOEXEC);
		if (fds[i] < 0) {
			err = kestrel_fail(errno, "Unable to open %s, is tun module loaded?: %s",
					   TUN_PATH, strerror(errno));
			break;
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
				(queues > 1 ? IFF_MULTI_QUEUE : 0);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		if (ioctl(fds[i], TUNSETIFF, &ifr)) {
			int e = errno;

			close(fds[i]);
			if (e == EINVAL && strcmp(ifname, TAP_TEMPLATE))
				err = kestrel_fail(e, "Unable to create tap device %s: %s (an existing device of that name is not a tap, or not %s)",
						   ifname, strerror(e),
						   queues > 1 ? "multi-queue" :
						   "single-queue");
			else
				err = kestrel_fail(e, "Unable to create tap device %s: %s",
						   ifname, strerror(e));
			break;
		}
		snprintf(ifname, sizeof(ifname), "%s", ifr.ifr_name);
		if (ioctl(fds[i], TUNSETVNETHDRSZ, &sz)) {
			err = kestrel_fail(errno, "Unable to set the vnet header size of tap device %s: %s",
					   ifname, strerror(errno));
			close(fds[i]);
			break;
		}
	}
	if (err) {
		close_fds(fds, i);
		return err;
	}
	if (name_out)
		snprintf(name_out, IFNAMSIZ, "%s", ifname);
	return 0;
}

int kestrel_tap_open(const char *name, unsigned int queues, int *fds,
		     char *name_out)
{
	char ifname[IFNAMSIZ];
	int err;

	err = check_args(name, queues, fds) ?:
	      tap_attach(name ? name : TAP_TEMPLATE, queues, fds, ifname);
	if (err)
		return err;
	err = set_up(ifname);
	if (err) {
		close_fds(fds, queues);
		return err;
	}
	if (name_out)
		snprintf(name_out, IFNAMSIZ, "%s", ifname);
	return 0;
}

int kestrel_tap_open_existing(const char *name, unsigned int queues,
			      int *fds)
{
	int err = check_args(name, queues, fds);

	if (err)
		return err;
	if (!name)
		return kestrel_fail(EINVAL, "target dev must be supplied when managed='no'");
	if (!if_nametoindex(name))
		return kestrel_fail(ENODEV, "target managed='no' but specified dev '%s' doesn't exist",
				    name);
	return tap_attach(name, queues, fds, NULL);
}

int kestrel_netdev_set_mac(const char *ifname, const uint8_t mac[6])
{
	struct ifreq ifr;
	char buf[18];
	int s, err = 0;

	if (!ifname || !kestrel_ifname_valid(ifname))
		return kestrel_fail(EINVAL, "invalid interface name '%.32s'",
				    ifname ? ifname : "(null)");
	s = ctl_socket();
	if (s < 0)
		return s;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (ioctl(s, SIOCSIFHWADDR, &ifr))
		err = kestrel_fail(errno, "Cannot set interface MAC to %s on '%s': %s",
				   kestrel_mac_format(mac, buf), ifname,
				   strerror(errno));
	close(s);
	return err;
}

int kestrel_bridge_attach(const char *bridge, const char *ifname)
{
	char path[64];
	struct ifreq ifr;
	struct stat st;
	int s, err = 0, idx;

	if (!bridge || !kestrel_ifname_valid(bridge))
		return kestrel_fail(EINVAL, "invalid bridge name '%.32s'",
				    bridge ? bridge : "(null)");
	if (!ifname || !kestrel_ifname_valid(ifname))
		return kestrel_fail(EINVAL, "invalid interface name '%.32s'",
				    ifname ? ifname : "(null)");
	if (!if_nametoindex(bridge))
		return kestrel_fail(ENODEV, "Unable to add bridge %s port %s: bridge %s does not exist: %s",
				    bridge, ifname, bridge, strerror(ENODEV));
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", bridge);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return kestrel_fail(EINVAL, "Unable to add bridge %s port %s: '%s' is not a bridge",
				    bridge, ifname, bridge);
	idx = (int)if_nametoindex(ifname);
	if (!idx)
		return kestrel_fail(ENODEV, "Unable to add bridge %s port %s: %s",
				    bridge, ifname, strerror(ENODEV));
	s = ctl_socket();
	if (s < 0)
		return s;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = idx;
	if (ioctl(s, SIOCBRADDIF, &ifr))
		err = kestrel_fail(errno, "Unable to add bridge %s port %s: %s",
				   bridge, ifname, strerror(errno));
	close(s);
	return err;
}
