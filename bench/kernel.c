/* kernel.c: kernel-library figures against the host, printed as one JSON object:
 * boot time, getpid latency (library vs host syscall), TCP loopback throughput
 * (inside the library vs the host's own loopback). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <lkl.h>

#define GETPID_ROUNDS 2000000L
#define TCP_BYTES (256L << 20)
#define CHUNK 65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One transport's socket calls, so the same benchmark runs on both stacks. */
struct stack {
	long (*socket)(int, int, int);
	long (*bind)(long, const void *, int);
	long (*listen)(long, int);
	long (*accept)(long);
	long (*connect)(long, const void *, int);
	long (*read)(long, void *, long);
	long (*write)(long, const void *, long);
	long (*close)(long);
	int inet, stream;
};

static long h_socket(int d, int t, int p) { return socket(d, t, p); }
static long h_bind(long s, const void *a, int l) { return bind((int)s, a, (socklen_t)l); }
static long h_listen(long s, int b) { return listen((int)s, b); }
static long h_accept(long s) { return accept((int)s, NULL, NULL); }
static long h_connect(long s, const void *a, int l) { return connect((int)s, a, (socklen_t)l); }
static long h_read(long s, void *b, long n) { return read((int)s, b, (size_t)n); }
static long h_write(long s, const void *b, long n) { return write((int)s, b, (size_t)n); }
static long h_close(long s) { return close((int)s); }

static long k_socket(int d, int t, int p) { return lkl_sys_socket(d, t, p); }
static long k_bind(long s, const void *a, int l) { return lkl_sys_bind(s, (void *)a, l); }
static long k_listen(long s, int b) { return lkl_sys_listen(s, b); }
static long k_accept(long s) { return lkl_sys_accept4(s, NULL, NULL, 0); }
static long k_connect(long s, const void *a, int l) { return lkl_sys_connect(s, (void *)a, l); }
static long k_read(long s, void *b, long n) { return lkl_sys_read(s, b, n); }
static long k_write(long s, const void *b, long n) { return lkl_sys_write(s, b, n); }
static long k_close(long s) { return lkl_sys_close(s); }

static const struct stack host = { h_socket, h_bind, h_listen, h_accept, h_connect, h_read, h_write, h_close, AF_INET, SOCK_STREAM };
static const struct stack kern = { k_socket, k_bind, k_listen, k_accept, k_connect, k_read, k_write, k_close, LKL_AF_INET, LKL_SOCK_STREAM };

struct sink {
	const struct stack *st;
	long listener;
	long got;
};

static void *receiver(void *arg)
{
	struct sink *s = arg;
	static char buf[CHUNK];
	long c = s->st->accept(s->listener), n;

	while ((n = s->st->read(c, buf, sizeof(buf))) > 0)
		s->got += n;
	s->st->close(c);
	return NULL;
}

/* MiB/s of one TCP stream over 127.0.0.1 on the given stack. */
static double tcp_mibs(const struct stack *st, int port)
{
	/* struct sockaddr_in and struct lkl_sockaddr_in share their layout */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	static char buf[CHUNK];
	struct sink sink = { .st = st };
	pthread_t t;
	long c, sent = 0;
	double t0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sink.listener = st->socket(st->inet, st->stream, 0);
	if (sink.listener < 0 || st->bind(sink.listener, &a, sizeof(a)) < 0 || st->listen(sink.listener, 1) < 0)
		return -1;
	pthread_create(&t, NULL, receiver, &sink);
	c = st->socket(st->inet, st->stream, 0);
	if (st->connect(c, &a, sizeof(a)) < 0)
		return -1;
	memset(buf, 'x', sizeof(buf));
	t0 = now();
	while (sent < TCP_BYTES) {
		long w = st->write(c, buf, sizeof(buf));

		if (w <= 0)
			return -1;
		sent += w;
	}
	st->close(c);
	pthread_join(t, NULL);
	st->close(sink.listener);
	return sink.got == TCP_BYTES ? (double)TCP_BYTES / (1 << 20) / (now() - t0) : -1;
}

/* A host port nobody listens on now: bind port 0 and ask which one it got. */
static int free_host_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

int main(void)
{
	double t0, boot_ms, lib_ns, host_ns, lib_tcp, host_tcp;

	lkl_host_ops.print = NULL; /* keep the kernel log out of the figures */
	t0 = now();
	if (lkl_init(&lkl_host_ops) < 0 || lkl_start_kernel("mem=128M loglevel=0") < 0) {
		fprintf(stderr, "bench: the kernel did not boot\n");
		return 1;
	}
	boot_ms = (now() - t0) * 1e3;
	lkl_if_up(1);

	lkl_sys_getpid(); /* the first syscall of a thread creates its kernel task */
	t0 = now();
	for (long i = 0; i < GETPID_ROUNDS; i++)
		lkl_sys_getpid();
	lib_ns = (now() - t0) * 1e9 / GETPID_ROUNDS;
	t0 = now();
	for (long i = 0; i < GETPID_ROUNDS; i++)
		syscall(SYS_getpid);
	host_ns = (now() - t0) * 1e9 / GETPID_ROUNDS;

	lib_tcp = tcp_mibs(&kern, 7101);
	host_tcp = tcp_mibs(&host, free_host_port());
	lkl_sys_halt();
	lkl_cleanup();

	printf("{\"boot_ms\":%.2f,\"getpid_lib_ns\":%.1f,\"getpid_host_ns\":%.1f,"
	       "\"tcp_lib_mibs\":%.1f,\"tcp_host_mibs\":%.1f}\n",
	       boot_ms, lib_ns, host_ns, lib_tcp, host_tcp);
	return lib_tcp > 0 && host_tcp > 0 ? 0 : 1;
}
