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

/* ---- virtio-net over an in-memory loop backend ---------------------- */

/* One frame slot: tx fills it, rx empties it; poll sleeps on a semaphore. */
static struct {
	struct lhc_sem *wake;
	int pending, hup, polls, hups;
	uint8_t frame[2048];
	size_t len;
} loop;

static int loop_tx(void *ctx, const struct lhc_iovec *iov, int count)
{
	size_t n = 0;

	(void)ctx;
	if (ct_load(&loop.pending))
		return LHC_EAGAIN;
	for (int i = 0; i < count; i++)
		for (size_t k = 0; k < iov[i].len && n < sizeof(loop.frame); k++)
			loop.frame[n++] = ((const uint8_t *)iov[i].base)[k];
	loop.len = n;
	ct_store(&loop.pending, 1);
	lhc_sem_up(loop.wake);
	return 0;
}

static long loop_rx(void *ctx, const struct lhc_iovec *iov, int count)
{
	size_t n = 0;

	(void)ctx;
	if (!ct_load(&loop.pending))
		return -LHC_EAGAIN;
	for (int i = 0; i < count && n < loop.len; i++)
		for (size_t k = 0; k < iov[i].len && n < loop.len; k++)
			((uint8_t *)iov[i].base)[k] = loop.frame[n++];
	if (n < loop.len)
		return -LHC_ERANGE;
	ct_store(&loop.pending, 0);
	return (long)n;
}

static int loop_poll(void *ctx, int events)
{
	(void)ctx;
	ct_inc(&loop.polls);
	for (;;) {
		if (ct_load(&loop.hup)) {
			ct_inc(&loop.hups);
			return LHC_NET_POLL_HUP;
		}
		if ((events & LHC_NET_POLL_RX) && ct_load(&loop.pending))
			return LHC_NET_POLL_RX;
		if ((events & LHC_NET_POLL_TX) && !ct_load(&loop.pending))
			return LHC_NET_POLL_TX;
		lhc_sem_down(loop.wake);
	}
}

static void loop_poll_hup(void *ctx)
{
	(void)ctx;
	ct_store(&loop.hup, 1);
	/* one for each thread that may be polling */
	lhc_sem_up(loop.wake);
	lhc_sem_up(loop.wake);
}

static const struct lhc_net_backend loop_be = {
	.tx = loop_tx, .rx = loop_rx, .poll = loop_poll, .poll_hup = loop_poll_hup,
	.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, .has_mac = 1, .mtu = 1400,
};

static struct lhc_vdev *ndev;
static struct lhc_vdev_info ninfo;

static uint32_t nrd(uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	if (lhc_iomem_access(ninfo.base + off, &v, 4, 0))
		return 0xdeadbeef;
	return v;
}

static int nwr(uint32_t off, uint32_t v)
{
	return lhc_iomem_access(ninfo.base + off, &v, 4, 1);
}

static const char *need_net(void)
{
	if (!(ct_caps & LHC_CAP_VDEV)) {
		ct_skip_reason = "no LHC_CAP_VDEV";
		return CT_SKIP;
	}
	if (!ndev) {
		ct_skip_reason = "no device (creation failed)";
		return CT_SKIP;
	}
	return 0;
}

static const char *net_create(void)
{
	struct lhc_net_backend bad = loop_be;
	int err;

	if (!(ct_caps & LHC_CAP_VDEV)) {
		ct_skip_reason = "no LHC_CAP_VDEV";
		return CT_SKIP;
	}
	err = lhc_vdev_net_create(0, 0, &ndev, &ninfo);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_vdev_net_create(NULL backend)", err, LHC_EINVAL);
	bad.offload = LHC_NET_OFF_CSUM; /* offloads need the header */
	err = lhc_vdev_net_create(&bad, 0, &ndev, &ninfo);
	if (err != LHC_EINVAL)
		return ct_fail_want("offload without vnet_hdr", err, LHC_EINVAL);
	bad = loop_be;
	bad.poll_hup = 0;
	err = lhc_vdev_net_create(&bad, 0, &ndev, &ninfo);
	if (err != LHC_EINVAL)
		return ct_fail_want("no poll_hup", err, LHC_EINVAL);
	ndev = 0;
	err = lhc_sem_alloc(0, &loop.wake);
	if (err)
		return ct_fail_want("lhc_sem_alloc", err, 0);
	err = lhc_vdev_net_create(&loop_be, 0, &ndev, &ninfo);
	if (err)
		return ct_fail_want("lhc_vdev_net_create", err, 0);
	if (ninfo.base < LHC_IOMEM_BASE || ninfo.base + ninfo.size > LHC_IOMEM_END ||
	    ninfo.size < 0x200 || ninfo.irq < 2 || ninfo.irq > LHC_IRQ_MAX)
		return ct_fail_got("window or IRQ line out of range", (long long)ninfo.base);
	return 0;
}

