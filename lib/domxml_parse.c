// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Domain XML parsing: libxml2 builds the tree (no DTD, no network, errors
 * captured per parser context, nothing printed), then each element of the
 * subset Kestrel runs is read with its attributes checked against a list.
 * Anything else is an error naming the element or attribute and its line.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>

#include "libkestrel.h"
#include "domxml.h"
#include "xml_priv.h"

struct parser {
	struct kestrel_domxml *d;
	/*
	 * The first error libxml2 reported with a position (or, failing
	 * that, the first at all: encoding errors come without one).
	 */
	bool xml_error;
	int xml_line, xml_column;
	char xml_msg[200];
	/* A DOCTYPE was met (and parsing stopped there). */
	bool doctype;
	int doctype_line;
};

static void free_ptr(void *p)
{
	free(*(void **)p);
}

#define _free_ __attribute__((cleanup(free_ptr)))

/* Re-raise the current error as "<message> in <elem> at line N". */
static int wrap_error(int err, xmlNodePtr n)
{
	char msg[MSG_MAX], name[64];

	snprintf(msg, sizeof(msg), "%s", kestrel_last_error());
	return kestrel_fail(err, "%s in <%s> at line %ld", msg,
			    elem_name(n, name, sizeof(name)), line_of(n));
}

static int unsupported_element(xmlNodePtr n)
{
	char name[64];

	elem_name(n, name, sizeof(name));
	if (!n->ns && !strcmp(name, "emulator"))
		return fail_why(EINVAL, n, "Kestrel has no emulator process (the kernel runs the domain); remove it",
				"unsupported element <emulator>");
	return fail_at(EINVAL, n, "unsupported element <%s>", name);
}

/*
 * Check the non-element children of @n: comments and processing
 * instructions are skipped, text must be blank.
 */
static int check_text(xmlNodePtr n)
{
	xmlNodePtr c;
	char name[64];

	for (c = n->children; c; c = c->next) {
		switch (c->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (c->content && !blank((const char *)c->content)) {
				const char *t = (const char *)c->content, *q;
				long line = line_of(c);
				int len;

				/*
				 * libxml2 gives a text node the line where it
				 * ends: count back to its first word.
				 */
				while (blank_char(*t))
					t++;
				for (q = t; *q; q++)
					line -= *q == '\n';
				for (len = 0; len < 32 && t[len] &&
				     !blank_char(t[len]); len++)
					;
				return kestrel_fail(EINVAL, "unexpected text '%.*s' in <%s> at line %ld",
						    len, t,
						    elem_name(n, name, sizeof(name)),
						    line);
			}
			break;
		case XML_ENTITY_REF_NODE:
			return fail_at(EINVAL, c, "unsupported entity reference '&%s;' in <%s>",
				       (const char *)c->name,
				       elem_name(n, name, sizeof(name)));
		default:
			break;
		}
	}
	return 0;
}

/* An element that must have no child elements and no text. */
static int check_empty(xmlNodePtr n)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return unsupported_element(c);
	return check_text(n);
}

/* Reject every attribute of @n that is not in @allowed (NULL-terminated). */
static int check_attrs(xmlNodePtr n, const char *const *allowed)
{
	char name[64];
	xmlAttrPtr a;
	size_t i;

	for (a = n->properties; a; a = a->next) {
		bool ok = false;

		for (i = 0; !a->ns && allowed && allowed[i]; i++)
			if (!strcmp((const char *)a->name, allowed[i]))
				ok = true;
		if (ok)
			continue;
		if (a->ns && a->ns->prefix)
			return fail_at(EINVAL, n, "unsupported attribute '%s:%s' of <%s>",
				       (const char *)a->ns->prefix,
				       (const char *)a->name,
				       elem_name(n, name, sizeof(name)));
		return fail_at(EINVAL, n, "unsupported attribute '%s' of <%s>",
			       (const char *)a->name,
			       elem_name(n, name, sizeof(name)));
	}
	return 0;
}

/*
 * The text of a leaf element (no child elements, attributes only from
 * @attrs), malloc'd.
 */
static int leaf_text(xmlNodePtr n, const char *const *attrs, char **out)
{
	xmlNodePtr c;
	xmlChar *v;
	int err;

	*out = NULL;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return unsupported_element(c);
		else if (c->type == XML_ENTITY_REF_NODE)
			return check_text(n);
	err = check_attrs(n, attrs);
	if (err)
		return err;
	v = xmlNodeGetContent(n);
	if (!v)
		return no_memory();
	*out = strdup((const char *)v);
	xmlFree(v);
	if (!*out)
		return no_memory();
	return 0;
}

/* The same, without leading and trailing blanks (numbers, keywords). */
static int leaf_token(xmlNodePtr n, const char *const *attrs, char **out)
{
	char *s, *start, *end;
	int err;

	err = leaf_text(n, attrs, &s);
	if (err)
		return err;
	for (start = s; blank_char(*start); start++)
		;
	end = start + strlen(start);
	while (end > start && blank_char(end[-1]))
		end--;
	*end = '\0';
	memmove(s, start, (size_t)(end - start) + 1);
	*out = s;
	return 0;
}

/* Decimal digits only, optionally surrounded by blanks: 0, -EINVAL, -ERANGE. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t r = 0;

	while (blank_char(*s))
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int digit = (unsigned int)(*s - '0');

		if (r > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		r = r * 10 + digit;
	}
	if (!blank(s))
		return -EINVAL;
	*v = r;
	return 0;
}

/*
 * An unsigned value in [min, max]; @what names where it is for messages
 * ("attribute 'current' of <vcpu>", "<vcpu>").
 */
static int parse_uint_in(xmlNodePtr n, const char *what, const char *s,
			 uint64_t min, uint64_t max, unsigned int *out)
{
	uint64_t v;
	int err = parse_u64(s, &v);

	if (err == -EINVAL)
		return fail_why(EINVAL, n, "not a number", "invalid value '%.32s' of %s",
				s, what);
	if (err || v < min || v > max) {
		char why[64];

		snprintf(why, sizeof(why), "want %llu..%llu",
			 (unsigned long long)min, (unsigned long long)max);
		return fail_why(ERANGE, n, why, "value '%.32s' of %s is out of range",
				s, what);
	}
	*out = (unsigned int)v;
	return 0;
}

/*
 * Collect the children of @parent named in @names (at most once each)
 * into @found; any other element is unsupported, any text unexpected.
 */
static int collect(xmlNodePtr parent, const char *const *names, size_t count,
		   xmlNodePtr *found)
{
	xmlNodePtr c;
	size_t i;
	int err;

	err = check_text(parent);
	if (err)
		return err;
	memset(found, 0, count * sizeof(*found));
	for (c = parent->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < count; i++)
			if (is_elem(c, names[i]))
				break;
		if (i == count)
			return unsupported_element(c);
		if (found[i])
			return kestrel_fail(EINVAL, "duplicate element <%s> at line %ld (the first is at line %ld)",
					    names[i], line_of(c), line_of(found[i]));
		found[i] = c;
	}
	return 0;
}

/* ---- name, uuid, title, description ---- */

static int parse_name(struct parser *p, xmlNodePtr n)
{
	_free_ char *name = NULL;
	char why[64];
	size_t len;
	const char *c;
	int err;

	err = leaf_text(n, NULL, &name);
	if (err)
		return err;
	len = strlen(name);
	if (!len)
		return fail_why(EINVAL, n, "it is empty", "invalid domain name");
	if (len >= KESTREL_NAME_MAX) {
		snprintf(why, sizeof(why), "it is %zu bytes, at most %d", len,
			 KESTREL_NAME_MAX - 1);
		return fail_why(EINVAL, n, why, "invalid domain name '%.32s...'",
				name);
	}
	if (strchr(name, '/'))
		return fail_why(EINVAL, n, "it cannot contain '/'",
				"invalid domain name '%s'", name);
	if (name[0] == '-')
		return fail_why(EINVAL, n, "it cannot start with '-'",
				"invalid domain name '%s'", name);
	for (c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(why, sizeof(why), "it contains control character 0x%02x",
				 (unsigned char)*c);
			return fail_why(EINVAL, n, why, "invalid domain name");
		}
	memcpy(p->d->name, name, len + 1);
	return 0;
}

static int parse_uuid(struct parser *p, xmlNodePtr n)
{
	_free_ char *s = NULL;
	int err;

	if (!n) {
		err = kestrel_uuid_generate(p->d->uuid);
		p->d->uuid_generated = !err;
		return err;
	}
	err = leaf_token(n, NULL, &s);
	if (err)
		return err;
	if (kestrel_uuid_parse(s, p->d->uuid))
		return fail_why(EINVAL, n, "want 8-4-4-4-12 or 32 hex digits",
				"invalid UUID '%.40s'", s);
	return 0;
}

