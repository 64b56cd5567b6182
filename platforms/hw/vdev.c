/* hw platform: virtio-mmio devices (LHC_CAP_VDEV) on platforms/common. */
#include "../common/vdev.h"
#include "hw.h"

/*
 * The device slots (platforms/common/vdev_slots.c): window LHC_IOMEM_BASE
 * + i * VDEV_WINDOW_SIZE, interrupt line i + 2. The windows are addresses
 * only (never mapped): the kernel reaches them through lhc_iomem_access.
 * Backends are the caller's (in-memory disks, the initrd...); there are no
 * host files or host links here, so the _create_host variants answer
 * LHC_ENOSYS.
 */
static void *slot_alloc(size_t size)
{
	void *p = hw_alloc(size, 64);

	if (p)
		hw_memset(p, 0, size);
	return p;
}

/* No table lock: one CPU, cooperative threads. */
static const struct vdev_slots_ops slots_ops = {
	.alloc = slot_alloc,
	.free = hw_free,
	.raise = hw_raise,
};

static struct vdev_slots slots = { .ops = &slots_ops };

int lhc_vdev_net_create(const struct lhc_net_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	return lunik_vdev_slots_net_create(&slots, be, ctx, ret, info);
}

int lhc_vdev_blk_create(const struct lhc_blk_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	return lunik_vdev_slots_blk_create(&slots, be, ctx, ret, info);
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
	lunik_vdev_slots_destroy(&slots, v);
}

int lhc_iomem_access(uint64_t addr, void *val, int size, int write)
{
	return lunik_vdev_slots_access(&slots, addr, val, size, write);
}

/* Standard input's line (stdio.c) and MSI lines (pci.c). */
int hw_vdev_line_reserve(int *irq)
{
	return lunik_vdev_slots_line_reserve(&slots, irq);
}

void hw_vdev_line_release(int irq)
{
	lunik_vdev_slots_line_release(&slots, irq);
}

size_t hw_vdev_cmdline(char *buf, size_t len, int lead)
{
	return lunik_vdev_slots_cmdline(&slots, buf, len, lead);
}
