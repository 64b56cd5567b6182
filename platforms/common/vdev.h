/* platforms/common: virtio-mmio device emulation shared by platforms. */
#ifndef LUNIK_COMMON_VDEV_H
#define LUNIK_COMMON_VDEV_H

#include <lunik/hypercall.h>

/*
 * One emulated virtio-mmio device: the transport state (registers, queues)
 * plus a device type (virtio-blk so far). A platform embeds or allocates
 * one per device, gives it a window and an IRQ line, routes accesses to
 * its window to vdev_mmio_access and raises the IRQ when that says so.
 * This code uses hypercall.h only (lhc_mutex_* for the per-device lock).
 */

#define VDEV_WINDOW_SIZE 0x1000u
#define VDEV_MAX_QUEUES 2
#define VDEV_QUEUE_MAX 256

struct vdev;

struct vdev_queue {
	uint16_t num;
	uint16_t ready;
	uint64_t desc, avail, used;
	uint16_t last_avail; /* next avail entry the device will take */
	uint16_t used_idx;   /* the device's copy of used->idx */
};

/* What a device type provides to the transport. */
struct vdev_type {
	uint32_t device_id;
	uint32_t nqueues;
	/* Read config space bytes [off, off+len) into buf (bounds checked by
	 * the transport against config_len). */
	uint32_t config_len;
	void (*config_read)(struct vdev *d, uint32_t off, void *buf, int len);
	/* Process what the driver made available on queue q. */
	void (*notify)(struct vdev *d, struct vdev_queue *q);
	/* Optional: forget device state tied to queue q (being reset or
	 * unreadied), or to all queues when q is 0 (device reset). Called
	 * under the device lock before the transport clears the queue. */
	void (*reset)(struct vdev *d, struct vdev_queue *q);
};

struct vdev {
	const struct vdev_type *type;
	void *priv;
	struct lhc_mutex *lock;
	uint64_t host_features;
	uint64_t guest_features;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint32_t status;
	uint32_t isr;
	uint32_t generation;
	int irq_wanted; /* set by the queue code while processing */
	struct vdev_queue q[VDEV_MAX_QUEUES];
};

/* Feature bits this transport knows. */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Set up the transport part (allocates the lock): 0 or LHC_ENOMEM. */
int lunik_vdev_init(struct vdev *d, const struct vdev_type *type, void *priv,
	      uint64_t features);
void lunik_vdev_fini(struct vdev *d);

/*
 * An access at offset off of the device's window. Returns 0, or LHC_EINVAL
 * for a bad size. *raise is set when the platform must raise the device's
 * IRQ line (after this returns: no device lock is then held).
 */
int lunik_vdev_mmio_access(struct vdev *d, uint32_t off, void *val, int size,
		     int write, int *raise);

/* ---- for device types: walking and completing chains --------------- */

#define VDEV_MAX_SEGS (VDEV_QUEUE_MAX + 4)

struct vdev_seg {
	void *base;
	uint32_t len;
	int writable; /* device writes it */
};

/* Take the next available chain from q: its head in *head and its
 * segments (indirect tables followed). Returns the number of segments, 0
 * if nothing is available, -1 for a malformed chain (the head is still
 * returned, to be completed with length 0). */
int lunik_vdev_queue_pop(struct vdev *d, struct vdev_queue *q, uint16_t *head,
		   struct vdev_seg *segs, int max);
/* Put chain head on the used ring with len bytes written; decides, with
 * the event index, whether the driver wants an interrupt. */
void lunik_vdev_queue_push(struct vdev *d, struct vdev_queue *q, uint16_t head,
		     uint32_t len);

/* ---- virtio-blk ----------------------------------------------------- */

struct vdev_blk {
	struct vdev dev;
	const struct lhc_blk_backend *be;
	void *ctx;
	uint64_t capacity; /* bytes */
	char serial[20];
};

/* A virtio-blk device over be/ctx; serial is its GET_ID string (up to 20
 * bytes). 0, LHC_EINVAL, LHC_EIO (capacity failed) or LHC_ENOMEM. */
int lunik_vdev_blk_init(struct vdev_blk *b, const struct lhc_blk_backend *be,
		  void *ctx, const char *serial);
void lunik_vdev_blk_fini(struct vdev_blk *b);

/* ---- virtio-net ----------------------------------------------------- */

