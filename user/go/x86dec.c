// SPDX-License-Identifier: GPL-2.0
/* x86-64 instruction lengths and RIP-relative operands: see x86dec.h. */
#include <string.h>
#include "go/x86dec.h"

static __u32 le32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

/* Operand bytes after the opcode, for the one-byte and 0F maps (64-bit mode). */
#define M 1	/* ModRM (+ SIB, displacement) */
#define I8 2	/* imm8 / rel8 */
#define IZ 4	/* imm16 with 0x66, else imm32 */
#define BAD 8	/* invalid, a prefix, or not decoded here */
#define I16 16	/* imm16 */
#define R32 32	/* rel32 */
#define I24 64	/* imm16 + imm8 (ENTER) */
#define I64 128 /* moffs64, or imm64 for B8+r with REX.W */
/* NOLINTNEXTLINE(bugprone-macro-parentheses): r is an opcode literal */
#define ALU(r) [r + 0 ... r + 3] = M, [r + 4] = I8, [r + 5] = IZ, [r + 6 ... r + 7] = BAD

/* clang-format off */
static const __u8 op1_tab[256] = {
	ALU(0x00), ALU(0x08), ALU(0x10), ALU(0x18), ALU(0x20), ALU(0x28), ALU(0x30), ALU(0x38),
	[0x40 ... 0x4f] = BAD, [0x60 ... 0x62] = BAD, [0x63] = M, [0x64 ... 0x67] = BAD,
	[0x68] = IZ, [0x69] = M | IZ, [0x6a] = I8, [0x6b] = M | I8, [0x70 ... 0x7f] = I8,
	[0x80] = M | I8, [0x81] = M | IZ, [0x82] = BAD, [0x83] = M | I8, [0x84 ... 0x8f] = M,
	[0x9a] = BAD, [0xa0 ... 0xa3] = I64, [0xa8] = I8, [0xa9] = IZ, [0xb0 ... 0xb7] = I8,
	[0xb8 ... 0xbf] = IZ, [0xc0 ... 0xc1] = M | I8, [0xc2] = I16, [0xc4 ... 0xc5] = BAD,
	[0xc6] = M | I8, [0xc7] = M | IZ, [0xc8] = I24, [0xca] = I16, [0xcd] = I8, [0xce] = BAD,
	[0xd0 ... 0xd3] = M, [0xd4 ... 0xd6] = BAD, [0xd8 ... 0xdf] = M, [0xe0 ... 0xe7] = I8,
	[0xe8 ... 0xe9] = R32, [0xea] = BAD, [0xeb] = I8, [0xf0] = BAD, [0xf2 ... 0xf3] = BAD,
	[0xf6 ... 0xf7] = M, [0xfe ... 0xff] = M,
};

static const __u8 op2_tab[256] = {
	[0x00 ... 0x03] = M, [0x04] = BAD, [0x0a] = BAD, [0x0c] = BAD, [0x0d] = M,
	[0x0f] = M | I8, [0x10 ... 0x23] = M, [0x24 ... 0x27] = BAD, [0x28 ... 0x2f] = M,
	[0x38 ... 0x3f] = BAD, [0x40 ... 0x6f] = M, [0x70 ... 0x73] = M | I8, [0x74 ... 0x76] = M,
	[0x78 ... 0x7f] = M, [0x80 ... 0x8f] = R32, [0x90 ... 0x9f] = M, [0xa3] = M,
	[0xa4] = M | I8, [0xa5] = M, [0xa6 ... 0xa7] = BAD, [0xab] = M, [0xac] = M | I8,
	[0xad ... 0xb9] = M, [0xba] = M | I8, [0xbb ... 0xc1] = M, [0xc2] = M | I8, [0xc3] = M,
	[0xc4 ... 0xc6] = M | I8, [0xc7] = M, [0xd0 ... 0xff] = M,
};
/* clang-format on */

