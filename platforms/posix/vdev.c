/* posix platform: virtio-mmio devices (LHC_CAP_VDEV) on platforms/common,
 * their windows and IRQ lines, and the host-file block backend. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "../common/vdev.h"
#include "hostsys.h"
#include "posix.h"

/* Slot i: window LHC_IOMEM_BASE + i * VDEV_WINDOW_SIZE, IRQ line i + 2. */
#define NSLOTS (LHC_IRQ_MAX - 1)

struct host_file {
	int fd;
	struct lhc_blk_backend be;
};

struct lhc_vdev {
	int is_net;
	union {
		struct vdev_blk blk;
		struct vdev_net net;
	};
	int slot;
	int ready; /* set under slots_lock once the device is initialised */
	struct host_file *file; /* lhc_vdev_blk_create_host only */
	void *host_net; /* lhc_vdev_net_create_host only (net.c) */
};

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lhc_vdev *slots[NSLOTS];

/* A fresh device with a reserved slot (not reachable by address until
 * ready is set): 0, LHC_ENOMEM or LHC_EAGAIN. */
static int slot_reserve(struct lhc_vdev **ret)
{
	struct lhc_vdev *v = calloc(1, sizeof(*v));
	int i;

	if (!v)
		return LHC_ENOMEM;
	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < NSLOTS && slots[i]; i++)
		;
	if (i == NSLOTS) {
		pthread_mutex_unlock(&slots_lock);
		free(v);
		return LHC_EAGAIN;
	}
	v->slot = i;
	slots[i] = v;
	pthread_mutex_unlock(&slots_lock);
	*ret = v;
	return 0;
}

static void slot_release(struct lhc_vdev *v)
{
	pthread_mutex_lock(&slots_lock);
	slots[v->slot] = NULL;
	pthread_mutex_unlock(&slots_lock);
	free(v);
}

/*
 * An interrupt line held by something that is not a device (standard
 * input, stdio.c): its slot points here, is never ready, and so is skipped
 * by window accesses and the cmdline announcement like a slot being set
 * up. Taken from the top, so devices keep their windows from slot 0 up.
 */
static struct lhc_vdev line_only;

int posix_vdev_line_reserve(int *irq)
{
	int i;

	pthread_mutex_lock(&slots_lock);
	for (i = NSLOTS - 1; i >= 0 && slots[i]; i--)
		;
	if (i >= 0)
		slots[i] = &line_only;
	pthread_mutex_unlock(&slots_lock);
	if (i < 0)
		return LHC_EAGAIN;
	*irq = i + 2;
	return 0;
}

void posix_vdev_line_release(int irq)
{
	pthread_mutex_lock(&slots_lock);
	if (irq >= 2 && irq - 2 < NSLOTS && slots[irq - 2] == &line_only)
		slots[irq - 2] = NULL;
	pthread_mutex_unlock(&slots_lock);
}

static void slot_ready(struct lhc_vdev *v, struct lhc_vdev_info *info)
{
	pthread_mutex_lock(&slots_lock);
	v->ready = 1;
	pthread_mutex_unlock(&slots_lock);
	info->base = LHC_IOMEM_BASE + (uint64_t)v->slot * VDEV_WINDOW_SIZE;
	info->size = VDEV_WINDOW_SIZE;
	info->irq = v->slot + 2;
}

static void net_raise(void *arg)
{
	struct lhc_vdev *v = arg;

	if (posix_upcalls && posix_upcalls->irq_raise)
		posix_upcalls->irq_raise(v->slot + 2);
}

int lhc_vdev_net_create(const struct lhc_net_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	struct lhc_vdev *v;
	int err;

	if (!ret || !info)
		return LHC_EINVAL;
	err = slot_reserve(&v);
	if (err)
		return err;
	v->is_net = 1;
	err = lunik_vdev_net_init(&v->net, be, ctx, net_raise, v);
	if (err) {
		slot_release(v);
		return err;
	}
	slot_ready(v, info);
	*ret = v;
	return 0;
}

int lhc_vdev_blk_create(const struct lhc_blk_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	struct lhc_vdev *v;
	char serial[21];
	int err, i;

	if (!ret || !info)
		return LHC_EINVAL;
	err = slot_reserve(&v);
	if (err)
		return err;
	i = v->slot;

	/* The serial names the window, so the caller can find the disk. */
	snprintf(serial, sizeof(serial), "lhc-%llx",
		 (unsigned long long)(LHC_IOMEM_BASE + (uint64_t)i * VDEV_WINDOW_SIZE));
	err = lunik_vdev_blk_init(&v->blk, be, ctx, serial);
	if (err) {
		slot_release(v);
		return err;
	}
	slot_ready(v, info);
	*ret = v;
	return 0;
}

void lhc_vdev_destroy(struct lhc_vdev *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&slots_lock);
	slots[v->slot] = NULL;
	pthread_mutex_unlock(&slots_lock);
	if (v->is_net) {
		lunik_vdev_net_fini(&v->net);
		posix_net_host_free(v->host_net);
	} else {
		lunik_vdev_blk_fini(&v->blk);
	}
	free(v->file);
	free(v);
}

