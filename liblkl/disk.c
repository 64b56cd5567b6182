/* disk.c: the LKL disk API (lkl_disk_add/remove, lkl_mount_dev/umount_dev)
 * over the platform's virtio-mmio block devices (LHC_CAP_VDEV). */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include <lunik/hypercall.h>
#include <lkl.h>

#include "parse.h"

#define MAX_DISKS (LHC_IRQ_MAX - 1)

struct disk_rec {
	int used;
	int hot; /* registered with the running kernel by lkl_virtio_mmio_add */
	struct lkl_disk disk;
	struct lhc_blk_backend be;
	struct lhc_vdev *vdev;
	struct lhc_vdev_info info;
};

/* Disk ids index this table; lkl_disk_add runs on one thread at a time
 * (as in LKL). */
static struct disk_rec disks[MAX_DISKS];

_Static_assert(sizeof(struct lhc_iovec) == sizeof(struct iovec) &&
		       __builtin_offsetof(struct lhc_iovec, len) ==
			       __builtin_offsetof(struct iovec, iov_len),
	       "struct lhc_iovec and struct iovec share a layout");

static int be_capacity(void *ctx, uint64_t *bytes)
{
	struct disk_rec *r = ctx;
	unsigned long long v;

	if (r->disk.ops->get_capacity(r->disk, &v) < 0)
		return LHC_EIO;
	*bytes = v;
	return 0;
}

static int be_request(void *ctx, int type, uint64_t sector,
		      const struct lhc_iovec *iov, int count)
{
	struct disk_rec *r = ctx;
	struct lkl_blk_req req = {
		.sector = sector,
		.buf = (struct iovec *)(void *)iov,
		.count = count,
	};

	switch (type) {
	case LHC_BLK_READ: req.type = LKL_DEV_BLK_TYPE_READ; break;
	case LHC_BLK_WRITE: req.type = LKL_DEV_BLK_TYPE_WRITE; break;
	case LHC_BLK_FLUSH: req.type = LKL_DEV_BLK_TYPE_FLUSH; break;
	default: return LHC_ENOSYS;
	}
	switch (r->disk.ops->request(r->disk, &req)) {
	case LKL_DEV_BLK_STATUS_OK: return 0;
	case LKL_DEV_BLK_STATUS_UNSUP: return LHC_ENOSYS;
	default: return LHC_EIO;
	}
}

int lkl_disk_add(struct lkl_disk *disk)
{
	struct disk_rec *r = NULL;
	int id, err;

	if (!disk)
		return -LKL_EINVAL;
	for (id = 0; id < MAX_DISKS; id++)
		if (!disks[id].used) {
			r = &disks[id];
			break;
		}
	if (!r)
		return -LKL_ENOSPC;
	memset(r, 0, sizeof(*r));
	r->disk = *disk;
	if (disk->ops) {
		if (!disk->ops->get_capacity || !disk->ops->request)
			return -LKL_EINVAL;
		r->be.capacity = be_capacity;
		r->be.request = be_request;
		err = lhc_vdev_blk_create(&r->be, r, &r->vdev, &r->info);
	} else {
		/* a host file: only the platform knows what a host fd is */
		err = lhc_vdev_blk_create_host(disk->fd, 0, &r->vdev, &r->info);
	}
	if (err)
		return -err;
	if (lkl_is_running()) {
		long ret = lkl_virtio_mmio_add(r->info.base, r->info.size, r->info.irq);

		if (ret < 0) {
			lhc_vdev_destroy(r->vdev);
			return (int)ret;
		}
		r->hot = 1;
	}
	r->used = 1;
	r->disk.dev = r;
	disk->dev = r;
	return id;
}

int lkl_disk_remove(struct lkl_disk disk)
{
	struct disk_rec *r = disk.dev;

	if (!r || r < disks || r >= disks + MAX_DISKS || !r->used)
		return -LKL_EINVAL;
	/* a disk the kernel knows must leave it first */
	if (lkl_is_running()) {
		int ret = lkl_virtio_mmio_remove(r->info.base);

		if (ret < 0)
			return ret;
	}
	lhc_vdev_destroy(r->vdev);
	r->used = 0;
	return 0;
}

/* Read a small sysfs file into buf (NUL-terminated, trailing newline cut). */
static long read_small(const char *path, char *buf, size_t len)
{
	long fd = lkl_sys_open(path, LKL_O_RDONLY, 0), n;

	if (fd < 0)
		return fd;
	n = lkl_sys_read((int)fd, buf, len - 1);
	lkl_sys_close((int)fd);
	if (n < 0)
		return n;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return n;
}

/* The block device (major:minor) of partition part of disk disk_id: the
 * disk whose virtio serial names its window ("lhc-<base>"). */
