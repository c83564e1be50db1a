// SPDX-License-Identifier: GPL-2.0
/* Update "bench-100": the first 100 functions of splice_bench_target.ko. */
#define NR 100
#include "splice_bench_update.h"
