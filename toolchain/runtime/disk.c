/* lunik runtime: a disk (disk=; see start.c). */
#include "runtime.h"

static int disk_id = -1;
static char disk_dir[256], disk_type[16], disk_dev[64];

/* disk=FD:DIR[:TYPE], added before boot so the kernel finds it at once. */
void __lunik_rt_disk_before_boot(void)
{
	const char *d = __lunik_rt_get("disk"), *p;
	struct lkl_disk disk = { 0 };
	unsigned long i;
	int fd = 0;

	if (!d)
		return;
	if (*d == '/') {
		/* a device the kernel finds itself: only remembered here */
		for (p = d, i = 0; *p && *p != ':' && i + 1 < sizeof(disk_dev); p++)
			disk_dev[i++] = *p;
		disk_dev[i] = 0;
		if (*p++ != ':' || *p != '/')
			__lunik_rt_fail("bad disk setting (want disk=/dev/NAME:DIR[:TYPE]): ", d);
	} else {
		for (p = d; *p >= '0' && *p <= '9'; p++)
			fd = fd * 10 + (*p - '0');
		if (p == d || *p++ != ':' || *p != '/')
			__lunik_rt_fail("bad disk setting (want disk=FD:DIR[:TYPE]): ", d);
	}
	for (i = 0; *p && *p != ':' && i + 1 < sizeof(disk_dir); p++)
		disk_dir[i++] = *p;
	disk_dir[i] = 0;
	for (i = 0, p += *p == ':'; *p && i + 1 < sizeof(disk_type); p++)
		disk_type[i++] = *p;
	disk_type[i] = 0;
	if (*p)
		__lunik_rt_fail("bad disk setting (too long): ", d);
	if (!disk_type[0])
		__builtin_memcpy(disk_type, "ext4", 5);
	if (disk_dev[0])
		return;
	disk.fd = fd;
	disk_id = lkl_disk_add(&disk);
	if (disk_id < 0)
		__lunik_rt_fail("cannot attach the disk: ", lkl_strerror(disk_id));
}

void __lunik_rt_disk_after_boot(void)
{
	unsigned int dev;
	long err;

	const char *node = "/dev/lunik-disk";

	if (disk_dev[0]) {
		node = disk_dev;
	} else if (disk_id < 0) {
		return;
	} else {
		__lunik_rt_failed("cannot find the disk: ", lkl_get_virtio_blkdev(disk_id, 0, &dev));
		__lunik_rt_failed("cannot make the disk's device node: ",
		       lkl_sys_mknodat(LKL_AT_FDCWD, node, LKL_S_IFBLK | 0600, dev));
	}
	err = lkl_sys_mkdir(disk_dir, 0755);
	if (err < 0 && err != -LKL_EEXIST)
		__lunik_rt_failed("cannot create the disk's mount point: ", err);
	err = lkl_sys_mount((char *)node, disk_dir, disk_type, 0, 0);
	if (err < 0) {
		__lunik_rt_say("lunik: error: cannot mount the disk on ", disk_dir, ":");
		__lunik_rt_fail("  ", lkl_strerror(err));
	}
}
