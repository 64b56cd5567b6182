/* platforms/common: the virtio-mmio transport (virtio 1.x, "version 2"
 * register layout) and split virtqueues with event index and indirect
 * descriptors. Addresses the driver writes are used as pointers. */
#include "vdev.h"

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_VENDOR 0x4b4e554cu /* "LUNK" */

enum {
	R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008,
	R_VENDOR_ID = 0x00c, R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014,
	R_DRV_FEATURES = 0x020, R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060, R_INT_ACK = 0x064, R_STATUS = 0x070,
	R_QUEUE_DESC_LO = 0x080, R_QUEUE_DESC_HI = 0x084,
	R_QUEUE_DRIVER_LO = 0x090, R_QUEUE_DRIVER_HI = 0x094,
	R_QUEUE_DEVICE_LO = 0x0a0, R_QUEUE_DEVICE_HI = 0x0a4,
	R_SHM_SEL = 0x0ac, R_SHM_LEN_LO = 0x0b0, R_SHM_LEN_HI = 0x0b4,
	R_SHM_BASE_LO = 0x0b8, R_SHM_BASE_HI = 0x0bc, R_QUEUE_RESET = 0x0c0,
	R_CONFIG_GEN = 0x0fc, R_CONFIG = 0x100,
};

#define STATUS_FEATURES_OK 8u
#define STATUS_NEEDS_RESET 64u
#define INT_USED_RING 1u

#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u
#define AVAIL_F_NO_INTERRUPT 1u

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

