/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Bit helpers for BPF programs: integer log2 and the histogram slot rule
 * shared with user space (tools/common/trace_helpers.h, print_log2_hist()).
 */
#ifndef __BITS_BPF_H
#define __BITS_BPF_H

/* floor(log2(v)); log2_u32(0) == 0 */
static __always_inline __u32 log2_u32(__u32 v)
{
	__u32 r = 0, s;

	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3;   v >>= s; r |= s;
	s = (v > 0xf) << 2;    v >>= s; r |= s;
	s = (v > 0x3) << 1;    v >>= s; r |= s;
	return r | (v >> 1);
}

/* floor(log2(v)); log2_u64(0) == 0 */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32((__u32)v);
}

/*
 * Histogram slot of @v, clamped to @nr_slots - 1:
 *   slot 0 holds 0, slot k (k >= 1) holds [2^(k-1), 2^k - 1].
 * So 0 and 1 stay apart, which matters for small counts such as retries.
 */
static __always_inline __u32 hist_slot(__u64 v, __u32 nr_slots)
{
	__u32 slot = v ? log2_u64(v) + 1 : 0;

	return slot < nr_slots ? slot : nr_slots - 1;
}

#endif /* __BITS_BPF_H */
