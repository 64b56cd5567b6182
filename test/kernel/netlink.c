/* netlink.c: network devices (virtio-net over virtio-mmio) between kernel
 * instances and to the host.
 *
 *   netlink pair [MiB]   two processes, one kernel each, joined by a
 *                        socketpair link (QEMU -netdev stream framing):
 *                        TCP echo of 10 MiB, ping both ways, IPv6 TCP, an
 *                        IPv6 gateway and a neighbour entry, throughput
 *   netlink dgram [MiB]  the same link with datagram framing, MTU 1500
 *   netlink end A|B SPEC one end of the pair test over lkl_netdev_stream_create
 *                        (e.g. "unix:PATH" of a QEMU -netdev stream hub)
 *   netlink loopback [MiB]  host loopback TCP throughput, for comparison
 *   netlink bad          bad input: missing names, closed fd, no interface
 *   netlink tap IFNAME   (root, inside a network namespace) TAP: host <->
 *                        kernel TCP echo both ways, ping from the kernel
 *   netlink raw          (root, inside a network namespace) AF_PACKET on
 *                        a veth: ping both ways
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"
#include <lkl/linux/neighbour.h>
#include <lkl/linux/netlink.h>
#include <lkl/linux/rtnetlink.h>

static const unsigned char MAC_A[6] = { 0x02, 0x4c, 0, 0, 0, 0x0a };
static const unsigned char MAC_B[6] = { 0x02, 0x4c, 0, 0, 0, 0x0b };
static const char *who = "";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 31 + (i >> 12));
}

static int read_file(const char *path, char *buf, size_t len)
{
	long fd = lkl_sys_open(path, LKL_O_RDONLY, 0), n, got = 0;

	if (fd < 0)
		return (int)fd;
	while ((n = lkl_sys_read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	lkl_sys_close(fd);
	buf[got] = 0;
	return (int)got;
}

static long full_write(long fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		long r = lkl_sys_write(fd, (const char *)buf + done, len - done);

		if (r <= 0)
			return r < 0 ? r : -LKL_EIO;
		done += (size_t)r;
	}
	return (long)done;
}

/* Send len bytes (blk repeated) on c, half-close, and return the 8-byte
 * count the receiver answers with (0 if it never does). */
static uint64_t send_counted(long c, const char *blk, size_t blksz, size_t len)
{
	uint64_t back = 0;

	while (len) {
		size_t k = len < blksz ? len : blksz;

		if (full_write(c, blk, k) < 0)
			break;
		len -= k;
	}
	lkl_sys_shutdown(c, LKL_SHUT_WR);
	lkl_sys_read(c, (char *)&back, 8);
	return back;
}

/* ---- ICMP echo over a SOCK_DGRAM/IPPROTO_ICMP(V6) socket ------------ */

static int ping(int af, const void *addr, int tries)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6 };
	struct { long sec, usec; } tv = { 1, 0 };
	unsigned char pkt[64], rep[128];
	long s = lkl_sys_socket(af, LKL_SOCK_DGRAM, af == LKL_AF_INET ? LKL_IPPROTO_ICMP : LKL_IPPROTO_ICMPV6);
	void *sa = af == LKL_AF_INET ? (void *)&sin : (void *)&sin6;
	int salen = af == LKL_AF_INET ? sizeof(sin) : sizeof(sin6), ok = 0;

	if (s < 0)
		return (int)s;
	if (af == LKL_AF_INET)
		memcpy(&sin.sin_addr, addr, 4);
	else
		memcpy(&sin6.sin6_addr, addr, 16);
	lkl_sys_setsockopt(s, LKL_SOL_SOCKET, LKL_SO_RCVTIMEO_OLD, (void *)&tv, sizeof(tv));
	for (int i = 0; i < tries && !ok; i++) {
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = af == LKL_AF_INET ? 8 : 128; /* echo request */
		pkt[7] = (unsigned char)i;
		memcpy(pkt + 8, "lunik-ping", 10);
		if (lkl_sys_sendto(s, pkt, sizeof(pkt), 0, sa, salen) < 0) {
			sleep(1);
			continue;
		}
		for (;;) {
			long n = lkl_sys_recvfrom(s, rep, sizeof(rep), 0, NULL, NULL);

			if (n < 0)
				break;
			if (n >= 18 && rep[0] == (af == LKL_AF_INET ? 0 : 129) &&
			    !memcmp(rep + 8, "lunik-ping", 10)) {
				ok = 1;
				break;
			}
		}
	}
	lkl_sys_close(s);
	return ok;
}

/* ---- TCP helpers inside the kernel ---------------------------------- */

