/* passt.c: the kernel library on the network through passt, rootless
 * (how `lunik run --platform posix` connects a process unikernel):
 *
 *   passt SOCKET ADDR/PREFIX GATEWAY [-n CONNS] [-o HOSTPORT] [-m MTU]
 *
 * attaches a virtio-net device to passt's UNIX socket (QEMU -netdev stream
 * framing), configures ADDR/PREFIX and a default route via GATEWAY
 * statically (no DHCP), resolves the gateway with ARP (passt answers it),
 * optionally reads everything the host's 127.0.0.1:HOSTPORT sends (a banner
 * line, then bulk data) through the gateway address (passt maps it to the
 * host's loopback), then answers CONNS HTTP requests (default 1) on TCP
 * port 80 with a fixed response and exits.
 * "# listening on ADDR:80" on stdout says when requests may come.
 */
#include "netcommon.h"

#include <getopt.h>

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\n"
			       "Content-Type: text/plain\r\n"
			       "Content-Length: 41\r\n"
			       "Connection: close\r\n"
			       "\r\n"
			       "hello from Linux 6.12 in a host process\r\n";

/* The gateway's line in /proc/net/arp once it is complete (ATF_COM). */
static int gateway_resolved(const char *gw, char *mac, size_t maclen)
{
	char buf[4096], ip[64], hw[64], flags[16];
	char *line = buf;

	if (read_file("/proc/net/arp", buf, sizeof(buf)) < 0)
		return 0;
	while ((line = strchr(line, '\n')) != NULL) {
		line++;
		if (sscanf(line, "%63s %*s %15s %63s", ip, flags, hw) == 3 && !strcmp(ip, gw) &&
		    (strtoul(flags, NULL, 16) & 0x2)) {
			snprintf(mac, maclen, "%s", hw);
			return 1;
		}
	}
	return 0;
}

/* Send one datagram to GATEWAY:9 so that the kernel resolves the gateway and
 * passt sees a first frame (it learns the guest's MAC from it; until then it
 * sends to the broadcast address, which TCP would drop). */
static int announce(unsigned int gw)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET, .sin_port = lkl_htons(9) };
	long s = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0), r;

	if (s < 0)
		return (int)s;
	memcpy(&sin.sin_addr, &gw, 4);
	r = lkl_sys_sendto(s, "lunik", 5, 0, (void *)&sin, sizeof(sin));
	lkl_sys_close(s);
	return r < 0 ? (int)r : 0;
}

