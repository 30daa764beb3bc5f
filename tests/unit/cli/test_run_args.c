// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/cli/run_args.h"

static int parse(struct vm_config *cfg, char *err, size_t errlen, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"run";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return cli_parse_run(argc, argv, cfg, err, errlen);
}

#define PARSE(...) parse(&cfg, err, sizeof(err), (const char *const[]){ __VA_ARGS__, NULL })

Test(cli, sizes)
{
	uint64_t v;

	cr_assert_eq(cli_parse_size("512M", &v), 0);
	cr_assert_eq(v, 512ULL << 20);
	cr_assert_eq(cli_parse_size("2G", &v), 0);
	cr_assert_eq(v, 2ULL << 30);
	cr_assert_eq(cli_parse_size("2GiB", &v), 0);
	cr_assert_eq(v, 2ULL << 30);
	cr_assert_eq(cli_parse_size("1t", &v), 0);
	cr_assert_eq(v, 1ULL << 40);
	cr_assert_eq(cli_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(cli_parse_size("", &v), -EINVAL);
	cr_assert_eq(cli_parse_size("-1G", &v), -EINVAL);
	cr_assert_eq(cli_parse_size("12X", &v), -EINVAL);
	cr_assert_eq(cli_parse_size("1G2", &v), -EINVAL);
	cr_assert_eq(cli_parse_size("99999999999999999999", &v), -EINVAL);
	cr_assert_eq(cli_parse_size("99999999999T", &v), -ERANGE);
}

Test(cli, cpus_forms)
{
	unsigned b, m;
	char err[256];

	cr_assert_eq(cli_parse_cpus("boot=2,max=4", &b, &m, err, sizeof(err)), 0);
	cr_assert(b == 2 && m == 4);
	cr_assert_eq(cli_parse_cpus("max=6,boot=1", &b, &m, err, sizeof(err)), 0);
	cr_assert(b == 1 && m == 6);
	cr_assert_eq(cli_parse_cpus("3", &b, &m, err, sizeof(err)), 0);
	cr_assert(b == 3 && m == 3);
	cr_assert_eq(cli_parse_cpus("boot=2", &b, &m, err, sizeof(err)), 0);
	cr_assert(b == 2 && m == 2);
	cr_assert_eq(cli_parse_cpus("max=4", &b, &m, err, sizeof(err)), 0);
	cr_assert(b == 1 && m == 4);
}

Test(cli, cpus_errors_name_the_problem)
{
	unsigned b = 7, m = 7;
	char err[256];

	cr_assert_eq(cli_parse_cpus("boot=5,max=4", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "boot=5") && strstr(err, "max=4"), "got: %s", err);
	cr_assert_eq(cli_parse_cpus("max=0", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "max"), "got: %s", err);
	cr_assert_eq(cli_parse_cpus("boot=0,max=2", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "boot"), "got: %s", err);
	cr_assert_eq(cli_parse_cpus("max=100000", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cli_parse_cpus("boot=2,boot=3", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cli_parse_cpus("cores=2", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cli_parse_cpus("boot=,max=2", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cli_parse_cpus("boot=2,", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cli_parse_cpus("", &b, &m, err, sizeof(err)), -EINVAL);
	cr_assert(b == 7 && m == 7, "outputs untouched on error");
}

Test(cli, run_defaults_and_values)
{
	struct vm_config cfg;
	char err[512];

	cr_assert_eq(PARSE("--kernel", "Image"), 0, "%s", err);
	cr_assert_str_eq(cfg.kernel, "Image");
	cr_assert_null(cfg.initrd);
	cr_assert_eq(cfg.boot_vcpus, 1);
	cr_assert_eq(cfg.max_vcpus, 1);
	cr_assert_eq(cfg.mem_size, CLI_DEFAULT_MEM);

	cr_assert_eq(PARSE("--kernel", "K", "--initrd", "I", "--cmdline", "console=ttyAMA0 quiet", "--cpus",
			   "boot=2,max=4", "--memory", "1G", "--acpi", "off", "--api-socket", "/tmp/s"), 0, "%s", err);
	cr_assert_str_eq(cfg.initrd, "I");
	cr_assert_str_eq(cfg.cmdline, "console=ttyAMA0 quiet");
	cr_assert(cfg.boot_vcpus == 2 && cfg.max_vcpus == 4);
	cr_assert_eq(cfg.mem_size, 1ULL << 30);
	cr_assert_not(cfg.acpi);
	cr_assert_str_eq(cfg.api_socket, "/tmp/s");
	cr_assert_eq(PARSE("--kernel=K", "--acpi=on"), 0, "%s", err);
	cr_assert(cfg.acpi);
	cr_assert_eq(cfg.pmu, VM_PMU_AUTO);
	cr_assert_eq(PARSE("--kernel=K", "--pmu", "off"), 0, "%s", err);
	cr_assert_eq(cfg.pmu, VM_PMU_OFF);
	cr_assert_eq(PARSE("--kernel=K", "--pmu=on"), 0, "%s", err);
	cr_assert_eq(cfg.pmu, VM_PMU_ON);
}

Test(cli, run_errors)
{
	struct vm_config cfg;
	char err[512];

	cr_assert_eq(PARSE("--memory", "1G"), -EINVAL);
	cr_assert(strstr(err, "--kernel"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "--memory", "0"), -EINVAL);
	cr_assert(strstr(err, "--memory"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "--memory", "1M"), -EINVAL);
	cr_assert(strstr(err, "too small"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "--memory", "65M"), -EINVAL);
	cr_assert(strstr(err, "2 MiB"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "--memory", "lots"), -EINVAL);
	cr_assert_eq(PARSE("--kernel", "K", "--acpi", "maybe"), -EINVAL);
	cr_assert(strstr(err, "--acpi"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "--pmu", "yes"), -EINVAL);
	cr_assert(strstr(err, "--pmu"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "--bogus"), -EINVAL);
	cr_assert(strstr(err, "--bogus"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel"), -EINVAL);
	cr_assert(strstr(err, "needs a value"), "got: %s", err);
	cr_assert_eq(PARSE("--kernel", "K", "extra"), -EINVAL);
	cr_assert_eq(PARSE("--kernel", "K", "--cpus", "boot=5,max=4"), -EINVAL);
	cr_assert_eq(PARSE("--help"), 1);
	cr_assert(strstr(err, "usage"), "got: %s", err);
}

static int parse_incoming(const char *const *args, struct migrate_params *in, bool *incoming, char *err, size_t len)
{
	struct vm_config cfg;
	char *argv[32];
	int argc = 0;

	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return cli_parse_run_ex(argc, argv, &cfg, in, incoming, err, len);
}

Test(cli, incoming_takes_no_guest_options)
{
	const char *const ok[] = { "run", "--incoming", "tcp:10.0.0.2:5000", "--tls-dir", "/etc/vmm/tls", NULL };
	const char *const plain[] = { "run", "--incoming", "10.0.0.2", "--plain", NULL };
	const char *const kernel[] = { "run", "--incoming", "10.0.0.2", "--plain", "--kernel", "Image", NULL };
	const char *const nosec[] = { "run", "--incoming", "10.0.0.2", NULL };
	const char *const both[] = { "run", "--incoming", "10.0.0.2", "--plain", "--tls-dir", "d", NULL };
	const char *const defer_nosock[] = { "run", "--incoming", "defer", NULL };
	const char *const defer[] = { "run", "--incoming", "defer", "--api-socket", "/tmp/s", NULL };
	const char *const tls_alone[] = { "run", "--kernel", "Image", "--tls-dir", "d", NULL };
	struct migrate_params in;
	bool incoming = false;
	char err[256];

	cr_assert_eq(parse_incoming(ok, &in, &incoming, err, sizeof(err)), 0, "%s", err);
	cr_assert(incoming);
	cr_assert_str_eq(in.host, "10.0.0.2");
	cr_assert_eq(in.port, 5000);
	cr_assert_str_eq(in.tls_dir, "/etc/vmm/tls");
	cr_assert_not(in.plain);
	cr_assert_eq(parse_incoming(plain, &in, &incoming, err, sizeof(err)), 0, "%s", err);
	cr_assert(in.plain);
	cr_assert_eq(in.port, MIGRATE_DEFAULT_PORT);
	cr_assert_eq(parse_incoming(kernel, &in, &incoming, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--kernel cannot be given with --incoming"), "%s", err);
	cr_assert_eq(parse_incoming(nosec, &in, &incoming, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--tls-dir"), "%s", err);
	cr_assert_eq(parse_incoming(both, &in, &incoming, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_incoming(defer_nosock, &in, &incoming, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_incoming(defer, &in, &incoming, err, sizeof(err)), 0, "%s", err);
	cr_assert(in.defer);
	cr_assert_eq(parse_incoming(tls_alone, &in, &incoming, err, sizeof(err)), -EINVAL);
	cr_assert_not(incoming);
}
