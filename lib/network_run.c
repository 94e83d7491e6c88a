// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Running networks (network.h): net-start and net-destroy.
 *
 * net-start makes, in this order, undoing it all on a failure:
 *
 *   1. the bridge (RTM_NEWLINK kind "bridge" with its MAC, STP state and
 *      forward delay), its address (RTM_NEWADDR), up;
 *   2. for NAT, net.ipv4.ip_forward = 1 (left on afterwards, as libvirt);
 *   3. the nftables table "ip kestrel_NAME", loaded with `nft -f -` in one
 *      transaction: masquerading of the subnet to the outside (NAT) and
 *      libvirt's forward rules (replies in, the subnet out, bridge to
 *      bridge, everything else to or from the bridge rejected; isolated
 *      networks only the last two);
 *   4. dnsmasq, when the network has DHCP or DNS and dnsmasq is installed,
 *      bound to the bridge's address alone;
 *   5. the state files NAME.xml and NAME.state in the state directory.
 *
 * net-destroy stops exactly what NAME.state records: the dnsmasq whose pid
 * it names (checked against /proc/PID/cmdline), the table, and the bridge
 * if it still has the recorded ifindex.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "network_priv.h"
#include "domxml.h"

/* ---- rtnetlink ---- */

static int rtnl_talk(struct nlmsghdr *nlh, const char *what)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int seq, portid;
	ssize_t n;
	int err = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return kestrel_fail(errno, "%s: cannot open a netlink socket: %s",
				    what, strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = kestrel_fail(errno, "%s: cannot bind a netlink socket: %s",
				   what, strerror(errno));
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = kestrel_fail(errno, "%s: %s", what, strerror(errno));
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	while (n > 0) {
		int r = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);

		if (r < 0) {
			err = kestrel_fail(errno, "%s: %s", what, strerror(errno));
			goto out;
		}
		if (r == MNL_CB_STOP)
			break;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	}
	if (n < 0)
		err = kestrel_fail(errno, "%s: %s", what, strerror(errno));
out:
	mnl_socket_close(nl);
	return err;
}

static int bridge_create(const struct kestrel_network *x)
{
	char buf[1024], what[64];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info, *data;

	snprintf(what, sizeof(what), "Unable to create bridge %s", x->bridge);
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, x->bridge);
	if (x->has_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, x->mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The delay first: the kernel checks it against STP's limits. */
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, x->delay * 100);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, x->stp);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return rtnl_talk(nlh, what);
}

/* RTM_NEWLINK (bringing it up) or RTM_DELLINK of link @ifindex. */
static int link_change(uint16_t type, int ifindex, const char *what)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (type == RTM_NEWLINK) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	return rtnl_talk(nlh, what);
}

static int link_up(const char *name, int ifindex)
{
	char what[64];

	snprintf(what, sizeof(what), "Cannot bring up %s", name);
	return link_change(RTM_NEWLINK, ifindex, what);
}

static int link_delete(const char *name, int ifindex)
{
	char what[64];

	snprintf(what, sizeof(what), "Unable to delete bridge %s", name);
	return link_change(RTM_DELLINK, ifindex, what);
}

static int addr_add(const struct kestrel_network *x, int ifindex)
{
	uint32_t a = htonl(x->address);
	uint32_t bc = htonl(x->address | ~kestrel_net_mask(x->prefix));
	char buf[256], what[96], s[16];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	snprintf(what, sizeof(what), "Cannot set IP address %s/%u on %s",
		 kestrel_net_addr_format(x->address, s), x->prefix, x->bridge);
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)x->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, a);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
	mnl_attr_put_u32(nlh, IFA_BROADCAST, bc);
	return rtnl_talk(nlh, what);
}

/* ---- checks before anything is made ---- */

static bool overlaps(uint32_t a, unsigned int pa, uint32_t b, unsigned int pb)
{
	uint32_t m = kestrel_net_mask(pa < pb ? pa : pb);

	return (a & m) == (b & m);
}

