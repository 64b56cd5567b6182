/* netcommon.h: helpers shared by the network-device test programs
 * (netlink.c: kernel <-> kernel links; nethost.c: TAP and AF_PACKET to the
 * host). Included once per program; unused ones are fine. */
#ifndef NETCOMMON_H
#define NETCOMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"
#include <lkl/linux/neighbour.h>
#include <lkl/linux/netlink.h>
#include <lkl/linux/rtnetlink.h>

static __attribute__((unused)) const unsigned char MAC_A[6] = { 0x02, 0x4c, 0, 0, 0, 0x0a };
static __attribute__((unused)) const unsigned char MAC_B[6] = { 0x02, 0x4c, 0, 0, 0, 0x0b };
static __attribute__((unused)) const char *who = "";

static __attribute__((unused)) double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static __attribute__((unused)) unsigned char pat(size_t i)
{
	return (unsigned char)(i * 31 + (i >> 12));
}

static __attribute__((unused)) int read_file(const char *path, char *buf, size_t len)
{
	long fd = lkl_sys_open(path, LKL_O_RDONLY, 0), n, got = 0;

	if (fd < 0)
		return (int)fd;
	while ((n = lkl_sys_read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	lkl_sys_close(fd);
	buf[got] = 0;
	return (int)got;
}

static __attribute__((unused)) long full_write(long fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		long r = lkl_sys_write(fd, (const char *)buf + done, len - done);

		if (r <= 0)
			return r < 0 ? r : -LKL_EIO;
		done += (size_t)r;
	}
	return (long)done;
}

/* Send len bytes (blk repeated) on c, half-close, and return the 8-byte
 * count the receiver answers with (0 if it never does). */
static __attribute__((unused)) uint64_t send_counted(long c, const char *blk, size_t blksz, size_t len)
{
	uint64_t back = 0;

	while (len) {
		size_t k = len < blksz ? len : blksz;

		if (full_write(c, blk, k) < 0)
			break;
		len -= k;
	}
	lkl_sys_shutdown(c, LKL_SHUT_WR);
	lkl_sys_read(c, (char *)&back, 8);
	return back;
}

/* ---- ICMP echo over a SOCK_DGRAM/IPPROTO_ICMP(V6) socket ------------ */

static __attribute__((unused)) int ping(int af, const void *addr, int tries)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6 };
	struct { long sec, usec; } tv = { 1, 0 };
	unsigned char pkt[64], rep[128];
	long s = lkl_sys_socket(af, LKL_SOCK_DGRAM, af == LKL_AF_INET ? LKL_IPPROTO_ICMP : LKL_IPPROTO_ICMPV6);
	void *sa = af == LKL_AF_INET ? (void *)&sin : (void *)&sin6;
	int salen = af == LKL_AF_INET ? sizeof(sin) : sizeof(sin6), ok = 0;

	if (s < 0)
		return (int)s;
	if (af == LKL_AF_INET)
		memcpy(&sin.sin_addr, addr, 4);
	else
		memcpy(&sin6.sin6_addr, addr, 16);
	lkl_sys_setsockopt(s, LKL_SOL_SOCKET, LKL_SO_RCVTIMEO_OLD, (void *)&tv, sizeof(tv));
	for (int i = 0; i < tries && !ok; i++) {
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = af == LKL_AF_INET ? 8 : 128; /* echo request */
		pkt[7] = (unsigned char)i;
		memcpy(pkt + 8, "lunik-ping", 10);
		if (lkl_sys_sendto(s, pkt, sizeof(pkt), 0, sa, salen) < 0) {
			sleep(1);
			continue;
		}
		for (;;) {
			long n = lkl_sys_recvfrom(s, rep, sizeof(rep), 0, NULL, NULL);

			if (n < 0)
				break;
			if (n >= 18 && rep[0] == (af == LKL_AF_INET ? 0 : 129) &&
			    !memcmp(rep + 8, "lunik-ping", 10)) {
				ok = 1;
				break;
			}
		}
	}
	lkl_sys_close(s);
	return ok;
}

