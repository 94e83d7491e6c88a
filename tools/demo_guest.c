// SPDX-License-Identifier: GPL-2.0
/*
 * demo-guest: create the domain "demo" and leave it running, so that the
 * controller's verbs have something to show: vCPU 0 greets from real mode
 * on the UART, vCPU 1 from 64-bit mode, then both halt.
 */
#include <stdio.h>
#include <string.h>

#include "guest.h"

GUEST_ASM(demo16, code16,
	"mov $0x3f8, %dx\n"
	"mov $(2f - demo16_start), %si\n"
	"1: lodsb\n"
	"test %al, %al\n jz 3f\n"
	"out %al, %dx\n jmp 1b\n"
	"2: .asciz \"Hello from a Kestrel guest, vCPU 0 in real mode\\n\"\n"
	"3: hlt\n jmp 3b\n");

GUEST_ASM(demo64, code64,
	"mov $0x40000000, %eax\n cpuid\n"	/* 'Kest' 'rel' */
	"mov %ebx, 0x8100\n mov %ecx, 0x8104\n"
	"1: pause\n cmpq $0, 0x8120\n je 1b\n"	/* after vCPU 0's banner */
	"mov $0x3f8, %dx\n"
	"lea 3f(%rip), %rsi\n"
	"2: lodsb\n test %al, %al\n jz 4f\n out %al, %dx\n jmp 2b\n"
	"3: .asciz \"Hello from vCPU 1 in 64-bit mode\\n\"\n"
	"4: hlt\n jmp 4b\n");

int main(void)
{
	struct guest g;

	if (guest_create(&g, "demo", 64 << 20, 2) ||
	    guest_load(&g, 0, GUEST_REAL, GUEST_CODE_OF(demo16), 0) ||
	    guest_load(&g, 1, GUEST_LONG64, GUEST_CODE_OF(demo64), 0x1000) ||
	    guest_start(&g) ||
	    guest_console_wait(&g, "real mode\n", (char[256]){0}, 256, 60000) < 0) {
		fprintf(stderr, "error: %s\n", kestrel_last_error());
		return 1;
	}
	/* Let vCPU 1 speak once vCPU 0 has. */
	*(volatile unsigned long *)(g.ram + 0x8120) = 1;
	if (guest_wait_state(&g, KESTREL_STATE_BLOCKED, 60000)) {
		fprintf(stderr, "error: %s\n", kestrel_last_error());
		return 1;
	}
	printf("domain 'demo' (id %u) is running\n", g.id);
	/* Leave it running: no guest_destroy(). */
	return 0;
}