int bw_x86_decode(const __u8 *p, size_t n, __u64 pc, struct bw_x86_insn *in)
{
	size_t i = 0, imm = 0;
	int opsz16 = 0, flags;
	__u8 b;

	memset(in, 0, sizeof(*in));
	for (;; i++) { /* legacy prefixes */
		if (i >= n || i >= 14)
			return -1;
		b = p[i];
		if (b == 0x66)
			opsz16 = 1;
		else if (b != 0x67 && b != 0xf0 && b != 0xf2 && b != 0xf3 && b != 0x2e &&
			 b != 0x3e && b != 0x26 && b != 0x36 && b != 0x64 && b != 0x65)
			break;
	}
	if ((p[i] & 0xf0) == 0x40 && ++i < n)
		in->rex = p[i - 1];
	if (i >= n)
		return -1;
	b = p[i++];
	if (b == 0xc4 || b == 0xc5 || b == 0x62) { /* VEX3, VEX2, EVEX */
		__u32 map = 1, pre = b == 0xc5 ? 1 : b == 0xc4 ? 2 : 3;

		if (i + pre >= n)
			return -1;
		if (b != 0xc5)
			map = p[i] & (b == 0xc4 ? 0x1f : 0x07);
		i += pre;
		b = p[i++];
		in->op = 0x10000;
		flags = M;
		if (map == 3 || (map == 1 && (op2_tab[b] & I8)))
			flags |= I8;
	} else if (b == 0x0f) {
		if (i >= n)
			return -1;
		b = p[i++];
		if (b == 0x38 || b == 0x3a) {
			if (i >= n)
				return -1;
			in->op = (b == 0x38 ? 0x0f3800 : 0x0f3a00) | p[i++];
			flags = b == 0x38 ? M : M | I8;
		} else {
			in->op = 0x0f00 | b;
			flags = op2_tab[b];
		}
	} else {
		in->op = b;
		flags = op1_tab[b];
		if (b >= 0xb8 && b <= 0xbf && (in->rex & 8))
			flags = I64;
	}
	if (flags & BAD)
		return -1;
	if (flags & M) {
		__u8 mod, rm;

		if (i >= n)
			return -1;
		in->has_modrm = 1;
		in->modrm = p[i++];
		mod = in->modrm >> 6;
		rm = in->modrm & 7;
		if (mod != 3 && rm == 4) {
			if (i >= n)
				return -1;
			if (mod == 0 && (p[i] & 7) == 5)
				imm += 4; /* disp32, no base */
			i++;
		}
		if (mod == 0 && rm == 5) {
			in->rip_rel = 1;
			if (i + 4 > n)
				return -1;
			in->target = (__u64)(__s64)(__s32)le32(p + i);
			i += 4;
		} else if (mod == 1) {
			i += 1;
		} else if (mod == 2) {
			i += 4;
		}
		if ((in->op == 0xf6 || in->op == 0xf7) && ((in->modrm >> 3) & 7) < 2)
			flags |= in->op == 0xf6 ? I8 : IZ;
	}
	if (flags & I8)
		imm += 1;
	if (flags & IZ)
		imm += opsz16 ? 2 : 4;
	if (flags & I16)
		imm += 2;
	if (flags & R32)
		imm += 4;
	if (flags & I24)
		imm += 3;
	if (flags & I64)
		imm += 8;
	i += imm;
	if (i > n || i > 15)
		return -1;
	in->len = i;
	if (in->rip_rel)
		in->target += pc + i;
	return 0;
}

int bw_x86_refs(const struct bw_x86_insn *ins, int n, __u64 target)
{
	int i;

	for (i = 0; i < n; i++)
		if (ins[i].rip_rel && ins[i].target == target)
			return 1;
	return 0;
}

int bw_x86_refs_op(const struct bw_x86_insn *ins, int n, __u64 target, __u32 op)
{
	int i;

	for (i = 0; i < n; i++)
		if (ins[i].rip_rel && ins[i].target == target && ins[i].op == op)
			return 1;
	return 0;
}

/* LEAQ sym(SB), R; XCHGQ X, (R): how atomic stores of a global are compiled. */
int bw_x86_lea_xchg(const struct bw_x86_insn *ins, int n, int i)
{
	const struct bw_x86_insn *a = &ins[i], *b = &ins[i + 1];
	__u8 reg;

	if (i + 1 >= n || a->op != 0x8d || !a->rip_rel || b->op != 0x87 || !b->has_modrm)
		return 0;
	reg = ((a->modrm >> 3) & 7) | (a->rex & 4 ? 8 : 0);
	return (b->modrm >> 6) == 0 && (b->modrm & 7) != 4 && (b->modrm & 7) != 5 &&
	       ((b->modrm & 7) | (b->rex & 1 ? 8 : 0)) == reg;
}
