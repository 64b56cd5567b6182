/* Conformance cases: virtio-mmio devices (LHC_CAP_VDEV), driven from the
 * driver's side with a virtqueue in memory, no kernel needed. */
#include "ct.h"

#define SECTORS 16
static uint8_t disk[SECTORS * 512];
static int reqs;

static int mem_capacity(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = sizeof(disk);
	return 0;
}

static int mem_request(void *ctx, int type, uint64_t sector,
		       const struct lhc_iovec *iov, int count)
{
	uint64_t off = sector * 512;

	(void)ctx;
	reqs++;
	if (type == LHC_BLK_FLUSH)
		return 0;
	for (int i = 0; i < count; i++) {
		uint8_t *p = iov[i].base;

		for (size_t k = 0; k < iov[i].len; k++, off++) {
			if (off >= sizeof(disk))
				return LHC_EIO;
			if (type == LHC_BLK_READ)
				p[k] = disk[off];
			else
				disk[off] = p[k];
		}
	}
	return 0;
}

static const struct lhc_blk_backend mem_be = {
	.capacity = mem_capacity,
	.request = mem_request,
};

static struct lhc_vdev *dev;
static struct lhc_vdev_info info;

static const char *need_vdev(void)
{
	if (!(ct_caps & LHC_CAP_VDEV)) {
		ct_skip_reason = "no LHC_CAP_VDEV";
		return CT_SKIP;
	}
	if (!dev) {
		ct_skip_reason = "no device (creation failed)";
		return CT_SKIP;
	}
	return 0;
}

static uint32_t rd(uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	if (lhc_iomem_access(info.base + off, &v, 4, 0))
		return 0xdeadbeef;
	return v;
}

static int wr(uint32_t off, uint32_t v)
{
	return lhc_iomem_access(info.base + off, &v, 4, 1);
}

static const char *create(void)
{
	int err;

	if (!(ct_caps & LHC_CAP_VDEV)) {
		ct_skip_reason = "no LHC_CAP_VDEV";
		return CT_SKIP;
	}
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + i / 512);
	err = lhc_vdev_blk_create(0, 0, &dev, &info);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_vdev_blk_create(NULL backend)", err, LHC_EINVAL);
	dev = 0;
	err = lhc_vdev_blk_create(&mem_be, 0, &dev, &info);
	if (err)
		return ct_fail_want("lhc_vdev_blk_create", err, 0);
	if (info.base < LHC_IOMEM_BASE || info.base + info.size > LHC_IOMEM_END ||
	    info.size < 0x200)
		return ct_fail_got("window outside [LHC_IOMEM_BASE, LHC_IOMEM_END)",
				   (long long)info.base);
	if (info.irq < 2 || info.irq > LHC_IRQ_MAX)
		return ct_fail_got("IRQ line outside 2..LHC_IRQ_MAX", info.irq);
	return 0;
}

static const char *registers(void)
{
	const char *why = need_vdev();
	uint64_t cap = 0;

	if (why)
		return why;
	if (rd(0x000) != 0x74726976)
		return ct_fail_got("magic", rd(0));
	if (rd(0x004) != 2)
		return ct_fail_want("version", rd(4), 2);
	if (rd(0x008) != 2)
		return ct_fail_want("device id (block)", rd(8), 2);
	if (lhc_iomem_access(info.base + 0x100, &cap, 8, 0) || cap != SECTORS)
		return ct_fail_want("capacity in config space", (long long)cap, SECTORS);
	return 0;
}

static const char *outside(void)
{
	const char *why = need_vdev();
	uint32_t v = 0x5a5a5a5a;
	int err;

	if (why)
		return why;
	err = lhc_iomem_access(LHC_IOMEM_BASE - 4, &v, 4, 0);
	if (err != LHC_EINVAL)
		return ct_fail_want("access below LHC_IOMEM_BASE", err, LHC_EINVAL);
	err = lhc_iomem_access(LHC_IOMEM_END - 0x1000, &v, 4, 0);
	if (err != LHC_EINVAL)
		return ct_fail_want("access in no window", err, LHC_EINVAL);
	err = lhc_iomem_access(info.base, &v, 3, 0);
	if (err != LHC_EINVAL)
		return ct_fail_want("access of size 3", err, LHC_EINVAL);
	if (v != 0x5a5a5a5a)
		return "a failed access wrote *val";
	return 0;
}

