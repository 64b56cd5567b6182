/* stdio.c: the host's standard streams as kernel files — /dev/hoststdout and
 * /dev/hoststderr write to this process's stdout and stderr (which the test
 * reads separately), /dev/hoststdin reads its stdin (which the test feeds in
 * two parts, each after a "# ready ..." line, then closes). */
#include <pthread.h>
#include <time.h>

#include "ktest.h"

#define OUT_LINE "stdio: this line went to the host's stdout through /dev/hoststdout\n"
#define ERR_LINE "stdio: this line went to the host's stderr through /dev/hoststderr\n"
#define FIRST "first line\n"
#define SECOND "second part, then the end\n"
/* more than a page (the driver's bounce buffer) and a pipe's 64 KiB */
#define BIG_LINES 3000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Kernel work on another host thread while the main one waits for input:
 * a read blocked on hoststdin must not hold the kernel. */
static int ticks;
static volatile int stop_ticking;

static void *ticker(void *arg)
{
	struct __lkl__kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000000 };

	(void)arg;
	while (!stop_ticking) {
		if (lkl_sys_nanosleep(&ts, NULL) == 0)
			__atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_output(void)
{
	static char big[BIG_LINES * 40];
	struct lkl_iovec iov[2] = {
		{ .iov_base = "stdio: writev, ", .iov_len = 15 },
		{ .iov_base = "two segments\n", .iov_len = 13 },
	};
	struct lkl_stat st;
	size_t n = 0;
	long r;

	CHECK(lkl_sys_fstat(1, &st) == 0 && LKL_S_ISCHR(st.st_mode),
	      "fd 1 is a character device");
	CHECK(lkl_sys_write(1, OUT_LINE, strlen(OUT_LINE)) == (long)strlen(OUT_LINE),
	      "write a line to fd 1 (/dev/hoststdout)");
	CHECK(lkl_sys_writev(1, iov, 2) == 28, "writev two segments to fd 1");
	CHECK(lkl_sys_write(2, ERR_LINE, strlen(ERR_LINE)) == (long)strlen(ERR_LINE),
	      "write a line to fd 2 (/dev/hoststderr)");
	for (int i = 0; i < BIG_LINES; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "stdio-big %05d %s\n", i,
				      "abcdefghijklmnopqrstu");
	r = lkl_sys_write(2, big, n);
	CHECK(r == (long)n, "one %zu-byte write to fd 2 is written whole (got %ld)", n, r);
	CHECK(lkl_sys_lseek(1, 0, LKL_SEEK_SET) == -LKL_ESPIPE, "lseek on fd 1 is -ESPIPE");
	CHECK(lkl_sys_read(1, big, 1) < 0, "reading fd 1 fails");
	printf("# big block: %zu bytes\n", n);
}

static void test_input(void)
{
	struct lkl_pollfd p = { .fd = 0, .events = LKL_POLLIN };
	char buf[128] = { 0 };
	long long t0;
	int fl, before;
	long r;

	/* nothing fed yet: a non-blocking read and a short poll say so */
	fl = (int)lkl_sys_fcntl(0, LKL_F_GETFL, 0);
	OK(lkl_sys_fcntl(0, LKL_F_SETFL, fl | LKL_O_NONBLOCK));
	CHECK(lkl_sys_read(0, buf, sizeof(buf)) == -LKL_EAGAIN,
	      "a non-blocking read before any input is -EAGAIN");
	OK(lkl_sys_fcntl(0, LKL_F_SETFL, fl));
	CHECK(lkl_sys_poll(&p, 1, 50) == 0, "poll: no input yet");

	/* a blocking read waits; the kernel goes on meanwhile */
	before = __atomic_load_n(&ticks, __ATOMIC_RELAXED);
	printf("# ready for input\n");
	fflush(stdout);
	t0 = now_ms();
	r = lkl_sys_read(0, buf, sizeof(buf) - 1);
	CHECK(r == (long)strlen(FIRST) && !strcmp(buf, FIRST),
	      "a blocking read returns the first line (%ld bytes after %lld ms)", r,
	      now_ms() - t0);
	CHECK(__atomic_load_n(&ticks, __ATOMIC_RELAXED) - before >= 5,
	      "another thread's 20 ms sleeps went on while the read waited (%d)",
	      __atomic_load_n(&ticks, __ATOMIC_RELAXED) - before);

	/* poll wakes when the second part comes */
	CHECK(lkl_sys_poll(&p, 1, 50) == 0, "poll: nothing more yet");
	printf("# ready for more\n");
	fflush(stdout);
	p.revents = 0;
	r = lkl_sys_poll(&p, 1, 20000);
	CHECK(r == 1 && (p.revents & LKL_POLLIN), "poll wakes for the second part (%ld, %#x)", r,
	      p.revents);
	memset(buf, 0, sizeof(buf));
	r = lkl_sys_read(0, buf, 6);
	CHECK(r == 6 && !memcmp(buf, SECOND, 6), "a 6-byte read takes the first 6 bytes");
	r = lkl_sys_read(0, buf + 6, sizeof(buf) - 7);
	CHECK(r == (long)strlen(SECOND) - 6 && !strcmp(buf, SECOND),
	      "the next read the rest: \"%.*s\"", (int)strcspn(buf, "\n"), buf);
	CHECK(lkl_sys_read(0, buf, sizeof(buf)) == 0, "then the end of input (read returns 0)");
	CHECK(lkl_sys_read(0, buf, sizeof(buf)) == 0, "and again at the end");
}

int main(void)
{
	pthread_t t;
	long ret, fd;

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	ret = lkl_start_kernel("mem=32M loglevel=4");
	REQUIRE(ret == 0, "lkl_start_kernel = %ld", ret);
	OK(lkl_sys_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL));

	/* what a process unikernel's start-up does: fds 0, 1, 2 */
	fd = OK(lkl_sys_open("/dev/hoststdin", LKL_O_RDONLY, 0));
	REQUIRE(fd == 0 || lkl_sys_dup3(fd, 0, 0) == 0, "hoststdin as fd 0");
	fd = OK(lkl_sys_open("/dev/hoststdout", LKL_O_WRONLY, 0));
	REQUIRE(fd == 1 || lkl_sys_dup3(fd, 1, 0) == 1, "hoststdout as fd 1");
	fd = OK(lkl_sys_open("/dev/hoststderr", LKL_O_WRONLY, 0));
	REQUIRE(fd == 2 || lkl_sys_dup3(fd, 2, 0) == 2, "hoststderr as fd 2");

	test_output();
	REQUIRE(pthread_create(&t, NULL, ticker, NULL) == 0, "start a ticking thread");
	test_input();
	stop_ticking = 1;
	pthread_join(t, NULL);

	ret = lkl_sys_halt();
	CHECK(ret == 0, "lkl_sys_halt returns 0 (got %ld)", ret);
	lkl_cleanup();
	return ktest_done();
}