static int parse_title(struct parser *p, xmlNodePtr n)
{
	char *s;
	int err;

	err = leaf_text(n, NULL, &s);
	if (err)
		return err;
	if (strchr(s, '\n') || strchr(s, '\r')) {
		free(s);
		return fail_why(EINVAL, n, "use <description> for more than one line",
				"<title> contains a line break");
	}
	if (!s[0]) {		/* libvirt reads an empty title as none */
		free(s);
		return 0;
	}
	p->d->title = s;
	return 0;
}

static int parse_description(struct parser *p, xmlNodePtr n)
{
	char *s;
	int err;

	err = leaf_text(n, NULL, &s);
	if (err)
		return err;
	if (!s[0]) {
		free(s);
		return 0;
	}
	p->d->description = s;
	return 0;
}

/* ---- memory ---- */

/*
 * libvirt's units (virScaleInteger): b, byte, bytes; k, m, g, t, p, e
 * alone or with "iB" (powers of 1024) or "B" (powers of 1000); any case.
 */
static int unit_scale(const char *u, uint64_t *scale)
{
	static const char order[] = "kmgtpe";
	const char *pos;
	uint64_t base, s = 1;
	ptrdiff_t i;

	if (!strcasecmp(u, "b") || !strcasecmp(u, "byte") ||
	    !strcasecmp(u, "bytes")) {
		*scale = 1;
		return 0;
	}
	if (!u[0])
		return -EINVAL;
	pos = strchr(order, u[0] | 0x20);
	if (!pos)
		return -EINVAL;
	if (!u[1] || !strcasecmp(u + 1, "iB"))
		base = 1024;
	else if (!strcasecmp(u + 1, "B"))
		base = 1000;
	else
		return -EINVAL;
	for (i = 0; i <= pos - order; i++)
		s *= base;
	*scale = s;
	return 0;
}

/*
 * A libvirt scaled integer (<memory unit='MiB'>512</memory>, KiB when no
 * unit is given) in KiB, rounded up to whole 4 KiB pages as libvirt
 * rounds memory up to what the hypervisor can allocate.
 */
static int parse_memory_kib(xmlNodePtr n, uint64_t *kib)
{
	static const char *const attrs[] = { "unit", NULL };
	_xfree_ xmlChar *unit = NULL;
	_free_ char *text = NULL;
	uint64_t value, scale = 1024, bytes, pages;
	const char *ename = (const char *)n->name;
	int err;

	err = get_attr(n, "unit", &unit) ?: leaf_token(n, attrs, &text);
	if (err)
		return err;
	if (unit && unit_scale((const char *)unit, &scale))
		return fail_why(EINVAL, n, "use b, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000)",
				"unknown unit '%.16s' of <%s>",
				(const char *)unit, ename);
	err = parse_u64(text, &value);
	if (err == -EINVAL)
		return fail_why(EINVAL, n, "not a number",
				"invalid size '%.32s' in <%s>", text, ename);
	if (err || (scale > 1 && value > UINT64_MAX / scale))
		return fail_at(ERANGE, n, "size %.32s %s in <%s> is too large",
			       text, unit ? (const char *)unit : "KiB", ename);
	bytes = value * scale;
	pages = bytes / (KESTREL_DOMXML_PAGE_KIB * 1024) +
		!!(bytes % (KESTREL_DOMXML_PAGE_KIB * 1024));
	*kib = pages * KESTREL_DOMXML_PAGE_KIB;
	return 0;
}

static int parse_memory(struct parser *p, xmlNodePtr mem, xmlNodePtr cur)
{
	struct kestrel_domxml *d = p->d;
	int err;

	err = parse_memory_kib(mem, &d->memory_kib);
	if (err)
		return err;
	if (d->memory_kib < KESTREL_DOMXML_MEMORY_MIN_KIB ||
	    d->memory_kib > KESTREL_DOMXML_MEMORY_MAX_KIB)
		return fail_why(ERANGE, mem, "Kestrel runs guests of 2048 KiB (2 MiB) to 1073741824 KiB (1 TiB)",
				"<memory> of %llu KiB is out of range",
				(unsigned long long)d->memory_kib);
	d->current_memory_kib = d->memory_kib;
	if (!cur)
		return 0;
	err = parse_memory_kib(cur, &d->current_memory_kib);
	if (err)
		return err;
	if (d->current_memory_kib > d->memory_kib)
		return fail_at(ERANGE, cur, "<currentMemory> of %llu KiB is larger than <memory> of %llu KiB",
			       (unsigned long long)d->current_memory_kib,
			       (unsigned long long)d->memory_kib);
	if (d->current_memory_kib < KESTREL_DOMXML_MEMORY_MIN_KIB)
		return fail_why(ERANGE, cur, "Kestrel runs guests of at least 2048 KiB (2 MiB)",
				"<currentMemory> of %llu KiB is out of range",
				(unsigned long long)d->current_memory_kib);
	return 0;
}

/* ---- vcpu, cputune ---- */

static int parse_vcpu(struct parser *p, xmlNodePtr n)
{
	static const char *const attrs[] = { "placement", "current", NULL };
	struct kestrel_domxml *d = p->d;
	_xfree_ xmlChar *placement = NULL, *current = NULL;
	_free_ char *text = NULL;
	int err;

	if (!n)
		return 0;	/* libvirt's default: one vCPU */
	err = leaf_token(n, attrs, &text) ?:
	      get_attr(n, "placement", &placement) ?:
	      get_attr(n, "current", &current);
	if (err)
		return err;
	if (placement) {
		if (!strcmp((const char *)placement, "static"))
			d->placement = KESTREL_DOMXML_PLACEMENT_STATIC;
		else if (!strcmp((const char *)placement, "auto"))
			d->placement = KESTREL_DOMXML_PLACEMENT_AUTO;
		else
			return fail_why(EINVAL, n, "want 'static' or 'auto'",
					"unsupported value '%.32s' of attribute 'placement' of <vcpu>",
					(const char *)placement);
	}
	err = parse_uint_in(n, "<vcpu>", text, 1,
			    KESTREL_MAX_VCPUS, &d->vcpus);
	if (err)
		return err;
	d->vcpus_current = d->vcpus;
	if (current)
		return parse_uint_in(n, "attribute 'current' of <vcpu>",
				     (const char *)current, 1, d->vcpus,
				     &d->vcpus_current);
	return 0;
}

static int cmp_pin(const void *a, const void *b)
{
	const struct kestrel_domxml_vcpupin *x = a, *y = b;

	return (x->vcpu > y->vcpu) - (x->vcpu < y->vcpu);
}

static int parse_vcpupin(struct parser *p, xmlNodePtr n)
{
	static const char *const attrs[] = { "vcpu", "cpuset", NULL };
	struct kestrel_domxml *d = p->d;
	struct kestrel_domxml_vcpupin *pin;
	_xfree_ xmlChar *vcpu = NULL, *cpuset = NULL;
	unsigned int i, v;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "vcpu", &vcpu) ?:
	      require_attr(n, "cpuset", &cpuset);
	if (err)
		return err;
	err = parse_uint_in(n, "attribute 'vcpu' of <vcpupin>",
			    (const char *)vcpu, 0, UINT32_MAX, &v);
	if (err)
		return err;
	if (v >= d->vcpus) {
		char why[64];

		snprintf(why, sizeof(why), "the domain has %u vCPUs (0-%u)",
			 d->vcpus, d->vcpus - 1);
		return fail_why(ERANGE, n, why, "<vcpupin> vcpu='%u' is out of range",
				v);
	}
	for (i = 0; i < d->nr_vcpupins; i++)
		if (d->vcpupins[i].vcpu == v)
			return fail_at(EINVAL, n, "duplicate <vcpupin> for vcpu %u",
				       v);
	pin = &d->vcpupins[d->nr_vcpupins];
	err = kestrel_cpuset_parse((const char *)cpuset, &pin->cpuset);
	if (err)
		return wrap_error(err, n);
	if (kestrel_cpuset_empty(&pin->cpuset))
		return fail_at(EINVAL, n, "<vcpupin> cpuset '%.64s' selects no CPU",
			       (const char *)cpuset);
	pin->vcpu = v;
	d->nr_vcpupins++;
	return 0;
}

static int parse_cputune(struct parser *p, xmlNodePtr n)
{
	xmlNodePtr c;
	int err;

	if (!n)
		return 0;
	err = check_attrs(n, NULL) ?: check_text(n);
	if (err)
		return err;
	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_elem(c, "vcpupin"))
			return unsupported_element(c);
		err = parse_vcpupin(p, c);
		if (err)
			return err;
	}
	qsort(p->d->vcpupins, p->d->nr_vcpupins, sizeof(p->d->vcpupins[0]),
	      cmp_pin);
	return 0;
}

/* ---- os ---- */

/* libvirt's schema pattern for the machine type. */
static bool machine_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		      *s == '-'))
			return false;
	return true;
}

