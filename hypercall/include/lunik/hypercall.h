/* lunik hypercall interface: what the kernel library needs from its host. */
#ifndef LUNIK_HYPERCALL_H
#define LUNIK_HYPERCALL_H

/*
 * This header is the whole contract between the kernel library (arch-lkl)
 * and a platform (platforms/<name>). The normative text is docs/hypercall.md;
 * the comments here summarise it.
 *
 * Error contract (applies to every call returning int unless stated):
 *   - 0 on success; results are returned through out-parameters.
 *   - a positive errno value (LHC_E*) on failure; out-parameters are then
 *     left untouched.
 *   - calls marked "cannot fail" return void or a plain value.
 *
 * Threads: unless a call says otherwise it MAY be made from any thread,
 * concurrently: platform threads and, where the platform has them, threads
 * it did not create (e.g. an application's own threads in library use).
 * Calls that may block say so; the kernel never holds a spinning lock across
 * them. Timer callbacks run in thread context on a platform thread, holding
 * no platform lock (docs/hypercall.md, "callback context").
 *
 * This header includes no libc or kernel header: only compiler-provided
 * <stddef.h>/<stdint.h>, so it builds freestanding and inside the kernel.
 */

#include <stddef.h>
#include <stdint.h>

#define LHC_VERSION 2

/* errno values, numerically equal to Linux's. */
#define LHC_EPERM 1
#define LHC_ENOENT 2
#define LHC_EINTR 4
#define LHC_EIO 5
#define LHC_EAGAIN 11
#define LHC_ENOMEM 12
#define LHC_EBUSY 16
#define LHC_EINVAL 22
#define LHC_ENOSPC 28
#define LHC_EPIPE 32
#define LHC_ERANGE 34
#define LHC_ENOSYS 38
#define LHC_EPROTO 71
#define LHC_ETIMEDOUT 110

/* ---- init and parameters --------------------------------------------- */

/*
 * Upcalls: entry points the kernel gives the platform at init. The platform
 * MUST NOT call them before lhc_init returns, and calls them from thread
 * context on a platform thread (timer callbacks, device threads) holding
 * none of its own locks: an upcall may run kernel code, and hypercalls,
 * before it returns.
 */
struct lhc_upcalls {
	/* Make interrupt line irq (1..LHC_IRQ_MAX) pending; may run its
	 * handler on the calling thread if the kernel's CPU is free, and may
	 * block briefly on kernel locks. NULL if the caller wants no
	 * interrupts; the platform then never calls it. */
	void (*irq_raise)(int irq);
};

#define LHC_IRQ_MAX 63

/* Optional groups a platform may provide; reported by lhc_init. */
#define LHC_CAP_VDEV (1u << 0) /* virtio-mmio devices with caller backends */
#define LHC_CAP_NET (1u << 1)   /* network device group (reserved) */
#define LHC_CAP_PCI (1u << 2)   /* PCI host bridge, MSI (lhc_pci_*) */
#define LHC_CAP_EXIT (1u << 3)  /* lhc_exit's status reaches the host */
#define LHC_CAP_STDIO (1u << 4) /* the host's standard streams (lhc_stdio_*) */

/*
 * Version handshake. The kernel passes the LHC_VERSION it was built with.
 * The platform MUST return LHC_EPROTO if it does not implement that version;
 * its state is then unchanged and the caller MAY retry with another version
 * (nothing but lhc_init, lhc_getparam and lhc_putstr may be called until one
 * succeeds). On success it records the upcalls (the pointer stays owned by
 * the caller and valid until lhc_fini) and stores its capability bits in
 * *caps. LHC_EINVAL if up or caps is NULL; LHC_EBUSY if already initialised
 * (no lhc_fini since the last successful lhc_init).
 */
int lhc_init(int version, const struct lhc_upcalls *up, uint32_t *caps);

