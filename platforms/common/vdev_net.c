/* platforms/common: virtio-net over a caller-supplied lhc_net_backend.
 *
 * Queue 0 receives, queue 1 transmits (no control queue). Transmit runs on
 * the notifying thread; a frame the backend cannot take now (LHC_EAGAIN)
 * stays at the head and the tx thread retries it once poll says
 * LHC_NET_POLL_TX. The rx thread polls the backend, fills rx buffers (a
 * batch per lock hold) and raises the IRQ once per batch. */
#include "vdev.h"

#define VIRTIO_ID_NET 1
#define NET_F_CSUM 0
#define NET_F_GUEST_CSUM 1
#define NET_F_MTU 3
#define NET_F_MAC 5
#define NET_F_GUEST_TSO4 7
#define NET_F_GUEST_TSO6 8
#define NET_F_HOST_TSO4 11
#define NET_F_HOST_TSO6 12
#define NET_F_STATUS 16
#define NET_S_LINK_UP 1
#define NET_CONFIG_LEN 12 /* mac[6], status, max_virtqueue_pairs, mtu */
#define INT_CONFIG 2
#define INT_USED 1
#define RX_BATCH 64

#define RXQ 0
#define TXQ 1

static void net_config_read(struct vdev *d, uint32_t off, void *buf, int len)
{
	struct vdev_net *n = d->priv;
	uint8_t cfg[NET_CONFIG_LEN];
	uint16_t status = n->link_down ? 0 : NET_S_LINK_UP, pairs = 1;
	uint16_t mtu = (uint16_t)(n->mtu > 65535 ? 65535 : n->mtu);

	vdev_memcpy(cfg, n->mac, 6);
	vdev_memcpy(cfg + 6, &status, 2);
	vdev_memcpy(cfg + 8, &pairs, 2);
	vdev_memcpy(cfg + 10, &mtu, 2);
	if (off < sizeof(cfg))
		vdev_memcpy(buf, cfg + off,
			    (size_t)(off + (uint32_t)len <= sizeof(cfg) ? (uint32_t)len : sizeof(cfg) - off));
}

/* Send the chain in n->tx_segs. 0 sent (or dropped), LHC_EAGAIN. */
static int tx_one(struct vdev_net *n)
{
	struct lhc_iovec iov[VDEV_MAX_SEGS];
	uint32_t skip = n->be->vnet_hdr ? 0 : LHC_NET_HDR_LEN;
	int cnt = 0, err;

	for (int i = 0; i < n->tx_n; i++) {
		if (n->tx_segs[i].writable)
			break;
		if (skip >= n->tx_segs[i].len) {
			skip -= n->tx_segs[i].len;
			continue;
		}
		iov[cnt].base = (uint8_t *)n->tx_segs[i].base + skip;
		iov[cnt].len = n->tx_segs[i].len - skip;
		skip = 0;
		cnt++;
	}
	if (skip) /* shorter than the header: drop */
		return 0;
	err = n->be->tx(n->ctx, iov, cnt);
	return err == LHC_EAGAIN ? LHC_EAGAIN : 0;
}

/* Under the device lock. */
static void tx_process(struct vdev_net *n)
{
	struct vdev *d = &n->dev;
	struct vdev_queue *q = &d->q[TXQ];

	if (!q->ready || !q->num)
		return;
	for (;;) {
		if (!n->tx_blocked) {
			int k = lunik_vdev_queue_pop(d, q, &n->tx_head, n->tx_segs, VDEV_MAX_SEGS);

			if (k == 0)
				return;
			if (k < 0) {
				lunik_vdev_queue_push(d, q, n->tx_head, 0);
				continue;
			}
			n->tx_n = k;
		}
		if (tx_one(n) == LHC_EAGAIN) {
			if (!n->tx_blocked) {
				n->tx_blocked = 1;
				lhc_sem_up(n->tx_kick);
			}
			return;
		}
		n->tx_blocked = 0;
		lunik_vdev_queue_push(d, q, n->tx_head, 0);
	}
}

/* Under the device lock: fill up to RX_BATCH buffers. Returns 1 when the
 * backend had nothing more, 0 when the ring ran out (rx_starved set) or
 * the batch ended, -1 on hang-up. */
