"""`async def` coroutines driven by a small hand-written scheduler with `.send()`.

No asyncio: coroutines await tiny request objects (sleep on a virtual clock, send to or
receive from a bounded channel); the scheduler resumes them with `coro.send(value)`. The
workload is therefore the cost of creating, awaiting and resuming coroutines, not of an
event loop's bookkeeping. A pipeline of stages passes numbers along channels while timer
tasks sleep; the consumer must see every number, transformed, in order.
"""
import heapq
from collections import deque


class Request(object):
    """An awaitable that hands itself to the scheduler and returns what the scheduler sends."""

    __slots__ = ("op", "channel", "value")

    def __init__(self, op, channel=None, value=None):
        self.op = op
        self.channel = channel
        self.value = value

    def __await__(self):
        return (yield self)


class Channel(object):
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = deque()
        self.receivers = deque()  # coroutines blocked in recv
        self.senders = deque()  # (coroutine, value) blocked in send


def sleep(ticks):
    return Request("sleep", None, ticks)


def send(channel, value):
    return Request("send", channel, value)


def recv(channel):
    return Request("recv", channel)


class Scheduler(object):
    def __init__(self):
        self.ready = deque()
        self.timers = []
        self.now = 0
        self.seq = 0
        self.switches = 0

    def spawn(self, coro):
        self.ready.append((coro, None))

    def run(self):
        ready = self.ready
        while ready or self.timers:
            if not ready:
                wake, _, coro = heapq.heappop(self.timers)
                self.now = wake
                ready.append((coro, None))
            coro, value = ready.popleft()
            self.switches += 1
            try:
                req = coro.send(value)
            except StopIteration:
                continue
            op = req.op
            if op == "send":
                ch = req.channel
                if ch.receivers:
                    ready.append((ch.receivers.popleft(), req.value))
                    ready.append((coro, None))
                elif len(ch.items) < ch.capacity:
                    ch.items.append(req.value)
                    ready.append((coro, None))
                else:
                    ch.senders.append((coro, req.value))
            elif op == "recv":
                ch = req.channel
                if ch.items:
                    ready.append((coro, ch.items.popleft()))
                    if ch.senders:
                        sender, v = ch.senders.popleft()
                        ch.items.append(v)
                        ready.append((sender, None))
                elif ch.senders:
                    sender, v = ch.senders.popleft()
                    ready.append((coro, v))
                    ready.append((sender, None))
                else:
                    ch.receivers.append(coro)
            elif op == "sleep":
                self.seq += 1
                heapq.heappush(self.timers, (self.now + req.value, self.seq, coro))
            else:
                raise AssertionError("coroutines: unknown request %r" % op)


async def transform(value, rounds):
    # A nested await chain: coroutine calling coroutine.
    if rounds == 0:
        return value
    return await transform(value * 3 % 1000003, rounds - 1)


async def producer(out, count):
    for i in range(count):
        await send(out, i)
    await send(out, None)


async def stage(inp, out, rounds):
    while True:
        value = await recv(inp)
        if value is None:
            await send(out, None)
            return
        await send(out, await transform(value, rounds) + 1)


async def consumer(inp, results):
    while True:
        value = await recv(inp)
        if value is None:
            return
        results.append(value)


async def ticker(period, beats, log):
    for _ in range(beats):
        await sleep(period)
        log.append(period)


def run_once(count, stages, rounds, capacity):
    sched = Scheduler()
    channels = [Channel(capacity) for _ in range(stages + 1)]
    results = []
    beats = []
    sched.spawn(producer(channels[0], count))
    for k in range(stages):
        sched.spawn(stage(channels[k], channels[k + 1], rounds))
    sched.spawn(consumer(channels[-1], results))
    for period in (1, 3, 7):
        sched.spawn(ticker(period, count // (4 * period) + 1, beats))
    sched.run()
    return results, beats, sched.switches, sched.now


def expected_value(i, stages, rounds):
    for _ in range(stages):
        for _ in range(rounds):
            i = i * 3 % 1000003
        i += 1
    return i


def make(params):
    count = params["messages"]
    stages = params["stages"]
    rounds = params["await_depth"]
    capacity = params["capacity"]

    def step():
        return run_once(count, stages, rounds, capacity)

    results, beats, _, _ = step()
    expected = [expected_value(i, stages, rounds) for i in range(count)]
    if results != expected:
        raise AssertionError("coroutines: consumer received %d values, not the %d expected in order" % (len(results), count))
    want_beats = sum(count // (4 * p) + 1 for p in (1, 3, 7))
    if len(beats) != want_beats:
        raise AssertionError("coroutines: %d timer wake-ups, expected %d" % (len(beats), want_beats))
    return step
