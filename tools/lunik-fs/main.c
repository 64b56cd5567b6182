/* main.c: lunik-fs: copy into and out of ext4 and vfat images through the
 * kernel library, without root, loop devices or host mounts.
 *
 *   lunik-fs [-v] [-t ext4|vfat] [-p N] [-m MIB] IMAGE ls PATH
 *   lunik-fs ... IMAGE cat PATH...
 *   lunik-fs ... IMAGE tar [-o FILE] PATH
 *   lunik-fs ... IMAGE cp [-L] SRC... DEST
 *
 * In cp an image path is written ":PATH" and anything else is a host
 * path. The image is added as a disk (read-only unless cp writes into it),
 * the kernel finds its partitions, the file system is mounted and chrooted
 * into, and the command runs with lkl_sys_* calls on the image side and
 * libc calls on the host side. See README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lkl.h>
#include <lkl_host.h>

#include "fs.h"


void err_msg(const char *fix, const char *fmt, ...)
{
	va_list ap;

	fputs("fs: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (fix)
		fprintf(stderr, "  fix: %s\n", fix);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("fs: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *errstr(int err)
{
	return strerror(err < 0 ? -err : err);
}

static void print_stderr(const char *str, int len)
{
	fwrite(str, 1, (size_t)len, stderr);
}

static const char *mount_opts;

/* The image is mounted read-only until cp has checked its arguments: bad
 * input never changes it (an ext4 read-write mount writes its superblock). */
static int remount_rw(void)
{
	return (int)lkl_sys_mount((char *)"", (char *)"/", NULL, LKL_MS_REMOUNT, (void *)mount_opts);
}

static int usage(const char *msg)
{
	if (msg)
		err_msg(NULL, "%s", msg);
	fputs("usage: lunik-fs [-v] [-t ext4|vfat] [-p N] [-m MIB] IMAGE ls PATH\n"
	      "       lunik-fs [...] IMAGE cat PATH...\n"
	      "       lunik-fs [...] IMAGE tar [-o FILE] PATH\n"
	      "       lunik-fs [...] IMAGE cp [-L] SRC... DEST   (image paths as :PATH)\n",
	      stderr);
	return EXIT_BAD;
}

/* ---- what is on the device ---- */

enum kind { K_UNKNOWN, K_EXT4, K_VFAT, K_PARTITIONED, K_EMPTY };

static enum kind sniff(const unsigned char *b, long n)
{
	int zero = 1;

	for (long i = 0; i < n && zero; i++)
		zero = !b[i];
	if (zero)
		return K_EMPTY;
	if (n >= 2048 && b[1024 + 56] == 0x53 && b[1024 + 57] == 0xef)
		return K_EXT4;
	if (n >= 512 && b[510] == 0x55 && b[511] == 0xaa) {
		unsigned int bps = b[11] | (b[12] << 8);

		if ((!memcmp(b + 54, "FAT", 3) || !memcmp(b + 82, "FAT32", 5)) && bps >= 512 && bps <= 4096 && !(bps & (bps - 1)))
			return K_VFAT;
		if (n >= 1024 && !memcmp(b + 512, "EFI PART", 8))
			return K_PARTITIONED;
		for (int i = 0; i < 4; i++)
			if (b[446 + 16 * i + 4])
				return K_PARTITIONED;
	}
	return K_UNKNOWN;
}

/* Read the start of partition part of the disk, through a device node. */
static long read_head(int disk, unsigned int part, unsigned char *buf, long len)
{
	unsigned int dev;
	long fd, n, r = lkl_get_virtio_blkdev(disk, part, &dev);

	if (r < 0)
		return r;
	lkl_sys_unlink("/lunik-probe");
	r = lkl_sys_mknodat(LKL_AT_FDCWD, "/lunik-probe", LKL_S_IFBLK | 0600, dev);
	if (r < 0)
		return r;
	fd = lkl_sys_openat(LKL_AT_FDCWD, "/lunik-probe", LKL_O_RDONLY, 0);
	lkl_sys_unlink("/lunik-probe");
	if (fd < 0)
		return fd;
	n = lkl_sys_pread64((int)fd, (char *)buf, len, 0);
	lkl_sys_close((int)fd);
	return n;
}

