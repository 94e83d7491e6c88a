// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART, as much of it as Linux's 8250 driver and polled firmware
 * output use.
 *
 * The transmitter is never busy: a byte written to THR goes to the console at
 * once, so LSR always reports THRE and TEMT, and the THRE interrupt is raised
 * again right after each write.  The receiver reads the console's input queue
 * directly, which stands in for the receive FIFO: there are no line errors,
 * and the receive interrupt is raised whenever a byte is waiting whatever the
 * FIFO trigger level (the guest sees the data-available interrupt, never the
 * character timeout).  Clearing the receive FIFO through FCR does not discard
 * console input, so what the host typed before the guest opened the port is
 * still read.  The divisor latch and the line settings are kept for the guest
 * to read back and have no other effect.
 *
 * In loopback mode (MCR.LOOP) THR writes go to a 16-byte receive FIFO of the
 * UART's own instead of the console, console input waits, and MSR reflects
 * MCR's outputs.  Outside loopback the modem lines read as DCD, DSR and CTS
 * asserted.
 *
 * The interrupt line follows the 16550's INTR output gated by MCR.OUT2, as
 * PC boards wire it: it is asserted only while OUT2 is set.
 */
#include <linux/bug.h>
#include <linux/serial_reg.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../console.h"
#include "uart.h"

#define UART_LOOP_FIFO	16		/* 16550A receive FIFO depth */
#define UART_IER_MASK	0x0f		/* 16550A has four enable bits */
#define UART_MCR_MASK	0x1f		/* DTR, RTS, OUT1, OUT2, LOOP */
#define UART_IIR_FIFO	0xc0		/* IIR bits 7:6 with FIFOs enabled */
#define UART_DIVISOR	12		/* 9600 baud: the power-on divisor */

/*
 * The registers, and what stands in for the transmitter and receiver.
 * @con, @set_irq and @opaque are fixed at creation.  @lock protects the rest;
 * it is taken with interrupts disabled and held while calling into the
 * console (which takes its own lock, never the other way round) and while
 * calling @set_irq, so the levels reported are always in order.  The console
 * must outlive the UART; kestrel_uart_destroy() unregisters the input
 * notifier, waiting for a running call.
 */
struct kestrel_uart {
	struct kestrel_console *con;
	void (*set_irq)(void *opaque, bool level);
	void *opaque;

	spinlock_t lock;	/* protects the rest */
	u8 ier;
	u8 fcr;			/* FIFO enable and RX trigger bits as written */
	u8 lcr;
	u8 mcr;
	u8 scr;
	u8 dll;
	u8 dlm;
	u8 rbr;			/* last byte received: RBR when nothing waits */
	u8 lsr_errors;		/* OE; cleared by reading LSR */
	u8 msr_delta;		/* MSR delta bits; cleared by reading MSR */
	bool thr_pending;	/* THRE interrupt latched until IIR reports it */
	bool irq_level;		/* the level @set_irq was last told */
	bool no_input;		/* host input goes to another device */
	u8 loop_fifo[UART_LOOP_FIFO];
	unsigned int loop_head;
	unsigned int loop_count;
};

