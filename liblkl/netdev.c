/* netdev.c: LKL's network device API (lkl_netdev_add/remove/free,
 * lkl_netdev_get_ifindex, the tap/raw/socket creators) over the platform's
 * virtio-net devices (LHC_CAP_VDEV, lhc_vdev_net_create[_host]). Host links
 * are opened by the platform, so this file stays platform-agnostic. */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include <lunik/hypercall.h>
#include <lkl.h>

#define MAX_NETDEVS (LHC_IRQ_MAX - 1)

/* What the creators return: a netdev the platform opens at lkl_netdev_add. */
struct host_netdev {
	struct lkl_netdev nd;
	int kind; /* LHC_NET_HOST_* */
	long handle;
	uint32_t offload, mtu;
	char spec[128];
};

static struct lkl_dev_net_ops host_marker; /* ops of a host_netdev */

/* No heap here (liblkl uses no allocator): host netdevs come from a pool. */
#define MAX_HOST_NETDEVS (2 * MAX_NETDEVS)
static struct host_netdev host_pool[MAX_HOST_NETDEVS];
static char host_pool_used[MAX_HOST_NETDEVS];

struct netdev_rec {
	int used;
	struct lkl_netdev *nd;
	struct lhc_net_backend be;
	struct lhc_vdev *vdev;
	struct lhc_vdev_info info;
	unsigned char mac[6];
};

static struct netdev_rec netdevs[MAX_NETDEVS];

static struct lkl_netdev *host_new(int kind, const char *spec, long handle,
				   uint32_t offload, uint32_t mtu)
{
	struct host_netdev *h;

	if (spec && strlen(spec) >= sizeof(h->spec))
		return NULL;
	h = NULL;
	for (int i = 0; i < MAX_HOST_NETDEVS; i++)
		if (!__atomic_exchange_n(&host_pool_used[i], 1, __ATOMIC_ACQ_REL)) {
			h = &host_pool[i];
			break;
		}
	if (!h)
		return NULL;
	memset(h, 0, sizeof(*h));
	h->nd.ops = &host_marker;
	h->nd.id = -1;
	h->kind = kind;
	h->handle = handle;
	h->offload = offload;
	h->mtu = mtu;
	if (spec)
		strcpy(h->spec, spec);
	return &h->nd;
}

struct lkl_netdev *lkl_netdev_tap_create(const char *ifname, int offload)
{
	uint32_t off = 0, o = (uint32_t)offload;

	if (!ifname || !ifname[0])
		return NULL;
	if (o & ((1u << LKL_VIRTIO_NET_F_CSUM) | (1u << LKL_VIRTIO_NET_F_GUEST_CSUM)))
		off |= LHC_NET_OFF_CSUM;
	if (o & ((1u << LKL_VIRTIO_NET_F_HOST_TSO4) | (1u << LKL_VIRTIO_NET_F_GUEST_TSO4)))
		off |= LHC_NET_OFF_TSO4 | LHC_NET_OFF_CSUM;
	if (o & ((1u << LKL_VIRTIO_NET_F_HOST_TSO6) | (1u << LKL_VIRTIO_NET_F_GUEST_TSO6)))
		off |= LHC_NET_OFF_TSO6 | LHC_NET_OFF_CSUM;
	return host_new(LHC_NET_HOST_TAP, ifname, -1, off, 0);
}

struct lkl_netdev *lkl_netdev_raw_create(const char *ifname)
{
	if (!ifname || !ifname[0])
		return NULL;
	return host_new(LHC_NET_HOST_RAW, ifname, -1, 0, 0);
}

struct lkl_netdev *lkl_netdev_socket_create(int fd, int framing, int mtu)
{
	if (fd < 0 || mtu < 0 || mtu > 65535 ||
	    (framing != LKL_NETDEV_STREAM && framing != LKL_NETDEV_DGRAM))
		return NULL;
	return host_new(framing == LKL_NETDEV_STREAM ? LHC_NET_HOST_STREAM : LHC_NET_HOST_DGRAM,
			NULL, fd, 0, (uint32_t)mtu);
}

