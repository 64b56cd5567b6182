/* posix platform: host network backends for virtio-net devices
 * (lhc_vdev_net_create_host): a stream socket framed like QEMU's
 * "-netdev stream" (4-byte big-endian length before every frame), a
 * datagram socket like "-netdev dgram" (one frame per datagram), a TAP
 * interface (IFF_TAP | IFF_NO_PI, IFF_VNET_HDR with offloads) and an
 * AF_PACKET socket bound to a host interface. */
#define _GNU_SOURCE /* MSG_NOSIGNAL etc. under either libc */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "../common/vdev.h"
#include "hostsys.h"
#include "posix.h"

/* Every call on the link's descriptor is a raw host call (hostsys.h):
 * under a lunik musl, send() or poll() would reach the kernel library. */

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

/* ---- stream framing -------------------------------------------------- */

/* Flush outbuf: 0 when empty, LHC_EAGAIN, LHC_EIO. */
static int stream_flush(struct host_net *h)
{
	while (h->out_off < h->out_len) {
		long r = host_send(h->fd, h->outbuf + h->out_off, h->out_len - h->out_off,
				   MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0) {
			if (r == -EINTR)
				continue;
			return r == -EAGAIN ? LHC_EAGAIN : LHC_EIO;
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
	long r;
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
		r = host_sendmsg(h->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r == -EINTR);
	if (r < 0)
		return r == -EAGAIN ? LHC_EAGAIN : LHC_EIO;
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
		long r = host_recv(h->fd, h->inbuf + h->have, STREAM_BUF - h->have, MSG_DONTWAIT);

		if (r == 0)
			return -LHC_EIO;
		if (r < 0) {
			if (r == -EINTR)
				continue;
			return r == -EAGAIN ? -LHC_EAGAIN : -LHC_EIO;
		}
		h->have += (size_t)r;
	}
}

/* ---- datagrams, TAP, AF_PACKET: one frame per read/write ------------- */

static int msg_tx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct host_net *h = ctx;
	struct msghdr m = { .msg_iov = (struct iovec *)(void *)iov, .msg_iovlen = (size_t)count };
	long r;

	do {
		if (h->kind == LHC_NET_HOST_TAP)
			r = host_writev(h->fd, iov, count);
		else
			r = host_sendmsg(h->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (r == -EINTR);
	if (r < 0)
		return r == -EAGAIN || r == -ENOBUFS ? LHC_EAGAIN : LHC_EIO;
	return 0;
}

static long msg_rx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct host_net *h = ctx;
	struct msghdr m = { .msg_iov = (struct iovec *)(void *)iov, .msg_iovlen = (size_t)count };
	size_t cap = iov_total(iov, count);
	long r;

	for (;;) {
		if (h->kind == LHC_NET_HOST_TAP)
			r = host_readv(h->fd, iov, count);
		else
			r = host_recvmsg(h->fd, &m, MSG_DONTWAIT | MSG_TRUNC);
		if (r >= 0)
			break;
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			return -LHC_EAGAIN;
		if (r == -ECONNREFUSED) /* an earlier datagram bounced */
			continue;
		return -LHC_EIO;
	}
	if (h->kind == LHC_NET_HOST_DGRAM && r == 0 && h->fd >= 0) {
		int type = 0;
		unsigned int l = sizeof(type);

		/* a seqpacket peer closing reads as 0 */
		if (!host_getsockopt(h->fd, SOL_SOCKET, SO_TYPE, &type, &l) && type == SOCK_SEQPACKET)
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
		long r;

		if (h->kind == LHC_NET_HOST_STREAM && (events & LHC_NET_POLL_RX) &&
		    stream_frame_ready(h))
			return LHC_NET_POLL_RX;
		r = host_poll(p, 2, -1);
		if (r < 0) {
			if (r == -EINTR)
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
			unsigned int l = sizeof(e);

			/* a datagram error (ICMP unreachable): clear it, go on */
			if (h->kind == LHC_NET_HOST_DGRAM &&
			    !host_getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &l))
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

	/* the pipe is never read: full (-EAGAIN) means already signalled */
	host_write(h->hup[1], &c, 1);
}

void posix_net_host_free(void *p)
{
	struct host_net *h = p;

	if (!h)
		return;
	if (h->own_fd)
		host_close(h->fd);
	host_close(h->hup[0]);
	host_close(h->hup[1]);
	free(h->inbuf);
	free(h->outbuf);
	free(h);
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
			unsigned int l = sizeof(type);

			if (handle > 0x7fffffff || host_fcntl((int)handle, F_GETFD, 0) < 0)
				return LHC_EINVAL;
			if (host_getsockopt((int)handle, SOL_SOCKET, SO_TYPE, &type, &l))
				return LHC_EINVAL; /* not a socket */
			if (kind == LHC_NET_HOST_STREAM ? type != SOCK_STREAM :
			    type != SOCK_DGRAM && type != SOCK_SEQPACKET)
				return LHC_EINVAL;
			fd = (int)handle;
			own = 0;
		} else if (!spec) {
			return LHC_EINVAL;
		} else if (!strncmp(spec, "unix:", 5)) {
			err = posix_net_unix(spec + 5, 0, kind == LHC_NET_HOST_STREAM ? SOCK_STREAM : SOCK_DGRAM, &fd);
		} else if (!strncmp(spec, "listen:", 7) && kind == LHC_NET_HOST_STREAM) {
			err = posix_net_unix(spec + 7, 1, SOCK_STREAM, &fd);
		} else if (!strncmp(spec, "udp:", 4) && kind == LHC_NET_HOST_DGRAM) {
			err = posix_net_udp(spec + 4, &fd);
		} else {
			return LHC_EINVAL;
		}
		offload = 0;
		break;
	case LHC_NET_HOST_TAP:
		if (!spec || !spec[0] || strlen(spec) >= IFNAMSIZ)
			return LHC_EINVAL;
		err = posix_net_tap(spec, offload, &fd, &got);
		break;
	case LHC_NET_HOST_RAW:
		if (!spec || !spec[0] || strlen(spec) >= IFNAMSIZ)
			return LHC_EINVAL;
		err = posix_net_raw(spec, &fd);
		offload = 0;
		break;
	default:
		return LHC_EINVAL;
	}
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h || host_pipe2(h->hup, O_NONBLOCK | O_CLOEXEC)) {
		free(h);
		if (own)
			host_close(fd);
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
