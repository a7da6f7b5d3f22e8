#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Writes tiny synthetic Go executables (a few KB) as seeds for fuzz_gobin.

Real Go binaries are > 1 MB, too big for git and slow to fuzz: a mutation
rarely lands in the few bytes that matter. These hold just what
user/go/gobin.c reads, laid out as Go's linker does (runtime/symtab.go,
cmd/link/internal/ld/pcln.go, debug/buildinfo):

  - .go.buildinfo (1.18+ inline version string, or the older pointer form);
  - a pclntab of 5 functions with file:line tables, a cutab and one inlined
    call (main.helper into main.worker), in the 1.16 (0xfffffffa), 1.18
    (0xfffffff0) and 1.20 (0xfffffff1) layouts;
  - runtime.allgadd and runtime.mcommoninit with the instructions from which
    runtime.allgs/allglen/allm are recovered, runtime.waitReasonStrings,
    runtime.buildVersion and runtime.firstmoduledata in the data;
  - optionally .symtab, a DWARF description of runtime.g & co, PIE
    relocations (R_X86_64_RELATIVE) instead of stored pointers, or no
    section headers at all.

usage: tests/fuzz/gen-go-seeds.py OUT_DIR
"""
import os
import struct
import sys

BASE = 0x400000
PAGE = 0x400  # segment spacing: the file stays small; nothing here is mapped

MAGIC = {116: 0xFFFFFFFA, 118: 0xFFFFFFF0, 120: 0xFFFFFFF1}

WAIT_REASONS = ["", "GC assist marking", "IO wait", "chan receive (nil chan)",
                "chan send (nil chan)", "dumping heap", "garbage collection",
                "garbage collection scan", "panicwait", "select", "select (no cases)",
                "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
                "chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep"]


def u8(v): return struct.pack("<B", v & 0xFF)
def u16(v): return struct.pack("<H", v & 0xFFFF)
def u32(v): return struct.pack("<I", v & 0xFFFFFFFF)
def u64(v): return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(v):
    return (v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1


def pctab(runs):
    """runs: [(value, length in bytes)] -> a Go pc-value table."""
    out, prev = bytearray(), -1
    for val, length in runs:
        out += uvarint(zigzag(val - prev)) + uvarint(length)
        prev = val
    return bytes(out + b"\0")


def align(b, n):
    return b + b"\0" * (-len(b) % n)


def rip(insn_va, insn_len, target):
    return u32(target - (insn_va + insn_len))


class Seg:
    def __init__(self, va, flags):
        self.va, self.flags, self.data, self.bss = va, flags, bytearray(), 0

    def here(self):
        return self.va + len(self.data)

    def put(self, b, alignment=1):
        self.data += b"\0" * (-len(self.data) % alignment)
        va = self.here()
        self.data += b
        return va


def build(ver, version, symtab, dwarf, pie, sections, main_lines=((30, 16),)):
    base = 0 if pie else BASE
    text = Seg(base + PAGE, 5)      # R+X
    ro = Seg(base + 2 * PAGE, 4)    # R
    rw = Seg(base + 3 * PAGE, 6)    # R+W
    relocs, syms, scns = [], [], []

    def ptr(seg, va_target, alignment=8):
        """A stored pointer: the value in the file, or a RELATIVE reloc in PIE."""
        va = seg.put(u64(0 if pie else va_target), alignment)
        if pie:
            relocs.append((va, va_target))
        return va

    # ---- .bss symbols (allocated below the rw data) ----
    # Laid out after rw is filled; addresses are fixed now for the code.
    bss_va = base + 4 * PAGE
    allgs, allglen, allm = bss_va, bss_va + 24, bss_va + 32

    # ---- .text ----
    funcs = []

    def func(name, code, lines, files, inl=None):
        va = text.put(code, 16)
        funcs.append(dict(name=name, va=va, size=len(code), lines=lines, files=files, inl=inl))
        return va

    # runtime.allgadd: loads of allgs, allgs+8, allgs+16; LEA+XCHG on allglen.
    va = text.here() + (-len(text.data) % 16)
    c = bytearray()
    for reg, off in ((0x05, 0), (0x0D, 8), (0x15, 16)):      # mov rax/rcx/rdx, [rip+allgs+off]
        c += b"\x48\x8b" + u8(reg) + rip(va + len(c), 7, allgs + off)
    c += b"\x48\x8d\x0d" + rip(va + len(c), 7, allglen)     # lea rcx, [rip+allglen]
    c += b"\x48\x87\x01"                                     # xchg [rcx], rax
    c += b"\xc3"
    func("runtime.allgadd", bytes(c), [(100, len(c))], [2])

    # runtime.mcommoninit: mp.alllink = allm; atomicstorep(&allm, mp).
    va = text.here() + (-len(text.data) % 16)
    c = bytearray()
    c += b"\x48\x8b\x05" + rip(va, 7, allm)                  # mov rax, [rip+allm]
    c += b"\x48\x89\x43\x10"                                 # mov [rbx+16], rax
    c += b"\x48\x8d\x0d" + rip(va + len(c), 7, allm)         # lea rcx, [rip+allm]
    c += b"\x48\x87\x19"                                     # xchg [rcx], rbx
    c += b"\xc3"
    func("runtime.mcommoninit", bytes(c), [(200, 8), (201, len(c) - 8)], [2])

    func("runtime.gopark", b"\x90" * 15 + b"\xc3", [(300, 16)], [2])
    # main.worker: [0,8) line 20, [8,24) main.helper inlined (helper.go:5), [24,32) line 22.
    func("main.worker", b"\x90" * 31 + b"\xc3", [(20, 8), (5, 16), (22, 8)], [0, 1, 0],
         inl=[(-1, 8), (0, 16), (-1, 8)])
    func("main.main", b"\xe8\0\0\0\0" + b"\x90" * 10 + b"\xc3", list(main_lines), [0])
    text_end = text.put(b"\xcc" * 16, 16)    # the ftab's end sentinel points past the last

    # ---- .rodata: strings, inline tree (go:func.*) ----
    strs = {}
    for s in WAIT_REASONS[1:] + [version]:
        strs[s] = ro.put(s.encode())
    gofunc = ro.put(b"", 8)

    # ---- pclntab ----
    names = [f["name"] for f in funcs] + ["main.helper"]
    fnt = bytearray(b"go:buildid\0")
    nameoff = {}
    for n in names:
        nameoff[n] = len(fnt)
        fnt += n.encode() + b"\0"
    files = ["/src/main.go", "/src/helper.go", "/usr/lib/go/src/runtime/proc.go"]
    filetab, fileoff = bytearray(), []
    for f in files:
        fileoff.append(len(filetab))
        filetab += f.encode() + b"\0"
    cutab = b"".join(u32(o) for o in fileoff)
    pct = bytearray(b"\0")   # offset 0 means "no table"
    for f in funcs:
        f["pcfile"] = len(pct)
        pct += pctab(list(zip(f["files"], [ln for _, ln in f["lines"]])))
        f["pcln"] = len(pct)
        pct += pctab(f["lines"])
        f["pcinl"] = 0
        if f["inl"]:
            f["pcinl"] = len(pct)
            pct += pctab(f["inl"])

    # Inline tree of main.worker in go:func.* (1.18+) or anywhere (1.16: pointers).
    worker = funcs[3]
    if ver == 120:  # {funcID u8, _ [3]u8, nameOff i32, parentPc i32, startLine i32}
        tree = u8(0) + b"\0" * 3 + u32(nameoff["main.helper"]) + u32(4) + u32(3)
    else:           # {parent i16, funcID u8, _ u8, file i32, line i32, func_ i32, parentPc i32}
        tree = u16(-1) + u8(0) + u8(0) + u32(1) + u32(5) + u32(nameoff["main.helper"]) + u32(4)
    tree_va = ro.put(tree, 4)

    hdr_size = 64 if ver == 116 else 72
    offs, tab = [], bytearray()
    for part in (bytes(fnt), cutab, bytes(filetab), bytes(pct)):
        offs.append(hdr_size + len(tab))
        tab += part
        tab = bytearray(align(bytes(tab), 8))
    pcln_off = hdr_size + len(tab)
    offs.append(pcln_off)

    ro.put(b"", 8)
    pcheader_va = ro.here()
    # The pclntable: ftab, then the _func records.
    nf = len(funcs)
    esize = 16 if ver == 116 else 8
    ftab_len = (nf + 1) * esize
    recs, funcoffs = bytearray(), []
    for f in funcs:
        rec_off = ftab_len + len(recs)
        funcoffs.append(rec_off)
        npcdata, nfuncdata = (3, 4) if f["inl"] else (0, 0)
        if ver == 116:
            r = u64(f["va"]) + u32(nameoff[f["name"]]) + u32(0) + u32(0) + u32(0) + \
                u32(f["pcfile"]) + u32(f["pcln"]) + u32(npcdata) + u32(0) + \
                u8(0) + b"\0\0" + u8(nfuncdata)
        else:
            r = u32(f["va"] - text.va) + u32(nameoff[f["name"]]) + u32(0) + u32(0) + \
                u32(0) + u32(f["pcfile"]) + u32(f["pcln"]) + u32(npcdata) + u32(0)
            if ver == 120:
                r += u32(f["lines"][0][0])
            r += u8(0) + u8(0) + u8(0) + u8(nfuncdata)
        r += b"".join(u32(o) for o in ([0, 0, f["pcinl"]] if f["inl"] else []))
        if nfuncdata:
            if ver == 116:   # uintptr funcdata, 8-aligned in memory
                abs_off = pcheader_va + pcln_off + rec_off + len(r)
                r += b"\0" * (-abs_off % 8)
                r += u64(0) * 3 + u64(tree_va)
            else:
                r += u32(0xFFFFFFFF) * 3 + u32(tree_va - gofunc)
        recs += align(r, 4 if ver != 116 else 8)
    ftab = bytearray()
    for i, f in enumerate(funcs + [dict(va=text_end)]):
        fo = funcoffs[i] if i < nf else funcoffs[-1]
        if ver == 116:
            ftab += u64(f["va"]) + u64(fo)
        else:
            ftab += u32(f["va"] - text.va) + u32(fo)
    hdr = u32(MAGIC[ver]) + b"\0\0" + u8(1) + u8(8) + u64(nf) + u64(len(files))
    if ver != 116:
        hdr += u64(text.va)
    hdr += b"".join(u64(o) for o in offs)
    assert len(hdr) == hdr_size
    pclntab = hdr + tab + ftab + recs
    ro.put(pclntab)
    if pie and ver == 116:   # 1.16 ftab entries are pointers: relocated in PIE
        for i, f in enumerate(funcs + [dict(va=text_end)]):
            relocs.append((pcheader_va + pcln_off + i * 16, f["va"]))

    # ---- rw: .go.buildinfo, .noptrdata, .data ----
    binfo_va = rw.put(b"", 16)
    bv_hdr_va = None
    if ver >= 118:
        mod = b"path\texample.com/seed\n"
        rw.put(b"\xff Go buildinf:" + u8(8) + u8(2) + b"\0" * 16 +
               uvarint(len(version)) + version.encode() + uvarint(len(mod)) + mod)
    else:
        rw.put(b"\xff Go buildinf:" + u8(8) + u8(0))
        slot = rw.here()
        rw.put(u64(0) * 2)
    binfo_end = rw.here()

    # runtime.buildVersion: a string header.
    bv_hdr_va = ptr(rw, strs[version])
    rw.put(u64(len(version)))
    if ver < 118:   # the buildinfo points at buildVersion
        if pie:
            relocs.append((slot, bv_hdr_va))
        else:
            rw.data[slot - rw.va:slot - rw.va + 8] = u64(bv_hdr_va)

    # runtime.firstmoduledata: pcHeader, funcnametab, ... text @176, gofunc @304/320.
    md_va = rw.put(b"", 8)
    md = {0: pcheader_va, 8: pcheader_va + offs[0], 176: text.va,
          (304 if ver == 118 else 320): gofunc}
    for off in range(0, 400, 8):
        if off in md:
            ptr(rw, md[off])
        else:
            rw.put(u64(0))

    # runtime.waitReasonStrings: [n]string, then an empty header.
    wr_va = rw.put(u64(0) + u64(0), 8)
    for s in WAIT_REASONS[1:]:
        ptr(rw, strs[s])
        rw.put(u64(len(s)))
    rw.put(u64(0) * 2)
    assert rw.here() <= bss_va
    rw.bss = bss_va + 64 - rw.here()   # .bss: memory past the file bytes

    # ---- sections and symbols ----
    segs = [text, ro, rw]
    sh = []   # (name, type, flags, va, data or size, link, info, entsize)

    def scn(name, typ, flags, va, data, link=0, info=0, entsize=0, nobits_size=0):
        sh.append(dict(name=name, type=typ, flags=flags, va=va, data=data, link=link,
                       info=info, entsize=entsize, size=nobits_size or len(data or b"")))
        return len(sh)   # index (the null section is 0)

    A, W, X = 2, 1, 4
    i_text = scn(".text", 1, A | X, text.va, bytes(text.data))
    ro_data = bytes(ro.data)
    i_ro = scn(".rodata", 1, A, ro.va, ro_data[:pcheader_va - ro.va])
    i_pcln = scn(".gopclntab", 1, A, pcheader_va, ro_data[pcheader_va - ro.va:])
    rw_data = bytes(rw.data)
    i_bi = scn(".go.buildinfo", 1, A | W, binfo_va, rw_data[:binfo_end - rw.va])
    i_data = scn(".noptrdata", 1, A | W, binfo_end, rw_data[binfo_end - rw.va:])
    i_bss = scn(".bss", 8, A | W, rw.here(), None, nobits_size=rw.bss)
    if pie and relocs:
        rela = b"".join(u64(off) + u64(8) + u64(tgt) for off, tgt in relocs)  # type 8: RELATIVE
        scn(".rela.dyn", 4, 0, 0, rela, entsize=24)
    if symtab:
        strtab = bytearray(b"\0")
        sym = bytearray(b"\0" * 24)

        def add(name, va, size, typ, shndx):
            nonlocal strtab, sym
            sym += u32(len(strtab)) + u8(0x10 | typ) + u8(0) + u16(shndx) + u64(va) + u64(size)
            strtab += name.encode() + b"\0"
        add("runtime.text", text.va, 0, 2, i_text)
        for f in funcs:
            add(f["name"], f["va"], f["size"], 2, i_text)
        add("go:func.*", gofunc, 0, 1, i_ro)
        add("runtime.pcheader", pcheader_va, 0, 1, i_pcln)
        add("runtime.buildVersion", bv_hdr_va, 16, 1, i_data)
        add("runtime.firstmoduledata", md_va, 400, 1, i_data)
        add("runtime.waitReasonStrings", wr_va, 16 * len(WAIT_REASONS), 1, i_data)
        add("runtime.allgs", allgs, 24, 1, i_bss)
        add("runtime.allglen", allglen, 8, 1, i_bss)
        add("runtime.allm", allm, 8, 1, i_bss)
        i_strtab = len(sh) + 2
        scn(".symtab", 2, 0, 0, bytes(sym), link=i_strtab, info=1, entsize=24)
        scn(".strtab", 3, 0, 0, bytes(strtab))
    if dwarf:
        abbrev = bytes([1, 0x11, 1, 0x03, 0x08, 0, 0,
                        2, 0x13, 1, 0x03, 0x08, 0x0B, 0x0F, 0, 0,
                        3, 0x0D, 0, 0x03, 0x08, 0x38, 0x0F, 0, 0, 0])

        def struct_die(name, size, members):
            d = u8(2) + name.encode() + b"\0" + uvarint(size)
            for m, off in members:
                d += u8(3) + m.encode() + b"\0" + uvarint(off)
            return d + u8(0)
        dies = u8(1) + b"runtime\0"
        dies += struct_die("runtime.g", 440, [
            ("stack", 0), ("m", 48), ("sched", 56), ("atomicstatus", 144), ("goid", 152),
            ("waitsince", 168), ("waitreason", 176), ("parentGoid", 272), ("gopc", 280),
            ("startpc", 296), ("waiting", 312), ("trackingSeq", 191)])
        dies += struct_die("runtime.stack", 16, [("lo", 0), ("hi", 8)])
        dies += struct_die("runtime.gobuf", 56, [("sp", 0), ("pc", 8), ("bp", 40)])
        dies += struct_die("runtime.m", 1000, [("procid", 64), ("curg", 184), ("alllink", 344)])
        dies += struct_die("runtime.sudog", 96, [("c", 80), ("isSelect", 52)])
        dies += u8(0)
        body = u16(4) + u32(0) + u8(8) + dies
        scn(".debug_abbrev", 1, 0, 0, abbrev)
        scn(".debug_info", 1, 0, 0, u32(len(body)) + body)

    # ---- file ----
    phnum = len(segs)
    out = bytearray(b"\0" * 64 + b"\0" * 56 * phnum)
    for s in segs:   # file offset = va - base
        assert len(out) <= s.va - base
        out += b"\0" * (s.va - base - len(out))
        s.off = len(out)
        out += s.data
    for h in sh:
        if h["type"] == 8 or h["data"] is None:
            h["off"] = rw.off + len(rw.data)
            continue
        if h["va"]:
            seg = next(s for s in segs if s.va <= h["va"] <= s.here())
            h["off"] = seg.off + (h["va"] - seg.va)
        else:
            out = bytearray(align(bytes(out), 8))
            h["off"] = len(out)
            out += h["data"]
    shstr = bytearray(b"\0")
    for h in sh:
        h["nameoff"] = len(shstr)
        shstr += h["name"].encode() + b"\0"
    shstr_nameoff = len(shstr)
    shstr += b".shstrtab\0"
    shstr_off = len(out)
    out += shstr
    out = bytearray(align(bytes(out), 8))
    shoff = len(out) if sections else 0
    shnum = len(sh) + 2 if sections else 0
    if sections:
        out += b"\0" * 64
        for h in sh:
            out += u32(h["nameoff"]) + u32(h["type"]) + u64(h["flags"]) + u64(h["va"]) + \
                u64(h["off"]) + u64(h["size"]) + u32(h["link"]) + u32(h["info"]) + \
                u64(1) + u64(h["entsize"])
        out += u32(shstr_nameoff) + u32(3) + u64(0) + u64(0) + u64(shstr_off) + \
            u64(len(shstr)) + u32(0) + u32(0) + u64(1) + u64(0)
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    eh += u16(3 if pie else 2) + u16(62) + u32(1) + u64(funcs[-1]["va"]) + u64(64) + \
        u64(shoff) + u32(0) + u16(64) + u16(56) + u16(phnum) + u16(64) + u16(shnum) + \
        u16(shnum - 1 if sections else 0)
    ph = b""
    for s in segs:
        memsz = len(s.data) + s.bss
        ph += u32(1) + u32(s.flags) + u64(s.off) + u64(s.va) + u64(s.va) + \
            u64(len(s.data)) + u64(memsz) + u64(PAGE)
    out[0:64 + len(ph)] = eh + ph
    return bytes(out)


VARIANTS = {
    "go121-symtab-dwarf": dict(ver=120, version="go1.21.5", symtab=True, dwarf=True, pie=False,
                               sections=True),
    "go121-stripped": dict(ver=120, version="go1.21.5", symtab=False, dwarf=False, pie=False,
                           sections=True),
    "go126-stripped": dict(ver=120, version="go1.26.0", symtab=False, dwarf=False, pie=False,
                           sections=True),
    "go121-nosections": dict(ver=120, version="go1.21.5", symtab=False, dwarf=False, pie=False,
                             sections=False),
    "go119-pie-stripped": dict(ver=118, version="go1.19.8", symtab=False, dwarf=False,
                               pie=True, sections=True),
    "go119-symtab": dict(ver=118, version="go1.19.8", symtab=True, dwarf=False, pie=False,
                         sections=True),
    "go116-stripped": dict(ver=116, version="go1.16.15", symtab=False, dwarf=False, pie=False,
                           sections=True),
    "go116-pie-symtab": dict(ver=116, version="go1.16.15", symtab=True, dwarf=False, pie=True,
                             sections=True),
    # Regression: a line delta of INT32_MIN from -1 overflowed pcvalue()'s
    # int32 sum (UB; Go's int32 wraps).
    "regress-pcvalue-overflow": dict(ver=120, version="go1.21.5", symtab=False, dwarf=False,
                                     pie=False, sections=True,
                                     main_lines=((-(1 << 31) - 1, 16),)),
}

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, kw in VARIANTS.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(build(**kw))
