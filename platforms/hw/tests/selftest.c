/* hw platform: a small image for the platform's own tests (test/hw.test.ts). */
#include <lunik/libc_host.h>

#include "../hw.h"

/*
 * What it does is chosen on the command line (hvm_start_info's, i.e.
 * QEMU's -append), one word:
 *
 *   hwtest=exit:N    lhc_exit(N): the exit status mapping
 *   hwtest=return:N  hw_main returns N
 *   hwtest=panic     lhc_panic: "lunik: panic: ..." and the panic code
 *   hwtest=fault     a page fault: the exception report and the panic code
 *   hwtest=echo      standard input on the serial port: every line read
 *                    is written back as "echo: LINE" on standard output
 *                    until a line "quit", then exit 0
 *   hwtest=memory    allocates all free memory in 64 MiB, then 1 MiB
 *                    blocks, writes to both ends of each (RAM above 4 GiB
 *                    must be mapped), frees it all, and prints what it
 *                    saw; exit 0 if the heap is whole again
 *   hwtest=libc      the libc host interface as musl uses it
 *                    (libc_host_test.c): exit 0 if it all holds
 *   hwtest=abort     tkill(self, SIGABRT) as musl's abort() does: a panic
 *   hwtest=clock     sleeps 1000 ms on an lhc timer, then prints the wall
 *                    clock (the host checks both against its own)
 */

int hw_selftest_libc(void); /* libc_host_test.c */

static const char *arg(const char *key)
{
	const char *c = hw_cmdline;
	size_t n = hw_strlen(key);

	for (; *c; c++)
		if ((c == hw_cmdline || c[-1] == ' ') && hw_strncmp(c, key, n) == 0)
			return c + n;
	return 0;
}

static int number(const char *s)
{
	int v = 0, neg = *s == '-';

	for (s += neg; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

static struct lhc_sem *input_sem;

static void irq(int line)
{
	(void)line;
	if (input_sem)
		lhc_sem_up(input_sem);
}

static const struct lhc_upcalls upcalls = { .irq_raise = irq };

static int echo(void)
{
	static char line[256];
	size_t n = 0, got;
	uint32_t caps;
	int line_irq;
	char c;

	if (lhc_init(LHC_VERSION, &upcalls, &caps) || lhc_sem_alloc(0, &input_sem) ||
	    lhc_stdio_in_open(&line_irq))
		lhc_panic("selftest: cannot open standard input");
	hw_puts("hwtest: ready\n");
	for (;;) {
		int r = lhc_stdio_in_read(&c, 1, &got);

		if (r == LHC_EAGAIN) {
			lhc_sem_down(input_sem); /* the line was raised */
			continue;
		}
		if (r || got != 1)
			lhc_panic("selftest: lhc_stdio_in_read failed");
		if (c == '\r')
			continue;
		if (c != '\n' && n < sizeof(line) - 1) {
			line[n++] = c;
			continue;
		}
		line[n] = 0;
		if (hw_strcmp(line, "quit") == 0)
			break;
		lhc_stdio_write(LHC_STDIO_OUT, "echo: ", 6);
		lhc_stdio_write(LHC_STDIO_OUT, line, n);
		lhc_stdio_write(LHC_STDIO_OUT, "\n", 1);
		n = 0;
	}
	lhc_stdio_in_close();
	lhc_sem_free(input_sem);
	input_sem = 0;
	lhc_fini();
	return 0;
}

static int memory(void)
{
	enum { MAX = 4096 };
	static void *blocks[MAX];
	static size_t sizes[MAX];
	uint64_t before = hw_mem_free_bytes(), total = 0;
	size_t size = 64 << 20;
	uintptr_t top = 0;
	int n = 0, i;

	/* few, large blocks: each allocation writes only the free-range
	 * header after it, so a big -m stays cheap for the host */
	while (n < MAX) {
		if (lhc_malloc(size, 4096, &blocks[n])) {
			if (size == 1 << 20)
				break;
			size = 1 << 20;
			continue;
		}
		sizes[n] = size;
		((volatile char *)blocks[n])[0] = 1;
		((volatile char *)blocks[n])[size - 1] = 1;
		if ((uintptr_t)blocks[n] > top)
			top = (uintptr_t)blocks[n] + size - 1;
		total += size;
		n++;
	}
	for (i = 0; i < n; i++)
		lhc_free(blocks[i], sizes[i]);
	hw_puts("hwtest: ");
	hw_put_dec(before >> 20);
	hw_puts(" MiB free, ");
	hw_put_dec(total >> 20);
	hw_puts(" MiB allocated, highest byte ");
	hw_put_hex(top);
	hw_puts(", ");
	hw_put_dec(hw_mem_free_bytes() >> 20);
	hw_puts(" MiB free after\n");
	return hw_mem_free_bytes() == before ? 0 : 1;
}

static void clock_wake(void *sem)
{
	lhc_sem_up(sem);
}

static int clock_check(void)
{
	struct lhc_timer *t;
	struct lhc_sem *s;
	uint64_t t0, t1, wall;
	uint32_t caps;

	if (lhc_init(LHC_VERSION, &upcalls, &caps) || lhc_sem_alloc(0, &s) ||
	    lhc_timer_alloc(clock_wake, s, &t))
		lhc_panic("selftest: cannot set up a timer");
	hw_puts("hwtest: sleeping\n");
	lhc_clock_ns(LHC_CLOCK_MONO, &t0);
	lhc_timer_set(t, 1000000000ull);
	lhc_sem_down(s);
	lhc_clock_ns(LHC_CLOCK_MONO, &t1);
	lhc_clock_ns(LHC_CLOCK_WALL, &wall);
	hw_puts("hwtest: slept ");
	hw_put_dec((t1 - t0) / 1000000);
	hw_puts(" ms, wall clock ");
	hw_put_dec(wall / 1000000000u);
	hw_puts(" s\n");
	lhc_timer_free(t);
	lhc_sem_free(s);
	lhc_fini();
	return 0;
}

int hw_main(void)
{
	const char *v;

	if ((v = arg("hwtest=exit:")))
		lhc_exit(number(v));
	if ((v = arg("hwtest=return:")))
		return number(v);
	if (arg("hwtest=panic"))
		lhc_panic("deliberate panic from the hw self-test");
	if (arg("hwtest=fault")) {
		*(volatile int *)0x100000000000ull = 1; /* 16 TiB: never mapped */
		return 99;
	}
	if (arg("hwtest=echo"))
		return echo();
	if (arg("hwtest=memory"))
		return memory();
	if (arg("hwtest=clock"))
		return clock_check();
	if (arg("hwtest=libc"))
		return hw_selftest_libc();
	if (arg("hwtest=abort"))
		__lunik_host_syscall(130 /* tkill */, lhc_thread_id(), 6 /* SIGABRT */, 0, 0, 0, 0);
	hw_puts("hwtest: no hwtest= word on the command line\n");
	return 2;
}
