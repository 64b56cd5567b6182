/* Conformance cases: the PCI group (LHC_CAP_PCI), or its absence. */
#include "ct.h"

#define SENTINEL 0xdeadbeefu
#define NONE (-1)

static const char *need_pci(void)
{
	if (!(ct_caps & LHC_CAP_PCI)) {
		ct_skip_reason = "no LHC_CAP_PCI";
		return CT_SKIP;
	}
	return 0;
}

static const char *without_pci(void)
{
	uint64_t base = SENTINEL, size = SENTINEL, addr = SENTINEL;
	uint32_t val = SENTINEL, data = SENTINEL;
	int irq = NONE, err;

	if (ct_caps & LHC_CAP_PCI) {
		ct_skip_reason = "the platform has LHC_CAP_PCI";
		return CT_SKIP;
	}
	err = lhc_pci_cfg_read(0, 0, 0, 4, &val);
	if (err != LHC_ENOSYS || val != SENTINEL)
		return ct_fail_want("lhc_pci_cfg_read", err, LHC_ENOSYS);
	err = lhc_pci_cfg_write(0, 0, 0x3c, 1, 0);
	if (err != LHC_ENOSYS)
		return ct_fail_want("lhc_pci_cfg_write", err, LHC_ENOSYS);
	err = lhc_pci_window(0, &base, &size);
	if (err != LHC_ENOSYS || base != SENTINEL || size != SENTINEL)
		return ct_fail_want("lhc_pci_window", err, LHC_ENOSYS);
	err = lhc_pci_msi_alloc(&irq, &addr, &data);
	if (err != LHC_ENOSYS || irq != NONE || addr != SENTINEL ||
	    data != SENTINEL)
		return ct_fail_want("lhc_pci_msi_alloc", err, LHC_ENOSYS);
	lhc_pci_msi_free(5); /* does nothing */
	return 0;
}

static const char *bad_args(void)
{
	static const int cases[][4] = {
		/* bus, devfn, offset, size */
		{ -1, 0, 0, 4 },  { 256, 0, 0, 4 }, { 0, -1, 0, 4 },
		{ 0, 256, 0, 4 }, { 0, 0, -4, 4 },  { 0, 0, 4096, 4 },
		{ 0, 0, 4095, 2 }, { 0, 0, 2, 4 },  { 0, 0, 1, 2 },
		{ 0, 0, 0, 3 },	  { 0, 0, 0, 8 },   { 0, 0, 0, 0 },
	};
	const char *why = need_pci();
	unsigned int i;

	if (why)
		return why;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const int *c = cases[i];
		uint32_t v = SENTINEL;
		int err = lhc_pci_cfg_read(c[0], c[1], c[2], c[3], &v);

		if (err != LHC_EINVAL)
			return ct_fail_want("lhc_pci_cfg_read out of range",
					    err, LHC_EINVAL);
		if (v != SENTINEL)
			return "a failed lhc_pci_cfg_read wrote *val";
		err = lhc_pci_cfg_write(c[0], c[1], c[2], c[3], 0);
		if (err != LHC_EINVAL)
			return ct_fail_want("lhc_pci_cfg_write out of range",
					    err, LHC_EINVAL);
	}
	if (lhc_pci_cfg_read(0, 0, 0, 4, 0) != LHC_EINVAL)
		return "lhc_pci_cfg_read with val NULL is not LHC_EINVAL";
	return 0;
}

static uint32_t cfg(int devfn, int off, int size)
{
	uint32_t v = SENTINEL;

	if (lhc_pci_cfg_read(0, devfn, off, size, &v))
		return SENTINEL;
	return v;
}

/* devfn of the first function on bus 0 and of the first empty slot. */
static int present = NONE, empty = NONE;

