/* posix platform: opening the host side of a network link (unix and UDP
 * sockets, TAP interfaces, AF_PACKET sockets) for lhc_vdev_net_create_host;
 * net.c frames and moves the packets. Every host call is a raw one
 * (hostsys.h), and names are parsed here rather than resolved by the libc
 * (no getaddrinfo, no if_nametoindex): under a lunik musl those would ask
 * the kernel library, not the host. */
#define _GNU_SOURCE /* SOCK_CLOEXEC, accept4 flags under either libc */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hostsys.h"
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
	long s, c, r;

	if (strlen(path) >= sizeof(a.sun_path) || !path[0])
		return LHC_EINVAL;
	strcpy(a.sun_path, path);
	s = host_socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno_lhc((int)-s);
	if (!listen_it) {
		r = host_connect((int)s, &a, sizeof(a));
		if (r) {
			host_close((int)s);
			return r == -ECONNREFUSED ? LHC_ENOENT : errno_lhc((int)-r);
		}
		*fd = (int)s;
		return 0;
	}
	/* replace a stale socket, never another kind of file */
	{
		struct host_stat st;

		r = host_lstat(path, &st);
		if (!r) {
			if (!HOST_S_ISSOCK(st.st_mode)) {
				host_close((int)s);
				return LHC_EBUSY; /* no LHC_EEXIST */
			}
			host_unlink(path);
		} else if (r != -ENOENT) {
			host_close((int)s);
			return errno_lhc((int)-r);
		}
	}
	r = host_bind((int)s, &a, sizeof(a));
	if (!r)
		r = host_listen((int)s, 1);
	if (r) {
		host_close((int)s);
		return errno_lhc((int)-r);
	}
	/* blocks until the peer connects, as QEMU's "server=on,wait=on" */
	do
		c = host_accept4((int)s, SOCK_CLOEXEC);
	while (c == -EINTR);
	host_close((int)s);
	if (c < 0)
		return errno_lhc((int)-c);
	*fd = (int)c;
	return 0;
}

/* A decimal port, 0..65535, the whole string. */
static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * A numeric host address, IPv4 ("10.0.0.1") or IPv6 ("fd00::1", also in
 * brackets), or "localhost" (127.0.0.1), into *a with its length; the
 * port is set by the caller. inet_pton is pure parsing; a name would need
 * a resolver, which reads files and opens sockets through the libc.
 */
