/* hw platform: the PCI group (LHC_CAP_PCI): ports 0xCF8/0xCFC, one BAR
 * window below 4 GiB, MSI/MSI-X delivered by the local APIC. */
#include "hw.h"

/*
 * Configuration space: mechanism #1 (address at 0xCF8, data at 0xCFC),
 * which every PC chipset QEMU models answers (i440FX on `pc`, the MCH on
 * `q35`). It reaches 256 bytes per function; higher offsets read as all
 * ones, as docs/hypercall.md allows: the extended (ECAM) space needs the
 * MCH's PCIEXBAR, which nobody programmed. No function is hidden: the
 * platform's own devices (UART, APICs, PIT, RTC) are not PCI functions.
 *
 * The window: from the last RAM below 4 GiB (at least 3 GiB, rounded up
 * to 2 MiB) to the IOAPIC at 0xFEC00000. boot.S maps the first 4 GiB
 * and mem.c makes its non-RAM part uncached, so a BAR there is reached
 * by plain loads and stores at its own address. Linux assigns every BAR
 * itself, whatever firmware (if any ran) had done. No window above
 * 4 GiB: it would need page tables for it.
 *
 * Interrupts: an MSI line is held through vdev.c's line reservation (so
 * no device or standard input gets it) and has a vector of its own,
 * HW_VEC_MSI + line - 2. Its message is a fixed, edge-triggered delivery
 * of that vector to this CPU's local APIC. The handler (cpu.c) only sets
 * the line's bit; the event thread raises it (hw_pci_service), in thread
 * context as upcalls must be. Threads alone touch everything else here.
 */

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc
#define MIB (1ull << 20)
#define WIN_FLOOR 0xc0000000ull
#define WIN_END 0xfec00000ull /* the IOAPIC; the LAPIC and BIOS above */
#define MSI_ADDR 0xfee00000u

static int present;
static uint64_t win_base;
static uint32_t apic_id;
static uint64_t msi_lines;		/* bit per line held by an allocation */
static volatile uint64_t msi_pending;	/* bit per line, set by handlers */
static int raising = -1;		/* the line in irq_raise now */
static struct hw_waitq raised;		/* frees waiting for that raise */

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void select_reg(int bus, int devfn, int offset)
{
	hw_outl(CFG_ADDR, 0x80000000u | (uint32_t)bus << 16 |
				  (uint32_t)devfn << 8 | ((uint32_t)offset & 0xfc));
}

static int args_ok(int bus, int devfn, int offset, int size)
{
	return bus >= 0 && bus <= 255 && devfn >= 0 && devfn <= 255 &&
	       (size == 1 || size == 2 || size == 4) && offset >= 0 &&
	       offset + size <= 4096 && offset % size == 0;
}

int lhc_pci_cfg_read(int bus, int devfn, int offset, int size, uint32_t *val)
{
	uint32_t v;

	if (!present)
		return LHC_ENOSYS;
	if (!val || !args_ok(bus, devfn, offset, size))
		return LHC_EINVAL;
	if (offset >= 256) {
		v = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	} else {
		/* an absent function reads as all ones by itself */
		select_reg(bus, devfn, offset);
		v = size == 1 ? hw_inb((uint16_t)(CFG_DATA + (offset & 3))) :
		    size == 2 ? inw((uint16_t)(CFG_DATA + (offset & 2))) :
				inl(CFG_DATA);
	}
	*val = v;
	return 0;
}

int lhc_pci_cfg_write(int bus, int devfn, int offset, int size, uint32_t val)
{
	if (!present)
		return LHC_ENOSYS;
	if (!args_ok(bus, devfn, offset, size))
		return LHC_EINVAL;
	if (offset >= 256)
		return 0;
	select_reg(bus, devfn, offset);
	if (size == 1)
		hw_outb((uint16_t)(CFG_DATA + (offset & 3)), (uint8_t)val);
	else if (size == 2)
		outw((uint16_t)(CFG_DATA + (offset & 2)), (uint16_t)val);
	else
		hw_outl(CFG_DATA, val);
	return 0;
}