/* ---- TCP helpers inside the kernel ---------------------------------- */

static __attribute__((unused)) long listen_on(int af, const void *addr, int port)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET, .sin_port = lkl_htons(port) };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6, .sin6_port = lkl_htons(port) };
	long s = lkl_sys_socket(af, LKL_SOCK_STREAM, 0), r;
	int one = 1;

	if (s < 0)
		return s;
	lkl_sys_setsockopt(s, LKL_SOL_SOCKET, LKL_SO_REUSEADDR, (void *)&one, sizeof(one));
	if (af == LKL_AF_INET) {
		memcpy(&sin.sin_addr, addr, 4);
		r = lkl_sys_bind(s, (void *)&sin, sizeof(sin));
	} else {
		memcpy(&sin6.sin6_addr, addr, 16);
		r = lkl_sys_bind(s, (void *)&sin6, sizeof(sin6));
	}
	if (r >= 0)
		r = lkl_sys_listen(s, 4);
	if (r < 0) {
		lkl_sys_close(s);
		return r;
	}
	return s;
}

/* Connect, retrying for up to 20 s while the peer comes up. */
static __attribute__((unused)) long connect_to(int af, const void *addr, int port)
{
	struct lkl_sockaddr_in sin = { .sin_family = LKL_AF_INET, .sin_port = lkl_htons(port) };
	struct lkl_sockaddr_in6 sin6 = { .sin6_family = LKL_AF_INET6, .sin6_port = lkl_htons(port) };
	long r = -LKL_ETIMEDOUT;

	if (af == LKL_AF_INET)
		memcpy(&sin.sin_addr, addr, 4);
	else
		memcpy(&sin6.sin6_addr, addr, 16);
	for (int i = 0; i < 100; i++) {
		long s = lkl_sys_socket(af, LKL_SOCK_STREAM, 0);

		if (s < 0)
			return s;
		r = af == LKL_AF_INET ? lkl_sys_connect(s, (void *)&sin, sizeof(sin)) :
					lkl_sys_connect(s, (void *)&sin6, sizeof(sin6));
		if (r == 0)
			return s;
		lkl_sys_close(s);
		usleep(200000);
	}
	return r;
}

/* Echo everything on one accepted connection until EOF; bytes echoed. */
static __attribute__((unused)) long echo_one(long ls)
{
	static char buf[65536];
	long c = lkl_sys_accept4(ls, NULL, NULL, 0), n, total = 0;

	if (c < 0)
		return c;
	while ((n = lkl_sys_read(c, buf, sizeof(buf))) > 0) {
		if (full_write(c, buf, (size_t)n) < 0)
			break;
		total += n;
	}
	lkl_sys_close(c);
	return total;
}

/* Discard until EOF, then answer with the count (8 bytes). */
static __attribute__((unused)) long sink_one(long ls)
{
	static char buf[65536];
	long c = lkl_sys_accept4(ls, NULL, NULL, 0), n;
	uint64_t total = 0;

	if (c < 0)
		return c;
	while ((n = lkl_sys_read(c, buf, sizeof(buf))) > 0)
		total += (uint64_t)n;
	full_write(c, (char *)&total, 8);
	lkl_sys_close(c);
	return (long)total;
}

struct writer {
	long fd;
	size_t len;
	long ret;
};

static __attribute__((unused)) void *writer_fn(void *p)
{
	struct writer *w = p;
	static unsigned char buf[65536];
	size_t off = 0;

	while (off < w->len) {
		size_t k = w->len - off < sizeof(buf) ? w->len - off : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = pat(off + i);
		if (full_write(w->fd, buf, k) < 0) {
			w->ret = -1;
			return NULL;
		}
		off += k;
	}
	lkl_sys_shutdown(w->fd, LKL_SHUT_WR);
	w->ret = 0;
	return NULL;
}

