/* nethost.c: network devices between the kernel library and the host
 * (root, inside a network namespace the test makes):
 *
 *   nethost tap IFNAME   TAP: host <-> kernel TCP echo both ways, ping from
 *                        the kernel, vnet-header offloads negotiated
 *   nethost raw          AF_PACKET on a veth: ping both ways
 */
#include "netcommon.h"

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
	if (argc >= 2 && !strcmp(argv[1], "raw"))
		return raw();
	if (argc >= 3 && !strcmp(argv[1], "tap"))
		return tap(argv[2]);
	fprintf(stderr, "usage: nethost tap IFNAME | raw\n");
	return 2;
}
