// SPDX-License-Identifier: GPL-2.0
/*
 * A SIGEV_NONE POSIX timer, armed for 100 s, then disarmed: what
 * timer_gettime() says each time (tests/e2e/stable612/stable612.vm).
 * 6.12.117 reports the armed time still remaining after the disarm; the
 * fix of 6.12.118 reports 0.
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct itimerspec on = { .it_value = { 100, 0 } }, off = { 0 }, cur;
	timer_t t;

	if (timer_create(CLOCK_MONOTONIC, &sev, &t)) {
		perror("timer_create");
		return 2;
	}
	if (timer_settime(t, 0, &on, NULL) || timer_gettime(t, &cur)) {
		perror("arm");
		return 2;
	}
	printf("armed %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	if (timer_settime(t, 0, &off, NULL) || timer_gettime(t, &cur)) {
		perror("disarm");
		return 2;
	}
	printf("disarmed %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	return 0;
}
