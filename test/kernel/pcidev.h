/* pcidev.h: the platform half of pciemu.c: a PCI bus with a host bridge and
 * a virtio-blk-pci function behind wrapped lhc_pci_* and lhc_iomem_access
 * calls, MSI-X messages decoded back into lines, and the virtio 1.x PCI
 * transport over platforms/common's device model. Included once, by
 * pciemu.c (which says how the program is linked). */
#ifndef PCIDEV_H
#define PCIDEV_H

#include <pthread.h>

#include <lunik/hypercall.h>

#include "../../platforms/common/vdev.h"
#include "ktest.h"

/* ---- the platform side: wrapped hypercalls ---------------------------- */

int __real_lhc_init(int version, const struct lhc_upcalls *up, uint32_t *caps);
int __real_lhc_iomem_access(uint64_t addr, void *val, int size, int write);

#define WIN_BASE (LHC_IOMEM_BASE + 0x10000000ull)
#define WIN_SIZE (16ull << 20)
#define BLK_DEVFN (3 << 3)

#define MSI_ADDR 0xfee00000u
#define MSI_DATA(line) (0x4000u + (uint32_t)(line))
#define MSI_FIRST 40
#define MSI_LINES 8

static const struct lhc_upcalls *upcalls;
static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static int msi_used[MSI_LINES], msi_allocs, msi_frees, msi_raised;

int __wrap_lhc_init(int version, const struct lhc_upcalls *up, uint32_t *caps);
int __wrap_lhc_init(int version, const struct lhc_upcalls *up, uint32_t *caps)
{
	int err = __real_lhc_init(version, up, caps);

	if (!err) {
		upcalls = up;
		*caps |= LHC_CAP_PCI;
	}
	return err;
}

/* Config space of one function: plain bytes with per-byte write masks,
 * and BARs kept apart (size masks, flag bits). */
struct bar {
	uint32_t size;	/* 0: not implemented */
	uint32_t flags; /* low bits a read shows */
	uint32_t raw;
	int hi;		/* upper half of the 64-bit BAR before it */
};

struct fn {
	uint8_t cfg[256], wmask[256];
	struct bar bar[6];
};

static struct fn bridge, blk;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* A virtio vendor capability: type, BAR 4, offset, length. */
static void vcap(int at, int next, int len, int type, uint32_t off)
{
	uint8_t *c = blk.cfg + at;

	c[0] = 0x09;
	c[1] = (uint8_t)next;
	c[2] = (uint8_t)len;
	c[3] = (uint8_t)type;
	c[4] = 4;
	put32(c + 8, off);
	put32(c + 12, 0x1000);
}

#define CMD_IO 0x1
#define CMD_MEM 0x2
#define CMD_MASTER 0x4
#define CMD_INTX_OFF 0x400
#define MSIX_CAP 0x40
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000
#define NVEC 4

