// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network XML (network.h): libvirt's <network> subset that Kestrel starts,
 * parsed strictly (every element and attribute checked against a list,
 * anything else refused naming it and its line) and formatted in
 * libvirt's canonical order for net-dumpxml.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "network.h"
#include "domxml.h"
#include "xml_priv.h"

static int unsupported_element(xmlNodePtr n, xmlNodePtr parent)
{
	char name[64], pname[64];

	return fail_at(EINVAL, n, "unsupported element <%s> in <%s>",
		       elem_name(n, name, sizeof(name)),
		       elem_name(parent, pname, sizeof(pname)));
}

/* Text children must be blank; no entity references. */
static int check_text(xmlNodePtr n)
{
	char name[64];
	xmlNodePtr c;

	for (c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) &&
		    c->content && !blank((const char *)c->content))
			return fail_at(EINVAL, c, "unexpected text in <%s>",
				       elem_name(n, name, sizeof(name)));
		if (c->type == XML_ENTITY_REF_NODE)
			return fail_at(EINVAL, c, "unsupported entity reference '&%s;' in <%s>",
				       (const char *)c->name,
				       elem_name(n, name, sizeof(name)));
	}
	return 0;
}

/* No child elements, no text. */
static int check_empty(xmlNodePtr n)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return unsupported_element(c, n);
	return check_text(n);
}

static int check_attrs(xmlNodePtr n, const char *const *allowed)
{
	char name[64];
	xmlAttrPtr a;
	size_t i;

	for (a = n->properties; a; a = a->next) {
		bool ok = false;

		for (i = 0; !a->ns && allowed && allowed[i]; i++)
			ok |= !strcmp((const char *)a->name, allowed[i]);
		if (!ok)
			return fail_at(EINVAL, n, "unsupported attribute '%s' of <%s>",
				       (const char *)a->name,
				       elem_name(n, name, sizeof(name)));
	}
	return 0;
}

/* The trimmed text of a leaf element without attributes, malloc'd. */
static int leaf_token(xmlNodePtr n, char **out)
{
	xmlNodePtr c;
	char *s, *start, *end;
	xmlChar *v;
	int err;

	*out = NULL;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return unsupported_element(c, n);
		else if (c->type == XML_ENTITY_REF_NODE)
			return check_text(n);
	err = check_attrs(n, NULL);
	if (err)
		return err;
	v = xmlNodeGetContent(n);
	if (!v)
		return no_memory();
	for (start = (char *)v; *start && strchr(" \t\r\n", *start); start++)
		;
	end = start + strlen(start);
	while (end > start && strchr(" \t\r\n", end[-1]))
		end--;
	s = strndup(start, (size_t)(end - start));
	xmlFree(v);
	if (!s)
		return no_memory();
	*out = s;
	return 0;
}

uint32_t kestrel_net_mask(unsigned int prefix)
{
	return prefix ? ~0u << (32 - (prefix > 32 ? 32 : prefix)) : 0;
}

char *kestrel_net_addr_format(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &a, buf, 16);
	return buf;
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

/* Decimal digits only, at most @max. */
static bool parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (unsigned int)v;
	return true;
}

static bool name_valid(const char *s)
{
	size_t len = strlen(s);

	return len && len < KESTREL_NAME_MAX && !strchr(s, '/') &&
	       s[0] != '-' && s[0] != '.';
}

/* Names that go into dnsmasq's and nft's command lines as they are. */
static bool safe_chars(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		      *s == '-'))
			return false;
	return true;
}

static bool hostname_valid(const char *s)
{
	size_t len = strlen(s);

	return len && len < KESTREL_NET_HOSTNAME_MAX && safe_chars(s) &&
	       s[0] != '-' && s[0] != '.';
}

/* ---- elements ---- */

