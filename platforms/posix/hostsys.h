/* posix platform: raw host system calls, bypassing the C library. */
#ifndef POSIX_HOSTSYS_H
#define POSIX_HOSTSYS_H

/*
 * Why. A lunik process unikernel links this platform with a musl whose
 * system calls for files, sockets, ioctl, poll... go into the kernel
 * library, not to the host: musl's read(0, ...) reads the kernel's fd 0.
 * Only futexes, threads, memory mapping, clocks and a few others reach the
 * host through that libc (see README.md, "Layering rules"). Everything this
 * platform does with a host descriptor or another host object must
 * therefore be a real host system call whatever libc it is linked with:
 * it goes through these wrappers, never through read(), poll(), socket()...
 *
 * Every wrapper returns the host's result, or -errno on failure; errno is
 * never touched. Like the libc calls they replace, none of them retries on
 * EINTR: the callers keep doing that where they did.
 *
 * The structures passed (struct pollfd, iovec, msghdr, sockaddr_*, ifreq)
 * come from the libc headers, whose layouts are the kernel's on x86_64
 * Linux for both glibc and musl; the one that differs between libcs
 * (struct stat) has a kernel-layout type of its own here. Constants that
 * only <linux/...> headers define are defined here too, since a musl
 * toolchain has no kernel headers; under glibc they are checked against
 * those headers.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include "hostnr.h"
#include <sys/types.h>

#if !defined(__x86_64__)
#error "platforms/posix/hostsys.h: raw system calls are written for x86_64 only; add this architecture's syscall instruction"
#endif

/* ---- the syscall instruction ------------------------------------------ */

/* x86_64: number in rax, arguments in rdi rsi rdx r10 r8 r9; the
 * instruction clobbers rcx and r11; the result (or -errno) is in rax. */
static inline long host_syscall6(long n, long a, long b, long c, long d,
				 long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long host_syscall3(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

#define HS_L(x) ((long)(x))
#define host_syscall1(n, a) host_syscall3(n, HS_L(a), 0, 0)
#define host_syscall2(n, a, b) host_syscall3(n, HS_L(a), HS_L(b), 0)
#define host_syscall4(n, a, b, c, d) \
	host_syscall6(n, HS_L(a), HS_L(b), HS_L(c), HS_L(d), 0, 0)
#define host_syscall5(n, a, b, c, d, e) \
	host_syscall6(n, HS_L(a), HS_L(b), HS_L(c), HS_L(d), HS_L(e), 0)

/* ---- files ------------------------------------------------------------- */

#define HOST_AT_FDCWD (-100)
#define HOST_AT_SYMLINK_NOFOLLOW 0x100

/* The kernel's struct stat on x86_64 (what the fstat syscalls fill). */
struct host_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	uint64_t st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec,
		st_ctime_, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct host_stat) == 144, "x86_64 struct stat");

#define HOST_S_IFMT 0170000
#define HOST_S_IFBLK 0060000
#define HOST_S_IFSOCK 0140000
#define HOST_S_ISBLK(m) (((m) & HOST_S_IFMT) == HOST_S_IFBLK)
#define HOST_S_ISSOCK(m) (((m) & HOST_S_IFMT) == HOST_S_IFSOCK)

static inline long host_read(int fd, void *buf, size_t len)
{
	return host_syscall3(HOST_NR_read, fd, HS_L(buf), HS_L(len));
}

static inline long host_write(int fd, const void *buf, size_t len)
{
	return host_syscall3(HOST_NR_write, fd, HS_L(buf), HS_L(len));
}

static inline long host_readv(int fd, const void *iov, int count)
{
	return host_syscall3(HOST_NR_readv, fd, HS_L(iov), count);
}

static inline long host_writev(int fd, const void *iov, int count)
{
	return host_syscall3(HOST_NR_writev, fd, HS_L(iov), count);
}

static inline long host_pread(int fd, void *buf, size_t len, int64_t off)
{
	return host_syscall4(HOST_NR_pread64, fd, buf, len, off);
}

