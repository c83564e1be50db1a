// SPDX-License-Identifier: GPL-2.0
/*
 * The meminfo update once more, as a module of another name, so that two
 * updates with pre code can stack on meminfo_proc_show (tests/vm/match.vm).
 */
#include "splice_test_update_meminfo.c"