static int parse_os_type(struct parser *p, xmlNodePtr n)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	_xfree_ xmlChar *arch = NULL, *machine = NULL;
	_free_ char *type = NULL;
	int err;

	err = leaf_token(n, attrs, &type) ?: get_attr(n, "arch", &arch) ?:
	      get_attr(n, "machine", &machine);
	if (err)
		return err;
	if (strcmp(type, "hvm"))
		return fail_why(EINVAL, n, "Kestrel runs 'hvm' guests",
				"unsupported OS type '%.32s' in <type>", type);
	if (arch && strcmp((const char *)arch, "x86_64"))
		return fail_why(EINVAL, n, "Kestrel runs x86_64 guests",
				"unsupported value '%.32s' of attribute 'arch' of <type>",
				(const char *)arch);
	if (machine) {
		if (!machine_ok((const char *)machine))
			return fail_why(EINVAL, n, "want letters, digits, '_', '.' and '-'",
					"invalid value '%.32s' of attribute 'machine' of <type>",
					(const char *)machine);
		p->d->machine = strdup((const char *)machine);
		if (!p->d->machine)
			return no_memory();
	}
	return 0;
}

/* <kernel> and <initrd>: absolute paths (libvirt's schema wants them). */
static int parse_path(xmlNodePtr n, char **out)
{
	char *s;
	int err;

	err = leaf_text(n, NULL, &s);
	if (err)
		return err;
	if (s[0] != '/') {
		err = s[0] ? fail_at(EINVAL, n, "<%s> path '%.64s' is not absolute",
				     (const char *)n->name, s) :
			     fail_at(EINVAL, n, "empty <%s>", (const char *)n->name);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

static int parse_os(struct parser *p, xmlNodePtr os, xmlNodePtr dom)
{
	enum { TYPE, KERNEL, INITRD, CMDLINE, N };
	static const char *const names[N] = { "type", "kernel", "initrd",
					      "cmdline" };
	struct kestrel_domxml *d = p->d;
	xmlNodePtr el[N];
	int err;

	if (!os)
		return fail_at(EINVAL, dom, "missing element <os> in <domain>");
	err = check_attrs(os, NULL) ?: collect(os, names, N, el);
	if (err)
		return err;
	if (!el[TYPE])
		return fail_at(EINVAL, os, "missing element <type> in <os>");
	err = parse_os_type(p, el[TYPE]);
	if (!err && el[KERNEL])
		err = parse_path(el[KERNEL], &d->kernel);
	if (!err && el[INITRD])
		err = parse_path(el[INITRD], &d->initrd);
	if (!err && el[CMDLINE]) {
		err = leaf_text(el[CMDLINE], NULL, &d->cmdline);
		if (!err && !d->cmdline[0]) {	/* as libvirt: none */
			free(d->cmdline);
			d->cmdline = NULL;
		}
	}
	if (err)
		return err;
	if (!d->kernel && el[INITRD])
		return fail_why(EINVAL, el[INITRD], "Kestrel boots a kernel directly",
				"<initrd> without a <kernel>");
	if (!d->kernel && el[CMDLINE])
		return fail_why(EINVAL, el[CMDLINE], "Kestrel boots a kernel directly",
				"<cmdline> without a <kernel>");
	return 0;
}

/* ---- features, cpu, clock ---- */

static int parse_features(struct parser *p, xmlNodePtr n)
{
	enum { ACPI, APIC, N };
	static const char *const names[N] = { "acpi", "apic" };
	xmlNodePtr el[N];
	int err, i;

	if (!n)
		return 0;
	err = check_attrs(n, NULL) ?: collect(n, names, N, el);
	for (i = 0; !err && i < N; i++)
		if (el[i])
			err = check_attrs(el[i], NULL) ?: check_empty(el[i]);
	if (err)
		return err;
	p->d->acpi = el[ACPI];
	p->d->apic = el[APIC];
	return 0;
}

static int parse_topology(struct parser *p, xmlNodePtr n)
{
	static const char *const attrs[] = { "sockets", "dies", "cores",
					     "threads", NULL };
	struct kestrel_domxml *d = p->d;
	_xfree_ xmlChar *sockets = NULL, *dies = NULL, *cores = NULL,
		*threads = NULL;
	uint64_t vcpus;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "sockets", &sockets) ?:
	      get_attr(n, "dies", &dies) ?:
	      require_attr(n, "cores", &cores) ?:
	      require_attr(n, "threads", &threads);
	if (err)
		return err;
	d->dies = 1;
	err = parse_uint_in(n, "attribute 'sockets' of <topology>",
			    (const char *)sockets, 1, KESTREL_MAX_VCPUS,
			    &d->sockets) ?:
	      (dies ? parse_uint_in(n, "attribute 'dies' of <topology>",
				    (const char *)dies, 1, KESTREL_MAX_VCPUS,
				    &d->dies) : 0) ?:
	      parse_uint_in(n, "attribute 'cores' of <topology>",
			    (const char *)cores, 1, KESTREL_MAX_VCPUS,
			    &d->cores) ?:
	      parse_uint_in(n, "attribute 'threads' of <topology>",
			    (const char *)threads, 1, KESTREL_MAX_VCPUS,
			    &d->threads);
	if (err)
		return err;
	vcpus = (uint64_t)d->sockets * d->dies * d->cores * d->threads;
	if (vcpus != d->vcpus)
		return fail_at(EINVAL, n, "<topology> of %llu vCPUs (sockets %u * dies %u * cores %u * threads %u) does not match the %u of <vcpu>",
			       (unsigned long long)vcpus, d->sockets, d->dies,
			       d->cores, d->threads, d->vcpus);
	d->has_topology = true;
	return 0;
}

static int parse_cpu(struct parser *p, xmlNodePtr n)
{
	static const char *const attrs[] = { "mode", NULL };
	static const char *const names[] = { "topology" };
	_xfree_ xmlChar *mode = NULL;
	xmlNodePtr topology;
	int err;

	if (!n)
		return 0;
	/* The mode first: with 'custom' come attributes of its own. */
	err = get_attr(n, "mode", &mode);
	if (err)
		return err;
	if (!mode)
		p->d->cpu_mode = KESTREL_DOMXML_CPU_DEFAULT;
	else if (!strcmp((const char *)mode, "host-passthrough"))
		p->d->cpu_mode = KESTREL_DOMXML_CPU_HOST_PASSTHROUGH;
	else if (!strcmp((const char *)mode, "host-model"))
		p->d->cpu_mode = KESTREL_DOMXML_CPU_HOST_MODEL;
	else if (!strcmp((const char *)mode, "custom"))
		return fail_why(EINVAL, n, "use 'host-passthrough' or 'host-model'",
				"<cpu> mode 'custom' (a named CPU model) is not supported yet");
	else
		return fail_why(EINVAL, n, "want 'host-passthrough' or 'host-model'",
				"unsupported value '%.32s' of attribute 'mode' of <cpu>",
				(const char *)mode);
	err = check_attrs(n, attrs) ?: collect(n, names, 1, &topology);
	if (err)
		return err;
	return topology ? parse_topology(p, topology) : 0;
}

static int parse_clock(struct parser *p, xmlNodePtr n)
{
	static const char *const attrs[] = { "offset", NULL };
	_xfree_ xmlChar *offset = NULL;
	int err;

	if (!n)
		return 0;
	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "offset", &offset);
	if (err)
		return err;
	if (!strcmp((const char *)offset, "utc"))
		p->d->clock_offset = KESTREL_DOMXML_CLOCK_UTC;
	else if (!strcmp((const char *)offset, "localtime"))
		p->d->clock_offset = KESTREL_DOMXML_CLOCK_LOCALTIME;
	else
		return fail_why(EINVAL, n, "want 'utc' or 'localtime'",
				"unsupported value '%.32s' of attribute 'offset' of <clock>",
				(const char *)offset);
	return 0;
}

/* ---- lifecycle ---- */

static int parse_lifecycle(xmlNodePtr n, bool crash,
			   enum kestrel_domxml_lifecycle *out)
{
	static const enum kestrel_domxml_lifecycle all[] = {
		KESTREL_DOMXML_LIFECYCLE_DESTROY,
		KESTREL_DOMXML_LIFECYCLE_RESTART,
		KESTREL_DOMXML_LIFECYCLE_PRESERVE,
		KESTREL_DOMXML_LIFECYCLE_RENAME_RESTART,
		KESTREL_DOMXML_LIFECYCLE_COREDUMP_DESTROY,
		KESTREL_DOMXML_LIFECYCLE_COREDUMP_RESTART,
	};
	_free_ char *s = NULL;
	const char *ename;
	size_t i, known;
	int err;

	if (!n)
		return 0;
	ename = (const char *)n->name;
	err = leaf_token(n, NULL, &s);
	if (err)
		return err;
	/* coredump-* are libvirt's for on_crash only. */
	known = crash ? 6 : 4;
	for (i = 0; i < known; i++)
		if (!strcmp(s, kestrel_domxml_lifecycle_name(all[i])))
			break;
	if (i == known)
		return fail_why(EINVAL, n,
				crash ? "want destroy, restart, preserve, rename-restart, coredump-destroy or coredump-restart" :
					"want destroy, restart, preserve or rename-restart",
				"invalid value '%.32s' of <%s>", s, ename);
	if (i >= 3)
		return fail_why(EINVAL, n, "Kestrel can destroy, restart or preserve",
				"<%s> action '%s' is not supported", ename, s);
	*out = all[i];
	return 0;
}

