/*
 * platforms/common: device slots for LHC_CAP_VDEV. Slot i is the window
 * LHC_IOMEM_BASE + i * VDEV_WINDOW_SIZE and the interrupt line i + 2; a
 * platform keeps one struct vdev_slots and fills in its ops (memory, the
 * table lock, raising a line). Freestanding: hypercall.h and vdev.h only.
 */
#include "vdev.h"

/*
 * A line held by something that is not a device (standard input, an MSI
 * allocation): its slot points here, is never ready, and so is skipped by
 * window accesses and the cmdline announcement like a slot being set up.
 */
static struct lhc_vdev line_only;

static void lock(struct vdev_slots *s)
{
	if (s->ops->lock)
		s->ops->lock();
}

static void unlock(struct vdev_slots *s)
{
	if (s->ops->unlock)
		s->ops->unlock();
}

static uint64_t window(int slot)
{
	return LHC_IOMEM_BASE + (uint64_t)slot * VDEV_WINDOW_SIZE;
}

static char *put_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* A fresh device in a reserved slot, not reachable by address until
 * ready is set: 0, LHC_EAGAIN or LHC_ENOMEM. */
static int slot_reserve(struct vdev_slots *s, struct lhc_vdev **ret)
{
	struct lhc_vdev *v;
	int i;

	lock(s);
	for (i = 0; i < VDEV_NSLOTS && s->slot[i]; i++)
		;
	if (i == VDEV_NSLOTS) {
		unlock(s);
		return LHC_EAGAIN;
	}
	v = s->ops->alloc(sizeof(*v));
	if (!v) {
		unlock(s);
		return LHC_ENOMEM;
	}
	v->owner = s;
	v->slot = i;
	s->slot[i] = v;
	unlock(s);
	*ret = v;
	return 0;
}

static void slot_release(struct vdev_slots *s, struct lhc_vdev *v)
{
	lock(s);
	s->slot[v->slot] = 0;
	unlock(s);
	s->ops->free(v, sizeof(*v));
}

static void slot_ready(struct vdev_slots *s, struct lhc_vdev *v,
		       struct lhc_vdev_info *info)
{
	lock(s);
	v->ready = 1;
	unlock(s);
	info->base = window(v->slot);
	info->size = VDEV_WINDOW_SIZE;
	info->irq = v->slot + 2;
}

static void net_raise(void *arg)
{
	struct lhc_vdev *v = arg;

	v->owner->ops->raise(v->slot + 2);
}

/* lhc_vdev_net_create (is_net, over net) or lhc_vdev_blk_create (blk). */
static int create(struct vdev_slots *s, int is_net,
		  const struct lhc_net_backend *net,
		  const struct lhc_blk_backend *blk, void *ctx,
		  struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	struct lhc_vdev *v;
	char serial[21], *p;
	int err;

	if (!ret || !info)
		return LHC_EINVAL;
	err = slot_reserve(s, &v);
	if (err)
		return err;
	if (is_net) {
		v->is_net = 1;
		err = lunik_vdev_net_init(&v->net, net, ctx, net_raise, v);
	} else {
		/* the serial names the window, so the caller can find the disk */
		p = put_hex(put_str(serial, "lhc-"), window(v->slot));
		*p = 0;
		err = lunik_vdev_blk_init(&v->blk, blk, ctx, serial);
	}
	if (err) {
		slot_release(s, v);
		return err;
	}
	slot_ready(s, v, info);
	*ret = v;
	return 0;
}

int lunik_vdev_slots_net_create(struct vdev_slots *s,
				const struct lhc_net_backend *be, void *ctx,
				struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	return create(s, 1, be, 0, ctx, ret, info);
}

int lunik_vdev_slots_blk_create(struct vdev_slots *s,
				const struct lhc_blk_backend *be, void *ctx,
				struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	return create(s, 0, 0, be, ctx, ret, info);
}

void lunik_vdev_slots_destroy(struct vdev_slots *s, struct lhc_vdev *v)
{
	if (!v)
		return;
	lock(s);
	v->ready = 0; /* the window stops answering at once */
	unlock(s);
	if (v->is_net)
		lunik_vdev_net_fini(&v->net);
	else
		lunik_vdev_blk_fini(&v->blk);
	if (s->ops->destroyed)
		s->ops->destroyed(v);
	/* the window and line are free again once nothing can raise it */
	slot_release(s, v);
}

int lunik_vdev_slots_access(struct vdev_slots *s, uint64_t addr, void *val,
			    int size, int write)
{
	struct lhc_vdev *v;
	uint64_t i, off;
	int raise = 0, err;

	if (addr < LHC_IOMEM_BASE || !val)
		return LHC_EINVAL;
	i = (addr - LHC_IOMEM_BASE) / VDEV_WINDOW_SIZE;
	off = (addr - LHC_IOMEM_BASE) % VDEV_WINDOW_SIZE;
	if (i >= VDEV_NSLOTS || off + (uint64_t)size > VDEV_WINDOW_SIZE)
		return LHC_EINVAL;
	lock(s);
	v = s->slot[i] && s->slot[i]->ready ? s->slot[i] : 0;
	unlock(s);
	/* the kernel stops using a device before destroying it */
	if (!v)
		return LHC_EINVAL;
	err = lunik_vdev_mmio_access(v->is_net ? &v->net.dev : &v->blk.dev,
				     (uint32_t)off, val, size, write, &raise);
	if (!err && raise)
		s->ops->raise(v->slot + 2);
	return err;
}

int lunik_vdev_slots_line_reserve(struct vdev_slots *s, int *irq)
{
	int i;

	/* from the top, so devices keep their windows from slot 0 up */
	lock(s);
	for (i = VDEV_NSLOTS - 1; i >= 0 && s->slot[i]; i--)
		;
	if (i >= 0)
		s->slot[i] = &line_only;
	unlock(s);
	if (i < 0)
		return LHC_EAGAIN;
	*irq = i + 2;
	return 0;
}

void lunik_vdev_slots_line_release(struct vdev_slots *s, int irq)
{
	lock(s);
	if (irq >= 2 && irq - 2 < VDEV_NSLOTS && s->slot[irq - 2] == &line_only)
		s->slot[irq - 2] = 0;
	unlock(s);
}

size_t lunik_vdev_slots_cmdline(struct vdev_slots *s, char *buf, size_t len,
				int lead)
{
	size_t n = 0;
	int i;

	lock(s);
	for (i = 0; i < VDEV_NSLOTS; i++) {
		char one[80], *p = one;
		size_t k;

		if (!s->slot[i] || !s->slot[i]->ready)
			continue;
		if (lead || n)
			*p++ = ' ';
		p = put_str(p, "virtio_mmio.device=");
		p = put_dec(p, VDEV_WINDOW_SIZE);
		p = put_str(p, "@0x");
		p = put_hex(p, window(i));
		*p++ = ':';
		p = put_dec(p, (uint64_t)i + 2);
		k = (size_t)(p - one);
		if (n + k <= len)
			vdev_memcpy(buf + n, one, k);
		n += k;
	}
	unlock(s);
	return n;
}
