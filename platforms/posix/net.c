/* posix platform: host network backends for virtio-net devices
 * (lhc_vdev_net_create_host): a stream socket framed like QEMU's
 * "-netdev stream" (4-byte big-endian length before every frame), a
 * datagram socket like "-netdev dgram" (one frame per datagram), a TAP
 * interface (IFF_TAP | IFF_NO_PI, IFF_VNET_HDR with offloads) and an
 * AF_PACKET socket bound to a host interface. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/vdev.h"
#include "posix.h"

#define MAX_FRAME (65536 + 4096) /* QEMU's NET_BUFSIZE */
#define STREAM_BUF (4 * MAX_FRAME)

struct host_net {
	struct lhc_net_backend be;
	int kind;
	int fd;
	int own_fd;
	int hup[2];
	/* stream: received bytes [start, have) of inbuf; a partly sent
	 * frame's rest in outbuf[out_off, out_len) */
	uint8_t *inbuf;
	size_t start, have;
	uint8_t *outbuf;
	size_t out_off, out_len;
	/* outbuf holds the rest of the frame the device will offer again */
	int partial;
};

static size_t iov_total(const struct lhc_iovec *iov, int count)
{
	size_t t = 0;

	for (int i = 0; i < count; i++)
		t += iov[i].len;
	return t;
}

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

/* ---- stream framing -------------------------------------------------- */

/* Flush outbuf: 0 when empty, LHC_EAGAIN, LHC_EIO. */
static int stream_flush(struct host_net *h)
{
	while (h->out_off < h->out_len) {
		ssize_t r = send(h->fd, h->outbuf + h->out_off, h->out_len - h->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? LHC_EAGAIN : LHC_EIO;
		}
		h->out_off += (size_t)r;
	}
	h->out_off = h->out_len = 0;
	return 0;
}

static int stream_tx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct host_net *h = ctx;
	struct iovec v[VDEV_MAX_SEGS + 1];
	struct msghdr m = { .msg_iov = v };
	size_t len = iov_total(iov, count), done;
	uint32_t be32 = htonl((uint32_t)len);
	ssize_t r;
	int err, n = 0;

	if (len > MAX_FRAME || count > VDEV_MAX_SEGS)
		return LHC_EIO;
	err = stream_flush(h);
	if (h->partial) {
		/*
		 * This call offers again the frame whose start went out before
		 * (after LHC_EAGAIN the device keeps a frame at the head and
		 * retries it): it is taken once its rest is sent.
		 */
		if (err)
			return err;
		h->partial = 0;
		return 0;
	}
	if (err)
		return err;
	v[n].iov_base = &be32;
	v[n++].iov_len = 4;
	for (int i = 0; i < count; i++, n++) {
		v[n].iov_base = iov[i].base;
		v[n].iov_len = iov[i].len;
	}
	m.msg_iovlen = (size_t)n;
	do
		r = sendmsg(h->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? LHC_EAGAIN : LHC_EIO;
	done = (size_t)r;
	if (done == len + 4)
		return 0;
	/*
	 * Partly sent: keep the rest and answer LHC_EAGAIN, so the device's
	 * tx thread waits for the socket to drain and offers the frame again,
	 * which sends the rest. (Counting the frame as taken left the rest
	 * unsent until some later frame came along: the end of a burst stalled.)
	 */
	h->partial = 1;
	h->out_len = 0;
	for (int i = 0; i < n; i++) {
		if (done >= v[i].iov_len) {
			done -= v[i].iov_len;
			continue;
		}
		memcpy(h->outbuf + h->out_len, (uint8_t *)v[i].iov_base + done, v[i].iov_len - done);
		h->out_len += v[i].iov_len - done;
		done = 0;
	}
	h->out_off = 0;
	return LHC_EAGAIN;
}

static int stream_frame_ready(struct host_net *h)
{
	uint32_t len;

	if (h->have - h->start < 4)
		return 0;
	memcpy(&len, h->inbuf + h->start, 4);
	len = ntohl(len);
	return len > MAX_FRAME || h->have - h->start >= 4 + (size_t)len;
}

static long scatter(const struct lhc_iovec *iov, int count, const uint8_t *src, size_t len)
{
	size_t cap = iov_total(iov, count), left = len;

	if (len > cap)
		return -LHC_ERANGE;
	for (int i = 0; i < count && left; i++) {
		size_t k = iov[i].len < left ? iov[i].len : left;

		memcpy(iov[i].base, src, k);
		src += k;
		left -= k;
	}
	return (long)len;
}

