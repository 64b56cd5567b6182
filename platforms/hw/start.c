/* hw platform: from the PVH entry (boot.S) to the image's hw_main. */
#include "hw.h"

/* Xen's public arch-x86/hvm/start_info.h, the layout PVH loaders fill. */
#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version >= 1 */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

#define HVM_MEMMAP_TYPE_RAM 1

char hw_cmdline[HW_CMDLINE_MAX];
struct hw_range hw_ram[HW_MEMMAP_MAX];
int hw_nram;
struct hw_range hw_modules[8];
int hw_nmodules;

/*
 * Copy what the loader handed over into our own .bss before anything
 * allocates: the start info, command line and memory map live in memory
 * the loader chose (below 1 MiB on QEMU and Firecracker, anywhere on
 * Xen) and may end up inside the heap.
 */
static void take_start_info(uint32_t paddr)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)paddr;
	uint32_t i;

	if (!paddr || si->magic != HVM_START_MAGIC)
		hw_die("no PVH start info (boot with a PVH loader: QEMU -kernel, Firecracker, Xen PVH)");
	if (si->cmdline_paddr) {
		const char *c = (const char *)(uintptr_t)si->cmdline_paddr;

		for (i = 0; c[i] && i < HW_CMDLINE_MAX - 1; i++)
			hw_cmdline[i] = c[i];
		hw_cmdline[i] = 0;
		if (c[i])
			hw_puts("lunik: hw: command line truncated to 2047 bytes\n");
	}
	if (si->version < 1 || !si->memmap_paddr)
		hw_die("the PVH start info has no memory map (version 0)");
	const struct hvm_memmap_table_entry *m =
		(const void *)(uintptr_t)si->memmap_paddr;
	for (i = 0; i < si->memmap_entries; i++) {
		if (m[i].type != HVM_MEMMAP_TYPE_RAM || !m[i].size)
			continue;
		if (hw_nram == HW_MEMMAP_MAX) {
			hw_puts("lunik: hw: memory map too long, RAM beyond 64 ranges ignored\n");
			break;
		}
		hw_ram[hw_nram].base = m[i].addr;
		hw_ram[hw_nram].len = m[i].size;
		hw_nram++;
	}
	const struct hvm_modlist_entry *mod =
		(const void *)(uintptr_t)si->modlist_paddr;
	for (i = 0; mod && i < si->nr_modules && i < 8; i++) {
		hw_modules[i].base = mod[i].paddr;
		hw_modules[i].len = mod[i].size;
		hw_nmodules++;
	}
}

static int verbose(void)
{
	const char *c = hw_cmdline;
	const char *w = "hw.verbose=1";

	for (; *c; c++)
		if ((c == hw_cmdline || c[-1] == ' ') &&
		    hw_strncmp(c, w, hw_strlen(w)) == 0)
			return 1;
	return 0;
}

void hw_start(uint32_t start_info);

void hw_start(uint32_t start_info)
{
	hw_uart_init();
	take_start_info(start_info);
	hw_cpu_init();
	hw_mem_init();
	hw_clock_init();
	hw_sched_init();
	if (verbose()) {
		hw_puts("lunik: hw: ");
		hw_put_dec(hw_mem_free_bytes() >> 20);
		hw_puts(" MiB free, TSC ");
		hw_put_dec(hw_tsc_hz() / 1000);
		hw_puts(" kHz, command line \"");
		hw_puts(hw_cmdline);
		hw_puts("\"\n");
	}
	hw_irq_enable();
	lhc_exit(hw_main());
}