static const char *config_reads(void)
{
	const char *why = need_pci();
	uint32_t d, lo, hi;
	int dev, off;

	if (why)
		return why;
	for (dev = 0; dev < 32; dev++) {
		uint32_t id = cfg(dev << 3, 0, 4);

		if (id == SENTINEL && dev == 0)
			return "lhc_pci_cfg_read(0, 0, 0, 4) failed";
		if (id == 0xffffffffu) {
			if (empty == NONE)
				empty = dev << 3;
		} else if (present == NONE) {
			present = dev << 3;
		}
	}
	if (present == NONE)
		return "no function answers on bus 0 (no host bridge?)";
	ct_diag("first function on bus 0: device ", present >> 3, "");
	for (off = 0; off < 16; off += 4) {
		d = cfg(present, off, 4);
		lo = cfg(present, off, 2);
		hi = cfg(present, off + 2, 2);
		if (lo > 0xffff || hi > 0xffff || d != (lo | hi << 16))
			return ct_fail_got("a dword disagrees with its two words at offset", off);
		for (int b = 0; b < 4; b++)
			if (cfg(present, off + b, 1) != ((d >> (8 * b)) & 0xff))
				return ct_fail_got("a byte disagrees with its dword at offset", off + b);
	}
	if (empty == NONE) {
		ct_diag("every slot of bus 0 is taken: no empty-slot reads", 0, "");
		return 0;
	}
	if (cfg(empty, 0, 4) != 0xffffffffu || cfg(empty, 2, 2) != 0xffff ||
	    cfg(empty, 3, 1) != 0xff || cfg(empty, 0x100, 4) != 0xffffffffu)
		return ct_fail_got("an empty slot does not read as all ones: device", empty >> 3);
	return 0;
}

/* PCI_INTERRUPT_LINE is a scratch register in every header type: no
 * device acts on it. */
static const char *config_write(void)
{
	const char *why = need_pci();
	uint32_t old, v;
	int err;

	if (why)
		return why;
	if (present == NONE) {
		ct_skip_reason = "no function found on bus 0";
		return CT_SKIP;
	}
	old = cfg(present, 0x3c, 1);
	err = lhc_pci_cfg_write(0, present, 0x3c, 1, 0x5a);
	if (err)
		return ct_fail_want("lhc_pci_cfg_write", err, 0);
	v = cfg(present, 0x3c, 1);
	lhc_pci_cfg_write(0, present, 0x3c, 1, old);
	if (v != 0x5a)
		return ct_fail_want("the interrupt line register after a write", v, 0x5a);
	if (cfg(present, 0x3c, 1) != old)
		return "the interrupt line register did not take its old value back";
	if (empty != NONE) {
		err = lhc_pci_cfg_write(0, empty, 0x3c, 1, 0x5a);
		if (err)
			return ct_fail_want("a write to an empty slot", err, 0);
		if (cfg(empty, 0x3c, 1) != 0xff)
			return "a write to an empty slot made something appear";
	}
	return 0;
}

#define MIB (1ull << 20)

static const char *windows(void)
{
	uint64_t base[16], size[16], b = SENTINEL, s = SENTINEL;
	const char *why = need_pci();
	int n, i, j, err;

	if (why)
		return why;
	for (n = 0; n < 16; n++) {
		err = lhc_pci_window(n, &base[n], &size[n]);
		if (err == LHC_ENOENT)
			break;
		if (err)
			return ct_fail_want("lhc_pci_window", err, 0);
		if (!size[n] || base[n] % MIB || size[n] % MIB ||
		    base[n] + size[n] < base[n])
			return ct_fail_got("a window is empty, wraps or is not MiB-aligned: index", n);
		ct_diag("window (MiB): ", (long long)(base[n] / MIB), "");
		ct_diag("  size (MiB): ", (long long)(size[n] / MIB), "");
	}
	if (n == 0)
		return "no window: a platform with LHC_CAP_PCI offers at least one";
	if (n == 16)
		return "lhc_pci_window never says LHC_ENOENT";
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (base[i] < base[j] + size[j] && base[j] < base[i] + size[i])
				return "two windows overlap";
	err = lhc_pci_window(-1, &b, &s);
	if (err != LHC_ENOENT || b != SENTINEL || s != SENTINEL)
		return ct_fail_want("lhc_pci_window(-1)", err, LHC_ENOENT);
	if (lhc_pci_window(0, 0, &s) != LHC_EINVAL ||
	    lhc_pci_window(0, &b, 0) != LHC_EINVAL)
		return "lhc_pci_window with a NULL pointer is not LHC_EINVAL";
	return 0;
}

static const char *check_msg(int irq, uint64_t addr, uint32_t data)
{
	if (irq < 2 || irq > LHC_IRQ_MAX)
		return ct_fail_got("an MSI line outside 2..LHC_IRQ_MAX", irq);
	if (addr >= (1ull << 32) || addr % 4)
		return ct_fail_got("an MSI address above 4 GiB or unaligned: line", irq);
	if (data > 0xffff)
		return ct_fail_got("MSI data wider than 16 bits: line", irq);
	return 0;
}

