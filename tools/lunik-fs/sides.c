/* sides.c: the host side (libc) and the image side (lkl_sys_* calls into
 * the kernel library, on the image mounted and chrooted into). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lkl.h>
#include <lkl/linux/fadvise.h>

#include "fs.h"

/* Host and kernel errno numbers must agree for the messages to be right. */
_Static_assert(LKL_ENOENT == ENOENT && LKL_ENOSPC == ENOSPC && LKL_EROFS == EROFS &&
		       LKL_EPERM == EPERM && LKL_EEXIST == EEXIST && LKL_EISDIR == EISDIR &&
		       LKL_ENOTDIR == ENOTDIR && LKL_EIO == EIO && LKL_EDQUOT == EDQUOT,
	       "host and kernel errno numbers differ");

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Append a name to a growing array. */
static int add_name(char ***names, size_t *count, size_t *cap, const char *name)
{
	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		char **n = realloc(*names, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		*names = n;
		*cap = ncap;
	}
	if (!((*names)[*count] = strdup(name)))
		return -ENOMEM;
	(*count)++;
	return 0;
}

/* ---- host ---- */

static int neg(int r)
{
	return r < 0 ? -errno : r;
}

static void from_stat(const struct stat *s, struct fst *st)
{
	st->mode = s->st_mode;
	st->uid = s->st_uid;
	st->gid = s->st_gid;
	st->nlink = (unsigned int)s->st_nlink;
	st->size = (unsigned long long)s->st_size;
	st->ino = s->st_ino;
	st->dev = s->st_dev;
	/* the kernel's encoding (new_encode_dev), which mknod takes */
	st->rdev = (minor(s->st_rdev) & 0xff) | (major(s->st_rdev) << 8) |
		   ((unsigned long long)(minor(s->st_rdev) & ~0xffu) << 12);
	st->atime = s->st_atim.tv_sec;
	st->atime_ns = s->st_atim.tv_nsec;
	st->mtime = s->st_mtim.tv_sec;
	st->mtime_ns = s->st_mtim.tv_nsec;
}

static int h_lstat(const char *p, struct fst *st)
{
	struct stat s;

	if (lstat(p, &s))
		return -errno;
	from_stat(&s, st);
	return 0;
}

static int h_stat(const char *p, struct fst *st)
{
	struct stat s;

	if (stat(p, &s))
		return -errno;
	from_stat(&s, st);
	return 0;
}

static int h_open(const char *p, int flags, unsigned int mode)
{
	return neg(open(p, flags | O_CLOEXEC, mode));
}

