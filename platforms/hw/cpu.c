/* hw platform: GDT/TSS, IDT and exceptions, the 8259s, LAPIC and IOAPIC. */
#include "hw.h"

/* ---- descriptor tables ------------------------------------------------- */

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern uint64_t hw_gdt[5]; /* boot.S: null, code, data, TSS (2 slots) */
extern const uint64_t hw_stub_table[256]; /* entry.S */

/*
 * Interrupt stacks (the TSS's IST): every gate switches stacks, so the
 * interrupted code's red zone is never written (see entry.S). Hardware
 * interrupts never nest (gates clear IF, handlers never set it), so one
 * stack serves them; exceptions get their own, and the faults that can
 * strike anywhere (NMI, double fault, machine check) a third.
 */
#define IST_IRQ 1
#define IST_EXC 2
#define IST_CRIT 3
static uint8_t ist_stacks[3][16384] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static struct gate idt[256] __attribute__((aligned(16)));

static void load_tables(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	struct dtr gdtr = { 5 * 8 - 1, (uint64_t)(uintptr_t)hw_gdt };
	struct dtr idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	int v;

	for (v = 0; v < 3; v++)
		tss.ist[v] = (uint64_t)(uintptr_t)(ist_stacks[v] + sizeof(ist_stacks[v]));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */
	hw_gdt[3] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		    0x89ull << 40 | ((limit >> 16) & 0xf) << 48 |
		    ((base >> 24) & 0xff) << 56;
	hw_gdt[4] = base >> 32;

	for (v = 0; v < 256; v++) {
		uint64_t off = hw_stub_table[v];
		int ist = v >= 32 ? IST_IRQ : (v == 2 || v == 8 || v == 18) ? IST_CRIT : IST_EXC;

		idt[v] = (struct gate){
			.off_lo = (uint16_t)off,
			.sel = 0x08,
			.ist = (uint8_t)ist,
			.type = 0x8e, /* present, DPL 0, interrupt gate */
			.off_mid = (uint16_t)(off >> 16),
			.off_hi = (uint32_t)(off >> 32),
		};
	}
	__asm__ __volatile__("lgdt %0" : : "m"(gdtr));
	__asm__ __volatile__("ltr %w0" : : "r"(0x18));
	__asm__ __volatile__("lidt %0" : : "m"(idtr));
}

/* ---- exceptions --------------------------------------------------------- */

struct hw_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection",
	"page fault", 0, "x87 FPU error", "alignment check",
	"machine check", "SIMD floating-point", "virtualization",
	"control protection",
};

/* A CPU exception is always fatal here: say what and where, then end
 * the machine as a panic does. */
static void __attribute__((noreturn)) exception(const struct hw_frame *f)
{
	uint64_t cr2;

	__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	hw_puts("lunik: hw: CPU exception ");
	hw_put_dec(f->vector);
	if (exc_names[f->vector]) {
		hw_puts(" (");
		hw_puts(exc_names[f->vector]);
		hw_puts(")");
	}
	hw_puts(", error code ");
	hw_put_hex(f->error);
	hw_puts(", RIP ");
	hw_put_hex(f->rip);
	hw_puts(", RSP ");
	hw_put_hex(f->rsp);
	if (f->vector == 14) {
		hw_puts(", CR2 ");
		hw_put_hex(cr2);
	}
	hw_puts("\n");
	hw_exit_code(HW_EXIT_PANIC);
}

/* ---- the LAPIC ---------------------------------------------------------- */

#define MSR_APIC_BASE 0x1b
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)

static uint64_t lapic;
static int x2apic; /* firmware left the LAPIC in x2APIC mode: MSRs, not MMIO */
static uint64_t lapic_rate; /* timer counts per second (divide by 16) */

static uint32_t lapic_rd(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)hw_rdmsr(0x800 + (reg >> 4));
	return hw_mmio_read32(lapic + reg);
}

static void lapic_wr(uint32_t reg, uint32_t v)
{
	if (x2apic)
		hw_wrmsr(0x800 + (reg >> 4), v);
	else
		hw_mmio_write32(lapic + reg, v);
}

/* This CPU's APIC id, as an IOAPIC destination field (bits 24-31). */
static uint32_t lapic_dest(void)
{
	return x2apic ? lapic_rd(LAPIC_ID) << 24 : lapic_rd(LAPIC_ID) & 0xff000000u;
}

