/* hw platform: LHC_CAP_STDIO on the serial console (COM1). */
#include "hw.h"

/*
 * Standard output and standard error are both the serial port, the same
 * one as the console: writes are polled and whole (a thread does not
 * yield while writing). A serial line cannot fail or hang up, so neither
 * LHC_EPIPE nor LHC_EIO is ever returned.
 *
 * Standard input is the UART's receive side. A read takes what the FIFO
 * holds, synchronously; only when it found nothing does it arm the UART's
 * receive interrupt (ISA IRQ 4, through the IOAPIC) and answer
 * LHC_EAGAIN. The interrupt handler silences the UART and the event
 * thread raises the kernel's line from thread context. Nothing is read
 * before the first lhc_stdio_in_read, and input that arrives meanwhile
 * waits in the UART (QEMU holds it back rather than drop it). A serial
 * line has no end of file, so no end is ever reported.
 */

#define ISA_IRQ_COM1 4
#define IN_BUF 64

static struct {
	int open, irq, want, routed;
	int raising;	      /* the event thread is inside irq_raise */
	struct hw_waitq idle; /* close waits here for raising to end */
	uint8_t buf[IN_BUF];
	size_t start, end;
} in;

int lhc_stdio_write(int stream, const void *buf, size_t len)
{
	if (stream != LHC_STDIO_OUT && stream != LHC_STDIO_ERR)
		return LHC_EINVAL;
	if (!buf && len)
		return LHC_EINVAL;
	hw_uart_write(buf, len);
	return 0;
}

int lhc_stdio_in_open(int *irq)
{
	int line, err;

	if (!irq)
		return LHC_EINVAL;
	if (in.open)
		return LHC_EBUSY;
	err = hw_vdev_line_reserve(&line);
	if (err)
		return err;
	in.open = 1;
	in.irq = line;
	in.want = 0;
	in.start = in.end = 0;
	hw_uart_rx_irq(0);
	in.routed = hw_ioapic_route(ISA_IRQ_COM1, HW_VEC_UART, 1);
	*irq = line;
	return 0;
}

int lhc_stdio_in_read(void *buf, size_t len, size_t *got)
{
	size_t n;

	if (!buf || !got || !len || !in.open)
		return LHC_EINVAL;
	if (in.start == in.end) {
		in.start = 0;
		in.end = hw_uart_read(in.buf, sizeof(in.buf));
	}
	if (in.start == in.end) {
		in.want = 1;
		hw_uart_rx_irq(1); /* fires at once if a byte came meanwhile */
		return LHC_EAGAIN;
	}
	n = in.end - in.start;
	if (n > len)
		n = len;
	hw_memcpy(buf, in.buf + in.start, n);
	in.start += n;
	*got = n;
	return 0;
}

int hw_stdio_wants_input(void)
{
	return in.open && in.want;
}

int hw_stdio_irq_routed(void)
{
	return in.routed;
}

/* On the event thread, after a UART interrupt or a poll that saw data. */
void hw_stdio_service(void)
{
	if (!in.open || !in.want)
		return;
	if (!hw_uart_rx_ready()) {
		hw_uart_rx_irq(1); /* spurious: stay armed */
		return;
	}
	in.want = 0;
	in.raising++;
	hw_raise(in.irq);
	if (!--in.raising)
		hw_wake_all(&in.idle);
}

void lhc_stdio_in_close(void)
{
	if (!in.open)
		return;
	in.open = 0;
	in.want = 0;
	hw_uart_rx_irq(0);
	hw_ioapic_route(ISA_IRQ_COM1, HW_VEC_UART, 0);
	in.start = in.end = 0;
	/* an irq_raise in progress finishes before the line is free */
	while (in.raising && !hw_on_event_thread())
		hw_wait(&in.idle, HW_NEVER);
	hw_vdev_line_release(in.irq);
}

void hw_stdio_fini(void)
{
	lhc_stdio_in_close();
}
