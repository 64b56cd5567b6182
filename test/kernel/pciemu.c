/* pciemu.c: the arch's PCI host bridge, MSI-X and Linux's virtio_pci driving
 * a virtio-blk-pci device this program emulates.
 *
 * The posix platform has no PCI, so this program plays one that has: it is
 * linked with -Wl,--wrap for lhc_init (which then also reports
 * LHC_CAP_PCI), the lhc_pci_* calls and lhc_iomem_access, and serves
 * bus 0 behind them the way QEMU's pc machine looks to a kernel booted
 * without firmware: a host bridge at 00:00.0 and, at 00:03.0, a
 * transitional virtio-blk-pci (port-I/O BAR 0, MSI-X table in BAR 2,
 * virtio 1.x registers in the prefetchable BAR 4) with no BAR assigned.
 * Its one memory window lies inside LHC_IOMEM, so BAR accesses come back
 * here through lhc_iomem_access; that is above 4 GiB, so the memory BARs
 * are 64-bit ones (QEMU's MSI-X BAR 1 is 32-bit: a platform offers those
 * a window below 4 GiB). The device model is platforms/common's
 * virtio-blk; pcidev.h is the bus, the PCI transport and MSI-X, whose
 * messages it decodes back into lines as section 17 of docs/hypercall.md
 * says a platform does. This file is the disk and the checks. */
#include "pcidev.h"

/* ---- the disk behind it -------------------------------------------------- */

#define SECTORS 2048
static unsigned char disk[SECTORS * 512];
static int disk_requests;

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 7 + (i >> 9));
}

static int disk_capacity(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = sizeof(disk);
	return 0;
}

static int disk_request(void *ctx, int type, uint64_t sector,
			const struct lhc_iovec *iov, int count)
{
	uint64_t off = sector * 512;

	(void)ctx;
	__atomic_add_fetch(&disk_requests, 1, __ATOMIC_SEQ_CST);
	if (type == LHC_BLK_FLUSH)
		return 0;
	if (type != LHC_BLK_READ && type != LHC_BLK_WRITE)
		return LHC_ENOSYS;
	for (int i = 0; i < count; i++) {
		if (off + iov[i].len > sizeof(disk))
			return LHC_EIO;
		if (type == LHC_BLK_READ)
			memcpy(iov[i].base, disk + off, iov[i].len);
		else
			memcpy(disk + off, iov[i].base, iov[i].len);
		off += iov[i].len;
	}
	return 0;
}

static const struct lhc_blk_backend disk_be = {
	.capacity = disk_capacity,
	.request = disk_request,
};

/* ---- the checks --------------------------------------------------------- */

