# SPDX-License-Identifier: GPL-2.0
# The readiness of the Python targets (tests/python/targets): the Python twin
# of tests/targets/announce.h. A target says "ready" only once each of its
# worker threads sleeps in the kernel at the same Python line in two looks
# 20 ms apart, so the frames read from memory and faulthandler's dump taken
# after them see the same threads at the same places. Before "ready" it
# prints each thread's ident and kernel tid ("thread 0x... TID"), so a test
# can tie faulthandler's threads (by ident) to blockwatch's (by tid).
import sys
import time

TIMEOUT_S = 10.0


def _state(native_id):
    try:
        with open("/proc/self/task/%d/stat" % native_id) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def _places(workers):
    frames = sys._current_frames()
    places = []
    for w in workers:
        f = frames.get(w.ident)
        if f is None or _state(w.native_id) != "S":
            return None
        places.append((f.f_code, f.f_lineno))
    return places


def _say_ids():
    """Each thread's ident (faulthandler's name for it) and kernel tid, on stdout."""
    import threading

    for t in threading.enumerate():
        print("thread 0x%016x %d" % (t.ident, t.native_id), flush=True)


def wait(workers):
    """Returns once every worker is parked; exits 1 past TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        now = _places(workers)
        if now is not None and now == last:
            _say_ids()
            return
        last = now
        time.sleep(0.02)
    sys.stderr.write("parking: the workers did not park within %.0f s\n" % TIMEOUT_S)
    sys.exit(1)
