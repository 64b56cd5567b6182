/* initrd.c: lkl_set_initrd — the kernel unpacks a cpio archive into its root
 * file system, which the program reads back and writes.
 *
 *   initrd mem             an archive built here, in read-only memory
 *   initrd file PATH       an archive written by the test (Debian cpio -H newc,
 *                          maybe gzip'ed) with the same tree
 *   initrd file PATH init  the same, and the archive has an executable /init
 *   initrd badinit PATH    the archive's /init is not executable: boot must
 *                          stop with a message saying so
 *
 * The tree: /etc (0755), /etc/hello.txt (0644, HELLO), /etc/sub (0750),
 * /etc/sub/deep (0700), /etc/sub/deep/data.bin (0600, DATA_LEN bytes of
 * pattern()), /etc/link -> hello.txt.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <lkl/linux/magic.h>

#include "ktest.h"

#define HELLO "hello from the initramfs\n"
#define DATA_LEN 5001 /* not a multiple of 4: the newc padding matters */
#define INIT_TEXT "#!/bin/sh\necho this is never run\n"
#define MTIME 1700000000

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 31 + (i >> 8));
}

/* ---- a newc archive, built in memory ------------------------------------ */

struct cpio {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct cpio *c, const void *data, size_t n)
{
	if (c->len + n + 4 > c->cap) {
		c->cap = (c->len + n + 4) * 2;
		c->p = realloc(c->p, c->cap);
		if (!c->p)
			abort();
	}
	memcpy(c->p + c->len, data, n);
	c->len += n;
}

static void pad4(struct cpio *c)
{
	static const char zero[4];

	put(c, zero, (4 - c->len % 4) % 4);
}

/* One entry: the "070701" header, the name, the data, each 4-aligned. */
static void entry(struct cpio *c, const char *name, unsigned mode,
		  const void *data, size_t n)
{
	static unsigned ino = 100;
	char hdr[111];
	unsigned f[13] = {
		ino++, mode, 1000 /* uid */, 100 /* gid */,
		(mode & S_IFMT) == S_IFDIR ? 2 : 1, MTIME,
		(unsigned)n, 0, 0, 0, 0, (unsigned)strlen(name) + 1, 0,
	};
	int k = snprintf(hdr, sizeof(hdr), "070701");

	for (int i = 0; i < 13; i++)
		k += snprintf(hdr + k, sizeof(hdr) - (size_t)k, "%08X", f[i]);
	put(c, hdr, 110);
	put(c, name, strlen(name) + 1);
	pad4(c);
	put(c, data, n);
	pad4(c);
}

/* The archive, in pages that are then made read-only: the kernel must
 * only read it (a write would kill the process with SIGSEGV). */
static const void *build_archive(size_t *len)
{
	static unsigned char data[DATA_LEN];
	struct cpio c = { 0 };
	size_t size;
	void *ro;

	for (long i = 0; i < DATA_LEN; i++)
		data[i] = pattern(i);
	entry(&c, "etc", S_IFDIR | 0755, "", 0);
	entry(&c, "etc/hello.txt", S_IFREG | 0644, HELLO, strlen(HELLO));
	entry(&c, "etc/sub", S_IFDIR | 0750, "", 0);
	entry(&c, "etc/sub/deep", S_IFDIR | 0700, "", 0);
	entry(&c, "etc/sub/deep/data.bin", S_IFREG | 0600, data, DATA_LEN);
	entry(&c, "etc/link", S_IFLNK | 0777, "hello.txt", 9);
	entry(&c, "TRAILER!!!", 0, "", 0);

	size = (c.len + 4095) & ~(size_t)4095;
	ro = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ro != MAP_FAILED, "mmap for the archive");
	memcpy(ro, c.p, c.len);
	free(c.p);
	REQUIRE(mprotect(ro, size, PROT_READ) == 0, "make the archive read-only");
	*len = c.len;
	return ro;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, r;

	REQUIRE(f != NULL, "open the archive %s", path);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

/* ---- checks inside the kernel ----------------------------------------- */

static void check_file(const char *path, unsigned mode, const void *want, size_t n)
{
	static char buf[DATA_LEN + 16];
	struct lkl_stat st;
	long fd, got;

	CHECK(lkl_sys_stat(path, &st) == 0 && LKL_S_ISREG(st.st_mode) &&
		      (st.st_mode & 07777) == mode,
	      "%s: a regular file with mode %04o (got %04o)", path, mode,
	      (unsigned)(st.st_mode & 07777));
	CHECK(st.st_size == (long long)n, "%s: %zu bytes (got %lld)", path, n,
	      (long long)st.st_size);
	fd = lkl_sys_open(path, LKL_O_RDONLY, 0);
	got = fd < 0 ? fd : lkl_sys_read(fd, buf, sizeof(buf));
	CHECK(got == (long)n && memcmp(buf, want, n) == 0, "%s: content read back (%ld bytes)",
	      path, got);
	if (fd >= 0)
		lkl_sys_close(fd);
}

static void check_dir(const char *path, unsigned mode)
{
	struct lkl_stat st;

	CHECK(lkl_sys_stat(path, &st) == 0 && LKL_S_ISDIR(st.st_mode) &&
		      (st.st_mode & 07777) == mode,
	      "%s: a directory with mode %04o (got %04o)", path, mode,
	      (unsigned)(st.st_mode & 07777));
}

