# Hypercall conformance suite: sources, for inclusion by a platform's Makefile.
# Sets CT_DIR, CT_SRCS (the suite, freestanding) and CT_POSIX_MAIN (hosted
# entry point). The includer compiles CT_SRCS with -ffreestanding.
CT_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
CT_SRCS := $(addprefix $(CT_DIR)/,runner.c t_init.c t_mem.c t_clock.c \
	t_thread.c t_sync.c t_tls.c t_timer.c t_jmp.c t_vdev.c t_stdio.c t_pci.c)
CT_POSIX_MAIN := $(CT_DIR)/posix-main.c
