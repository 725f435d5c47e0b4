"""Gravitational n-body integration with a symplectic (leapfrog-style) Euler step.

The system is generated, not copied from a catalogue: a star of one solar mass and planets on
circular orbits, in units of astronomical units, years and solar masses (so G = 4 pi^2).
Every step restarts from the same initial state, so each call does identical work.
The check is physics: total energy must be conserved to a small relative error.
"""
from __future__ import division, print_function

import math

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

G = 4.0 * math.pi * math.pi


class Lcg(object):
    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def uniform(self):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return self.state / 2147483648.0


def initial_system(planets, seed):
    rng = Lcg(seed)
    # Each body: [x, y, z, vx, vy, vz, mass]
    bodies = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]
    radius = 0.4
    for _ in range(planets):
        radius *= 1.4 + 0.6 * rng.uniform()
        angle = 2.0 * math.pi * rng.uniform()
        tilt = 0.05 * (rng.uniform() - 0.5)
        speed = math.sqrt(G / radius)
        mass = 1e-6 * (1.0 + 999.0 * rng.uniform())
        bodies.append([
            radius * math.cos(angle), radius * math.sin(angle), radius * tilt,
            -speed * math.sin(angle), speed * math.cos(angle), 0.0,
            mass,
        ])
    # Give the star the opposite momentum so the centre of mass stays put.
    px = py = pz = 0.0
    for b in bodies[1:]:
        px += b[3] * b[6]
        py += b[4] * b[6]
        pz += b[5] * b[6]
    bodies[0][3] = -px
    bodies[0][4] = -py
    bodies[0][5] = -pz
    return bodies


def energy(bodies):
    e = 0.0
    n = len(bodies)
    for i in range(n):
        xi, yi, zi, vxi, vyi, vzi, mi = bodies[i]
        e += 0.5 * mi * (vxi * vxi + vyi * vyi + vzi * vzi)
        for j in range(i + 1, n):
            xj, yj, zj, _, _, _, mj = bodies[j]
            dx = xi - xj
            dy = yi - yj
            dz = zi - zj
            e -= G * mi * mj / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def advance(bodies, dt, steps):
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    for _ in range(steps):
        for a, b in pairs:
            dx = a[0] - b[0]
            dy = a[1] - b[1]
            dz = a[2] - b[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt * G / (d2 * math.sqrt(d2))
            mb = b[6] * mag
            ma = a[6] * mag
            a[3] -= dx * mb
            a[4] -= dy * mb
            a[5] -= dz * mb
            b[3] += dx * ma
            b[4] += dy * ma
            b[5] += dz * ma
        for body in bodies:
            body[0] += dt * body[3]
            body[1] += dt * body[4]
            body[2] += dt * body[5]


def make(params):
    start = initial_system(params["planets"], params["seed"])
    dt = params["dt_years"]
    steps = params["steps"]

    def step():
        bodies = [b[:] for b in start]
        advance(bodies, dt, steps)
        return bodies

    e0 = energy(start)
    e1 = energy(step())
    drift = abs((e1 - e0) / e0)
    if not drift < 1e-4:
        raise AssertionError("nbody: relative energy drift %.3g after %d steps, expected < 1e-4" % (drift, steps))
    return step
