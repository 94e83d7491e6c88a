/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the two strict XML parsers share, domxml_parse.c (domains) and
 * network_xml.c (networks): reading a node's name, line, attributes and
 * text, failing with "<message> at line N", and reading a file of at most
 * KESTREL_XML_MAX bytes.  Not installed.
 */
#ifndef KESTREL_XML_PRIV_H
#define KESTREL_XML_PRIV_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "libkestrel.h"

#define MSG_MAX 400

static inline void xml_free_ptr(void *p)
{
	xmlFree(*(void **)p);
}

#define _xfree_ __attribute__((cleanup(xml_free_ptr)))

static inline long line_of(xmlNodePtr n)
{
	return xmlGetLineNo(n);
}

/* An element's name as written: "disk", or "qemu:commandline". */
static inline const char *elem_name(xmlNodePtr n, char *buf, size_t size)
{
	if (n->ns && n->ns->prefix)
		snprintf(buf, size, "%s:%s", (const char *)n->ns->prefix,
			 (const char *)n->name);
	else
		snprintf(buf, size, "%s", (const char *)n->name);
	return buf;
}

/* Fail with "<message> at line N[: <why>]", N being the line of node @n. */
static inline int fail_why(int err, xmlNodePtr n, const char *why,
			   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int fail_why(int err, xmlNodePtr n, const char *why,
			   const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why)
		return kestrel_fail(err, "%s at line %ld: %s", msg, line_of(n),
				    why);
	return kestrel_fail(err, "%s at line %ld", msg, line_of(n));
}

#define fail_at(err, n, ...) fail_why(err, n, NULL, __VA_ARGS__)

static inline int no_memory(void)
{
	return kestrel_fail(ENOMEM, "out of memory");
}

static inline bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns &&
	       !strcmp((const char *)n->name, name);
}

static inline bool blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool blank(const char *s)
{
	for (; *s; s++)
		if (!blank_char(*s))
			return false;
	return true;
}

/* The value of attribute @name (NULL if absent); free with xmlFree. */
static inline int get_attr(xmlNodePtr n, const char *name, xmlChar **out)
{
	*out = NULL;
	if (!xmlHasNsProp(n, (const xmlChar *)name, NULL))
		return 0;
	*out = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!*out)
		return no_memory();
	return 0;
}

static inline int require_attr(xmlNodePtr n, const char *name, xmlChar **out)
{
	int err = get_attr(n, name, out);

	if (err)
		return err;
	if (!*out)
		return fail_at(EINVAL, n, "missing attribute '%s' of <%s>",
			       name, (const char *)n->name);
	return 0;
}

/*
 * Read @fd (the file @path) into @buf, which has room for
 * KESTREL_XML_MAX + 1 bytes: *@lenp is how much it holds, more than
 * KESTREL_XML_MAX if the file is larger.  Closes @fd.  0, or the
 * "cannot read" failure.
 */
static inline int xml_read_fd(int fd, const char *path, char *buf,
			      size_t *lenp)
{
	size_t len = 0;
	int err;

	while (len <= KESTREL_XML_MAX) {
		ssize_t n = read(fd, buf + len, KESTREL_XML_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			return kestrel_fail(err, "cannot read %s: %s", path,
					    strerror(err));
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	*lenp = len;
	return 0;
}

#endif /* KESTREL_XML_PRIV_H */
