/* hw platform: the console, a 16550 UART on COM1 (I/O port 0x3f8). */
#include "hw.h"

#define COM1 0x3f8
#define RBR 0 /* receive buffer (read) */
#define THR 0 /* transmit holding (write) */
#define IER 1 /* interrupt enable */
#define FCR 2 /* FIFO control (write) */
#define LCR 3 /* line control */
#define MCR 4 /* modem control */
#define LSR 5 /* line status */
#define DLL 0 /* divisor latch, with LCR.DLAB */
#define DLM 1

#define LSR_DR 0x01   /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define IER_RDA 0x01  /* received data available */

#define IIR 2
#define IIR_FIFO 0xc0 /* both FIFO bits: FIFOs on */

/*
 * 115200 8N1, receive interrupts off; MCR sets DTR, RTS and OUT2 (on PCs
 * OUT2 gates the UART's interrupt line). The FIFOs are switched on only
 * when no input is waiting: turning them on clears the receiver, and the
 * host's input may have reached the UART while the machine booted (a
 * pipe into QEMU's -serial stdio). With a byte waiting the UART stays in
 * 16450 mode, one byte at a time; QEMU holds the rest back meanwhile.
 */
void hw_uart_init(void)
{
	hw_outb(COM1 + IER, 0);
	hw_outb(COM1 + LCR, 0x80);
	hw_outb(COM1 + DLL, 1);
	hw_outb(COM1 + DLM, 0);
	hw_outb(COM1 + LCR, 0x03);
	if ((hw_inb(COM1 + IIR) & IIR_FIFO) != IIR_FIFO &&
	    !(hw_inb(COM1 + LSR) & LSR_DR))
		hw_outb(COM1 + FCR, 0xc7); /* on, cleared, 14-byte trigger */
	hw_outb(COM1 + MCR, 0x0b);
}

/* Bytes go out unchanged (no \n -> \r\n: QEMU's stdio back end and
 * terminals in cooked output mode do that themselves). Polled: a thread
 * never yields while writing, so one call's bytes stay together. */
void hw_uart_write(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		while (!(hw_inb(COM1 + LSR) & LSR_THRE))
			__asm__ __volatile__("pause");
		hw_outb(COM1 + THR, *p++);
	}
}

int hw_uart_rx_ready(void)
{
	return hw_inb(COM1 + LSR) & LSR_DR;
}

size_t hw_uart_read(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t n = 0;

	while (n < len && (hw_inb(COM1 + LSR) & LSR_DR))
		p[n++] = hw_inb(COM1 + RBR);
	return n;
}

void hw_uart_rx_irq(int on)
{
	hw_outb(COM1 + IER, on ? IER_RDA : 0);
}

void lhc_putstr(const char *s, size_t len)
{
	hw_uart_write(s, len);
}

void hw_puts(const char *s)
{
	hw_uart_write(s, hw_strlen(s));
}

void hw_put_hex(uint64_t v)
{
	char b[18];
	int i = 18;

	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	hw_uart_write(b + i, (size_t)(18 - i));
}

void hw_put_dec(uint64_t v)
{
	char b[20];
	int i = 20;

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hw_uart_write(b + i, (size_t)(20 - i));
}
