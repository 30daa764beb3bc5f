/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing for `vmm run`. Pure functions: they fill a vm_config or
 * write one clear message (naming the offending option) into errbuf.
 */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/migrate.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/core/compiler.h"

#define CLI_DEFAULT_MEM (512ULL << 20)
#define CLI_MIN_MEM (64ULL << 20)

/* "512M", "2G", "1048576" (bytes), suffixes K/M/G/T (binary), optional trailing 'B'/'iB'. */
int cli_parse_size(const char *s, uint64_t *out) __must_check;
/* "boot=N,max=M", "N" (boot=max=N), "boot=N" (max=N), "max=M" (boot=1). */
int cli_parse_cpus(const char *s, unsigned *boot, unsigned *max, char *errbuf, size_t errlen) __must_check;
/*
 * Parses `vmm run` arguments (argv[0] is "run"). Returns 0, 1 when help was
 * requested (usage text in errbuf), or -EINVAL with the message in errbuf.
 * Does not look at files or the host; see cli_check_host().
 */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *errbuf, size_t errlen) __must_check;

/* Also --incoming ADDR with --tls-dir DIR or --plain: then *incoming is true, in holds the
 * listening parameters and cfg only the API socket. in may be NULL (no --incoming). */
int cli_parse_run_ex(int argc, char **argv, struct vm_config *cfg, struct migrate_params *in, bool *incoming,
		     char *errbuf, size_t errlen) __must_check;
/* One --disk value (s is modified; d->path points into it). */
int cli_parse_disk(char *s, struct vm_disk_cfg *d, char *errbuf, size_t errlen) __must_check;

extern const char cli_run_usage[];

#endif
