/* posix platform: opening the host side of a network link (unix and UDP
 * sockets, TAP interfaces, AF_PACKET sockets) for lhc_vdev_net_create_host;
 * net.c frames and moves the packets. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "posix.h"

static int errno_lhc(int e)
{
	switch (e) {
	case ENOENT: case ENODEV: case ENXIO: return LHC_ENOENT;
	case EPERM: case EACCES: return LHC_EPERM;
	case ENOMEM: case ENOBUFS: return LHC_ENOMEM;
	case EBUSY: return LHC_EBUSY;
	default: return LHC_EINVAL;
	}
}

int posix_net_unix(const char *path, int listen_it, int type, int *fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s, c;

	if (strlen(path) >= sizeof(a.sun_path) || !path[0])
		return LHC_EINVAL;
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno_lhc(errno);
	if (!listen_it) {
		if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
			int e = errno;

			close(s);
			return e == ECONNREFUSED ? LHC_ENOENT : errno_lhc(e);
		}
		*fd = s;
		return 0;
	}
	/* replace a stale socket, never another kind of file */
	{
		struct stat st;

		if (!lstat(path, &st)) {
			if (!S_ISSOCK(st.st_mode)) {
				close(s);
				return LHC_EBUSY; /* no LHC_EEXIST */
			}
			unlink(path);
		} else if (errno != ENOENT) {
			int e = errno;

			close(s);
			return errno_lhc(e);
		}
	}
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1)) {
		int e = errno;

		close(s);
		return errno_lhc(e);
	}
	/* blocks until the peer connects, as QEMU's "server=on,wait=on" */
	do
		c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	close(s);
	if (c < 0)
		return errno_lhc(errno);
	*fd = c;
	return 0;
}

/* "udp:HOST:PORT:LOCALPORT": bound to LOCALPORT, connected to HOST:PORT. */
int posix_net_udp(const char *spec, int *fd)
{
	char host[256], port[16], lport[16];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	struct sockaddr_storage local;
	const char *p = strrchr(spec, ':'), *q;
	int s;

	if (!p || strlen(p + 1) >= sizeof(lport))
		return LHC_EINVAL;
	strcpy(lport, p + 1);
	for (q = p - 1; q > spec && *q != ':'; q--)
		;
	if (q <= spec || (size_t)(p - q - 1) >= sizeof(port) || (size_t)(q - spec) >= sizeof(host))
		return LHC_EINVAL;
	memcpy(port, q + 1, (size_t)(p - q - 1));
	port[p - q - 1] = 0;
	memcpy(host, spec, (size_t)(q - spec));
	host[q - spec] = 0;
	if (getaddrinfo(host, port, &hints, &res))
		return LHC_ENOENT;
	s = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		freeaddrinfo(res);
		return errno_lhc(errno);
	}
	memset(&local, 0, sizeof(local));
	local.ss_family = (sa_family_t)res->ai_family;
	if (res->ai_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = htons((uint16_t)atoi(lport));
	else
		((struct sockaddr_in6 *)&local)->sin6_port = htons((uint16_t)atoi(lport));
	if (bind(s, (struct sockaddr *)&local, res->ai_addrlen) ||
	    connect(s, res->ai_addr, res->ai_addrlen)) {
		int e = errno;

		freeaddrinfo(res);
		close(s);
		return errno_lhc(e);
	}
	freeaddrinfo(res);
	*fd = s;
	return 0;
}

int posix_net_tap(const char *name, uint32_t want, int *fd, uint32_t *got)
{
	struct ifreq ifr;
	int t, hdr = LHC_NET_HDR_LEN;
	unsigned int features = 0;

	t = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t < 0)
		return errno_lhc(errno);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (want && !ioctl(t, TUNGETFEATURES, &features) && (features & IFF_VNET_HDR))
		ifr.ifr_flags |= IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t, TUNSETIFF, &ifr)) {
		int e = errno;

		close(t);
		return errno_lhc(e);
	}
	*got = 0;
	if (ifr.ifr_flags & IFF_VNET_HDR) {
		unsigned int off = TUN_F_CSUM;

		if (ioctl(t, TUNSETVNETHDRSZ, &hdr)) {
			close(t);
			return LHC_EINVAL;
		}
		if (want & LHC_NET_OFF_TSO4)
			off |= TUN_F_TSO4;
		if (want & LHC_NET_OFF_TSO6)
			off |= TUN_F_TSO6;
		/* reduce to what the host kernel accepts */
		while (ioctl(t, TUNSETOFFLOAD, off)) {
			if (off & TUN_F_TSO6)
				off &= ~(unsigned int)TUN_F_TSO6;
			else if (off & TUN_F_TSO4)
				off &= ~(unsigned int)TUN_F_TSO4;
			else {
				off = 0;
				ioctl(t, TUNSETOFFLOAD, off);
				break;
			}
		}
		*got = (off & TUN_F_CSUM) ? LHC_NET_OFF_CSUM : 0;
		if (off & TUN_F_TSO4)
			*got |= LHC_NET_OFF_TSO4;
		if (off & TUN_F_TSO6)
			*got |= LHC_NET_OFF_TSO6;
		*got |= 0x80000000u; /* has the header */
	}
	*fd = t;
	return 0;
}

int posix_net_raw(const char *name, int *fd)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	unsigned int idx = if_nametoindex(name);
	int s, one = 1;

	if (!idx)
		return LHC_ENOENT;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (s < 0)
		return errno_lhc(errno);
	a.sll_ifindex = (int)idx;
	if (bind(s, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;

		close(s);
		return errno_lhc(e);
	}
#ifdef PACKET_IGNORE_OUTGOING
	setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#endif
	(void)one;
	*fd = s;
	return 0;
}

