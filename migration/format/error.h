/* SPDX-License-Identifier: MIT */
/*
 * Error messages of the migration format code. Every fallible function takes a
 * caller-provided `struct mig_err *` (may be NULL) and returns -errno; the message
 * names what is wrong ("section 'gicv3-cpu' instance 3: version 7 outside [1, 2]").
 * Inner layers write the detail, outer layers prepend their context.
 */
#ifndef MIGRATION_ERROR_H
#define MIGRATION_ERROR_H

#include "vmm/core/compiler.h"

#define MIG_ERR_LEN 256

struct mig_err {
	char msg[MIG_ERR_LEN];
};

/* Replaces the message. Does nothing when e is NULL. */
void mig_err_set(struct mig_err *e, const char *fmt, ...) __printf(2, 3);
/* Prepends "<formatted>: " to the current message (truncating the tail if needed). */
void mig_err_prefix(struct mig_err *e, const char *fmt, ...) __printf(2, 3);

#endif
