// SPDX-License-Identifier: GPL-2.0
/* lkl: no assembly code, so no offsets to export. */
