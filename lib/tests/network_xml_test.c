// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network XML (lib/network_xml.c): each good example formats to its
 * canonical text byte for byte, and the canonical text is a fixed point;
 * each bad example is refused with EINVAL and exactly the message below
 * (naming the element or attribute and its line).  Also dnsmasq's lease
 * file as net-dhcp-leases reads it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "network.h"
#include "domxml.h"

#define UUID "<uuid>8c7f4e9a-3b2d-4c1e-9f0a-1b2c3d4e5f60</uuid>"
#define UUID_OUT "  <uuid>8c7f4e9a-3b2d-4c1e-9f0a-1b2c3d4e5f60</uuid>\n"

static int parse_str(const char *s, struct kestrel_network *x)
{
	return kestrel_network_parse(s, strlen(s), x);
}

/* ---- the good corpus ---- */

FIXTURE(good) {};
FIXTURE_SETUP(good) {}
FIXTURE_TEARDOWN(good) {}

FIXTURE_VARIANT(good) {
	const char *in, *out;
};

FIXTURE_VARIANT_ADD(good, nat_default) {
	.in = "<network>\n  <name>default</name>\n  " UUID "\n"
	      "  <forward mode='nat'/>\n"
	      "  <bridge name='virbr0' stp='on' delay='0'/>\n"
	      "  <mac address='52:54:00:0A:CD:21'/>\n"
	      "  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
	      "    <dhcp>\n"
	      "      <range start='192.168.122.2' end='192.168.122.254'/>\n"
	      "    </dhcp>\n  </ip>\n</network>\n",
	.out = "<network>\n  <name>default</name>\n" UUID_OUT
	       "  <forward mode='nat'/>\n"
	       "  <bridge name='virbr0' stp='on' delay='0'/>\n"
	       "  <mac address='52:54:00:0a:cd:21'/>\n"
	       "  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
	       "    <dhcp>\n"
	       "      <range start='192.168.122.2' end='192.168.122.254'/>\n"
	       "    </dhcp>\n  </ip>\n</network>\n",
};

/* No mode is NAT (libvirt's default); a prefix stays a prefix. */
FIXTURE_VARIANT_ADD(good, forward_without_mode_prefix) {
	.in = "<network><name>n</name>" UUID "<forward/>"
	      "<ip address='10.0.0.1' prefix='8'/></network>",
	.out = "<network>\n  <name>n</name>\n" UUID_OUT
	       "  <forward mode='nat'/>\n"
	       "  <ip address='10.0.0.1' prefix='8'/>\n</network>\n",
};

/* No <forward>: isolated; no <ip>: a bare bridge. */
FIXTURE_VARIANT_ADD(good, isolated_bare_bridge) {
	.in = "<network><name>iso</name>" UUID
	      "<bridge name='kiso' stp='off' delay='5'/></network>",
	.out = "<network>\n  <name>iso</name>\n" UUID_OUT
	       "  <bridge name='kiso' stp='off' delay='5'/>\n</network>\n",
};

/* <bridge> without a name keeps only what differs from the defaults. */
FIXTURE_VARIANT_ADD(good, bridge_defaults_dropped) {
	.in = "<network><name>d</name>" UUID "<bridge stp='on' delay='0'/>"
	      "</network>",
	.out = "<network>\n  <name>d</name>\n" UUID_OUT "</network>\n",
};

