/* posix platform: virtio-mmio devices (LHC_CAP_VDEV) on platforms/common
 * (device slots: windows, IRQ lines, the announcement) and the host-file
 * block backend. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "../common/vdev.h"
#include "hostsys.h"
#include "posix.h"

struct host_file {
	int fd;
	struct lhc_blk_backend be;
};

/* The device slots (platforms/common/vdev_slots.c): windows
 * LHC_IOMEM_BASE + i * VDEV_WINDOW_SIZE, IRQ lines i + 2. Device threads
 * run truly in parallel here, so the table has a mutex. */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void *slot_alloc(size_t size)
{
	return calloc(1, size);
}

static void slot_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

static void slots_lock_take(void)
{
	pthread_mutex_lock(&slots_lock);
}

static void slots_lock_give(void)
{
	pthread_mutex_unlock(&slots_lock);
}

static void raise_line(int irq)
{
	if (posix_upcalls && posix_upcalls->irq_raise)
		posix_upcalls->irq_raise(irq);
}

/* v->host: the host file of lhc_vdev_blk_create_host, or the host link
 * of lhc_vdev_net_create_host (net.c); 0 for a caller's backend. */
static void host_free(struct lhc_vdev *v)
{
	if (v->is_net)
		posix_net_host_free(v->host);
	else
		free(v->host);
}

static const struct vdev_slots_ops slots_ops = {
	.alloc = slot_alloc,
	.free = slot_free,
	.lock = slots_lock_take,
	.unlock = slots_lock_give,
	.raise = raise_line,
	.destroyed = host_free,
};

static struct vdev_slots slots = { .ops = &slots_ops };

int lhc_vdev_net_create(const struct lhc_net_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	return lunik_vdev_slots_net_create(&slots, be, ctx, ret, info);
}

int lhc_vdev_blk_create(const struct lhc_blk_backend *be, void *ctx,
			struct lhc_vdev **ret, struct lhc_vdev_info *info)
{
	return lunik_vdev_slots_blk_create(&slots, be, ctx, ret, info);
}

void lhc_vdev_destroy(struct lhc_vdev *v)
{
	lunik_vdev_slots_destroy(&slots, v);
}

int lhc_iomem_access(uint64_t addr, void *val, int size, int write)
{
	return lunik_vdev_slots_access(&slots, addr, val, size, write);
}

/* Standard input's line (stdio.c), from the top of the slots. */
int posix_vdev_line_reserve(int *irq)
{
	return lunik_vdev_slots_line_reserve(&slots, irq);
}

void posix_vdev_line_release(int irq)
{
	lunik_vdev_slots_line_release(&slots, irq);
}

size_t posix_vdev_cmdline(char *buf, size_t len, int lead)
{
	return lunik_vdev_slots_cmdline(&slots, buf, len, lead);
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
	(*ret)->host = f;
	return 0;
}

void posix_vdev_set_host_net(struct lhc_vdev *v, void *h)
{
	v->host = h;
}