/* Release what lhc_init set up. The caller MUST first free every timer and
 * join every joinable thread. After it only lhc_init, lhc_getparam and
 * lhc_putstr may be called. */
void lhc_fini(void);

/*
 * Copy the value of a named platform parameter, NUL-terminated, into buf.
 * LHC_ENOENT if the platform has no such parameter, LHC_ERANGE if it does
 * not fit in len bytes (buf is then untouched). Every platform MUST provide
 * "cmdline" (extra kernel arguments from the platform's boot configuration,
 * "" if none) and "ncpus" (a decimal number, at least "1").
 */
int lhc_getparam(const char *name, char *buf, size_t len);

/* ---- memory ------------------------------------------------------------ */

/*
 * Allocate len bytes aligned to align (a power of two, at least
 * sizeof(void *)). The memory is not zeroed. LHC_ENOMEM when exhausted,
 * LHC_EINVAL for a bad alignment or len == 0. Never blocks.
 */
int lhc_malloc(size_t len, size_t align, void **ret);

/* Free memory from lhc_malloc; len is the size that was asked for.
 * p == NULL does nothing. */
void lhc_free(void *p, size_t len);

/* ---- console ----------------------------------------------------------- */

/* Write len bytes to the console. Cannot fail; may block briefly. */
void lhc_putstr(const char *s, size_t len);

/* ---- clocks and timers ------------------------------------------------- */

#define LHC_CLOCK_MONO 0 /* monotonic, from an arbitrary origin */
#define LHC_CLOCK_WALL 1 /* nanoseconds since the Unix epoch */

/* Nanoseconds on the given clock. LHC_EINVAL for an unknown clock. */
int lhc_clock_ns(int clock, uint64_t *ns);

struct lhc_timer;

/*
 * A one-shot timer. fn(arg) runs on a platform thread once per expiry: never
 * from inside lhc_timer_set itself, never concurrently with itself. fn
 * SHOULD return quickly (it may delay other timers) and MUST NOT wait for
 * another timer's callback.
 */
int lhc_timer_alloc(void (*fn)(void *), void *arg, struct lhc_timer **ret);

/*
 * Arm the timer to fire delta_ns from now on LHC_CLOCK_MONO, replacing any
 * earlier arming. It MUST NOT fire early; it SHOULD fire within 1 ms late
 * on an idle host. delta_ns == 0 fires as soon as possible.
 */
int lhc_timer_set(struct lhc_timer *t, uint64_t delta_ns);

/* Disarm. After it returns the callback is not running and will not run
 * until the timer is armed again. Called from the timer's own callback it
 * disarms and returns at once (the running callback is the caller). */
void lhc_timer_cancel(struct lhc_timer *t);

/* Cancel and free. From the timer's own callback the memory is released
 * after the callback returns; t MUST NOT be used again either way. */
void lhc_timer_free(struct lhc_timer *t);

/* ---- threads ----------------------------------------------------------- */

struct lhc_thread;

/*
 * Start fn(arg) on a new platform thread with its own stack; fn returning
 * ends the thread like lhc_thread_exit. joinable threads MUST be reaped with
 * lhc_thread_join. name is a hint, copied (NULL allowed). For a non-joinable
 * thread ret MAY be NULL; its handle is valid only while it runs.
 */
int lhc_thread_create(void (*fn)(void *), void *arg, const char *name,
		      int joinable, struct lhc_thread **ret);

/* Wait for a joinable thread to end and free it. Blocks. t MUST come from
 * lhc_thread_create with joinable set and be joined once. */
int lhc_thread_join(struct lhc_thread *t);

/* End the calling thread, which MUST have been made by lhc_thread_create.
 * Thread-local destructors run. */
void lhc_thread_exit(void) __attribute__((noreturn));

/* The calling thread's handle; a thread the platform did not create gets a
 * handle too, valid until that thread ends. Never NULL. Cannot fail. */
struct lhc_thread *lhc_thread_self(void);

/* A small integer naming the calling thread, unique among live threads. */
long lhc_thread_id(void);