static long find_dev(unsigned int disk_id, unsigned int part, unsigned int *major,
		     unsigned int *minor)
{
	/* zeroed: the kernel reads path strings a word at a time */
	char want[32], path[192] = { 0 }, buf[64], dents[2048];
	char name[64] = "";
	long fd, n, ret;

	if (disk_id >= MAX_DISKS || !disks[disk_id].used)
		return -LKL_EINVAL;
	snprintf(want, sizeof(want), "lhc-%llx",
		 (unsigned long long)disks[disk_id].info.base);
	ret = lkl_mount_fs("sysfs");
	if (ret < 0)
		return ret;
	fd = lkl_sys_open("/sysfs/block", LKL_O_RDONLY | LKL_O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	while (!name[0] && (n = lkl_sys_getdents64((int)fd, (void *)dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n && !name[0];) {
			struct lkl_linux_dirent64 *de = (void *)(dents + off);

			off += de->d_reclen;
			if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(name))
				continue;
			snprintf(path, sizeof(path), "/sysfs/block/%s/serial", de->d_name);
			if (read_small(path, buf, sizeof(buf)) >= 0 && !strcmp(buf, want))
				strcpy(name, de->d_name);
		}
	}
	lkl_sys_close((int)fd);
	if (!name[0])
		return -LKL_ENOENT;
	if (part)
		snprintf(path, sizeof(path), "/sysfs/block/%s/%s%u/dev", name, name, part);
	else
		snprintf(path, sizeof(path), "/sysfs/block/%s/dev", name);
	ret = read_small(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	{
		const char *p = buf;

		/* "MAJOR:MINOR\n", as sysfs writes a dev file */
		if (lkl_parse_uint(&p, 10, major) || *p++ != ':' || lkl_parse_uint(&p, 10, minor))
			return -LKL_EINVAL;
	}
	return 0;
}

/* LKL's naming: /dev/<dev_t as 8 hex digits>, mounted at /mnt/<same>. */
static unsigned int encode_dev(unsigned int major, unsigned int minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

int lkl_get_virtio_blkdev(int disk_id, unsigned int part, unsigned int *pdevid)
{
	unsigned int major, minor;
	long ret;

	if (disk_id < 0 || !pdevid)
		return -LKL_EINVAL;
	ret = find_dev((unsigned int)disk_id, part, &major, &minor);
	if (ret < 0)
		return (int)ret;
	*pdevid = encode_dev(major, minor);
	return 0;
}

int lkl_mount_dev(unsigned int disk_id, unsigned int part, const char *fs_type,
		  int flags, const char *opts, char *mnt_str,
		  unsigned int mnt_str_len)
{
	char dev[32] = { 0 }, mnt[32] = { 0 };
	unsigned int major, minor, d;
	long ret;

	if (!fs_type || !mnt_str)
		return -LKL_EINVAL;
	ret = find_dev(disk_id, part, &major, &minor);
	if (ret < 0)
		return (int)ret;
	d = encode_dev(major, minor);
	snprintf(dev, sizeof(dev), "/dev/%08x", d);
	snprintf(mnt, sizeof(mnt), "/mnt/%08x", d);
	if (strlen(mnt) + 1 > mnt_str_len)
		return -LKL_ERANGE;
	ret = lkl_sys_mkdir("/dev", 0700);
	if (ret < 0 && ret != -LKL_EEXIST)
		return (int)ret;
	ret = lkl_sys_mknod(dev, LKL_S_IFBLK | 0600, d);
	if (ret < 0 && ret != -LKL_EEXIST)
		return (int)ret;
	ret = lkl_sys_mkdir("/mnt", 0700);
	if (ret < 0 && ret != -LKL_EEXIST)
		return (int)ret;
	ret = lkl_sys_mkdir(mnt, 0700);
	if (ret < 0 && ret != -LKL_EEXIST)
		return (int)ret;
	ret = lkl_sys_mount(dev, mnt, (char *)fs_type, flags, (void *)opts);
	if (ret < 0) {
		lkl_sys_rmdir(mnt);
		lkl_sys_unlink(dev);
		return (int)ret;
	}
	strcpy(mnt_str, mnt);
	return 0;
}

long lkl_umount_dev(unsigned int disk_id, unsigned int part, int flags,
		    long timeout_ms)
{
	char dev[32] = { 0 }, mnt[32] = { 0 };
	unsigned int major, minor, d;
	long ret;

	ret = find_dev(disk_id, part, &major, &minor);
	if (ret < 0)
		return ret;
	d = encode_dev(major, minor);
	snprintf(dev, sizeof(dev), "/dev/%08x", d);
	snprintf(mnt, sizeof(mnt), "/mnt/%08x", d);
	ret = lkl_umount_timeout(mnt, flags, timeout_ms);
	if (ret < 0)
		return ret;
	lkl_sys_rmdir(mnt);
	lkl_sys_unlink(dev);
	return 0;
}