static long listen_on(int af, const void *addr, int port)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET, .sin_port = lkl_htons(port) };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6, .sin6_port = lkl_htons(port) };
	long s = lkl_sys_socket(af, LKL_SOCK_STREAM, 0), r;
	int one = 1;

	if (s < 0)
		return s;
	lkl_sys_setsockopt(s, LKL_SOL_SOCKET, LKL_SO_REUSEADDR, (void *)&one, sizeof(one));
	if (af == LKL_AF_INET) {
		memcpy(&sin.sin_addr, addr, 4);
		r = lkl_sys_bind(s, (void *)&sin, sizeof(sin));
	} else {
		memcpy(&sin6.sin6_addr, addr, 16);
		r = lkl_sys_bind(s, (void *)&sin6, sizeof(sin6));
	}
	if (r >= 0)
		r = lkl_sys_listen(s, 4);
	if (r < 0) {
		lkl_sys_close(s);
		return r;
	}
	return s;
}

/* Connect, retrying for up to 20 s while the peer comes up. */
static long connect_to(int af, const void *addr, int port)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET, .sin_port = lkl_htons(port) };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6, .sin6_port = lkl_htons(port) };
	long r = -LKL_ETIMEDOUT;

	if (af == LKL_AF_INET)
		memcpy(&sin.sin_addr, addr, 4);
	else
		memcpy(&sin6.sin6_addr, addr, 16);
	for (int i = 0; i < 100; i++) {
		long s = lkl_sys_socket(af, LKL_SOCK_STREAM, 0);

		if (s < 0)
			return s;
		r = af == LKL_AF_INET ? lkl_sys_connect(s, (void *)&sin, sizeof(sin)) :
					lkl_sys_connect(s, (void *)&sin6, sizeof(sin6));
		if (r == 0)
			return s;
		lkl_sys_close(s);
		usleep(200000);
	}
	return r;
}

/* Echo everything on one accepted connection until EOF; bytes echoed. */
static long echo_one(long ls)
{
	static char buf[65536];
	long c = lkl_sys_accept4(ls, NULL, NULL, 0), n, total = 0;

	if (c < 0)
		return c;
	while ((n = lkl_sys_read(c, buf, sizeof(buf))) > 0) {
		if (full_write(c, buf, (size_t)n) < 0)
			break;
		total += n;
	}
	lkl_sys_close(c);
	return total;
}

/* Discard until EOF, then answer with the count (8 bytes). */
static long sink_one(long ls)
{
	static char buf[65536];
	long c = lkl_sys_accept4(ls, NULL, NULL, 0), n;
	uint64_t total = 0;

	if (c < 0)
		return c;
	while ((n = lkl_sys_read(c, buf, sizeof(buf))) > 0)
		total += (uint64_t)n;
	full_write(c, (char *)&total, 8);
	lkl_sys_close(c);
	return (long)total;
}

struct writer {
	long fd;
	size_t len;
	long ret;
};

static void *writer_fn(void *p)
{
	struct writer *w = p;
	static unsigned char buf[65536];
	size_t off = 0;

	while (off < w->len) {
		size_t k = w->len - off < sizeof(buf) ? w->len - off : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = pat(off + i);
		if (full_write(w->fd, buf, k) < 0) {
			w->ret = -1;
			return NULL;
		}
		off += k;
	}
	lkl_sys_shutdown(w->fd, LKL_SHUT_WR);
	w->ret = 0;
	return NULL;
}