static int rx_process(struct vdev_net *n)
{
	struct vdev *d = &n->dev;
	struct vdev_queue *q = &d->q[RXQ];
	struct vdev_seg segs[VDEV_MAX_SEGS];
	struct lhc_iovec iov[VDEV_MAX_SEGS];

	if (!q->ready || !q->num) {
		n->rx_starved = 1;
		return 0;
	}
	for (int b = 0; b < RX_BATCH; b++) {
		uint16_t head;
		int k = lunik_vdev_queue_pop(d, q, &head, segs, VDEV_MAX_SEGS), cnt = 0;
		uint32_t skip = n->be->vnet_hdr ? 0 : LHC_NET_HDR_LEN, cap = 0;
		long r;

		if (k == 0) {
			n->rx_starved = 1;
			return 0;
		}
		if (k < 0) {
			lunik_vdev_queue_push(d, q, head, 0);
			continue;
		}
		for (int i = 0; i < k; i++) {
			if (!segs[i].writable)
				continue;
			cap += segs[i].len;
			if (skip >= segs[i].len) {
				skip -= segs[i].len;
				continue;
			}
			iov[cnt].base = (uint8_t *)segs[i].base + skip;
			iov[cnt].len = segs[i].len - skip;
			skip = 0;
			cnt++;
		}
		if (skip || cap < LHC_NET_HDR_LEN) {
			lunik_vdev_queue_push(d, q, head, 0);
			continue;
		}
		r = n->be->rx(n->ctx, iov, cnt);
		if (r == -LHC_EAGAIN || r == -LHC_EIO) {
			q->last_avail--; /* not used: give the chain back */
			return r == -LHC_EIO ? -1 : 1;
		}
		if (r < 0) { /* dropped */
			q->last_avail--;
			continue;
		}
		if (!n->be->vnet_hdr) {
			/* a zero header with num_buffers = 1, scattered */
			uint8_t hdr[LHC_NET_HDR_LEN] = { 0 };
			uint32_t left = LHC_NET_HDR_LEN, o = 0;

			hdr[10] = 1;
			for (int i = 0; i < k && left; i++) {
				if (!segs[i].writable)
					continue;
				uint32_t c = segs[i].len < left ? segs[i].len : left;

				vdev_memcpy(segs[i].base, hdr + o, c);
				o += c;
				left -= c;
			}
			r += LHC_NET_HDR_LEN;
		}
		lunik_vdev_queue_push(d, q, head, (uint32_t)r);
	}
	return 0;
}

#define STOPPED(n) __atomic_load_n(&(n)->stop, __ATOMIC_ACQUIRE)

/* Under the device lock. */
static void raise_if(struct vdev_net *n, int want, int isr)
{
	if (want)
		n->dev.isr |= (uint32_t)isr;
}

/* The link hung up: report it down with a configuration interrupt. */
static void link_lost(struct vdev_net *n)
{
	int was, live;

	lhc_mutex_lock(n->dev.lock);
	was = n->link_down;
	n->link_down = 1;
	live = (n->dev.status & 4 /* DRIVER_OK */) != 0;
	if (!was && live) {
		n->dev.generation++;
		raise_if(n, 1, INT_CONFIG);
	}
	lhc_mutex_unlock(n->dev.lock);
	if (!was && live)
		n->raise(n->raise_arg);
}

static void rx_thread(void *arg)
{
	struct vdev_net *n = arg;
	struct vdev *d = &n->dev;

	while (!STOPPED(n)) {
		int starved, r, more, want;

		lhc_mutex_lock(d->lock);
		starved = n->rx_starved;
		lhc_mutex_unlock(d->lock);
		if (starved) {
			lhc_sem_down(n->rx_kick);
			continue;
		}
		r = n->be->poll(n->ctx, LHC_NET_POLL_RX);
		if (r & LHC_NET_POLL_HUP) {
			if (!STOPPED(n))
				link_lost(n);
			break;
		}
		if (!(r & LHC_NET_POLL_RX))
			continue;
		do {
			lhc_mutex_lock(d->lock);
			d->irq_wanted = 0;
			more = rx_process(n);
			starved = n->rx_starved;
			want = d->irq_wanted;
			d->irq_wanted = 0;
			raise_if(n, want, INT_USED);
			lhc_mutex_unlock(d->lock);
			if (want)
				n->raise(n->raise_arg);
		} while (more == 0 && !starved && !STOPPED(n));
		if (more < 0) {
			if (!STOPPED(n))
				link_lost(n);
			break;
		}
	}
	/* wait for the stop request, so lhc_thread_join finds us */
	while (!STOPPED(n))
		lhc_sem_down(n->rx_kick);
}

static void tx_thread(void *arg)
{
	struct vdev_net *n = arg;
	struct vdev *d = &n->dev;

	while (!STOPPED(n)) {
		int blocked, r, want;

		lhc_sem_down(n->tx_kick);
		for (;;) {
			lhc_mutex_lock(d->lock);
			blocked = n->tx_blocked;
			lhc_mutex_unlock(d->lock);
			if (!blocked || STOPPED(n))
				break;
			r = n->be->poll(n->ctx, LHC_NET_POLL_TX);
			if (r & LHC_NET_POLL_HUP) {
				/* drop what is queued: nobody will take it */
				struct vdev_queue *q = &d->q[TXQ];

				lhc_mutex_lock(d->lock);
				d->irq_wanted = 0;
				if (n->tx_blocked) {
					n->tx_blocked = 0;
					if (q->ready && q->num)
						lunik_vdev_queue_push(d, q, n->tx_head, 0);
				}
				want = d->irq_wanted;
				d->irq_wanted = 0;
				raise_if(n, want, INT_USED);
				lhc_mutex_unlock(d->lock);
				if (want)
					n->raise(n->raise_arg);
				if (!STOPPED(n))
					link_lost(n);
				while (!STOPPED(n))
					lhc_sem_down(n->tx_kick);
				return;
			}
			if (!(r & LHC_NET_POLL_TX))
				continue;
			lhc_mutex_lock(d->lock);
			d->irq_wanted = 0;
			tx_process(n);
			want = d->irq_wanted;
			d->irq_wanted = 0;
			raise_if(n, want, INT_USED);
			lhc_mutex_unlock(d->lock);
			if (want)
				n->raise(n->raise_arg);
		}
	}
}

