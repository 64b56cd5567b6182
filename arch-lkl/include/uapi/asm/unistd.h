/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* lkl uapi: syscall numbers, generated from scripts/syscall.tbl. */
#include <asm/unistd_64.h>
