/* arch-lkl smoke test: boot, syscalls, files, pipes, threads, loopback TCP, halt. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "lkl.h"
#include "unistd_64.h" /* generated: build/arch/lkl/include/generated/uapi/asm */

/* Generic Linux values (the host's may differ, e.g. O_DIRECTORY on x86). */
#define K_AT_FDCWD (-100)
#define K_O_RDWR 02
#define K_O_CREAT 0100
#define K_EINTR 4

static long sc(long no, long a, long b, long c, long d, long e)
{
	long p[6] = { a, b, c, d, e, 0 };

	return lkl_syscall(no, p);
}
#define SC0(n) sc(n, 0, 0, 0, 0, 0)
#define SC1(n, a) sc(n, (long)(a), 0, 0, 0, 0)
#define SC2(n, a, b) sc(n, (long)(a), (long)(b), 0, 0, 0)
#define SC3(n, a, b, c) sc(n, (long)(a), (long)(b), (long)(c), 0, 0)
#define SC4(n, a, b, c, d) sc(n, (long)(a), (long)(b), (long)(c), (long)(d), 0)

static int fails;
#define CHECK(cond, ...)                                  \
	do {                                              \
		int ok_ = !!(cond);                       \
		fails += !ok_;                            \
		printf("%s: ", ok_ ? "ok" : "FAIL");      \
		printf(__VA_ARGS__);                      \
		printf("\n");                             \
	} while (0)