/* libvirt's check: no host address and no route in the subnet. */
static int check_subnet(const struct kestrel_network *x)
{
	struct ifaddrs *ifs, *i;
	char line[256];
	FILE *f;
	int err = 0;

	if (getifaddrs(&ifs) < 0)
		return kestrel_fail(errno, "cannot list the host's addresses: %s",
				    strerror(errno));
	for (i = ifs; i && !err; i = i->ifa_next) {
		uint32_t a, m;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !i->ifa_netmask)
			continue;
		a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		if (overlaps(a, (unsigned int)__builtin_popcount(m), x->address,
			     x->prefix))
			err = kestrel_fail(EADDRINUSE, "Network is already in use by interface %s",
					   i->ifa_name);
	}
	freeifaddrs(ifs);
	if (err)
		return err;
	f = fopen("/proc/net/route", "re");
	if (!f)
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		char ifname[IFNAMSIZ + 1];
		unsigned int dest, gw, flags, refcnt, use, metric, mask;

		if (sscanf(line, "%16s %x %x %x %u %u %u %x", ifname, &dest, &gw,
			   &flags, &refcnt, &use, &metric, &mask) != 8 || !mask)
			continue;
		if (overlaps(ntohl(dest), (unsigned int)__builtin_popcount(mask),
			     x->address, x->prefix))
			err = kestrel_fail(EADDRINUSE, "Network is already in use by interface %s",
					   ifname);
	}
	fclose(f);
	return err;
}

/* ---- programs ---- */