static int parse_name(xmlNodePtr n, struct kestrel_network *x)
{
	char *s;
	int err = leaf_token(n, &s);

	if (err)
		return err;
	if (!name_valid(s)) {
		err = fail_why(EINVAL, n, "1 to 63 characters, no '/', not starting with '-' or '.'",
			       "invalid network name '%.64s' in <name>", s);
		free(s);
		return err;
	}
	snprintf(x->name, sizeof(x->name), "%s", s);
	free(s);
	return 0;
}

static int parse_uuid(xmlNodePtr n, struct kestrel_network *x)
{
	char *s;
	int err;

	if (!n) {
		x->uuid_generated = true;
		if (kestrel_uuid_generate(x->uuid))
			return kestrel_fail(EIO, "cannot generate a UUID");
		return 0;
	}
	err = leaf_token(n, &s);
	if (err)
		return err;
	if (kestrel_uuid_parse(s, x->uuid))
		err = fail_at(EINVAL, n, "malformed uuid element '%.64s'", s);
	free(s);
	return err;
}

static int parse_forward(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "mode", NULL };
	_xfree_ xmlChar *mode = NULL;
	xmlNodePtr c;
	int err;

	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			if (is_elem(c, "nat") || is_elem(c, "interface") ||
			    is_elem(c, "pf") || is_elem(c, "address"))
				return fail_why(EINVAL, c, "Kestrel's NAT masquerades the network's subnet to any host interface, ports 1024-65535",
						"unsupported element <%s> in <forward>",
						(const char *)c->name);
			return unsupported_element(c, n);
		}
	err = check_text(n);
	if (!err && xmlHasNsProp(n, (const xmlChar *)"dev", NULL))
		return fail_why(EINVAL, n, "Kestrel's NAT masquerades to any host interface",
				"unsupported attribute 'dev' of <forward>");
	err = err ?: check_attrs(n, attrs) ?: get_attr(n, "mode", &mode);
	if (err)
		return err;
	if (mode && strcmp((const char *)mode, "nat"))
		return fail_why(EINVAL, n, "Kestrel networks are NAT (<forward mode='nat'/>) or isolated (no <forward>)",
				"unsupported forward mode '%.32s' in <forward>",
				(const char *)mode);
	x->forward = KESTREL_NET_NAT;
	return 0;
}

static int parse_bridge(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "name", "stp", "delay", NULL };
	_xfree_ xmlChar *name = NULL, *stp = NULL, *delay = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      get_attr(n, "name", &name) ?: get_attr(n, "stp", &stp) ?:
	      get_attr(n, "delay", &delay);
	if (err)
		return err;
	if (name && (!kestrel_ifname_valid((const char *)name) ||
		     !safe_chars((const char *)name)))
		return fail_why(EINVAL, n, "1 to 15 letters, digits, '_', '.' or '-'",
				"invalid bridge name '%.32s' in <bridge>",
				(const char *)name);
	if (name)
		snprintf(x->bridge, sizeof(x->bridge), "%s", (const char *)name);
	if (stp && !strcmp((const char *)stp, "off"))
		x->stp = false;
	else if (stp && strcmp((const char *)stp, "on"))
		return fail_why(EINVAL, n, "'on' or 'off'",
				"invalid stp '%.32s' in <bridge>",
				(const char *)stp);
	if (delay && !parse_uint((const char *)delay, 30, &x->delay))
		return fail_why(EINVAL, n, "the forward delay in seconds, 0 to 30",
				"invalid delay '%.32s' in <bridge>",
				(const char *)delay);
	return 0;
}

static int parse_mac_attr(xmlNodePtr n, const char *attr, uint8_t mac[6])
{
	_xfree_ xmlChar *v = NULL;
	static const uint8_t zero[6];
	int err = require_attr(n, attr, &v);

	if (err)
		return err;
	if (kestrel_mac_parse((const char *)v, mac))
		return fail_at(EINVAL, n, "invalid mac address '%.32s' in <%s>",
			       (const char *)v, (const char *)n->name);
	if (mac[0] & 1)
		return fail_at(EINVAL, n, "expected unicast mac address, found multicast '%.32s' in <%s>",
			       (const char *)v, (const char *)n->name);
	if (!memcmp(mac, zero, 6))
		return fail_at(EINVAL, n, "invalid mac address '%.32s' in <%s>: all zeros",
			       (const char *)v, (const char *)n->name);
	return 0;
}

