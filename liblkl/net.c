/* net.c: network-interface helpers of the LKL API (lkl_if_up, lkl_if_down). */
#include <string.h>

#include <lkl.h>

/* Name of interface ifindex into ifr (SIOCGIFNAME); returns a socket or -errno. */
static long ifreq_for(int ifindex, struct lkl_ifreq *ifr)
{
	long sock = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0), ret;

	if (sock < 0)
		return sock;
	memset(ifr, 0, sizeof(*ifr));
	ifr->lkl_ifr_ifindex = ifindex;
	ret = lkl_sys_ioctl(sock, LKL_SIOCGIFNAME, (long)ifr);
	if (ret < 0) {
		lkl_sys_close(sock);
		return ret;
	}
	return sock;
}

static int if_flags(int ifindex, int set, int clear)
{
	struct lkl_ifreq ifr;
	long sock = ifreq_for(ifindex, &ifr), ret;

	if (sock < 0)
		return (int)sock;
	ret = lkl_sys_ioctl(sock, LKL_SIOCGIFFLAGS, (long)&ifr);
	if (ret == 0) {
		ifr.lkl_ifr_flags = (short)((ifr.lkl_ifr_flags | set) & ~clear);
		ret = lkl_sys_ioctl(sock, LKL_SIOCSIFFLAGS, (long)&ifr);
	}
	lkl_sys_close(sock);
	return (int)ret;
}

int lkl_if_up(int ifindex)
{
	return if_flags(ifindex, LKL_IFF_UP, 0);
}

int lkl_if_down(int ifindex)
{
	return if_flags(ifindex, 0, LKL_IFF_UP);
}