static long read_file(const char *path, char *buf, long len)
{
	long fd = lkl_sys_open(path, LKL_O_RDONLY, 0), n;

	if (fd < 0)
		return fd;
	n = lkl_sys_read(fd, buf, len - 1);
	lkl_sys_close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static void check_enumeration(void)
{
	char buf[4096], *p;
	unsigned long long start[7], end[7], flags[7];
	struct lkl_stat st;
	int i;

	CHECK(lkl_sys_stat("/sys/bus/pci/devices/0000:00:00.0", &st) == 0,
	      "the host bridge 00:00.0 was found");
	REQUIRE(lkl_sys_stat("/sys/bus/pci/devices/0000:00:03.0", &st) == 0,
		"the virtio-blk device 00:03.0 was found");
	CHECK(lkl_sys_stat("/sys/bus/pci/devices/0000:00:01.0", &st) == -LKL_ENOENT,
	      "no device in an empty slot (all-ones reads)");
	read_file("/sys/bus/pci/devices/0000:00:03.0/vendor", buf, sizeof(buf));
	CHECK(strcmp(buf, "0x1af4\n") == 0, "vendor 0x1af4 (got %s)", buf);

	REQUIRE(read_file("/sys/bus/pci/devices/0000:00:03.0/resource", buf, sizeof(buf)) > 0,
		"read the device's resources");
	for (i = 0, p = buf; i < 7; i++) {
		int used = 0;

		if (sscanf(p, "%llx %llx %llx%n", &start[i], &end[i], &flags[i], &used) != 3)
			break;
		p += used;
	}
	REQUIRE(i == 7, "7 resource lines (got %d)", i);
	CHECK(start[0] == 0 && end[0] == 0 && flags[0] == 0,
	      "the port-I/O BAR 0 stays unassigned: no I/O window (%#llx-%#llx %#llx)",
	      start[0], end[0], flags[0]);
	CHECK(start[2] >= WIN_BASE && end[2] < WIN_BASE + WIN_SIZE && end[2] - start[2] == 0xfff &&
	      start[2] % 0x1000 == 0, "BAR 2 (MSI-X) is 4 KiB in the window at %#llx", start[2]);
	CHECK(start[4] >= WIN_BASE && end[4] < WIN_BASE + WIN_SIZE && end[4] - start[4] == 0x3fff &&
	      start[4] % 0x4000 == 0, "BAR 4 (virtio) is 16 KiB, aligned, in the window at %#llx",
	      start[4]);
	CHECK(bar_addr(4) == start[4] && bar_addr(2) == start[2],
	      "the device's BAR registers hold those addresses");
	CHECK(end[2] < start[4] || end[4] < start[2], "the BARs do not overlap");

	i = (int)lkl_sys_readlink("/sys/bus/pci/devices/0000:00:03.0/driver", buf, sizeof(buf) - 1);
	buf[i > 0 ? i : 0] = 0;
	CHECK(i > 0 && strstr(buf, "virtio-pci"), "bound to virtio-pci (driver -> %s)", buf);
	CHECK((blk.cfg[4] & (CMD_MEM | CMD_MASTER)) == (CMD_MEM | CMD_MASTER),
	      "the driver enabled memory decoding and bus mastering (command %#x)", blk.cfg[4]);
	CHECK(!(blk.cfg[4] & CMD_IO), "port I/O decoding stays off");
	CHECK(blk.cfg[0x3c] == 0, "INTx maps to no line (interrupt line register %d)",
	      blk.cfg[0x3c]);
	CHECK(read_file("/proc/iomem", buf, sizeof(buf)) > 0 && strstr(buf, "PCI mem"),
	      "the window is in /proc/iomem:\n%s", buf);
}

static void check_msix(void)
{
	char buf[4096];
	int v, good = 0;

	CHECK((msix_ctrl() & (MSIX_ENABLE | MSIX_MASKALL)) == MSIX_ENABLE,
	      "MSI-X is enabled and the function unmasked (control %#x)", msix_ctrl());
	CHECK(config_vector != NO_VECTOR && queue_vector[0] != NO_VECTOR &&
	      config_vector != queue_vector[0],
	      "the config change and the queue have vectors of their own (%d, %d)",
	      config_vector, queue_vector[0]);
	for (v = 0; v < NVEC; v++) {
		int line = (int)msix_table[v][2] - (int)MSI_DATA(0);

		if ((v == config_vector || v == queue_vector[0]) &&
		    msix_table[v][0] == MSI_ADDR && msix_table[v][1] == 0 &&
		    line >= MSI_FIRST && line < MSI_FIRST + MSI_LINES)
			good++;
	}
	CHECK(good == 2, "both vectors hold a message lhc_pci_msi_alloc gave (%d)", good);
	CHECK(!(msix_table[queue_vector[0]][3] & 1), "the queue's vector is unmasked");
	CHECK(msi_allocs >= 2, "%d MSI lines allocated", msi_allocs);
	CHECK(msi_raised > 0, "the device sent %d MSI-X messages", msi_raised);
	read_file("/proc/interrupts", buf, sizeof(buf));
	CHECK(strstr(buf, "lkl-msi") != NULL, "/proc/interrupts shows the MSI lines:\n%s", buf);
}

static void check_io(void)
{
	char buf[4096], blkdev[32];
	unsigned int major = 0, minor = 0, dev;
	long fd, n, i, bad = -1;
	int req0;

	CHECK(read_file("/sys/block/vda/size", buf, sizeof(buf)) > 0 && atol(buf) == SECTORS,
	      "/sys/block/vda: %d sectors (got %s)", SECTORS, buf);
	REQUIRE(read_file("/sys/block/vda/dev", blkdev, sizeof(blkdev)) > 0 &&
		sscanf(blkdev, "%u:%u", &major, &minor) == 2, "the disk's device number");
	dev = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	lkl_sys_mkdir("/dev", 0755);
	OK(lkl_sys_mknod("/dev/vda", LKL_S_IFBLK | 0600, dev));
	fd = OK(lkl_sys_open("/dev/vda", LKL_O_RDWR, 0));

	req0 = disk_requests;
	n = lkl_sys_pread64(fd, buf, sizeof(buf), 5 * 512 + 4096);
	for (i = 0; i < n && bad < 0; i++)
		if ((unsigned char)buf[i] != pattern(5 * 512 + 4096 + i))
			bad = i;
	CHECK(n == (long)sizeof(buf) && bad < 0,
	      "read 4 KiB from the disk over virtio-pci (%ld bytes, first difference at %ld)", n, bad);
	CHECK(disk_requests > req0, "the read reached the backend (%d requests)",
	      disk_requests - req0);

	memset(buf, 0xa5, sizeof(buf));
	CHECK(lkl_sys_pwrite64(fd, buf, sizeof(buf), 64 * 512) == (long)sizeof(buf), "write 4 KiB");
	CHECK(lkl_sys_fsync(fd) == 0, "fsync");
	for (i = 0, bad = -1; i < (long)sizeof(buf) && bad < 0; i++)
		if (disk[64 * 512 + i] != 0xa5)
			bad = i;
	CHECK(bad < 0 && disk[64 * 512 - 1] == pattern(64 * 512 - 1) &&
	      disk[64 * 512 + 4096] == pattern(64 * 512 + 4096),
	      "the written bytes, and only they, reached the disk (first miss at %ld)", bad);
	lkl_sys_close(fd);
}

int main(void)
{
	struct lkl_stat st;
	long ret;

	for (long i = 0; i < (long)sizeof(disk); i++)
		disk[i] = pattern(i);
	pci_setup();
	REQUIRE(lunik_vdev_blk_init(&disk_dev, &disk_be, NULL, "pci-emu") == 0,
		"the virtio-blk device model");
	dev_reset(&disk_dev.dev);

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	ret = lkl_start_kernel(getenv("PCIEMU_CMDLINE") ? getenv("PCIEMU_CMDLINE") : "mem=64M loglevel=4");
	REQUIRE(ret == 0, "lkl_start_kernel = %ld", ret);
	REQUIRE(upcalls && upcalls->irq_raise, "lhc_init was wrapped and saw the upcalls");
	lkl_sys_mkdir("/sys", 0755);
	lkl_sys_mkdir("/proc", 0755);
	OK(lkl_sys_mount("sysfs", "/sys", "sysfs", 0, NULL));
	OK(lkl_sys_mount("proc", "/proc", "proc", 0, NULL));
	REQUIRE(lkl_sys_stat("/sys/bus/pci/devices", &st) == 0, "/sys/bus/pci exists");

	check_enumeration();
	check_msix();
	check_io();

	lkl_sys_halt();
	CHECK(!(blk.cfg[4] & CMD_MASTER), "halt stopped the device's bus mastering (command %#x)",
	      blk.cfg[4]);
	CHECK(disk_dev.dev.status == 0, "halt reset the virtio device (status %#x)",
	      disk_dev.dev.status);
	lkl_cleanup();
	return ktest_done();
}