/* ---- devices ---- */

/* <target> of <serial> or <console>: port 0 (the one UART). */
static int parse_char_target(xmlNodePtr n, const char *parent,
			     const char *type_ok)
{
	static const char *const attrs[] = { "type", "port", NULL };
	_xfree_ xmlChar *type = NULL, *port = NULL;
	xmlNodePtr c;
	unsigned int v;
	int err;

	err = check_attrs(n, attrs) ?: get_attr(n, "type", &type) ?:
	      get_attr(n, "port", &port) ?: check_text(n);
	if (err)
		return err;
	if (type && strcmp((const char *)type, type_ok)) {
		char why[64];

		snprintf(why, sizeof(why), "Kestrel has '%s'", type_ok);
		return fail_why(EINVAL, n, why,
				"unsupported <%s> target type '%.32s'",
				parent, (const char *)type);
	}
	if (port) {
		err = parse_uint_in(n, "attribute 'port' of <target>",
				    (const char *)port, 0, UINT32_MAX, &v);
		if (err)
			return err;
		if (v != 0)
			return fail_why(EINVAL, n, "Kestrel has one serial port, port 0",
					"unsupported <%s> target port %u",
					parent, v);
	}
	/* libvirt writes <model name='isa-serial'/> for the serial port. */
	for (c = n->children; c; c = c->next) {
		_xfree_ xmlChar *model = NULL;
		static const char *const model_attrs[] = { "name", NULL };

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(parent, "serial") || !is_elem(c, "model"))
			return unsupported_element(c);
		err = check_attrs(c, model_attrs) ?: check_empty(c) ?:
		      require_attr(c, "name", &model);
		if (err)
			return err;
		if (strcmp((const char *)model, "isa-serial"))
			return fail_why(EINVAL, c, "Kestrel has an 'isa-serial' UART",
					"unsupported serial model '%.32s'",
					(const char *)model);
	}
	return 0;
}

/* <serial type='pty'> and <console type='pty'>: the UART console stream. */
static int parse_chardev(xmlNodePtr n, const char *target_type)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const names[] = { "target" };
	const char *ename = (const char *)n->name;
	_xfree_ xmlChar *type = NULL;
	xmlNodePtr target;
	int err;

	err = check_attrs(n, attrs) ?: require_attr(n, "type", &type);
	if (err)
		return err;
	if (strcmp((const char *)type, "pty"))
		return fail_why(EINVAL, n, "Kestrel has type 'pty'",
				"unsupported <%s> type '%.32s'", ename,
				(const char *)type);
	err = collect(n, names, 1, &target);
	if (err)
		return err;
	return target ? parse_char_target(target, ename, target_type) : 0;
}

/*
 * A number of a PCI <address>, as libvirt reads them (strtoul base 0):
 * "0x1f", "31", "037".  -EINVAL if it is not one.
 */
static int parse_pci_number(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 0);
	if (errno || *end || end == s)
		return -EINVAL;
	return 0;
}

/*
 * <address type='pci' domain='0x0000' bus='0x00' slot='0xNN'
 * function='0x0'/>: bus 0 of domain 0, function 0, slot 1..31.
 */
static int parse_pci_address(xmlNodePtr n, unsigned int *slot)
{
	static const char *const attrs[] = { "type", "domain", "bus", "slot",
					     "function", NULL };
	static const char *const fields[] = { "domain", "bus", "function" };
	_xfree_ xmlChar *type = NULL, *s = NULL;
	unsigned long v;
	size_t i;
	int err;

	/* The type first: the other types come with attributes of their own. */
	err = require_attr(n, "type", &type);
	if (err)
		return err;
	if (strcmp((const char *)type, "pci"))
		return fail_why(EINVAL, n, "Kestrel's devices are on PCI, type 'pci'",
				"unsupported <address> type '%.32s'",
				(const char *)type);
	err = check_attrs(n, attrs) ?: check_empty(n);
	if (err)
		return err;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		_xfree_ xmlChar *f = NULL;

		err = get_attr(n, fields[i], &f);
		if (err)
			return err;
		if (!f)
			continue;
		if (parse_pci_number((const char *)f, &v))
			return fail_why(EINVAL, n, "not a number",
					"invalid value '%.32s' of attribute '%s' of <address>",
					(const char *)f, fields[i]);
		if (v)
			return fail_why(EINVAL, n, "Kestrel has one PCI bus, domain 0 bus 0, and single-function devices",
					"unsupported PCI %s '%.32s' in <address>",
					fields[i], (const char *)f);
	}
	err = require_attr(n, "slot", &s);
	if (err)
		return err;
	if (parse_pci_number((const char *)s, &v))
		return fail_why(EINVAL, n, "not a number",
				"invalid value '%.32s' of attribute 'slot' of <address>",
				(const char *)s);
	if (v < 1 || v > KESTREL_PCI_MAX_SLOT)
		return fail_why(ERANGE, n, "want 0x01..0x1f",
				"PCI slot '%.32s' in <address> is out of range",
				(const char *)s);
	*slot = (unsigned int)v;
	return 0;
}

/* ---- disk ---- */

/* <driver name='qemu' type='raw' cache='none' io='native' queues='N'/> */
static int parse_disk_driver(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "name", "type", "cache", "io",
					     "queues", NULL };
	static const char *const caches[] = { "default", "none", "writethrough",
					      "writeback", "directsync",
					      "unsafe" };
	static const char *const ios[] = { NULL, "native", "threads",
					   "io_uring" };
	_xfree_ xmlChar *name = NULL, *type = NULL, *cache = NULL, *io = NULL,
			*queues = NULL;
	unsigned int i;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      get_attr(n, "name", &name) ?: get_attr(n, "type", &type) ?:
	      get_attr(n, "cache", &cache) ?: get_attr(n, "io", &io) ?:
	      get_attr(n, "queues", &queues);
	if (err)
		return err;
	if (name && !strcmp((const char *)name, "qemu"))
		dev->disk.driver = KESTREL_DOMXML_DISK_DRIVER_QEMU;
	else if (name && !strcmp((const char *)name, "kestrel"))
		dev->disk.driver = KESTREL_DOMXML_DISK_DRIVER_KESTREL;
	else if (name)
		return fail_why(EINVAL, n, "want 'qemu' or 'kestrel' (both mean the module's virtio-blk)",
				"unsupported <driver> name '%.32s' of <disk>",
				(const char *)name);
	if (type && strcmp((const char *)type, "raw"))
		return fail_why(EINVAL, n, "Kestrel serves raw images only (convert with qemu-img convert -O raw)",
				"unsupported disk format '%.32s' in <driver>",
				(const char *)type);
	if (cache) {
		for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
			if (!strcmp((const char *)cache, caches[i]))
				break;
		if (i == sizeof(caches) / sizeof(caches[0]))
			return fail_why(EINVAL, n, "want none, writeback, writethrough, directsync, unsafe or default",
					"unsupported value '%.32s' of attribute 'cache' of <driver>",
					(const char *)cache);
		dev->disk.cache = (enum kestrel_domxml_disk_cache)i;
	}
	if (io) {
		for (i = 1; i < sizeof(ios) / sizeof(ios[0]); i++)
			if (!strcmp((const char *)io, ios[i]))
				break;
		if (i == sizeof(ios) / sizeof(ios[0]))
			return fail_why(EINVAL, n, "want native, threads or io_uring",
					"unsupported value '%.32s' of attribute 'io' of <driver>",
					(const char *)io);
		dev->disk.io = (enum kestrel_domxml_disk_io)i;
	}
	if (queues)
		return parse_uint_in(n, "attribute 'queues' of <driver>",
				     (const char *)queues, 1,
				     KESTREL_DOMXML_DISK_QUEUES_MAX,
				     &dev->disk.queues);
	return 0;
}

/* <source file='/abs'/> (type='file') or <source dev='/dev/x'/> (block). */
static int parse_disk_source(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const file_attrs[] = { "file", NULL };
	static const char *const dev_attrs[] = { "dev", NULL };
	bool block = dev->disk.type == KESTREL_DOMXML_DISK_BLOCK;
	const char *attr = block ? "dev" : "file";
	_xfree_ xmlChar *path = NULL;
	int err;

	if (xmlHasNsProp(n, (const xmlChar *)(block ? "file" : "dev"), NULL))
		return fail_why(EINVAL, n, block ?
				"a <disk type='block'> names its device with 'dev'" :
				"a <disk type='file'> names its file with 'file' (type='block' takes 'dev')",
				"unsupported attribute '%s' of <source>",
				block ? "file" : "dev");
	err = check_attrs(n, block ? dev_attrs : file_attrs) ?: check_empty(n) ?:
	      require_attr(n, attr, &path);
	if (err)
		return err;
	if (!path[0])
		return fail_at(EINVAL, n, "empty attribute '%s' of <source>", attr);
	if (path[0] != '/')
		return fail_why(EINVAL, n, "give the full path",
				"<source> path '%.64s' is not absolute",
				(const char *)path);
	dev->disk.source = strdup((const char *)path);
	return dev->disk.source ? 0 : no_memory();
}

