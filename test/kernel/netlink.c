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
 * (TAP and AF_PACKET to the host are nethost.c.)
 */
#include "netcommon.h"

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

	/* "udp:HOST:PORT:LOCALPORT" takes numeric addresses (and localhost):
	 * the platform parses them itself, with no resolver */
	{
		static const char *const good[] = { "udp:127.0.0.1:47701:47702",
						     "udp:[::1]:47703:47704",
						     "udp:localhost:47705:47706" };

		for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			nd = lkl_netdev_stream_create(good[i], LKL_NETDEV_DGRAM, 0);
			r = lkl_netdev_add(nd, NULL);
			CHECK(r >= 0, "%s: lkl_netdev_add = %d (%s)", good[i], r, r < 0 ? lkl_strerror(r) : "");
			lkl_netdev_remove(r);
			lkl_netdev_free(nd);
		}
		nd = lkl_netdev_stream_create("udp:no-such-host.invalid:1:2", LKL_NETDEV_DGRAM, 0);
		r = lkl_netdev_add(nd, NULL);
		CHECK(r == -LKL_ENOENT, "a UDP host that is a name: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
		lkl_netdev_free(nd);
		nd = lkl_netdev_stream_create("udp:127.0.0.1:http:2", LKL_NETDEV_DGRAM, 0);
		r = lkl_netdev_add(nd, NULL);
		CHECK(r == -LKL_EINVAL, "a UDP port that is not a number: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
		lkl_netdev_free(nd);
	}

	if (geteuid() != 0) {
		nd = lkl_netdev_tap_create("lunikbad0", 0);
		r = lkl_netdev_add(nd, NULL);
		CHECK(r == -LKL_EPERM || r == -LKL_ENOENT, "TAP without privilege: lkl_netdev_add = %d (%s)", r, lkl_strerror(r));
		lkl_netdev_free(nd);
	}
	lkl_cleanup();
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
	fprintf(stderr, "usage: netlink pair [MiB] | dgram | loopback [MiB] | bad\n");
	return 2;
}
