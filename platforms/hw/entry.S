/* hw platform: interrupt entry stubs, context switch, context jump. */

	.text
	.code64

/*
 * Interrupt and exception entry. Every vector has a stub that makes the
 * frame uniform (a zero error code where the CPU pushes none, then the
 * vector number) and jumps to a common path saving the general registers
 * before calling hw_interrupt(frame) (cpu.c). Every gate uses an IST stack,
 * so nothing is pushed onto the interrupted stack: code compiled with a
 * red zone (the kernel library, apps) may be interrupted anywhere. The C
 * handlers are built with -mgeneral-regs-only, so vector registers need
 * no saving here.
 */
.macro stub_addr vec
	.quad hw_stub_\vec
.endm

.macro stub vec
	.balign 16
hw_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push $0
	.endif
	push $\vec
	jmp hw_isr_common
.endm

	.balign 16
hw_stubs:
	.altmacro
	.set vec, 0
	.rept 256
	stub %vec
	.set vec, vec + 1
	.endr

	/* The stubs' addresses, for cpu.c to fill the IDT with. */
	.section .rodata
	.balign 8
	.global hw_stub_table
hw_stub_table:
	.set vec, 0
	.rept 256
	stub_addr %vec
	.set vec, vec + 1
	.endr

	.text
hw_isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call hw_interrupt
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp			/* vector, error code */
	iretq

/*
 * void hw_switch(uint64_t *save, uint64_t next_rsp)
 *
 * A cooperative switch is a function call, so only what the ABI makes
 * callee-saved survives it: rbx, rbp, r12-r15, and the control words of
 * SSE (MXCSR) and x87 (FCW).
 */
	.global hw_switch
	.type hw_switch, @function
hw_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size hw_switch, . - hw_switch

/* A new thread's first switch "returns" here, with rsp 16-byte aligned. */
	.global hw_thread_entry
	.type hw_thread_entry, @function
hw_thread_entry:
	xor %ebp, %ebp
	call hw_thread_main
	ud2
	.size hw_thread_entry, . - hw_thread_entry

/*
 * void lhc_jmp_set(struct lhc_jmpbuf *jb, void (*f)(void))
 * void lhc_jmp_longjmp(struct lhc_jmpbuf *jb)
 *
 * jb->regs: rbx, rbp, r12, r13, r14, r15, the caller's rsp (as it is once
 * lhc_jmp_set has returned), the return address, MXCSR/FCW. A longjmp
 * restores them and jumps to the return address: exactly a return from
 * lhc_jmp_set.
 */
	.global lhc_jmp_set
	.type lhc_jmp_set, @function
lhc_jmp_set:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rdi)
	mov (%rsp), %rax
	mov %rax, 56(%rdi)
	stmxcsr 64(%rdi)
	fnstcw 68(%rdi)
	sub $8, %rsp			/* align for the call */
	call *%rsi
	add $8, %rsp
	ret
	.size lhc_jmp_set, . - lhc_jmp_set

	.global lhc_jmp_longjmp
	.type lhc_jmp_longjmp, @function
lhc_jmp_longjmp:
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	ldmxcsr 64(%rdi)
	fldcw 68(%rdi)
	mov 48(%rdi), %rsp
	jmp *56(%rdi)
	.size lhc_jmp_longjmp, . - lhc_jmp_longjmp

	.section .note.GNU-stack, "", @progbits