int lunik_vdev_init(struct vdev *d, const struct vdev_type *type, void *priv,
	      uint64_t features)
{
	vdev_memset(d, 0, sizeof(*d));
	d->type = type;
	d->priv = priv;
	d->host_features = features | (1ull << VIRTIO_F_VERSION_1) |
			   (1ull << VIRTIO_F_RING_EVENT_IDX) |
			   (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	return lhc_mutex_alloc(0, &d->lock) ? LHC_ENOMEM : 0;
}

void lunik_vdev_fini(struct vdev *d)
{
	lhc_mutex_free(d->lock);
	d->lock = 0;
}

static void reset(struct vdev *d)
{
	if (d->type->reset)
		d->type->reset(d, 0);
	d->guest_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	d->status = 0;
	d->isr = 0;
	vdev_memset(d->q, 0, sizeof(d->q));
}

static struct vdev_queue *cur_queue(struct vdev *d)
{
	return d->queue_sel < d->type->nqueues ? &d->q[d->queue_sel] : 0;
}

static int has(const struct vdev *d, int bit)
{
	return (d->guest_features >> bit) & 1;
}

/*
 * Ring indexes and event fields are shared with the driver. Sequentially
 * consistent loads and stores give the acquire/release pairs the ring
 * needs and also order "publish my index, then read the other side's
 * event field" (a store-load pair), with no separate fence (which
 * -fsanitize=thread cannot model).
 */
static uint16_t load16(const volatile void *p)
{
	return __atomic_load_n((const volatile uint16_t *)p, __ATOMIC_SEQ_CST);
}

static void store16(volatile void *p, uint16_t v)
{
	__atomic_store_n((volatile uint16_t *)p, v, __ATOMIC_SEQ_CST);
}

/* avail ring: flags, idx, ring[num], used_event */
static uint8_t *avail_p(struct vdev_queue *q)
{
	return (uint8_t *)(uintptr_t)q->avail;
}

static uint8_t *used_p(struct vdev_queue *q)
{
	return (uint8_t *)(uintptr_t)q->used;
}

int lunik_vdev_queue_pop(struct vdev *d, struct vdev_queue *q, uint16_t *head,
		   struct vdev_seg *segs, int max)
{
	const struct vring_desc *table, *desc;
	uint16_t avail_idx, idx, tnum;
	unsigned int steps = 0;
	int n = 0;

	if (!q->ready)
		return 0;
	avail_idx = load16(avail_p(q) + 2);
	if (avail_idx == q->last_avail)
		return 0;
	*head = load16(avail_p(q) + 4 + 2 * (q->last_avail % q->num));
	q->last_avail++;
	if (has(d, VIRTIO_F_RING_EVENT_IDX)) {
		/* avail_event: "notify me when you add past what I took". */
		store16(used_p(q) + 4 + 8 * q->num, q->last_avail);
	}
	if (*head >= q->num)
		return -1;
	table = (const struct vring_desc *)(uintptr_t)q->desc;
	tnum = q->num;
	idx = *head;
	for (;;) {
		desc = &table[idx];
		if (++steps > 2u * VDEV_MAX_SEGS)
			return -1; /* a loop */
		if (desc->flags & DESC_F_INDIRECT) {
			if (table != (const struct vring_desc *)(uintptr_t)q->desc ||
			    desc->len % sizeof(struct vring_desc) || !desc->len)
				return -1;
			tnum = (uint16_t)(desc->len / sizeof(struct vring_desc));
			table = (const struct vring_desc *)(uintptr_t)desc->addr;
			idx = 0;
			continue;
		}
		if (n == max)
			return -1;
		segs[n].base = (void *)(uintptr_t)desc->addr;
		segs[n].len = desc->len;
		segs[n].writable = !!(desc->flags & DESC_F_WRITE);
		n++;
		if (!(desc->flags & DESC_F_NEXT))
			break;
		idx = desc->next;
		if (idx >= tnum)
			return -1;
	}
	return n;
}

void lunik_vdev_queue_push(struct vdev *d, struct vdev_queue *q, uint16_t head,
		     uint32_t len)
{
	struct vring_used_elem *e;
	uint16_t old = q->used_idx, now = (uint16_t)(old + 1);

	e = (struct vring_used_elem *)(used_p(q) + 4) + old % q->num;
	e->id = head;
	e->len = len;
	store16(used_p(q) + 2, now);
	q->used_idx = now;
	if (has(d, VIRTIO_F_RING_EVENT_IDX)) {
		uint16_t event = load16(avail_p(q) + 4 + 2 * q->num);

		/* vring_need_event: did we step over used_event? */
		if ((uint16_t)(now - event - 1) < (uint16_t)(now - old))
			d->irq_wanted = 1;
	} else if (!(load16(avail_p(q)) & AVAIL_F_NO_INTERRUPT)) {
		d->irq_wanted = 1;
	}
}

static uint32_t hi(uint64_t v) { return (uint32_t)(v >> 32); }
static uint32_t lo(uint64_t v) { return (uint32_t)v; }
static void set_lo(uint64_t *p, uint32_t v) { *p = (*p & ~0xffffffffull) | v; }
static void set_hi(uint64_t *p, uint32_t v) { *p = (*p & 0xffffffffull) | ((uint64_t)v << 32); }

static uint32_t reg_read(struct vdev *d, uint32_t off)
{
	struct vdev_queue *q = cur_queue(d);

	switch (off) {
	case R_MAGIC: return MMIO_MAGIC;
	case R_VERSION: return 2;
	case R_DEVICE_ID: return d->type->device_id;
	case R_VENDOR_ID: return MMIO_VENDOR;
	case R_DEV_FEATURES:
		return d->dev_feat_sel == 0 ? lo(d->host_features) :
		       d->dev_feat_sel == 1 ? hi(d->host_features) : 0;
	case R_QUEUE_NUM_MAX: return q ? VDEV_QUEUE_MAX : 0;
	case R_QUEUE_READY: return q ? q->ready : 0;
	case R_INT_STATUS: return d->isr;
	case R_STATUS: return d->status;
	case R_QUEUE_DESC_LO: return q ? lo(q->desc) : 0;
	case R_QUEUE_DESC_HI: return q ? hi(q->desc) : 0;
	case R_QUEUE_DRIVER_LO: return q ? lo(q->avail) : 0;
	case R_QUEUE_DRIVER_HI: return q ? hi(q->avail) : 0;
	case R_QUEUE_DEVICE_LO: return q ? lo(q->used) : 0;
	case R_QUEUE_DEVICE_HI: return q ? hi(q->used) : 0;
	case R_SHM_LEN_LO: case R_SHM_LEN_HI: return 0xffffffffu; /* none */
	case R_CONFIG_GEN: return d->generation;
	default: return 0;
	}
}

static void notify(struct vdev *d, uint32_t index)
{
	struct vdev_queue *q;

	if (index >= d->type->nqueues)
		return;
	q = &d->q[index];
	if (!q->ready || !q->num || (d->status & STATUS_NEEDS_RESET))
		return;
	d->type->notify(d, q);
}

static void reg_write(struct vdev *d, uint32_t off, uint32_t v)
{
	struct vdev_queue *q = cur_queue(d);

	switch (off) {
	case R_DEV_FEATURES_SEL: d->dev_feat_sel = v; break;
	case R_DRV_FEATURES_SEL: d->drv_feat_sel = v; break;
	case R_DRV_FEATURES:
		if (d->status & STATUS_FEATURES_OK)
			break;
		if (d->drv_feat_sel == 0)
			set_lo(&d->guest_features, v & lo(d->host_features));
		else if (d->drv_feat_sel == 1)
			set_hi(&d->guest_features, v & hi(d->host_features));
		break;
	case R_QUEUE_SEL: d->queue_sel = v; break;
	case R_QUEUE_NUM:
		/* split rings need a power of two */
		if (q && !q->ready && v && v <= VDEV_QUEUE_MAX && !(v & (v - 1)))
			q->num = (uint16_t)v;
		break;
	case R_QUEUE_READY:
		if (q) {
			q->ready = v == 1 && q->num && q->desc && q->avail && q->used;
			if (!q->ready) {
				if (d->type->reset)
					d->type->reset(d, q);
				q->last_avail = q->used_idx = 0;
			}
		}
		break;
	case R_QUEUE_RESET:
		if (q && v == 1) {
			if (d->type->reset)
				d->type->reset(d, q);
			vdev_memset(q, 0, sizeof(*q));
		}
		break;
	case R_QUEUE_NOTIFY: notify(d, v & 0xffff); break;
	case R_INT_ACK: d->isr &= ~v; break;
	case R_STATUS:
		if (v == 0) {
			reset(d);
			break;
		}
		/* FEATURES_OK only for a feature set with VERSION_1 */
		if ((v & STATUS_FEATURES_OK) && !(d->status & STATUS_FEATURES_OK) &&
		    !has(d, VIRTIO_F_VERSION_1))
			v &= ~STATUS_FEATURES_OK;
		d->status = v;
		break;
	case R_QUEUE_DESC_LO: if (q && !q->ready) set_lo(&q->desc, v); break;
	case R_QUEUE_DESC_HI: if (q && !q->ready) set_hi(&q->desc, v); break;
	case R_QUEUE_DRIVER_LO: if (q && !q->ready) set_lo(&q->avail, v); break;
	case R_QUEUE_DRIVER_HI: if (q && !q->ready) set_hi(&q->avail, v); break;
	case R_QUEUE_DEVICE_LO: if (q && !q->ready) set_lo(&q->used, v); break;
	case R_QUEUE_DEVICE_HI: if (q && !q->ready) set_hi(&q->used, v); break;
	default: break;
	}
}

int lunik_vdev_mmio_access(struct vdev *d, uint32_t off, void *val, int size,
		     int write, int *raise)
{
	*raise = 0;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return LHC_EINVAL;
	lhc_mutex_lock(d->lock);
	if (off >= R_CONFIG) {
		uint32_t c = off - R_CONFIG;
		uint8_t buf[8] = { 0 };

		/* config space: device-specific, read-only for blk */
		if (!write) {
			if (c < d->type->config_len) {
				int n = (int)(d->type->config_len - c);

				d->type->config_read(d, c, buf, n < size ? n : size);
			}
			vdev_memcpy(val, buf, (size_t)size);
		}
	} else if (size != 4) {
		/* registers are 32-bit; other sizes read 0, writes ignored */
		if (!write)
			vdev_memset(val, 0, (size_t)size);
	} else if (write) {
		uint32_t v;

		vdev_memcpy(&v, val, 4);
		d->irq_wanted = 0;
		reg_write(d, off, v);
		if (d->irq_wanted) {
			d->isr |= INT_USED_RING;
			*raise = 1;
		}
		d->irq_wanted = 0;
	} else {
		uint32_t v = reg_read(d, off);

		vdev_memcpy(val, &v, 4);
	}
	lhc_mutex_unlock(d->lock);
	return 0;
}