static int parse_mac(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "address", NULL };
	int err = check_attrs(n, attrs) ?: check_empty(n) ?:
		  parse_mac_attr(n, "address", x->mac);

	if (!err)
		x->has_mac = true;
	return err;
}

static int parse_dns(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "enable", NULL };
	_xfree_ xmlChar *enable = NULL;
	xmlNodePtr c;
	int err;

	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return fail_why(EINVAL, c, "Kestrel's dnsmasq forwards to the host's resolvers and knows the DHCP hosts' names; only <dns enable='yes|no'/> is supported",
					"unsupported element <%s> in <dns>",
					(const char *)c->name);
	err = check_text(n) ?: check_attrs(n, attrs) ?:
	      get_attr(n, "enable", &enable);
	if (err)
		return err;
	if (!enable)
		return fail_at(EINVAL, n, "missing attribute 'enable' of <dns>");
	if (!strcmp((const char *)enable, "yes"))
		x->dns = KESTREL_NET_DNS_YES;
	else if (!strcmp((const char *)enable, "no"))
		x->dns = KESTREL_NET_DNS_NO;
	else
		return fail_why(EINVAL, n, "'yes' or 'no'",
				"invalid enable '%.32s' in <dns>",
				(const char *)enable);
	return 0;
}

static bool in_subnet(const struct kestrel_network *x, uint32_t a)
{
	uint32_t m = kestrel_net_mask(x->prefix);

	return (a & m) == (x->address & m);
}

/* A host address of the subnet: not its network or broadcast address. */
static bool host_addr(const struct kestrel_network *x, uint32_t a)
{
	uint32_t m = kestrel_net_mask(x->prefix);

	return in_subnet(x, a) && (a & ~m) && (a & ~m) != ~m;
}

static int parse_addr_attr(xmlNodePtr n, const char *attr, uint32_t *a)
{
	_xfree_ xmlChar *v = NULL;
	int err = require_attr(n, attr, &v);

	if (err)
		return err;
	if (!parse_ipv4((const char *)v, a))
		return fail_why(EINVAL, n, "Kestrel networks are IPv4 only",
				"invalid IPv4 address '%.48s' in %s of <%s>",
				(const char *)v, attr, (const char *)n->name);
	return 0;
}

static int parse_range(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "start", "end", NULL };
	struct kestrel_net_range r;
	char a[16], b[16];
	unsigned int i;
	xmlNodePtr c;
	int err;

	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return unsupported_element(c, n);
	err = check_text(n) ?: check_attrs(n, attrs) ?:
	      parse_addr_attr(n, "start", &r.start) ?:
	      parse_addr_attr(n, "end", &r.end);
	if (err)
		return err;
	kestrel_net_addr_format(r.start, a);
	kestrel_net_addr_format(r.end, b);
	if (!host_addr(x, r.start) || !host_addr(x, r.end))
		return fail_at(EINVAL, n, "DHCP range '%s' to '%s' is not entirely within network", a, b);
	if (r.start > r.end)
		return fail_at(EINVAL, n, "DHCP range '%s' to '%s': start larger than end", a, b);
	if (r.start <= x->address && x->address <= r.end)
		return fail_at(EINVAL, n, "DHCP range '%s' to '%s' contains the network's own address", a, b);
	for (i = 0; i < x->nr_ranges; i++)
		if (r.start <= x->ranges[i].end && x->ranges[i].start <= r.end)
			return fail_at(EINVAL, n, "DHCP range '%s' to '%s' overlaps another range", a, b);
	if (x->nr_ranges == KESTREL_NET_RANGES_MAX)
		return fail_at(EINVAL, n, "more than %d DHCP ranges", KESTREL_NET_RANGES_MAX);
	x->ranges[x->nr_ranges++] = r;
	return 0;
}

