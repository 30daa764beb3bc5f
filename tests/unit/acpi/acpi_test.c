// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/acpi/acpi_test.h"

extern char **environ;

void acpi_test_mkdtemp(char dir[PATH_MAX])
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, PATH_MAX, "%s/vmm-acpi-XXXXXX", base && *base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp(%s): %s", dir, strerror(errno));
}

void acpi_test_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void acpi_test_write(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f, "fopen(%s): %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len, "short write to %s", path);
	cr_assert_eq(fclose(f), 0);
}

char *acpi_test_read(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX];
	char *buf;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	cr_assert_geq(size, 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size, "short read of %s", path);
	fclose(f);
	buf[size] = '\0';
	if (len)
		*len = (size_t)size;
	return buf;
}

int acpi_test_run(const char *dir, const char *const argv[], char **output)
{
	posix_spawn_file_actions_t fa;
	char log_path[PATH_MAX];
	int status, ret;
	pid_t pid;

	snprintf(log_path, sizeof(log_path), "%s/.run.log", dir);
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	cr_assert_eq(posix_spawn_file_actions_addchdir_np(&fa, dir), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path,
						      O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0), 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret == ENOENT)
		cr_assert_fail("%s is not installed: install acpica-tools (tools/setup.sh host does)", argv[0]);
	cr_assert_eq(ret, 0, "posix_spawnp(%s): %s", argv[0], strerror(ret));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	*output = acpi_test_read(dir, ".run.log", NULL);
	cr_assert_not_null(*output);
	cr_assert(WIFEXITED(status), "%s did not exit normally", argv[0]);
	return WEXITSTATUS(status);
}

/* Case-insensitive search for any of the words; returns the first found or NULL. */
static const char *find_any(const char *text, const char *const words[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasestr(text, words[i]))
			return words[i];
	}
	return NULL;
}

static int disassemble(const char *dir, const char *name, const void *table, size_t len,
		       bool quiet, char **dsl_out, char **log_out)
{
	static const char *const log_bad[] = { "error", "warning", "remark", "could not",
					       "invalid", "unknown", "incorrect" };
	static const char *const dsl_bad[] = { "****", "incorrect", "invalid", "unknown",
					       "External (", "error" };
	char dat[64], dsl[64];
	const char *argv[] = { "iasl", "-d", dat, NULL };
	const char *word;
	int status, problems = 0;

	snprintf(dat, sizeof(dat), "%s.dat", name);
	snprintf(dsl, sizeof(dsl), "%s.dsl", name);
	acpi_test_write(dir, dat, table, len);
	status = acpi_test_run(dir, argv, log_out);
	*dsl_out = acpi_test_read(dir, dsl, NULL);
	if (status != 0) {
		if (!quiet)
			cr_log_error("iasl -d %s exited with %d", dat, status);
		problems++;
	}
	word = find_any(*log_out, log_bad, sizeof(log_bad) / sizeof(log_bad[0]));
	if (word) {
		if (!quiet)
			cr_log_error("iasl -d %s output mentions \"%s\":\n%s", dat, word, *log_out);
		problems++;
	}
	if (!*dsl_out) {
		if (!quiet)
			cr_log_error("iasl -d %s wrote no %s:\n%s", dat, dsl, *log_out);
		return problems + 1;
	}
	word = find_any(*dsl_out, dsl_bad, sizeof(dsl_bad) / sizeof(dsl_bad[0]));
	if (word) {
		if (!quiet)
			cr_log_error("%s contains \"%s\"", dsl, word);
		problems++;
	}
	return problems;
}

char *iasl_disassemble(const char *dir, const char *name, const void *table, size_t len)
{
	char *dsl = NULL, *log = NULL;
	int problems = disassemble(dir, name, table, len, false, &dsl, &log);

	cr_assert_eq(problems, 0, "iasl -d %s.dat is not clean (see the log above):\n%s", name, log);
	free(log);
	return dsl;
}

int iasl_disassemble_problems(const char *dir, const char *name, const void *table, size_t len,
			      bool quiet)
{
	char *dsl = NULL, *log = NULL;
	int problems = disassemble(dir, name, table, len, quiet, &dsl, &log);

	free(dsl);
	free(log);
	return problems ? 1 : 0;
}

uint8_t *iasl_compile(const char *dir, const char *src, const char *opts, size_t *len,
		      int *remarks, char **log)
{
	const char *argv[6];
	const char *summary;
	char *output;
	int argc = 0, status, errors = -1, warnings = -1, nremarks = -1;
	uint8_t *bin;

	argv[argc++] = "iasl";
	if (opts && *opts)
		argv[argc++] = opts;
	argv[argc++] = "-p";
	argv[argc++] = "compiled";
	argv[argc++] = src;
	argv[argc] = NULL;
	status = acpi_test_run(dir, argv, &output);
	summary = strstr(output, "Compilation successful.");
	if (!summary)
		summary = strstr(output, "Compilation failed.");
	cr_assert_not_null(summary, "no iasl summary for %s:\n%s", src, output);
	summary = strchr(summary, '.') + 1;
	cr_assert_eq(sscanf(summary, " %d Errors, %d Warnings, %d Remarks", &errors, &warnings,
			    &nremarks), 3, "unparsable iasl summary: %s", summary);
	cr_assert_eq(status, 0, "iasl %s exited with %d:\n%s", src, status, output);
	cr_assert_eq(errors, 0, "iasl %s: %d errors:\n%s", src, errors, output);
	cr_assert_eq(warnings, 0, "iasl %s: %d warnings:\n%s", src, warnings, output);
	bin = (uint8_t *)acpi_test_read(dir, "compiled.aml", len);
	cr_assert_not_null(bin, "iasl %s wrote no compiled.aml:\n%s", src, output);
	if (remarks)
		*remarks = nremarks;
	if (log)
		*log = output;
	else
		free(output);
	return bin;
}

void test_machine_init(struct test_machine *t, uint32_t n, uint32_t cold)
{
	t->cpus = calloc(n ? n : 1, sizeof(*t->cpus));
	cr_assert_not_null(t->cpus);
	for (uint32_t i = 0; i < n; i++) {
		t->cpus[i].mpidr = (uint64_t)(i / 4) << 8 | (i % 4);
		t->cpus[i].cold_booted = i < cold;
	}
	t->m = (struct acpi_machine){
		.nr_cpus = n,
		.cpus = t->cpus,
		.ram_base = 0x40000000ULL,
		.ram_size = 512ULL << 20,
		.pmu = true,
		.nr_virtio_mmio = 2,
	};
}

void test_machine_fini(struct test_machine *t)
{
	free(t->cpus);
	t->cpus = NULL;
}

uint8_t test_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

uint64_t test_le(const uint8_t *p, unsigned int nbytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < nbytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