/* ---- thread-local storage --------------------------------------------- */

struct lhc_tls_key;

/*
 * A key whose per-thread value starts NULL. When a thread ends with a
 * non-NULL value, dtor(value) runs on that thread (if dtor is not NULL), for
 * threads the platform did not create too. LHC_EAGAIN/LHC_ENOMEM when out
 * of keys.
 */
int lhc_tls_alloc(void (*dtor)(void *), struct lhc_tls_key **ret);
/* Free a key; runs no destructor. */
void lhc_tls_free(struct lhc_tls_key *k);
/* LHC_ENOMEM if the platform cannot store the value. */
int lhc_tls_set(struct lhc_tls_key *k, void *value);
void *lhc_tls_get(struct lhc_tls_key *k);

/* ---- semaphores and mutexes -------------------------------------------- */

struct lhc_sem;

/* A counting semaphore starting at count; LHC_EINVAL if count < 0. */
int lhc_sem_alloc(int count, struct lhc_sem **ret);
void lhc_sem_free(struct lhc_sem *s);
/* Increments the count, waking one waiter. Never blocks. */
void lhc_sem_up(struct lhc_sem *s);
/* Blocks until the count is positive, then decrements it. */
void lhc_sem_down(struct lhc_sem *s);

struct lhc_mutex;

#define LHC_MTX_RECURSIVE 1

/* A mutex; with LHC_MTX_RECURSIVE its owner may lock it again and must
 * unlock it as many times. Unlock by a non-owner is undefined. */
int lhc_mutex_alloc(int flags, struct lhc_mutex **ret);
void lhc_mutex_free(struct lhc_mutex *m);
void lhc_mutex_lock(struct lhc_mutex *m);
/* LHC_EBUSY if another thread holds it, or if the caller holds a
 * non-recursive one; a recursive owner gets 0 (one more level). */
int lhc_mutex_trylock(struct lhc_mutex *m);
void lhc_mutex_unlock(struct lhc_mutex *m);

/* ---- context jump ------------------------------------------------------ */

/*
 * Enough room for any platform's saved context (callee-saved registers,
 * stack and frame pointer, return address).
 */
struct lhc_jmpbuf {
	uint64_t regs[32];
};

/*
 * Save the calling context in jb, then call f(). If f (or anything it
 * calls on the same thread) calls lhc_jmp_longjmp(jb), control returns from
 * lhc_jmp_set; if f returns, lhc_jmp_set returns too. Either way the return
 * happens exactly once.
 */
void lhc_jmp_set(struct lhc_jmpbuf *jb, void (*f)(void));
void lhc_jmp_longjmp(struct lhc_jmpbuf *jb) __attribute__((noreturn));

/* ---- virtio-mmio devices (LHC_CAP_VDEV) -------------------------------- */

/*
 * The platform emulates virtio-mmio devices (virtio 1.x register layout)
 * whose backends the caller supplies; the kernel drives them with its own
 * virtio drivers. Device windows lie inside [LHC_IOMEM_BASE, LHC_IOMEM_END),
 * a range that is never memory, so the kernel can tell a device register
 * from RAM by its address alone. docs/hypercall.md section 15.
 */
#define LHC_IOMEM_BASE 0xffffff0000000000ull
#define LHC_IOMEM_END 0xffffff8000000000ull

struct lhc_iovec {
	void *base;
	size_t len;
};

#define LHC_BLK_READ 0
#define LHC_BLK_WRITE 1
#define LHC_BLK_FLUSH 4

/* A block backend. Both calls run on the thread that notified the device
 * (holding the kernel's CPU), one at a time per device. */