/* "vd" and 1..13 lower-case letters. */
static bool valid_target(const char *s)
{
	size_t i, len = strlen(s);

	if (len < 3 || len >= KESTREL_DOMXML_DISK_TARGET_MAX ||
	    strncmp(s, "vd", 2))
		return false;
	for (i = 2; i < len; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/* <target dev='vda' bus='virtio'/> (no bus: virtio, as libvirt reads vd*). */
static int parse_disk_target(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "dev", "bus", NULL };
	_xfree_ xmlChar *tdev = NULL, *bus = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "dev", &tdev) ?: get_attr(n, "bus", &bus);
	if (err)
		return err;
	if (bus && strcmp((const char *)bus, "virtio"))
		return fail_why(EINVAL, n, "Kestrel's disks are virtio-blk, bus 'virtio'",
				"unsupported <disk> bus '%.32s'",
				(const char *)bus);
	if (!valid_target((const char *)tdev))
		return fail_why(EINVAL, n, "want vda, vdb, ... (vd and up to 13 lower-case letters)",
				"invalid target dev '%.32s' of <disk>",
				(const char *)tdev);
	memcpy(dev->disk.target, tdev, strlen((const char *)tdev) + 1);
	return 0;
}

/* libvirt's schema pattern for <serial>: [A-Za-z0-9_.+\- ]+ */
static bool serial_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || strchr("_.+- ", c);
}

static int parse_disk_serial(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	_free_ char *s = NULL;
	size_t i, len;
	int err;

	err = leaf_text(n, NULL, &s);
	if (err)
		return err;
	len = strlen(s);
	if (!len)
		return fail_at(EINVAL, n, "empty <serial> of <disk>");
	if (len > KESTREL_DOMXML_DISK_SERIAL_MAX)
		return fail_why(EINVAL, n, "virtio-blk's serial is at most 20 bytes",
				"<serial> '%.32s' of <disk> is %zu bytes", s, len);
	for (i = 0; i < len; i++)
		if (!s[i] || !serial_char(s[i]))
			return fail_why(EINVAL, n, "want letters, digits, ' ', '_', '.', '+' or '-' (libvirt's set)",
					"invalid character 0x%02x in <serial> of <disk>",
					(unsigned char)s[i]);
	memcpy(dev->disk.serial, s, len + 1);
	return 0;
}

/*
 * <disk type='file|block' device='disk'> with <source>, <target>, and
 * optional <driver>, <readonly/>, <serial>, <address>.
 */
static int parse_disk(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	enum { DRIVER, SOURCE, TARGET, READONLY, SERIAL, ADDRESS, N };
	static const char *const attrs[] = { "type", "device", NULL };
	static const char *const names[N] = { "driver", "source", "target",
					      "readonly", "serial", "address" };
	_xfree_ xmlChar *type = NULL, *device = NULL;
	xmlNodePtr el[N];
	int err;

	memset(dev, 0, sizeof(*dev));
	dev->type = KESTREL_DEV_BLOCK;
	err = get_attr(n, "type", &type) ?: get_attr(n, "device", &device);
	if (err)
		return err;
	if (!type || !strcmp((const char *)type, "file"))
		dev->disk.type = KESTREL_DOMXML_DISK_FILE;
	else if (!strcmp((const char *)type, "block"))
		dev->disk.type = KESTREL_DOMXML_DISK_BLOCK;
	else
		return fail_why(EINVAL, n, "Kestrel's disks are backed by a local file or block device, type 'file' or 'block'",
				"unsupported <disk> type '%.32s'",
				(const char *)type);
	if (device && strcmp((const char *)device, "disk"))
		return fail_why(EINVAL, n, "Kestrel has virtio-blk disks, device 'disk'",
				"unsupported <disk> device '%.32s'",
				(const char *)device);
	err = check_attrs(n, attrs) ?: collect(n, names, N, el);
	if (err)
		return err;
	if (!el[SOURCE])
		return fail_at(EINVAL, n, "missing element <source> in <disk>");
	if (!el[TARGET])
		return fail_at(EINVAL, n, "missing element <target> in <disk>");
	err = (el[DRIVER] ? parse_disk_driver(el[DRIVER], dev) : 0) ?:
	      parse_disk_target(el[TARGET], dev) ?:
	      (el[READONLY] ? check_attrs(el[READONLY], NULL) ?:
			      check_empty(el[READONLY]) : 0) ?:
	      (el[SERIAL] ? parse_disk_serial(el[SERIAL], dev) : 0) ?:
	      (el[ADDRESS] ? parse_pci_address(el[ADDRESS], &dev->slot) : 0) ?:
	      parse_disk_source(el[SOURCE], dev);
	if (err)
		return err;
	dev->disk.readonly = el[READONLY];
	return 0;
}

/* ---- interface ---- */

/* <mac address='52:54:00:12:34:56'/>: unicast, not all zeros. */
static int parse_net_mac(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "address", NULL };
	static const uint8_t zero[6];
	_xfree_ xmlChar *addr = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "address", &addr);
	if (err)
		return err;
	if (kestrel_mac_parse((const char *)addr, dev->net.mac))
		return fail_why(EINVAL, n, "want six pairs of hex digits separated by ':'",
				"invalid MAC address '%.32s' in <mac>",
				(const char *)addr);
	if (dev->net.mac[0] & 1)
		return fail_at(EINVAL, n, "expected unicast mac address, found multicast '%.32s'",
			       (const char *)addr);
	if (!memcmp(dev->net.mac, zero, sizeof(zero)))
		return fail_at(EINVAL, n, "invalid MAC address '%.32s' in <mac>: it is all zeros",
			       (const char *)addr);
	return 0;
}

/*
 * <source bridge='br0'/> (type='bridge') or <source network='default'/>
 * (type='network'); type='ethernet' takes none.
 */
static int parse_net_source(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const bridge_attrs[] = { "bridge", NULL };
	static const char *const network_attrs[] = { "network", NULL };
	bool bridge = dev->net.type == KESTREL_DOMXML_NET_BRIDGE;
	const char *attr = bridge ? "bridge" : "network";
	_xfree_ xmlChar *v = NULL;
	size_t len;
	int err;

	if (dev->net.type == KESTREL_DOMXML_NET_ETHERNET)
		return fail_why(EINVAL, n, "an ethernet interface is its tap device, named in <target dev=...>",
				"unsupported element <source> in <interface type='ethernet'>");
	err = check_attrs(n, bridge ? bridge_attrs : network_attrs) ?:
	      check_empty(n) ?: require_attr(n, attr, &v);
	if (err)
		return err;
	len = strlen((const char *)v);
	if (bridge && !kestrel_ifname_valid((const char *)v))
		return fail_why(EINVAL, n, "a Linux interface name: 1 to 15 characters, no '/', ':', '%' or blank",
				"invalid bridge name '%.32s' in <source>",
				(const char *)v);
	if (!bridge && (!len || len >= KESTREL_NAME_MAX ||
			strchr((const char *)v, '/')))
		return fail_why(EINVAL, n, "1 to 63 characters, no '/'",
				"invalid network name '%.32s' in <source>",
				(const char *)v);
	memcpy(dev->net.source, v, len + 1);
	return 0;
}

/* <target dev='tap0' managed='no'/> */
static int parse_net_target(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "dev", "managed", NULL };
	_xfree_ xmlChar *tdev = NULL, *managed = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      get_attr(n, "dev", &tdev) ?: get_attr(n, "managed", &managed);
	if (err)
		return err;
	if (managed && !strcmp((const char *)managed, "yes"))
		dev->net.managed = KESTREL_DOMXML_YES;
	else if (managed && !strcmp((const char *)managed, "no"))
		dev->net.managed = KESTREL_DOMXML_NO;
	else if (managed)
		return fail_why(EINVAL, n, "want 'yes' or 'no'",
				"invalid value '%.32s' of attribute 'managed' of <target>",
				(const char *)managed);
	if (dev->net.managed == KESTREL_DOMXML_NO &&
	    dev->net.type != KESTREL_DOMXML_NET_ETHERNET)
		return fail_at(EINVAL, n, "unmanaged target dev is not supported on interfaces of type '%s'",
			       kestrel_domxml_net_type_name(dev->net.type));
	if (dev->net.managed == KESTREL_DOMXML_NO && !tdev)
		return fail_why(EINVAL, n, "the tap must exist already, so give its name",
				"target dev must be supplied when managed='no'");
	if (!tdev)
		return 0;
	if (!kestrel_ifname_valid((const char *)tdev))
		return fail_why(EINVAL, n, "a Linux interface name: 1 to 15 characters, no '/', ':', '%' or blank",
				"invalid target dev '%.32s' of <interface>",
				(const char *)tdev);
	/* As libvirt blanks vnetN: a generated name is generated again. */
	if (dev->net.managed != KESTREL_DOMXML_NO &&
	    !strncmp((const char *)tdev, KESTREL_DOMXML_TAP_PREFIX,
		     strlen(KESTREL_DOMXML_TAP_PREFIX)))
		return 0;
	memcpy(dev->net.target, tdev, strlen((const char *)tdev) + 1);
	return 0;
}

