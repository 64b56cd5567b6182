/* hw platform: lhc_exit and lhc_panic through QEMU's isa-debug-exit. */
#include "hw.h"

/*
 * QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,
 * iosize=0x04) ends QEMU when a value v is written to its port, with
 * process exit status (v << 1) | 1: odd codes only, 1 of them taken by
 * QEMU's own failures. So (README.md, "Exit status"):
 *
 *   lhc_exit(s), s & 0xff in 0..124  ->  v = s + 1    QEMU exits 2s + 3
 *   lhc_exit(s), s & 0xff >= 125     ->  v = 126      QEMU exits 253
 *   lhc_panic, CPU exception         ->  v = 127      QEMU exits 255
 *
 * Success is 3; a status too large for the code is also written to the
 * console ("lunik: exit status N") so the host can recover it. Without
 * the device (Firecracker, real hardware) the machine halts.
 */
#define DEBUG_EXIT_PORT 0xf4

void hw_exit_code(uint32_t value)
{
	int spins = 1000000;

	/* let the UART's transmitter drain (real hardware; QEMU is done) */
	while (!(hw_inb(0x3f8 + 5) & 0x40) && spins--)
		;
	hw_outl(DEBUG_EXIT_PORT, value);
	hw_puts("lunik: hw: halted (no isa-debug-exit device to report the status)\n");
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

void lhc_exit(int status)
{
	unsigned s = (unsigned)status & 0xff;

	hw_irq_disable();
	if (s >= 125) {
		hw_puts("lunik: exit status ");
		hw_put_dec(s);
		hw_puts("\n");
	}
	hw_exit_code(s < 125 ? s + 1 : 126);
}

void lhc_panic(const char *msg)
{
	hw_irq_disable();
	hw_puts("lunik: panic: ");
	hw_puts(msg ? msg : "(null)");
	hw_puts("\nlunik: hw: in thread ");
	hw_put_dec((uint64_t)lhc_thread_id());
	hw_puts(" (");
	hw_puts(hw_thread_name());
	hw_puts("), called from ");
	hw_put_hex((uint64_t)(uintptr_t)__builtin_return_address(0));
	hw_puts("\n");
	hw_exit_code(HW_EXIT_PANIC);
}

/* The platform's own fatal errors: misuse the contract calls undefined
 * but that is cheap to see, and boot failures. */
void hw_die(const char *what)
{
	hw_irq_disable();
	hw_puts("lunik: hw: ");
	hw_puts(what);
	hw_puts("\n");
	hw_exit_code(HW_EXIT_PANIC);
}

void hw_die_thread(const char *what, const char *name)
{
	hw_irq_disable();
	hw_puts("lunik: hw: thread ");
	hw_puts(name);
	hw_puts(" ");
	hw_puts(what);
	hw_puts("\n");
	hw_exit_code(HW_EXIT_PANIC);
}
