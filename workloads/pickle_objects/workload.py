"""Pickle round trips of the program's own objects: plain instances, __slots__ classes with
__reduce__, classes with __getstate__/__setstate__, shared references and a cycle.

Each step pickles a project of tasks, people and time entries to bytes and loads it back;
the loaded graph must equal the original and keep its shared references shared. Protocol 2
is the default: every tracked interpreter supports it (2.7 stops there), so the bytes and
the work are the same everywhere; set `protocol` to -1 for each interpreter's newest.
"""
from __future__ import division, print_function

import sys
import types

if sys.version_info[0] == 2:
    import cPickle as pickle  # Python 2's `pickle` is the pure-Python one
else:
    import pickle

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


class Person(object):
    def __init__(self, ident, name, email):
        self.ident = ident
        self.name = name
        self.email = email

    def __eq__(self, other):
        return type(other) is Person and vars(self) == vars(other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class Money(object):
    __slots__ = ("cents", "currency")

    def __init__(self, cents, currency):
        self.cents = cents
        self.currency = currency

    def __reduce__(self):
        return (Money, (self.cents, self.currency))

    def __eq__(self, other):
        return type(other) is Money and (self.cents, self.currency) == (other.cents, other.currency)

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class Task(object):
    def __init__(self, ident, title, owner, budget, tags, parent=None):
        self.ident = ident
        self.title = title
        self.owner = owner  # shared Person objects
        self.budget = budget
        self.tags = tags
        self.parent = parent
        self.entries = []
        self._cache = {"derived": "never pickled"}

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["_cache"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cache = {"derived": "never pickled"}

    def __eq__(self, other):
        return (type(other) is Task and self.ident == other.ident and self.title == other.title and
                self.owner == other.owner and self.budget == other.budget and self.tags == other.tags and
                self.entries == other.entries and
                (self.parent.ident if self.parent else None) == (other.parent.ident if other.parent else None))

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class Project(object):
    def __init__(self, name):
        self.name = name
        self.people = []
        self.tasks = []


def build(people_count, task_count, seed):
    state = seed & 0x7FFFFFFF
    project = Project(u"Rebuild \u00e9t\u00e9 2024")
    for i in range(people_count):
        project.people.append(Person(i, u"Person %d \u2713" % i, "p%d@example.org" % i))
    for i in range(task_count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        parent = project.tasks[(state >> 8) % len(project.tasks)] if project.tasks and state % 3 else None
        task = Task(i, "Task %d" % i, project.people[(state >> 4) % people_count],
                    Money(state % 1000000, "EUR"), frozenset(["t%d" % (state % 5), "t%d" % (state % 7)]), parent)
        for k in range(state % 5):
            task.entries.append((k, (state >> k) % 480, Money(k * 1500, "EUR"), 1.5 * k))
        project.tasks.append(task)
    return project


# pickle stores classes by module and name and finds them again through sys.modules. How the
# harness imports this file (its module name, whether it is in sys.modules) is not part of
# the contract, so the classes are published under a fixed module name of their own.
CLASSES_MODULE = "langperf_workload_pickle_objects"


def publish_classes():
    module = types.ModuleType(CLASSES_MODULE)
    for cls in (Person, Money, Task, Project):
        cls.__module__ = CLASSES_MODULE
        setattr(module, cls.__name__, cls)
    sys.modules[CLASSES_MODULE] = module


def make(params):
    publish_classes()
    project = build(params["people"], params["tasks"], params["seed"])
    protocol = params["protocol"]
    if protocol < 0:
        protocol = pickle.HIGHEST_PROTOCOL

    def step():
        data = pickle.dumps(project, protocol)
        return len(data), pickle.loads(data)

    _, copy = step()
    if copy.name != project.name or copy.people != project.people or copy.tasks != project.tasks:
        raise AssertionError("pickle_objects: the loaded project differs from the original")
    owners = dict((id(p), p) for p in copy.people)
    if any(id(t.owner) not in owners for t in copy.tasks):
        raise AssertionError("pickle_objects: shared Person references were duplicated by the round trip")
    if any(t.parent is not None and t.parent is not copy.tasks[t.parent.ident] for t in copy.tasks):
        raise AssertionError("pickle_objects: parent references do not point into the loaded task list")
    if copy.tasks[0]._cache != {"derived": "never pickled"}:
        raise AssertionError("pickle_objects: __setstate__ did not rebuild the cache")
    return step