struct lkl_netdev *lkl_netdev_stream_create(const char *spec, int framing, int mtu)
{
	if (!spec || !spec[0] || mtu < 0 || mtu > 65535 ||
	    (framing != LKL_NETDEV_STREAM && framing != LKL_NETDEV_DGRAM))
		return NULL;
	return host_new(framing == LKL_NETDEV_STREAM ? LHC_NET_HOST_STREAM : LHC_NET_HOST_DGRAM,
			spec, -1, 0, (uint32_t)mtu);
}

/* ---- an LKL program's own ops, adapted to lhc_net_backend ----------- */

static int ops_tx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct netdev_rec *r = ctx;

	return r->nd->ops->tx(r->nd, (struct iovec *)(void *)iov, count) < 0 ? LHC_EAGAIN : 0;
}

static long ops_rx(void *ctx, const struct lhc_iovec *iov, int count)
{
	struct netdev_rec *r = ctx;
	int n = r->nd->ops->rx(r->nd, (struct iovec *)(void *)iov, count);

	return n < 0 ? -LHC_EAGAIN : n;
}

static int ops_poll(void *ctx, int events)
{
	struct netdev_rec *r = ctx;
	int got;

	/* LKL's poll has no event mask: it reports what is ready */
	(void)events;
	got = r->nd->ops->poll(r->nd);
	return (got & LKL_DEV_NET_POLL_RX ? LHC_NET_POLL_RX : 0) |
	       (got & LKL_DEV_NET_POLL_TX ? LHC_NET_POLL_TX : 0) |
	       (got & LKL_DEV_NET_POLL_HUP ? LHC_NET_POLL_HUP : 0);
}

static void ops_poll_hup(void *ctx)
{
	struct netdev_rec *r = ctx;

	r->nd->ops->poll_hup(r->nd);
}

/* A locally administered MAC, different between processes and devices. */
static void random_mac(unsigned char mac[6], int id)
{
	uint64_t t = 0, x;

	lhc_clock_ns(LHC_CLOCK_MONO, &t);
	x = t ^ ((uint64_t)(uintptr_t)&t << 7) ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	mac[0] = 0x02;
	mac[1] = 0x4c; /* 'L' */
	for (int i = 2; i < 6; i++)
		mac[i] = (unsigned char)(x >> (8 * i));
	mac[5] = (unsigned char)(mac[5] ^ id);
}

