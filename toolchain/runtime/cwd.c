/*
 * lunik runtime: the working directory of a program linked without a root
 * file system (lunik-cc's plain output, such as a configure probe), where
 * the platform has host files (posix): the directory's regular files (up to
 * 1 MiB each) are copied into the kernel at the same path before main, and
 * files created or changed there are written back at exit. That is what
 * lets autoconf's run probes write conftest.val. Subdirectories and
 * deletions are not copied.
 */
#include "runtime.h"


#define H_GETCWD 17
#define H_OPENAT 56
#define H_CLOSE 57
#define H_GETDENTS64 61
#define H_READ 63
#define H_WRITE 64
#define H_FSTATAT 79
#define H_AT_FDCWD (-100)
#define H_O_RDONLY 0
#define H_O_WRONLY 1
#define H_O_CREAT 0100
#define H_O_TRUNC 01000
#define H_O_DIRECTORY 0200000
#define H_O_CLOEXEC 02000000
#define COPY_MAX (1UL << 20)
#define COPY_FILES 256

struct dirent64 {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static char cwd[512];
static int cwd_copied;
static struct {
	char name[64];
	long size, mtime;
} copied[COPY_FILES];
static int ncopied;

static long host(long n, long a, long b, long c, long d)
{
	return __lunik_host_syscall(n, a, b, c, d, 0, 0);
}

static int name_ok(const char *n)
{
	return n[0] && !(n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) &&
	       __lunik_rt_slen(n) < sizeof(copied[0].name);
}

static void join(char *out, unsigned long len, const char *dir, const char *name)
{
	unsigned long i = 0;

	for (; *dir && i + 2 < len; dir++)
		out[i++] = *dir;
	if (i && out[i - 1] != '/')
		out[i++] = '/';
	for (; *name && i + 1 < len; name++)
		out[i++] = *name;
	out[i] = 0;
}

/* mkdir -p in the kernel */
static void kernel_mkdirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			lkl_sys_mkdir(path, 0755);
			*p = c;
			if (!c)
				break;
		}
	}
}

static void copy_in_file(const char *name, long size)
{
	static char buf[1 << 16];
	char hpath[sizeof(cwd) + 64];
	long hfd, kfd, n;
	struct lkl_stat st;

	join(hpath, sizeof(hpath), cwd, name);
	hfd = host(H_OPENAT, H_AT_FDCWD, (long)hpath, H_O_RDONLY | H_O_CLOEXEC, 0);
	if (hfd < 0)
		return;
	kfd = lkl_sys_open(hpath, LKL_O_WRONLY | LKL_O_CREAT | LKL_O_TRUNC, 0644);
	while (kfd >= 0 && (n = host(H_READ, hfd, (long)buf, sizeof(buf), 0)) > 0)
		if (lkl_sys_write(kfd, buf, n) != n)
			break;
	host(H_CLOSE, hfd, 0, 0, 0);
	if (kfd < 0)
		return;
	if (lkl_sys_fstat(kfd, &st) == 0 && ncopied < COPY_FILES) {
		join(copied[ncopied].name, sizeof(copied[0].name), "", name);
		copied[ncopied].size = size;
		copied[ncopied++].mtime = (long)st.lkl_st_mtime * 1000000000L + (long)st.st_mtime_nsec;
	}
	lkl_sys_close(kfd);
}

const char *__lunik_rt_copy_cwd_in(void)
{
	static char dents[1 << 14];
	unsigned char hst[144];
	long dfd, n;

	if (host(H_GETCWD, (long)cwd, sizeof(cwd), 0, 0) < 0 || cwd[0] != '/')
		return 0; /* a platform without host files */
	kernel_mkdirs(cwd);
	cwd_copied = 1;
	dfd = host(H_OPENAT, H_AT_FDCWD, (long)cwd,
		   H_O_RDONLY | H_O_DIRECTORY | H_O_CLOEXEC, 0);
	if (dfd < 0)
		return cwd;
	while ((n = host(H_GETDENTS64, dfd, (long)dents, sizeof(dents), 0)) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);
			char hpath[sizeof(cwd) + 64];

			off += d->d_reclen;
			if (!name_ok(d->d_name))
				continue;
			join(hpath, sizeof(hpath), cwd, d->d_name);
			/* x86_64 struct stat: st_mode at 24, st_size at 48 */
			if (host(H_FSTATAT, H_AT_FDCWD, (long)hpath, (long)hst, 0) < 0)
				continue;
			unsigned int mode = *(unsigned int *)(hst + 24);
			long size = *(long *)(hst + 48);

			if ((mode & 0170000) == 0100000 && (unsigned long)size <= COPY_MAX)
				copy_in_file(d->d_name, size);
		}
	}
	host(H_CLOSE, dfd, 0, 0, 0);
	return cwd;
}

/* Write back what is new or changed in the kernel's copy of the directory. */
void __lunik_rt_copy_cwd_out(void)
{
	static char buf[1 << 16];
	static char dents[1 << 14];
	long dfd, n;

	if (!cwd_copied)
		return;
	dfd = lkl_sys_open(cwd, LKL_O_RDONLY | LKL_O_DIRECTORY, 0);
	if (dfd < 0)
		return;
	while ((n = lkl_sys_getdents64(dfd, (void *)dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);
			char path[sizeof(cwd) + 64];
			struct lkl_stat st;
			long kfd, hfd, mt, got;
			int i;

			off += d->d_reclen;
			if (!name_ok(d->d_name))
				continue;
			join(path, sizeof(path), cwd, d->d_name);
			if (lkl_sys_stat(path, &st) < 0 || !LKL_S_ISREG(st.st_mode))
				continue;
			mt = (long)st.lkl_st_mtime * 1000000000L + (long)st.st_mtime_nsec;
			for (i = 0; i < ncopied; i++)
				if (__lunik_rt_same(copied[i].name, d->d_name))
					break;
			if (i < ncopied && copied[i].mtime == mt && copied[i].size == (long)st.st_size)
				continue;
			kfd = lkl_sys_open(path, LKL_O_RDONLY, 0);
			if (kfd < 0)
				continue;
			hfd = host(H_OPENAT, H_AT_FDCWD, (long)path,
				   H_O_WRONLY | H_O_CREAT | H_O_TRUNC | H_O_CLOEXEC,
				   st.st_mode & 0777);
			while (hfd >= 0 && (got = lkl_sys_read(kfd, buf, sizeof(buf))) > 0)
				if (host(H_WRITE, hfd, (long)buf, got, 0) != got)
					break;
			if (hfd >= 0)
				host(H_CLOSE, hfd, 0, 0, 0);
			lkl_sys_close(kfd);
		}
	}
	lkl_sys_close(dfd);
}