/* MSR bits 7:4: the modem input lines. */
static u8 uart_modem_lines(const struct kestrel_uart *uart)
{
	u8 mcr = uart->mcr;
	u8 msr = 0;

	if (!(mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

static bool uart_data_ready(const struct kestrel_uart *uart)
{
	if (uart->loop_count)
		return true;
	if (uart->mcr & UART_MCR_LOOP || !uart->con || uart->no_input)
		return false;
	return kestrel_console_input_pending(uart->con);
}

/* The highest-priority pending interrupt, as IIR bits 3:0. */
static u8 uart_pending(const struct kestrel_uart *uart)
{
	u8 ier = uart->ier;

	if (ier & UART_IER_RLSI && uart->lsr_errors)
		return UART_IIR_RLSI;
	if (ier & UART_IER_RDI && uart_data_ready(uart))
		return UART_IIR_RDI;
	if (ier & UART_IER_THRI && uart->thr_pending)
		return UART_IIR_THRI;
	if (ier & UART_IER_MSI && uart->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct kestrel_uart *uart)
{
	bool level = uart->mcr & UART_MCR_OUT2 &&
		     uart_pending(uart) != UART_IIR_NO_INT;

	if (level == uart->irq_level)
		return;
	uart->irq_level = level;
	if (uart->set_irq)
		uart->set_irq(uart->opaque, level);
}

static u8 uart_receive(struct kestrel_uart *uart)
{
	int c;

	if (uart->loop_count) {
		uart->rbr = uart->loop_fifo[uart->loop_head];
		uart->loop_head = (uart->loop_head + 1) % UART_LOOP_FIFO;
		uart->loop_count--;
	} else if (!(uart->mcr & UART_MCR_LOOP) && uart->con &&
		   !uart->no_input) {
		c = kestrel_console_input_get(uart->con);
		if (c >= 0)
			uart->rbr = c;
	}
	return uart->rbr;
}

static void uart_transmit(struct kestrel_uart *uart, u8 val)
{
	unsigned int tail;

	if (uart->mcr & UART_MCR_LOOP) {
		if (uart->loop_count == UART_LOOP_FIFO) {
			uart->lsr_errors |= UART_LSR_OE;
		} else {
			tail = (uart->loop_head + uart->loop_count) %
			       UART_LOOP_FIFO;
			uart->loop_fifo[tail] = val;
			uart->loop_count++;
		}
	} else if (uart->con) {
		kestrel_console_output(uart->con, &val, 1);
	}
	/* The byte is gone at once: THR is empty again. */
	uart->thr_pending = true;
}

static void uart_write_ier(struct kestrel_uart *uart, u8 val)
{
	u8 changed = (uart->ier ^ val) & UART_IER_MASK;

	uart->ier = val & UART_IER_MASK;
	/*
	 * Enabling the THRE interrupt while THR is empty raises it, even if
	 * an IIR read had cleared it before: Linux's 8250 driver tests for
	 * this at startup.
	 */
	if (changed & UART_IER_THRI)
		uart->thr_pending = uart->ier & UART_IER_THRI;
}

static void uart_write_fcr(struct kestrel_uart *uart, u8 val)
{
	/* Switching the FIFOs on or off, or a clear, empties the receiver. */
	if ((val ^ uart->fcr) & UART_FCR_ENABLE_FIFO ||
	    val & UART_FCR_CLEAR_RCVR) {
		uart->loop_head = 0;
		uart->loop_count = 0;
	}
	/* The other bits only take with FIFO enable set in the same write. */
	if (val & UART_FCR_ENABLE_FIFO)
		uart->fcr = val & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
	else
		uart->fcr = 0;
}

static void uart_write_mcr(struct kestrel_uart *uart, u8 val)
{
	u8 before = uart_modem_lines(uart);
	u8 after, changed;

	uart->mcr = val & UART_MCR_MASK;
	after = uart_modem_lines(uart);
	changed = before ^ after;
	if (changed & UART_MSR_CTS)
		uart->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		uart->msr_delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		uart->msr_delta |= UART_MSR_DDCD;
	if (before & ~after & UART_MSR_RI)
		uart->msr_delta |= UART_MSR_TERI;
}

static void uart_reset_locked(struct kestrel_uart *uart)
{
	uart->ier = 0;
	uart->fcr = 0;
	uart->lcr = 0;
	uart->mcr = 0;
	uart->scr = 0;
	uart->dll = UART_DIVISOR;
	uart->dlm = 0;
	uart->rbr = 0;
	uart->lsr_errors = 0;
	uart->msr_delta = 0;
	uart->thr_pending = false;
	uart->loop_head = 0;
	uart->loop_count = 0;
	uart_update_irq(uart);
}

u8 kestrel_uart_read(struct kestrel_uart *uart, unsigned int offset)
{
	unsigned long flags;
	u8 val, id;
	bool dlab;

	if (WARN_ON_ONCE(offset > UART_SCR))
		return 0xff;

	spin_lock_irqsave(&uart->lock, flags);
	dlab = uart->lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_RX:
		val = dlab ? uart->dll : uart_receive(uart);
		break;
	case UART_IER:
		val = dlab ? uart->dlm : uart->ier;
		break;
	case UART_IIR:
		id = uart_pending(uart);
		/* Reporting the THRE interrupt acknowledges it. */
		if (id == UART_IIR_THRI)
			uart->thr_pending = false;
		val = id;
		if (uart->fcr & UART_FCR_ENABLE_FIFO)
			val |= UART_IIR_FIFO;
		break;
	case UART_LCR:
		val = uart->lcr;
		break;
	case UART_MCR:
		val = uart->mcr;
		break;
	case UART_LSR:
		val = UART_LSR_TEMT | UART_LSR_THRE | uart->lsr_errors;
		if (uart_data_ready(uart))
			val |= UART_LSR_DR;
		uart->lsr_errors = 0;
		break;
	case UART_MSR:
		val = uart_modem_lines(uart) | uart->msr_delta;
		uart->msr_delta = 0;
		break;
	default: /* UART_SCR */
		val = uart->scr;
		break;
	}
	uart_update_irq(uart);
	spin_unlock_irqrestore(&uart->lock, flags);
	return val;
}

void kestrel_uart_write(struct kestrel_uart *uart, unsigned int offset,
			u8 val)
{
	unsigned long flags;
	bool dlab;

	if (WARN_ON_ONCE(offset > UART_SCR))
		return;

	spin_lock_irqsave(&uart->lock, flags);
	dlab = uart->lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_TX:
		if (dlab)
			uart->dll = val;
		else
			uart_transmit(uart, val);
		break;
	case UART_IER:
		if (dlab)
			uart->dlm = val;
		else
			uart_write_ier(uart, val);
		break;
	case UART_FCR:
		uart_write_fcr(uart, val);
		break;
	case UART_LCR:
		uart->lcr = val;
		break;
	case UART_MCR:
		uart_write_mcr(uart, val);
		break;
	case UART_LSR:
	case UART_MSR:
		/* Read-only (factory test writes are ignored). */
		break;
	default: /* UART_SCR */
		uart->scr = val;
		break;
	}
	uart_update_irq(uart);
	spin_unlock_irqrestore(&uart->lock, flags);
}

void kestrel_uart_rx_notify(struct kestrel_uart *uart)
{
	unsigned long flags;

	spin_lock_irqsave(&uart->lock, flags);
	uart_update_irq(uart);
	spin_unlock_irqrestore(&uart->lock, flags);
}

static void uart_input_notify(void *opaque)
{
	kestrel_uart_rx_notify(opaque);
}

void kestrel_uart_reset(struct kestrel_uart *uart)
{
	unsigned long flags;

	spin_lock_irqsave(&uart->lock, flags);
	uart_reset_locked(uart);
	spin_unlock_irqrestore(&uart->lock, flags);
}

struct kestrel_uart *kestrel_uart_create(struct kestrel_console *con,
					 void (*set_irq)(void *opaque,
							 bool level),
					 void *opaque)
{
	struct kestrel_uart *uart;

	uart = kzalloc(sizeof(*uart), GFP_KERNEL_ACCOUNT);
	if (!uart)
		return NULL;
	uart->con = con;
	uart->set_irq = set_irq;
	uart->opaque = opaque;
	spin_lock_init(&uart->lock);
	uart_reset_locked(uart);
	if (con)
		kestrel_console_set_input_notify(con, uart_input_notify, uart);
	return uart;
}

void kestrel_uart_output_only(struct kestrel_uart *uart)
{
	kestrel_console_set_input_notify(uart->con, NULL, NULL);
	spin_lock_irq(&uart->lock);
	uart->no_input = true;
	spin_unlock_irq(&uart->lock);
}

void kestrel_uart_destroy(struct kestrel_uart *uart)
{
	if (!uart)
		return;
	if (uart->con)
		kestrel_console_set_input_notify(uart->con, NULL, NULL);
	kfree(uart);
}