/* Send len pattern bytes on fd and check they all come back in order. */
static int echo_check(long fd, size_t len)
{
	static unsigned char buf[65536];
	struct writer w = { fd, len, -1 };
	pthread_t t;
	size_t got = 0;
	int same = 1;
	long n;

	pthread_create(&t, NULL, writer_fn, &w);
	while ((n = lkl_sys_read(fd, (char *)buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n && same; i++)
			if (buf[i] != pat(got + (size_t)i))
				same = 0;
		got += (size_t)n;
	}
	pthread_join(t, NULL);
	return w.ret == 0 && same && got == len;
}

/* Virtio feature bit `bit` as negotiated for interface ifname (sysfs). */
static int feature(const char *ifname, int bit)
{
	char path[96] = { 0 }, buf[160];

	lkl_mount_fs("sysfs");
	snprintf(path, sizeof(path), "/sysfs/class/net/%s/device/features", ifname);
	if (read_file(path, buf, sizeof(buf)) <= bit)
		return -1;
	return buf[bit] == '1';
}

/* ---- the IPv6 neighbour table over rtnetlink (RTM_GETNEIGH dump) ---- */

static int has_neigh6(int ifindex, const unsigned char *ip, const unsigned char *mac)
{
	struct {
		struct lkl_nlmsghdr h;
		struct lkl_ndmsg nd;
	} req = { 0 };
	static char buf[16384];
	long s = lkl_sys_socket(LKL_AF_NETLINK, LKL_SOCK_RAW, LKL_NETLINK_ROUTE), n;
	int found = 0, done = 0;

	if (s < 0)
		return 0;
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = LKL_RTM_GETNEIGH;
	req.h.nlmsg_flags = LKL_NLM_F_REQUEST | LKL_NLM_F_DUMP;
	req.nd.ndm_family = LKL_AF_INET6;
	if (lkl_sys_write(s, (char *)&req, sizeof(req)) < 0)
		goto out;
	while (!done && (n = lkl_sys_read(s, buf, sizeof(buf))) > 0) {
		for (struct lkl_nlmsghdr *h = (void *)buf; LKL_NLMSG_OK(h, n); h = LKL_NLMSG_NEXT(h, n)) {
			struct lkl_ndmsg *nd = LKL_NLMSG_DATA(h);
			struct lkl_rtattr *a;
			int alen, ipok = 0, macok = 0;

			if (h->nlmsg_type == LKL_NLMSG_DONE || h->nlmsg_type == LKL_NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nd->ndm_ifindex != ifindex || !(nd->ndm_state & LKL_NUD_PERMANENT))
				continue;
			alen = (int)h->nlmsg_len - (int)LKL_NLMSG_LENGTH(sizeof(*nd));
			for (a = (void *)((char *)nd + LKL_NLMSG_ALIGN(sizeof(*nd))); LKL_RTA_OK(a, alen);
			     a = LKL_RTA_NEXT(a, alen)) {
				if (a->rta_type == LKL_NDA_DST && !memcmp(LKL_RTA_DATA(a), ip, 16))
					ipok = 1;
				if (a->rta_type == LKL_NDA_LLADDR && !memcmp(LKL_RTA_DATA(a), mac, 6))
					macok = 1;
			}
			if (ipok && macok)
				found = 1;
		}
	}
out:
	lkl_sys_close(s);
	return found;
}

/* ---- one end of the pair link ---------------------------------------- */

#define PORT_ECHO 7
#define PORT_SINK 9
#define PORT_ECHO6 8

static int end_main(int is_a, int fd, int framing, size_t bulk_mib, const char *spec)
{
	struct lkl_netdev_args args = { .mac = (void *)(is_a ? MAC_A : MAC_B) };
	unsigned int a4, b4;
	unsigned char a6[16], b6[16], gw6[16];
	struct lkl_netdev *nd;
	int id, ifx, mtu = framing == LKL_NETDEV_STREAM ? 65520 : 1500;
	char buf[16384];

	who = is_a ? "A" : "B";
	inet_pton(AF_INET, "10.77.0.1", &a4);
	inet_pton(AF_INET, "10.77.0.2", &b4);
	inet_pton(AF_INET6, "fd00::1", a6);
	inet_pton(AF_INET6, "fd00::2", b6);
	inet_pton(AF_INET6, "fd00::1", gw6);
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "%s: lkl_init", who);
	if (spec) {
		mtu = 1500;
		nd = lkl_netdev_stream_create(spec, framing, mtu);
		REQUIRE(nd, "%s: lkl_netdev_stream_create(%s)", who, spec);
	} else {
		nd = lkl_netdev_socket_create(fd, framing, mtu);
		REQUIRE(nd, "%s: lkl_netdev_socket_create(fd %d)", who, fd);
	}
	if (is_a) {
		/* A: added before boot (announced on the command line) */
		id = lkl_netdev_add(nd, &args);
		REQUIRE(id >= 0, "%s: lkl_netdev_add before boot = %d", who, id);
		REQUIRE(lkl_start_kernel("mem=64M loglevel=4") == 0, "%s: lkl_start_kernel", who);
	} else {
		/* B: hot-added after boot */
		REQUIRE(lkl_start_kernel("mem=64M loglevel=4") == 0, "%s: lkl_start_kernel", who);
		id = lkl_netdev_add(nd, &args);
		REQUIRE(id >= 0, "%s: lkl_netdev_add after boot = %d", who, id);
	}
	ifx = lkl_netdev_get_ifindex(id);
	REQUIRE(ifx > 1, "%s: lkl_netdev_get_ifindex = %d", who, ifx);
	CHECK(lkl_if_up(1) == 0, "%s: lo up", who);
	CHECK(lkl_if_up(ifx) == 0, "%s: interface up", who);
	CHECK(lkl_if_set_ipv4(ifx, is_a ? a4 : b4, 24) == 0, "%s: IPv4 address", who);
	CHECK(lkl_if_set_ipv6(ifx, is_a ? a6 : b6, 64) == 0, "%s: IPv6 address", who);
	CHECK(lkl_sysctl("net/ipv6/conf/all/accept_dad", "0") == 0 &&
	      lkl_sysctl("net/ipv4/ping_group_range", "0 2147483647") == 0,
	      "%s: sysctls (no DAD, ping sockets for gid 0)", who);
	snprintf(buf, sizeof(buf), "/sys/class/net");
	{
		/* the interface's MTU is the device's */
		char path[64] = { 0 }, name[32] = { 0 }, m[32];
		struct lkl_ifreq ifr = { 0 };
		long s = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0);

		ifr.lkl_ifr_ifindex = ifx;
		lkl_sys_ioctl(s, LKL_SIOCGIFNAME, (long)&ifr);
		memcpy(name, ifr.lkl_ifr_name, 16);
		lkl_sys_ioctl(s, LKL_SIOCGIFMTU, (long)&ifr);
		lkl_sys_close(s);
		snprintf(m, sizeof(m), "%d", ifr.lkl_ifr_mtu);
		CHECK(ifr.lkl_ifr_mtu == mtu, "%s: %s has MTU %s (VIRTIO_NET_F_MTU)", who, name, m);
		CHECK(feature(name, 3) == 1 && feature(name, 5) == 1 && feature(name, 16) == 1 &&
		      feature(name, 0) == 0 && feature(name, 11) == 0,
		      "%s: negotiated MTU, MAC, STATUS and no offloads (the socket link has no vnet header)", who);
		(void)path;
	}

	if (is_a) {
		long l4 = listen_on(LKL_AF_INET, &a4, PORT_ECHO);
		long l6 = listen_on(LKL_AF_INET6, a6, PORT_ECHO6);
		long ls = listen_on(LKL_AF_INET, &a4, PORT_SINK);

		REQUIRE(l4 >= 0 && l6 >= 0 && ls >= 0, "%s: listening on :7, [::]:8, :9", who);
		CHECK(ping(LKL_AF_INET, &b4, 20) == 1, "%s: ping 10.77.0.2 (ICMP echo over the link)", who);
		CHECK(echo_one(l4) == 10 << 20, "%s: echoed 10 MiB over IPv4 TCP", who);
		CHECK(echo_one(l6) == 1 << 20, "%s: echoed 1 MiB over IPv6 TCP", who);
		if (bulk_mib)
			CHECK(sink_one(ls) == (long)(bulk_mib << 20), "%s: received %zu MiB (throughput run)", who, bulk_mib);
		/* wait for B's last ping before going away */
		CHECK(echo_one(l4) == 0, "%s: B says it is done", who);
	} else {
		long c;

		CHECK(ping(LKL_AF_INET, &a4, 20) == 1, "%s: ping 10.77.0.1 (ICMP echo over the link)", who);
		c = connect_to(LKL_AF_INET, &a4, PORT_ECHO);
		REQUIRE(c >= 0, "%s: connect 10.77.0.1:7 = %ld", who, c);
		double t0 = now();
		CHECK(echo_check(c, 10 << 20), "%s: 10 MiB sent over IPv4 TCP came back intact", who);
		printf("# %s: 10 MiB echo round trip in %.3f s\n", who, now() - t0);
		lkl_sys_close(c);

		c = connect_to(LKL_AF_INET6, a6, PORT_ECHO6);
		REQUIRE(c >= 0, "%s: connect [fd00::1]:8 = %ld", who, c);
		CHECK(echo_check(c, 1 << 20), "%s: 1 MiB over IPv6 TCP came back intact", who);
		lkl_sys_close(c);
		CHECK(ping(LKL_AF_INET6, a6, 5) == 1, "%s: ping6 fd00::1", who);

		/* a default IPv6 route via A and a permanent neighbour entry */
		CHECK(lkl_set_ipv6_gateway(gw6) == 0, "%s: lkl_set_ipv6_gateway fd00::1", who);
		CHECK(lkl_add_neighbor(ifx, LKL_AF_INET6, a6, (void *)MAC_A) == 0, "%s: lkl_add_neighbor fd00::1 -> A's MAC", who);
		read_file("/proc/net/ipv6_route", buf, sizeof(buf));
		CHECK(strstr(buf, "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001") != NULL,
		      "%s: /proc/net/ipv6_route has ::/0 via fd00::1", who);
		CHECK(has_neigh6(ifx, a6, MAC_A), "%s: RTM_GETNEIGH dump has fd00::1 lladdr 02:4c:00:00:00:0a PERMANENT", who);

		if (bulk_mib) {
			static char blk[65536];
			size_t left = bulk_mib << 20;
			uint64_t back = 0;

			c = connect_to(LKL_AF_INET, &a4, PORT_SINK);
			REQUIRE(c >= 0, "%s: connect :9", who);
			memset(blk, 0x5a, sizeof(blk));
			t0 = now();
			back = send_counted(c, blk, sizeof(blk), left);
			double dt = now() - t0;
			CHECK(back == (uint64_t)(bulk_mib << 20), "%s: A counted all %zu MiB", who, bulk_mib);
			printf("# throughput (kernel<->kernel, %s link): %zu MiB in %.3f s = %.1f MiB/s = %.2f Gbit/s\n",
			       framing == LKL_NETDEV_STREAM ? "stream" : "dgram", bulk_mib, dt,
			       (double)bulk_mib / dt, (double)bulk_mib * 8.0 * 1048576.0 / dt / 1e9);
			lkl_sys_close(c);
		}
		c = connect_to(LKL_AF_INET, &a4, PORT_ECHO);
		CHECK(c >= 0, "%s: tell A we are done", who);
		lkl_sys_close(c);
	}
	lkl_netdev_remove(id);
	lkl_netdev_free(nd);
	lkl_sys_halt();
	printf("%s: %d passed, %d failed\n", who, ktest_n - ktest_failed, ktest_failed);
	return ktest_failed ? 1 : 0;
}