FIXTURE_VARIANT_ADD(good, hosts_ranges_dns) {
	.in = "<network>\n<name>lab</name>" UUID
	      "<!-- a comment -->"
	      "<dns enable='no'/>"
	      "<ip family='ipv4' address='172.16.5.1' netmask='255.255.254.0'>"
	      "<dhcp>"
	      "<range start='172.16.5.10' end='172.16.5.99'/>"
	      "<range start='172.16.4.1' end='172.16.4.255'/>"
	      "<host mac='52:54:00:11:22:33' name='web' ip='172.16.5.200'/>"
	      "<host name='db' ip='172.16.5.201'/>"
	      "<host mac='52:54:00:11:22:44' ip='172.16.5.202'/>"
	      "</dhcp></ip></network>",
	.out = "<network>\n  <name>lab</name>\n" UUID_OUT
	       "  <dns enable='no'/>\n"
	       "  <ip address='172.16.5.1' netmask='255.255.254.0'>\n"
	       "    <dhcp>\n"
	       "      <range start='172.16.5.10' end='172.16.5.99'/>\n"
	       "      <range start='172.16.4.1' end='172.16.4.255'/>\n"
	       "      <host mac='52:54:00:11:22:33' name='web' ip='172.16.5.200'/>\n"
	       "      <host name='db' ip='172.16.5.201'/>\n"
	       "      <host mac='52:54:00:11:22:44' ip='172.16.5.202'/>\n"
	       "    </dhcp>\n  </ip>\n</network>\n",
};

FIXTURE_VARIANT_ADD(good, empty_dhcp_escaped_name) {
	.in = "<network><name>a&amp;b</name>" UUID
	      "<ip address='10.9.0.1' prefix='30'><dhcp/></ip></network>",
	.out = "<network>\n  <name>a&amp;b</name>\n" UUID_OUT
	       "  <ip address='10.9.0.1' prefix='30'>\n    <dhcp/>\n  </ip>\n"
	       "</network>\n",
};

TEST_F(good, formats_to_canonical_and_is_a_fixed_point)
{
	struct kestrel_network x, y;
	char *out, *again;

	ASSERT_EQ(0, parse_str(variant->in, &x)) TH_LOG("%s", kestrel_last_error());
	EXPECT_FALSE(x.uuid_generated);
	out = kestrel_network_format(&x);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ(variant->out, out);
	ASSERT_EQ(0, parse_str(out, &y)) TH_LOG("%s", kestrel_last_error());
	again = kestrel_network_format(&y);
	ASSERT_NE(NULL, again);
	EXPECT_STREQ(out, again);
	free(out);
	free(again);
	kestrel_network_free(&x);
	kestrel_network_free(&y);
}

TEST(model_values)
{
	struct kestrel_network x;
	char a[16];

	ASSERT_EQ(0, parse_str("<network><name>m</name><forward mode='nat'/>"
			       "<bridge name='br-m'/>"
			       "<ip address='192.168.7.1' netmask='255.255.255.0'>"
			       "<dhcp><range start='192.168.7.100' end='192.168.7.149'/>"
			       "<range start='192.168.7.2' end='192.168.7.2'/>"
			       "<host mac='52:54:00:00:00:01' ip='192.168.7.5'/>"
			       "</dhcp></ip></network>", &x))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_TRUE(x.uuid_generated);
	EXPECT_EQ(KESTREL_NET_NAT, x.forward);
	EXPECT_STREQ("br-m", x.bridge);
	EXPECT_TRUE(x.stp);
	EXPECT_EQ(0, x.delay);
	EXPECT_FALSE(x.has_mac);
	EXPECT_EQ(24, x.prefix);
	EXPECT_STREQ("192.168.7.1", kestrel_net_addr_format(x.address, a));
	EXPECT_STREQ("255.255.255.0", kestrel_net_addr_format(kestrel_net_mask(24), a));
	EXPECT_EQ(2, x.nr_ranges);
	EXPECT_EQ(51, kestrel_network_dhcp_size(&x));
	EXPECT_EQ(1, x.nr_hosts);
	kestrel_network_free(&x);
}

/* ---- the bad corpus ---- */

FIXTURE(bad) {};
FIXTURE_SETUP(bad) {}
FIXTURE_TEARDOWN(bad) {}

FIXTURE_VARIANT(bad) {
	const char *in, *msg;
};

#define NET(body) "<network><name>n</name>\n" body "</network>"
#define IP24(body) "<ip address='10.1.1.1' prefix='24'>" body "</ip>"

