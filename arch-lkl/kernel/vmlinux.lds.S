/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: linker script for the relocatable (ld -r) vmlinux. */

/*
 * vmlinux is linked with -r and then into an ordinary program, so every
 * marker symbol must sit inside an output section: a symbol assigned between
 * sections would become absolute, which a PIE link cannot relocate.
 */

#include <asm-generic/vmlinux.lds.h>
#include <asm/thread_info.h>
#include <asm/page.h>
#include <asm/cache.h>

jiffies = jiffies_64;

SECTIONS
{
	.text : {
		_text = .;
		_stext = .;
		TEXT_TEXT
		SCHED_TEXT
		LOCK_TEXT
		KPROBES_TEXT
		IRQENTRY_TEXT
		SOFTIRQENTRY_TEXT
		_etext = .;
	}

	.rodata : {
		__start_rodata = .;
		*(.rodata) *(.rodata.*) *(.data.rel.ro*)
		SCHED_DATA
		RO_AFTER_INIT_DATA
		. = ALIGN(8);
		BOUNDED_SECTION_BY(__tracepoints_ptrs, ___tracepoints_ptrs)
		*(__tracepoints_strings)
		*(.rodata1)
		. = ALIGN(8);
		BOUNDED_SECTION_BY(__param, ___param)
		. = ALIGN(8);
		BOUNDED_SECTION_BY(__modver, ___modver)
		*(.ref.rodata)
		. = ALIGN(8);
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_early,  _pci_fixups_early,  __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_header, _pci_fixups_header, __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_final,  _pci_fixups_final,  __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_enable, _pci_fixups_enable, __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_resume, _pci_fixups_resume, __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_suspend, _pci_fixups_suspend, __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_resume_early, _pci_fixups_resume_early, __start, __end)
		BOUNDED_SECTION_PRE_LABEL(.pci_fixup_suspend_late, _pci_fixups_suspend_late, __start, __end)
		__end_rodata = .;
	}

	EXCEPTION_TABLE(16)

	.notes : {
		__start_notes = .;
		KEEP(*(.note.Linux))
		KEEP(*(.note.Xen))
		__stop_notes = .;
	}

	.data : {
		_sdata = .;
		INIT_TASK_DATA(THREAD_SIZE)
		NOSAVE_DATA
		PAGE_ALIGNED_DATA(PAGE_SIZE)
		CACHELINE_ALIGNED_DATA(L1_CACHE_BYTES)
		READ_MOSTLY_DATA(L1_CACHE_BYTES)
		DATA_DATA
		*(.data.rel.local*) *(.data.rel)
		CONSTRUCTORS
		_edata = .;
	}

	BUG_TABLE

	.init.text : {
		__init_begin = .;
		_sinittext = .;
		INIT_TEXT
		_einittext = .;
	}

	.init.data : {
		INIT_DATA
		INIT_SETUP(16)
		INIT_CALLS
		CON_INITCALL
		INIT_RAM_FS
		__init_end = .;
	}

	.bss : {
		__bss_start = .;
		*(.bss..page_aligned)
		*(.dynbss)
		*(BSS_MAIN)
		*(COMMON)
		*(.dynsbss)
		*(SBSS_MAIN)
		*(.scommon)
		__bss_stop = .;
		_end = .;
	}

	STABS_DEBUG
	DWARF_DEBUG

	DISCARDS
}