static long h_read(int fd, void *buf, unsigned long n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static long h_write(int fd, const void *buf, unsigned long n)
{
	ssize_t r;

	do
		r = write(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int h_close(int fd) { return neg(close(fd)); }
static int h_mkdir(const char *p, unsigned int mode) { return neg(mkdir(p, mode)); }
static int h_symlink(const char *t, const char *p) { return neg(symlink(t, p)); }
static int h_link(const char *o, const char *p) { return neg(link(o, p)); }
static int h_unlink(const char *p) { return neg(unlink(p)); }
static int h_lchown(const char *p, unsigned int u, unsigned int g) { return neg(lchown(p, u, g)); }
static int h_chmod(const char *p, unsigned int mode) { return neg(chmod(p, mode)); }

static long h_readlink(const char *p, char *buf, unsigned long n)
{
	ssize_t r = readlink(p, buf, n);

	return r < 0 ? -errno : r;
}

static int h_mknod(const char *p, unsigned int mode, unsigned long long dev)
{
	unsigned int d = (unsigned int)dev;

	return neg(mknod(p, mode, makedev((d >> 8) & 0xfff, (d & 0xff) | ((d >> 12) & 0xfff00))));
}

static int h_utimes(const char *p, const struct fst *st)
{
	struct timespec ts[2] = { { st->atime, st->atime_ns }, { st->mtime, st->mtime_ns } };

	return neg(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW));
}

static int h_list(const char *p, char ***names, size_t *count)
{
	DIR *d = opendir(p);
	struct dirent *de;
	size_t cap = 0;
	int err = 0;

	*names = NULL;
	*count = 0;
	if (!d)
		return -errno;
	errno = 0;
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = add_name(names, count, &cap, de->d_name);
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err) {
		free_names(*names, *count);
		return err;
	}
	qsort(*names, *count, sizeof(**names), cmp_names);
	return 0;
}

static void h_sequential(int fd)
{
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

struct side host_side = {
	.label = "host",
	.lstat_fn = h_lstat, .stat_fn = h_stat, .open_fn = h_open, .read_fn = h_read,
	.write_fn = h_write, .close_fn = h_close, .mkdir_fn = h_mkdir,
	.symlink_fn = h_symlink, .readlink_fn = h_readlink, .mknod_fn = h_mknod,
	.link_fn = h_link, .unlink_fn = h_unlink, .lchown_fn = h_lchown,
	.chmod_fn = h_chmod, .utimes_fn = h_utimes, .list_fn = h_list,
	.sequential_fn = h_sequential,
};

/* ---- image (the kernel library) ---- */

static void from_lkl(const struct lkl_stat *s, struct fst *st)
{
	st->mode = s->st_mode;
	st->uid = s->st_uid;
	st->gid = s->st_gid;
	st->nlink = s->st_nlink;
	st->size = (unsigned long long)s->st_size;
	st->ino = s->st_ino;
	st->dev = s->st_dev;
	st->rdev = s->st_rdev;
	st->atime = s->lkl_st_atime;
	st->atime_ns = (long)s->st_atime_nsec;
	st->mtime = s->lkl_st_mtime;
	st->mtime_ns = (long)s->st_mtime_nsec;
}

static int k_statat(const char *p, struct fst *st, int flags)
{
	struct lkl_stat s;
	long r = lkl_sys_newfstatat(LKL_AT_FDCWD, p, &s, flags);

	if (r < 0)
		return (int)r;
	from_lkl(&s, st);
	return 0;
}

static int k_lstat(const char *p, struct fst *st) { return k_statat(p, st, LKL_AT_SYMLINK_NOFOLLOW); }
static int k_stat(const char *p, struct fst *st) { return k_statat(p, st, 0); }

static int k_open(const char *p, int flags, unsigned int mode)
{
	int f = 0;

	switch (flags & O_ACCMODE) {
	case O_WRONLY: f = LKL_O_WRONLY; break;
	case O_RDWR: f = LKL_O_RDWR; break;
	default: f = LKL_O_RDONLY; break;
	}
	if (flags & O_CREAT) f |= LKL_O_CREAT;
	if (flags & O_TRUNC) f |= LKL_O_TRUNC;
	if (flags & O_EXCL) f |= LKL_O_EXCL;
	if (flags & O_NOFOLLOW) f |= LKL_O_NOFOLLOW;
	if (flags & O_DIRECTORY) f |= LKL_O_DIRECTORY;
	return (int)lkl_sys_openat(LKL_AT_FDCWD, p, f | LKL_O_LARGEFILE | LKL_O_CLOEXEC, mode);
}

static long k_read(int fd, void *buf, unsigned long n) { return lkl_sys_read(fd, buf, n); }
static long k_write(int fd, const void *buf, unsigned long n) { return lkl_sys_write(fd, (const char *)buf, n); }
static int k_close(int fd) { return (int)lkl_sys_close(fd); }
static int k_mkdir(const char *p, unsigned int mode) { return (int)lkl_sys_mkdirat(LKL_AT_FDCWD, p, mode); }
static int k_symlink(const char *t, const char *p) { return (int)lkl_sys_symlinkat(t, LKL_AT_FDCWD, p); }
static int k_link(const char *o, const char *p) { return (int)lkl_sys_linkat(LKL_AT_FDCWD, o, LKL_AT_FDCWD, p, 0); }
static int k_unlink(const char *p) { return (int)lkl_sys_unlinkat(LKL_AT_FDCWD, p, 0); }
static int k_chmod(const char *p, unsigned int mode) { return (int)lkl_sys_fchmodat(LKL_AT_FDCWD, p, mode); }

static int k_lchown(const char *p, unsigned int u, unsigned int g)
{
	return (int)lkl_sys_fchownat(LKL_AT_FDCWD, p, u, g, LKL_AT_SYMLINK_NOFOLLOW);
}

static long k_readlink(const char *p, char *buf, unsigned long n)
{
	return lkl_sys_readlinkat(LKL_AT_FDCWD, p, buf, (int)n);
}

static int k_mknod(const char *p, unsigned int mode, unsigned long long dev)
{
	return (int)lkl_sys_mknodat(LKL_AT_FDCWD, p, mode, (unsigned int)dev);
}

static int k_utimes(const char *p, const struct fst *st)
{
	struct __lkl__kernel_timespec ts[2] = { { st->atime, st->atime_ns }, { st->mtime, st->mtime_ns } };

	return (int)lkl_sys_utimensat(LKL_AT_FDCWD, p, ts, LKL_AT_SYMLINK_NOFOLLOW);
}

static int k_list(const char *p, char ***names, size_t *count)
{
	static char buf[64 << 10];
	size_t cap = 0;
	long fd, n;
	int err = 0;

	*names = NULL;
	*count = 0;
	fd = lkl_sys_openat(LKL_AT_FDCWD, p, LKL_O_RDONLY | LKL_O_DIRECTORY | LKL_O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	while (!err && (n = lkl_sys_getdents64((unsigned int)fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !err;) {
			struct lkl_linux_dirent64 *de = (void *)(buf + off);

			off += de->d_reclen;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			err = add_name(names, count, &cap, de->d_name);
		}
	}
	if (!err && n < 0)
		err = (int)n;
	lkl_sys_close((int)fd);
	if (err) {
		free_names(*names, *count);
		return err;
	}
	qsort(*names, *count, sizeof(**names), cmp_names);
	return 0;
}

static void k_sequential(int fd)
{
	lkl_sys_fadvise64(fd, 0, 0, LKL_POSIX_FADV_SEQUENTIAL);
}

struct side image_side = {
	.label = "image",
	.is_image = 1,
	.lstat_fn = k_lstat, .stat_fn = k_stat, .open_fn = k_open, .read_fn = k_read,
	.write_fn = k_write, .close_fn = k_close, .mkdir_fn = k_mkdir,
	.symlink_fn = k_symlink, .readlink_fn = k_readlink, .mknod_fn = k_mknod,
	.link_fn = k_link, .unlink_fn = k_unlink, .lchown_fn = k_lchown,
	.chmod_fn = k_chmod, .utimes_fn = k_utimes, .list_fn = k_list,
	.sequential_fn = k_sequential,
};

/* ---- shared helpers ---- */

char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p) {
		fputs("fs: error: out of memory\n", stderr);
		exit(EXIT_FAIL);
	}
	memcpy(p, dir, a);
	if (a && dir[a - 1] != '/')
		p[a++] = '/';
	memcpy(p + a, name, b + 1);
	return p;
}

const char *show(const struct side *s, const char *p)
{
	static char bufs[4][4200];
	static int next;
	char *b = bufs[next++ % 4];

	if (s->is_image)
		snprintf(b, sizeof(bufs[0]), "%s:%s", s->label, p);
	else
		snprintf(b, sizeof(bufs[0]), "%s", p);
	return b;
}