struct ksleep {
	long sec, nsec;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_files(void)
{
	char buf[64];
	long fd, n;

	CHECK(SC3(__NR_mkdirat, K_AT_FDCWD, "/tmp", 0755) == 0, "mkdir /tmp");
	fd = SC4(__NR_openat, K_AT_FDCWD, "/tmp/hello", K_O_RDWR | K_O_CREAT,
		 0644);
	CHECK(fd >= 0, "open /tmp/hello = %ld", fd);
	CHECK(SC3(__NR_write, fd, "hello, kernel", 13) == 13, "write");
	CHECK(SC3(__NR_lseek, fd, 0, 0) == 0, "lseek");
	memset(buf, 0, sizeof(buf));
	n = SC3(__NR_read, fd, buf, sizeof(buf));
	CHECK(n == 13 && !memcmp(buf, "hello, kernel", 13), "read back '%s'",
	      buf);
	CHECK(SC1(__NR_close, fd) == 0, "close");

	SC3(__NR_mkdirat, K_AT_FDCWD, "/proc", 0555);
	CHECK(sc(__NR_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0) ==
		      0,
	      "mount proc");
	fd = SC4(__NR_openat, K_AT_FDCWD, "/proc/version", 0, 0);
	memset(buf, 0, sizeof(buf));
	n = SC3(__NR_read, fd, buf, sizeof(buf) - 1);
	CHECK(n > 0 && !strncmp(buf, "Linux version 6.12", 18),
	      "/proc/version: %.30s", buf);
	SC1(__NR_close, fd);
}

static void test_sleep(void)
{
	struct ksleep req = { 0, 100 * 1000 * 1000 };
	double t = now();
	long ret = SC2(__NR_nanosleep, &req, NULL);

	t = now() - t;
	CHECK(ret == 0 && t >= 0.1 && t < 0.5, "nanosleep 100 ms took %.3f s",
	      t);
}

static int pipefd[2];

static void *pipe_reader(void *arg)
{
	char buf[16] = { 0 };

	*(long *)arg = SC3(__NR_read, pipefd[0], buf, sizeof(buf) - 1);
	if (strcmp(buf, "ping") || SC0(__NR_getpid) != 1)
		*(long *)arg = -1;
	return NULL;
}

static void test_pipe_thread(void)
{
	struct ksleep req = { 0, 50 * 1000 * 1000 };
	long got = 0;
	pthread_t th;

	CHECK(SC2(__NR_pipe2, pipefd, 0) == 0, "pipe2");
	pthread_create(&th, NULL, pipe_reader, &got);
	SC2(__NR_nanosleep, &req, NULL); /* the reader blocks in read() */
	CHECK(SC3(__NR_write, pipefd[1], "ping", 4) == 4, "pipe write");
	pthread_join(th, NULL);
	CHECK(got == 4, "second host thread (pid 1) read 'ping'");
}

#define PORT 8080
#define NBYTES (4 * 1024 * 1024)
static long listen_fd, server_got;
static char buf[65536];

static void *tcp_server(void *arg)
{
	static char rbuf[65536];
	long fd, n, total = 0;

	(void)arg;
	fd = SC3(__NR_accept, listen_fd, 0, 0);
	while ((n = SC3(__NR_read, fd, rbuf, sizeof(rbuf))) > 0)
		total += n;
	SC3(__NR_write, fd, "bye", 3);
	SC1(__NR_close, fd);
	server_got = total;
	return NULL;
}

static void test_tcp(void)
{
	struct sockaddr_in sin;
	struct ifreq ifr;
	long fd, n, sent = 0;
	pthread_t th;

	fd = SC3(__NR_socket, AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	SC3(__NR_ioctl, fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	CHECK(SC3(__NR_ioctl, fd, SIOCSIFFLAGS, &ifr) == 0, "lo up");
	SC1(__NR_close, fd);

	listen_fd = SC3(__NR_socket, AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PORT);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(SC3(__NR_bind, listen_fd, &sin, sizeof(sin)) == 0, "bind");
	CHECK(SC2(__NR_listen, listen_fd, 8) == 0, "listen");
	pthread_create(&th, NULL, tcp_server, NULL);

	fd = SC3(__NR_socket, AF_INET, SOCK_STREAM, 0);
	CHECK(SC3(__NR_connect, fd, &sin, sizeof(sin)) == 0,
	      "connect 127.0.0.1:%d", PORT);
	memset(buf, 'x', sizeof(buf));
	while (sent < NBYTES) {
		n = SC3(__NR_write, fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		sent += n;
	}
	SC2(__NR_shutdown, fd, 1);
	memset(buf, 0, 16);
	n = SC3(__NR_read, fd, buf, 16);
	CHECK(n == 3 && !memcmp(buf, "bye", 3), "reply 'bye'");
	SC1(__NR_close, fd);
	pthread_join(th, NULL);
	CHECK(server_got == NBYTES, "server got %ld of %d bytes", server_got,
	      NBYTES);
	SC1(__NR_close, listen_fd);
}

static long blocked_ret;

static void *blocked_reader(void *arg)
{
	char c;

	(void)arg;
	blocked_ret = SC3(__NR_read, pipefd[0], &c, 1);
	return NULL;
}

int main(void)
{
	struct ksleep req = { 0, 50 * 1000 * 1000 };
	pthread_t th;
	double t;
	long ret;

	CHECK(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	t = now();
	ret = lkl_start_kernel("mem=32M loglevel=4");
	CHECK(ret == 0 && lkl_is_running(), "lkl_start_kernel (%.3f s)",
	      now() - t);
	CHECK(SC0(__NR_getpid) == 1, "getpid() == 1");

	test_files();
	test_sleep();
	test_pipe_thread();
	test_tcp();

	/* Halt while a host thread is blocked in read(): it gets -EINTR. */
	pthread_create(&th, NULL, blocked_reader, NULL);
	SC2(__NR_nanosleep, &req, NULL);
	CHECK(lkl_sys_halt() == 0 && !lkl_is_running(), "lkl_sys_halt");
	pthread_join(th, NULL);
	CHECK(blocked_ret == -K_EINTR, "blocked read ended with -EINTR");
	CHECK(SC0(__NR_getpid) < 0, "no syscalls after halt");
	lkl_cleanup();

	printf("%s (%d failures)\n", fails ? "FAILED" : "PASSED", fails);
	return fails != 0;
}
