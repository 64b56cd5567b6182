/*
 * lunik: the kernel library is built without SA_RESTORER (signals are never
 * delivered to a user context it could return from), so its sigaction is
 * the asm-generic one: handler, flags, mask.
 */
#include <features.h>

struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	unsigned mask[2];
};

#define KSIGACTION_NO_RESTORER 1