static int parse_host(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "mac", "name", "ip", NULL };
	_xfree_ xmlChar *mac = NULL, *name = NULL;
	struct kestrel_net_host h = { 0 };
	unsigned int i;
	char a[16];
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      get_attr(n, "mac", &mac) ?: get_attr(n, "name", &name);
	if (err)
		return err;
	if (!mac && !name)
		return fail_at(EINVAL, n, "static host definition in IPv4 network '%s' must have mac or name attribute",
			       x->name);
	if (mac) {
		err = parse_mac_attr(n, "mac", h.mac);
		if (err)
			return err;
		h.has_mac = true;
	}
	if (name && !hostname_valid((const char *)name))
		return fail_why(EINVAL, n, "1 to 63 letters, digits, '_', '.' or '-'",
				"invalid host name '%.64s' in <host>",
				(const char *)name);
	if (name)
		snprintf(h.name, sizeof(h.name), "%s", (const char *)name);
	if (!xmlHasNsProp(n, (const xmlChar *)"ip", NULL))
		return fail_at(EINVAL, n, "missing IP address in static host definition for network '%s'",
			       x->name);
	err = parse_addr_attr(n, "ip", &h.ip);
	if (err)
		return err;
	kestrel_net_addr_format(h.ip, a);
	if (!host_addr(x, h.ip) || h.ip == x->address)
		return fail_at(EINVAL, n, "static host address '%s' is not a free host address of the network", a);
	for (i = 0; i < x->nr_hosts; i++) {
		const struct kestrel_net_host *o = &x->hosts[i];

		if (o->ip == h.ip)
			return fail_at(EINVAL, n, "static host address '%s' given twice", a);
		if (h.has_mac && o->has_mac && !memcmp(o->mac, h.mac, 6))
			return fail_at(EINVAL, n, "static host mac '%s' given twice",
				       (const char *)mac);
		if (h.name[0] && !strcmp(o->name, h.name))
			return fail_at(EINVAL, n, "static host name '%s' given twice",
				       h.name);
	}
	if (x->nr_hosts == KESTREL_NET_HOSTS_MAX)
		return fail_at(EINVAL, n, "more than %d static hosts", KESTREL_NET_HOSTS_MAX);
	if (!(x->nr_hosts & 15)) {
		struct kestrel_net_host *grown =
			reallocarray(x->hosts, x->nr_hosts + 16, sizeof(h));

		if (!grown)
			return no_memory();
		x->hosts = grown;
	}
	x->hosts[x->nr_hosts++] = h;
	return 0;
}

static int parse_dhcp(xmlNodePtr n, struct kestrel_network *x)
{
	xmlNodePtr c;
	int err = check_attrs(n, NULL) ?: check_text(n);

	for (c = n->children; c && !err; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, "range"))
			err = parse_range(c, x);
		else if (is_elem(c, "host"))
			err = parse_host(c, x);
		else if (is_elem(c, "bootp"))
			err = fail_why(EINVAL, c, "Kestrel's dnsmasq does not network-boot guests",
				       "unsupported element <bootp> in <dhcp>");
		else
			err = unsupported_element(c, n);
	}
	if (!err)
		x->has_dhcp = true;
	return err;
}

