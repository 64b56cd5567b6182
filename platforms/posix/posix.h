/* posix platform: internal declarations shared by its files, by file. */
#ifndef POSIX_PLATFORM_H
#define POSIX_PLATFORM_H

#include <errno.h>

#include <lunik/hypercall.h>

/*
 * This platform runs on Linux, whose errno values the LHC_E* constants are
 * defined to equal, so host errors are returned unchanged. Checked here so a
 * wrong constant in hypercall.h breaks the build rather than a caller.
 */
_Static_assert(LHC_EPERM == EPERM && LHC_ENOENT == ENOENT &&
		       LHC_EINTR == EINTR && LHC_EIO == EIO &&
		       LHC_EAGAIN == EAGAIN && LHC_ENOMEM == ENOMEM &&
		       LHC_EBUSY == EBUSY && LHC_EINVAL == EINVAL &&
		       LHC_ENOSPC == ENOSPC && LHC_EPIPE == EPIPE &&
		       LHC_ERANGE == ERANGE &&
		       LHC_ENOSYS == ENOSYS && LHC_EPROTO == EPROTO &&
		       LHC_ETIMEDOUT == ETIMEDOUT,
	       "LHC_E* must equal Linux errno values");

/* init.c */
extern const struct lhc_upcalls *posix_upcalls;

/* timer.c: the timer thread lives from lhc_init to lhc_fini. */
int posix_timer_start(void);
void posix_timer_stop(void);

/* vdev.c: write " virtio_mmio.device=SIZE@BASE:IRQ" for every live device
 * into buf (no NUL; the first without its space unless lead) when it fits
 * in len; returns the length it needs. */
size_t posix_vdev_cmdline(char *buf, size_t len, int lead);

/* vdev.c: hold an interrupt line no device may get (LHC_EAGAIN when all
 * are taken), and give it back. */
int posix_vdev_line_reserve(int *irq);
void posix_vdev_line_release(int irq);

/* stdio.c: standard input's reader stops at lhc_fini at the latest. */
void posix_stdio_fini(void);

/* vdev.c / net.c: a host network backend belongs to its device and is
 * freed (after the device's threads stopped) by lhc_vdev_destroy. */
struct lhc_vdev;
void posix_vdev_set_host_net(struct lhc_vdev *v, void *host_net);
void posix_net_host_free(void *host_net);

/* net_open.c: the host side of a link; each returns 0 with *fd, or an LHC_E* code. */
int posix_net_unix(const char *path, int listen_it, int type, int *fd);
int posix_net_udp(const char *spec, int *fd);
int posix_net_tap(const char *name, uint32_t want, int *fd, uint32_t *got);
int posix_net_raw(const char *name, int *fd);

/* exit.c: print "lunik: <what>: <errno text>" and abort; for host calls that
 * the contract says cannot fail. */
void posix_die(const char *what, int err) __attribute__((noreturn));

#endif /* POSIX_PLATFORM_H */
