/* SPDX-License-Identifier: MIT */
/*
 * The live-migration transport's only window onto the rest of the project: the
 * compiler helpers and the migration error type. Every file under migration/live/
 * includes this header instead of reaching for project headers directly, so a move
 * of the base headers touches one line.
 */
#ifndef MIGRATION_LIVE_LIVE_H
#define MIGRATION_LIVE_LIVE_H

#include "migration/format/error.h"
#include "vmm/core/compiler.h"

#endif