static void lapic_init(void)
{
	uint64_t base = hw_rdmsr(MSR_APIC_BASE);

	hw_wrmsr(MSR_APIC_BASE, base | (1u << 11)); /* global enable */
	x2apic = !!(base & (1u << 10));
	lapic = base & 0xffffff000ull;
	lapic_wr(LAPIC_SVR, 0x100 | HW_VEC_SPURIOUS);
	lapic_wr(LAPIC_TPR, 0);
	lapic_wr(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_wr(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	lapic_wr(LAPIC_LVT_TIMER, LVT_MASKED | HW_VEC_TIMER);
	lapic_wr(LAPIC_TIMER_INIT, 0);
}

void hw_lapic_count_start(void)
{
	lapic_wr(LAPIC_LVT_TIMER, LVT_MASKED | HW_VEC_TIMER);
	lapic_wr(LAPIC_TIMER_INIT, 0xffffffffu);
}

uint32_t hw_lapic_count_stop(void)
{
	uint32_t left = lapic_rd(LAPIC_TIMER_CUR);

	lapic_wr(LAPIC_TIMER_INIT, 0);
	return 0xffffffffu - left;
}

void hw_lapic_set_rate(uint64_t counts_per_sec)
{
	lapic_rate = counts_per_sec ? counts_per_sec : 1;
	if (lapic_rate > 1000000000u)
		lapic_rate = 1000000000u;
}

/*
 * One-shot in counts of the calibrated rate. The scheduler re-checks the
 * TSC clock when it fires, so a rate a little off costs a re-arm (early)
 * or that fraction of the delay (late), never an early expiry.
 */
void hw_lapic_timer_ns(uint64_t ns)
{
	uint64_t c;

	if (ns == HW_NEVER) {
		lapic_wr(LAPIC_LVT_TIMER, LVT_MASKED | HW_VEC_TIMER);
		lapic_wr(LAPIC_TIMER_INIT, 0);
		return;
	}
	/* beyond 10 s the 32-bit counter saturates at any plausible rate,
	 * and below it ns * rate fits in 64 bits */
	c = ns > 10000000000ull ? 0xffffffffu : ns * lapic_rate / 1000000000u;
	if (c < 1)
		c = 1;
	if (c > 0xffffffffu)
		c = 0xffffffffu;
	lapic_wr(LAPIC_LVT_TIMER, HW_VEC_TIMER);
	lapic_wr(LAPIC_TIMER_INIT, (uint32_t)c);
}

/* ---- the IOAPIC --------------------------------------------------------- */

/*
 * At the address every PC chipset QEMU models puts it, with ISA IRQs on
 * the pins of the same number (QEMU overrides only IRQ 0). A platform
 * that reads ACPI's MADT (with the PCI group) can take both from there.
 */
#define IOAPIC 0xfec00000ull

static int ioapic_pins;

static uint32_t ioapic_rd(uint32_t reg)
{
	hw_mmio_write32(IOAPIC, reg);
	return hw_mmio_read32(IOAPIC + 0x10);
}

static void ioapic_wr(uint32_t reg, uint32_t v)
{
	hw_mmio_write32(IOAPIC, reg);
	hw_mmio_write32(IOAPIC + 0x10, v);
}

static void ioapic_init(void)
{
	uint32_t ver = ioapic_rd(1);
	int i;

	if (ver == 0xffffffffu)
		return; /* nobody there: interrupts are polled */
	ioapic_pins = (int)((ver >> 16) & 0xff) + 1;
	for (i = 0; i < ioapic_pins; i++) {
		ioapic_wr(0x10 + 2 * (uint32_t)i, LVT_MASKED);
		ioapic_wr(0x11 + 2 * (uint32_t)i, 0);
	}
}

int hw_ioapic_route(int isa, int vector, int on)
{
	if (isa >= ioapic_pins)
		return 0;
	/* edge-triggered, active high, fixed delivery to this CPU */
	ioapic_wr(0x11 + 2 * (uint32_t)isa, lapic_dest());
	ioapic_wr(0x10 + 2 * (uint32_t)isa, (uint32_t)vector | (on ? 0 : LVT_MASKED));
	return 1;
}

/* ---- the 8259 pair: moved off the exception vectors, then masked ------- */

static void pic_disable(void)
{
	hw_outb(0x20, 0x11);
	hw_outb(0xa0, 0x11);
	hw_outb(0x21, 0x20);
	hw_outb(0xa1, 0x28);
	hw_outb(0x21, 4);
	hw_outb(0xa1, 2);
	hw_outb(0x21, 1);
	hw_outb(0xa1, 1);
	hw_outb(0x21, 0xff);
	hw_outb(0xa1, 0xff);
}

/* ---- dispatch ----------------------------------------------------------- */

volatile int hw_irq_timer, hw_irq_uart;

/* Called by entry.S with interrupts off, on an IST stack. Handlers only
 * record the event: the scheduler acts on it in thread context. */
void hw_interrupt(struct hw_frame *f);

void hw_interrupt(struct hw_frame *f)
{
	if (f->vector < 32)
		exception(f);
	switch (f->vector) {
	case HW_VEC_TIMER:
		hw_irq_timer = 1;
		break;
	case HW_VEC_UART:
		/* quiet the UART until stdio.c asks again */
		hw_uart_rx_irq(0);
		hw_irq_uart = 1;
		break;
	case HW_VEC_SPURIOUS:
		return; /* no EOI for the spurious vector */
	default:
		if (f->vector >= 0x20 && f->vector < 0x30)
			return; /* a masked 8259's spurious IRQ 7/15 */
		hw_pci_interrupt((int)f->vector); /* MSI vectors */
		break;
	}
	lapic_wr(LAPIC_EOI, 0);
}

void hw_cpu_init(void)
{
	uint32_t mxcsr = 0x1f80;

	__asm__ __volatile__("ldmxcsr %0" : : "m"(mxcsr));
	load_tables();
	pic_disable();
	lapic_init();
	ioapic_init();
}
