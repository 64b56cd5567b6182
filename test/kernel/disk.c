/* disk.c: disks through Linux's virtio_blk over the platform's virtio-mmio
 * emulation: ext4 on a disk added before boot (command line) and one added
 * after (hot-add), vfat, an I/O error path and a read-only disk.
 *
 *   disk EXT4_A EXT4_B VFAT EXT4_RO
 *
 * The uvu side (test/kernel.test.ts) made the images and checks them with
 * e2fsck, debugfs, fsck.vfat and mtools afterwards. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ktest.h"

#define FILE_SIZE (2 << 20)

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 31 + (i >> 12));
}

static int open_disk(const char *path, int flags, struct lkl_disk *d)
{
	int fd = open(path, flags);

	REQUIRE(fd >= 0, "open %s", path);
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	return lkl_disk_add(d);
}

/* Write FILE_SIZE bytes of pattern to path in chunks of odd sizes. */
static void write_pattern(const char *path)
{
	static unsigned char buf[FILE_SIZE];
	long fd, off = 0, i;

	for (i = 0; i < FILE_SIZE; i++)
		buf[i] = pattern(i);
	fd = OK(lkl_sys_open(path, LKL_O_CREAT | LKL_O_WRONLY | LKL_O_TRUNC, 0644));
	while (off < FILE_SIZE) {
		long n = FILE_SIZE - off < 300000 ? FILE_SIZE - off : 300000;
		long w = lkl_sys_write(fd, (char *)buf + off, n);

		if (w <= 0)
			break;
		off += w;
	}
	CHECK(off == FILE_SIZE, "wrote %ld bytes to %s", off, path);
	CHECK(lkl_sys_fsync(fd) == 0, "fsync %s", path);
	lkl_sys_close(fd);
}

/* Read it back through the kernel (after a cache drop by remount). */
static void check_pattern(const char *path)
{
	static unsigned char buf[FILE_SIZE];
	long fd, n, i, bad = -1;

	fd = OK(lkl_sys_open(path, LKL_O_RDONLY, 0));
	n = lkl_sys_read(fd, (char *)buf, FILE_SIZE);
	lkl_sys_close(fd);
	for (i = 0; i < n && bad < 0; i++)
		if (buf[i] != pattern(i))
			bad = i;
	CHECK(n == FILE_SIZE && bad < 0, "read back %ld bytes of %s, first difference at %ld", n, path, bad);
}

static void ext4_session(int id, const char *what, int big)
{
	char mnt[64] = { 0 }, p[128] = { 0 };
	struct lkl_stat st;
	long ret;

	ret = lkl_mount_dev(id, 0, "ext4", 0, NULL, mnt, sizeof(mnt));
	REQUIRE(ret == 0, "lkl_mount_dev(%s, ext4) = %ld %s", what, ret, lkl_strerror((int)ret));
	CHECK(strncmp(mnt, "/mnt/", 5) == 0, "mounted at %s", mnt);
	if (big) {
		snprintf(p, sizeof(p), "%s/file", mnt);
		write_pattern(p);
		snprintf(p, sizeof(p), "%s/dir", mnt);
		OK(lkl_sys_mkdir(p, 0750));
		snprintf(p, sizeof(p), "%s/dir/inner", mnt);
		lkl_sys_close(OK(lkl_sys_open(p, LKL_O_CREAT | LKL_O_WRONLY, 0600)));
		snprintf(p, sizeof(p), "%s/link", mnt);
		OK(lkl_sys_symlink("dir/inner", p));
	} else {
		snprintf(p, sizeof(p), "%s/hot", mnt);
		ret = OK(lkl_sys_open(p, LKL_O_CREAT | LKL_O_WRONLY, 0644));
		CHECK(lkl_sys_write(ret, "hot-added disk\n", 15) == 15, "write to the hot-added disk");
		lkl_sys_close(ret);
	}
	ret = lkl_umount_dev(id, 0, 0, 1000);
	CHECK(ret == 0, "lkl_umount_dev(%s) = %ld", what, ret);

	/* again: the data must come from the disk now */
	ret = lkl_mount_dev(id, 0, "ext4", 0, NULL, mnt, sizeof(mnt));
	REQUIRE(ret == 0, "mount %s again", what);
	if (big) {
		snprintf(p, sizeof(p), "%s/file", mnt);
		check_pattern(p);
		snprintf(p, sizeof(p), "%s/link", mnt);
		CHECK(lkl_sys_lstat(p, &st) == 0 && LKL_S_ISLNK(st.st_mode), "the symlink is there");
		snprintf(p, sizeof(p), "%s/dir", mnt);
		CHECK(lkl_sys_stat(p, &st) == 0 && LKL_S_ISDIR(st.st_mode), "the directory is there");
	} else {
		snprintf(p, sizeof(p), "%s/hot", mnt);
		CHECK(lkl_sys_stat(p, &st) == 0 && st.st_size == 15, "the file is there");
	}
	CHECK(lkl_umount_dev(id, 0, 0, 1000) == 0, "umount %s", what);
}