/* Send len pattern bytes on fd and check they all come back in order. */
static __attribute__((unused)) int echo_check(long fd, size_t len)
{
	static unsigned char buf[65536];
	struct writer w = { fd, len, -1 };
	pthread_t t;
	size_t got = 0;
	int same = 1;
	long n;

	pthread_create(&t, NULL, writer_fn, &w);
	while ((n = lkl_sys_read(fd, (char *)buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n && same; i++)
			if (buf[i] != pat(got + (size_t)i))
				same = 0;
		got += (size_t)n;
	}
	pthread_join(t, NULL);
	return w.ret == 0 && same && got == len;
}

/* Virtio feature bit `bit` as negotiated for interface ifname (sysfs). */
static __attribute__((unused)) int feature(const char *ifname, int bit)
{
	char path[96] = { 0 }, buf[160];

	lkl_mount_fs("sysfs");
	snprintf(path, sizeof(path), "/sysfs/class/net/%s/device/features", ifname);
	if (read_file(path, buf, sizeof(buf)) <= bit)
		return -1;
	return buf[bit] == '1';
}

/* ---- the IPv6 neighbour table over rtnetlink (RTM_GETNEIGH dump) ---- */

static __attribute__((unused)) int has_neigh6(int ifindex, const unsigned char *ip, const unsigned char *mac)
{
	struct {
		struct lkl_nlmsghdr h;
		struct lkl_ndmsg nd;
	} req = { 0 };
	static char buf[16384];
	long s = lkl_sys_socket(LKL_AF_NETLINK, LKL_SOCK_RAW, LKL_NETLINK_ROUTE), n;
	int found = 0, done = 0;

	if (s < 0)
		return 0;
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = LKL_RTM_GETNEIGH;
	req.h.nlmsg_flags = LKL_NLM_F_REQUEST | LKL_NLM_F_DUMP;
	req.nd.ndm_family = LKL_AF_INET6;
	if (lkl_sys_write(s, (char *)&req, sizeof(req)) < 0)
		goto out;
	while (!done && (n = lkl_sys_read(s, buf, sizeof(buf))) > 0) {
		for (struct lkl_nlmsghdr *h = (void *)buf; LKL_NLMSG_OK(h, n); h = LKL_NLMSG_NEXT(h, n)) {
			struct lkl_ndmsg *nd = LKL_NLMSG_DATA(h);
			struct lkl_rtattr *a;
			int alen, ipok = 0, macok = 0;

			if (h->nlmsg_type == LKL_NLMSG_DONE || h->nlmsg_type == LKL_NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nd->ndm_ifindex != ifindex || !(nd->ndm_state & LKL_NUD_PERMANENT))
				continue;
			alen = (int)h->nlmsg_len - (int)LKL_NLMSG_LENGTH(sizeof(*nd));
			for (a = (void *)((char *)nd + LKL_NLMSG_ALIGN(sizeof(*nd))); LKL_RTA_OK(a, alen);
			     a = LKL_RTA_NEXT(a, alen)) {
				if (a->rta_type == LKL_NDA_DST && !memcmp(LKL_RTA_DATA(a), ip, 16))
					ipok = 1;
				if (a->rta_type == LKL_NDA_LLADDR && !memcmp(LKL_RTA_DATA(a), mac, 6))
					macok = 1;
			}
			if (ipok && macok)
				found = 1;
		}
	}
out:
	lkl_sys_close(s);
	return found;
}

/* A host-side TCP sink: counts what it reads, answers the 8-byte count. */
static __attribute__((unused)) void *host_sink(void *p)
{
	int ls = *(int *)p, c = accept(ls, NULL, NULL);
	static char buf[65536];
	uint64_t total = 0;
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0)
		total += (uint64_t)n;
	if (write(c, &total, 8) != 8)
		total = 0;
	close(c);
	return NULL;
}

#endif
