// SPDX-License-Identifier: GPL-2.0
/* Update "bench-1": the first 1 functions of splice_bench_target.ko. */
#define NR 1
#include "splice_bench_update.h"
