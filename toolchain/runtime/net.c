/* lunik runtime: the network (net=, ip=, gw=, mtu=; see start.c). */
#include "runtime.h"

static int parse_ipv4(const char *s, unsigned int *addr, unsigned int *prefix)
{
	unsigned char b[4];
	unsigned int v;

	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (unsigned)(*s - '0');
		if (v > 255 || (i < 3 && *s++ != '.'))
			return -1;
		b[i] = (unsigned char)v;
	}
	if (prefix) {
		*prefix = 32;
		if (*s == '/') {
			s++;
			for (v = 0; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (unsigned)(*s - '0');
			if (v > 32)
				return -1;
			*prefix = v;
		}
	}
	if (*s)
		return -1;
	*addr = (unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
		(unsigned)b[3] << 24;
	return 0;
}

static int net_id = -1;

void __lunik_rt_net_before_boot(void)
{
	const char *net = __lunik_rt_get("net");
	struct lkl_netdev *nd;
	struct lkl_netdev_args args = { 0 };

	if (!net || !*net || __lunik_rt_same(net, "none") || __lunik_rt_starts(net, "if:"))
		return; /* if:NAME is configured once the kernel has found it */
	const char *m = __lunik_rt_get("mtu");
	int mtu = 0;

	for (; m && *m >= '0' && *m <= '9'; m++)
		mtu = mtu * 10 + (*m - '0');
	if (m && *m)
		__lunik_rt_fail("bad number in mtu=", __lunik_rt_get("mtu"));
	if (__lunik_rt_starts(net, "unix:"))
		nd = lkl_netdev_stream_create(net, LKL_NETDEV_STREAM, mtu);
	else if (__lunik_rt_starts(net, "tap:"))
		nd = lkl_netdev_tap_create(net + 4, 0);
	else
		__lunik_rt_fail("unknown network setting net=", net);
	if (!nd)
		__lunik_rt_fail("cannot make a network device for net=", net);
	net_id = lkl_netdev_add(nd, &args);
	if (net_id < 0)
		__lunik_rt_fail("cannot attach the network device: ", lkl_strerror(net_id));
}

/*
 * Send one datagram to the gateway (the discard port), so that a user-mode
 * network helper such as passt learns our MAC address now rather than
 * addressing its first frames to broadcast, which TCP ignores.
 */
static void announce(unsigned int gwaddr)
{
	struct lkl_sockaddr_in sa = { .sin_family = LKL_AF_INET,
				      .sin_port = (unsigned short)(9 << 8),
				      .sin_addr = { gwaddr } };
	long fd = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	lkl_sys_sendto(fd, "", 0, 0, (struct lkl_sockaddr *)&sa, sizeof(sa));
	lkl_sys_close(fd);
}

/* The index of interface name, or -errno. */
static int if_index(const char *name)
{
	struct lkl_ifreq ifr = { 0 };
	long fd = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0), err;

	if (fd < 0)
		return (int)fd;
	for (unsigned i = 0; name[i] && i + 1 < sizeof(ifr.lkl_ifr_name); i++)
		ifr.lkl_ifr_name[i] = name[i];
	err = lkl_sys_ioctl(fd, LKL_SIOCGIFINDEX, (long)&ifr);
	lkl_sys_close(fd);
	return err < 0 ? (int)err : ifr.lkl_ifr_ifindex;
}

void __lunik_rt_net_after_boot(void)
{
	const char *ip = __lunik_rt_get("ip"), *gw = __lunik_rt_get("gw"), *net = __lunik_rt_get("net");
	unsigned int addr, prefix, gwaddr;
	int ifindex;

	__lunik_rt_failed("cannot bring up the loopback interface: ", lkl_if_up(1));
	if (net && __lunik_rt_starts(net, "if:")) {
		ifindex = if_index(net + 3);
		if (ifindex < 0)
			__lunik_rt_fail("no network interface ", net + 3);
	} else if (net_id < 0) {
		return;
	} else {
		ifindex = lkl_netdev_get_ifindex(net_id);
	}
	__lunik_rt_failed("cannot find the network interface: ", ifindex);
	__lunik_rt_failed("cannot bring up the network interface: ", lkl_if_up(ifindex));
	if (!ip || __lunik_rt_same(ip, "dhcp"))
		return; /* ip=dhcp: the kernel configured it while booting */
	if (parse_ipv4(ip, &addr, &prefix))
		__lunik_rt_fail("bad address in ip=", ip);
	__lunik_rt_failed("cannot set the IPv4 address: ",
	       lkl_if_set_ipv4(ifindex, addr, prefix));
	if (gw) {
		if (parse_ipv4(gw, &gwaddr, 0))
			__lunik_rt_fail("bad address in gw=", gw);
		__lunik_rt_failed("cannot set the default gateway: ",
		       lkl_set_ipv4_gateway(gwaddr));
		announce(gwaddr);
	}
}
