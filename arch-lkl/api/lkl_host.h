/* lkl public API: the host operations a program sees (LKL-compatible). */
#ifndef _LKL_HOST_H
#define _LKL_HOST_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Source-compatible with LKL's struct lkl_host_operations: an LKL program
 * passes &lkl_host_ops to lkl_init() and may use its members (threads,
 * semaphores, mutexes, TLS, time, timers) for its own synchronisation.
 *
 * In lunik the kernel reaches its host through the link-time bound lhc_*
 * hypercalls, so the members here are adapters over those calls. The kernel
 * itself reads only print (NULL discards the kernel log) and panic (called
 * before the platform ends the program on a kernel panic); programs set those
 * before lkl_init(). Members are only ever appended.
 */
struct lkl_sem;
struct lkl_mutex;
struct lkl_tls_key;
typedef unsigned long lkl_thread_t;

/* Room for any platform's saved context (see lhc_jmp_set). */
struct lkl_jmp_buf {
	unsigned long buf[128];
};

struct lkl_host_operations {
	/* virtio-mmio devices to announce on the command line (reserved). */
	const char *virtio_devices;
	void (*print)(const char *str, int len);
	void (*panic)(void);

	struct lkl_sem *(*sem_alloc)(int count);
	void (*sem_free)(struct lkl_sem *sem);
	void (*sem_up)(struct lkl_sem *sem);
	void (*sem_down)(struct lkl_sem *sem);

	struct lkl_mutex *(*mutex_alloc)(int recursive);
	void (*mutex_free)(struct lkl_mutex *mutex);
	void (*mutex_lock)(struct lkl_mutex *mutex);
	void (*mutex_unlock)(struct lkl_mutex *mutex);

	/* Joinable threads; 0 on failure. */
	lkl_thread_t (*thread_create)(void (*f)(void *), void *arg);
	void (*thread_detach)(void);
	void (*thread_exit)(void);
	int (*thread_join)(lkl_thread_t tid);
	lkl_thread_t (*thread_self)(void);
	int (*thread_equal)(lkl_thread_t a, lkl_thread_t b);
	long (*gettid)(void);

	struct lkl_tls_key *(*tls_alloc)(void (*destructor)(void *));
	void (*tls_free)(struct lkl_tls_key *key);
	int (*tls_set)(struct lkl_tls_key *key, void *data);
	void *(*tls_get)(struct lkl_tls_key *key);

	void *(*mem_alloc)(unsigned long size);
	void (*mem_free)(void *ptr);
	void *(*page_alloc)(unsigned long size);
	void (*page_free)(void *addr, unsigned long size);

	/* Monotonic nanoseconds. */
	unsigned long long (*time)(void);
	void *(*timer_alloc)(void (*fn)(void *), void *arg);
	int (*timer_set_oneshot)(void *timer, unsigned long delta_ns);
	void (*timer_free)(void *timer);

	void (*jmp_buf_set)(struct lkl_jmp_buf *jmpb, void (*f)(void));
	void (*jmp_buf_longjmp)(struct lkl_jmp_buf *jmpb, int val);

	void *(*memcpy)(void *dest, const void *src, unsigned long count);
	void *(*memset)(void *s, int c, unsigned long count);
};

/* The operations of this platform, over its hypercalls. */
extern struct lkl_host_operations lkl_host_ops;

/*
 * Disks (LKL-compatible). A disk is served by the platform's virtio-blk
 * emulation; the kernel drives it with its own virtio_blk driver. With
 * ops NULL, fd is a host file or block device (a platform with host files
 * only); otherwise ops->request serves each request. struct iovec is the C
 * library's (<sys/uio.h>): { void *iov_base; size_t iov_len; }.
 */
struct iovec;
struct lkl_dev_blk_ops;

struct lkl_disk {
	void *dev;
	union {
		int fd;
		void *handle;
	};
	struct lkl_dev_blk_ops *ops;
};

#define LKL_DEV_BLK_TYPE_READ 0
#define LKL_DEV_BLK_TYPE_WRITE 1
#define LKL_DEV_BLK_TYPE_FLUSH 4
#define LKL_DEV_BLK_TYPE_FLUSH_OUT 5

#define LKL_DEV_BLK_STATUS_OK 0
#define LKL_DEV_BLK_STATUS_IOERR 1
#define LKL_DEV_BLK_STATUS_UNSUP 2

struct lkl_blk_req {
	unsigned int type;
	unsigned long long sector;
	struct iovec *buf;
	int count;
};

struct lkl_dev_blk_ops {
	/* the size in bytes; 0 or a negative errno */
	int (*get_capacity)(struct lkl_disk disk, unsigned long long *res);
	/* one request; an LKL_DEV_BLK_STATUS_* */
	int (*request)(struct lkl_disk disk, struct lkl_blk_req *req);
};

/*
 * Network devices (LKL-compatible). A netdev is served by the platform's
 * virtio-net emulation; the kernel drives it with its own virtio_net
 * driver. The creators in <lkl.h> (lkl_netdev_tap_create, ..._raw_create,
 * ..._socket_create, ..._stream_create) make netdevs over host links
 * that the platform opens; an LKL program may instead fill ops itself.
 */
struct lkl_dev_net_ops;

struct lkl_netdev {
	struct lkl_dev_net_ops *ops;
	int id;
	unsigned char has_vnet_hdr : 1;
};

#define LKL_DEV_NET_POLL_RX 1
#define LKL_DEV_NET_POLL_TX 2
#define LKL_DEV_NET_POLL_HUP 4

struct lkl_dev_net_ops {
	/* send one frame (with a struct virtio_net_hdr_v1 in front if
	 * has_vnet_hdr): bytes sent, or < 0 to retry after poll says TX */
	int (*tx)(struct lkl_netdev *nd, struct iovec *iov, int cnt);
	/* receive one frame: its length, or < 0 for "none now" */
	int (*rx)(struct lkl_netdev *nd, struct iovec *iov, int cnt);
	/* block until rx or tx may succeed; LKL_DEV_NET_POLL_* bits */
	int (*poll)(struct lkl_netdev *nd);
	/* make poll return LKL_DEV_NET_POLL_HUP */
	void (*poll_hup)(struct lkl_netdev *nd);
	void (*free)(struct lkl_netdev *nd);
};

struct lkl_netdev_args {
	void *mac;	      /* 6 bytes, or NULL: a random local MAC */
	unsigned int offload; /* virtio-net feature bits (1 << LKL_VIRTIO_NET_F_*) to offer */
};

#ifdef __cplusplus
}
#endif

#endif