/* Read a request up to its blank line; answer; close. */
static int serve_one(long ls, int n)
{
	struct lkl_sockaddr_in peer = { 0 };
	int plen = sizeof(peer);
	char req[8192], *eol, from[32];
	long c = lkl_sys_accept4(ls, (void *)&peer, &plen, 0), got = 0, k;

	if (c < 0)
		return (int)c;
	while (got < (long)sizeof(req) - 1 && (k = lkl_sys_read(c, req + got, sizeof(req) - 1 - (size_t)got)) > 0) {
		got += k;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = 0;
	eol = strstr(req, "\r\n");
	if (eol)
		*eol = 0;
	inet_ntop(AF_INET, &peer.sin_addr, from, sizeof(from));
	printf("# request %d from %s:%u: %s\n", n, from, lkl_ntohs(peer.sin_port), req);
	k = full_write(c, RESPONSE, sizeof(RESPONSE) - 1);
	lkl_sys_shutdown(c, LKL_SHUT_WR);
	/* let the client close first, so the kernel's side does not reset */
	while (lkl_sys_read(c, req, sizeof(req)) > 0)
		;
	lkl_sys_close(c);
	return k == (long)sizeof(RESPONSE) - 1 ? 0 : -LKL_EIO;
}

int main(int argc, char **argv)
{
	int conns = 1, hostport = 0, mtu = 65520, prefix = 0, id, ifx, o;
	unsigned int addr, gw;
	char spec[256], *slash, mac[64] = "";
	struct lkl_netdev *nd;
	long ls;
	double t0;

	while ((o = getopt(argc, argv, "n:o:m:")) != -1) {
		if (o == 'n')
			conns = atoi(optarg);
		else if (o == 'o')
			hostport = atoi(optarg);
		else if (o == 'm')
			mtu = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 3 || !(slash = strchr(argv[optind + 1], '/'))) {
		fprintf(stderr, "usage: passt SOCKET ADDR/PREFIX GATEWAY [-n CONNS] [-o HOSTPORT] [-m MTU]\n");
		return 2;
	}
	*slash = 0;
	prefix = atoi(slash + 1);
	REQUIRE(inet_pton(AF_INET, argv[optind + 1], &addr) == 1 && inet_pton(AF_INET, argv[optind + 2], &gw) == 1,
		"addresses %s/%d via %s", argv[optind + 1], prefix, argv[optind + 2]);
	snprintf(spec, sizeof(spec), "unix:%s", argv[optind]);

	t0 = now();
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	nd = lkl_netdev_stream_create(spec, LKL_NETDEV_STREAM, mtu);
	REQUIRE(nd, "lkl_netdev_stream_create(%s)", spec);
	id = lkl_netdev_add(nd, NULL);
	REQUIRE(id >= 0, "lkl_netdev_add(%s) = %d %s", spec, id, id < 0 ? lkl_strerror(id) : "");
	REQUIRE(lkl_start_kernel("mem=64M loglevel=4") == 0, "lkl_start_kernel");
	ifx = lkl_netdev_get_ifindex(id);
	REQUIRE(ifx > 1, "lkl_netdev_get_ifindex = %d", ifx);
	CHECK(lkl_if_up(1) == 0, "lo up");
	CHECK(lkl_if_up(ifx) == 0, "interface up");
	CHECK(lkl_if_set_ipv4(ifx, addr, (unsigned int)prefix) == 0, "static address %s/%d", argv[optind + 1], prefix);
	CHECK(lkl_set_ipv4_gateway(gw) == 0, "default route via %s", argv[optind + 2]);
	printf("# booted and configured in %.1f ms\n", (now() - t0) * 1e3);

	/* ARP without DHCP: passt answers for the gateway */
	CHECK(lkl_mount_fs("proc") >= 0, "proc mounted");
	CHECK(announce(gw) == 0, "a first datagram to %s:9", argv[optind + 2]);
	for (int i = 0; i < 100 && !gateway_resolved(argv[optind + 2], mac, sizeof(mac)); i++) {
		usleep(50000);
		if (i % 20 == 19)
			announce(gw);
	}
	CHECK(mac[0], "ARP: the gateway %s is at %s (answered by passt)", argv[optind + 2], mac[0] ? mac : "?");

	if (hostport) {
		/* outbound: the gateway address is the host's loopback; the host
		 * sends a banner line and then bulk data until it closes */
		static char buf[65536];
		char banner[256] = "";
		long c = connect_to(LKL_AF_INET, &gw, hostport), n;
		size_t got = 0;

		CHECK(c >= 0, "connect %s:%d (the host's 127.0.0.1:%d) = %ld", argv[optind + 2], hostport, hostport, c);
		while (c >= 0 && (n = lkl_sys_read(c, buf, sizeof(buf))) > 0) {
			if (got < sizeof(banner) - 1) {
				size_t k = (size_t)n < sizeof(banner) - 1 - got ? (size_t)n : sizeof(banner) - 1 - got;

				memcpy(banner + got, buf, k);
			}
			got += (size_t)n;
		}
		*strchrnul(banner, '\n') = 0;
		CHECK(got > 0, "read from the host until it closed");
		printf("# from the host: %zu bytes, banner: %s\n", got, banner);
		if (c >= 0)
			lkl_sys_close(c);
	}

	{
		unsigned int any = 0;

		ls = listen_on(LKL_AF_INET, &any, 80);
	}
	REQUIRE(ls >= 0, "listen on 0.0.0.0:80 = %ld", ls);
	printf("# listening on %s:80\n", argv[optind + 1]);
	fflush(stdout);
	for (int i = 1; i <= conns; i++) {
		int r = serve_one(ls, i);

		CHECK(r == 0, "answered request %d (%d %s)", i, r, r ? lkl_strerror(r) : "");
	}
	lkl_sys_close(ls);
	lkl_netdev_remove(id);
	lkl_netdev_free(nd);
	lkl_sys_halt();
	return ktest_done();
}
