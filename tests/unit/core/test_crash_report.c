// SPDX-License-Identifier: MIT
/* A fatal signal prints where it happened, then the process dies of that signal. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/core/crash_report.h"

static volatile int *volatile nowhere;

Test(crash_report, segv_reported_then_default_action)
{
	char out[2048] = "";
	int fds[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		crash_report_install();
		*nowhere = 1;
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status 0x%x", status);
	cr_expect(strstr(out, "vmm: fatal signal 11 (fault address 0x0000000000000000)"), "%s", out);
	cr_expect(strstr(out, " at pc 0x"), "%s", out);
}