/* <model type='virtio'/> */
static int parse_net_model(xmlNodePtr n)
{
	static const char *const attrs[] = { "type", NULL };
	_xfree_ xmlChar *type = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "type", &type);
	if (err)
		return err;
	if (strcmp((const char *)type, "virtio"))
		return fail_why(EINVAL, n, "Kestrel's interfaces are virtio-net, model 'virtio'",
				"unsupported <interface> model '%.32s'",
				(const char *)type);
	return 0;
}

/* <driver name='vhost' queues='N'/> */
static int parse_net_driver(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "name", "queues", NULL };
	_xfree_ xmlChar *name = NULL, *queues = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      get_attr(n, "name", &name) ?: get_attr(n, "queues", &queues);
	if (err)
		return err;
	if (name && !strcmp((const char *)name, "vhost"))
		dev->net.driver = KESTREL_DOMXML_NET_DRIVER_VHOST;
	else if (name && !strcmp((const char *)name, "qemu"))
		dev->net.driver = KESTREL_DOMXML_NET_DRIVER_QEMU;
	else if (name)
		return fail_why(EINVAL, n, "want 'vhost' or 'qemu' (both mean the module's virtio-net)",
				"unsupported <driver> name '%.32s' of <interface>",
				(const char *)name);
	if (queues)
		return parse_uint_in(n, "attribute 'queues' of <driver>",
				     (const char *)queues, 1,
				     KESTREL_DOMXML_NET_QUEUES_MAX,
				     &dev->net.queues);
	return 0;
}

/* <link state='up|down'/> */
static int parse_net_link(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "state", NULL };
	_xfree_ xmlChar *state = NULL;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "state", &state);
	if (err)
		return err;
	if (!strcmp((const char *)state, "up"))
		dev->net.link = KESTREL_DOMXML_LINK_UP;
	else if (!strcmp((const char *)state, "down"))
		dev->net.link = KESTREL_DOMXML_LINK_DOWN;
	else
		return fail_why(EINVAL, n, "want 'up' or 'down'",
				"invalid value '%.32s' of attribute 'state' of <link>",
				(const char *)state);
	return 0;
}

/*
 * <interface type='ethernet|bridge|network'> with <model type='virtio'/>
 * and optional <mac>, <source> (bridge, network: required), <target>,
 * <driver>, <link>, <address>.  A missing <mac> is generated here, as
 * libvirt does, so that the definition and dumpxml show it.
 */
static int parse_interface(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	enum { MAC, SOURCE, TARGET, MODEL, DRIVER, LINK, ADDRESS, N };
	static const char *const attrs[] = { "type", NULL };
	static const char *const names[N] = { "mac", "source", "target",
					      "model", "driver", "link",
					      "address" };
	_xfree_ xmlChar *type = NULL;
	xmlNodePtr el[N];
	int err;

	memset(dev, 0, sizeof(*dev));
	dev->type = KESTREL_DEV_NET;
	err = check_attrs(n, attrs) ?: require_attr(n, "type", &type);
	if (err)
		return err;
	if (!strcmp((const char *)type, "ethernet"))
		dev->net.type = KESTREL_DOMXML_NET_ETHERNET;
	else if (!strcmp((const char *)type, "bridge"))
		dev->net.type = KESTREL_DOMXML_NET_BRIDGE;
	else if (!strcmp((const char *)type, "network"))
		dev->net.type = KESTREL_DOMXML_NET_NETWORK;
	else
		return fail_why(EINVAL, n, "Kestrel's interfaces are taps: type 'ethernet', 'bridge' or 'network'",
				"unsupported <interface> type '%.32s'",
				(const char *)type);
	err = collect(n, names, N, el);
	if (err)
		return err;
	if (!el[SOURCE] && dev->net.type != KESTREL_DOMXML_NET_ETHERNET)
		return fail_at(EINVAL, n, "missing element <source> in <interface type='%s'>",
			       (const char *)type);
	if (!el[MODEL])
		return fail_why(EINVAL, n, "Kestrel's interfaces are virtio-net: add <model type='virtio'/> (libvirt's default would be an emulated NIC)",
				"missing element <model> in <interface>");
	err = (el[MAC] ? parse_net_mac(el[MAC], dev) : 0) ?:
	      (el[SOURCE] ? parse_net_source(el[SOURCE], dev) : 0) ?:
	      (el[TARGET] ? parse_net_target(el[TARGET], dev) : 0) ?:
	      parse_net_model(el[MODEL]) ?:
	      (el[DRIVER] ? parse_net_driver(el[DRIVER], dev) : 0) ?:
	      (el[LINK] ? parse_net_link(el[LINK], dev) : 0) ?:
	      (el[ADDRESS] ? parse_pci_address(el[ADDRESS], &dev->slot) : 0);
	if (err || el[MAC])
		return err;
	dev->net.mac_generated = true;
	return kestrel_mac_generate(dev->net.mac);
}

/* ---- rng ---- */

/* <rate bytes='N' period='MS'/> */
static int parse_rng_rate(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "bytes", "period", NULL };
	_xfree_ xmlChar *bytes = NULL, *period = NULL;
	unsigned int v;
	int err;

	err = check_attrs(n, attrs) ?: check_empty(n) ?:
	      require_attr(n, "bytes", &bytes) ?:
	      get_attr(n, "period", &period) ?:
	      parse_uint_in(n, "attribute 'bytes' of <rate>",
			    (const char *)bytes, 1, UINT32_MAX, &v);
	if (err)
		return err;
	dev->rng.rate_bytes = v;
	if (!period)
		return 0;
	err = parse_uint_in(n, "attribute 'period' of <rate>",
			    (const char *)period, 1,
			    KESTREL_DOMXML_RNG_PERIOD_MAX, &v);
	if (err)
		return err;
	dev->rng.rate_period = v;
	return 0;
}

/* <backend model='random'>/dev/urandom</backend> or model='builtin'. */
static int parse_rng_backend(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	static const char *const attrs[] = { "model", NULL };
	_xfree_ xmlChar *model = NULL;
	_free_ char *path = NULL;
	int err;

	err = require_attr(n, "model", &model);
	if (err)
		return err;
	if (!strcmp((const char *)model, "egd"))
		return fail_why(EINVAL, n, "Kestrel serves entropy from the host kernel, not from an EGD daemon; use model 'random' or 'builtin'",
				"<rng> backend model 'egd' is not supported");
	if (!strcmp((const char *)model, "builtin")) {
		err = check_attrs(n, attrs) ?: check_empty(n);
		if (err)
			return err;
		dev->rng.backend = KESTREL_DOMXML_RNG_BUILTIN;
		return 0;
	}
	if (strcmp((const char *)model, "random"))
		return fail_why(EINVAL, n, "want 'random' or 'builtin'",
				"unsupported value '%.32s' of attribute 'model' of <backend>",
				(const char *)model);
	err = leaf_text(n, attrs, &path);
	if (err)
		return err;
	if (!strcmp(path, "/dev/urandom"))
		dev->rng.backend = KESTREL_DOMXML_RNG_URANDOM;
	else if (!strcmp(path, "/dev/random"))
		dev->rng.backend = KESTREL_DOMXML_RNG_RANDOM;
	else if (!path[0])
		return fail_why(EINVAL, n, "Kestrel takes /dev/urandom or /dev/random",
				"<backend model='random'> without a path");
	else
		return fail_why(EINVAL, n, "Kestrel takes /dev/urandom or /dev/random, both served from the host kernel's CSPRNG",
				"unsupported <rng> backend '%.64s'", path);
	return 0;
}

/* <rng model='virtio'> with <backend>, optional <rate> and <address>. */
static int parse_rng(xmlNodePtr n, struct kestrel_domxml_device *dev)
{
	enum { BACKEND, RATE, ADDRESS, N };
	static const char *const attrs[] = { "model", NULL };
	static const char *const names[N] = { "backend", "rate", "address" };
	_xfree_ xmlChar *model = NULL;
	xmlNodePtr el[N];
	int err;

	memset(dev, 0, sizeof(*dev));
	dev->type = KESTREL_DEV_RNG;
	err = check_attrs(n, attrs) ?: require_attr(n, "model", &model);
	if (err)
		return err;
	if (strcmp((const char *)model, "virtio"))
		return fail_why(EINVAL, n, "Kestrel has model 'virtio'",
				"unsupported <rng> model '%.32s'",
				(const char *)model);
	err = collect(n, names, N, el);
	if (err)
		return err;
	if (!el[BACKEND])
		return fail_at(EINVAL, n, "missing element <backend> in <rng>");
	return parse_rng_backend(el[BACKEND], dev) ?:
	       (el[RATE] ? parse_rng_rate(el[RATE], dev) : 0) ?:
	       (el[ADDRESS] ? parse_pci_address(el[ADDRESS], &dev->slot) : 0);
}