static long stream_rx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct host_net *h = ctx;

	for (;;) {
		if (h->have - h->start >= 4) {
			uint32_t len;
			long r;

			memcpy(&len, h->inbuf + h->start, 4);
			len = ntohl(len);
			if (len > MAX_FRAME)
				return -LHC_EIO; /* not our framing: give up the link */
			if (h->have - h->start >= 4 + (size_t)len) {
				r = scatter(iov, count, h->inbuf + h->start + 4, len);
				h->start += 4 + (size_t)len;
				if (h->start == h->have)
					h->start = h->have = 0;
				return r;
			}
		}
		if (STREAM_BUF - h->have < MAX_FRAME + 4) {
			memmove(h->inbuf, h->inbuf + h->start, h->have - h->start);
			h->have -= h->start;
			h->start = 0;
		}
		ssize_t r = recv(h->fd, h->inbuf + h->have, STREAM_BUF - h->have, MSG_DONTWAIT);

		if (r == 0)
			return -LHC_EIO;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -LHC_EAGAIN : -LHC_EIO;
		}
		h->have += (size_t)r;
	}
}

/* ---- datagrams, TAP, AF_PACKET: one frame per read/write ------------- */

static int msg_tx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct host_net *h = ctx;
	struct msghdr m = { .msg_iov = (struct iovec *)(void *)iov, .msg_iovlen = (size_t)count };
	ssize_t r;

	do {
		if (h->kind == LHC_NET_HOST_TAP)
			r = writev(h->fd, (const struct iovec *)(const void *)iov, count);
		else
			r = sendmsg(h->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? LHC_EAGAIN : LHC_EIO;
	return 0;
}

static long msg_rx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct host_net *h = ctx;
	struct msghdr m = { .msg_iov = (struct iovec *)(void *)iov, .msg_iovlen = (size_t)count };
	size_t cap = iov_total(iov, count);
	ssize_t r;

	for (;;) {
		if (h->kind == LHC_NET_HOST_TAP)
			r = readv(h->fd, (const struct iovec *)(const void *)iov, count);
		else
			r = recvmsg(h->fd, &m, MSG_DONTWAIT | MSG_TRUNC);
		if (r >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -LHC_EAGAIN;
		if (errno == ECONNREFUSED) /* an earlier datagram bounced */
			continue;
		return -LHC_EIO;
	}
	if (h->kind == LHC_NET_HOST_DGRAM && r == 0 && h->fd >= 0) {
		int type = 0;
		socklen_t l = sizeof(type);

		/* a seqpacket peer closing reads as 0 */
		if (!getsockopt(h->fd, SOL_SOCKET, SO_TYPE, &type, &l) && type == SOCK_SEQPACKET)
			return -LHC_EIO;
	}
	if ((size_t)r > cap)
		return -LHC_ERANGE;
	return (long)r;
}

static int net_poll(void *ctx, int events)
{
	struct host_net *h = ctx;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = h->fd, .events = (short)(((events & LHC_NET_POLL_RX) ? POLLIN : 0) |
							  ((events & LHC_NET_POLL_TX) ? POLLOUT : 0)) },
			{ .fd = h->hup[0], .events = POLLIN },
		};
		int ret = 0;

		if (h->kind == LHC_NET_HOST_STREAM && (events & LHC_NET_POLL_RX) &&
		    stream_frame_ready(h))
			return LHC_NET_POLL_RX;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return LHC_NET_POLL_HUP;
		}
		if (p[1].revents)
			return LHC_NET_POLL_HUP;
		if (p[0].revents & POLLIN)
			ret |= LHC_NET_POLL_RX;
		if (p[0].revents & POLLOUT)
			ret |= LHC_NET_POLL_TX;
		if (!ret && (p[0].revents & (POLLHUP | POLLNVAL)))
			return LHC_NET_POLL_HUP;
		if (!ret && (p[0].revents & POLLERR)) {
			int e;
			socklen_t l = sizeof(e);

			/* a datagram error (ICMP unreachable): clear it, go on */
			if (h->kind == LHC_NET_HOST_DGRAM &&
			    !getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &l))
				continue;
			return LHC_NET_POLL_HUP;
		}
		if (ret)
			return ret;
	}
}