static int parse_host(const char *host, struct sockaddr_storage *a, unsigned int *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)a;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;
	char bare[INET6_ADDRSTRLEN];
	size_t n = strlen(host);

	memset(a, 0, sizeof(*a));
	if (!strcmp(host, "localhost"))
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		*len = sizeof(*in);
		return 0;
	}
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(bare)) {
		memcpy(bare, host + 1, n - 2);
		bare[n - 2] = 0;
		host = bare;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* "udp:HOST:PORT:LOCALPORT": bound to LOCALPORT, connected to HOST:PORT.
 * HOST is a numeric address or "localhost" (see parse_host). */
int posix_net_udp(const char *spec, int *fd)
{
	char host[256];
	struct sockaddr_storage peer, local;
	unsigned int alen;
	uint16_t port, lport;
	const char *p = strrchr(spec, ':'), *q;
	long s, r;

	if (!p || parse_port(p + 1, &lport))
		return LHC_EINVAL;
	for (q = p - 1; q > spec && *q != ':'; q--)
		;
	if (q <= spec || (size_t)(p - q - 1) >= 8 || (size_t)(q - spec) >= sizeof(host))
		return LHC_EINVAL;
	memcpy(host, q + 1, (size_t)(p - q - 1));
	host[p - q - 1] = 0;
	if (parse_port(host, &port))
		return LHC_EINVAL;
	memcpy(host, spec, (size_t)(q - spec));
	host[q - spec] = 0;
	if (parse_host(host, &peer, &alen))
		return LHC_ENOENT;
	memset(&local, 0, sizeof(local));
	local.ss_family = peer.ss_family;
	if (peer.ss_family == AF_INET) {
		((struct sockaddr_in *)&peer)->sin_port = htons(port);
		((struct sockaddr_in *)&local)->sin_port = htons(lport);
	} else {
		((struct sockaddr_in6 *)&peer)->sin6_port = htons(port);
		((struct sockaddr_in6 *)&local)->sin6_port = htons(lport);
	}
	s = host_socket(peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno_lhc((int)-s);
	r = host_bind((int)s, &local, alen);
	if (!r)
		r = host_connect((int)s, &peer, alen);
	if (r) {
		host_close((int)s);
		return errno_lhc((int)-r);
	}
	*fd = (int)s;
	return 0;
}

int posix_net_tap(const char *name, uint32_t want, int *fd, uint32_t *got)
{
	struct ifreq ifr;
	int hdr = LHC_NET_HDR_LEN;
	unsigned int features = 0;
	long t, r;

	t = host_open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
	if (t < 0)
		return errno_lhc((int)-t);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = HOST_IFF_TAP | HOST_IFF_NO_PI;
	if (want && !host_ioctl((int)t, HOST_TUNGETFEATURES, &features) &&
	    (features & HOST_IFF_VNET_HDR))
		ifr.ifr_flags |= HOST_IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = host_ioctl((int)t, HOST_TUNSETIFF, &ifr);
	if (r) {
		host_close((int)t);
		return errno_lhc((int)-r);
	}
	*got = 0;
	if (ifr.ifr_flags & HOST_IFF_VNET_HDR) {
		unsigned int off = HOST_TUN_F_CSUM;

		if (host_ioctl((int)t, HOST_TUNSETVNETHDRSZ, &hdr)) {
			host_close((int)t);
			return LHC_EINVAL;
		}
		if (want & LHC_NET_OFF_TSO4)
			off |= HOST_TUN_F_TSO4;
		if (want & LHC_NET_OFF_TSO6)
			off |= HOST_TUN_F_TSO6;
		/* reduce to what the host kernel accepts */
		while (host_ioctl_val((int)t, HOST_TUNSETOFFLOAD, off)) {
			if (off & HOST_TUN_F_TSO6)
				off &= ~(unsigned int)HOST_TUN_F_TSO6;
			else if (off & HOST_TUN_F_TSO4)
				off &= ~(unsigned int)HOST_TUN_F_TSO4;
			else {
				off = 0;
				host_ioctl_val((int)t, HOST_TUNSETOFFLOAD, off);
				break;
			}
		}
		*got = (off & HOST_TUN_F_CSUM) ? LHC_NET_OFF_CSUM : 0;
		if (off & HOST_TUN_F_TSO4)
			*got |= LHC_NET_OFF_TSO4;
		if (off & HOST_TUN_F_TSO6)
			*got |= LHC_NET_OFF_TSO6;
		*got |= 0x80000000u; /* has the header */
	}
	*fd = (int)t;
	return 0;
}

/* A host interface's index, or 0 if there is none of that name: what
 * if_nametoindex does (SIOCGIFINDEX on a scratch socket), with raw calls. */
static int ifindex(const char *name)
{
	struct ifreq ifr;
	long s, r;

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return 0;
	s = host_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	r = host_ioctl((int)s, SIOCGIFINDEX, &ifr);
	host_close((int)s);
	return r ? 0 : ifr.ifr_ifindex;
}

int posix_net_raw(const char *name, int *fd)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(HOST_ETH_P_ALL) };
	int idx = ifindex(name), one = 1;
	long s, r;

	if (!idx)
		return LHC_ENOENT;
	s = host_socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(HOST_ETH_P_ALL));
	if (s < 0)
		return errno_lhc((int)-s);
	a.sll_ifindex = idx;
	r = host_bind((int)s, &a, sizeof(a));
	if (r) {
		host_close((int)s);
		return errno_lhc((int)-r);
	}
	/* best effort: older hosts lack it and only see their own frames */
	host_setsockopt((int)s, HOST_SOL_PACKET, HOST_PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	*fd = (int)s;
	return 0;
}