struct lhc_blk_backend {
	/* Size in bytes, a multiple of 512; 0 or LHC_EIO. */
	int (*capacity)(void *ctx, uint64_t *bytes);
	/* type LHC_BLK_*; sector in 512-byte units; iov/count the data.
	 * 0, LHC_EIO, LHC_ENOSPC, or LHC_ENOSYS (unsupported type). */
	int (*request)(void *ctx, int type, uint64_t sector,
		       const struct lhc_iovec *iov, int count);
	int read_only; /* non-zero: the device offers VIRTIO_BLK_F_RO */
};

struct lhc_vdev;

/* Where a device sits: its register window and its interrupt line. */
struct lhc_vdev_info {
	uint64_t base;
	uint32_t size;
	int irq;
};

/*
 * Create a virtio-blk device over be/ctx (both owned by the caller, valid
 * until lhc_vdev_destroy returns). Devices created before the kernel reads
 * the "cmdline" parameter are announced there as
 * "virtio_mmio.device=SIZE@BASE:IRQ". LHC_EINVAL (be or a callback NULL),
 * LHC_EIO (capacity failed), LHC_EAGAIN (no window or IRQ line left),
 * LHC_ENOMEM.
 */
int lhc_vdev_blk_create(const struct lhc_blk_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info);

/*
 * Optional (LHC_ENOSYS where the platform has no host files): a virtio-blk
 * device over the host's file or block device `handle` (a file descriptor
 * on posix), which stays the caller's. read_only non-zero makes it
 * read-only; a handle not open for writing does too.
 */
int lhc_vdev_blk_create_host(long handle, int read_only, struct lhc_vdev **ret,
			     struct lhc_vdev_info *info);

/*
 * A network backend (virtio-net, device id 1), part of LHC_CAP_VDEV;
 * docs/hypercall.md section 15, "Network devices". The platform calls tx on
 * the thread that notified the transmit queue (or its tx-retry thread) and
 * rx on its rx thread; rx and tx of one device may run concurrently, each
 * one at a time; poll may run on both device threads at once. Neither tx
 * nor rx may block. Frames carry a struct virtio_net_hdr_v1 (12 bytes) in
 * front iff vnet_hdr is non-zero.
 */
#define LHC_NET_POLL_RX 1  /* rx may now return a frame */
#define LHC_NET_POLL_TX 2  /* tx may now accept a frame */
#define LHC_NET_POLL_HUP 4 /* the link is gone, or poll_hup was called */
#define LHC_NET_HDR_LEN 12 /* sizeof(struct virtio_net_hdr_v1) */

struct lhc_net_backend {
	/* Send exactly one frame, the concatenation of iov[0..count). 0, or
	 * LHC_EAGAIN (not sent, retry after poll reports LHC_NET_POLL_TX), or
	 * LHC_EIO (dropped). */
	int (*tx)(void *ctx, const struct lhc_iovec *iov, int count);
	/* Receive exactly one frame into iov[0..count): its length in bytes
	 * (>= 0), or a negated code: -LHC_EAGAIN "none now" (nothing
	 * consumed), -LHC_ERANGE (a frame longer than iov: consumed and
	 * dropped), -LHC_EIO (hang-up: the link is gone). */
	long (*rx)(void *ctx, const struct lhc_iovec *iov, int count);
	/* Block until one of events (LHC_NET_POLL_RX | _TX) may succeed, or
	 * until hang-up / poll_hup; returns the LHC_NET_POLL_* bits that
	 * hold (at least one). */
	int (*poll)(void *ctx, int events);
	/* Make a poll in progress, and every later one, return
	 * LHC_NET_POLL_HUP. Any thread. */
	void (*poll_hup)(void *ctx);
	uint8_t mac[6];
	int has_mac;      /* non-zero: the device offers VIRTIO_NET_F_MAC */
	uint32_t mtu;     /* non-zero: the device offers VIRTIO_NET_F_MTU */
	int vnet_hdr;     /* frames carry the 12-byte header (see above) */
	uint32_t offload; /* with vnet_hdr: LHC_NET_OFF_* the backend accepts */
};

