// SPDX-License-Identifier: GPL-2.0
/* lkl: the PCI host bridge over LHC_CAP_PCI (docs/hypercall.md section 17). */

/*
 * Configuration space, the windows BARs are assigned from and MSI/MSI-X
 * messages all come from the platform. Linux does the rest as on a PC
 * whose firmware assigned nothing: it scans bus 0 (and any bridges), gives
 * every BAR an address in the windows and binds its own drivers. Window
 * addresses are CPU and bus addresses at once, so ioremap (the identity
 * here) and readl/writel reach a BAR directly, or through
 * lhc_iomem_access inside LHC_IOMEM (asm/io.h). DMA is the direct
 * mapping: a page's physical address is its pointer, which is what the
 * platform promises a device sees.
 *
 * Interrupts are messages only: the platform routes no INTx, so every
 * device's pin interrupt maps to "none" and drivers use MSI-X or MSI.
 * Each vector gets a line from lhc_pci_msi_alloc (the legacy
 * arch_setup_msi_irq path: one message per line, no irq domain needed);
 * the line's chip masks and unmasks through the device's own MSI-X table
 * or MSI capability.
 */

#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include "internal.h"

#define LKL_PCI_MAX_WINDOWS 4

static int lkl_pci_err(int err)
{
	return err == LHC_EINVAL ? PCIBIOS_BAD_REGISTER_NUMBER :
				   PCIBIOS_FUNC_NOT_SUPPORTED;
}

static int lkl_pci_read(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 *val)
{
	uint32_t v;
	int err = lhc_pci_cfg_read(bus->number, devfn, where, size, &v);

	if (err)
		return lkl_pci_err(err);
	*val = v;
	return PCIBIOS_SUCCESSFUL;
}

static int lkl_pci_write(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 val)
{
	int err = lhc_pci_cfg_write(bus->number, devfn, where, size, val);

	return err ? lkl_pci_err(err) : PCIBIOS_SUCCESSFUL;
}

static struct pci_ops lkl_pci_ops = {
	.read	= lkl_pci_read,
	.write	= lkl_pci_write,
};

/* No INTx: dev->irq becomes 0 ("none"), so a driver falls back to
 * nothing rather than to a line that belongs to another device. */
static int lkl_pci_map_irq(const struct pci_dev *dev, u8 slot, u8 pin)
{
	return 0;
}

/*
 * lkl_sys_halt gives the kernel's memory back to the platform, so no
 * device may write into it afterwards. The virtio bus resets its devices
 * at shutdown; this (from machine_restart, after every driver's shutdown)
 * stops bus mastering on every function.
 */
void lkl_pci_halt(void)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev)
		pci_clear_master(pdev);
}

static struct resource lkl_pci_busn = DEFINE_RES_NAMED(0, 256, "PCI busn",
							IORESOURCE_BUS);
static struct resource lkl_pci_mem[LKL_PCI_MAX_WINDOWS];

static int __init lkl_pci_init(void)
{
	struct pci_host_bridge *bridge;
	int i, nwin = 0, err;

	if (!(lkl_lhc_caps & LHC_CAP_PCI))
		return 0; /* no PCI on this platform: no bus at all */

	bridge = pci_alloc_host_bridge(0);
	if (!bridge)
		return -ENOMEM;
	pci_add_resource(&bridge->windows, &lkl_pci_busn);
	for (i = 0; i < LKL_PCI_MAX_WINDOWS; i++) {
		struct resource *r = &lkl_pci_mem[nwin];
		uint64_t base, size;

		if (lhc_pci_window(i, &base, &size))
			break;
		if (!size || base + size - 1 < base) {
			pr_warn("lkl: PCI window %d [%#llx, +%#llx) is empty or wraps: ignored\n",
				i, base, size);
			continue;
		}
		r->name = "PCI mem";
		r->start = base;
		r->end = base + size - 1;
		r->flags = IORESOURCE_MEM;
		if (request_resource(&iomem_resource, r)) {
			pr_warn("lkl: PCI window %pR overlaps another resource: ignored\n", r);
			continue;
		}
		pci_add_resource(&bridge->windows, r);
		nwin++;
	}
	if (!nwin)
		pr_warn("lkl: the platform offers no usable PCI window: BARs stay unassigned\n");

	bridge->ops = &lkl_pci_ops;
	bridge->busnr = 0;
	bridge->map_irq = lkl_pci_map_irq;
	err = pci_host_probe(bridge);
	if (err) {
		pr_err("lkl: PCI host bridge: %d\n", err);
		pci_free_host_bridge(bridge);
		while (nwin)
			release_resource(&lkl_pci_mem[--nwin]);
		return err;
	}
	return 0;
}
/* after the PCI core (postcore), before drivers register (device) */
subsys_initcall(lkl_pci_init);

#ifdef CONFIG_PCI_MSI
static int lkl_msi_retrigger(struct irq_data *d)
{
	/* an edge that came while the line was disabled (lazily): replay it */
	lkl_irq_mark_pending(d->irq);
	return 1;
}

static struct irq_chip lkl_msi_chip = {
	.name		= "lkl-msi",
	.irq_mask	= pci_msi_mask_irq,
	.irq_unmask	= pci_msi_unmask_irq,
	.irq_retrigger	= lkl_msi_retrigger,
};

int arch_setup_msi_irq(struct pci_dev *pdev, struct msi_desc *desc)
{
	struct msi_msg msg = { 0 };
	uint64_t addr;
	uint32_t data;
	int irq, err;

	err = lhc_pci_msi_alloc(&irq, &addr, &data);
	if (err)
		return err == LHC_EAGAIN ? -ENOSPC : -EINVAL;
	if (irq < 2 || irq > LHC_IRQ_MAX || irq >= NR_IRQS) {
		pci_err(pdev, "lkl: the platform gave MSI line %d\n", irq);
		lhc_pci_msi_free(irq);
		return -EINVAL;
	}
	irq_set_chip_and_handler_name(irq, &lkl_msi_chip, handle_simple_irq,
				      desc->pci.msi_attrib.is_msix ? "msix" : "msi");
	err = irq_set_msi_desc(irq, desc);
	if (err) {
		lkl_irq_set_default(irq);
		lhc_pci_msi_free(irq);
		return err;
	}
	msg.address_lo = lower_32_bits(addr);
	msg.address_hi = upper_32_bits(addr);
	msg.data = data;
	pci_write_msi_msg(irq, &msg);
	return 0;
}

/* The core masked the vector (or disabled MSI) before calling this. */
void arch_teardown_msi_irq(unsigned int irq)
{
	irq_set_msi_desc(irq, NULL);
	lkl_irq_set_default(irq);
	lhc_pci_msi_free(irq);
}
#endif