static int parse_ip(xmlNodePtr n, struct kestrel_network *x)
{
	static const char *const attrs[] = { "address", "netmask", "prefix",
					     "family", NULL };
	_xfree_ xmlChar *family = NULL, *netmask = NULL, *prefix = NULL;
	xmlNodePtr c, dhcp = NULL;
	char a[16];
	int err;

	err = get_attr(n, "family", &family);
	if (err)
		return err;
	if (family && strcmp((const char *)family, "ipv4"))
		return fail_why(EINVAL, n, "Kestrel networks are IPv4 only",
				"unsupported <ip> family '%.32s'",
				(const char *)family);
	if (xmlHasNsProp(n, (const xmlChar *)"localPtr", NULL))
		return fail_why(EINVAL, n, "Kestrel's dnsmasq answers no reverse lookups of its own",
				"unsupported attribute 'localPtr' of <ip>");
	err = check_attrs(n, attrs) ?: check_text(n) ?:
	      parse_addr_attr(n, "address", &x->address) ?:
	      get_attr(n, "netmask", &netmask) ?: get_attr(n, "prefix", &prefix);
	if (err)
		return err;
	if (netmask && prefix)
		return fail_at(EINVAL, n, "<ip> has both netmask and prefix: give one");
	if (!netmask && !prefix)
		return fail_at(EINVAL, n, "<ip> needs a netmask or a prefix");
	if (netmask) {
		uint32_t m;

		if (!parse_ipv4((const char *)netmask, &m) || !m ||
		    (~m & (~m + 1)))
			return fail_why(EINVAL, n, "a contiguous IPv4 netmask such as 255.255.255.0",
					"invalid netmask '%.48s' in <ip>",
					(const char *)netmask);
		x->prefix = (unsigned int)__builtin_popcount(m);
		x->netmask = true;
	} else if (!parse_uint((const char *)prefix, 32, &x->prefix)) {
		return fail_why(EINVAL, n, "a decimal number, 1 to 30",
				"invalid prefix '%.32s' in <ip>",
				(const char *)prefix);
	}
	if (x->prefix < 1 || x->prefix > 30)
		return fail_why(EINVAL, n, "the prefix must be 1 to 30: the network needs room for guests",
				"invalid network size /%u in <ip>", x->prefix);
	if (!host_addr(x, x->address))
		return fail_at(EINVAL, n, "address '%s' in <ip> is the network or broadcast address of its subnet",
			       kestrel_net_addr_format(x->address, a));
	x->has_ip = true;
	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, "tftp"))
			return fail_why(EINVAL, c, "Kestrel's dnsmasq does not network-boot guests",
					"unsupported element <tftp> in <ip>");
		if (!is_elem(c, "dhcp"))
			return unsupported_element(c, n);
		if (dhcp)
			return fail_at(EINVAL, c, "duplicate element <dhcp> in <ip>");
		dhcp = c;
	}
	return dhcp ? parse_dhcp(dhcp, x) : 0;
}

enum { E_NAME, E_UUID, E_FORWARD, E_BRIDGE, E_MAC, E_DNS, E_IP, E_COUNT };
static const char *const network_elems[E_COUNT] = {
	"name", "uuid", "forward", "bridge", "mac", "dns", "ip",
};

/* What libvirt has and Kestrel does not do, with the reason. */
static const struct {
	const char *name, *why;
} unsupported[] = {
	{ "route", "Kestrel networks have no static routes" },
	{ "portgroup", "Kestrel networks have no port groups" },
	{ "bandwidth", "Kestrel networks have no QoS" },
	{ "virtualport", "Kestrel networks are plain Linux bridges" },
	{ "vlan", "Kestrel networks are plain Linux bridges" },
	{ "domain", "Kestrel's dnsmasq has no local DNS domain" },
	{ "mtu", "Kestrel's bridges keep the default MTU" },
};

