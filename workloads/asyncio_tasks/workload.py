"""asyncio tasks: producers and workers exchanging items through asyncio.Queue.

Each step runs one `run_until_complete` on an event loop created in make: it starts worker
tasks, feeds them through a queue, lets them yield with `asyncio.sleep(0)` and gathers their
results. This measures asyncio's own task, future and queue machinery, which is what most
asyncio programs pay for. The queue is created inside the running loop, as Python 3.6-3.9
bind a queue to the loop current when it is created.
"""
import asyncio
import atexit


async def worker(queue, results, yield_every):
    handled = 0
    total = 0
    while True:
        item = await queue.get()
        if item is None:
            queue.task_done()
            break
        total += item * item
        handled += 1
        if handled % yield_every == 0:
            await asyncio.sleep(0)
        queue.task_done()
    results.append((handled, total))
    return handled


async def fetch(i):
    await asyncio.sleep(0)
    return i * 2


async def main(workers, items, yield_every, batch):
    queue = asyncio.Queue(maxsize=64)
    results = []
    tasks = [asyncio.ensure_future(worker(queue, results, yield_every)) for _ in range(workers)]
    for i in range(items):
        await queue.put(i)
    for _ in range(workers):
        await queue.put(None)
    await queue.join()
    handled = await asyncio.gather(*tasks)
    fetched = await asyncio.gather(*[fetch(i) for i in range(batch)])
    return sum(handled), sum(t for _, t in results), sum(fetched)


def make(params):
    workers = params["workers"]
    items = params["items"]
    yield_every = params["yield_every"]
    batch = params["gather_batch"]
    loop = asyncio.new_event_loop()
    # The contract has no teardown: close the loop at exit so no ResourceWarning is printed.
    atexit.register(loop.close)

    def step():
        return loop.run_until_complete(main(workers, items, yield_every, batch))

    handled, squares, fetched = step()
    want = (items, sum(i * i for i in range(items)), batch * (batch - 1))
    if (handled, squares, fetched) != want:
        raise AssertionError("asyncio_tasks: got %r, expected %r" % ((handled, squares, fetched), want))
    return step
