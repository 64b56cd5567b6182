/* net.c: loopback inside the kernel library: TCP over IPv4 and IPv6 between two
 * host threads with 1 MiB echoed byte for byte, and a UDP round trip. */
#include <pthread.h>

#include "ktest.h"

#define PAYLOAD (1 << 20)

struct echo {
	int family;
	long listener;
	long served; /* bytes the server echoed */
};

static void fill(unsigned char *p, size_t n)
{
	unsigned int x = 2463534242u; /* xorshift: bytes no simple bug reproduces */

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static void *server(void *arg)
{
	struct echo *e = arg;
	static char buf[65536];
	long c = lkl_sys_accept4(e->listener, NULL, NULL, 0), n;

	if (c < 0)
		return NULL;
	while ((n = lkl_sys_read(c, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			long w = lkl_sys_write(c, buf + off, n - off);

			if (w <= 0)
				goto out;
			off += w;
		}
		e->served += n;
	}
out:
	lkl_sys_close(c);
	return NULL;
}

static void tcp_echo(int family)
{
	const char *name = family == LKL_AF_INET ? "127.0.0.1" : "::1";
	struct lkl_sockaddr_in sin = { 0 };
	struct lkl_sockaddr_in6 sin6 = { 0 };
	void *addr = family == LKL_AF_INET ? (void *)&sin : (void *)&sin6;
	int len = family == LKL_AF_INET ? sizeof(sin) : sizeof(sin6);
	unsigned char *out = malloc(PAYLOAD), *in = malloc(PAYLOAD);
	struct echo e = { .family = family };
	long s, c, sent = 0, got = 0;
	pthread_t t;

	sin.sin_family = LKL_AF_INET;
	sin.sin_port = lkl_htons(7001);
	sin.sin_addr.lkl_s_addr = lkl_htonl(LKL_INADDR_LOOPBACK);
	sin6.sin6_family = LKL_AF_INET6;
	sin6.sin6_port = lkl_htons(7002);
	sin6.sin6_addr.lkl_s6_addr[15] = 1;

	s = OK(lkl_sys_socket(family, LKL_SOCK_STREAM, 0));
	OK(lkl_sys_bind(s, addr, len));
	OK(lkl_sys_listen(s, 1));
	e.listener = s;
	pthread_create(&t, NULL, server, &e);

	c = OK(lkl_sys_socket(family, LKL_SOCK_STREAM, 0));
	CHECK(lkl_sys_connect(c, addr, len) == 0, "connect to %s", name);
	fill(out, PAYLOAD);
	/* interleave writes and reads so neither side's buffers fill up */
	while (got < PAYLOAD) {
		if (sent < PAYLOAD) {
			long w = lkl_sys_write(c, (const char *)out + sent, PAYLOAD - sent > 32768 ? 32768 : PAYLOAD - sent);

			if (w <= 0)
				break;
			sent += w;
		}
		long r = lkl_sys_recvfrom(c, in + got, PAYLOAD - got, sent < PAYLOAD ? LKL_MSG_DONTWAIT : 0, NULL, NULL);

		if (r == 0 || (r < 0 && r != -LKL_EAGAIN))
			break;
		if (r > 0)
			got += r;
	}
	lkl_sys_close(c);
	pthread_join(t, NULL);
	lkl_sys_close(s);
	CHECK(got == PAYLOAD && e.served == PAYLOAD, "TCP over %s: %ld of %d bytes echoed", name, got, PAYLOAD);
	CHECK(memcmp(in, out, PAYLOAD) == 0, "TCP over %s: the echo is byte for byte the same", name);
	free(in);
	free(out);
}

static void udp_round_trip(void)
{
	struct lkl_sockaddr_in a = { 0 }, b = { 0 }, from = { 0 };
	int fromlen = sizeof(from);
	char buf[64] = { 0 };
	long sa, sb;

	a.sin_family = b.sin_family = LKL_AF_INET;
	a.sin_addr.lkl_s_addr = b.sin_addr.lkl_s_addr = lkl_htonl(LKL_INADDR_LOOPBACK);
	a.sin_port = lkl_htons(7003);
	b.sin_port = lkl_htons(7004);
	sa = OK(lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0));
	sb = OK(lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0));
	OK(lkl_sys_bind(sa, &a, sizeof(a)));
	OK(lkl_sys_bind(sb, &b, sizeof(b)));
	CHECK(lkl_sys_sendto(sa, "ping", 4, 0, &b, sizeof(b)) == 4, "UDP send ping");
	CHECK(lkl_sys_recvfrom(sb, buf, sizeof(buf), 0, &from, &fromlen) == 4 &&
		      !memcmp(buf, "ping", 4) && from.sin_port == lkl_htons(7003),
	      "UDP ping arrives from port 7003");
	CHECK(lkl_sys_sendto(sb, "pong", 4, 0, &from, fromlen) == 4, "UDP send pong back");
	CHECK(lkl_sys_recvfrom(sa, buf, sizeof(buf), 0, NULL, NULL) == 4 && !memcmp(buf, "pong", 4),
	      "UDP pong arrives");
	lkl_sys_close(sa);
	lkl_sys_close(sb);
}

/* Every protocol family the kernel is configured with answers socket(). */
static void families(void)
{
	static const struct {
		int domain, type, protocol;
		const char *name;
	} f[] = {
		{ LKL_AF_INET, LKL_SOCK_STREAM, LKL_IPPROTO_MPTCP, "MPTCP" },
		{ LKL_AF_INET6, LKL_SOCK_STREAM, LKL_IPPROTO_MPTCP, "MPTCP over IPv6" },
		{ LKL_AF_INET, LKL_SOCK_STREAM, LKL_IPPROTO_SCTP, "SCTP" },
		{ LKL_AF_UNIX, LKL_SOCK_STREAM, 0, "UNIX" },
		{ LKL_AF_PACKET, LKL_SOCK_RAW, 0, "PACKET" },
		{ LKL_AF_NETLINK, LKL_SOCK_RAW, 0, "NETLINK (route)" },
	};

	for (unsigned int i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		long s = lkl_sys_socket(f[i].domain, f[i].type, f[i].protocol);

		CHECK(s >= 0, "a %s socket (%ld%s%s)", f[i].name, s, s < 0 ? " " : "", s < 0 ? lkl_strerror((int)s) : "");
		if (s >= 0)
			lkl_sys_close(s);
	}
}

int main(void)
{
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	REQUIRE(lkl_start_kernel("mem=64M loglevel=4") == 0, "lkl_start_kernel");
	REQUIRE(lkl_if_up(1) == 0, "loopback (ifindex 1) up");
	families();
	tcp_echo(LKL_AF_INET);
	tcp_echo(LKL_AF_INET6);
	udp_round_trip();
	CHECK(lkl_sys_halt() == 0, "halt");
	lkl_cleanup();
	return ktest_done();
}