int lhc_pci_window(int index, uint64_t *base, uint64_t *size)
{
	if (!present)
		return LHC_ENOSYS;
	if (!base || !size)
		return LHC_EINVAL;
	if (index != 0)
		return LHC_ENOENT;
	*base = win_base;
	*size = WIN_END - win_base;
	return 0;
}

int lhc_pci_msi_alloc(int *irq, uint64_t *addr, uint32_t *data)
{
	int line, err;

	if (!present)
		return LHC_ENOSYS;
	if (!irq || !addr || !data)
		return LHC_EINVAL;
	err = hw_vdev_line_reserve(&line);
	if (err)
		return err;
	msi_lines |= 1ull << line;
	__atomic_fetch_and(&msi_pending, ~(1ull << line), __ATOMIC_SEQ_CST);
	*irq = line;
	*addr = MSI_ADDR | apic_id << 12;
	*data = (uint32_t)(HW_VEC_MSI + line - 2); /* fixed, edge */
	return 0;
}

void lhc_pci_msi_free(int irq)
{
	if (irq < 2 || irq > LHC_IRQ_MAX || !(msi_lines >> irq & 1))
		return;
	msi_lines &= ~(1ull << irq);
	__atomic_fetch_and(&msi_pending, ~(1ull << irq), __ATOMIC_SEQ_CST);
	/* an irq_raise in progress finishes before the line is free */
	while (raising == irq && !hw_on_event_thread())
		hw_wait(&raised, HW_NEVER);
	hw_vdev_line_release(irq);
}

/* Interrupt context (cpu.c): record an MSI vector's line. */
void hw_pci_interrupt(int vector)
{
	if (vector >= HW_VEC_MSI && vector < HW_VEC_MSI + LHC_IRQ_MAX - 1)
		__atomic_fetch_or(&msi_pending, 1ull << (vector - HW_VEC_MSI + 2),
				  __ATOMIC_SEQ_CST);
}

int hw_pci_pending(void)
{
	return msi_pending != 0;
}

/* On the event thread: raise the lines whose messages came. */
void hw_pci_service(void)
{
	uint64_t p = __atomic_exchange_n(&msi_pending, 0, __ATOMIC_SEQ_CST);

	while (p) {
		int line = __builtin_ctzll(p);

		p &= p - 1;
		if (!(msi_lines >> line & 1))
			continue; /* freed meanwhile */
		raising = line;
		hw_raise(line);
		raising = -1;
		hw_wake_all(&raised);
	}
}

/* At lhc_init: whether a host bridge answers, and the window. */
uint32_t hw_pci_init(void)
{
	uint64_t top = WIN_FLOOR;
	uint32_t r[4];
	int i;

	hw_outl(CFG_ADDR, 0x80000000u);
	present = inl(CFG_ADDR) == 0x80000000u;
	hw_outl(CFG_ADDR, 0);
	if (present) {
		select_reg(0, 0, 0);
		present = inl(CFG_DATA) != 0xffffffffu;
	}
	for (i = 0; i < hw_nram; i++) {
		uint64_t b = hw_ram[i].base, e = b + hw_ram[i].len;

		if (b < WIN_END && e > top)
			top = e;
	}
	win_base = (top + 2 * MIB - 1) & ~(2 * MIB - 1);
	hw_cpuid(1, 0, r);
	apic_id = r[1] >> 24; /* the initial APIC ID, as xAPIC messages name it */
	if (win_base >= WIN_END)
		present = 0; /* RAM up to the APICs: no room for BARs */
	msi_lines = 0;
	msi_pending = 0;
	return present ? LHC_CAP_PCI : 0;
}

/* At lhc_fini: lines still allocated are freed. */
void hw_pci_fini(void)
{
	for (int line = 2; line <= LHC_IRQ_MAX; line++)
		lhc_pci_msi_free(line);
}
