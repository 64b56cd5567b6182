// SPDX-License-Identifier: GPL-2.0
/* lkl: setup_arch: memory from the platform, console, command line. */

#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/console.h>
#include <linux/panic_notifier.h>
#include <linux/start_kernel.h>
#include <linux/string.h>
#include <linux/sizes.h>
#include <linux/minmax.h>
#include <asm/sections.h>
#include <lkl_host.h>
#include "internal.h"

unsigned long lkl_mem_start, lkl_mem_end;
void *empty_zero_page;
static unsigned long mem_size;
static void *mem_block;

struct lkl_host_operations *lkl_ops;

/* lkl_ops is what lkl_init() was given; lkl_host_ops itself lives in liblkl. */
/* mem= was checked and its memory taken by lkl_mem_prepare() before boot. */
static int __init lkl_parse_mem(char *arg)
{
	return 0;
}
early_param("mem", lkl_parse_mem);

/*
 * Take the kernel's memory from the platform before the kernel starts, so
 * that a size the platform cannot give is an error lkl_start_kernel()
 * returns rather than a panic inside the boot. Aligned to the buddy maximum
 * so that mem_map needs no slack, but to 16 MiB at most: valgrind (which
 * runs programs linked with us) refuses larger alignments.
 */
int lkl_mem_prepare(unsigned long size)
{
	unsigned long align = min(PAGE_SIZE << MAX_PAGE_ORDER, SZ_16M);

	size = PAGE_ALIGN(size);
	if (lhc_malloc(size, align, &mem_block))
		return -ENOMEM;
	mem_size = size;
	return 0;
}

static void lkl_console_write(struct console *con, const char *str,
			      unsigned int len)
{
	if (lkl_ops && lkl_ops->print)
		lkl_ops->print(str, len);
}

static struct console lkl_console = {
	.name	= "lkl_console",
	.write	= lkl_console_write,
	.flags	= CON_PRINTBUFFER | CON_ENABLED,
	.index	= -1,
};

static int lkl_panic_notify(struct notifier_block *nb, unsigned long ev,
			    void *msg)
{
	if (lkl_ops && lkl_ops->panic)
		lkl_ops->panic();
	lhc_panic(msg ? (const char *)msg : "kernel panic");
	return NOTIFY_DONE;
}

static struct notifier_block lkl_panic_nb = {
	.notifier_call = lkl_panic_notify,
};

/* Hand the block lkl_mem_prepare() took to memblock and the zones. */
static void __init lkl_mem_init(void)
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };

	if (!mem_block)
		panic("lkl: no memory was prepared before boot\n");

	lkl_mem_start = (unsigned long)mem_block;
	lkl_mem_end = lkl_mem_start + mem_size;
	memblock_add(lkl_mem_start, mem_size);

	min_low_pfn = PFN_UP(lkl_mem_start);
	max_low_pfn = PFN_DOWN(lkl_mem_end);
	max_pfn = max_low_pfn;
	max_mapnr = max_pfn - ARCH_PFN_OFFSET;
	high_memory = (void *)lkl_mem_end;

	empty_zero_page = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!empty_zero_page)
		panic("lkl: no memory for the zero page\n");

	max_zone_pfn[ZONE_NORMAL] = max_pfn;
	free_area_init(max_zone_pfn);
}

#ifdef CONFIG_BLK_DEV_INITRD
/*
 * The program's archive (lkl_set_initrd) is unpacked by populate_rootfs
 * from where it lies, in the program's memory, outside the kernel's block:
 * so start_kernel must not take it for an initrd the kernel overwrote, and
 * nothing may be given back to the page allocator afterwards.
 */
static void __init lkl_initrd_setup(void)
{
	if (!lkl_initrd_len)
		return;
	initrd_start = (unsigned long)lkl_initrd_data;
	initrd_end = initrd_start + lkl_initrd_len;
	initrd_below_start_ok = 1;
}

/* The archive is the program's memory, never the kernel's: keep it. */
void __init free_initrd_mem(unsigned long start, unsigned long end)
{
}
#else
static inline void lkl_initrd_setup(void)
{
}
#endif

void __init setup_arch(char **cmdline_p)
{
	*cmdline_p = boot_command_line;
	/* loglevel= and quiet first: the console replays what start_kernel
	 * logged so far (the banner) at the level they ask for */
	parse_early_param();
	register_console(&lkl_console);
	atomic_notifier_chain_register(&panic_notifier_list, &lkl_panic_nb);
	lkl_mem_init();
	lkl_initrd_setup();
}

void __init mem_init(void)
{
	memblock_free_all();
}

/* __init code and data live in the host program's image: keep them. */
void free_initmem(void)
{
}

void lkl_mem_free(void)
{
	if (mem_block) {
		lhc_free(mem_block, mem_size);
		mem_block = NULL;
	}
}