FIXTURE_VARIANT_ADD(bad, not_well_formed) {
	.in = "<network><name>n</name>\n<ip></network>",
	.msg = "malformed XML at line 2: Opening and ending tag mismatch: ip line 2 and network",
};
FIXTURE_VARIANT_ADD(bad, wrong_root) {
	.in = "<domain type='kvm'/>",
	.msg = "the root element is <domain>, not <network> at line 1",
};
FIXTURE_VARIANT_ADD(bad, doctype) {
	.in = "<!DOCTYPE network [<!ENTITY x 'y'>]><network><name>&x;</name></network>",
	.msg = "<!DOCTYPE> is not supported in network XML",
};
FIXTURE_VARIANT_ADD(bad, no_name) {
	.in = "<network><bridge name='b'/></network>",
	.msg = "missing element <name> in <network> at line 1",
};
FIXTURE_VARIANT_ADD(bad, name_slash) {
	.in = "<network><name>a/b</name></network>",
	.msg = "invalid network name 'a/b' in <name> at line 1: 1 to 63 characters, no '/', not starting with '-' or '.'",
};
FIXTURE_VARIANT_ADD(bad, root_attribute) {
	.in = "<network ipv6='yes'><name>n</name></network>",
	.msg = "unsupported attribute 'ipv6' of <network> at line 1",
};
FIXTURE_VARIANT_ADD(bad, duplicate_name) {
	.in = NET("<name>m</name>"),
	.msg = "duplicate element <name> in <network> at line 2",
};
FIXTURE_VARIANT_ADD(bad, bad_uuid) {
	.in = NET("<uuid>nope</uuid>"),
	.msg = "malformed uuid element 'nope' at line 2",
};
FIXTURE_VARIANT_ADD(bad, forward_route) {
	.in = NET("<forward mode='route'/>" IP24("")),
	.msg = "unsupported forward mode 'route' in <forward> at line 2: Kestrel networks are NAT (<forward mode='nat'/>) or isolated (no <forward>)",
};
FIXTURE_VARIANT_ADD(bad, forward_bridge) {
	.in = NET("<forward mode='bridge'/>"),
	.msg = "unsupported forward mode 'bridge' in <forward> at line 2: Kestrel networks are NAT (<forward mode='nat'/>) or isolated (no <forward>)",
};
FIXTURE_VARIANT_ADD(bad, forward_dev) {
	.in = NET("<forward mode='nat' dev='eth0'/>" IP24("")),
	.msg = "unsupported attribute 'dev' of <forward> at line 2: Kestrel's NAT masquerades to any host interface",
};
FIXTURE_VARIANT_ADD(bad, forward_nat_ports) {
	.in = NET("<forward mode='nat'>\n<nat><port start='1' end='2'/></nat></forward>" IP24("")),
	.msg = "unsupported element <nat> in <forward> at line 3: Kestrel's NAT masquerades the network's subnet to any host interface, ports 1024-65535",
};
FIXTURE_VARIANT_ADD(bad, nat_without_ip) {
	.in = NET("<forward mode='nat'/>"),
	.msg = "network 'n' with forward mode 'nat' needs an IPv4 <ip> address at line 2",
};
FIXTURE_VARIANT_ADD(bad, bridge_name) {
	.in = NET("<bridge name='virbr%d'/>"),
	.msg = "invalid bridge name 'virbr%d' in <bridge> at line 2: 1 to 15 letters, digits, '_', '.' or '-'",
};
FIXTURE_VARIANT_ADD(bad, bridge_name_long) {
	.in = NET("<bridge name='abcdefghijklmnop'/>"),
	.msg = "invalid bridge name 'abcdefghijklmnop' in <bridge> at line 2: 1 to 15 letters, digits, '_', '.' or '-'",
};
FIXTURE_VARIANT_ADD(bad, bridge_stp) {
	.in = NET("<bridge stp='yes'/>"),
	.msg = "invalid stp 'yes' in <bridge> at line 2: 'on' or 'off'",
};
FIXTURE_VARIANT_ADD(bad, bridge_delay) {
	.in = NET("<bridge delay='31'/>"),
	.msg = "invalid delay '31' in <bridge> at line 2: the forward delay in seconds, 0 to 30",
};
FIXTURE_VARIANT_ADD(bad, bridge_zone) {
	.in = NET("<bridge name='b' zone='trusted'/>"),
	.msg = "unsupported attribute 'zone' of <bridge> at line 2",
};
FIXTURE_VARIANT_ADD(bad, mac_multicast) {
	.in = NET("<mac address='01:00:5e:00:00:01'/>"),
	.msg = "expected unicast mac address, found multicast '01:00:5e:00:00:01' in <mac> at line 2",
};
FIXTURE_VARIANT_ADD(bad, mac_malformed) {
	.in = NET("<mac address='52:54:00:zz:00:01'/>"),
	.msg = "invalid mac address '52:54:00:zz:00:01' in <mac> at line 2",
};
FIXTURE_VARIANT_ADD(bad, ipv6) {
	.in = NET("<ip family='ipv6' address='fd00::1' prefix='64'/>"),
	.msg = "unsupported <ip> family 'ipv6' at line 2: Kestrel networks are IPv4 only",
};
FIXTURE_VARIANT_ADD(bad, ipv6_address) {
	.in = NET("<ip address='fd00::1' prefix='64'/>"),
	.msg = "invalid IPv4 address 'fd00::1' in address of <ip> at line 2: Kestrel networks are IPv4 only",
};
FIXTURE_VARIANT_ADD(bad, second_ip) {
	.in = NET(IP24("") "\n<ip address='10.2.2.1' prefix='24'/>"),
	.msg = "a second <ip> at line 3: Kestrel networks have one IPv4 address (no IPv6)",
};
FIXTURE_VARIANT_ADD(bad, ip_netmask_and_prefix) {
	.in = NET("<ip address='10.1.1.1' prefix='24' netmask='255.255.255.0'/>"),
	.msg = "<ip> has both netmask and prefix: give one at line 2",
};
FIXTURE_VARIANT_ADD(bad, ip_no_mask) {
	.in = NET("<ip address='10.1.1.1'/>"),
	.msg = "<ip> needs a netmask or a prefix at line 2",
};
FIXTURE_VARIANT_ADD(bad, ip_netmask_holes) {
	.in = NET("<ip address='10.1.1.1' netmask='255.0.255.0'/>"),
	.msg = "invalid netmask '255.0.255.0' in <ip> at line 2: a contiguous IPv4 netmask such as 255.255.255.0",
};
FIXTURE_VARIANT_ADD(bad, ip_prefix_31) {
	.in = NET("<ip address='10.1.1.1' prefix='31'/>"),
	.msg = "invalid network size /31 in <ip> at line 2: the prefix must be 1 to 30: the network needs room for guests",
};
FIXTURE_VARIANT_ADD(bad, ip_network_address) {
	.in = NET("<ip address='10.1.1.0' prefix='24'/>"),
	.msg = "address '10.1.1.0' in <ip> is the network or broadcast address of its subnet at line 2",
};
FIXTURE_VARIANT_ADD(bad, ip_local_ptr) {
	.in = NET("<ip address='10.1.1.1' prefix='24' localPtr='yes'/>"),
	.msg = "unsupported attribute 'localPtr' of <ip> at line 2: Kestrel's dnsmasq answers no reverse lookups of its own",
};
FIXTURE_VARIANT_ADD(bad, ip_tftp) {
	.in = NET(IP24("<tftp root='/srv'/>")),
	.msg = "unsupported element <tftp> in <ip> at line 2: Kestrel's dnsmasq does not network-boot guests",
};
FIXTURE_VARIANT_ADD(bad, dhcp_bootp) {
	.in = NET(IP24("<dhcp><bootp file='pxe'/></dhcp>")),
	.msg = "unsupported element <bootp> in <dhcp> at line 2: Kestrel's dnsmasq does not network-boot guests",
};
FIXTURE_VARIANT_ADD(bad, range_outside) {
	.in = NET(IP24("<dhcp><range start='10.1.1.10' end='10.1.2.20'/></dhcp>")),
	.msg = "DHCP range '10.1.1.10' to '10.1.2.20' is not entirely within network at line 2",
};
FIXTURE_VARIANT_ADD(bad, range_reversed) {
	.in = NET(IP24("<dhcp><range start='10.1.1.20' end='10.1.1.10'/></dhcp>")),
	.msg = "DHCP range '10.1.1.20' to '10.1.1.10': start larger than end at line 2",
};
FIXTURE_VARIANT_ADD(bad, range_own_address) {
	.in = NET(IP24("<dhcp><range start='10.1.1.1' end='10.1.1.10'/></dhcp>")),
	.msg = "DHCP range '10.1.1.1' to '10.1.1.10' contains the network's own address at line 2",
};
FIXTURE_VARIANT_ADD(bad, range_overlap) {
	.in = NET(IP24("<dhcp><range start='10.1.1.10' end='10.1.1.20'/>\n"
		       "<range start='10.1.1.20' end='10.1.1.30'/></dhcp>")),
	.msg = "DHCP range '10.1.1.20' to '10.1.1.30' overlaps another range at line 3",
};
FIXTURE_VARIANT_ADD(bad, range_lease) {
	.in = NET(IP24("<dhcp><range start='10.1.1.10' end='10.1.1.20'><lease expiry='1'/></range></dhcp>")),
	.msg = "unsupported element <lease> in <range> at line 2",
};
FIXTURE_VARIANT_ADD(bad, host_without_ip) {
	.in = NET(IP24("<dhcp><host mac='52:54:00:00:00:01'/></dhcp>")),
	.msg = "missing IP address in static host definition for network 'n' at line 2",
};
FIXTURE_VARIANT_ADD(bad, host_without_mac_or_name) {
	.in = NET(IP24("<dhcp><host ip='10.1.1.5'/></dhcp>")),
	.msg = "static host definition in IPv4 network 'n' must have mac or name attribute at line 2",
};
FIXTURE_VARIANT_ADD(bad, host_outside) {
	.in = NET(IP24("<dhcp><host name='a' ip='10.1.2.5'/></dhcp>")),
	.msg = "static host address '10.1.2.5' is not a free host address of the network at line 2",
};
FIXTURE_VARIANT_ADD(bad, host_duplicate_mac) {
	.in = NET(IP24("<dhcp><host mac='52:54:00:00:00:01' ip='10.1.1.5'/>\n"
		       "<host mac='52:54:00:00:00:01' ip='10.1.1.6'/></dhcp>")),
	.msg = "static host mac '52:54:00:00:00:01' given twice at line 3",
};
FIXTURE_VARIANT_ADD(bad, host_name_chars) {
	.in = NET(IP24("<dhcp><host name='a b' ip='10.1.1.5'/></dhcp>")),
	.msg = "invalid host name 'a b' in <host> at line 2: 1 to 63 letters, digits, '_', '.' or '-'",
};
FIXTURE_VARIANT_ADD(bad, host_id) {
	.in = NET(IP24("<dhcp><host id='0:4:7e' ip='10.1.1.5'/></dhcp>")),
	.msg = "unsupported attribute 'id' of <host> at line 2",
};
FIXTURE_VARIANT_ADD(bad, dns_children) {
	.in = NET("<dns>\n<forwarder addr='8.8.8.8'/></dns>"),
	.msg = "unsupported element <forwarder> in <dns> at line 3: Kestrel's dnsmasq forwards to the host's resolvers and knows the DHCP hosts' names; only <dns enable='yes|no'/> is supported",
};
FIXTURE_VARIANT_ADD(bad, dns_forward_plain_names) {
	.in = NET("<dns enable='yes' forwardPlainNames='no'/>"),
	.msg = "unsupported attribute 'forwardPlainNames' of <dns> at line 2",
};
FIXTURE_VARIANT_ADD(bad, dns_without_enable) {
	.in = NET("<dns/>"),
	.msg = "missing attribute 'enable' of <dns> at line 2",
};
FIXTURE_VARIANT_ADD(bad, domain) {
	.in = NET("<domain name='example.com'/>"),
	.msg = "unsupported element <domain> in <network> at line 2: Kestrel's dnsmasq has no local DNS domain",
};
FIXTURE_VARIANT_ADD(bad, route) {
	.in = NET("<route address='10.2.0.0' prefix='16' gateway='10.1.1.2'/>"),
	.msg = "unsupported element <route> in <network> at line 2: Kestrel networks have no static routes",
};
FIXTURE_VARIANT_ADD(bad, portgroup) {
	.in = NET("<portgroup name='a'/>"),
	.msg = "unsupported element <portgroup> in <network> at line 2: Kestrel networks have no port groups",
};
FIXTURE_VARIANT_ADD(bad, unknown_element) {
	.in = NET("<metadata/>"),
	.msg = "unsupported element <metadata> in <network> at line 2",
};
FIXTURE_VARIANT_ADD(bad, text) {
	.in = NET("stray"),
	.msg = "unexpected text in <network> at line 2",
};

