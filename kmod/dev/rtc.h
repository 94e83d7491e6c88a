/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's CMOS real-time clock (a Motorola MC146818 as the guest sees it)
 * at I/O ports 0x70 (index) and 0x71 (data), with its 128 bytes of CMOS.
 */
#ifndef KESTREL_DEV_RTC_H
#define KESTREL_DEV_RTC_H

#include <linux/types.h>

#define KESTREL_RTC_PORT_INDEX	0x70
#define KESTREL_RTC_PORT_DATA	0x71
/* CMOS index of the century byte (the FADT's CENTURY may announce it). */
#define KESTREL_RTC_CENTURY	0x32

struct kestrel_rtc;

/*
 * The guest's clock runs at the host's UTC wall clock plus @offset_seconds
 * (0 for libvirt's clock offset='utc', the host's UTC offset for
 * 'localtime'); the guest setting the time changes that offset.
 * @irq(@opaque, level) would report the level of IRQ 8; this RTC raises no
 * interrupt (see rtc.c), so it is never called today.  When it is, it will
 * be called under the RTC's spinlock and must not sleep nor call back into
 * the RTC.  @irq may be NULL.  Returns NULL when out of memory.  May sleep.
 */
struct kestrel_rtc *kestrel_rtc_create(s64 offset_seconds,
				       void (*irq)(void *opaque, bool level),
				       void *opaque);
/* Free; NULL is ignored.  No access may be running or follow. */
void kestrel_rtc_destroy(struct kestrel_rtc *rtc);

/*
 * Guest byte accesses at @port KESTREL_RTC_PORT_INDEX or _DATA (other ports
 * read 0xff and ignore writes).  Never sleep; callable in atomic context.
 */
u8 kestrel_rtc_read(struct kestrel_rtc *rtc, u16 port);
void kestrel_rtc_write(struct kestrel_rtc *rtc, u16 port, u8 val);

/* The guest's current offset from the host's UTC clock, in whole seconds. */
s64 kestrel_rtc_offset(struct kestrel_rtc *rtc);

#endif /* KESTREL_DEV_RTC_H */
