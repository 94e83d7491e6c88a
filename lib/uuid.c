// SPDX-License-Identifier: LGPL-2.1-or-later
/* UUIDs: RFC 4122 text form, parsing and random (version 4) generation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "libkestrel.h"
#include "domain_priv.h"

void kestrel_uuid_format(const uint8_t uuid[KESTREL_UUID_LEN],
			 char out[KESTREL_UUID_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	int i;

	for (i = 0; i < KESTREL_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid[i] >> 4];
		*p++ = hex[uuid[i] & 0xf];
	}
	*p = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse without touching the last error: lookups use it to probe. */
static bool uuid_parse(const char *s, uint8_t uuid[KESTREL_UUID_LEN])
{
	uint8_t out[KESTREL_UUID_LEN];
	size_t len, i, pos = 0;
	bool dashes;

	len = strlen(s);
	if (len == 36)
		dashes = true;
	else if (len == 32)
		dashes = false;
	else
		return false;

	for (i = 0; i < KESTREL_UUID_LEN; i++) {
		int hi, lo;

		if (dashes && (i == 4 || i == 6 || i == 8 || i == 10)) {
			if (s[pos] != '-')
				return false;
			pos++;
		}
		hi = hex_val(s[pos]);
		lo = hex_val(s[pos + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	memcpy(uuid, out, sizeof(out));
	return true;
}

bool kestrel_uuid_probe(const char *s, uint8_t uuid[KESTREL_UUID_LEN])
{
	return s && uuid_parse(s, uuid);
}

int kestrel_uuid_parse(const char *s, uint8_t uuid[KESTREL_UUID_LEN])
{
	if (!s)
		return kestrel_fail(EINVAL, "invalid UUID: none given");
	if (!uuid_parse(s, uuid))
		return kestrel_fail(EINVAL, "invalid UUID '%.64s': want 8-4-4-4-12 or 32 hex digits",
				    s);
	return 0;
}

int kestrel_uuid_generate(uint8_t uuid[KESTREL_UUID_LEN])
{
	size_t got = 0;

	while (got < KESTREL_UUID_LEN) {
		ssize_t n = getrandom(uuid + got, KESTREL_UUID_LEN - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kestrel_fail(errno, "cannot generate a UUID: getrandom: %s",
					    strerror(errno));
		}
		got += n;
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40;	/* version 4: random */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;	/* variant 1: RFC 4122 */
	return 0;
}