#define LHC_NET_OFF_CSUM 1 /* partial checksums both ways */
#define LHC_NET_OFF_TSO4 2 /* TCPv4 segmentation offload both ways */
#define LHC_NET_OFF_TSO6 4 /* TCPv6 segmentation offload both ways */

/*
 * Create a virtio-net device over be/ctx (both the caller's, valid until
 * lhc_vdev_destroy returns); it starts device threads that poll the
 * backend (lhc_vdev_destroy calls poll_hup and joins them). Errors as
 * lhc_vdev_blk_create (LHC_EINVAL: be or a callback NULL, offload without
 * vnet_hdr).
 */
int lhc_vdev_net_create(const struct lhc_net_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info);

/* Host backends for lhc_vdev_net_create_host. */
#define LHC_NET_HOST_STREAM 1 /* connected stream socket: 4-byte BE length */
#define LHC_NET_HOST_DGRAM 2  /* datagram socket: one frame per datagram */
#define LHC_NET_HOST_TAP 3    /* spec: TAP interface name */
#define LHC_NET_HOST_RAW 4    /* spec: host interface (AF_PACKET) */

/*
 * Optional (LHC_ENOSYS where the platform has none): a virtio-net device
 * over a host link. STREAM/DGRAM: handle is an already connected socket
 * (it stays the caller's) or, with handle -1, spec is "unix:PATH",
 * "listen:PATH" or "udp:HOST:PORT:LOCALPORT". TAP/RAW: spec names the
 * interface, handle is ignored. offload (LHC_NET_OFF_*) applies to TAP
 * only and is reduced to what the host supports. mtu 0 means 1500. mac
 * NULL leaves the MAC to the kernel. LHC_ENOENT: no such interface or
 * path; LHC_EINVAL: bad handle, kind or spec; LHC_EPERM; and those of
 * lhc_vdev_net_create.
 */
int lhc_vdev_net_create_host(int kind, const char *spec, long handle,
			     uint32_t offload, uint32_t mtu,
			     const uint8_t *mac, struct lhc_vdev **ret,
			     struct lhc_vdev_info *info);

/* Remove a device; its window and IRQ line become free. The kernel MUST
 * have stopped using it. NULL does nothing. */
void lhc_vdev_destroy(struct lhc_vdev *dev);

/*
 * Kernel -> platform: a size 1, 2, 4 or 8 byte access at addr inside a
 * device window (read into *val, or write *val). LHC_EINVAL outside every
 * window or for another size. Any thread that holds the kernel's CPU; a
 * write may process requests and raise the device's IRQ before it returns.
 */
int lhc_iomem_access(uint64_t addr, void *val, int size, int write);

/* ---- standard streams (LHC_CAP_STDIO) ----------------------------------- */

/*
 * The host's standard input, output and error (a process's fds 0, 1 and 2
 * on posix), so that a program's own fds 0/1/2 can be kernel files whose
 * bytes still reach whoever started it. docs/hypercall.md section 16.
 */
#define LHC_STDIO_OUT 1
#define LHC_STDIO_ERR 2

/*
 * Write all len bytes to stream (LHC_STDIO_OUT or LHC_STDIO_ERR) before
 * returning, in order; one call's bytes are not interleaved with another
 * lhc_stdio_write's on that stream. Blocks while the host stream is full.
 * LHC_EINVAL (bad stream, buf NULL with len > 0), LHC_EPIPE (nobody reads
 * the stream any more), LHC_EIO (any other host error); after a failure
 * some of the bytes may have been written.
 */
int lhc_stdio_write(int stream, const void *buf, size_t len);

/*
 * Start serving standard input: *irq receives the interrupt line
 * (2..LHC_IRQ_MAX) the platform raises when input it was asked for
 * arrives; no device has it, or gets it, until lhc_stdio_in_close. No host
 * input is read before the first lhc_stdio_in_read. LHC_EINVAL (irq NULL),
 * LHC_EBUSY (already open), LHC_EAGAIN (no line or thread left),
 * LHC_ENOMEM. Does not block.
 */
