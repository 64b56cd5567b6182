/* hw platform: internal declarations shared by its files, by file. */
#ifndef HW_PLATFORM_H
#define HW_PLATFORM_H

#include <lunik/hypercall.h>

/*
 * x86_64 bare metal (any PC-compatible HVM: QEMU, Firecracker, Xen PVH),
 * one CPU, identity-mapped memory, cooperative threads. No libc: what
 * little of one the platform needs is here (string.c) under hw_ names.
 *
 * Interrupt handlers only set flags and acknowledge the device (cpu.c):
 * every data structure below is touched by threads alone, one at a time,
 * since a thread runs until it blocks or yields. That is the platform's
 * whole locking story.
 */

#define HW_NEVER UINT64_MAX

/* ---- port I/O, MSRs, registers (inline) ------------------------------- */

static inline void hw_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void hw_outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t hw_inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t hw_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void hw_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr"
			     :
			     : "c"(msr), "a"((uint32_t)v),
			       "d"((uint32_t)(v >> 32)));
}

static inline uint64_t hw_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void hw_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(sub));
}

static inline uint32_t hw_mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void hw_mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

#define HW_MSR_FS_BASE 0xc0000100u

/* ---- start.c: boot information from PVH ------------------------------- */

#define HW_CMDLINE_MAX 2048
#define HW_MEMMAP_MAX 64

struct hw_range {
	uint64_t base, len;
};

/* What the boot loader said, copied out of its memory before any use. */
extern char hw_cmdline[HW_CMDLINE_MAX];
extern struct hw_range hw_ram[HW_MEMMAP_MAX]; /* type 1 entries */
extern int hw_nram;
extern struct hw_range hw_modules[8]; /* kept out of the heap */
extern int hw_nmodules;

/* The image's program: the conformance suite, later an app's start code.
 * Its return value becomes the exit status (lhc_exit). */
int hw_main(void);

/* hw.ld: the image's bounds (kept out of the heap). */
extern char __hw_image_start[], __hw_image_end[];

/* ---- console.c: the 16550 UART on COM1 --------------------------------- */

void hw_uart_init(void);
void hw_uart_write(const void *buf, size_t len);
/* Non-blocking: copy what the receive FIFO holds (at most len bytes). */
size_t hw_uart_read(void *buf, size_t len);
/* Receive interrupt on (data ready) or off. */
void hw_uart_rx_irq(int on);
int hw_uart_rx_ready(void);
/* Small formatted output for the platform's own messages. */
void hw_puts(const char *s);
void hw_put_hex(uint64_t v);
void hw_put_dec(uint64_t v);

/* ---- cpu.c: descriptor tables, interrupts, APICs ---------------------- */

#define HW_VEC_TIMER 0x40
#define HW_VEC_UART 0x44
#define HW_VEC_MSI 0x50 /* 0x50..0x8d: MSI lines 2..63 (pci.c) */
#define HW_VEC_SPURIOUS 0xff

void hw_cpu_init(void);
/* Set by interrupt handlers, taken (read and cleared) by the scheduler. */
extern volatile int hw_irq_timer, hw_irq_uart;
/* LAPIC one-shot timer: fire after ns (clamped to the counter's range),
 * or stop it with HW_NEVER. */
void hw_lapic_timer_ns(uint64_t ns);
/* Calibrate the LAPIC timer against the TSC over the PIT window clock.c
 * opens: start before, stop after; stop returns counts elapsed. */
void hw_lapic_count_start(void);
uint32_t hw_lapic_count_stop(void);
void hw_lapic_set_rate(uint64_t counts_per_sec);
/* Route ISA IRQ `isa` to `vector` through the IOAPIC, or mask it;
 * 0 if no IOAPIC answers (then the caller polls). */
int hw_ioapic_route(int isa, int vector, int on);
static inline void hw_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}
static inline void hw_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

/* ---- mem.c: memory map, page tables, the heap ------------------------- */

void hw_mem_init(void);
/* Heap totals in bytes, for boot messages. */
uint64_t hw_mem_free_bytes(void);
/* Internal allocation with the lhc_malloc rules; NULL when out. */
void *hw_alloc(size_t len, size_t align);
void hw_free(void *p, size_t len);

/* ---- clock.c: TSC, PIT calibration, CMOS RTC -------------------------- */

void hw_clock_init(void);
uint64_t hw_now(void); /* LHC_CLOCK_MONO in ns */
uint64_t hw_tsc_hz(void);

/* ---- sched.c: cooperative threads ------------------------------------- */

#define HW_TLS_KEYS 128

/* A queue of blocked threads (FIFO). */
struct hw_waitq {
	struct lhc_thread *head, *tail;
};

void hw_sched_init(void);
/* Block the current thread on q (may be NULL) until woken or until
 * deadline (LHC_CLOCK_MONO ns, HW_NEVER for none). 0 if woken,
 * LHC_ETIMEDOUT if the deadline passed first. */
