// SPDX-License-Identifier: GPL-2.0
/* lkl: MMIO accesses to device windows, and virtio-mmio devices added or
 * removed after boot (lkl_virtio_mmio_add/remove). */

#include <linux/io.h>
#include <linux/platform_device.h>
#include <linux/ioport.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <lkl.h>
#include "internal.h"

static_assert(LKL_IOMEM_BASE == LHC_IOMEM_BASE && LKL_IOMEM_END == LHC_IOMEM_END);

u64 lkl_iomem_read(const volatile void __iomem *addr, int size)
{
	u64 v = 0;

	/* outside every window: reads as all ones, like a missing device */
	if (lhc_iomem_access((u64)(unsigned long)addr, &v, size, 0))
		return ~0ULL;
	return v;
}
EXPORT_SYMBOL(lkl_iomem_read);

void lkl_iomem_write(volatile void __iomem *addr, u64 val, int size)
{
	/* little-endian host: the low bytes of val are the value */
	lhc_iomem_access((u64)(unsigned long)addr, &val, size, 1);
}
EXPORT_SYMBOL(lkl_iomem_write);

/* Platform devices made here get ids beside the cmdline devices' 0, 1... */
static atomic_t vmmio_next_id = ATOMIC_INIT(1000);

static long vmmio_add(long *a)
{
	struct resource res[2] = {
		DEFINE_RES_MEM((resource_size_t)a[0], (resource_size_t)a[1]),
		DEFINE_RES_IRQ(a[2]),
	};
	struct platform_device *pdev;

	pdev = platform_device_register_simple("virtio-mmio",
					       atomic_inc_return(&vmmio_next_id),
					       res, ARRAY_SIZE(res));
	return IS_ERR(pdev) ? PTR_ERR(pdev) : 0;
}

/* A virtio-mmio platform device whose window starts at *data. */
static int match_base(struct device *dev, const void *data)
{
	struct platform_device *pdev = to_platform_device(dev);
	struct resource *r;

	if (strcmp(pdev->name, "virtio-mmio"))
		return 0;
	r = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	return r && r->start == *(const resource_size_t *)data;
}

static long vmmio_remove(long *a)
{
	resource_size_t base = (resource_size_t)a[0];
	struct device *dev;

	/* cmdline devices and hot-added ones alike */
	dev = bus_find_device(&platform_bus_type, NULL, &base, match_base);
	if (!dev)
		return -ENOENT;
	platform_device_unregister(to_platform_device(dev));
	put_device(dev);
	return 0;
}

int lkl_virtio_mmio_add(unsigned long long base, unsigned int size, int irq)
{
	long a[3] = { (long)base, (long)size, irq };

	if (base < LKL_IOMEM_BASE || base >= LKL_IOMEM_END || !size ||
	    irq < 2 || irq > LHC_IRQ_MAX)
		return -EINVAL;
	return lkl_call_in_kernel(vmmio_add, a);
}

int lkl_virtio_mmio_remove(unsigned long long base)
{
	long a[1] = { (long)base };

	return lkl_call_in_kernel(vmmio_remove, a);
}
