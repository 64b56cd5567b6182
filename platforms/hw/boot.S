/* hw platform: PVH entry, 32-bit protected mode to long mode, first stack. */

/*
 * The boot contract is PVH's (Xen's x86/HVM direct boot ABI), which QEMU
 * -kernel, Firecracker and Xen all follow for an ELF carrying the
 * XEN_ELFNOTE_PHYS32_ENTRY note: the entry point runs in 32-bit protected
 * mode, paging off, flat 4 GiB segments, interrupts off, no stack, with
 * %ebx holding the physical address of struct hvm_start_info. The image
 * is linked at its physical address (hw.ld), so everything below is
 * identity-mapped and link addresses are load addresses.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	/* The PVH note: namesz 4 ("Xen\0"), descsz 8, type 18. QEMU reads
	 * the descriptor of a 64-bit ELF as 8 bytes, Xen and Firecracker
	 * accept 4 or 8: a quad whose high half is zero suits all three. */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4
	.long 8
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad hw_pvh_start

	.section .text.boot, "ax"
	.code32
	.global hw_pvh_start
	.type hw_pvh_start, @function
hw_pvh_start:
	cli
	cld
	mov %ebx, %esi			/* hvm_start_info, kept in %esi */

	/* Zero .bss ourselves: not every loader does, and the page tables
	 * and the first stack live there. */
	mov $__hw_bss_start, %edi
	mov $__hw_bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	mov $hw_boot_stack_top, %esp

	/* Identity map of the first 4 GiB in 2 MiB pages: PML4[0] ->
	 * PDPT, PDPT[0..3] -> four page directories. mem.c maps RAM above
	 * 4 GiB and marks the device window uncached later, in C. */
	mov $hw_pdpt, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, hw_pml4

	mov $hw_pd, %eax
	or $(PTE_P | PTE_W), %eax
	xor %ecx, %ecx
1:	mov %eax, hw_pdpt(,%ecx,8)
	add $4096, %eax
	inc %ecx
	cmp $4, %ecx
	jb 1b

	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P | PTE_W | PTE_PS), %eax
	mov %eax, hw_pd(,%ecx,8)
	movl $0, hw_pd+4(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jb 2b

	mov $hw_pml4, %eax
	mov %eax, %cr3

	/* PAE, and SSE for the code we run (compilers use it freely). */
	mov %cr4, %eax
	or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov %eax, %cr4

	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr

	mov %cr0, %eax
	and $~(CR0_EM | CR0_TS), %eax
	or $(CR0_PE | CR0_MP | CR0_NE | CR0_PG), %eax
	mov %eax, %cr0

	lgdt hw_gdt_ptr32
	ljmp $0x08, $long_mode

	.code64
long_mode:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $hw_boot_stack_top, %rsp
	xor %ebp, %ebp
	fninit
	mov %esi, %edi			/* zero-extends: hvm_start_info */
	call hw_start
3:	cli
	hlt
	jmp 3b
	.size hw_pvh_start, . - hw_pvh_start

	/* The GDT: null, 64-bit code (0x08), data (0x10), and a 16-byte
	 * TSS descriptor (0x18) that cpu.c fills in. */
	.data
	.balign 16
	.global hw_gdt
hw_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0, 0
hw_gdt_end:

	.balign 8
hw_gdt_ptr32:
	.word hw_gdt_end - hw_gdt - 1
	.long hw_gdt

	.bss
	.balign 4096
	.global hw_pml4, hw_pdpt, hw_pd
hw_pml4:
	.skip 4096
hw_pdpt:
	.skip 4096
hw_pd:
	.skip 4 * 4096

	/* The boot thread's stack: hw_main (the image's program) runs on
	 * it, so it is generous. */
	.balign 16
	.global hw_boot_stack, hw_boot_stack_top
hw_boot_stack:
	.skip 512 * 1024
hw_boot_stack_top:

	.section .note.GNU-stack, "", @progbits