/* Whether <console> @n has a <target type='virtio'>: the virtio console. */
static bool console_is_virtio(xmlNodePtr n)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next) {
		_xfree_ xmlChar *type = NULL;

		if (!is_elem(c, "target"))
			continue;
		type = xmlGetNoNsProp(c, (const xmlChar *)"type");
		return type && !strcmp((const char *)type, "virtio");
	}
	return false;
}

/*
 * <console type='pty'><target type='virtio' port='N'/> with an optional
 * PCI <address>: the virtio console (hvc0).  The port is checked by the
 * caller (0, or 1 after the UART's console, as libvirt numbers them).
 */
static int parse_virtio_console(xmlNodePtr n, struct kestrel_domxml_device *dev,
				unsigned int *port)
{
	enum { TARGET, ADDRESS, N };
	static const char *const attrs[] = { "type", NULL };
	static const char *const target_attrs[] = { "type", "port", NULL };
	static const char *const names[N] = { "target", "address" };
	_xfree_ xmlChar *type = NULL, *p = NULL;
	xmlNodePtr el[N];
	int err;

	memset(dev, 0, sizeof(*dev));
	dev->type = KESTREL_DEV_CONSOLE;
	*port = 0;
	err = check_attrs(n, attrs) ?: require_attr(n, "type", &type);
	if (err)
		return err;
	if (strcmp((const char *)type, "pty"))
		return fail_why(EINVAL, n, "Kestrel's virtio console has type 'pty', on the domain's console stream",
				"unsupported virtio <console> type '%.32s'",
				(const char *)type);
	err = collect(n, names, N, el) ?:
	      check_attrs(el[TARGET], target_attrs) ?: check_empty(el[TARGET]) ?:
	      get_attr(el[TARGET], "port", &p);
	if (err)
		return err;
	if (p) {
		err = parse_uint_in(el[TARGET], "attribute 'port' of <target>",
				    (const char *)p, 0, UINT32_MAX, port);
		if (err)
			return err;
	}
	return el[ADDRESS] ? parse_pci_address(el[ADDRESS], &dev->slot) : 0;
}

/*
 * Check the explicit PCI slots and give the devices without an address
 * the lowest free ones, as libvirt does: interfaces first, then disks,
 * then rngs, each in the model's order; the virtio console last.
 */
static int assign_slots(struct kestrel_domxml *d, xmlNodePtr *nodes)
{
	static const enum kestrel_dev_type pass[] = {
		KESTREL_DEV_NET, KESTREL_DEV_BLOCK, KESTREL_DEV_RNG,
		KESTREL_DEV_CONSOLE,
	};
	xmlNodePtr owner[KESTREL_PCI_MAX_SLOT + 1] = { NULL };
	unsigned int i, p, slot = 1;

	for (i = 0; i < d->nr_devices; i++) {
		unsigned int s = d->devices[i].slot;

		if (!s)
			continue;
		if (owner[s]) {
			/* Named in document order (disks were sorted first). */
			xmlNodePtr a = owner[s], b = nodes[i];

			if (line_of(a) > line_of(b)) {
				a = nodes[i];
				b = owner[s];
			}
			return kestrel_fail(EINVAL, "PCI slot 0x%02x of <%s> at line %ld is already taken by <%s> at line %ld",
					    s, (const char *)b->name, line_of(b),
					    (const char *)a->name, line_of(a));
		}
		owner[s] = nodes[i];
	}
	for (p = 0; p < sizeof(pass) / sizeof(pass[0]); p++)
		for (i = 0; i < d->nr_devices; i++) {
			if (d->devices[i].slot || d->devices[i].type != pass[p])
				continue;
			while (slot <= KESTREL_PCI_MAX_SLOT && owner[slot])
				slot++;
			if (slot > KESTREL_PCI_MAX_SLOT)	/* not with 16 devices */
				return fail_at(ERANGE, nodes[i], "no free PCI slot for <%s>",
					       (const char *)nodes[i]->name);
			owner[slot] = nodes[i];
			d->devices[i].slot = slot;
		}
	return 0;
}

/* The model's order of device types: disks, interfaces, rngs, console. */
static int type_rank(enum kestrel_dev_type t)
{
	return t == KESTREL_DEV_BLOCK ? 0 : t == KESTREL_DEV_NET ? 1 :
	       t == KESTREL_DEV_RNG ? 2 : 3;
}

/* Disks first, by target dev: vdz < vdaa, as libvirt sorts; then by type. */
static int device_order(const struct kestrel_domxml_device *a,
			const struct kestrel_domxml_device *b)
{
	size_t la, lb;

	if (a->type != b->type)
		return type_rank(a->type) - type_rank(b->type);
	if (a->type != KESTREL_DEV_BLOCK)
		return 0;
	la = strlen(a->disk.target);
	lb = strlen(b->disk.target);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->disk.target, b->disk.target);
}

/* Two interfaces may not share a tap name or a MAC address. */
static int check_interfaces(const struct kestrel_domxml *d, xmlNodePtr *nodes)
{
	unsigned int i, j;
	char mac[18];

	for (i = 0; i < d->nr_devices; i++) {
		const struct kestrel_domxml_device *a = &d->devices[i];

		if (a->type != KESTREL_DEV_NET)
			continue;
		for (j = i + 1; j < d->nr_devices; j++) {
			const struct kestrel_domxml_device *b = &d->devices[j];

			if (b->type != KESTREL_DEV_NET)
				continue;
			if (a->net.target[0] &&
			    !strcmp(a->net.target, b->net.target))
				return kestrel_fail(EINVAL, "duplicate target dev '%s' of <interface> at line %ld (the first is at line %ld)",
						    a->net.target, line_of(nodes[j]),
						    line_of(nodes[i]));
			if (!memcmp(a->net.mac, b->net.mac, sizeof(a->net.mac)))
				return kestrel_fail(EINVAL, "duplicate MAC address '%s' of <interface> at line %ld (the first is at line %ld)",
						    kestrel_mac_format(a->net.mac, mac),
						    line_of(nodes[j]), line_of(nodes[i]));
		}
	}
	return 0;
}

/*
 * Put the devices in the model's order (a stable insertion sort, with
 * their nodes), refusing a target dev used twice.
 */
static int order_devices(struct kestrel_domxml *d, xmlNodePtr *nodes)
{
	struct kestrel_domxml_device tmp;
	unsigned int i, j;
	xmlNodePtr node;

	for (i = 1; i < d->nr_devices; i++) {
		tmp = d->devices[i];
		node = nodes[i];
		for (j = i; j > 0; j--) {
			int c = device_order(&d->devices[j - 1], &tmp);

			if (c == 0 && tmp.type == KESTREL_DEV_BLOCK) {
				xmlNodePtr first = nodes[j - 1], second = node;

				if (line_of(first) > line_of(second)) {
					first = node;
					second = nodes[j - 1];
				}
				/* Fill the hole: each source is held once. */
				d->devices[j] = tmp;
				return kestrel_fail(EINVAL, "duplicate target dev '%s' of <disk> at line %ld (the first is at line %ld)",
						    tmp.disk.target,
						    line_of(second),
						    line_of(first));
			}
			if (c <= 0)
				break;
			d->devices[j] = d->devices[j - 1];
			nodes[j] = nodes[j - 1];
		}
		d->devices[j] = tmp;
		nodes[j] = node;
	}
	return 0;
}

