/*
 * lunik: the kernel library's struct stat, which is asm-generic's (the
 * kernel's layout, written with fixed-size types: musl's x86_64 nlink_t and
 * blksize_t are 64-bit, the kernel's fields are 32-bit). musl copies it
 * field by field into the public struct stat, which stays x86_64's.
 */
struct kstat {
	unsigned long st_dev;
	unsigned long st_ino;
	unsigned int st_mode;
	unsigned int st_nlink;
	unsigned int st_uid;
	unsigned int st_gid;
	unsigned long st_rdev;
	unsigned long __pad;
	long st_size;
	int st_blksize;
	int __pad2;
	long st_blocks;
	long st_atime_sec;
	long st_atime_nsec;
	long st_mtime_sec;
	long st_mtime_nsec;
	long st_ctime_sec;
	long st_ctime_nsec;
	unsigned __unused[2];
};
