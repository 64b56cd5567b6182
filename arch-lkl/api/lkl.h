/* lkl public API: start, call into and stop the kernel library (LKL-compatible). */
#ifndef _LKL_H
#define _LKL_H

#include "lkl_host.h"

/*
 * With the lkl_-prefixed uapi headers installed (the lunik kernel stage
 * does), <lkl.h> also gives the typed lkl_sys_*() wrappers and the LKL_*
 * constants, as LKL's does. Without them only the calls below exist.
 */
#if defined(__has_include)
#if __has_include(<lkl/asm/syscalls.h>)
#include <lkl/asm/syscalls.h>
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * All calls return 0 or a negative Linux errno (LKL convention).
 *
 * lkl_init        record the host operations and initialise the platform
 *                 (lhc_init); call once, first.
 * lkl_start_kernel boot Linux with a printf-style command line (mem=,
 *                 loglevel= and any kernel parameter); returns once init is
 *                 ready for syscalls.
 * lkl_is_running  1 between a successful lkl_start_kernel and lkl_sys_halt.
 * lkl_syscall     run syscall no (generic Linux numbering) with up to six
 *                 arguments from params, as a thread of process 1 bound to
 *                 the calling host thread.
 * lkl_sys_halt    shut the kernel down, end its threads, free its memory.
 * lkl_cleanup     release what lkl_init set up.
 */
int lkl_init(struct lkl_host_operations *ops);
int lkl_start_kernel(const char *fmt, ...);

/*
 * (lunik) An initramfs for the boot, before lkl_start_kernel: a "newc"
 * cpio archive, uncompressed or gzip, that the kernel unpacks into its
 * root file system (a ramfs, writable) before init starts. The memory
 * stays the caller's: the kernel only reads it, during lkl_start_kernel,
 * and never frees it (with "retain_initrd" on the command line,
 * /sys/firmware/initrd reads it for as long as the kernel runs). An /init
 * in the archive must be an executable file; it is never run. data NULL
 * (len 0) forgets an earlier archive. 0, -EBUSY once lkl_start_kernel was
 * called, -EINVAL (data NULL with len > 0), -EOPNOTSUPP without
 * CONFIG_BLK_DEV_INITRD.
 */
int lkl_set_initrd(const void *data, unsigned long len);
int lkl_is_running(void);
long lkl_syscall(long no, long *params);
long lkl_sys_halt(void);
void lkl_cleanup(void);

/*
 * Utilities built on lkl_sys_*() (liblkl/, in liblkl.a; LKL-compatible).
 * Errors are negative Linux errno values, as from the syscalls.
 */
const char *lkl_strerror(int err);
void lkl_perror(char *msg, int err);
int lkl_mount_fs(char *fstype);
long lkl_umount_timeout(char *path, int flags, long timeout_ms);
int lkl_if_up(int ifindex);
int lkl_if_down(int ifindex);

/*
 * Network configuration (liblkl/netconf.c), over rtnetlink and /proc/sys.
 * IPv4 addresses are in network byte order; IPv6 ones point at 16 bytes.
 * All return 0 or a negative errno.
 */
int lkl_if_add_ip(int ifindex, int af, void *addr, unsigned int netprefix_len);
int lkl_if_del_ip(int ifindex, int af, void *addr, unsigned int netprefix_len);
int lkl_if_set_ipv4(int ifindex, unsigned int addr, unsigned int netmask_len);
int lkl_if_set_ipv6(int ifindex, void *addr, unsigned int netprefix_len);
int lkl_add_gateway(int af, void *gwaddr);
int lkl_set_ipv4_gateway(unsigned int addr);
int lkl_set_ipv6_gateway(void *addr);
int lkl_add_neighbor(int ifindex, int af, void *addr, void *mac);
int lkl_qdisc_add(int ifindex, const char *root, const char *type);
void lkl_qdisc_parse_add(int ifindex, const char *entries);
int lkl_sysctl(const char *path, const char *value);
void lkl_sysctl_parse_write(const char *sysctls);