int lhc_stdio_in_open(int *irq);

/*
 * Never blocks. 0 with *got in 1..len: input bytes, each delivered once;
 * 0 with *got == 0: end of input (reported once per end the host reports);
 * LHC_EAGAIN: nothing yet, and the line will be raised (at least once)
 * when input or its end is there; LHC_EIO: the host cannot read its input
 * (reported once, like an end). LHC_EINVAL: buf or got NULL, len 0, or
 * standard input not open.
 */
int lhc_stdio_in_read(void *buf, size_t len, size_t *got);

/*
 * Stop serving standard input: the line is raised no more and becomes
 * free; input read ahead and not delivered is dropped. Does nothing when
 * not open. Blocks until the platform's reader has stopped (never for
 * host input).
 */
void lhc_stdio_in_close(void);

/* ---- PCI (LHC_CAP_PCI) -------------------------------------------------- */

/*
 * A PCI host bridge for segment 0, so that Linux enumerates the machine's
 * PCI devices, assigns their BARs itself and runs its own drivers on them
 * (virtio_pci, virtio_net, virtio_blk). Interrupts are MSI/MSI-X only: the
 * platform tells which memory write raises which line; INTx is not routed.
 * Window addresses are both CPU and bus addresses; accesses in
 * [LHC_IOMEM_BASE, LHC_IOMEM_END) go through lhc_iomem_access, others are
 * plain loads and stores. Memory from lhc_malloc is DMA-able at its own
 * address. docs/hypercall.md section 17.
 */

/*
 * Configuration space of bus (0..255), devfn (device << 3 | function) at
 * offset (0..4095, a multiple of size), size 1, 2 or 4 bytes, little-endian
 * in the low bytes of the value. A function that does not exist, or an
 * offset the platform cannot reach (>= 256 without extended configuration
 * space), reads as all ones and ignores writes. LHC_EINVAL for arguments
 * outside those ranges (or val NULL). Never blocks; any thread, also with
 * the kernel's interrupts off.
 */
int lhc_pci_cfg_read(int bus, int devfn, int offset, int size, uint32_t *val);
int lhc_pci_cfg_write(int bus, int devfn, int offset, int size, uint32_t val);

/*
 * Memory window index (0, 1, ...) the caller may place BARs in: [*base,
 * *base + *size). LHC_ENOENT past the last one (there is at least one);
 * LHC_EINVAL for a NULL pointer. Windows never overlap memory or each
 * other and do not change between lhc_init and lhc_fini. There is no I/O
 * port window: BARs decoding port I/O stay unassigned.
 */
int lhc_pci_window(int index, uint64_t *base, uint64_t *size);

/*
 * Reserve an interrupt line (2..LHC_IRQ_MAX) that no device, standard
 * input or other allocation has, for one MSI/MSI-X vector: after a
 * device's memory write of *data to *addr the platform calls
 * irq_raise(*irq) at least once (from thread context; writes before the
 * kernel runs the line may be merged). *addr is below 4 GiB and 4-byte
 * aligned, *data below 65536, so MSI and MSI-X both carry them.
 * LHC_EINVAL (a NULL pointer), LHC_EAGAIN (no line or vector left).
 */
int lhc_pci_msi_alloc(int *irq, uint64_t *addr, uint32_t *data);

/* Give a line from lhc_pci_msi_alloc back, after the device stopped using
 * the message; it is raised no more. Anything else is ignored. */
void lhc_pci_msi_free(int irq);

/* ---- exit and panic ---------------------------------------------------- */

/*
 * End the machine (or process) with this status, which becomes the guest's
 * exit status where the platform can report one. Does not return.
 */
void lhc_exit(int status) __attribute__((noreturn));

/* Print msg and end with a non-zero status. Does not return. */
void lhc_panic(const char *msg) __attribute__((noreturn));

#endif /* LUNIK_HYPERCALL_H */