static int pair(int framing, size_t bulk_mib)
{
	int sv[2], st[2] = { -1, -1 };
	pid_t p[2];

	REQUIRE(socketpair(AF_UNIX, framing == LKL_NETDEV_STREAM ? SOCK_STREAM : SOCK_DGRAM, 0, sv) == 0,
		"socketpair");
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		p[i] = fork();
		if (p[i] == 0) {
			close(sv[1 - i]);
			_exit(end_main(i == 0, sv[i], framing, bulk_mib, NULL));
		}
	}
	close(sv[0]);
	close(sv[1]);
	for (int i = 0; i < 2; i++) {
		int s;

		waitpid(p[i], &s, 0);
		st[i] = s;
	}
	CHECK(WIFEXITED(st[0]) && WEXITSTATUS(st[0]) == 0, "process A exited 0 (status 0x%x)", st[0]);
	CHECK(WIFEXITED(st[1]) && WEXITSTATUS(st[1]) == 0, "process B exited 0 (status 0x%x)", st[1]);
	return ktest_done();
}

/* ---- host loopback TCP, for comparison -------------------------------- */

static void *host_sink(void *p)
{
	int ls = *(int *)p, c = accept(ls, NULL, NULL);
	static char buf[65536];
	uint64_t total = 0;
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0)
		total += (uint64_t)n;
	if (write(c, &total, 8) != 8)
		total = 0;
	close(c);
	return NULL;
}

