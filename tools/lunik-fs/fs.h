/* fs.h: what the parts of lunik-fs share.
 *
 * A "side" is one place files live: the host (libc calls) or the mounted
 * image (lkl_sys_* calls into the kernel library). The copy, list and tar
 * code is written once against struct side, so every direction (host to
 * image, image to host, image to image) is the same code. */
#ifndef LUNIK_FS_H
#define LUNIK_FS_H

#include <stddef.h>

/* Exit status, as the lunik CLI: 2 bad input, 1 a failure. */
#define EXIT_BAD 2
#define EXIT_FAIL 1

/* Copy buffer: large, so that each kernel call moves a lot. */
#define COPY_BUF (1 << 20)

/* The attributes lunik-fs needs from either side. */
struct fst {
	unsigned int mode, uid, gid, nlink;
	unsigned long long size, ino, dev, rdev;
	long long atime, mtime;
	long atime_ns, mtime_ns;
};

/* Every call returns >= 0 or a negative errno (host and kernel errno
 * numbers are the same on Linux; fs.c checks that at compile time). Open
 * flags are the host's O_* values; the image side translates them. */
struct side {
	const char *label;   /* "host", or the image name for messages */
	int is_image;
	int (*lstat_fn)(const char *p, struct fst *st);
	int (*stat_fn)(const char *p, struct fst *st);
	int (*open_fn)(const char *p, int flags, unsigned int mode);
	long (*read_fn)(int fd, void *buf, unsigned long n);
	long (*write_fn)(int fd, const void *buf, unsigned long n);
	int (*close_fn)(int fd);
	int (*mkdir_fn)(const char *p, unsigned int mode);
	int (*symlink_fn)(const char *target, const char *p);
	long (*readlink_fn)(const char *p, char *buf, unsigned long n);
	int (*mknod_fn)(const char *p, unsigned int mode, unsigned long long dev);
	int (*link_fn)(const char *old, const char *p);
	int (*unlink_fn)(const char *p);
	int (*lchown_fn)(const char *p, unsigned int uid, unsigned int gid);
	int (*chmod_fn)(const char *p, unsigned int mode);
	int (*utimes_fn)(const char *p, const struct fst *st); /* atime, mtime; no follow */
	/* The names in directory p but . and .., sorted bytewise (free with free_names). */
	int (*list_fn)(const char *p, char ***names, size_t *count);
	void (*sequential_fn)(int fd); /* a hint: fd will be read start to end */
};

extern struct side host_side;
extern struct side image_side;

void free_names(char **names, size_t count);
char *path_join(const char *dir, const char *name);
/* "IMAGE:PATH" for an image path, the path itself for a host one. */
const char *show(const struct side *s, const char *p);

/* Messages in lunik's form: "fs: error: WHAT" then "  fix: WHAT TO DO". */
void err_msg(const char *fix, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *errstr(int err);

/* Commands (cmd_*.c); each returns an exit status. */
struct copy_opts {
	int dereference;      /* -L: follow symbolic links in the sources */
	int dest_vfat;        /* the destination side is a vfat image */
	int dest_fat_modes;   /* map modes to what vfat holds */
	unsigned long long skip_dev, skip_ino; /* the image file itself (host sources) */
	/* called once the arguments are checked, before the first write */
	int (*make_writable)(void);
};
int cmd_cp(struct side *src, char **srcs, int nsrc, struct side *dst, const char *dest, const struct copy_opts *o);
int cmd_ls(struct side *s, const char *p);
int cmd_cat(struct side *s, char **paths, int n, int outfd);
int cmd_tar(struct side *s, const char *p, int outfd);

#endif
