/* platforms/common: virtio-blk over a caller-supplied lhc_blk_backend. */
#include "vdev.h"

#define VIRTIO_ID_BLOCK 2
#define BLK_F_SIZE_MAX 1
#define BLK_F_SEG_MAX 2
#define BLK_F_RO 5
#define BLK_F_BLK_SIZE 6
#define BLK_F_FLUSH 9

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8

#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2

#define BLK_SEG_MAX (VDEV_MAX_SEGS - 2)
#define BLK_SIZE_MAX (1u << 20)
#define BLK_ID_BYTES 20

/* struct virtio_blk_config up to blk_size (24 bytes). */
static void blk_config_read(struct vdev *d, uint32_t off, void *buf, int len)
{
	struct vdev_blk *b = d->priv;
	uint8_t cfg[24];
	uint64_t sectors = b->capacity / 512;
	uint32_t size_max = BLK_SIZE_MAX, seg_max = BLK_SEG_MAX, bsz = 512;

	vdev_memset(cfg, 0, sizeof(cfg));
	vdev_memcpy(cfg + 0, &sectors, 8);
	vdev_memcpy(cfg + 8, &size_max, 4);
	vdev_memcpy(cfg + 12, &seg_max, 4);
	vdev_memcpy(cfg + 20, &bsz, 4);
	if (off < sizeof(cfg))
		vdev_memcpy(buf, cfg + off,
			    (size_t)(off + (uint32_t)len <= sizeof(cfg) ? (uint32_t)len : sizeof(cfg) - off));
}

/* Copy n bytes starting at byte off of the segment list into dst. */
static int gather(const struct vdev_seg *s, int n, uint32_t off, void *dst,
		  uint32_t len)
{
	uint8_t *p = dst;

	for (int i = 0; i < n && len; i++) {
		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		uint32_t k = s[i].len - off < len ? s[i].len - off : len;

		vdev_memcpy(p, (uint8_t *)s[i].base + off, k);
		p += k;
		len -= k;
		off = 0;
	}
	return len ? -1 : 0;
}

static uint8_t do_request(struct vdev_blk *b, struct vdev_seg *segs, int n,
			  uint32_t *written)
{
	struct lhc_iovec iov[VDEV_MAX_SEGS];
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} hdr;
	uint64_t bytes = 0;
	int count = 0, err, i;
	uint32_t skip = sizeof(hdr);

	if (gather(segs, n, 0, &hdr, sizeof(hdr)))
		return BLK_S_IOERR;
	/* the data: everything after the header but the last byte (status) */
	segs[n - 1].len--;
	for (i = 0; i < n; i++) {
		if (skip >= segs[i].len) {
			skip -= segs[i].len;
			continue;
		}
		iov[count].base = (uint8_t *)segs[i].base + skip;
		iov[count].len = segs[i].len - skip;
		bytes += iov[count].len;
		count++;
		skip = 0;
	}
	switch (hdr.type) {
	case BLK_T_IN:
	case BLK_T_OUT:
		if (bytes % 512 || hdr.sector > b->capacity / 512 ||
		    bytes / 512 > b->capacity / 512 - hdr.sector)
			return BLK_S_IOERR;
		if (hdr.type == BLK_T_OUT && b->be->read_only)
			return BLK_S_IOERR;
		err = b->be->request(b->ctx, hdr.type == BLK_T_IN ? LHC_BLK_READ : LHC_BLK_WRITE,
				     hdr.sector, iov, count);
		if (err == LHC_ENOSYS)
			return BLK_S_UNSUPP;
		if (err)
			return BLK_S_IOERR;
		if (hdr.type == BLK_T_IN)
			*written = (uint32_t)bytes;
		return BLK_S_OK;
	case BLK_T_FLUSH:
		err = b->be->request(b->ctx, LHC_BLK_FLUSH, 0, iov, 0);
		return err == LHC_ENOSYS ? BLK_S_UNSUPP : err ? BLK_S_IOERR : BLK_S_OK;
	case BLK_T_GET_ID: {
		uint32_t left = BLK_ID_BYTES;

		for (i = 0; i < count && left; i++) {
			uint32_t k = iov[i].len < left ? (uint32_t)iov[i].len : left;

			vdev_memcpy(iov[i].base, b->serial + (BLK_ID_BYTES - left), k);
			left -= k;
			*written += k;
		}
		return BLK_S_OK;
	}
	default:
		return BLK_S_UNSUPP;
	}
}

static void blk_notify(struct vdev *d, struct vdev_queue *q)
{
	struct vdev_blk *b = d->priv;
	struct vdev_seg segs[VDEV_MAX_SEGS];
	uint16_t head;
	int n;

	while ((n = lunik_vdev_queue_pop(d, q, &head, segs, VDEV_MAX_SEGS)) != 0) {
		uint32_t written = 0;
		uint8_t status;

		/* needs a header (readable) and a status byte (writable) */
		if (n < 2 || !segs[n - 1].writable || !segs[n - 1].len) {
			lunik_vdev_queue_push(d, q, head, 0);
			continue;
		}
		status = do_request(b, segs, n, &written);
		*((uint8_t *)segs[n - 1].base + segs[n - 1].len) = status;
		lunik_vdev_queue_push(d, q, head, written + 1);
	}
}

static const struct vdev_type blk_type = {
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.config_len = 24,
	.config_read = blk_config_read,
	.notify = blk_notify,
};

int lunik_vdev_blk_init(struct vdev_blk *b, const struct lhc_blk_backend *be,
		  void *ctx, const char *serial)
{
	uint64_t features = (1ull << BLK_F_SIZE_MAX) | (1ull << BLK_F_SEG_MAX) |
			    (1ull << BLK_F_BLK_SIZE) | (1ull << BLK_F_FLUSH);
	uint64_t cap = 0;
	int i;

	if (!be || !be->capacity || !be->request)
		return LHC_EINVAL;
	if (be->capacity(ctx, &cap))
		return LHC_EIO;
	if (be->read_only)
		features |= 1ull << BLK_F_RO;
	vdev_memset(b, 0, sizeof(*b));
	b->be = be;
	b->ctx = ctx;
	b->capacity = cap & ~511ull;
	for (i = 0; serial && serial[i] && i < BLK_ID_BYTES; i++)
		b->serial[i] = serial[i];
	return lunik_vdev_init(&b->dev, &blk_type, b, features);
}

void lunik_vdev_blk_fini(struct vdev_blk *b)
{
	lunik_vdev_fini(&b->dev);
}