static int loopback(size_t mib)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0), c;
	static char blk[65536];
	uint64_t back = 0;
	pthread_t t;
	size_t left = mib << 20;

	bind(ls, (void *)&a, sizeof(a));
	listen(ls, 1);
	getsockname(ls, (void *)&a, &al);
	pthread_create(&t, NULL, host_sink, &ls);
	c = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(connect(c, (void *)&a, sizeof(a)) == 0, "host loopback connect");
	double t0 = now();
	while (left) {
		size_t k = left < sizeof(blk) ? left : sizeof(blk);
		ssize_t w = write(c, blk, k);

		if (w <= 0)
			break;
		left -= (size_t)w;
	}
	shutdown(c, SHUT_WR);
	if (read(c, &back, 8) != 8)
		back = 0;
	double dt = now() - t0;
	pthread_join(t, NULL);
	CHECK(back == (uint64_t)(mib << 20), "host loopback: %zu MiB counted", mib);
	printf("# throughput (host loopback TCP): %zu MiB in %.3f s = %.1f MiB/s = %.2f Gbit/s\n", mib, dt,
	       (double)mib / dt, (double)mib * 8.0 * 1048576.0 / dt / 1e9);
	return ktest_done();
}

/* ---- bad input ------------------------------------------------------ */

static int bad(void)
{
	struct lkl_netdev *nd;
	int fds[2], r;

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	CHECK(lkl_netdev_tap_create(NULL, 0) == NULL, "lkl_netdev_tap_create(NULL) is NULL");
	CHECK(lkl_netdev_tap_create("", 0) == NULL, "lkl_netdev_tap_create(\"\") is NULL");
	CHECK(lkl_netdev_raw_create(NULL) == NULL, "lkl_netdev_raw_create(NULL) is NULL");
	CHECK(lkl_netdev_socket_create(-1, LKL_NETDEV_STREAM, 0) == NULL, "lkl_netdev_socket_create(-1) is NULL");
	CHECK(lkl_netdev_socket_create(3, 99, 0) == NULL, "an unknown framing is NULL");
	CHECK(lkl_netdev_add(NULL, NULL) == -LKL_EINVAL, "lkl_netdev_add(NULL) = -EINVAL");

	nd = lkl_netdev_raw_create("nosuchif9");
	r = lkl_netdev_add(nd, NULL);
	CHECK(r == -LKL_ENOENT, "raw on a missing host interface: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
	lkl_netdev_free(nd);

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0, "socketpair");
	close(fds[0]);
	close(fds[1]);
	nd = lkl_netdev_socket_create(fds[0], LKL_NETDEV_STREAM, 0);
	r = lkl_netdev_add(nd, NULL);
	CHECK(r == -LKL_EINVAL, "a closed fd: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
	lkl_netdev_free(nd);

	REQUIRE(pipe(fds) == 0, "pipe");
	nd = lkl_netdev_socket_create(fds[0], LKL_NETDEV_STREAM, 0);
	r = lkl_netdev_add(nd, NULL);
	CHECK(r == -LKL_EINVAL, "a pipe (not a socket): lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
	lkl_netdev_free(nd);

	nd = lkl_netdev_stream_create("unix:/nonexistent/lunik.sock", LKL_NETDEV_STREAM, 0);
	r = lkl_netdev_add(nd, NULL);
	CHECK(r == -LKL_ENOENT, "a missing socket path: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
	lkl_netdev_free(nd);

	if (geteuid() != 0) {
		nd = lkl_netdev_tap_create("lunikbad0", 0);
		r = lkl_netdev_add(nd, NULL);
		CHECK(r == -LKL_EPERM || r == -LKL_ENOENT, "TAP without privilege: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
		lkl_netdev_free(nd);
	}
	lkl_cleanup();
	return ktest_done();
}

/* ---- TAP (root, inside a network namespace) -------------------------- */

static int sys(const char *cmd)
{
	int r = system(cmd);

	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

struct host_echo {
	int ls;
	long total;
};

static void *host_echo_fn(void *p)
{
	struct host_echo *e = p;
	int c = accept(e->ls, NULL, NULL);
	static char buf[65536];
	ssize_t n;

	e->total = 0;
	while (c >= 0 && (n = read(c, buf, sizeof(buf))) > 0) {
		if (write(c, buf, (size_t)n) != n)
			break;
		e->total += n;
	}
	close(c);
	return NULL;
}

struct kernel_echo {
	long ls;
	long total;
};

static void *kernel_echo_fn(void *p)
{
	struct kernel_echo *e = p;

	e->total = echo_one(e->ls);
	return NULL;
}

/* Host client: len pattern bytes to addr:port, all back intact. */
static int host_echo_check(const char *ip, int port, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static unsigned char out[1 << 20], in[1 << 20];
	int c = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0, sent = 0;

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (connect(c, (void *)&a, sizeof(a))) {
		close(c);
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = pat(i);
	/* small enough to interleave: 64 KiB out, then read what came back */
	while (got < len) {
		if (sent < len) {
			size_t k = len - sent < 65536 ? len - sent : 65536;
			ssize_t w = write(c, out + sent, k);

			if (w <= 0)
				break;
			sent += (size_t)w;
		}
		ssize_t r = recv(c, in + got, len - got, sent < len ? MSG_DONTWAIT : 0);

		if (r == 0 || (r < 0 && errno != EAGAIN))
			break;
		if (r > 0)
			got += (size_t)r;
	}
	close(c);
	return got == len && !memcmp(in, out, len);
}

static int tap(const char *ifname)
{
	struct lkl_netdev *nd;
	unsigned int k4, h4;
	int id, ifx, hl, one = 1;
	struct sockaddr_in ha = { .sin_family = AF_INET, .sin_port = htons(7200) };
	struct host_echo he = { 0 };
	struct kernel_echo ke = { 0 };
	pthread_t ht, kt;
	char cmd[256];
	long c;

	inet_pton(AF_INET, "10.99.0.2", &k4);
	inet_pton(AF_INET, "10.99.0.1", &h4);
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	nd = lkl_netdev_tap_create(ifname, (1 << LKL_VIRTIO_NET_F_CSUM) | (1 << LKL_VIRTIO_NET_F_GUEST_CSUM) |
						  (1 << LKL_VIRTIO_NET_F_HOST_TSO4) | (1 << LKL_VIRTIO_NET_F_GUEST_TSO4) |
						  (1 << LKL_VIRTIO_NET_F_HOST_TSO6) | (1 << LKL_VIRTIO_NET_F_GUEST_TSO6));
	REQUIRE(nd, "lkl_netdev_tap_create(%s)", ifname);
	id = lkl_netdev_add(nd, NULL);
	REQUIRE(id >= 0, "lkl_netdev_add(TAP %s) = %d", ifname, id);
	REQUIRE(lkl_start_kernel("mem=64M loglevel=4") == 0, "lkl_start_kernel");
	snprintf(cmd, sizeof(cmd), "ip link set lo up && ip addr add 10.99.0.1/24 dev %s && ip link set %s up", ifname, ifname);
	CHECK(sys(cmd) == 0, "host side: %s", cmd);
	ifx = lkl_netdev_get_ifindex(id);
	REQUIRE(ifx > 1, "lkl_netdev_get_ifindex = %d", ifx);
	CHECK(lkl_if_up(ifx) == 0, "interface up");
	CHECK(lkl_if_set_ipv4(ifx, k4, 24) == 0, "10.99.0.2/24");
	CHECK(feature("eth0", 0) == 1 && feature("eth0", 1) == 1 && feature("eth0", 7) == 1 &&
	      feature("eth0", 11) == 1,
	      "TAP with IFF_VNET_HDR: CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4 negotiated");
	CHECK(lkl_sysctl("net/ipv4/ping_group_range", "0 2147483647") == 0, "ping sockets for gid 0");

	/* a host-side echo service the kernel reaches */
	hl = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(hl, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ha.sin_addr.s_addr = h4;
	REQUIRE(bind(hl, (void *)&ha, sizeof(ha)) == 0 && listen(hl, 1) == 0, "host listens on 10.99.0.1:7200");
	he.ls = hl;
	pthread_create(&ht, NULL, host_echo_fn, &he);
	/* a kernel-side echo service the host reaches */
	ke.ls = listen_on(LKL_AF_INET, &k4, 7100);
	REQUIRE(ke.ls >= 0, "kernel listens on 10.99.0.2:7100");
	pthread_create(&kt, NULL, kernel_echo_fn, &ke);

	CHECK(ping(LKL_AF_INET, &h4, 10) == 1, "kernel pings the host side 10.99.0.1");
	CHECK(host_echo_check("10.99.0.2", 7100, 1 << 20), "host -> kernel TCP echo of 1 MiB intact");
	pthread_join(kt, NULL);
	CHECK(ke.total == 1 << 20, "kernel echoed %ld bytes", ke.total);
	c = connect_to(LKL_AF_INET, &h4, 7200);
	REQUIRE(c >= 0, "kernel connects to 10.99.0.1:7200 = %ld", c);
	CHECK(echo_check(c, 4 << 20), "kernel -> host TCP echo of 4 MiB intact");
	lkl_sys_close(c);
	pthread_join(ht, NULL);
	CHECK(he.total == 4 << 20, "host echoed %ld bytes", he.total);
	close(hl);

	/* throughput, kernel -> host over the TAP (TSO when offered) */
	{
		int ls = socket(AF_INET, SOCK_STREAM, 0);
		static char blk[65536];
		size_t mib = 256, left = mib << 20;
		uint64_t back = 0;
		pthread_t st;

		ha.sin_port = htons(7300);
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		REQUIRE(bind(ls, (void *)&ha, sizeof(ha)) == 0 && listen(ls, 1) == 0, "host sink on 10.99.0.1:7300");
		pthread_create(&st, NULL, host_sink, &ls);
		c = connect_to(LKL_AF_INET, &h4, 7300);
		REQUIRE(c >= 0, "kernel connects to the host sink");
		memset(blk, 0x3c, sizeof(blk));
		double t0 = now();
		back = send_counted(c, blk, sizeof(blk), left);
		double dt = now() - t0;
		pthread_join(st, NULL);
		lkl_sys_close(c);
		close(ls);
		CHECK(back == (uint64_t)(mib << 20), "the host counted all %zu MiB", mib);
		printf("# throughput (kernel -> host over TAP): %zu MiB in %.3f s = %.1f MiB/s = %.2f Gbit/s\n", mib, dt,
		       (double)mib / dt, (double)mib * 8.0 * 1048576.0 / dt / 1e9);
	}
	lkl_netdev_remove(id);
	lkl_netdev_free(nd);
	lkl_sys_halt();
	return ktest_done();
}

/* Host-side ICMP echo to ip over a raw socket (root); 1 when answered. */
static int host_ping(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { 1, 0 };
	unsigned char pkt[32] = { 8, 0 }, rep[256];
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), ok = 0;
	uint32_t sum = 0;

	if (s < 0)
		return 0;
	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pkt[4] = 0x4c;
	memcpy(pkt + 8, "lunik-hping", 11);
	for (int i = 0; i < 32; i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt[2] = (unsigned char)(~sum >> 8);
	pkt[3] = (unsigned char)~sum;
	for (int t = 0; t < 5 && !ok; t++) {
		sendto(s, pkt, sizeof(pkt), 0, (void *)&a, sizeof(a));
		for (;;) {
			ssize_t n = recv(s, rep, sizeof(rep), 0);
			int hl;

			if (n < 0)
				break;
			hl = (rep[0] & 15) * 4;
			if (n >= hl + 19 && rep[hl] == 0 && !memcmp(rep + hl + 8, "lunik-hping", 11) &&
			    !memcmp(rep + 12, &a.sin_addr, 4)) {
				ok = 1;
				break;
			}
		}
	}
	close(s);
	return ok;
}

/* AF_PACKET on one end of a veth pair (root, inside a network namespace).
 * ICMP only: the host's TCP/UDP over veth leaves checksums to offload,
 * which a packet socket without a vnet header cannot convey. */
static int raw(void)
{
	struct lkl_netdev *nd;
	unsigned int k4, h4;
	int id, ifx;

	inet_pton(AF_INET, "10.98.0.2", &k4);
	inet_pton(AF_INET, "10.98.0.1", &h4);
	REQUIRE(sys("ip link set lo up && ip link add lraw0 type veth peer name lraw1 && "
		    "ip addr add 10.98.0.1/24 dev lraw1 && ip link set lraw1 up && ip link set lraw0 up") == 0,
		"host side: a veth pair lraw0/lraw1, 10.98.0.1 on lraw1");
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	REQUIRE(lkl_start_kernel("mem=64M loglevel=4") == 0, "lkl_start_kernel");
	nd = lkl_netdev_raw_create("lraw0");
	REQUIRE(nd, "lkl_netdev_raw_create(lraw0)");
	id = lkl_netdev_add(nd, NULL);
	REQUIRE(id >= 0, "lkl_netdev_add(raw lraw0) after boot = %d", id);
	ifx = lkl_netdev_get_ifindex(id);
	REQUIRE(ifx > 1, "lkl_netdev_get_ifindex = %d", ifx);
	CHECK(lkl_if_up(ifx) == 0, "interface up");
	CHECK(lkl_if_set_ipv4(ifx, k4, 24) == 0, "10.98.0.2/24");
	CHECK(lkl_sysctl("net/ipv4/ping_group_range", "0 2147483647") == 0, "ping sockets for gid 0");
	CHECK(ping(LKL_AF_INET, &h4, 10) == 1, "kernel pings the host side 10.98.0.1 over AF_PACKET");
	CHECK(host_ping("10.98.0.2"), "the host pings the kernel 10.98.0.2 (raw ICMP socket)");
	lkl_netdev_remove(id);
	lkl_netdev_free(nd);
	lkl_sys_halt();
	sys("ip link del lraw0");
	return ktest_done();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "pair"))
		return pair(LKL_NETDEV_STREAM, argc > 2 ? (size_t)atoi(argv[2]) : 0);
	if (argc >= 2 && !strcmp(argv[1], "dgram"))
		return pair(LKL_NETDEV_DGRAM, argc > 2 ? (size_t)atoi(argv[2]) : 0);
	if (argc >= 4 && !strcmp(argv[1], "end"))
		/* one end over a socket path, e.g. through QEMU's -netdev stream */
		return end_main(!strcmp(argv[2], "A"), -1, LKL_NETDEV_STREAM, 0, argv[3]);
	if (argc >= 2 && !strcmp(argv[1], "loopback"))
		return loopback(argc > 2 ? (size_t)atoi(argv[2]) : 256);
	if (argc >= 2 && !strcmp(argv[1], "bad"))
		return bad();
	if (argc >= 2 && !strcmp(argv[1], "raw"))
		return raw();
	if (argc >= 3 && !strcmp(argv[1], "tap"))
		return tap(argv[2]);
	fprintf(stderr, "usage: netlink pair [MiB] | dgram | loopback [MiB] | bad | tap IFNAME | raw\n");
	return 2;
}
