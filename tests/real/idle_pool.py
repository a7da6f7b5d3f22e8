# SPDX-License-Identifier: GPL-2.0
# A ThreadPoolExecutor that ran a few tasks and a queue.Queue consumer that
# took a few items; then both sit idle. Prints "ready" once they do.
import concurrent.futures
import queue
import sys
import threading
import time

pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
for f in [pool.submit(pow, 2, i) for i in range(16)]:
    f.result()

q = queue.Queue()
taken = threading.Semaphore(0)


def consume():
    while True:
        q.get()
        taken.release()


threading.Thread(target=consume, name="consumer", daemon=True).start()
for i in range(5):
    q.put(i)
for i in range(5):
    taken.acquire()
print("ready", flush=True)
while True:
    time.sleep(3600)
