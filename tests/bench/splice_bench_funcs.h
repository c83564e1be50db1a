/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SPLICE_BENCH_FUNCS(F) calls F(n) for n = 0..99: the 100 small functions
 * of splice_bench_target.ko (splice_bench_fn<n>, returning n) and the new
 * code of the update modules that replace the first 1, 10 or 100 of them.
 */
#define SPLICE_BENCH_10(F, d) F(d##0) F(d##1) F(d##2) F(d##3) F(d##4) \
	F(d##5) F(d##6) F(d##7) F(d##8) F(d##9)
#define SPLICE_BENCH_FUNCS(F) SPLICE_BENCH_10(F, ) SPLICE_BENCH_10(F, 1) \
	SPLICE_BENCH_10(F, 2) SPLICE_BENCH_10(F, 3) SPLICE_BENCH_10(F, 4) \
	SPLICE_BENCH_10(F, 5) SPLICE_BENCH_10(F, 6) SPLICE_BENCH_10(F, 7) \
	SPLICE_BENCH_10(F, 8) SPLICE_BENCH_10(F, 9)