static int parse_network(xmlNodePtr root, struct kestrel_network *x)
{
	xmlNodePtr el[E_COUNT] = { 0 }, c;
	char name[64];
	size_t i;
	int err;

	if (!is_elem(root, "network"))
		return fail_at(EINVAL, root, "the root element is <%s>, not <network>",
			       elem_name(root, name, sizeof(name)));
	err = check_attrs(root, NULL) ?: check_text(root);
	if (err)
		return err;
	for (c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < E_COUNT; i++)
			if (is_elem(c, network_elems[i]))
				break;
		if (i == E_IP && el[E_IP])
			return fail_why(EINVAL, c, "Kestrel networks have one IPv4 address (no IPv6)",
					"a second <ip>");
		if (i < E_COUNT && el[i])
			return fail_at(EINVAL, c, "duplicate element <%s> in <network>",
				       network_elems[i]);
		if (i < E_COUNT) {
			el[i] = c;
			continue;
		}
		for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
			if (is_elem(c, unsupported[i].name))
				return fail_why(EINVAL, c, unsupported[i].why,
						"unsupported element <%s> in <network>",
						unsupported[i].name);
		return unsupported_element(c, root);
	}
	if (!el[E_NAME])
		return fail_at(EINVAL, root, "missing element <name> in <network>");
	err = parse_name(el[E_NAME], x) ?: parse_uuid(el[E_UUID], x) ?:
	      (el[E_FORWARD] ? parse_forward(el[E_FORWARD], x) : 0) ?:
	      (el[E_BRIDGE] ? parse_bridge(el[E_BRIDGE], x) : 0) ?:
	      (el[E_MAC] ? parse_mac(el[E_MAC], x) : 0) ?:
	      (el[E_DNS] ? parse_dns(el[E_DNS], x) : 0) ?:
	      (el[E_IP] ? parse_ip(el[E_IP], x) : 0);
	if (err)
		return err;
	if (x->forward == KESTREL_NET_NAT && !x->has_ip)
		return fail_at(EINVAL, el[E_FORWARD], "network '%s' with forward mode 'nat' needs an IPv4 <ip> address",
			       x->name);
	return 0;
}

void kestrel_network_init(struct kestrel_network *n)
{
	memset(n, 0, sizeof(*n));
	n->stp = true;
}

void kestrel_network_free(struct kestrel_network *n)
{
	free(n->hosts);
	kestrel_network_init(n);
}

/* The first error libxml2 reports during a parse. */
struct xml_first_error {
	bool set;
	int line;
	char msg[200];
};

static void xml_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct xml_first_error *first = ctxt ? ctxt->_private : NULL;
	size_t l;

	if (!first || !e || e->level < XML_ERR_ERROR || first->set)
		return;
	first->set = true;
	first->line = e->line;
	snprintf(first->msg, sizeof(first->msg), "%s",
		 e->message ? e->message : "not well-formed");
	l = strlen(first->msg);
	while (l && (first->msg[l - 1] == '\n' || first->msg[l - 1] == ' '))
		first->msg[--l] = '\0';
}

int kestrel_network_parse(const char *xml, size_t len, struct kestrel_network *n)
{
	struct xml_first_error first = { 0 };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNodePtr root;
	int err;

	kestrel_network_init(n);
	if (!xml || !len)
		return kestrel_fail(EINVAL, "empty network XML");
	if (len > KESTREL_XML_MAX)
		return kestrel_fail(EFBIG, "network XML is %zu bytes, more than the maximum of %d",
				    len, KESTREL_XML_MAX);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return no_memory();
	ctxt->_private = &first;
	ctxt->sax->serror = xml_error;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc || !ctxt->wellFormed || first.set) {
		err = kestrel_fail(EINVAL, "malformed XML at line %d: %s",
				   first.line, first.set ? first.msg : "not well-formed");
	} else if (doc->intSubset) {
		err = kestrel_fail(EINVAL, "<!DOCTYPE> is not supported in network XML");
	} else if (!(root = xmlDocGetRootElement(doc))) {
		err = kestrel_fail(EINVAL, "malformed XML: no root element");
	} else {
		err = parse_network(root, n);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (err)
		kestrel_network_free(n);
	return err;
}