int hw_wait(struct hw_waitq *q, uint64_t deadline);
/* Make the first waiter of q runnable; 1 if there was one. */
int hw_wake_one(struct hw_waitq *q);
void hw_wake_all(struct hw_waitq *q);
/* Make t runnable if it is blocked (in hw_wait); nothing otherwise. */
void hw_wake(struct lhc_thread *t);
/* Let every other runnable thread run once. */
void hw_yield(void);
/* Whether another thread is runnable now. */
int hw_others_runnable(void);
/* The event thread (timer.c) waits here for deadlines and device events;
 * a kick (from the scheduler on an interrupt, or lhc_timer_set) ends the
 * wait, or the next one if it is not waiting. */
void hw_event_wait(uint64_t deadline);
void hw_event_kick(void);
/* Zero this key's value in every live thread (a fresh key, tls.c). */
void hw_sched_clear_tls(int slot);
void **hw_thread_tls(struct lhc_thread *t);
const char *hw_thread_name(void);
/* For clone (libc_host.c): a thread on a caller-supplied stack running
 * fn(arg), with thread pointer fs_base (0: the caller's) and clear_tid
 * (CLONE_CHILD_CLEARTID, or NULL); its id, or -1 when out of memory. It
 * ends through hw_thread_clone_exit(fn's result). */
long hw_thread_new_raw(int (*fn)(void *), void *arg, void *stack_top,
		       uint64_t fs_base, int *clear_tid);
/* End the calling thread: clear and wake its clear_tid, wake joiners. */
void hw_thread_end(void) __attribute__((noreturn));
void hw_set_fs_base(uint64_t base);
void hw_thread_set_clear_tid(int *p);
/* Free [base, base + len) once the calling thread is off it (unmapself). */
void hw_thread_defer_unmap(void *base, size_t len);
struct lhc_thread *hw_thread_by_id(long id);

/* ---- entry.S: context switch ------------------------------------------- */

/* Save callee-saved state on the current stack, store rsp in *save, load
 * next_rsp and return into that context. */
void hw_switch(uint64_t *save, uint64_t next_rsp);
/* Where a new thread's first switch returns to (calls hw_thread_main). */
void hw_thread_entry(void);

/* ---- timer.c: lhc_timer_*, the event thread ---------------------------- */

int hw_timer_start(void);
void hw_timer_stop(void);
int hw_on_event_thread(void);

/* ---- tls.c ------------------------------------------------------------ */

/* Run the destructors of a thread's non-NULL values, on that thread. */
void hw_tls_run_dtors(void **values);

/* ---- libc_host.c -------------------------------------------------------- */

void hw_futex_wake(int *addr, int n);
void hw_thread_clone_exit(int status) __attribute__((noreturn));

/* ---- init.c ----------------------------------------------------------- */

extern const struct lhc_upcalls *hw_upcalls;
void hw_raise(int irq); /* irq_raise if the caller wants interrupts */

/* ---- stdio.c ---------------------------------------------------------- */

/* On the event thread: the UART interrupt came (or input may be there). */
void hw_stdio_service(void);
int hw_stdio_wants_input(void);
int hw_stdio_irq_routed(void);
void hw_stdio_fini(void);

/* ---- vdev.c ----------------------------------------------------------- */

/* Write " virtio_mmio.device=SIZE@BASE:IRQ" for every live device into
 * buf (no NUL; the first without its space unless lead) when it fits in
 * len; returns the length it needs. */
size_t hw_vdev_cmdline(char *buf, size_t len, int lead);
int hw_vdev_line_reserve(int *irq);
void hw_vdev_line_release(int irq);

/* ---- pci.c ---------------------------------------------------------- */

/* LHC_CAP_PCI if a host bridge answers (lhc_init), else 0. */
uint32_t hw_pci_init(void);
/* Free the MSI lines still held (lhc_fini). */
void hw_pci_fini(void);
/* Interrupt context: an MSI vector came (records its line). */
void hw_pci_interrupt(int vector);
/* Lines recorded and not yet raised; the event thread raises them. */
int hw_pci_pending(void);
void hw_pci_service(void);

/* ---- exit.c ----------------------------------------------------------- */

#define HW_EXIT_PANIC 127 /* isa-debug-exit value for a panic or a fault */
void hw_die(const char *what) __attribute__((noreturn));
void hw_die_thread(const char *what, const char *name) __attribute__((noreturn));
void hw_exit_code(uint32_t value) __attribute__((noreturn));

/* ---- string.c: the few libc routines the platform needs ---------------- */

size_t hw_strlen(const char *s);
int hw_strcmp(const char *a, const char *b);
int hw_strncmp(const char *a, const char *b, size_t n);
void *hw_memcpy(void *d, const void *s, size_t n);
void *hw_memset(void *d, int c, size_t n);

#endif /* HW_PLATFORM_H */