/* "1, 2" or "" : the partitions the kernel found on the disk. */
static void list_parts(int disk, char *out, size_t len)
{
	unsigned int dev;
	size_t used = 0;

	out[0] = 0;
	for (unsigned int p = 1; p <= 64; p++)
		if (lkl_get_virtio_blkdev(disk, p, &dev) == 0)
			used += (size_t)snprintf(out + used, len - used, "%s%u", used ? ", " : "", p);
}

/* ---- main ---- */

struct args {
	int verbose, deref, mem;
	unsigned int part;
	const char *type, *out, *image, *cmd;
	char **rest;
	int nrest;
};

static int parse(int argc, char **argv, struct args *a)
{
	int i = 1;

	memset(a, 0, sizeof(*a));
	a->mem = 64;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v"))
			a->verbose = 1;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			a->type = argv[++i];
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			a->part = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-m") && i + 1 < argc)
			a->mem = atoi(argv[++i]);
		else
			return usage("unknown option");
	}
	if (i + 2 > argc)
		return usage("missing IMAGE or COMMAND");
	a->image = argv[i++];
	a->cmd = argv[i++];
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-L") && !strcmp(a->cmd, "cp"))
			a->deref = 1;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc && !strcmp(a->cmd, "tar"))
			a->out = argv[++i];
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else
			return usage("unknown option");
	}
	a->rest = argv + i;
	a->nrest = argc - i;
	if (a->type && strcmp(a->type, "ext4") && strcmp(a->type, "vfat")) {
		err_msg("use --type ext4 or --type vfat, or leave it out to detect the type", "unknown file system type \"%s\"", a->type);
		return EXIT_BAD;
	}
	if (a->mem < 16 || a->mem > 4096)
		return usage("-m takes 16 to 4096 (MiB)");
	if (!strcmp(a->cmd, "ls") || !strcmp(a->cmd, "tar")) {
		if (a->nrest != 1)
			return usage(a->nrest ? "too many paths" : "missing PATH");
	} else if (!strcmp(a->cmd, "cat")) {
		if (a->nrest < 1)
			return usage("missing PATH");
	} else if (!strcmp(a->cmd, "cp")) {
		if (a->nrest < 2)
			return usage("cp needs SRC... DEST");
	} else {
		return usage("unknown command");
	}
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char head[4096];
	struct args a;
	struct lkl_disk disk;
	struct copy_opts co;
	struct stat ist;
	char mnt[64], parts[256];
	const char *type;
	int rw = 0, img_fd, id, status, rootfd, outfd = 1, mounted_ro_norecovery = 0;
	long r;
	enum kind k;

	status = parse(argc, argv, &a);
	if (status)
		return status;
	image_side.label = a.image;
	if (a.part) {
		static char lbl[4200];

		snprintf(lbl, sizeof(lbl), "%s@%u", a.image, a.part);
		image_side.label = lbl;
	}
	memset(&co, 0, sizeof(co));
	co.dereference = a.deref;
	if (!strcmp(a.cmd, "cp")) {
		int img_src = a.rest[0][0] == ':';

		for (int i = 1; i < a.nrest - 1; i++)
			if ((a.rest[i][0] == ':') != img_src)
				return usage("the sources must all be image paths (:PATH) or all host paths");
		rw = a.rest[a.nrest - 1][0] == ':';
		if (!img_src && !rw)
			return usage("neither the sources nor the destination is an image path (:PATH)");
	}

	/* the image: present, a file or a block device, writable when written */
	img_fd = open(a.image, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (img_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			err_msg("check the path, or make an image first (e.g. truncate -s 64M IMAGE && mkfs.ext4 IMAGE)", "image %s does not exist", a.image);
		else if (rw && (e == EACCES || e == EROFS || e == EPERM || e == ETXTBSY))
			err_msg("make it writable (chmod u+w IMAGE) or copy it first", "image %s is read-only (%s); copying into it needs write access", a.image, strerror(e));
		else
			err_msg(NULL, "cannot open image %s: %s", a.image, strerror(e));
		return EXIT_BAD;
	}
	if (fstat(img_fd, &ist) || !(S_ISREG(ist.st_mode) || S_ISBLK(ist.st_mode))) {
		err_msg("give a disk or file system image file", "%s is %s, not an image file", a.image, S_ISDIR(ist.st_mode) ? "a directory" : "not a regular file");
		return EXIT_BAD;
	}
	if (rw && S_ISREG(ist.st_mode) && !(ist.st_mode & 0222)) {
		/* root could write it anyway; the mode says it is not meant to be */
		err_msg("make it writable (chmod u+w IMAGE) or copy it first", "image %s is read-only (mode %04o); copying into it needs write access", a.image, ist.st_mode & 07777);
		return EXIT_BAD;
	}
	if (S_ISREG(ist.st_mode) && ist.st_size < 512) {
		err_msg("give an ext4 or vfat image (made by mkfs.ext4 or mkfs.vfat)", "%s is not a file system image (%lld bytes)", a.image, (long long)ist.st_size);
		return EXIT_BAD;
	}
	/* one writer, or any number of readers, among lunik-fs runs */
	if (flock(img_fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		err_msg("wait for the other run to finish, then try again", "image %s is in use by another lunik fs run", a.image);
		return EXIT_FAIL;
	}
	co.skip_dev = ist.st_dev;
	co.skip_ino = ist.st_ino;
	if (a.out) {
		outfd = open(a.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (outfd < 0) {
			err_msg(NULL, "cannot write %s: %s", a.out, strerror(errno));
			return EXIT_BAD;
		}
	}

	lkl_host_ops.print = a.verbose ? print_stderr : NULL;
	if (lkl_init(&lkl_host_ops) < 0) {
		err_msg(NULL, "the kernel library did not initialise");
		return EXIT_FAIL;
	}
	memset(&disk, 0, sizeof(disk));
	disk.fd = img_fd;
	id = lkl_disk_add(&disk);
	if (id < 0) {
		err_msg(NULL, "cannot add %s as a disk: %s", a.image, lkl_strerror(id));
		return EXIT_FAIL;
	}
	r = lkl_start_kernel("mem=%dM loglevel=%d", a.mem, a.verbose ? 7 : 0);
	if (r < 0) {
		err_msg(NULL, "the kernel library did not boot: %s", lkl_strerror((int)r));
		return EXIT_FAIL;
	}
	status = EXIT_BAD;

	/* what is there: a file system, a partition table, nothing? */
	r = read_head(id, a.part, head, sizeof(head));
	list_parts(id, parts, sizeof(parts));
	if (r < 0) {
		if (a.part && r == -LKL_ENOENT) {
			if (parts[0])
				err_msg("use one of the partition numbers it has", "%s has no partition %u (its partitions: %s)", a.image, a.part, parts);
			else
				err_msg("leave out @N: the whole image is the file system", "%s has no partition table, so no partition %u", a.image, a.part);
		} else {
			err_msg(NULL, "cannot read %s: %s", image_side.label, lkl_strerror((int)r));
			status = EXIT_FAIL;
		}
		goto halt;
	}
	k = sniff(head, r);
	if (!a.part && k != K_EXT4 && k != K_VFAT && parts[0]) {
		err_msg("name a partition, e.g. IMAGE@1:/PATH", "%s is a partitioned disk (partitions: %s), not a file system", a.image, parts);
		goto halt;
	}
	if (a.type)
		type = a.type;
	else if (k == K_EXT4)
		type = "ext4";
	else if (k == K_VFAT)
		type = "vfat";
	else {
		err_msg("give an ext4 or vfat image (mkfs.ext4, mkfs.vfat), or name its partition with IMAGE@N",
			"%s holds no file system lunik knows (ext4, vfat)%s", image_side.label, k == K_EMPTY ? ": it is all zeros" : "");
		goto halt;
	}
	co.dest_vfat = co.dest_fat_modes = rw && !strcmp(type, "vfat");
	mount_opts = !strcmp(type, "vfat") ? "fmask=0133,dmask=0022" : NULL;
	if (rw)
		co.make_writable = remount_rw;

	r = lkl_mount_dev((unsigned int)id, a.part, type, LKL_MS_RDONLY, mount_opts, mnt, sizeof(mnt));
	if (r < 0 && !rw && !strcmp(type, "ext4")) {
		/* a journal that needs replaying cannot be replayed read-only */
		r = lkl_mount_dev((unsigned int)id, a.part, type, LKL_MS_RDONLY, "norecovery", mnt, sizeof(mnt));
		mounted_ro_norecovery = r == 0;
	}
	if (r < 0) {
		if (r == -LKL_EINVAL || r == -LKL_EUCLEAN || r == -LKL_EBADMSG)
			err_msg(a.type ? "check --type, or leave it out to detect the type" : "check it with e2fsck -fn or fsck.vfat -n",
				"%s is not a valid %s file system (%s)", image_side.label, type, lkl_strerror((int)r));
		else if (r == -LKL_EROFS || r == -LKL_EACCES)
			err_msg("make the image writable", "%s cannot be mounted for writing (%s)", image_side.label, lkl_strerror((int)r));
		else {
			err_msg("run again with --verbose to see the kernel's log", "cannot mount %s as %s: %s", image_side.label, type, lkl_strerror((int)r));
			status = EXIT_FAIL;
		}
		goto halt;
	}
	if (mounted_ro_norecovery)
		warn_msg("%s has a journal that needs recovery; reading it without replaying the journal", image_side.label);

	/* inside the image, absolute paths and symbolic links resolve as they would on its system */
	rootfd = (int)lkl_sys_openat(LKL_AT_FDCWD, "/", LKL_O_RDONLY | LKL_O_DIRECTORY, 0);
	if (rootfd < 0 || lkl_sys_chroot(mnt) < 0 || lkl_sys_chdir("/") < 0) {
		err_msg(NULL, "cannot enter the mounted image");
		status = EXIT_FAIL;
		goto umount;
	}
	lkl_sys_umask(0);

	if (!strcmp(a.cmd, "ls")) {
		status = cmd_ls(&image_side, a.rest[0]);
	} else if (!strcmp(a.cmd, "cat")) {
		status = cmd_cat(&image_side, a.rest, a.nrest, outfd);
	} else if (!strcmp(a.cmd, "tar")) {
		status = cmd_tar(&image_side, a.rest[0], outfd);
	} else {
		int img_src = a.rest[0][0] == ':';
		char **srcs = a.rest;

		for (int i = 0; i < a.nrest; i++)
			if (a.rest[i][0] == ':')
				a.rest[i] = a.rest[i][1] ? a.rest[i] + 1 : "/";
		status = cmd_cp(img_src ? &image_side : &host_side, srcs, a.nrest - 1,
				rw ? &image_side : &host_side, a.rest[a.nrest - 1], &co);
	}
	if (rw) {
		/* everything on the disk before saying it went well */
		long fd = lkl_sys_openat(LKL_AT_FDCWD, "/", LKL_O_RDONLY | LKL_O_DIRECTORY, 0);

		r = fd < 0 ? fd : lkl_sys_syncfs((int)fd);
		if (fd >= 0)
			lkl_sys_close((int)fd);
		if (r < 0) {
			err_msg(NULL, "writing %s to its disk failed: %s", image_side.label, lkl_strerror((int)r));
			status = EXIT_FAIL;
		}
	}
	lkl_sys_fchdir((unsigned int)rootfd);
	lkl_sys_chroot(".");
	lkl_sys_chdir("/");
	lkl_sys_close(rootfd);
umount:
	r = lkl_umount_dev((unsigned int)id, a.part, 0, 5000);
	if (r < 0) {
		err_msg(NULL, "cannot unmount %s: %s", image_side.label, lkl_strerror((int)r));
		status = EXIT_FAIL;
	}
halt:
	lkl_disk_remove(disk);
	lkl_sys_halt();
	lkl_cleanup();
	if (rw && fsync(img_fd) < 0) {
		err_msg(NULL, "cannot write %s: %s", a.image, strerror(errno));
		status = EXIT_FAIL;
	}
	close(img_fd);
	if (a.out && close(outfd) < 0) {
		err_msg(NULL, "cannot write %s: %s", a.out, strerror(errno));
		status = EXIT_FAIL;
	}
	return status;
}