TEST_F(bad, is_refused_with_its_message)
{
	struct kestrel_network x;

	EXPECT_EQ(-EINVAL, parse_str(variant->in, &x));
	EXPECT_STREQ(variant->msg, kestrel_last_error());
	EXPECT_EQ(NULL, x.hosts);
}

TEST(empty_and_oversized)
{
	struct kestrel_network x;
	char *big;

	EXPECT_EQ(-EINVAL, kestrel_network_parse("", 0, &x));
	EXPECT_STREQ("empty network XML", kestrel_last_error());
	big = calloc(1, KESTREL_XML_MAX + 2);
	ASSERT_NE(NULL, big);
	memset(big, ' ', KESTREL_XML_MAX + 1);
	EXPECT_EQ(-EFBIG, kestrel_network_parse(big, KESTREL_XML_MAX + 1, &x));
	free(big);
}

TEST(file_errors_name_the_file)
{
	struct kestrel_network x;

	EXPECT_EQ(-ENOENT, kestrel_network_parse_file("/nonexistent/n.xml", &x));
	EXPECT_STREQ("cannot open /nonexistent/n.xml: No such file or directory",
		     kestrel_last_error());
}

/* ---- dnsmasq's lease file ---- */

TEST(leases_parse)
{
	const char *text =
		"2000000000 52:54:00:aa:bb:01 192.168.122.45 guest 01:52:54:00:aa:bb:01\n"
		"1000 52:54:00:aa:bb:02 192.168.122.46 old *\n"
		"0 52:54:00:aa:bb:03 192.168.122.47 * *\n"
		"1999999999 52:54:00:aa:bb:04 192.168.122.48 * \n"
		"duid 00:01:00:01:2c:aa:bb:cc\n"
		"2000000000 1234 fd00::5 v6 00:01\n"
		"garbage\n";
	struct kestrel_net_lease *l;
	char a[16], mac[18];
	size_t n;

	ASSERT_EQ(0, kestrel_network_leases_parse(text, 1500, &l, &n));
	ASSERT_EQ(3, n);
	/* By expiry: the one that never expires first. */
	EXPECT_EQ(0, l[0].expiry);
	EXPECT_STREQ("192.168.122.47", kestrel_net_addr_format(l[0].ip, a));
	EXPECT_STREQ("", l[0].hostname);
	EXPECT_STREQ("", l[0].clientid);
	EXPECT_EQ(1999999999, l[1].expiry);
	EXPECT_STREQ("52:54:00:aa:bb:04", kestrel_mac_format(l[1].mac, mac));
	EXPECT_EQ(2000000000, l[2].expiry);
	EXPECT_STREQ("guest", l[2].hostname);
	EXPECT_STREQ("01:52:54:00:aa:bb:01", l[2].clientid);
	free(l);
}

TEST_HARNESS_MAIN