static void net_poll_hup(void *ctx)
{
	struct host_net *h = ctx;
	char c = 1;

	if (write(h->hup[1], &c, 1) < 0) {
		/* the pipe is never read: full means already signalled */
	}
}

void posix_net_host_free(void *p)
{
	struct host_net *h = p;

	if (!h)
		return;
	if (h->own_fd)
		close(h->fd);
	close(h->hup[0]);
	close(h->hup[1]);
	free(h->inbuf);
	free(h->outbuf);
	free(h);
}

/* ---- opening the host side ------------------------------------------ */

static int open_unix(const char *path, int listen_it, int type, int *fd)
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
static int open_udp(const char *spec, int *fd)
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

static int open_tap(const char *name, uint32_t want, int *fd, uint32_t *got)
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

static int open_raw(const char *name, int *fd)
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

int lhc_vdev_net_create_host(int kind, const char *spec, long handle,
			     uint32_t offload, uint32_t mtu, const uint8_t *mac,
			     struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	struct host_net *h;
	int err = 0, fd = -1, own = 1;
	uint32_t got = 0;

	if (!ret || !info)
		return LHC_EINVAL;
	switch (kind) {
	case LHC_NET_HOST_STREAM:
	case LHC_NET_HOST_DGRAM:
		if (handle >= 0) {
			int type = 0;
			socklen_t l = sizeof(type);

			if (handle > 0x7fffffff || fcntl((int)handle, F_GETFD) < 0)
				return LHC_EINVAL;
			if (getsockopt((int)handle, SOL_SOCKET, SO_TYPE, &type, &l))
				return LHC_EINVAL; /* not a socket */
			if (kind == LHC_NET_HOST_STREAM ? type != SOCK_STREAM :
			    type != SOCK_DGRAM && type != SOCK_SEQPACKET)
				return LHC_EINVAL;
			fd = (int)handle;
			own = 0;
		} else if (!spec) {
			return LHC_EINVAL;
		} else if (!strncmp(spec, "unix:", 5)) {
			err = open_unix(spec + 5, 0, kind == LHC_NET_HOST_STREAM ? SOCK_STREAM : SOCK_DGRAM, &fd);
		} else if (!strncmp(spec, "listen:", 7) && kind == LHC_NET_HOST_STREAM) {
			err = open_unix(spec + 7, 1, SOCK_STREAM, &fd);
		} else if (!strncmp(spec, "udp:", 4) && kind == LHC_NET_HOST_DGRAM) {
			err = open_udp(spec + 4, &fd);
		} else {
			return LHC_EINVAL;
		}
		offload = 0;
		break;
	case LHC_NET_HOST_TAP:
		if (!spec || !spec[0] || strlen(spec) >= IFNAMSIZ)
			return LHC_EINVAL;
		err = open_tap(spec, offload, &fd, &got);
		break;
	case LHC_NET_HOST_RAW:
		if (!spec || !spec[0] || strlen(spec) >= IFNAMSIZ)
			return LHC_EINVAL;
		err = open_raw(spec, &fd);
		offload = 0;
		break;
	default:
		return LHC_EINVAL;
	}
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h || pipe2(h->hup, O_NONBLOCK | O_CLOEXEC)) {
		free(h);
		if (own)
			close(fd);
		return LHC_ENOMEM;
	}
	h->kind = kind;
	h->fd = fd;
	h->own_fd = own;
	if (kind == LHC_NET_HOST_STREAM) {
		h->inbuf = malloc(STREAM_BUF);
		h->outbuf = malloc(MAX_FRAME + 4);
		if (!h->inbuf || !h->outbuf) {
			posix_net_host_free(h);
			return LHC_ENOMEM;
		}
		h->be.tx = stream_tx;
		h->be.rx = stream_rx;
	} else {
		h->be.tx = msg_tx;
		h->be.rx = msg_rx;
	}
	h->be.poll = net_poll;
	h->be.poll_hup = net_poll_hup;
	h->be.mtu = mtu ? mtu : 1500;
	if (mac) {
		memcpy(h->be.mac, mac, 6);
		h->be.has_mac = 1;
	}
	if (kind == LHC_NET_HOST_TAP && (got & 0x80000000u)) {
		h->be.vnet_hdr = 1;
		h->be.offload = got & ~0x80000000u;
	}
	err = lhc_vdev_net_create(&h->be, h, ret, info);
	if (err) {
		posix_net_host_free(h);
		return err;
	}
	posix_vdev_set_host_net(*ret, h);
	return 0;
}