/* mtime 0: not checked (the host's files have their own) */
static void check_tree(unsigned uid, unsigned gid, long long mtime)
{
	static unsigned char data[DATA_LEN];
	struct lkl_stat st;
	char link[64] = { 0 };

	for (long i = 0; i < DATA_LEN; i++)
		data[i] = pattern(i);
	check_dir("/etc", 0755);
	check_file("/etc/hello.txt", 0644, HELLO, strlen(HELLO));
	check_dir("/etc/sub", 0750);
	check_dir("/etc/sub/deep", 0700);
	check_file("/etc/sub/deep/data.bin", 0600, data, DATA_LEN);
	CHECK(lkl_sys_readlink("/etc/link", link, sizeof(link) - 1) == 9 &&
		      !strcmp(link, "hello.txt"),
	      "/etc/link is a symlink to hello.txt (got \"%s\")", link);
	CHECK(lkl_sys_stat("/etc/sub/deep/data.bin", &st) == 0 &&
		      st.st_uid == uid && st.st_gid == gid,
	      "owner %u:%u kept (got %u:%u)", uid, gid, st.st_uid, st.st_gid);
	if (mtime) {
		CHECK(st.lkl_st_mtime == mtime, "a file's mtime kept (got %lld)",
		      (long long)st.lkl_st_mtime);
		CHECK(lkl_sys_stat("/etc/sub", &st) == 0 && st.lkl_st_mtime == mtime,
		      "a directory's mtime kept (got %lld)", (long long)st.lkl_st_mtime);
	}
	/* the builtin default archive is unpacked first: /dev and /root */
	check_dir("/dev", 0755);
}

/* The root file system is a ramfs the program can change freely. */
static void check_writable(void)
{
	struct lkl_statfs sfs;
	char buf[32] = { 0 };
	long fd;

	CHECK(lkl_sys_statfs("/", &sfs) == 0 && sfs.f_type == LKL_RAMFS_MAGIC,
	      "/ is a ramfs (f_type %#lx)", (unsigned long)sfs.f_type);
	fd = OK(lkl_sys_open("/etc/sub/new.txt", LKL_O_CREAT | LKL_O_RDWR, 0640));
	CHECK(lkl_sys_write(fd, "written", 7) == 7, "write a new file in an unpacked directory");
	lkl_sys_close(fd);
	fd = OK(lkl_sys_open("/etc/hello.txt", LKL_O_WRONLY | LKL_O_APPEND, 0));
	CHECK(lkl_sys_write(fd, "more\n", 5) == 5, "append to an unpacked file");
	lkl_sys_close(fd);
	fd = OK(lkl_sys_open("/etc/hello.txt", LKL_O_RDONLY, 0));
	CHECK(lkl_sys_read(fd, buf, sizeof(buf) - 1) == (long)strlen(HELLO) + 5 &&
		      !strcmp(buf + strlen(HELLO), "more\n"),
	      "the appended bytes read back");
	lkl_sys_close(fd);
	OK(lkl_sys_rename("/etc/sub/new.txt", "/etc/moved.txt"));
	OK(lkl_sys_unlink("/etc/link"));
	OK(lkl_sys_mkdir("/var", 0755));
	OK(lkl_sys_rmdir("/var"));
}

/* /init: made empty by the arch when the archive has none, kept otherwise. */
static void check_init(int from_archive)
{
	char buf[64] = { 0 };
	struct lkl_stat st;
	long fd;

	CHECK(lkl_sys_stat("/init", &st) == 0 && LKL_S_ISREG(st.st_mode) &&
		      (st.st_mode & 0111),
	      "/init is an executable file");
	if (!from_archive) {
		CHECK(st.st_size == 0, "/init is the arch's empty one (%lld bytes)",
		      (long long)st.st_size);
		return;
	}
	fd = OK(lkl_sys_open("/init", LKL_O_RDONLY, 0));
	CHECK(lkl_sys_read(fd, buf, sizeof(buf) - 1) == (long)strlen(INIT_TEXT) &&
		      !strcmp(buf, INIT_TEXT),
	      "the archive's /init is left as it was");
	lkl_sys_close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const void *archive;
	void *copy;
	size_t len;
	long ret;

	if (!strcmp(mode, "mem")) {
		archive = build_archive(&len);
	} else if ((!strcmp(mode, "file") || !strcmp(mode, "badinit")) && argc > 2) {
		archive = read_file(argv[2], &len);
	} else {
		fprintf(stderr, "usage: initrd mem | file PATH [init] | badinit PATH\n");
		return 2;
	}
	copy = malloc(len);
	REQUIRE(copy != NULL, "malloc");
	memcpy(copy, archive, len);

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	CHECK(lkl_set_initrd(NULL, 5) == -LKL_EINVAL, "lkl_set_initrd(NULL, 5) is -EINVAL");
	CHECK(lkl_set_initrd(NULL, 0) == 0, "lkl_set_initrd(NULL, 0) forgets");
	REQUIRE(lkl_set_initrd(archive, len) == 0, "lkl_set_initrd(%zu bytes)", len);
	ret = lkl_start_kernel("mem=32M loglevel=4");
	if (!strcmp(mode, "badinit")) {
		/* not reached: the kernel stops at its init */
		CHECK(0, "boot with a non-executable /init should have stopped");
		return ktest_done();
	}
	REQUIRE(ret == 0, "lkl_start_kernel = %ld", ret);
	CHECK(lkl_set_initrd(archive, len) == -LKL_EBUSY, "lkl_set_initrd after boot is -EBUSY");

	/* the archive built here says 1000:100; the test's says 0:0 */
	if (!strcmp(mode, "mem"))
		check_tree(1000, 100, MTIME);
	else
		check_tree(0, 0, 0);
	check_init(argc > 3 && !strcmp(argv[3], "init"));
	check_writable();

	ret = lkl_sys_halt();
	CHECK(ret == 0, "lkl_sys_halt returns 0 (got %ld)", ret);
	lkl_cleanup();
	/* readable after halt (not freed), and never written */
	CHECK(memcmp(copy, archive, len) == 0, "the archive memory is unchanged");
	free(copy);
	return ktest_done();
}