static const uint8_t zeros[512];

static int zero_capacity(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = sizeof(zeros);
	return 0;
}

static int zero_request(void *ctx, int type, uint64_t sector,
			const struct lhc_iovec *iov, int count)
{
	(void)ctx, (void)type, (void)sector, (void)iov, (void)count;
	return LHC_EIO;
}

static const struct lhc_blk_backend zero_be = {
	.capacity = zero_capacity,
	.request = zero_request,
};

static const char *msi_lines(void)
{
	int lines[LHC_IRQ_MAX + 1], n = 0, i, j, irq = NONE, err = 0;
	uint64_t addr = SENTINEL;
	uint32_t data = SENTINEL;
	const char *why = need_pci();

	if (why)
		return why;
	if (lhc_pci_msi_alloc(0, &addr, &data) != LHC_EINVAL ||
	    lhc_pci_msi_alloc(&irq, 0, &data) != LHC_EINVAL ||
	    lhc_pci_msi_alloc(&irq, &addr, 0) != LHC_EINVAL)
		return "lhc_pci_msi_alloc with a NULL pointer is not LHC_EINVAL";
	if (irq != NONE || addr != SENTINEL || data != SENTINEL)
		return "a failed lhc_pci_msi_alloc wrote an out-parameter";

	/* a device created while lines are held gets none of them */
	for (n = 0; n < 4; n++) {
		err = lhc_pci_msi_alloc(&lines[n], &addr, &data);
		if (err) {
			why = ct_fail_want("lhc_pci_msi_alloc", err, 0);
			goto out;
		}
		if ((why = check_msg(lines[n], addr, data)))
			goto out;
	}
	if (ct_caps & LHC_CAP_VDEV) {
		struct lhc_vdev *dev;
		struct lhc_vdev_info info;

		if (!lhc_vdev_blk_create(&zero_be, 0, &dev, &info)) {
			for (i = 0; i < n; i++)
				if (info.irq == lines[i])
					why = ct_fail_got("a device got a line an MSI holds", info.irq);
			lhc_vdev_destroy(dev);
			if (why)
				goto out;
		}
	}

	/* then every line left, until LHC_EAGAIN */
	while (n <= LHC_IRQ_MAX) {
		err = lhc_pci_msi_alloc(&lines[n], &addr, &data);
		if (err)
			break;
		if ((why = check_msg(lines[n], addr, data)))
			goto out;
		n++;
	}
	if (err != LHC_EAGAIN) {
		why = ct_fail_want("allocating every MSI line", err, LHC_EAGAIN);
		goto out;
	}
	ct_diag("MSI lines available: ", n, "");
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (lines[i] == lines[j]) {
				why = ct_fail_got("two allocations got the same line", lines[i]);
				goto out;
			}
out:
	while (n)
		lhc_pci_msi_free(lines[--n]);
	if (why)
		return why;
	/* all of them are back */
	err = lhc_pci_msi_alloc(&irq, &addr, &data);
	if (err)
		return ct_fail_want("lhc_pci_msi_alloc after freeing every line", err, 0);
	lhc_pci_msi_free(irq);
	lhc_pci_msi_free(irq); /* not allocated any more: ignored */
	return 0;
}

const struct ct_case ct_pci_cases[] = {
	{ "without LHC_CAP_PCI every lhc_pci_* call is LHC_ENOSYS", without_pci },
	{ "lhc_pci_cfg_read/write: bus, devfn, offset, size out of range or val NULL are LHC_EINVAL", bad_args },
	{ "configuration space: a function on bus 0; sizes 1, 2, 4 agree; an empty slot reads all ones", config_reads },
	{ "lhc_pci_cfg_write: the interrupt line register round-trips; an empty slot ignores writes", config_write },
	{ "lhc_pci_window: at least one, MiB-aligned, disjoint; LHC_ENOENT past the last", windows },
	{ "lhc_pci_msi_alloc: lines in 2..LHC_IRQ_MAX no device gets, messages MSI can carry, LHC_EAGAIN when none is left", msi_lines },
	{ 0, 0 },
};
