/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A length decoder for x86-64 (64-bit mode), enough for the code Go's
 * compiler and assembler emit in the runtime: legacy prefixes, REX, the
 * one-byte, 0F, 0F38 and 0F3A maps, VEX and EVEX forms, ModRM/SIB with
 * displacements and immediates. It gives each instruction's length, its
 * opcode and, for a RIP-relative memory operand, the absolute address it
 * refers to. Pure: works on a buffer, no ELF, no process.
 */
#ifndef BW_X86DEC_H
#define BW_X86DEC_H

#include <stddef.h>
#include <linux/types.h>

struct bw_x86_insn {
	__u32 len;
	__u32 op; /* one-byte op, 0x0fXX, 0x0f38XX / 0x0f3aXX, or 0x10000 for VEX/EVEX */
	__u8 rex;
	__u8 modrm;
	__u8 has_modrm;
	__u8 rip_rel;
	__u64 target; /* RIP-relative memory operand: pc + len + disp32 */
};

/* Decodes the instruction at p[0, n) located at pc. 0, or -1 when it is not decoded here. */
int bw_x86_decode(const __u8 *p, size_t n, __u64 pc, struct bw_x86_insn *in);

/* Whether one of ins[0, n) has a RIP-relative operand at target (and opcode op). */
int bw_x86_refs(const struct bw_x86_insn *ins, int n, __u64 target);
int bw_x86_refs_op(const struct bw_x86_insn *ins, int n, __u64 target, __u32 op);

/*
 * Whether ins[i], ins[i + 1] are LEAQ sym(RIP), R; XCHGQ X, (R): how Go
 * compiles an atomic store to a global (ins[i].target is the global).
 */
int bw_x86_lea_xchg(const struct bw_x86_insn *ins, int n, int i);

#endif