static void vfat_session(int id)
{
	char mnt[64] = { 0 }, p[128] = { 0 };
	long ret;

	ret = lkl_mount_dev(id, 0, "vfat", 0, NULL, mnt, sizeof(mnt));
	REQUIRE(ret == 0, "lkl_mount_dev(vfat) = %ld %s", ret, lkl_strerror((int)ret));
	snprintf(p, sizeof(p), "%s/FILE.BIN", mnt);
	write_pattern(p);
	snprintf(p, sizeof(p), "%s/SUBDIR", mnt);
	OK(lkl_sys_mkdir(p, 0755));
	CHECK(lkl_umount_dev(id, 0, 0, 1000) == 0, "umount vfat");
	ret = lkl_mount_dev(id, 0, "vfat", LKL_MS_RDONLY, NULL, mnt, sizeof(mnt));
	REQUIRE(ret == 0, "mount vfat again, read-only");
	snprintf(p, sizeof(p), "%s/FILE.BIN", mnt);
	check_pattern(p);
	CHECK(lkl_umount_dev(id, 0, 0, 1000) == 0, "umount vfat");
}

/* A 1 MiB in-memory disk whose second half fails every request. */
#define ERR_BYTES (1 << 20)
static unsigned char err_mem[ERR_BYTES];
static int err_requests;

static int err_capacity(struct lkl_disk d, unsigned long long *res)
{
	(void)d;
	*res = ERR_BYTES;
	return 0;
}

static int err_request(struct lkl_disk d, struct lkl_blk_req *req)
{
	unsigned long long off = req->sector * 512;

	(void)d;
	err_requests++;
	if (req->type == LKL_DEV_BLK_TYPE_FLUSH || req->type == LKL_DEV_BLK_TYPE_FLUSH_OUT)
		return LKL_DEV_BLK_STATUS_OK;
	for (int i = 0; i < req->count; i++) {
		if (off + req->buf[i].iov_len > ERR_BYTES / 2)
			return LKL_DEV_BLK_STATUS_IOERR;
		if (req->type == LKL_DEV_BLK_TYPE_READ)
			memcpy(req->buf[i].iov_base, err_mem + off, req->buf[i].iov_len);
		else
			memcpy(err_mem + off, req->buf[i].iov_base, req->buf[i].iov_len);
		off += req->buf[i].iov_len;
	}
	return LKL_DEV_BLK_STATUS_OK;
}

static struct lkl_dev_blk_ops err_ops = { .get_capacity = err_capacity, .request = err_request };

