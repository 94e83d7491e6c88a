/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Managed networks: libvirt's <network> for <interface type='network'>.
 *
 * A network is a Linux bridge with an IPv4 address, NAT rules (or none,
 * isolated) in an nftables table of its own, and dnsmasq serving DHCP and
 * DNS on the bridge alone.  There is no daemon: the controller starts the
 * pieces and records what it started in the network's state files, and
 * stops exactly those.
 *
 * The XML is a strict subset of libvirt's network XML (network_xml.c):
 *
 *   <network>
 *     <name>default</name>
 *     <uuid>...</uuid>                              optional, generated
 *     <forward mode='nat'/>                         absent: isolated
 *     <bridge name='kestrel0' stp='on' delay='0'/>  optional, generated
 *     <mac address='52:54:00:..'/>                  optional, generated
 *     <dns enable='yes|no'/>                        optional
 *     <ip address='192.168.122.1' netmask='255.255.255.0'|prefix='24'>
 *       <dhcp>
 *         <range start='...' end='...'/>            any number
 *         <host mac='...' name='...' ip='...'/>     any number
 *       </dhcp>
 *     </ip>
 *   </network>
 *
 * Anything else (IPv6, other forward modes, <nat>, <dns> children,
 * <route>, <portgroup>, ...) is refused, naming it and its line.
 *
 * Files (network_store.c, network_run.c):
 *
 *   definitions   $KESTREL_CONFIG_DIR/networks when set (tests),
 *                 /etc/kestrel/networks for root, otherwise
 *                 $XDG_CONFIG_HOME/kestrel/networks (~/.config/...): NAME.xml
 *   state         $KESTREL_RUN_DIR/networks when set, /run/kestrel/networks
 *                 for root, otherwise $XDG_RUNTIME_DIR/kestrel/networks:
 *                 NAME.xml (the XML the network runs with), NAME.state
 *                 (what was started: bridge ifindex, nft table, dnsmasq
 *                 pid), NAME.pid (dnsmasq's pid file), NAME.leases
 *                 (dnsmasq's lease file)
 *
 * Errors follow libkestrel's convention: a negative errno and a message
 * for kestrel_last_error(), in libvirt's words where it has them.
 */
#ifndef KESTREL_NETWORK_H
#define KESTREL_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libkestrel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KESTREL_NET_PATH_MAX	4096
/* Interface names: 1..15 bytes and the NUL. */
#define KESTREL_NET_IFNAME_MAX	16
/* Generated bridge names: kestrel0, kestrel1, ... (libvirt's virbrN). */
#define KESTREL_NET_BRIDGE_PREFIX "kestrel"
#define KESTREL_NET_RANGES_MAX	16
#define KESTREL_NET_HOSTS_MAX	256
/* A <host name>: 1..63 bytes of [A-Za-z0-9.-_]. */
#define KESTREL_NET_HOSTNAME_MAX 64
/* nftables table names: "kestrel_" and the network's name. */
#define KESTREL_NET_TABLE_MAX	96

enum kestrel_net_forward {
	KESTREL_NET_ISOLATED,	/* no <forward> */
	KESTREL_NET_NAT,	/* <forward mode='nat'/> (or no mode) */
};

/* <dns enable>: absent means yes. */
enum kestrel_net_dns {
	KESTREL_NET_DNS_DEFAULT,
	KESTREL_NET_DNS_YES,
	KESTREL_NET_DNS_NO,
};

/* Addresses are IPv4 in host byte order. */
struct kestrel_net_range {
	uint32_t start, end;
};

struct kestrel_net_host {
	uint8_t mac[6];
	bool has_mac;
	char name[KESTREL_NET_HOSTNAME_MAX];	/* "" none */
	uint32_t ip;
};

struct kestrel_network {
	char name[KESTREL_NAME_MAX];	/* 1..63 bytes, no '/', no leading '-' or '.' */
	uint8_t uuid[KESTREL_UUID_LEN];
	bool uuid_generated;		/* the XML had none */
	enum kestrel_net_forward forward;
	/* <bridge name>: "" when the XML names none (define generates one). */
	char bridge[KESTREL_NET_IFNAME_MAX];
	bool stp;			/* default on, as libvirt */
	unsigned int delay;		/* forward delay, seconds; default 0 */
	uint8_t mac[6];			/* the bridge's address */
	bool has_mac;
	enum kestrel_net_dns dns;
	bool has_ip;
	uint32_t address;		/* the bridge's (host's) address */
	unsigned int prefix;		/* 1..30 */
	bool netmask;			/* written as netmask= (else prefix=) */
	bool has_dhcp;
	unsigned int nr_ranges;
	struct kestrel_net_range ranges[KESTREL_NET_RANGES_MAX];
	unsigned int nr_hosts;
	struct kestrel_net_host *hosts;	/* malloc'd */
};

/* ---- the XML (network_xml.c) ---- */

void kestrel_network_init(struct kestrel_network *n);
void kestrel_network_free(struct kestrel_network *n);
/* Parse and validate; on failure @n is empty and the reason recorded. */
int kestrel_network_parse(const char *xml, size_t len, struct kestrel_network *n);
int kestrel_network_parse_file(const char *path, struct kestrel_network *n);
/* The canonical XML (net-dumpxml's), malloc'd; NULL on failure. */
char *kestrel_network_format(const struct kestrel_network *n);

/* The subnet's mask and the dotted-quad of an address (@buf >= 16 bytes). */
uint32_t kestrel_net_mask(unsigned int prefix);
char *kestrel_net_addr_format(uint32_t addr, char *buf);
/* Number of addresses the DHCP ranges hold. */
uint64_t kestrel_network_dhcp_size(const struct kestrel_network *n);

/* ---- definitions (network_store.c) ---- */

int kestrel_network_dir(char *buf, size_t len);
int kestrel_network_run_dir(char *buf, size_t len);

/* A network as net-list shows it. */
struct kestrel_net_entry {
	char name[KESTREL_NAME_MAX];
	uint8_t uuid[KESTREL_UUID_LEN];
	char bridge[KESTREL_NET_IFNAME_MAX];
	bool active;
	bool persistent;
};

/*
 * Every network, defined or active (or both), sorted by name; free *@list
 * with free().  Definitions that do not parse are skipped.
 */
int kestrel_network_list(const char *dir, const char *run,
			 struct kestrel_net_entry **list, size_t *n);
/*
 * The network named (or, failing that, with the UUID) @ref: its entry,
 * and its XML into @x when not NULL: the running one when active and not
 * @inactive, else the definition (a transient network has only the
 * running one).  -ENOENT: "Network not found: no network with matching
 * name '...'".
 */
int kestrel_network_lookup(const char *dir, const char *run, const char *ref,
			   bool inactive, struct kestrel_net_entry *e,
			   struct kestrel_network *x);
/* The definition NAME.xml of @dir (-ENOENT with libvirt's message). */
int kestrel_network_load(const char *dir, const char *name,
			 struct kestrel_network *x);
/*
 * define: fill in what the XML left out (a UUID was generated by the
 * parser; a bridge name no other network and no host interface uses; a
 * MAC for the bridge), check libvirt's duplicate rules against the other
 * definitions and the active networks, and write NAME.xml atomically.
 */
int kestrel_network_define(const char *dir, const char *run,
			   struct kestrel_network *x);
/* Remove NAME.xml (-ENOENT with libvirt's message). */
int kestrel_network_undefine(const char *dir, const char *name);

/* ---- running networks (network_run.c) ---- */

/* What net-start started, as NAME.state records it. */
struct kestrel_net_state {
	char bridge[KESTREL_NET_IFNAME_MAX];
	int ifindex;			/* the bridge's, when it was created */
	char table[KESTREL_NET_TABLE_MAX];	/* "" none */
	pid_t dnsmasq;			/* 0 none */
};

/*
 * The running network @name: its XML (if @x) and state (if @st).  A state
 * whose bridge is gone (the host rebooted, someone deleted it) is not
 * active.  -ENOENT if not active (no message set).
 */
int kestrel_network_active(const char *run, const char *name,
			   struct kestrel_network *x, struct kestrel_net_state *st);

/*
 * net-start: create the bridge (its MAC, STP, forward delay), give it the
 * address, bring it up; for NAT, IPv4 forwarding on; the nftables table
 * kestrel_NAME (NAT masquerade and libvirt's forward rules, or the
 * isolation rules); dnsmasq when there is a <dhcp> or DNS.  Refused when
 * the network is active, the bridge name is taken, or the subnet is in
 * use on the host.  On failure whatever was done is undone.  When dnsmasq
 * is not installed the network starts without DHCP and DNS and @warning
 * (if not NULL, @wlen bytes) says so; "" otherwise.
 *
 * KESTREL_NFT and KESTREL_DNSMASQ override the programs' paths (an empty
 * KESTREL_DNSMASQ: do as if dnsmasq were not installed).
 */
int kestrel_network_start(const char *run, const struct kestrel_network *x,
			  char *warning, size_t wlen);
/* net-destroy: stop dnsmasq, delete the table and the bridge. */
int kestrel_network_stop(const char *run, const char *name);

/*
 * The bridge of the active network @name, for <interface type='network'>:
 * -ENOENT "Network not found: no network with matching name '...'", or
 * -EINVAL "Requested operation is not valid: network '...' is not active".
 * The default directories are used.
 */
int kestrel_network_bridge(const char *name, char bridge[KESTREL_NET_IFNAME_MAX]);

/* A DHCP lease from dnsmasq's lease file. */
struct kestrel_net_lease {
	int64_t expiry;			/* seconds since the epoch; 0 never */
	uint8_t mac[6];
	uint32_t ip;
	char hostname[KESTREL_NET_HOSTNAME_MAX];	/* "" none */
	char clientid[128];		/* "" none */
};

/* The unexpired leases of network @name (active or not), by expiry. */
int kestrel_network_leases(const char *run, const char *name,
			   struct kestrel_net_lease **list, size_t *n);
/* Parse the text of a dnsmasq lease file (IPv4 lines only). */
int kestrel_network_leases_parse(const char *text, int64_t now,
				 struct kestrel_net_lease **list, size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_NETWORK_H */