static const char *net_config(void)
{
	const char *why = need_net();
	uint8_t mac[6];
	uint16_t status = 0, mtu = 0;
	uint32_t f;

	if (why)
		return why;
	if (nrd(0x008) != 1)
		return ct_fail_want("device id (network)", nrd(8), 1);
	for (int i = 0; i < 6; i++)
		if (lhc_iomem_access(ninfo.base + 0x100 + (uint32_t)i, &mac[i], 1, 0) ||
		    mac[i] != loop_be.mac[i])
			return ct_fail_got("config mac byte", i);
	lhc_iomem_access(ninfo.base + 0x106, &status, 2, 0);
	if (!(status & 1))
		return ct_fail_want("config status (VIRTIO_NET_S_LINK_UP)", status, 1);
	lhc_iomem_access(ninfo.base + 0x10a, &mtu, 2, 0);
	if (mtu != 1400)
		return ct_fail_want("config mtu", mtu, 1400);
	nwr(0x014, 0);
	f = nrd(0x010);
	if (!(f & (1u << 5)) || !(f & (1u << 3)))
		return ct_fail_got("features lack MAC (5) or MTU (3)", f);
	if (f & ((1u << 0) | (1u << 11)))
		return ct_fail_got("offloads offered without vnet_hdr", f);
	nwr(0x014, 0);
	if (!(nrd(0x010) & (1u << 16)))
		return "VIRTIO_NET_F_STATUS not offered";
	return 0;
}

/* Queue q at mem (desc 0, avail +256, used +512), 8 entries. */
static void setup_queue(uint32_t q, uint8_t *mem)
{
	nwr(0x030, q);
	nwr(0x038, 8);
	nwr(0x080, (uint32_t)(uintptr_t)mem);
	nwr(0x084, (uint32_t)((uintptr_t)mem >> 32));
	nwr(0x090, (uint32_t)(uintptr_t)(mem + 256));
	nwr(0x094, (uint32_t)((uintptr_t)(mem + 256) >> 32));
	nwr(0x0a0, (uint32_t)(uintptr_t)(mem + 512));
	nwr(0x0a4, (uint32_t)((uintptr_t)(mem + 512) >> 32));
	nwr(0x044, 1);
}

