/* The host's system call numbers: x86_64 Linux's, a fixed ABI. Written out
 * rather than taken from <sys/syscall.h>, because under lunik's musl that
 * header gives the kernel library's (asm-generic) numbers instead. */
#ifndef POSIX_HOSTNR_H
#define POSIX_HOSTNR_H

#define HOST_NR_read 0
#define HOST_NR_write 1
#define HOST_NR_close 3
#define HOST_NR_fstat 5
#define HOST_NR_poll 7
#define HOST_NR_ioctl 16
#define HOST_NR_pread64 17
#define HOST_NR_pwrite64 18
#define HOST_NR_readv 19
#define HOST_NR_writev 20
#define HOST_NR_socket 41
#define HOST_NR_connect 42
#define HOST_NR_sendto 44
#define HOST_NR_recvfrom 45
#define HOST_NR_sendmsg 46
#define HOST_NR_recvmsg 47
#define HOST_NR_bind 49
#define HOST_NR_listen 50
#define HOST_NR_setsockopt 54
#define HOST_NR_getsockopt 55
#define HOST_NR_fcntl 72
#define HOST_NR_fdatasync 75
#define HOST_NR_prctl 157
#define HOST_NR_sched_getaffinity 204
#define HOST_NR_openat 257
#define HOST_NR_newfstatat 262
#define HOST_NR_unlinkat 263
#define HOST_NR_accept4 288
#define HOST_NR_pipe2 293
#define HOST_NR_preadv 295
#define HOST_NR_pwritev 296

/* Where the kernel headers are at hand (glibc builds), check the copies. */
#if defined(HOSTSYS_CHECK_LINUX) && defined(__has_include)
#if __has_include(<asm/unistd_64.h>)
#include <asm/unistd_64.h>
_Static_assert(HOST_NR_read == __NR_read, "x86_64 number of read");
_Static_assert(HOST_NR_write == __NR_write, "x86_64 number of write");
_Static_assert(HOST_NR_close == __NR_close, "x86_64 number of close");
_Static_assert(HOST_NR_fstat == __NR_fstat, "x86_64 number of fstat");
_Static_assert(HOST_NR_poll == __NR_poll, "x86_64 number of poll");
_Static_assert(HOST_NR_ioctl == __NR_ioctl, "x86_64 number of ioctl");
_Static_assert(HOST_NR_pread64 == __NR_pread64, "x86_64 number of pread64");
_Static_assert(HOST_NR_pwrite64 == __NR_pwrite64, "x86_64 number of pwrite64");
_Static_assert(HOST_NR_readv == __NR_readv, "x86_64 number of readv");
_Static_assert(HOST_NR_writev == __NR_writev, "x86_64 number of writev");
_Static_assert(HOST_NR_socket == __NR_socket, "x86_64 number of socket");
_Static_assert(HOST_NR_connect == __NR_connect, "x86_64 number of connect");
_Static_assert(HOST_NR_sendto == __NR_sendto, "x86_64 number of sendto");
_Static_assert(HOST_NR_recvfrom == __NR_recvfrom, "x86_64 number of recvfrom");
_Static_assert(HOST_NR_sendmsg == __NR_sendmsg, "x86_64 number of sendmsg");
_Static_assert(HOST_NR_recvmsg == __NR_recvmsg, "x86_64 number of recvmsg");
_Static_assert(HOST_NR_bind == __NR_bind, "x86_64 number of bind");
_Static_assert(HOST_NR_listen == __NR_listen, "x86_64 number of listen");
_Static_assert(HOST_NR_setsockopt == __NR_setsockopt, "x86_64 number of setsockopt");
_Static_assert(HOST_NR_getsockopt == __NR_getsockopt, "x86_64 number of getsockopt");
_Static_assert(HOST_NR_fcntl == __NR_fcntl, "x86_64 number of fcntl");
_Static_assert(HOST_NR_fdatasync == __NR_fdatasync, "x86_64 number of fdatasync");
_Static_assert(HOST_NR_prctl == __NR_prctl, "x86_64 number of prctl");
_Static_assert(HOST_NR_sched_getaffinity == __NR_sched_getaffinity, "x86_64 number of sched_getaffinity");
_Static_assert(HOST_NR_openat == __NR_openat, "x86_64 number of openat");
_Static_assert(HOST_NR_newfstatat == __NR_newfstatat, "x86_64 number of newfstatat");
_Static_assert(HOST_NR_unlinkat == __NR_unlinkat, "x86_64 number of unlinkat");
_Static_assert(HOST_NR_accept4 == __NR_accept4, "x86_64 number of accept4");
_Static_assert(HOST_NR_pipe2 == __NR_pipe2, "x86_64 number of pipe2");
_Static_assert(HOST_NR_preadv == __NR_preadv, "x86_64 number of preadv");
_Static_assert(HOST_NR_pwritev == __NR_pwritev, "x86_64 number of pwritev");
#endif
#endif

#endif /* POSIX_HOSTNR_H */