static void net_notify(struct vdev *d, struct vdev_queue *q)
{
	struct vdev_net *n = d->priv;

	if (q == &d->q[RXQ]) {
		if (n->rx_starved) {
			n->rx_starved = 0;
			lhc_sem_up(n->rx_kick);
		}
		return;
	}
	if (n->link_down) {
		/* nowhere to send: complete everything */
		uint16_t head;
		struct vdev_seg segs[4];
		int k;

		if (!q->ready || !q->num)
			return;
		while ((k = lunik_vdev_queue_pop(d, q, &head, segs, 4)) != 0)
			lunik_vdev_queue_push(d, q, head, 0);
		return;
	}
	if (!n->tx_blocked)
		tx_process(n);
}

/* Under the device lock: the driver resets queue q (0: the device). The
 * chain held for a retry belongs to the old ring: forget it, so the tx
 * thread stops retrying and never sends or completes it. */
static void net_reset(struct vdev *d, struct vdev_queue *q)
{
	struct vdev_net *n = d->priv;

	if (!q || q == &d->q[TXQ]) {
		n->tx_blocked = 0;
		n->tx_head = 0;
		n->tx_n = 0;
	}
	if (!q || q == &d->q[RXQ])
		n->rx_starved = 1; /* until the driver posts buffers again */
}

static const struct vdev_type net_type = {
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.config_len = NET_CONFIG_LEN,
	.config_read = net_config_read,
	.notify = net_notify,
	.reset = net_reset,
};

int lunik_vdev_net_init(struct vdev_net *n, const struct lhc_net_backend *be,
			void *ctx, void (*raise)(void *), void *raise_arg)
{
	uint64_t f = (1ull << NET_F_STATUS);
	int err;

	if (!be || !be->tx || !be->rx || !be->poll || !be->poll_hup || !raise)
		return LHC_EINVAL;
	if (be->offload && !be->vnet_hdr)
		return LHC_EINVAL;
	vdev_memset(n, 0, sizeof(*n));
	n->be = be;
	n->ctx = ctx;
	n->raise = raise;
	n->raise_arg = raise_arg;
	n->mtu = be->mtu;
	n->rx_starved = 1; /* until the driver posts buffers */
	if (be->has_mac) {
		vdev_memcpy(n->mac, be->mac, 6);
		f |= 1ull << NET_F_MAC;
	}
	if (be->mtu)
		f |= 1ull << NET_F_MTU;
	if (be->vnet_hdr && (be->offload & LHC_NET_OFF_CSUM)) {
		f |= (1ull << NET_F_CSUM) | (1ull << NET_F_GUEST_CSUM);
		if (be->offload & LHC_NET_OFF_TSO4)
			f |= (1ull << NET_F_HOST_TSO4) | (1ull << NET_F_GUEST_TSO4);
		if (be->offload & LHC_NET_OFF_TSO6)
			f |= (1ull << NET_F_HOST_TSO6) | (1ull << NET_F_GUEST_TSO6);
	}
	err = lunik_vdev_init(&n->dev, &net_type, n, f);
	if (err)
		return err;
	if (lhc_sem_alloc(0, &n->rx_kick) || lhc_sem_alloc(0, &n->tx_kick)) {
		if (n->rx_kick)
			lhc_sem_free(n->rx_kick);
		lunik_vdev_fini(&n->dev);
		return LHC_ENOMEM;
	}
	err = lhc_thread_create(rx_thread, n, "vnet-rx", 1, &n->rx_thread);
	if (!err) {
		err = lhc_thread_create(tx_thread, n, "vnet-tx", 1, &n->tx_thread);
		if (err) {
			__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
			be->poll_hup(ctx);
			lhc_sem_up(n->rx_kick);
			lhc_thread_join(n->rx_thread);
		}
	}
	if (err) {
		lhc_sem_free(n->rx_kick);
		lhc_sem_free(n->tx_kick);
		lunik_vdev_fini(&n->dev);
	}
	return err;
}

void lunik_vdev_net_fini(struct vdev_net *n)
{
	__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
	n->be->poll_hup(n->ctx);
	lhc_sem_up(n->rx_kick);
	lhc_sem_up(n->tx_kick);
	lhc_thread_join(n->rx_thread);
	lhc_thread_join(n->tx_thread);
	lhc_sem_free(n->rx_kick);
	lhc_sem_free(n->tx_kick);
	lunik_vdev_fini(&n->dev);
}
