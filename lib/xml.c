// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small helpers for writing XML by hand. */
#include <stdbool.h>
#include <stdio.h>

#include "libkestrel.h"

/*
 * Besides the five characters libvirt escapes (& < > ' "), carriage
 * return everywhere and tab and line feed in attribute values are written
 * as character references, where a parser would otherwise normalize them,
 * so that what is written reads back the same.
 */
static void xml_escape(FILE *f, const char *s, bool attr)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\r':
			fputs("&#13;", f);
			break;
		case '\n':
			fputs(attr ? "&#10;" : "\n", f);
			break;
		case '\t':
			fputs(attr ? "&#9;" : "\t", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void kestrel_xml_escape(FILE *f, const char *s)
{
	xml_escape(f, s, false);
}

void kestrel_xml_escape_attr(FILE *f, const char *s)
{
	xml_escape(f, s, true);
}
