# SPDX-License-Identifier: GPL-2.0
# Writes tests/unit/pylinetable_cases.h: real co_linetable bytes from the
# running interpreter with the line of every code unit as co_positions()
# says it, for tests/unit/test_pylinetable.c. Run with each CPython and
# concatenate (tests/unit/gen-pylinetable.sh does).
import sys

SRC = '''
def short(a, b):
    return a + b


def branches(x):
    if x > 10:
        y = x * 2
    elif x < -10:
        y = -x
    else:
        y = 0
    for i in range(3):
        y += i
    return y


def far_apart(a):
    b = a + 1
''' + "\n" * 70 + '''
    c = b * 2
''' + "\n" * 5000 + '''
    return (c,
            b,
            a)


def back_and_forth(n):
    while n:
        n -= 1
        try:
            n = n // 1
        except ZeroDivisionError:
            pass
        finally:
            n = n
    return [i for i in range(n)]


class Klass:
    def method(self, q):
        with open(q) as f:
            return f.read()


async def coro(x):
    return await x


def gen():
    yield 1
    yield from range(2)
'''


def codes(co):
    yield co
    for c in co.co_consts:
        if hasattr(c, "co_linetable"):
            yield from codes(c)


tag = "py%d%d" % sys.version_info[:2]
top = compile(SRC, "cases.py", "exec")
for i, co in enumerate(codes(top)):
    lines = [p[0] if p[0] is not None else -1 for p in co.co_positions()]
    print("static const __u8 %s_%d_table[] = {%s};" % (
        tag, i, ", ".join("0x%02x" % b for b in co.co_linetable)))
    print("static const int %s_%d_lines[] = {%s};" % (
        tag, i, ", ".join(str(x) for x in lines)))
    print("CASE(%s_%d, %d, \"%s %s\")" % (tag, i, co.co_firstlineno, tag, co.co_qualname))