static void pci_setup(void)
{
	/* 00:00.0: an i440FX host bridge, nothing writable but the
	 * interrupt line scratch register */
	put32(bridge.cfg, 0x12378086);
	put32(bridge.cfg + 8, 0x06000002);
	bridge.wmask[0x3c] = 0xff;

	/* 00:03.0: transitional virtio-blk (device 0x1001, subsystem 2) */
	put32(blk.cfg, 0x10011af4);
	put16(blk.cfg + 6, 0x0010);	     /* status: capability list */
	put32(blk.cfg + 8, 0x01000000);	     /* SCSI storage, revision 0 */
	put32(blk.cfg + 0x2c, 0x00021af4);   /* subsystem */
	blk.cfg[0x34] = MSIX_CAP;
	blk.cfg[0x3d] = 1;		     /* INTA (never routed) */
	blk.wmask[0x04] = CMD_IO | CMD_MEM | CMD_MASTER;
	blk.wmask[0x05] = CMD_INTX_OFF >> 8;
	blk.wmask[0x3c] = 0xff;
	blk.bar[0] = (struct bar){ .size = 64, .flags = 0x1 };	 /* I/O */
	blk.bar[2] = (struct bar){ .size = 0x1000, .flags = 0x4 }; /* MSI-X */
	blk.bar[3] = (struct bar){ .size = 0, .hi = 1 };
	blk.bar[4] = (struct bar){ .size = 0x4000, .flags = 0xc }; /* 64-bit pref */
	blk.bar[5] = (struct bar){ .size = 0, .hi = 1 };

	/* MSI-X: 4 vectors, table at BAR 2 + 0, PBA at BAR 2 + 0x800 */
	blk.cfg[MSIX_CAP] = 0x11;
	blk.cfg[MSIX_CAP + 1] = 0x4c;
	put16(blk.cfg + MSIX_CAP + 2, NVEC - 1);
	blk.wmask[MSIX_CAP + 3] = (MSIX_ENABLE | MSIX_MASKALL) >> 8;
	put32(blk.cfg + MSIX_CAP + 4, 0x000 | 2);
	put32(blk.cfg + MSIX_CAP + 8, 0x800 | 2);
	/* virtio: common 0x0000, ISR 0x1000, device 0x2000, notify 0x3000 */
	vcap(0x4c, 0x5c, 16, 1, 0x0000);
	vcap(0x5c, 0x6c, 16, 3, 0x1000);
	vcap(0x6c, 0x7c, 16, 4, 0x2000);
	vcap(0x7c, 0x00, 20, 2, 0x3000);
	put32(blk.cfg + 0x7c + 16, 4); /* notify_off_multiplier */
}

static struct fn *find_fn(int bus, int devfn)
{
	if (bus != 0)
		return NULL;
	return devfn == 0 ? &bridge : devfn == BLK_DEVFN ? &blk : NULL;
}

static uint32_t bar_read(const struct fn *f, int i)
{
	const struct bar *b = &f->bar[i];

	if (b->hi)
		return f->bar[i].raw;
	if (!b->size)
		return 0;
	return (b->raw & ~(b->size - 1)) | b->flags;
}

static uint64_t bar_addr(int i)
{
	uint64_t a = bar_read(&blk, i) & ~0xfull;

	if (blk.bar[i].flags & 0x4)
		a |= (uint64_t)bar_read(&blk, i + 1) << 32;
	return a;
}

static uint8_t cfg_byte(const struct fn *f, int off)
{
	if (off >= 0x10 && off < 0x28)
		return (uint8_t)(bar_read(f, (off - 0x10) / 4) >> (8 * (off & 3)));
	return f->cfg[off];
}

static int cfg_args_ok(int bus, int devfn, int off, int size)
{
	return bus >= 0 && bus <= 255 && devfn >= 0 && devfn <= 255 &&
	       (size == 1 || size == 2 || size == 4) && off >= 0 &&
	       off + size <= 4096 && off % size == 0;
}

int __wrap_lhc_pci_cfg_read(int bus, int devfn, int off, int size, uint32_t *val);
int __wrap_lhc_pci_cfg_read(int bus, int devfn, int off, int size, uint32_t *val)
{
	struct fn *f = find_fn(bus, devfn);
	uint32_t v = 0;

	if (!val || !cfg_args_ok(bus, devfn, off, size))
		return LHC_EINVAL;
	pthread_mutex_lock(&cfg_lock);
	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | (f && off < 256 ? cfg_byte(f, off + i) : 0xff);
	pthread_mutex_unlock(&cfg_lock);
	*val = v;
	return 0;
}

static void msix_deliver_pending(void);

int __wrap_lhc_pci_cfg_write(int bus, int devfn, int off, int size, uint32_t val);
int __wrap_lhc_pci_cfg_write(int bus, int devfn, int off, int size, uint32_t val)
{
	struct fn *f = find_fn(bus, devfn);

	if (!cfg_args_ok(bus, devfn, off, size))
		return LHC_EINVAL;
	if (!f || off >= 256)
		return 0;
	pthread_mutex_lock(&cfg_lock);
	for (int i = 0; i < size; i++) {
		int o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (o >= 0x10 && o < 0x28) {
			struct bar *r = &f->bar[(o - 0x10) / 4];
			int sh = 8 * (o & 3);

			r->raw = (r->raw & ~(0xffu << sh)) | (uint32_t)b << sh;
		} else {
			f->cfg[o] = (f->cfg[o] & ~f->wmask[o]) | (b & f->wmask[o]);
		}
	}
	pthread_mutex_unlock(&cfg_lock);
	if (f == &blk)
		msix_deliver_pending(); /* MSI-X may have been unmasked */
	return 0;
}