struct vdev_net {
	struct vdev dev;
	const struct lhc_net_backend *be;
	void *ctx;
	/* raise the device's IRQ line from a device thread (no lock held) */
	void (*raise)(void *arg);
	void *raise_arg;
	struct lhc_thread *rx_thread, *tx_thread;
	struct lhc_sem *rx_kick, *tx_kick;
	int stop; /* atomic */
	int rx_starved;	/* the rx thread waits for buffers on rx_kick */
	int tx_blocked;	/* tx said EAGAIN: the tx thread retries the chain below */
	int link_down;
	uint16_t tx_head;
	int tx_n;
	struct vdev_seg tx_segs[VDEV_MAX_SEGS];
	uint8_t mac[6];
	uint32_t mtu;
};

/* A virtio-net device over be/ctx with an rx and a tx-retry thread, which
 * call raise(raise_arg) to raise the IRQ. 0, LHC_EINVAL, LHC_ENOMEM or
 * lhc_thread_create's error. */
int lunik_vdev_net_init(struct vdev_net *n, const struct lhc_net_backend *be,
			void *ctx, void (*raise)(void *), void *raise_arg);
/* Stops the threads (poll_hup) and frees the transport. */
void lunik_vdev_net_fini(struct vdev_net *n);

/* ---- device slots: windows, lines, the announcement (vdev_slots.c) -- */

/*
 * Slot i is the window LHC_IOMEM_BASE + i * VDEV_WINDOW_SIZE and the
 * interrupt line i + 2 (lines 2..LHC_IRQ_MAX). A platform keeps one
 * struct vdev_slots, implements lhc_vdev_blk_create, lhc_vdev_net_create,
 * lhc_vdev_destroy and lhc_iomem_access by calling the functions below on
 * it, and supplies in ops what differs between platforms.
 */
#define VDEV_NSLOTS (LHC_IRQ_MAX - 1)

struct vdev_slots;

/* A device: what the public struct lhc_vdev handle points to. */
struct lhc_vdev {
	int is_net;
	union {
		struct vdev_blk blk;
		struct vdev_net net;
	};
	struct vdev_slots *owner;
	int slot;
	int ready; /* set under the table lock once the device is initialised */
	void *host; /* the platform's (a host file or link), freed by ops->destroyed */
};

struct vdev_slots_ops {
	/* Zeroed memory for a struct lhc_vdev, or 0; and giving it back. */
	void *(*alloc)(size_t size);
	void (*free)(void *p, size_t size);
	/* The table lock, or both 0 where nothing runs in parallel (one CPU,
	 * cooperative threads). Held around table updates and lookups (and
	 * ops->alloc), never around a device access, raise or destroyed. */
	void (*lock)(void);
	void (*unlock)(void);
	/* Raise interrupt line irq (from lhc_iomem_access, with no lock held,
	 * and from a virtio-net device's threads). */
	void (*raise)(int irq);
	/* Optional: the device's threads have stopped; free what the platform
	 * hung on v->host. Called by lunik_vdev_slots_destroy before v goes. */
	void (*destroyed)(struct lhc_vdev *v);
};

struct vdev_slots {
	const struct vdev_slots_ops *ops;
	/* a device, a reserved line (never ready) or 0 */
	struct lhc_vdev *slot[VDEV_NSLOTS];
};

/* lhc_vdev_net_create / lhc_vdev_blk_create in the lowest free slot:
 * that function's contract (LHC_EAGAIN when no slot is left). A blk
 * device's serial is "lhc-<window base in hex>". */
int lunik_vdev_slots_net_create(struct vdev_slots *s,
				const struct lhc_net_backend *be, void *ctx,
				struct lhc_vdev **ret, struct lhc_vdev_info *info);
int lunik_vdev_slots_blk_create(struct vdev_slots *s,
				const struct lhc_blk_backend *be, void *ctx,
				struct lhc_vdev **ret, struct lhc_vdev_info *info);
/* lhc_vdev_destroy: the window stops answering, the device stops, then
 * its slot is free again. */
void lunik_vdev_slots_destroy(struct vdev_slots *s, struct lhc_vdev *v);
/* lhc_iomem_access for the device windows. */
int lunik_vdev_slots_access(struct vdev_slots *s, uint64_t addr, void *val,
			    int size, int write);
/* Hold an interrupt line no device may get (the highest free slot's;
 * LHC_EAGAIN when all are taken), and give it back. */
int lunik_vdev_slots_line_reserve(struct vdev_slots *s, int *irq);
void lunik_vdev_slots_line_release(struct vdev_slots *s, int irq);
/* Write " virtio_mmio.device=SIZE@BASE:IRQ" for every ready device into
 * buf (no NUL; the first without its space unless lead), each only when
 * it fits in len; returns the length all need. */
size_t lunik_vdev_slots_cmdline(struct vdev_slots *s, char *buf, size_t len,
				int lead);

/* Freestanding helpers (the compiler's builtins). */
#define vdev_memcpy __builtin_memcpy
#define vdev_memset __builtin_memset

#endif
