/* hw platform: virtio-mmio devices (LHC_CAP_VDEV) on platforms/common. */
#include "../common/vdev.h"
#include "hw.h"

/*
 * Slot i: window LHC_IOMEM_BASE + i * VDEV_WINDOW_SIZE, interrupt line
 * i + 2. The windows are addresses only (never mapped): the kernel reaches
 * them through lhc_iomem_access. Backends are the caller's (in-memory
 * disks, the initrd...); there are no host files or host links here, so
 * the _create_host variants answer LHC_ENOSYS.
 */
#define NSLOTS (LHC_IRQ_MAX - 1)

struct lhc_vdev {
	int is_net;
	union {
		struct vdev_blk blk;
		struct vdev_net net;
	};
	int slot;
	int ready;
};

/* A line held by something that is not a device (standard input): its
 * slot points here and is never ready. */
static struct lhc_vdev line_only;
static struct lhc_vdev *slots[NSLOTS];

static uint64_t window(int slot)
{
	return LHC_IOMEM_BASE + (uint64_t)slot * VDEV_WINDOW_SIZE;
}

static int slot_reserve(struct lhc_vdev **ret)
{
	struct lhc_vdev *v;
	int i;

	for (i = 0; i < NSLOTS && slots[i]; i++)
		;
	if (i == NSLOTS)
		return LHC_EAGAIN;
	v = hw_alloc(sizeof(*v), 64);
	if (!v)
		return LHC_ENOMEM;
	hw_memset(v, 0, sizeof(*v));
	v->slot = i;
	slots[i] = v;
	*ret = v;
	return 0;
}

static void slot_release(struct lhc_vdev *v)
{
	slots[v->slot] = 0;
	hw_free(v, sizeof(*v));
}

static void slot_ready(struct lhc_vdev *v, struct lhc_vdev_info *info)
{
	v->ready = 1;
	info->base = window(v->slot);
	info->size = VDEV_WINDOW_SIZE;
	info->irq = v->slot + 2;
}

int hw_vdev_line_reserve(int *irq)
{
	int i;

	for (i = NSLOTS - 1; i >= 0 && slots[i]; i--)
		;
	if (i < 0)
		return LHC_EAGAIN;
	slots[i] = &line_only;
	*irq = i + 2;
	return 0;
}

void hw_vdev_line_release(int irq)
{
	if (irq >= 2 && irq - 2 < NSLOTS && slots[irq - 2] == &line_only)
		slots[irq - 2] = 0;
}

static void net_raise(void *arg)
{
	hw_raise(((struct lhc_vdev *)arg)->slot + 2);
}

int lhc_vdev_net_create(const struct lhc_net_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	struct lhc_vdev *v;
	int err;

	if (!ret || !info)
		return LHC_EINVAL;
	err = slot_reserve(&v);
	if (err)
		return err;
	v->is_net = 1;
	err = lunik_vdev_net_init(&v->net, be, ctx, net_raise, v);
	if (err) {
		slot_release(v);
		return err;
	}
	slot_ready(v, info);
	*ret = v;
	return 0;
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

int lhc_vdev_blk_create(const struct lhc_blk_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	struct lhc_vdev *v;
	char serial[21], *p;
	int err;

	if (!ret || !info)
		return LHC_EINVAL;
	err = slot_reserve(&v);
	if (err)
		return err;
	/* the serial names the window, so the caller can find the disk */
	p = put_hex(put_str(serial, "lhc-"), window(v->slot));
	*p = 0;
	err = lunik_vdev_blk_init(&v->blk, be, ctx, serial);
	if (err) {
		slot_release(v);
		return err;
	}
	slot_ready(v, info);
	*ret = v;
	return 0;
}

int lhc_vdev_blk_create_host(long handle, int read_only, struct lhc_vdev **ret,
			     struct lhc_vdev_info *info)
{
	(void)handle;
	(void)read_only;
	(void)ret;
	(void)info;
	return LHC_ENOSYS;
}

int lhc_vdev_net_create_host(int kind, const char *spec, long handle,
			     uint32_t offload, uint32_t mtu,
			     const uint8_t *mac, struct lhc_vdev **ret,
			     struct lhc_vdev_info *info)
{
	(void)kind;
	(void)spec;
	(void)handle;
	(void)offload;
	(void)mtu;
	(void)mac;
	(void)ret;
	(void)info;
	return LHC_ENOSYS;
}

void lhc_vdev_destroy(struct lhc_vdev *v)
{
	if (!v)
		return;
	v->ready = 0; /* the window stops answering at once */
	if (v->is_net)
		lunik_vdev_net_fini(&v->net);
	else
		lunik_vdev_blk_fini(&v->blk);
	slot_release(v);
}

int lhc_iomem_access(uint64_t addr, void *val, int size, int write)
{
	struct lhc_vdev *v;
	uint64_t i, off;
	int raise = 0, err;

	if (addr < LHC_IOMEM_BASE || !val)
		return LHC_EINVAL;
	i = (addr - LHC_IOMEM_BASE) / VDEV_WINDOW_SIZE;
	off = (addr - LHC_IOMEM_BASE) % VDEV_WINDOW_SIZE;
	if (i >= NSLOTS || !slots[i] || !slots[i]->ready ||
	    off + (uint64_t)size > VDEV_WINDOW_SIZE)
		return LHC_EINVAL;
	v = slots[i];
	err = lunik_vdev_mmio_access(v->is_net ? &v->net.dev : &v->blk.dev,
				     (uint32_t)off, val, size, write, &raise);
	if (!err && raise)
		hw_raise(v->slot + 2);
	return err;
}

size_t hw_vdev_cmdline(char *buf, size_t len, int lead)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NSLOTS; i++) {
		char one[80], *p = one;
		size_t k;

		if (!slots[i] || !slots[i]->ready)
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
			hw_memcpy(buf + n, one, k);
		n += k;
	}
	return n;
}