int __wrap_lhc_pci_window(int index, uint64_t *base, uint64_t *size);
int __wrap_lhc_pci_window(int index, uint64_t *base, uint64_t *size)
{
	if (!base || !size)
		return LHC_EINVAL;
	if (index != 0)
		return LHC_ENOENT;
	*base = WIN_BASE;
	*size = WIN_SIZE;
	return 0;
}

int __wrap_lhc_pci_msi_alloc(int *irq, uint64_t *addr, uint32_t *data);
int __wrap_lhc_pci_msi_alloc(int *irq, uint64_t *addr, uint32_t *data)
{
	if (!irq || !addr || !data)
		return LHC_EINVAL;
	for (int i = 0; i < MSI_LINES; i++) {
		if (__atomic_exchange_n(&msi_used[i], 1, __ATOMIC_SEQ_CST))
			continue;
		__atomic_add_fetch(&msi_allocs, 1, __ATOMIC_SEQ_CST);
		*irq = MSI_FIRST + i;
		*addr = MSI_ADDR;
		*data = MSI_DATA(MSI_FIRST + i);
		return 0;
	}
	return LHC_EAGAIN;
}

void __wrap_lhc_pci_msi_free(int irq);
void __wrap_lhc_pci_msi_free(int irq)
{
	if (irq >= MSI_FIRST && irq < MSI_FIRST + MSI_LINES &&
	    __atomic_exchange_n(&msi_used[irq - MSI_FIRST], 0, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&msi_frees, 1, __ATOMIC_SEQ_CST);
}

/* ---- the device: MSI-X table and the virtio-pci transport ------------- */

#define NO_VECTOR 0xffff
#define STATUS_FEATURES_OK 8u

static struct vdev_blk disk_dev;
static uint32_t msix_table[NVEC][4]; /* addr lo, addr hi, data, control */
static uint64_t msix_pba;
static uint16_t config_vector = NO_VECTOR, queue_vector[VDEV_MAX_QUEUES];

static uint16_t msix_ctrl(void)
{
	return (uint16_t)(blk.cfg[MSIX_CAP + 2] | blk.cfg[MSIX_CAP + 3] << 8);
}

/* The device's memory write of vector v's message: decode it into a line
 * and raise that. Called with no lock held. */
static void msix_send(int v)
{
	uint32_t data = msix_table[v][2];
	uint64_t addr = msix_table[v][0] | (uint64_t)msix_table[v][1] << 32;
	int line = (int)data - (int)MSI_DATA(0);

	if (addr != MSI_ADDR || line < MSI_FIRST || line >= MSI_FIRST + MSI_LINES ||
	    !__atomic_load_n(&msi_used[line - MSI_FIRST], __ATOMIC_SEQ_CST)) {
		printf("# MSI-X vector %d: a message nobody allocated (%#llx, %#x)\n",
		       v, (unsigned long long)addr, data);
		return;
	}
	__atomic_add_fetch(&msi_raised, 1, __ATOMIC_SEQ_CST);
	upcalls->irq_raise(line);
}

/* Signal vector v: sent, or left pending while masked. */
static void msix_fire(int v)
{
	int masked;

	if (v == NO_VECTOR || v >= NVEC || !(msix_ctrl() & MSIX_ENABLE))
		return; /* no INTx here: nothing to signal */
	pthread_mutex_lock(&cfg_lock);
	masked = (msix_ctrl() & MSIX_MASKALL) || (msix_table[v][3] & 1);
	if (masked)
		msix_pba |= 1ull << v;
	pthread_mutex_unlock(&cfg_lock);
	if (!masked)
		msix_send(v);
}

static void msix_deliver_pending(void)
{
	for (int v = 0; v < NVEC; v++) {
		int send = 0;

		pthread_mutex_lock(&cfg_lock);
		if ((msix_ctrl() & MSIX_ENABLE) && !(msix_ctrl() & MSIX_MASKALL) &&
		    !(msix_table[v][3] & 1) && (msix_pba >> v & 1)) {
			msix_pba &= ~(1ull << v);
			send = 1;
		}
		pthread_mutex_unlock(&cfg_lock);
		if (send)
			msix_send(v);
	}
}

static int msix_access(uint32_t off, void *val, int size, int write)
{
	uint32_t v = 0;

	if (size != 4)
		return LHC_EINVAL;
	if (off >= 0x800) {
		if (!write)
			v = off == 0x800 ? (uint32_t)msix_pba : 0;
	} else if (off < NVEC * 16) {
		uint32_t *w = &msix_table[off / 16][(off % 16) / 4];

		if (write) {
			memcpy(&v, val, 4);
			pthread_mutex_lock(&cfg_lock);
			*w = (off % 16) == 12 ? (v & 1) : v;
			pthread_mutex_unlock(&cfg_lock);
			msix_deliver_pending();
			return 0;
		}
		v = *w;
	}
	if (!write)
		memcpy(val, &v, 4);
	return 0;
}

static void dev_reset(struct vdev *d)
{
	if (d->type->reset)
		d->type->reset(d, 0);
	d->guest_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	d->status = 0;
	d->isr = 0;
	memset(d->q, 0, sizeof(d->q));
	config_vector = NO_VECTOR;
	for (int i = 0; i < VDEV_MAX_QUEUES; i++)
		queue_vector[i] = NO_VECTOR;
}

static void set_half(uint64_t *p, int hi, uint32_t v)
{
	*p = hi ? (*p & 0xffffffffull) | (uint64_t)v << 32 :
		  (*p & ~0xffffffffull) | v;
}

/* virtio 1.x "common configuration" (virtio spec 4.1.4.3); d locked. */
static uint32_t common_read(struct vdev *d, uint32_t off)
{
	struct vdev_queue *q = d->queue_sel < d->type->nqueues ? &d->q[d->queue_sel] : NULL;

	switch (off) {
	case 0x00: return d->dev_feat_sel;
	case 0x04: return d->dev_feat_sel < 2 ? (uint32_t)(d->host_features >> (32 * d->dev_feat_sel)) : 0;
	case 0x08: return d->drv_feat_sel;
	case 0x0c: return d->drv_feat_sel < 2 ? (uint32_t)(d->guest_features >> (32 * d->drv_feat_sel)) : 0;
	case 0x10: return config_vector;
	case 0x12: return d->type->nqueues;
	case 0x14: return d->status;
	case 0x15: return d->generation;
	case 0x16: return d->queue_sel;
	case 0x18: return q ? (q->num ? q->num : VDEV_QUEUE_MAX) : 0;
	case 0x1a: return q ? queue_vector[d->queue_sel] : NO_VECTOR;
	case 0x1c: return q ? q->ready : 0;
	case 0x1e: return q ? d->queue_sel : 0;
	case 0x20: case 0x24: return q ? (uint32_t)(q->desc >> (off & 4 ? 32 : 0)) : 0;
	case 0x28: case 0x2c: return q ? (uint32_t)(q->avail >> (off & 4 ? 32 : 0)) : 0;
	case 0x30: case 0x34: return q ? (uint32_t)(q->used >> (off & 4 ? 32 : 0)) : 0;
	default: return 0;
	}
}

static void common_write(struct vdev *d, uint32_t off, uint32_t v)
{
	struct vdev_queue *q = d->queue_sel < d->type->nqueues ? &d->q[d->queue_sel] : NULL;

	switch (off) {
	case 0x00: d->dev_feat_sel = v; break;
	case 0x08: d->drv_feat_sel = v; break;
	case 0x0c:
		if (d->drv_feat_sel < 2 && !(d->status & STATUS_FEATURES_OK))
			set_half(&d->guest_features, (int)d->drv_feat_sel,
				 v & (uint32_t)(d->host_features >> (32 * d->drv_feat_sel)));
		break;
	case 0x10: config_vector = v < NVEC ? (uint16_t)v : NO_VECTOR; break;
	case 0x14:
		if (v == 0)
			dev_reset(d);
		else if ((v & STATUS_FEATURES_OK) &&
			 !(d->guest_features >> VIRTIO_F_VERSION_1 & 1))
			d->status = v & ~STATUS_FEATURES_OK;
		else
			d->status = v;
		break;
	case 0x16: d->queue_sel = v; break;
	case 0x18:
		if (q && !q->ready && v && v <= VDEV_QUEUE_MAX && !(v & (v - 1)))
			q->num = (uint16_t)v;
		break;
	case 0x1a: if (q) queue_vector[d->queue_sel] = v < NVEC ? (uint16_t)v : NO_VECTOR; break;
	case 0x1c:
		if (q && v == 1 && !q->ready) {
			if (!q->num)
				q->num = VDEV_QUEUE_MAX;
			q->ready = q->desc && q->avail && q->used;
		}
		break;
	case 0x20: case 0x24: if (q && !q->ready) set_half(&q->desc, off & 4, v); break;
	case 0x28: case 0x2c: if (q && !q->ready) set_half(&q->avail, off & 4, v); break;
	case 0x30: case 0x34: if (q && !q->ready) set_half(&q->used, off & 4, v); break;
	default: break;
	}
}

/* BAR 4: common 0x0000, ISR 0x1000, device config 0x2000, notify 0x3000. */
static int virtio_access(uint32_t off, void *val, int size, int write)
{
	struct vdev *d = &disk_dev.dev;
	uint32_t v = 0;
	int fire = NO_VECTOR;

	if (size != 1 && size != 2 && size != 4)
		return LHC_EINVAL;
	if (write)
		memcpy(&v, val, (size_t)size);
	lhc_mutex_lock(d->lock);
	if (off < 0x1000) {
		/* the driver uses each register's own width (64-bit ones
		 * as two 32-bit halves), so the offset names the register */
		if (write)
			common_write(d, off, v);
		else
			v = common_read(d, off);
	} else if (off < 0x2000) {
		if (!write) {
			v = d->isr;
			d->isr = 0;
		}
	} else if (off < 0x3000) {
		uint32_t c = off - 0x2000;
		uint8_t buf[4] = { 0 };

		if (!write && c < d->type->config_len) {
			uint32_t n = d->type->config_len - c;

			d->type->config_read(d, c, buf, (int)(n < (uint32_t)size ? n : (uint32_t)size));
			memcpy(&v, buf, 4);
		}
	} else if (write) {
		uint32_t index = (off - 0x3000) / 4;

		if (index < d->type->nqueues && d->q[index].ready) {
			d->irq_wanted = 0;
			d->type->notify(d, &d->q[index]);
			if (d->irq_wanted) {
				d->isr |= 1;
				fire = queue_vector[index];
			}
			d->irq_wanted = 0;
		}
	}
	lhc_mutex_unlock(d->lock);
	if (!write)
		memcpy(val, &v, (size_t)size);
	msix_fire(fire);
	return 0;
}

int __wrap_lhc_iomem_access(uint64_t addr, void *val, int size, int write);
int __wrap_lhc_iomem_access(uint64_t addr, void *val, int size, int write)
{
	uint64_t b2, b4;
	uint16_t cmd;

	if (addr < WIN_BASE || addr >= WIN_BASE + WIN_SIZE)
		return __real_lhc_iomem_access(addr, val, size, write);
	pthread_mutex_lock(&cfg_lock);
	cmd = (uint16_t)(blk.cfg[4] | blk.cfg[5] << 8);
	b2 = bar_addr(2);
	b4 = bar_addr(4);
	pthread_mutex_unlock(&cfg_lock);
	if (!(cmd & CMD_MEM))
		return LHC_EINVAL; /* decoding off: nobody answers */
	if (addr >= b2 && addr + (uint64_t)size <= b2 + 0x1000)
		return msix_access((uint32_t)(addr - b2), val, size, write);
	if (addr >= b4 && addr + (uint64_t)size <= b4 + 0x4000)
		return virtio_access((uint32_t)(addr - b4), val, size, write);
	return LHC_EINVAL;
}

#endif
