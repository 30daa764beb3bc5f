/* SPDX-License-Identifier: MIT */
/* Helpers shared by the ACPI unit tests: scratch directories, running iasl, test machines. */
#ifndef TESTS_UNIT_ACPI_ACPI_TEST_H
#define TESTS_UNIT_ACPI_ACPI_TEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi/acpi.h"

/* Creates a fresh scratch directory (asserts on failure). */
void acpi_test_mkdtemp(char dir[PATH_MAX]);
/* Removes the files in dir and dir itself. */
void acpi_test_rmdir(const char *dir);
void acpi_test_write(const char *dir, const char *name, const void *data, size_t len);
/* Reads dir/name (NUL-terminated; *len excludes the NUL); NULL if it does not exist. */
char *acpi_test_read(const char *dir, const char *name, size_t *len);

/*
 * Runs argv in dir with stdout and stderr captured into *output (malloc'd).
 * Returns the exit status. Fails the test with a clear message if argv[0] is
 * not installed.
 */
int acpi_test_run(const char *dir, const char *const argv[], char **output);

/*
 * Writes a table to dir/<name>.dat, runs `iasl -d` on it and asserts a clean
 * disassembly: exit 0, no error/warning/remark/unknown/invalid in iasl's output,
 * no "****" or "Incorrect"/"Invalid"/"Unknown" markers nor External()
 * declarations in the .dsl. Returns the .dsl text (free it).
 */
char *iasl_disassemble(const char *dir, const char *name, const void *table, size_t len);
/* 0 if the table disassembles cleanly, else 1 (the check iasl_disassemble() asserts); logs why unless quiet. */
int iasl_disassemble_problems(const char *dir, const char *name, const void *table, size_t len,
			      bool quiet);

/*
 * Compiles dir/<src> with `iasl <opts> -p <out>`; asserts 0 errors and 0
 * warnings and returns the binary (free it). *remarks gets the remark count and
 * *log iasl's output (free it) when non-NULL.
 */
uint8_t *iasl_compile(const char *dir, const char *src, const char *opts, size_t *len,
		      int *remarks, char **log);

/* Test machine: n possible vCPUs, the first `cold` cold-booted, MPIDR Aff1 = i / 4, Aff0 = i % 4. */
struct test_machine {
	struct acpi_machine m;
	struct acpi_cpu *cpus;
};
void test_machine_init(struct test_machine *t, uint32_t n, uint32_t cold);
void test_machine_fini(struct test_machine *t);

uint8_t test_sum(const uint8_t *p, size_t n);
uint64_t test_le(const uint8_t *p, unsigned int nbytes);

#endif