static inline long host_pwrite(int fd, const void *buf, size_t len, int64_t off)
{
	return host_syscall4(HOST_NR_pwrite64, fd, buf, len, off);
}

/* The offset travels as (low, high) halves; on 64-bit the low one is all
 * of it and the kernel shifts the high one out. */
static inline long host_preadv(int fd, const void *iov, int count, int64_t off)
{
	return host_syscall5(HOST_NR_preadv, fd, iov, count, off, 0);
}

static inline long host_pwritev(int fd, const void *iov, int count, int64_t off)
{
	return host_syscall5(HOST_NR_pwritev, fd, iov, count, off, 0);
}

static inline long host_fdatasync(int fd)
{
	return host_syscall1(HOST_NR_fdatasync, fd);
}

static inline long host_open(const char *path, int flags, int mode)
{
	return host_syscall4(HOST_NR_openat, HOST_AT_FDCWD, path, flags, mode);
}

static inline long host_close(int fd)
{
	return host_syscall1(HOST_NR_close, fd);
}

static inline long host_fstat(int fd, struct host_stat *st)
{
	return host_syscall2(HOST_NR_fstat, fd, st);
}

static inline long host_lstat(const char *path, struct host_stat *st)
{
	return host_syscall4(HOST_NR_newfstatat, HOST_AT_FDCWD, path, st,
			     HOST_AT_SYMLINK_NOFOLLOW);
}

static inline long host_unlink(const char *path)
{
	return host_syscall3(HOST_NR_unlinkat, HOST_AT_FDCWD, HS_L(path), 0);
}

static inline long host_ioctl(int fd, unsigned long req, void *arg)
{
	return host_syscall3(HOST_NR_ioctl, fd, HS_L(req), HS_L(arg));
}

/* ioctl with an integer argument (TUNSETOFFLOAD takes its value, not a
 * pointer). */
static inline long host_ioctl_val(int fd, unsigned long req, unsigned long v)
{
	return host_syscall3(HOST_NR_ioctl, fd, HS_L(req), HS_L(v));
}

static inline long host_fcntl(int fd, int cmd, long arg)
{
	return host_syscall3(HOST_NR_fcntl, fd, cmd, arg);
}

static inline long host_pipe2(int fds[2], int flags)
{
	return host_syscall2(HOST_NR_pipe2, fds, flags);
}

/* struct pollfd from <poll.h>; timeout in ms, -1 forever. */
static inline long host_poll(void *fds, unsigned long n, int timeout_ms)
{
	return host_syscall3(HOST_NR_poll, HS_L(fds), HS_L(n), timeout_ms);
}

/* ---- sockets ------------------------------------------------------------ */

static inline long host_socket(int domain, int type, int proto)
{
	return host_syscall3(HOST_NR_socket, domain, type, proto);
}

static inline long host_bind(int fd, const void *addr, unsigned int len)
{
	return host_syscall3(HOST_NR_bind, fd, HS_L(addr), len);
}

static inline long host_connect(int fd, const void *addr, unsigned int len)
{
	return host_syscall3(HOST_NR_connect, fd, HS_L(addr), len);
}

static inline long host_listen(int fd, int backlog)
{
	return host_syscall2(HOST_NR_listen, fd, backlog);
}

static inline long host_accept4(int fd, int flags)
{
	return host_syscall4(HOST_NR_accept4, fd, 0, 0, flags);
}

static inline long host_send(int fd, const void *buf, size_t len, int flags)
{
	return host_syscall6(HOST_NR_sendto, fd, HS_L(buf), HS_L(len), flags, 0, 0);
}

static inline long host_recv(int fd, void *buf, size_t len, int flags)
{
	return host_syscall6(HOST_NR_recvfrom, fd, HS_L(buf), HS_L(len), flags, 0, 0);
}

/* struct msghdr from <sys/socket.h>. */
static inline long host_sendmsg(int fd, const void *msg, int flags)
{
	return host_syscall3(HOST_NR_sendmsg, fd, HS_L(msg), flags);
}