/* @env, else @name in PATH and the sbin directories; NULL if none. */
static const char *find_prog(const char *env, const char *name, char *buf,
			     size_t len)
{
	const char *over = getenv(env), *path = getenv("PATH");
	char dirs[4096];
	char *save, *d;

	if (over)
		return over[0] && access(over, X_OK) == 0 ? over : NULL;
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin",
		 path ? path : "");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;
		snprintf(buf, len, "%s/%s", d, name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/*
 * Run @argv with @input on its stdin (or /dev/null) and wait for it to
 * exit; stdout goes to /dev/null, the start of stderr into @errbuf
 * (without its trailing newline).  Returns the exit status, or -errno.
 * A daemon (dnsmasq) may keep stderr open: it is read once the process
 * itself has exited, without waiting for the end of the stream.
 */
static int run_prog(char *const argv[], const char *input, char *errbuf,
		    size_t errlen)
{
	int in[2] = { -1, -1 }, errp[2], status, nul;
	size_t got = 0;
	pid_t pid;
	ssize_t n;

	errbuf[0] = '\0';
	if (pipe2(errp, O_CLOEXEC) < 0)
		return -errno;
	if (input && pipe2(in, O_CLOEXEC) < 0) {
		close(errp[0]);
		close(errp[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(errp[0]);
		close(errp[1]);
		if (input) {
			close(in[0]);
			close(in[1]);
		}
		return -e;
	}
	if (!pid) {
		nul = open("/dev/null", O_RDWR);
		dup2(input ? in[0] : nul, 0);
		dup2(nul, 1);
		dup2(errp[1], 2);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(errp[1]);
	if (input) {
		size_t len = strlen(input), off = 0;
		/* A program that exits early must not kill the controller. */
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);

		close(in[0]);
		while (off < len) {
			n = write(in[1], input + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		close(in[1]);
		signal(SIGPIPE, old);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	while (got + 1 < errlen &&
	       (n = read(errp[0], errbuf + got, errlen - got - 1)) > 0)
		got += (size_t)n;
	close(errp[0]);
	errbuf[got] = '\0';
	while (got && (errbuf[got - 1] == '\n' || errbuf[got - 1] == ' '))
		errbuf[--got] = '\0';
	for (n = 0; (size_t)n < got; n++)
		if (errbuf[n] == '\n')
			errbuf[n] = ' ';
	if (status < 0)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- nftables ---- */

/* kestrel_NAME, the name made an nft identifier ([A-Za-z0-9_]). */
static void table_name(const char *name, char *buf, size_t len)
{
	uint32_t h = 2166136261u;
	bool changed = false;
	size_t i, o;

	o = (size_t)snprintf(buf, len, "kestrel_");
	for (i = 0; name[i] && o + 1 < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		h = (h ^ (unsigned char)c) * 16777619u;
		changed |= !ok;
		buf[o++] = ok ? c : '_';
	}
	buf[o] = '\0';
	/* "a-b" and "a.b" must not share a table. */
	if (changed && o + 10 < len)
		snprintf(buf + o, len - o, "_%08x", h);
}

static char *nft_rules(const struct kestrel_network *x, const char *table)
{
	char a[16], net[32];
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	snprintf(net, sizeof(net), "%s/%u",
		 kestrel_net_addr_format(x->address & kestrel_net_mask(x->prefix), a),
		 x->prefix);
	/* Create-then-delete replaces a table left behind, atomically. */
	fprintf(f, "table ip %s\ndelete table ip %s\ntable ip %s {\n",
		table, table, table);
	if (x->forward == KESTREL_NET_NAT)
		fprintf(f,
			"\tchain postrouting {\n"
			"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
			"\t\tip saddr %1$s ip daddr 224.0.0.0/24 return\n"
			"\t\tip saddr %1$s ip daddr 255.255.255.255 return\n"
			"\t\tip saddr %1$s ip daddr != %1$s meta l4proto tcp masquerade to :1024-65535\n"
			"\t\tip saddr %1$s ip daddr != %1$s meta l4proto udp masquerade to :1024-65535\n"
			"\t\tip saddr %1$s ip daddr != %1$s masquerade\n"
			"\t}\n", net);
	fprintf(f,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tiifname \"%1$s\" oifname \"%1$s\" accept\n", x->bridge);
	if (x->forward == KESTREL_NET_NAT)
		fprintf(f,
			"\t\toifname \"%1$s\" ip daddr %2$s ct state related,established accept\n"
			"\t\tiifname \"%1$s\" ip saddr %2$s accept\n",
			x->bridge, net);
	fprintf(f,
		"\t\tiifname \"%1$s\" reject\n"
		"\t\toifname \"%1$s\" reject\n"
		"\t}\n}\n", x->bridge);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int nft_load(const struct kestrel_network *x, const char *table)
{
	char path[KESTREL_NET_PATH_MAX], err[512];
	const char *nft = find_prog("KESTREL_NFT", "nft", path, sizeof(path));
	char *argv[] = { NULL, "-f", "-", NULL };
	char *rules;
	int rc;

	if (!nft)
		return kestrel_fail(ENOENT, "cannot start network '%s': nft not found (install nftables)",
				    x->name);
	rules = nft_rules(x, table);
	if (!rules)
		return kestrel_fail(ENOMEM, "out of memory");
	argv[0] = (char *)nft;
	rc = run_prog(argv, rules, err, sizeof(err));
	free(rules);
	if (rc < 0)
		return kestrel_fail(-rc, "cannot run %s: %s", nft, strerror(-rc));
	if (rc)
		return kestrel_fail(EIO, "cannot add the firewall rules of network '%s' (table ip %s): nft: %s",
				    x->name, table, err[0] ? err : "failed");
	return 0;
}

static int nft_delete(const char *table)
{
	char path[KESTREL_NET_PATH_MAX], err[512], tbl[KESTREL_NET_TABLE_MAX];
	const char *nft = find_prog("KESTREL_NFT", "nft", path, sizeof(path));
	char *argv[] = { NULL, "delete", "table", "ip", tbl, NULL };
	int rc;

	if (!nft)
		return kestrel_fail(ENOENT, "cannot delete table ip %s: nft not found (install nftables)",
				    table);
	snprintf(tbl, sizeof(tbl), "%s", table);
	argv[0] = (char *)nft;
	rc = run_prog(argv, NULL, err, sizeof(err));
	if (rc < 0)
		return kestrel_fail(-rc, "cannot run %s: %s", nft, strerror(-rc));
	/* Gone already: nothing to do. */
	if (rc && strstr(err, "No such file or directory"))
		return 0;
	if (rc)
		return kestrel_fail(EIO, "cannot delete table ip %s: nft: %s",
				    table, err[0] ? err : "failed");
	return 0;
}

static int ip_forward_on(void)
{
	const char *path = "/proc/sys/net/ipv4/ip_forward";
	char c = 0;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kestrel_fail(errno, "cannot enable IPv4 forwarding: %s: %s",
				    path, strerror(errno));
	if (read(fd, &c, 1) == 1 && c == '1') {
		close(fd);
		return 0;
	}
	if (pwrite(fd, "1\n", 2, 0) != 2)
		err = kestrel_fail(errno, "cannot enable IPv4 forwarding: %s: %s",
				   path, strerror(errno));
	close(fd);
	return err;
}

/* ---- dnsmasq ---- */

static bool wants_dnsmasq(const struct kestrel_network *x)
{
	return x->has_ip &&
	       ((x->has_dhcp && (x->nr_ranges || x->nr_hosts)) ||
		x->dns != KESTREL_NET_DNS_NO);
}

/* A malloc'd argv entry; NULL on failure (the array ends at the first). */
static char *argf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *argf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

#define DNSMASQ_ARGS_MAX (24 + KESTREL_NET_RANGES_MAX + KESTREL_NET_HOSTS_MAX)

static void free_args(char **argv)
{
	for (; *argv; argv++)
		free(*argv);
}

/* The command line (see docs/controller.md); @argv has DNSMASQ_ARGS_MAX. */
static int dnsmasq_args(const struct kestrel_network *x, const char *prog,
			const char *run, char **argv)
{
	char a[16], b[16], m[16], mac[18];
	unsigned int i, n = 0;
	uint32_t mask = kestrel_net_mask(x->prefix);

	memset(argv, 0, DNSMASQ_ARGS_MAX * sizeof(*argv));
	kestrel_net_addr_format(mask, m);
#define ADD(...) do { if (!(argv[n++] = argf(__VA_ARGS__))) goto nomem; } while (0)
	ADD("%s", prog);
	ADD("--conf-file=");
	ADD("--pid-file=%s/%s.pid", run, x->name);
	ADD("--strict-order");
	ADD("--bind-interfaces");
	ADD("--interface=%s", x->bridge);
	ADD("--except-interface=lo");
	ADD("--listen-address=%s", kestrel_net_addr_format(x->address, a));
	if (x->dns == KESTREL_NET_DNS_NO)
		ADD("--port=0");
	if (x->has_dhcp && (x->nr_ranges || x->nr_hosts)) {
		for (i = 0; i < x->nr_ranges; i++)
			ADD("--dhcp-range=%s,%s,%s",
			    kestrel_net_addr_format(x->ranges[i].start, a),
			    kestrel_net_addr_format(x->ranges[i].end, b), m);
		if (!x->nr_ranges)
			ADD("--dhcp-range=%s,static,%s",
			    kestrel_net_addr_format(x->address & mask, a), m);
		ADD("--dhcp-no-override");
		ADD("--dhcp-authoritative");
		ADD("--dhcp-lease-max=%" PRIu64,
		    kestrel_network_dhcp_size(x) + x->nr_hosts);
		ADD("--dhcp-leasefile=%s/%s.leases", run, x->name);
		for (i = 0; i < x->nr_hosts; i++) {
			const struct kestrel_net_host *h = &x->hosts[i];

			kestrel_net_addr_format(h->ip, a);
			if (h->has_mac && h->name[0])
				ADD("--dhcp-host=%s,%s,%s",
				    kestrel_mac_format(h->mac, mac), a, h->name);
			else if (h->has_mac)
				ADD("--dhcp-host=%s,%s",
				    kestrel_mac_format(h->mac, mac), a);
			else
				ADD("--dhcp-host=%s,%s", h->name, a);
		}
		/* An isolated network has no way out: no default route. */
		if (x->forward == KESTREL_NET_ISOLATED)
			ADD("--dhcp-option=3");
	}
#undef ADD
	return 0;
nomem:
	free_args(argv);
	return kestrel_fail(ENOMEM, "out of memory");
}

/* Is @pid the dnsmasq that writes @pidfile? */
static bool is_our_dnsmasq(pid_t pid, const char *pidfile)
{
	char path[64], buf[8192], want[KESTREL_NET_PATH_MAX + 16];
	size_t len = 0, i;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	snprintf(want, sizeof(want), "--pid-file=%s", pidfile);
	for (i = 0; i < len; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, want))
			return true;
	return false;
}

static pid_t read_pidfile(const char *path)
{
	char *text;
	long v;

	if (kestrel_net_read(path, &text))
		return 0;
	v = strtol(text, NULL, 10);
	free(text);
	return v > 0 ? (pid_t)v : 0;
}

static void dnsmasq_stop(const char *run, const char *name, pid_t pid)
{
	char pidfile[KESTREL_NET_PATH_MAX];
	int i;

	if (kestrel_file_path(pidfile, sizeof(pidfile), run, name, ".pid"))
		return;
	if (pid > 0 && is_our_dnsmasq(pid, pidfile)) {
		kill(pid, SIGTERM);
		for (i = 0; i < 100 && kill(pid, 0) == 0 &&
		     is_our_dnsmasq(pid, pidfile); i++)
			usleep(50000);
		if (kill(pid, 0) == 0 && is_our_dnsmasq(pid, pidfile))
			kill(pid, SIGKILL);
	}
	unlink(pidfile);
}

static int dnsmasq_start(const struct kestrel_network *x, const char *run,
			 pid_t *pidp, char *warning, size_t wlen)
{
	char path[KESTREL_NET_PATH_MAX], pidfile[KESTREL_NET_PATH_MAX];
	char *argv[DNSMASQ_ARGS_MAX], err[512];
	const char *prog;
	int rc;

	*pidp = 0;
	if (!wants_dnsmasq(x))
		return 0;
	prog = find_prog("KESTREL_DNSMASQ", "dnsmasq", path, sizeof(path));
	if (!prog) {
		if (warning)
			snprintf(warning, wlen, "dnsmasq is not installed: network '%s' has no DHCP and no DNS (install dnsmasq-base)",
				 x->name);
		return 0;
	}
	rc = kestrel_file_path(pidfile, sizeof(pidfile), run, x->name, ".pid") ?:
	     dnsmasq_args(x, prog, run, argv);
	if (rc)
		return rc;
	unlink(pidfile);
	rc = run_prog(argv, NULL, err, sizeof(err));
	free_args(argv);
	if (rc < 0)
		return kestrel_fail(-rc, "cannot run %s: %s", prog, strerror(-rc));
	if (rc)
		return kestrel_fail(EIO, "dnsmasq failed to start for network '%s' (exit status %d): %s",
				    x->name, rc, err[0] ? err : "no message");
	*pidp = read_pidfile(pidfile);
	if (!*pidp)
		return kestrel_fail(EIO, "dnsmasq started for network '%s' but wrote no pid file %s",
				    x->name, pidfile);
	return 0;
}

/* ---- state ---- */

static int state_write(const char *run, const struct kestrel_network *x,
		       const struct kestrel_net_state *st)
{
	char file[KESTREL_NAME_MAX + 8], *xml, text[512];
	int err;

	xml = kestrel_network_format(x);
	if (!xml)
		return kestrel_fail(ENOMEM, "out of memory");
	snprintf(file, sizeof(file), "%s.xml", x->name);
	err = kestrel_net_write(run, file, xml);
	free(xml);
	if (err)
		return err;
	snprintf(text, sizeof(text),
		 "# kestrel network state (kestrel net-destroy undoes it)\n"
		 "bridge=%s\nifindex=%d\ntable=%s\ndnsmasq=%d\n",
		 st->bridge, st->ifindex, st->table, (int)st->dnsmasq);
	snprintf(file, sizeof(file), "%s.state", x->name);
	return kestrel_net_write(run, file, text);
}

/* NAME.state; -ENOENT if there is none (no message). */
static int state_read(const char *run, const char *name,
		      struct kestrel_net_state *st)
{
	char path[KESTREL_NET_PATH_MAX], *text, *line, *save;
	int err;

	memset(st, 0, sizeof(*st));
	err = kestrel_file_path(path, sizeof(path), run, name, ".state");
	if (err)
		return err;
	err = kestrel_net_read(path, &text);
	if (err == -ENOENT)
		return err;
	if (err)
		return kestrel_fail(-err, "cannot read %s: %s", path, strerror(-err));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "bridge=", 7))
			snprintf(st->bridge, sizeof(st->bridge), "%s", line + 7);
		else if (!strncmp(line, "ifindex=", 8))
			st->ifindex = atoi(line + 8);
		else if (!strncmp(line, "table=", 6))
			snprintf(st->table, sizeof(st->table), "%s", line + 6);
		else if (!strncmp(line, "dnsmasq=", 8))
			st->dnsmasq = (pid_t)atoi(line + 8);
	}
	free(text);
	return 0;
}

static void state_remove(const char *run, const char *name)
{
	static const char *const suffixes[] = { ".state", ".xml" };
	char path[KESTREL_NET_PATH_MAX];
	size_t i;

	for (i = 0; i < 2; i++)
		if (!kestrel_file_path(path, sizeof(path), run, name, suffixes[i]))
			unlink(path);
}

/* The state's bridge is still there, the one that was made. */
static bool state_live(const struct kestrel_net_state *st)
{
	return st->bridge[0] && st->ifindex > 0 &&
	       (int)if_nametoindex(st->bridge) == st->ifindex;
}

int kestrel_network_active(const char *run, const char *name,
			   struct kestrel_network *x, struct kestrel_net_state *stp)
{
	char path[KESTREL_NET_PATH_MAX];
	struct kestrel_net_state st;
	int err;

	if (x)
		kestrel_network_init(x);
	if (!kestrel_file_name_valid(name))
		return -ENOENT;
	err = state_read(run, name, &st);
	if (err)
		return err;
	if (!state_live(&st))
		return -ENOENT;
	if (stp)
		*stp = st;
	if (!x)
		return 0;
	err = kestrel_file_path(path, sizeof(path), run, name, ".xml") ?:
	      kestrel_network_parse_file(path, x);
	return err;
}

/* Undo what @st records; the first failure is returned, the rest done. */
static int teardown(const char *run, const char *name,
		    const struct kestrel_net_state *st)
{
	char saved[512] = "";
	int err = 0, e;

	dnsmasq_stop(run, name, st->dnsmasq);
	if (st->table[0]) {
		e = nft_delete(st->table);
		if (e && !err) {
			err = e;
			snprintf(saved, sizeof(saved), "%s", kestrel_last_error());
		}
	}
	if (state_live(st)) {
		e = link_delete(st->bridge, st->ifindex);
		if (e && !err) {
			err = e;
			snprintf(saved, sizeof(saved), "%s", kestrel_last_error());
		}
	}
	if (err)
		kestrel_fail(-err, "%s", saved);
	return err;
}

int kestrel_network_start(const char *run, const struct kestrel_network *x,
			  char *warning, size_t wlen)
{
	struct kestrel_net_state st, old;
	char saved[1024];
	int err;

	if (warning && wlen)
		warning[0] = '\0';
	if (!x->bridge[0])
		return kestrel_fail(EINVAL, "network '%s' has no bridge name (define it first)",
				    x->name);
	if (kestrel_network_active(run, x->name, NULL, NULL) == 0)
		return kestrel_fail(EBUSY, "Requested operation is not valid: network is already active");
	/* A state left behind (the bridge is gone): clean what remains. */
	if (state_read(run, x->name, &old) == 0) {
		teardown(run, x->name, &old);
		state_remove(run, x->name);
	}
	kestrel_clear_error();
	if (if_nametoindex(x->bridge))
		return kestrel_fail(EEXIST, "Unable to create bridge %s: an interface of that name already exists (not made by network '%s')",
				    x->bridge, x->name);
	err = (x->has_ip ? check_subnet(x) : 0) ?: kestrel_mkdirs(run);
	if (err)
		return err;

	memset(&st, 0, sizeof(st));
	snprintf(st.bridge, sizeof(st.bridge), "%s", x->bridge);
	err = bridge_create(x);
	if (err)
		return err;
	st.ifindex = (int)if_nametoindex(x->bridge);
	if (!st.ifindex) {
		err = kestrel_fail(ENODEV, "bridge %s vanished as it was created",
				   x->bridge);
		goto fail;
	}
	err = (x->has_ip ? addr_add(x, st.ifindex) : 0) ?:
	      link_up(x->bridge, st.ifindex) ?:
	      (x->forward == KESTREL_NET_NAT ? ip_forward_on() : 0);
	if (err)
		goto fail;
	table_name(x->name, st.table, sizeof(st.table));
	err = nft_load(x, st.table);
	if (err) {
		st.table[0] = '\0';
		goto fail;
	}
	err = dnsmasq_start(x, run, &st.dnsmasq, warning, wlen) ?:
	      state_write(run, x, &st);
	if (err)
		goto fail;
	return 0;
fail:
	snprintf(saved, sizeof(saved), "%s", kestrel_last_error());
	teardown(run, x->name, &st);
	state_remove(run, x->name);
	return kestrel_fail(-err, "%s", saved);
}

int kestrel_network_stop(const char *run, const char *name)
{
	struct kestrel_net_state st;
	int err;

	if (kestrel_network_active(run, name, NULL, &st))
		return kestrel_fail(EINVAL, "Requested operation is not valid: network '%s' is not active",
				    name);
	err = teardown(run, name, &st);
	state_remove(run, name);
	return err;
}

int kestrel_network_bridge(const char *name, char bridge[KESTREL_NET_IFNAME_MAX])
{
	char dir[KESTREL_NET_PATH_MAX], run[KESTREL_NET_PATH_MAX];
	struct kestrel_net_state st;
	struct kestrel_network x;
	int err;

	err = kestrel_network_dir(dir, sizeof(dir)) ?:
	      kestrel_network_run_dir(run, sizeof(run));
	if (err)
		return err;
	if (kestrel_network_active(run, name, NULL, &st) == 0) {
		snprintf(bridge, KESTREL_NET_IFNAME_MAX, "%s", st.bridge);
		return 0;
	}
	err = kestrel_network_load(dir, name, &x);
	if (err == -ENOENT)
		return err;
	if (!err)
		kestrel_network_free(&x);
	return kestrel_fail(EINVAL, "Requested operation is not valid: network '%s' is not active",
			    name);
}

/* ---- leases ---- */

static int cmp_lease(const void *a, const void *b)
{
	const struct kestrel_net_lease *x = a, *y = b;

	if (x->expiry != y->expiry)
		return x->expiry < y->expiry ? -1 : 1;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

int kestrel_network_leases_parse(const char *text, int64_t now,
				 struct kestrel_net_lease **listp, size_t *np)
{
	struct kestrel_net_lease *list = NULL, *grown;
	size_t n = 0, cap = 0;
	const char *p = text;

	*listp = NULL;
	*np = 0;
	while (p && *p) {
		const char *end = strchr(p, '\n');
		char line[512], exp[32], mac[64], ip[64], host[256], cid[256];
		struct kestrel_net_lease l = { 0 };
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int fields;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p = end ? end + 1 : NULL;
		cid[0] = '\0';
		fields = sscanf(line, "%31s %63s %63s %255s %255s", exp, mac, ip,
				host, cid);
		if (fields < 4 || kestrel_mac_parse(mac, l.mac) ||
		    !strcmp(exp, "duid"))
			continue;
		{
			struct in_addr a;

			if (inet_pton(AF_INET, ip, &a) != 1)
				continue;
			l.ip = ntohl(a.s_addr);
		}
		l.expiry = strtoll(exp, NULL, 10);
		if (l.expiry && l.expiry < now)
			continue;
		if (strcmp(host, "*"))
			snprintf(l.hostname, sizeof(l.hostname), "%.63s", host);
		if (fields == 5 && strcmp(cid, "*"))
			snprintf(l.clientid, sizeof(l.clientid), "%.127s", cid);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = reallocarray(list, cap, sizeof(*list));
			if (!grown) {
				free(list);
				return kestrel_fail(ENOMEM, "out of memory");
			}
			list = grown;
		}
		list[n++] = l;
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_lease);
	*listp = list;
	*np = n;
	return 0;
}

int kestrel_network_leases(const char *run, const char *name,
			   struct kestrel_net_lease **list, size_t *n)
{
	char path[KESTREL_NET_PATH_MAX], *text;
	int err;

	*list = NULL;
	*n = 0;
	err = kestrel_file_path(path, sizeof(path), run, name, ".leases");
	if (err)
		return err;
	err = kestrel_net_read(path, &text);
	if (err == -ENOENT)
		return 0;
	if (err)
		return kestrel_fail(-err, "cannot read %s: %s", path, strerror(-err));
	err = kestrel_network_leases_parse(text, (int64_t)time(NULL), list, n);
	free(text);
	return err;
}