static const char *announced(void)
{
	static char buf[4096];
	const char *why = need_vdev();
	const char *want = "virtio_mmio.device=";
	int err;

	if (why)
		return why;
	err = lhc_getparam("cmdline", buf, sizeof(buf));
	if (err)
		return ct_fail_want("lhc_getparam(cmdline)", err, 0);
	for (char *p = buf; *p; p++) {
		int k = 0;

		while (want[k] && p[k] == want[k])
			k++;
		if (!want[k])
			return 0;
	}
	return "cmdline does not announce the device";
}

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One request through queue 0 of the device, as a driver would. */
static const char *one_request(uint8_t *mem, uint32_t type, uint64_t sector,
			       uint8_t *data, uint32_t len, uint32_t *used_len)
{
	struct vdesc *d = (struct vdesc *)mem;
	uint16_t *avail = (uint16_t *)(mem + 256);
	uint16_t *used = (uint16_t *)(mem + 512);
	struct { uint32_t type, reserved; uint64_t sector; } *hdr = (void *)(mem + 1024);
	uint8_t *status = mem + 1100;
	uint16_t n = avail[1];
	int irqs = ct_irq_count();

	hdr->type = type;
	hdr->reserved = 0;
	hdr->sector = sector;
	*status = 0xff;
	d[0] = (struct vdesc){ (uintptr_t)hdr, 16, 1, 1 };
	d[1] = (struct vdesc){ (uintptr_t)data, len, (uint16_t)(type == 0 ? 3 : 1), 2 };
	d[2] = (struct vdesc){ (uintptr_t)status, 1, 2, 0 };
	avail[2 + n % 8] = 0;
	__atomic_store_n(&avail[1], (uint16_t)(n + 1), __ATOMIC_RELEASE);
	if (wr(0x050, 0))
		return "QueueNotify write failed";
	if (__atomic_load_n(&used[1], __ATOMIC_ACQUIRE) != (uint16_t)(n + 1))
		return ct_fail_want("used idx after the notify", used[1], n + 1);
	if (*status != 0)
		return ct_fail_want("request status", *status, 0);
	*used_len = ((uint32_t *)(used + 2))[2 * (n % 8) + 1];
	if (ct_irq_count() == irqs)
		return "no irq_raise for a completed request";
	if (!(rd(0x060) & 1))
		return "InterruptStatus lacks the used-ring bit";
	wr(0x064, 1);
	return 0;
}

static const char *driver(void)
{
	const char *why = need_vdev();
	uint8_t *mem = 0;
	uint8_t data[1024];
	uint32_t used_len = 0;
	int err;

	if (why)
		return why;
	err = lhc_malloc(4096, 4096, (void **)&mem);
	if (err)
		return ct_fail_want("lhc_malloc", err, 0);
	for (int i = 0; i < 4096; i++)
		mem[i] = 0;
	wr(0x070, 0);
	wr(0x070, 1 | 2);
	wr(0x014, 1);
	if (!(rd(0x010) & 1))
		why = "VIRTIO_F_VERSION_1 not offered";
	wr(0x024, 1);
	wr(0x020, 1);
	wr(0x024, 0);
	wr(0x020, 0);
	wr(0x070, 1 | 2 | 8);
	if (!why && !(rd(0x070) & 8))
		why = "FEATURES_OK not accepted";
	wr(0x030, 0);
	if (!why && rd(0x034) < 8)
		why = "QueueNumMax below 8";
	wr(0x038, 8);
	wr(0x080, (uint32_t)(uintptr_t)mem);
	wr(0x084, (uint32_t)((uintptr_t)mem >> 32));
	wr(0x090, (uint32_t)(uintptr_t)(mem + 256));
	wr(0x094, (uint32_t)((uintptr_t)(mem + 256) >> 32));
	wr(0x0a0, (uint32_t)(uintptr_t)(mem + 512));
	wr(0x0a4, (uint32_t)((uintptr_t)(mem + 512) >> 32));
	wr(0x044, 1);
	if (!why && rd(0x044) != 1)
		why = "QueueReady did not stick";
	wr(0x070, 1 | 2 | 8 | 4);
	if (!why)
		why = one_request(mem, 0, 2, data, sizeof(data), &used_len);
	if (!why && used_len != sizeof(data) + 1)
		why = ct_fail_want("used length of a 1 KiB read", used_len, sizeof(data) + 1);
	for (unsigned i = 0; !why && i < sizeof(data); i++)
		if (data[i] != disk[1024 + i])
			why = ct_fail_got("read data differs at byte", i);
	for (unsigned i = 0; !why && i < sizeof(data); i++)
		data[i] = (uint8_t)(255 - i);
	if (!why)
		why = one_request(mem, 1, 5, data, sizeof(data), &used_len);
	for (unsigned i = 0; !why && i < sizeof(data); i++)
		if (disk[5 * 512 + i] != (uint8_t)(255 - i))
			why = ct_fail_got("written data differs at byte", i);
	wr(0x070, 0);
	lhc_free(mem, 4096);
	return why;
}

static const char *destroy(void)
{
	const char *why = need_vdev();
	uint32_t v;

	if (why)
		return why;
	lhc_vdev_destroy(dev);
	dev = 0;
	if (lhc_iomem_access(info.base, &v, 4, 0) != LHC_EINVAL)
		return "the window still answers after lhc_vdev_destroy";
	return 0;
}

const struct ct_case ct_vdev_cases[] = {
	{ "lhc_vdev_blk_create over an in-memory backend", create },
	{ "virtio-mmio registers: magic, version 2, block device, capacity", registers },
	{ "lhc_iomem_access outside a window or of size 3 is LHC_EINVAL", outside },
	{ "the cmdline parameter announces the device", announced },
	{ "a driver-side virtqueue: one 1 KiB read, one 1 KiB write", driver },
	{ "lhc_vdev_destroy frees the window", destroy },
	{ 0, 0 },
};
