/* hw platform: RAM from the memory map, page tables above 4 GiB, the heap. */
#include "hw.h"

/*
 * The heap is an address-ordered list of free ranges, first fit. The
 * interface hands the length back on free (lhc_free's len, munmap's), so
 * blocks carry no header: a free range stores its size and the next range
 * in its own first 16 bytes, allocations are 16-byte granular, and any
 * sub-range of an allocation may be given back on its own (munmap of part
 * of a mapping). Threads alone allocate (hw.h), so there is no lock.
 */
#define GRAIN 16ull

struct free_range {
	uint64_t size;
	struct free_range *next;
};

static struct free_range *free_list;
static uint64_t free_bytes;

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Insert [p, p + size) (both GRAIN-aligned), merging with neighbours. */
static void insert_range(uint64_t p, uint64_t size)
{
	struct free_range **pp = &free_list, *prev = 0, *r;

	while (*pp && (uint64_t)(uintptr_t)*pp < p) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if ((prev && (uint64_t)(uintptr_t)prev + prev->size > p) ||
	    (*pp && p + size > (uint64_t)(uintptr_t)*pp))
		hw_die("lhc_free of memory that is already free (or was never allocated)");
	free_bytes += size;
	if (prev && (uint64_t)(uintptr_t)prev + prev->size == p) {
		prev->size += size;
		r = prev;
	} else {
		r = (struct free_range *)(uintptr_t)p;
		r->size = size;
		r->next = *pp;
		*pp = r;
	}
	if (r->next && (uint64_t)(uintptr_t)r + r->size == (uint64_t)(uintptr_t)r->next) {
		r->size += r->next->size;
		r->next = r->next->next;
	}
}

void *hw_alloc(size_t len, size_t align)
{
	struct free_range **pp, *r;
	uint64_t need, a;

	if (!len || len > free_bytes)
		return 0;
	need = round_up(len, GRAIN);
	if (align < GRAIN)
		align = GRAIN;
	for (pp = &free_list; (r = *pp); pp = &r->next) {
		uint64_t b = (uint64_t)(uintptr_t)r, end = b + r->size;
		uint64_t front, back;

		a = round_up(b, align);
		if (a < b || a > end || end - a < need)
			continue;
		front = a - b;
		back = end - (a + need);
		if (front) {
			r->size = front; /* r stays, in place */
			if (back) {
				struct free_range *t = (void *)(uintptr_t)(a + need);

				t->size = back;
				t->next = r->next;
				r->next = t;
			}
		} else if (back) {
			struct free_range *t = (void *)(uintptr_t)(a + need);

			t->size = back;
			t->next = r->next;
			*pp = t;
		} else {
			*pp = r->next;
		}
		free_bytes -= need;
		return (void *)(uintptr_t)a;
	}
	return 0;
}

void hw_free(void *p, size_t len)
{
	if (!p)
		return;
	if ((uintptr_t)p & (GRAIN - 1))
		hw_die("lhc_free of a pointer lhc_malloc never returned");
	insert_range((uint64_t)(uintptr_t)p, round_up(len ? len : 1, GRAIN));
}

uint64_t hw_mem_free_bytes(void)
{
	return free_bytes;
}

int lhc_malloc(size_t len, size_t align, void **ret)
{
	void *p;

	if (len == 0 || align < sizeof(void *) || (align & (align - 1)))
		return LHC_EINVAL;
	p = hw_alloc(len, align);
	if (!p)
		return LHC_ENOMEM;
	*ret = p;
	return 0;
}

void lhc_free(void *p, size_t len)
{
	hw_free(p, len);
}

/* ---- building the heap from the memory map ------------------------------ */

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull

extern uint64_t hw_pml4[512], hw_pdpt[512], hw_pd[4 * 512]; /* boot.S */

/* Add [base, base + len) minus what must stay untouched: the first MiB
 * (firmware, the loader's tables), the image, the boot modules. */
static void add_ram(uint64_t base, uint64_t len)
{
	uint64_t end = base + len;
	struct hw_range hole[10];
	int nh = 0, i;

	hole[nh++] = (struct hw_range){ 0, MIB };
	hole[nh++] = (struct hw_range){ (uint64_t)(uintptr_t)__hw_image_start,
					(uint64_t)(__hw_image_end - __hw_image_start) };
	for (i = 0; i < hw_nmodules; i++)
		hole[nh++] = hw_modules[i];

	while (base < end) {
		uint64_t stop = end, b, e;
		int moved;

		do { /* past every hole covering base (holes may touch) */
			moved = 0;
			for (i = 0; i < nh; i++) {
				if (hole[i].base <= base &&
				    base < hole[i].base + hole[i].len) {
					base = hole[i].base + hole[i].len;
					moved = 1;
				}
			}
		} while (moved);
		if (base >= end)
			break;
		for (i = 0; i < nh; i++)
			if (base < hole[i].base && hole[i].base < stop)
				stop = hole[i].base;
		b = round_up(base, GRAIN);
		e = stop & ~(GRAIN - 1);
		if (e > b)
			insert_range(b, e - b);
		base = stop;
	}
}

/* Map [4 GiB, end) in 2 MiB pages, page directories from the heap (which
 * by then holds the RAM below 4 GiB). PML4[0] covers 512 GiB. */
static uint64_t map_high(uint64_t base, uint64_t end)
{
	uint64_t gb;

	if (end > 512 * GIB)
		end = 512 * GIB;
	for (gb = base / GIB; gb * GIB < end; gb++) {
		uint64_t *pd;
		int i;

		if (hw_pdpt[gb] & PTE_P)
			continue;
		pd = hw_alloc(4096, 4096);
		if (!pd)
			return gb * GIB;
		for (i = 0; i < 512; i++)
			pd[i] = (gb * GIB + (uint64_t)i * 2 * MIB) | PTE_P | PTE_W | PTE_PS;
		hw_pdpt[gb] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_W;
	}
	return end;
}

static int is_ram(uint64_t b, uint64_t e)
{
	for (int i = 0; i < hw_nram; i++)
		if (b < hw_ram[i].base + hw_ram[i].len && hw_ram[i].base < e)
			return 1;
	return 0;
}

void hw_mem_init(void)
{
	uint64_t cr3;
	int i;

	for (i = 0; i < hw_nram; i++) {
		uint64_t b = hw_ram[i].base, e = b + hw_ram[i].len;

		if (b < 4 * GIB)
			add_ram(b, (e < 4 * GIB ? e : 4 * GIB) - b);
	}
	for (i = 0; i < hw_nram; i++) {
		uint64_t b = hw_ram[i].base, e = b + hw_ram[i].len, m;

		if (e <= 4 * GIB)
			continue;
		if (b < 4 * GIB)
			b = 4 * GIB;
		m = map_high(b, e);
		if (m < e)
			hw_puts("lunik: hw: RAM above 512 GiB (or beyond what page tables fit) ignored\n");
		if (m > b)
			add_ram(b, m - b);
	}
	/* The device window below 4 GiB (LAPIC, IOAPIC, PCI BARs): uncached
	 * wherever no RAM is. */
	for (i = 3 * 512; i < 4 * 512; i++)
		if (!is_ram((uint64_t)i * 2 * MIB, (uint64_t)(i + 1) * 2 * MIB))
			hw_pd[i] |= PTE_PCD | PTE_PWT;
	__asm__ __volatile__("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
	if (!free_list)
		hw_die("no usable RAM in the memory map");
}
