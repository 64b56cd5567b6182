/* posix platform: the PCI group (LHC_CAP_PCI), which a process does not have. */
#include "posix.h"

/*
 * A Linux process has no PCI bus to hand to the kernel, and its devices
 * are virtio-mmio ones (vdev.c), so lhc_init leaves LHC_CAP_PCI clear and
 * the kernel creates no host bridge. The calls still exist, since they are
 * bound at link time, and answer as docs/hypercall.md section 17 says a
 * platform without the group does.
 */

int lhc_pci_cfg_read(int bus, int devfn, int offset, int size, uint32_t *val)
{
	(void)bus, (void)devfn, (void)offset, (void)size, (void)val;
	return LHC_ENOSYS;
}

int lhc_pci_cfg_write(int bus, int devfn, int offset, int size, uint32_t val)
{
	(void)bus, (void)devfn, (void)offset, (void)size, (void)val;
	return LHC_ENOSYS;
}

int lhc_pci_window(int index, uint64_t *base, uint64_t *size)
{
	(void)index, (void)base, (void)size;
	return LHC_ENOSYS;
}

int lhc_pci_msi_alloc(int *irq, uint64_t *addr, uint32_t *data)
{
	(void)irq, (void)addr, (void)data;
	return LHC_ENOSYS;
}

void lhc_pci_msi_free(int irq)
{
	(void)irq;
}