/*
 * Disks (liblkl/disk.c). lkl_disk_add returns the disk id (>= 0) or a
 * negative errno; before lkl_start_kernel the disk is announced on the
 * kernel command line, after it the device is hot-added. lkl_mount_dev
 * mounts partition part (0: the whole disk) of disk disk_id at a fresh
 * /mnt/<dev> and writes that path into mnt_str; lkl_umount_dev undoes it.
 */
int lkl_disk_add(struct lkl_disk *disk);
int lkl_disk_remove(struct lkl_disk disk);
int lkl_mount_dev(unsigned int disk_id, unsigned int part, const char *fs_type,
		  int flags, const char *opts, char *mnt_str,
		  unsigned int mnt_str_len);
long lkl_umount_dev(unsigned int disk_id, unsigned int part, int flags,
		    long timeout_ms);
/* The device number (for mknod) of partition part of disk disk_id. */
int lkl_get_virtio_blkdev(int disk_id, unsigned int part, unsigned int *pdevid);

/*
 * Network devices (liblkl/netdev.c), LKL's API. The creators return NULL
 * for a missing name or a negative fd; problems with the host resource
 * itself (no such interface, no permission, a closed fd) are reported by
 * lkl_netdev_add as a negative errno. lkl_netdev_add returns the netdev id
 * (>= 0); before lkl_start_kernel the device is announced on the command
 * line, after it it is hot-added. lkl_netdev_get_ifindex gives the kernel
 * interface of a netdev id (found by its MAC).
 *
 * lkl_netdev_tap_create    TAP interface ifname (IFF_TAP | IFF_NO_PI);
 *                          offload: virtio-net feature bits (CSUM,
 *                          GUEST_CSUM, HOST/GUEST_TSO4/6) wanted, reduced
 *                          to what the host supports (IFF_VNET_HDR).
 * lkl_netdev_raw_create    AF_PACKET socket bound to host interface ifname.
 * lkl_netdev_socket_create (lunik) a connected socket fd, which stays the
 *                          caller's: framing LKL_NETDEV_STREAM (every frame
 *                          after a 4-byte big-endian length, as QEMU's
 *                          -netdev stream) or LKL_NETDEV_DGRAM (one frame
 *                          per datagram, as -netdev dgram); mtu 0 = 1500.
 * lkl_netdev_stream_create (lunik) the same over "unix:PATH" (connect),
 *                          "listen:PATH" (wait for one peer) or, framing
 *                          LKL_NETDEV_DGRAM, "udp:HOST:PORT:LOCALPORT".
 */
#define LKL_NETDEV_STREAM 1
#define LKL_NETDEV_DGRAM 2
#define LKL_VIRTIO_NET_F_CSUM 0
#define LKL_VIRTIO_NET_F_GUEST_CSUM 1
#define LKL_VIRTIO_NET_F_GUEST_TSO4 7
#define LKL_VIRTIO_NET_F_GUEST_TSO6 8
#define LKL_VIRTIO_NET_F_HOST_TSO4 11
#define LKL_VIRTIO_NET_F_HOST_TSO6 12
struct lkl_netdev *lkl_netdev_tap_create(const char *ifname, int offload);
struct lkl_netdev *lkl_netdev_raw_create(const char *ifname);
struct lkl_netdev *lkl_netdev_socket_create(int fd, int framing, int mtu);
struct lkl_netdev *lkl_netdev_stream_create(const char *spec, int framing, int mtu);
int lkl_netdev_add(struct lkl_netdev *nd, struct lkl_netdev_args *args);
void lkl_netdev_remove(int id);
void lkl_netdev_free(struct lkl_netdev *nd);
int lkl_netdev_get_ifindex(int id);

/*
 * virtio-mmio devices after boot (arch): register or remove a device whose
 * registers the platform emulates at [base, base + size) with IRQ line irq
 * (from lhc_vdev_*_create). 0 or a negative errno.
 */
int lkl_virtio_mmio_add(unsigned long long base, unsigned int size, int irq);
int lkl_virtio_mmio_remove(unsigned long long base);

#ifdef __cplusplus
}
#endif

#endif
