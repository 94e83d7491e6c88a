/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART as the guest sees it at eight I/O ports (COM1: 0x3f8..0x3ff),
 * its transmitter and receiver connected to a domain console.
 */
#ifndef KESTREL_DEV_UART_H
#define KESTREL_DEV_UART_H

#include <linux/types.h>

struct kestrel_console;
struct kestrel_uart;

/*
 * @con may be NULL (output is dropped, no input arrives); otherwise it must
 * outlive the UART, which registers itself as its input notifier.
 * @set_irq(@opaque, level) is called, under the UART's spinlock, each time the
 * level of the interrupt line changes; it must not sleep nor call back into
 * the UART.  @set_irq may be NULL.  Returns NULL when out of memory.
 * May sleep.
 */
struct kestrel_uart *kestrel_uart_create(struct kestrel_console *con,
					 void (*set_irq)(void *opaque,
							 bool level),
					 void *opaque);
/*
 * Host input goes elsewhere (a virtio console): the UART stops being the
 * console's input notifier and never receives.  Output is unchanged.
 * May sleep.
 */
void kestrel_uart_output_only(struct kestrel_uart *uart);
/* Unregister from the console and free; the line is left as it is. */
void kestrel_uart_destroy(struct kestrel_uart *uart);
/* Back to the power-on state (the line drops); the console is untouched. */
void kestrel_uart_reset(struct kestrel_uart *uart);

/* Guest port accesses at @offset 0..7 from the base; never sleep. */
u8 kestrel_uart_read(struct kestrel_uart *uart, unsigned int offset);
void kestrel_uart_write(struct kestrel_uart *uart, unsigned int offset,
			u8 val);

/* Console input arrived: re-evaluate the interrupt.  Never sleeps. */
void kestrel_uart_rx_notify(struct kestrel_uart *uart);

#endif /* KESTREL_DEV_UART_H */
