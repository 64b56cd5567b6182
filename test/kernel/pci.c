/* pci.c: a kernel built with PCI (kernel/config/pci.config) on the posix
 * platform, which has no LHC_CAP_PCI: it boots, its PCI core and the
 * virtio-pci driver are there, and no bus or device appears. */
#include "ktest.h"

/* Entries of a directory besides "." and "..": -errno if it cannot be read. */
static long count_entries(const char *path)
{
	char buf[4096];
	long fd, n, count = 0;

	fd = lkl_sys_open(path, LKL_O_RDONLY | LKL_O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	while ((n = lkl_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct lkl_linux_dirent64 *d = (void *)(buf + off);

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				count++;
			off += d->d_reclen;
		}
	}
	lkl_sys_close(fd);
	return n < 0 ? n : count;
}

int main(void)
{
	char buf[8192];
	struct lkl_stat st;
	long ret, fd, n;

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	ret = lkl_start_kernel("mem=32M loglevel=4");
	REQUIRE(ret == 0, "lkl_start_kernel = %ld", ret);
	lkl_sys_mkdir("/sys", 0755);
	lkl_sys_mkdir("/proc", 0755);
	OK(lkl_sys_mount("sysfs", "/sys", "sysfs", 0, NULL));
	OK(lkl_sys_mount("proc", "/proc", "proc", 0, NULL));

	if (lkl_sys_stat("/sys/bus/pci", &st) != 0) {
		/* a kernel configured without pci.config: nothing to see */
		CHECK(1, "no PCI in this kernel (/sys/bus/pci is absent)");
	} else {
		CHECK(1, "PCI is built in (/sys/bus/pci exists)");
		ret = count_entries("/sys/bus/pci/devices");
		CHECK(ret == 0, "/sys/bus/pci/devices is empty (%ld entries)", ret);
		ret = count_entries("/sys/class/pci_bus");
		CHECK(ret == 0 || ret == -LKL_ENOENT, "no PCI bus in /sys/class/pci_bus (%ld)", ret);
		CHECK(lkl_sys_stat("/sys/bus/pci/drivers/virtio-pci", &st) == 0,
		      "the virtio-pci driver is registered, with nothing to drive");
		ret = count_entries("/sys/bus/pci/drivers/virtio-pci");
		CHECK(ret >= 0, "its directory reads (%ld entries)", ret);
		fd = lkl_sys_open("/proc/iomem", LKL_O_RDONLY, 0);
		n = fd >= 0 ? lkl_sys_read(fd, buf, sizeof(buf) - 1) : fd;
		buf[n > 0 ? n : 0] = 0;
		if (fd >= 0)
			lkl_sys_close(fd);
		CHECK(n >= 0 && !strstr(buf, "PCI"), "no PCI window in /proc/iomem:\n%s", buf);
		fd = lkl_sys_open("/proc/interrupts", LKL_O_RDONLY, 0);
		n = fd >= 0 ? lkl_sys_read(fd, buf, sizeof(buf) - 1) : fd;
		buf[n > 0 ? n : 0] = 0;
		if (fd >= 0)
			lkl_sys_close(fd);
		CHECK(n > 0 && !strstr(buf, "msi"), "no MSI line in /proc/interrupts:\n%s", buf);
	}

	/* the kernel still works as before: a file round-trips */
	fd = OK(lkl_sys_open("/f", LKL_O_CREAT | LKL_O_RDWR, 0644));
	CHECK(lkl_sys_write(fd, "pci", 3) == 3 && lkl_sys_pread64(fd, buf, 3, 0) == 3 &&
	      !memcmp(buf, "pci", 3), "a file written and read back");
	lkl_sys_close(fd);

	lkl_sys_halt();
	lkl_cleanup();
	return ktest_done();
}