int lhc_iomem_access(uint64_t addr, void *val, int size, int write)
{
	struct lhc_vdev *v;
	uint64_t i;
	int raise, err;

	if (addr < LHC_IOMEM_BASE || !val)
		return LHC_EINVAL;
	i = (addr - LHC_IOMEM_BASE) / VDEV_WINDOW_SIZE;
	if (i >= NSLOTS)
		return LHC_EINVAL;
	pthread_mutex_lock(&slots_lock);
	v = slots[i] && slots[i]->ready ? slots[i] : NULL;
	pthread_mutex_unlock(&slots_lock);
	/* the kernel stops using a device before destroying it */
	if (!v)
		return LHC_EINVAL;
	if ((addr - LHC_IOMEM_BASE) % VDEV_WINDOW_SIZE + (uint64_t)size > VDEV_WINDOW_SIZE)
		return LHC_EINVAL;
	err = lunik_vdev_mmio_access(v->is_net ? &v->net.dev : &v->blk.dev, (uint32_t)((addr - LHC_IOMEM_BASE) % VDEV_WINDOW_SIZE),
			       val, size, write, &raise);
	if (!err && raise && posix_upcalls && posix_upcalls->irq_raise)
		posix_upcalls->irq_raise(v->slot + 2);
	return err;
}

/* " virtio_mmio.device=SIZE@BASE:IRQ" for every device, appended to the
 * cmdline parameter. Returns the length it needs (snprintf-style). */
size_t posix_vdev_cmdline(char *buf, size_t len)
{
	size_t n = 0;
	int i;

	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < NSLOTS; i++) {
		char one[80];
		int k;

		if (!slots[i] || !slots[i]->ready)
			continue;
		k = snprintf(one, sizeof(one), " virtio_mmio.device=%u@0x%llx:%d",
			     VDEV_WINDOW_SIZE,
			     (unsigned long long)(LHC_IOMEM_BASE + (uint64_t)i * VDEV_WINDOW_SIZE),
			     i + 2);
		if (n + (size_t)k < len)
			memcpy(buf + n, one, (size_t)k + 1);
		n += (size_t)k;
	}
	pthread_mutex_unlock(&slots_lock);
	return n;
}

/* ---- the host-file backend ------------------------------------------ */

/* The host file is reached with raw calls (hostsys.h), whatever libc the
 * program uses. */
static int file_capacity(void *ctx, uint64_t *bytes)
{
	struct host_file *f = ctx;
	struct host_stat st;

	if (host_fstat(f->fd, &st))
		return LHC_EIO;
	if (HOST_S_ISBLK(st.st_mode)) {
		uint64_t sz;

		if (host_ioctl(f->fd, HOST_BLKGETSIZE64, &sz))
			return LHC_EIO;
		*bytes = sz & ~511ull;
		return 0;
	}
	*bytes = (uint64_t)st.st_size & ~511ull;
	return 0;
}

static int file_request(void *ctx, int type, uint64_t sector,
			const struct lhc_iovec *iov, int count)
{
	struct host_file *f = ctx;
	int64_t off = (int64_t)(sector * 512);
	int i = 0;

	if (type == LHC_BLK_FLUSH)
		return host_fdatasync(f->fd) ? LHC_EIO : 0;
	if (type != LHC_BLK_READ && type != LHC_BLK_WRITE)
		return LHC_ENOSYS;
	/* struct lhc_iovec has struct iovec's layout; loop for short I/O */
	_Static_assert(sizeof(struct lhc_iovec) == sizeof(struct iovec), "iovec");
	while (i < count) {
		struct iovec v[64];
		int n = 0;
		long r;
		size_t want = 0;

		while (n < 64 && i + n < count) {
			v[n].iov_base = iov[i + n].base;
			v[n].iov_len = iov[i + n].len;
			want += v[n].iov_len;
			n++;
		}
		r = type == LHC_BLK_READ ? host_preadv(f->fd, v, n, off) : host_pwritev(f->fd, v, n, off);
		if (r < 0)
			return r == -ENOSPC ? LHC_ENOSPC : LHC_EIO;
		if ((size_t)r != want) {
			/* short: finish segment by segment */
			for (int k = 0; k < n; k++) {
				size_t done = 0;

				while (done < v[k].iov_len) {
					long q = type == LHC_BLK_READ ?
						host_pread(f->fd, (char *)v[k].iov_base + done, v[k].iov_len - done, off + (int64_t)done) :
						host_pwrite(f->fd, (char *)v[k].iov_base + done, v[k].iov_len - done, off + (int64_t)done);
					if (q < 0)
						return q == -ENOSPC ? LHC_ENOSPC : LHC_EIO;
					if (q == 0) {
						if (type == LHC_BLK_WRITE)
							return LHC_EIO;
						memset((char *)v[k].iov_base + done, 0, v[k].iov_len - done);
						break;
					}
					done += (size_t)q;
				}
				off += (int64_t)v[k].iov_len;
			}
		} else {
			off += (int64_t)want;
		}
		i += n;
	}
	return 0;
}

int lhc_vdev_blk_create_host(long handle, int read_only, struct lhc_vdev **ret,
			     struct lhc_vdev_info *info)
{
	struct host_file *f;
	int fl, err;

	if (handle < 0 || handle > 0x7fffffff || !ret || !info)
		return LHC_EINVAL;
	fl = (int)host_fcntl((int)handle, F_GETFL, 0);
	if (fl < 0)
		return LHC_EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return LHC_ENOMEM;
	f->fd = (int)handle;
	f->be.capacity = file_capacity;
	f->be.request = file_request;
	f->be.read_only = read_only || (fl & O_ACCMODE) == O_RDONLY;
	err = lhc_vdev_blk_create(&f->be, f, ret, info);
	if (err) {
		free(f);
		return err;
	}
	(*ret)->file = f;
	return 0;
}

void posix_vdev_set_host_net(struct lhc_vdev *v, void *h)
{
	v->host_net = h;
}