int kestrel_network_parse_file(const char *path, struct kestrel_network *n)
{
	char msg[MSG_MAX], *buf;
	size_t len = 0;
	int fd, err;

	kestrel_network_init(n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kestrel_fail(errno, "cannot open %s: %s", path,
				    strerror(errno));
	buf = malloc(KESTREL_XML_MAX + 1);
	if (!buf) {
		close(fd);
		return no_memory();
	}
	err = xml_read_fd(fd, path, buf, &len);
	if (err) {
		free(buf);
		return err;
	}
	err = kestrel_network_parse(buf, len, n);
	free(buf);
	if (err) {
		snprintf(msg, sizeof(msg), "%s", kestrel_last_error());
		kestrel_fail(-err, "%s: %s", path, msg);
	}
	return err;
}

uint64_t kestrel_network_dhcp_size(const struct kestrel_network *n)
{
	uint64_t size = 0;
	unsigned int i;

	for (i = 0; i < n->nr_ranges; i++)
		size += (uint64_t)n->ranges[i].end - n->ranges[i].start + 1;
	return size;
}

char *kestrel_network_format(const struct kestrel_network *n)
{
	char uuid[KESTREL_UUID_STRLEN], a[16], b[16], mac[18];
	char *buf = NULL;
	size_t size = 0;
	unsigned int i;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f) {
		no_memory();
		return NULL;
	}
	fputs("<network>\n  <name>", f);
	kestrel_xml_escape(f, n->name);
	kestrel_uuid_format(n->uuid, uuid);
	fprintf(f, "</name>\n  <uuid>%s</uuid>\n", uuid);
	if (n->forward == KESTREL_NET_NAT)
		fputs("  <forward mode='nat'/>\n", f);
	if (n->bridge[0])
		fprintf(f, "  <bridge name='%s' stp='%s' delay='%u'/>\n",
			n->bridge, n->stp ? "on" : "off", n->delay);
	else if (!n->stp || n->delay)
		fprintf(f, "  <bridge stp='%s' delay='%u'/>\n",
			n->stp ? "on" : "off", n->delay);
	if (n->has_mac)
		fprintf(f, "  <mac address='%s'/>\n", kestrel_mac_format(n->mac, mac));
	if (n->dns != KESTREL_NET_DNS_DEFAULT)
		fprintf(f, "  <dns enable='%s'/>\n",
			n->dns == KESTREL_NET_DNS_YES ? "yes" : "no");
	if (n->has_ip) {
		fprintf(f, "  <ip address='%s'", kestrel_net_addr_format(n->address, a));
		if (n->netmask)
			fprintf(f, " netmask='%s'",
				kestrel_net_addr_format(kestrel_net_mask(n->prefix), b));
		else
			fprintf(f, " prefix='%u'", n->prefix);
		if (!n->has_dhcp) {
			fputs("/>\n", f);
		} else if (!n->nr_ranges && !n->nr_hosts) {
			fputs(">\n    <dhcp/>\n  </ip>\n", f);
		} else {
			fputs(">\n    <dhcp>\n", f);
			for (i = 0; i < n->nr_ranges; i++)
				fprintf(f, "      <range start='%s' end='%s'/>\n",
					kestrel_net_addr_format(n->ranges[i].start, a),
					kestrel_net_addr_format(n->ranges[i].end, b));
			for (i = 0; i < n->nr_hosts; i++) {
				const struct kestrel_net_host *h = &n->hosts[i];

				fputs("      <host", f);
				if (h->has_mac)
					fprintf(f, " mac='%s'", kestrel_mac_format(h->mac, mac));
				if (h->name[0])
					fprintf(f, " name='%s'", h->name);
				fprintf(f, " ip='%s'/>\n", kestrel_net_addr_format(h->ip, a));
			}
			fputs("    </dhcp>\n  </ip>\n", f);
		}
	}
	fputs("</network>\n", f);
	if (fclose(f)) {
		free(buf);
		no_memory();
		return NULL;
	}
	return buf;
}