int lkl_netdev_add(struct lkl_netdev *nd, struct lkl_netdev_args *args)
{
	struct netdev_rec *r = NULL;
	int id, err;

	if (!nd || !nd->ops)
		return -LKL_EINVAL;
	/* claim a record (used 2: being set up) before filling it in */
	for (id = 0; id < MAX_NETDEVS; id++) {
		int free_ = 0;

		if (__atomic_compare_exchange_n(&netdevs[id].used, &free_, 2, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			r = &netdevs[id];
			break;
		}
	}
	if (!r)
		return -LKL_ENOSPC;
	memset((char *)r + __builtin_offsetof(struct netdev_rec, nd), 0,
	       sizeof(*r) - __builtin_offsetof(struct netdev_rec, nd));
	r->nd = nd;
	if (args && args->mac)
		memcpy(r->mac, args->mac, 6);
	else
		random_mac(r->mac, id);
	if (nd->ops == &host_marker) {
		struct host_netdev *h = (struct host_netdev *)nd;
		uint32_t off = h->offload;

		if (args && args->offload) {
			uint32_t o = args->offload;

			if (!(o & ((1u << LKL_VIRTIO_NET_F_HOST_TSO4) | (1u << LKL_VIRTIO_NET_F_GUEST_TSO4))))
				off &= ~(uint32_t)LHC_NET_OFF_TSO4;
			if (!(o & ((1u << LKL_VIRTIO_NET_F_HOST_TSO6) | (1u << LKL_VIRTIO_NET_F_GUEST_TSO6))))
				off &= ~(uint32_t)LHC_NET_OFF_TSO6;
		}
		err = lhc_vdev_net_create_host(h->kind, h->spec[0] ? h->spec : NULL, h->handle,
					       off, h->mtu, r->mac, &r->vdev, &r->info);
	} else {
		if (!nd->ops->tx || !nd->ops->rx || !nd->ops->poll || !nd->ops->poll_hup) {
			__atomic_store_n(&r->used, 0, __ATOMIC_RELEASE);
			return -LKL_EINVAL;
		}
		r->be.tx = ops_tx;
		r->be.rx = ops_rx;
		r->be.poll = ops_poll;
		r->be.poll_hup = ops_poll_hup;
		memcpy(r->be.mac, r->mac, 6);
		r->be.has_mac = 1;
		r->be.vnet_hdr = nd->has_vnet_hdr;
		if (nd->has_vnet_hdr && args) {
			if (args->offload & ((1u << LKL_VIRTIO_NET_F_CSUM) | (1u << LKL_VIRTIO_NET_F_GUEST_CSUM)))
				r->be.offload |= LHC_NET_OFF_CSUM;
			if (args->offload & (1u << LKL_VIRTIO_NET_F_HOST_TSO4))
				r->be.offload |= LHC_NET_OFF_TSO4 | LHC_NET_OFF_CSUM;
			if (args->offload & (1u << LKL_VIRTIO_NET_F_HOST_TSO6))
				r->be.offload |= LHC_NET_OFF_TSO6 | LHC_NET_OFF_CSUM;
		}
		err = lhc_vdev_net_create(&r->be, r, &r->vdev, &r->info);
	}
	if (err) {
		__atomic_store_n(&r->used, 0, __ATOMIC_RELEASE);
		return -err;
	}
	if (lkl_is_running()) {
		long ret = lkl_virtio_mmio_add(r->info.base, r->info.size, r->info.irq);

		if (ret < 0) {
			lhc_vdev_destroy(r->vdev);
			__atomic_store_n(&r->used, 0, __ATOMIC_RELEASE);
			return (int)ret;
		}
	}
	nd->id = id;
	__atomic_store_n(&r->used, 1, __ATOMIC_RELEASE);
	return id;
}

void lkl_netdev_remove(int id)
{
	struct netdev_rec *r;

	if (id < 0 || id >= MAX_NETDEVS ||
	    __atomic_load_n(&netdevs[id].used, __ATOMIC_ACQUIRE) != 1)
		return;
	r = &netdevs[id];
	/* a device the kernel knows must leave it first */
	if (lkl_is_running() && lkl_virtio_mmio_remove(r->info.base) < 0)
		return;
	lhc_vdev_destroy(r->vdev);
	r->nd->id = -1;
	__atomic_store_n(&r->used, 0, __ATOMIC_RELEASE);
}

void lkl_netdev_free(struct lkl_netdev *nd)
{
	if (!nd)
		return;
	if (nd->ops == &host_marker) {
		struct host_netdev *h = (struct host_netdev *)nd;

		nd->ops = NULL;
		__atomic_store_n(&host_pool_used[h - host_pool], 0, __ATOMIC_RELEASE);
		return;
	}
	if (nd->ops && nd->ops->free)
		nd->ops->free(nd);
}

/* The interface whose MAC is the netdev's. */
int lkl_netdev_get_ifindex(int id)
{
	struct lkl_ifreq ifr;
	long sock;
	int ret = -LKL_ENOENT;

	if (id < 0 || id >= MAX_NETDEVS ||
	    __atomic_load_n(&netdevs[id].used, __ATOMIC_ACQUIRE) != 1)
		return -LKL_EINVAL;
	sock = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0);
	if (sock < 0)
		return (int)sock;
	for (int i = 1; i < 1024; i++) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.lkl_ifr_ifindex = i;
		if (lkl_sys_ioctl((int)sock, LKL_SIOCGIFNAME, (long)&ifr) < 0)
			continue;
		if (lkl_sys_ioctl((int)sock, LKL_SIOCGIFHWADDR, (long)&ifr) < 0)
			continue;
		if (!memcmp(ifr.lkl_ifr_hwaddr.sa_data, netdevs[id].mac, 6)) {
			ret = i;
			break;
		}
	}
	lkl_sys_close((int)sock);
	return ret;
}
