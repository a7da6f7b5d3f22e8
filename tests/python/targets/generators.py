# SPDX-License-Identifier: GPL-2.0
# Frames owned by generators and coroutines, for tests/python/check-frames.sh:
# a thread blocked inside a generator it iterates, an asyncio loop whose task
# awaits a future nobody sets (the loop itself parked in select), and a
# lambda calling a nested function that waits. faulthandler dumps every
# thread into argv[1] on SIGUSR1; "ready" goes to stdout once all wait.
import asyncio
import faulthandler
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import parking  # noqa: E402

dump = open(sys.argv[1], "w")
faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)

never = threading.Event()


def produce():
    yield 1
    never.wait()
    yield 2


def consume():
    for _ in produce():
        pass


async def stuck():
    await asyncio.get_running_loop().create_future()


def run_loop():
    asyncio.run(stuck())


def outer():
    def inner():
        never.wait()

    inner()


workers = [
    threading.Thread(target=consume, name="generator", daemon=True),
    threading.Thread(target=run_loop, name="asyncio", daemon=True),
    threading.Thread(target=lambda: outer(), name="nested", daemon=True),
]
for w in workers:
    w.start()
parking.wait(workers)
print("ready", flush=True)
while True:
    time.sleep(3600)