static void error_disk(void)
{
	struct lkl_disk d = { .ops = &err_ops };
	char buf[4096];
	unsigned int dev = 0;
	long id, fd, ret;

	memset(err_mem, 0x5a, sizeof(err_mem));
	id = lkl_disk_add(&d);
	REQUIRE(id >= 0, "lkl_disk_add(in-memory ops) = %ld", id);
	ret = lkl_get_virtio_blkdev(id, 0, &dev);
	REQUIRE(ret == 0, "lkl_get_virtio_blkdev = %ld", ret);
	OK(lkl_sys_mknod("/dev/errdisk", LKL_S_IFBLK | 0600, dev));
	fd = OK(lkl_sys_open("/dev/errdisk", LKL_O_RDONLY, 0));
	ret = lkl_sys_pread64(fd, buf, sizeof(buf), 4096);
	CHECK(ret == (long)sizeof(buf) && buf[0] == 0x5a && buf[4095] == 0x5a,
	      "a read of the good half returns its bytes (%ld)", ret);
	ret = lkl_sys_pread64(fd, buf, sizeof(buf), ERR_BYTES - 8192);
	CHECK(ret == -LKL_EIO, "a read the backend fails gives -EIO (got %ld)", ret);
	lkl_sys_close(fd);
	CHECK(err_requests > 0, "the backend saw %d requests", err_requests);
	CHECK(lkl_disk_remove(d) == 0, "lkl_disk_remove of the hot-added disk");
}

static void readonly_disk(const char *path)
{
	struct lkl_disk d;
	char mnt[64] = { 0 }, p[128] = { 0 };
	long id, ret;

	id = open_disk(path, O_RDONLY, &d);
	REQUIRE(id >= 0, "lkl_disk_add(read-only fd) = %ld", id);
	ret = lkl_mount_dev(id, 0, "ext4", LKL_MS_RDONLY, NULL, mnt, sizeof(mnt));
	REQUIRE(ret == 0, "mount the read-only disk read-only = %ld", ret);
	snprintf(p, sizeof(p), "%s/new", mnt);
	ret = lkl_sys_open(p, LKL_O_CREAT | LKL_O_WRONLY, 0644);
	CHECK(ret == -LKL_EROFS, "creating a file gives -EROFS (got %ld)", ret);
	CHECK(lkl_umount_dev(id, 0, 0, 1000) == 0, "umount the read-only disk");
	ret = lkl_mount_dev(id, 0, "ext4", 0, NULL, mnt, sizeof(mnt));
	CHECK(ret < 0, "a read-write mount of it fails (%ld %s)", ret, lkl_strerror((int)ret));
}

int main(int argc, char **argv)
{
	struct lkl_disk a, b, v;
	int ida, idb, idv;
	long ret;

	REQUIRE(argc == 5, "usage: disk EXT4_A EXT4_B VFAT EXT4_RO");
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	ida = open_disk(argv[1], O_RDWR, &a);
	REQUIRE(ida >= 0, "lkl_disk_add before boot = %d", ida);
	ret = lkl_start_kernel("mem=64M loglevel=4");
	REQUIRE(ret == 0, "lkl_start_kernel = %ld", ret);

	ext4_session(ida, "ext4 disk added before boot", 1);

	idb = open_disk(argv[2], O_RDWR, &b);
	REQUIRE(idb >= 0, "lkl_disk_add after boot (hot-add) = %d", idb);
	ext4_session(idb, "hot-added ext4 disk", 0);

	idv = open_disk(argv[3], O_RDWR, &v);
	REQUIRE(idv >= 0, "lkl_disk_add(vfat) = %d", idv);
	vfat_session(idv);

	error_disk();
	readonly_disk(argv[4]);

	CHECK(lkl_disk_remove(b) == 0, "lkl_disk_remove of a hot-added disk");
	CHECK(lkl_disk_remove(a) == 0, "lkl_disk_remove of the command-line disk");
	ret = lkl_sys_halt();
	CHECK(ret == 0, "lkl_sys_halt = %ld", ret);
	lkl_cleanup();
	return ktest_done();
}
