/* fs.c: mounting helpers of the LKL API (lkl_mount_fs, lkl_umount_timeout). */
#include <string.h>

#include <lkl.h>

/*
 * Mount a pseudo file system (proc, sysfs, tmpfs, ...) of type fstype at
 * /<fstype>. Returns 0 when it was mounted, 1 when it already was, or a
 * negative errno.
 */
int lkl_mount_fs(char *fstype)
{
	char dir[64] = { 0 }; /* whole: the kernel reads paths a word at a time */
	long ret;

	if (!fstype || strlen(fstype) + 2 > sizeof(dir) || strchr(fstype, '/'))
		return -LKL_EINVAL;
	dir[0] = '/';
	strcpy(dir + 1, fstype);

	ret = lkl_sys_mkdir(dir, 0700);
	if (ret < 0 && ret != -LKL_EEXIST)
		return (int)ret;
	ret = lkl_sys_mount(fstype, dir, fstype, 0, NULL);
	if (ret == -LKL_EBUSY)
		return 1;
	if (ret < 0) {
		lkl_sys_rmdir(dir);
		return (int)ret;
	}
	return 0;
}

/*
 * Unmount path, retrying while it is busy until timeout_ms has passed (in
 * 10 ms steps of kernel sleep, so kernel threads holding it can finish).
 */
long lkl_umount_timeout(char *path, int flags, long timeout_ms)
{
	struct __lkl__kernel_timespec step = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	long ret;

	for (;;) {
		ret = lkl_sys_umount2(path, flags);
		if (ret != -LKL_EBUSY || timeout_ms <= 0)
			return ret;
		lkl_sys_nanosleep(&step, NULL);
		timeout_ms -= 10;
	}
}
