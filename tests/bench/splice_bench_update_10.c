// SPDX-License-Identifier: GPL-2.0
/* Update "bench-10": the first 10 functions of splice_bench_target.ko. */
#define NR 10
#include "splice_bench_update.h"