static int parse_devices(struct parser *p, xmlNodePtr n)
{
	xmlNodePtr c, serial = NULL, console = NULL, vconsole = NULL;
	xmlNodePtr nodes[KESTREL_MAX_DEVICES];
	struct kestrel_domxml *d = p->d;
	unsigned int vport = 0;
	int err;

	if (!n)
		return 0;
	err = check_attrs(n, NULL) ?: check_text(n);
	if (err)
		return err;
	for (c = n->children; c; c = c->next) {
		xmlNodePtr *seen;
		bool disk, net, vcon;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		disk = is_elem(c, "disk");
		net = is_elem(c, "interface");
		vcon = is_elem(c, "console") && console_is_virtio(c);
		if (vcon && vconsole)
			return kestrel_fail(EINVAL, "a second virtio <console> at line %ld (the first is at line %ld): Kestrel has one virtio console",
					    line_of(c), line_of(vconsole));
		if (disk || net || vcon || is_elem(c, "rng")) {
			struct kestrel_domxml_device *dev;

			if (d->nr_devices == KESTREL_MAX_DEVICES)
				return fail_why(ERANGE, c, "Kestrel has at most 16 devices",
						"a 17th device <%s>",
						(const char *)c->name);
			dev = &d->devices[d->nr_devices];
			err = disk ? parse_disk(c, dev) :
			      net ? parse_interface(c, dev) :
			      vcon ? parse_virtio_console(c, dev, &vport) :
			      parse_rng(c, dev);
			if (err) {
				if (disk)
					free(dev->disk.source);
				memset(dev, 0, sizeof(*dev));
				return err;
			}
			if (vcon)
				vconsole = c;
			nodes[d->nr_devices++] = c;
			continue;
		}
		if (is_elem(c, "serial"))
			seen = &serial;
		else if (is_elem(c, "console"))
			seen = &console;
		else
			return unsupported_element(c);
		if (*seen)
			return kestrel_fail(EINVAL, "a second <%s> at line %ld (the first is at line %ld): Kestrel has one serial port",
					    (const char *)c->name, line_of(c),
					    line_of(*seen));
		err = parse_chardev(c, seen == &serial ? "isa-serial" : "serial");
		if (err)
			return err;
		*seen = c;
	}
	/* As libvirt: a serial port gets its console alias and vice versa. */
	d->serial = d->console = serial || console;
	/*
	 * libvirt numbers the consoles in order, the UART's alias first: the
	 * virtio console is port 0 alone, port 1 after it (0 is taken too).
	 */
	if (vconsole && vport > (d->console ? 1U : 0U)) {
		xmlNodePtr t;

		for (t = vconsole->children; !is_elem(t, "target"); t = t->next)
			;
		return fail_why(EINVAL, t, d->console ? "Kestrel has one virtio console, port 0 (or 1, after the serial console)" :
				"Kestrel has one virtio console, port 0",
				"unsupported virtio <console> target port %u",
				vport);
	}
	return order_devices(d, nodes) ?: check_interfaces(d, nodes) ?:
	       assign_slots(d, nodes);
}

/* ---- the document ---- */

enum {
	E_NAME, E_UUID, E_TITLE, E_DESCRIPTION, E_MEMORY, E_CURRENT_MEMORY,
	E_VCPU, E_CPUTUNE, E_OS, E_FEATURES, E_CPU, E_CLOCK, E_ON_POWEROFF,
	E_ON_REBOOT, E_ON_CRASH, E_DEVICES, E_COUNT
};

static const char *const domain_elems[E_COUNT] = {
	[E_NAME] = "name",
	[E_UUID] = "uuid",
	[E_TITLE] = "title",
	[E_DESCRIPTION] = "description",
	[E_MEMORY] = "memory",
	[E_CURRENT_MEMORY] = "currentMemory",
	[E_VCPU] = "vcpu",
	[E_CPUTUNE] = "cputune",
	[E_OS] = "os",
	[E_FEATURES] = "features",
	[E_CPU] = "cpu",
	[E_CLOCK] = "clock",
	[E_ON_POWEROFF] = "on_poweroff",
	[E_ON_REBOOT] = "on_reboot",
	[E_ON_CRASH] = "on_crash",
	[E_DEVICES] = "devices",
};

static int parse_domain(struct parser *p, xmlNodePtr root)
{
	static const char *const attrs[] = { "type", NULL };
	struct kestrel_domxml *d = p->d;
	_xfree_ xmlChar *type = NULL;
	xmlNodePtr el[E_COUNT];
	char name[64];
	int err;

	if (!is_elem(root, "domain"))
		return fail_at(EINVAL, root, "the root element is <%s>, not <domain>",
			       elem_name(root, name, sizeof(name)));
	err = check_attrs(root, attrs) ?: require_attr(root, "type", &type);
	if (err)
		return err;
	if (!strcmp((const char *)type, "kestrel"))
		d->type = KESTREL_DOMXML_TYPE_KESTREL;
	else if (!strcmp((const char *)type, "kvm"))
		d->type = KESTREL_DOMXML_TYPE_KVM;
	else
		return fail_why(EINVAL, root, "Kestrel runs type 'kestrel' (or 'kvm')",
				"unsupported domain type '%.32s'",
				(const char *)type);
	err = collect(root, domain_elems, E_COUNT, el);
	if (err)
		return err;
	if (!el[E_NAME])
		return fail_at(EINVAL, root, "missing element <name> in <domain>");
	if (!el[E_MEMORY])
		return fail_at(EINVAL, root, "missing element <memory> in <domain>");
	return parse_name(p, el[E_NAME]) ?:
	       parse_uuid(p, el[E_UUID]) ?:
	       (el[E_TITLE] ? parse_title(p, el[E_TITLE]) : 0) ?:
	       (el[E_DESCRIPTION] ? parse_description(p, el[E_DESCRIPTION]) : 0) ?:
	       parse_memory(p, el[E_MEMORY], el[E_CURRENT_MEMORY]) ?:
	       parse_vcpu(p, el[E_VCPU]) ?:
	       parse_cputune(p, el[E_CPUTUNE]) ?:
	       parse_os(p, el[E_OS], root) ?:
	       parse_features(p, el[E_FEATURES]) ?:
	       parse_cpu(p, el[E_CPU]) ?:
	       parse_clock(p, el[E_CLOCK]) ?:
	       parse_lifecycle(el[E_ON_POWEROFF], false, &d->on_poweroff) ?:
	       parse_lifecycle(el[E_ON_REBOOT], false, &d->on_reboot) ?:
	       parse_lifecycle(el[E_ON_CRASH], true, &d->on_crash) ?:
	       parse_devices(p, el[E_DEVICES]);
}

/* libxml2's errors during this parse: keep the first one with a line. */
static void xml_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct parser *p = ctxt ? ctxt->_private : NULL;
	size_t len;

	if (!p || !e || e->level < XML_ERR_ERROR)
		return;
	if (p->xml_error && (p->xml_line > 0 || e->line <= 0))
		return;
	p->xml_error = true;
	p->xml_line = e->line;
	p->xml_column = e->int2;
	snprintf(p->xml_msg, sizeof(p->xml_msg), "%s",
		 e->message ? e->message : "parse error");
	len = strlen(p->xml_msg);
	while (len && (p->xml_msg[len - 1] == '\n' || p->xml_msg[len - 1] == ' '))
		p->xml_msg[--len] = '\0';
}

/* A DOCTYPE could declare entities: refuse it before any is declared. */
static void reject_doctype(void *ctx, const xmlChar *name,
			   const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parser *p = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	p->doctype = true;
	p->doctype_line = xmlSAX2GetLineNumber(ctx);
	xmlStopParser(ctxt);
}

/* libxml2 wants its first initialization done once, not concurrently. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

int kestrel_domxml_parse(const char *xml, size_t len,
			 struct kestrel_domxml *out)
{
	struct parser p = { .d = out };
	xmlStructuredErrorFunc old_handler;
	void *old_handler_ctx;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNodePtr root;
	int err;

	kestrel_domxml_init(out);
	if (!xml || !len)
		return kestrel_fail(EINVAL, "empty domain XML");
	if (len > KESTREL_XML_MAX)
		return kestrel_fail(EFBIG, "domain XML is %zu bytes, more than the maximum of %d",
				    len, KESTREL_XML_MAX);

	pthread_once(&xml_once, xml_init);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return no_memory();
	ctxt->_private = &p;
	ctxt->sax->serror = xml_error;
	ctxt->sax->internalSubset = reject_doctype;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;
	/*
	 * Errors raised outside the parser context (encoding conversion,
	 * I/O) go to this thread's structured handler: ours, for the parse.
	 */
	old_handler = xmlStructuredError;
	old_handler_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(ctxt, xml_error);
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
				XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(old_handler_ctx, old_handler);
	if (p.doctype)
		err = kestrel_fail(EINVAL, "<!DOCTYPE> at line %d is not supported in domain XML",
				   p.doctype_line);
	else if (p.xml_error)
		err = kestrel_fail(EINVAL, "malformed XML at line %d column %d: %s",
				   p.xml_line, p.xml_column, p.xml_msg);
	else if (!doc || !(root = xmlDocGetRootElement(doc)))
		err = kestrel_fail(EINVAL, "malformed XML: no root element");
	else
		err = parse_domain(&p, root);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (err)
		kestrel_domxml_free(out);
	return err;
}

int kestrel_domxml_parse_file(const char *path, struct kestrel_domxml *out)
{
	_free_ char *buf = NULL;
	char msg[MSG_MAX];
	size_t len = 0;
	int fd, err;

	kestrel_domxml_init(out);
	buf = malloc(KESTREL_XML_MAX + 1);
	if (!buf)
		return no_memory();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kestrel_fail(errno, "cannot open %s: %s", path,
				    strerror(errno));
	err = xml_read_fd(fd, path, buf, &len);
	if (err)
		return err;
	if (len > KESTREL_XML_MAX)
		return kestrel_fail(EFBIG, "%s: domain XML is larger than the maximum of %d bytes",
				    path, KESTREL_XML_MAX);
	err = kestrel_domxml_parse(buf, len, out);
	if (err) {
		snprintf(msg, sizeof(msg), "%s", kestrel_last_error());
		kestrel_fail(err, "%s: %s", path, msg);
	}
	return err;
}
