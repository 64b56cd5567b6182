/* netconf.c: the network-configuration API over rtnetlink and /proc/sys:
 * addresses, an IPv4 default route, qdiscs and sysctls, on loopback.
 * (IPv6 gateways and neighbours need a real link: they are tested with the
 * network devices.) */
#include <arpa/inet.h>

#include "ktest.h"

static int read_file(const char *path, char *buf, size_t len)
{
	long fd = lkl_sys_open(path, LKL_O_RDONLY, 0), n;

	if (fd < 0)
		return (int)fd;
	n = lkl_sys_read(fd, buf, len - 1);
	lkl_sys_close(fd);
	buf[n > 0 ? n : 0] = 0;
	return (int)n;
}

/* A TCP connection to addr:port inside the kernel succeeds (the address is ours). */
static int can_talk(int af, void *addr)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET, .sin_port = lkl_htons(7301) };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6, .sin6_port = lkl_htons(7302) };
	void *sa = af == LKL_AF_INET ? (void *)&sin : (void *)&sin6;
	int len = af == LKL_AF_INET ? sizeof(sin) : sizeof(sin6);
	long s, c, a;
	int ok;

	if (af == LKL_AF_INET)
		memcpy(&sin.sin_addr, addr, 4);
	else
		memcpy(&sin6.sin6_addr, addr, 16);
	s = lkl_sys_socket(af, LKL_SOCK_STREAM, 0);
	if (lkl_sys_bind(s, sa, len) < 0 || lkl_sys_listen(s, 1) < 0) {
		lkl_sys_close(s);
		return 0;
	}
	c = lkl_sys_socket(af, LKL_SOCK_STREAM, 0);
	ok = lkl_sys_connect(c, sa, len) == 0;
	a = lkl_sys_accept4(s, NULL, NULL, 0);
	ok = ok && a >= 0;
	lkl_sys_close(a);
	lkl_sys_close(c);
	lkl_sys_close(s);
	return ok;
}

int main(void)
{
	unsigned int v4, gw4;
	unsigned char v6[16];
	char buf[8192];

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	REQUIRE(lkl_start_kernel("mem=32M loglevel=4") == 0, "lkl_start_kernel");
	REQUIRE(lkl_if_up(1) == 0, "loopback up");

	inet_pton(AF_INET, "10.11.12.1", &v4);
	CHECK(lkl_if_set_ipv4(1, v4, 24) == 0, "lkl_if_set_ipv4 10.11.12.1/24");
	CHECK(can_talk(LKL_AF_INET, &v4), "TCP to 10.11.12.1 works (the address is the kernel's)");
	CHECK(lkl_if_set_ipv4(1, v4, 24) == -LKL_EEXIST, "setting it twice is -EEXIST");
	CHECK(lkl_if_set_ipv4(1, v4, 33) == -LKL_EINVAL, "a /33 prefix is -EINVAL");

	inet_pton(AF_INET6, "fd00:1::1", v6);
	CHECK(lkl_if_set_ipv6(1, v6, 64) == 0, "lkl_if_set_ipv6 fd00:1::1/64");
	CHECK(can_talk(LKL_AF_INET6, v6), "TCP to fd00:1::1 works");

	inet_pton(AF_INET, "10.11.12.254", &gw4);
	CHECK(lkl_set_ipv4_gateway(gw4) == 0, "lkl_set_ipv4_gateway 10.11.12.254");
	lkl_mount_fs("proc");
	read_file("/proc/net/route", buf, sizeof(buf));
	CHECK(strstr(buf, "\t00000000\tFE0C0B0A\t") != NULL, "/proc/net/route has the default route via 10.11.12.254");

	CHECK(lkl_qdisc_add(1, "root", "fq") == 0, "lkl_qdisc_add fq at the root of lo");
	CHECK(lkl_qdisc_add(1, "root", "no-such-qdisc") < 0, "an unknown qdisc kind is refused");

	CHECK(lkl_sysctl("net/ipv4/ip_forward", "1") == 0, "lkl_sysctl net/ipv4/ip_forward=1");
	read_file("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf));
	CHECK(buf[0] == '1', "it reads back 1");
	CHECK(lkl_sysctl("net/no/such", "1") == -LKL_ENOENT, "an unknown sysctl is -ENOENT");

	CHECK(lkl_sys_halt() == 0, "halt");
	lkl_cleanup();
	return ktest_done();
}