static inline long host_recvmsg(int fd, void *msg, int flags)
{
	return host_syscall3(HOST_NR_recvmsg, fd, HS_L(msg), flags);
}

static inline long host_setsockopt(int fd, int level, int name,
				   const void *val, unsigned int len)
{
	return host_syscall5(HOST_NR_setsockopt, fd, level, name, val, len);
}

static inline long host_getsockopt(int fd, int level, int name, void *val,
				   unsigned int *len)
{
	return host_syscall5(HOST_NR_getsockopt, fd, level, name, val, len);
}

/* ---- processes and threads --------------------------------------------- */

#define HOST_PR_SET_NAME 15

static inline long host_prctl_set_name(const char *name)
{
	return host_syscall2(HOST_NR_prctl, HOST_PR_SET_NAME, name);
}

/* The raw call returns the size of the mask the kernel wrote. */
static inline long host_sched_getaffinity(size_t len, void *mask)
{
	return host_syscall3(HOST_NR_sched_getaffinity, 0, HS_L(len), HS_L(mask));
}

/* ---- constants from <linux/...> headers ----------------------------------- */

/* <linux/fs.h> */
#define HOST_BLKGETSIZE64 _IOR(0x12, 114, size_t)

/* <linux/if_tun.h> */
#define HOST_TUNSETIFF _IOW('T', 202, int)
#define HOST_TUNSETOFFLOAD _IOW('T', 208, unsigned int)
#define HOST_TUNGETFEATURES _IOR('T', 207, unsigned int)
#define HOST_TUNSETVNETHDRSZ _IOW('T', 216, int)
#define HOST_IFF_TAP 0x0002
#define HOST_IFF_NO_PI 0x1000
#define HOST_IFF_VNET_HDR 0x4000
#define HOST_TUN_F_CSUM 0x01
#define HOST_TUN_F_TSO4 0x02
#define HOST_TUN_F_TSO6 0x04

/* <linux/if_ether.h>, <linux/if_packet.h> */
#define HOST_ETH_P_ALL 0x0003
#define HOST_SOL_PACKET 263
#define HOST_PACKET_IGNORE_OUTGOING 23

/*
 * With kernel headers at hand (glibc), one file (init.c, which includes no
 * socket header those would clash with) defines HOSTSYS_CHECK_LINUX and
 * checks the copies against them. The includes stay inside this check, so
 * nothing else can come to depend on them by accident.
 */
#if defined(HOSTSYS_CHECK_LINUX) && defined(__has_include)
#if __has_include(<linux/fs.h>) && __has_include(<linux/if_tun.h>) && \
	__has_include(<linux/if_packet.h>) && __has_include(<linux/if_ether.h>)
#include <linux/fs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
_Static_assert(HOST_BLKGETSIZE64 == BLKGETSIZE64 &&
		       HOST_TUNSETIFF == TUNSETIFF &&
		       HOST_TUNSETOFFLOAD == TUNSETOFFLOAD &&
		       HOST_TUNGETFEATURES == TUNGETFEATURES &&
		       HOST_TUNSETVNETHDRSZ == TUNSETVNETHDRSZ &&
		       HOST_IFF_TAP == IFF_TAP && HOST_IFF_NO_PI == IFF_NO_PI &&
		       HOST_IFF_VNET_HDR == IFF_VNET_HDR &&
		       HOST_TUN_F_CSUM == TUN_F_CSUM &&
		       HOST_TUN_F_TSO4 == TUN_F_TSO4 &&
		       HOST_TUN_F_TSO6 == TUN_F_TSO6 &&
		       HOST_ETH_P_ALL == ETH_P_ALL &&
		       HOST_PACKET_IGNORE_OUTGOING == PACKET_IGNORE_OUTGOING,
	       "hostsys.h: a copied <linux/...> constant is wrong");
#endif
#endif

#endif /* POSIX_HOSTSYS_H */