static const char *net_loop(void)
{
	const char *why = need_net();
	uint8_t *rxq = 0, *txq = 0;
	static uint8_t rxbuf[2048], txhdr[12], frame[60];
	int err, irqs;

	if (why)
		return why;
	err = lhc_malloc(8192, 4096, (void **)&rxq);
	if (err)
		return ct_fail_want("lhc_malloc", err, 0);
	txq = rxq + 4096;
	for (int i = 0; i < 8192; i++)
		rxq[i] = 0;
	nwr(0x070, 0);
	nwr(0x070, 1 | 2);
	nwr(0x024, 1);
	nwr(0x020, 1); /* VERSION_1 only */
	nwr(0x024, 0);
	nwr(0x020, (1u << 5) | (1u << 16));
	nwr(0x070, 1 | 2 | 8);
	if (!(nrd(0x070) & 8))
		why = "FEATURES_OK not accepted";
	setup_queue(0, rxq);
	setup_queue(1, txq);
	nwr(0x070, 1 | 2 | 8 | 4);
	/* one rx buffer */
	{
		struct vdesc *d = (struct vdesc *)rxq;
		uint16_t *avail = (uint16_t *)(rxq + 256);

		d[0] = (struct vdesc){ (uintptr_t)rxbuf, sizeof(rxbuf), 2, 0 };
		avail[2] = 0;
		ct_store(&avail[1], (uint16_t)1);
		nwr(0x050, 0);
	}
	irqs = ct_irq_count();
	/* one frame: header + 60 bytes */
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 3 + 1);
	{
		struct vdesc *d = (struct vdesc *)txq;
		uint16_t *avail = (uint16_t *)(txq + 256);
		uint16_t *used = (uint16_t *)(txq + 512);

		d[0] = (struct vdesc){ (uintptr_t)txhdr, sizeof(txhdr), 1, 1 };
		d[1] = (struct vdesc){ (uintptr_t)frame, sizeof(frame), 0, 0 };
		avail[2] = 0;
		ct_store(&avail[1], (uint16_t)1);
		nwr(0x050, 1);
		if (!why && ct_load(&used[1]) != 1)
			why = ct_fail_want("tx used idx after the notify", used[1], 1);
	}
	/* the device thread receives it into the rx buffer */
	{
		uint16_t *used = (uint16_t *)(rxq + 512);
		uint64_t t0 = ct_now();
		uint32_t len;

		while (!why && ct_load(&used[1]) != 1 && ct_now() - t0 < 30000 * CT_MS)
			ct_sleep_ns(CT_MS);
		if (!why && ct_load(&used[1]) != 1)
			why = "the rx thread did not deliver the frame within 30 s";
		len = ((uint32_t *)(used + 2))[1];
		if (!why && len != 12 + sizeof(frame))
			why = ct_fail_want("rx used length (header + frame)", len, 12 + sizeof(frame));
		for (unsigned i = 0; !why && i < sizeof(frame); i++)
			if (rxbuf[12 + i] != frame[i])
				why = ct_fail_got("received frame differs at byte", i);
		if (!why && (rxbuf[10] != 1 || rxbuf[0] != 0))
			why = "rx header: want flags 0, num_buffers 1";
		while (!why && ct_irq_count() == irqs && ct_now() - t0 < 30000 * CT_MS)
			ct_sleep_ns(CT_MS);
		if (!why && ct_irq_count() == irqs)
			why = "no irq_raise for the received frame";
		if (!why && !(nrd(0x060) & 1))
			why = "InterruptStatus lacks the used-ring bit";
		nwr(0x064, 1);
	}
	nwr(0x070, 0);
	lhc_free(rxq, 8192);
	return why;
}

static const char *net_destroy(void)
{
	const char *why = need_net();

	if (why)
		return why;
	lhc_vdev_destroy(ndev); /* returns only once the device threads ended */
	ndev = 0;
	if (!ct_load(&loop.hup))
		return "lhc_vdev_destroy did not call poll_hup";
	if (lhc_iomem_access(ninfo.base, &(uint32_t){ 0 }, 4, 0) != LHC_EINVAL)
		return "the window still answers after lhc_vdev_destroy";
	lhc_sem_free(loop.wake);
	return 0;
}

const struct ct_case ct_vdev_cases[] = {
	{ "lhc_vdev_blk_create over an in-memory backend", create },
	{ "virtio-mmio registers: magic, version 2, block device, capacity", registers },
	{ "lhc_iomem_access outside a window or of size 3 is LHC_EINVAL", outside },
	{ "the cmdline parameter announces the device", announced },
	{ "a driver-side virtqueue: one 1 KiB read, one 1 KiB write", driver },
	{ "lhc_vdev_destroy frees the window", destroy },
	{ "lhc_vdev_net_create: bad backends are LHC_EINVAL, a loop backend works", net_create },
	{ "virtio-net: device id 1, MAC, link up and MTU in config; MAC/MTU/STATUS offered", net_config },
	{ "virtio-net: a frame sent on the tx queue comes back on the rx queue with an IRQ", net_loop },
	{ "lhc_vdev_destroy of a net device calls poll_hup and joins its threads", net_destroy },
	{ 0, 0 },
};
