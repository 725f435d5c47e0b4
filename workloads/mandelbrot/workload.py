"""Escape-time iteration of the Mandelbrot set over a grid, with real floats (no complex).

The grid's rows are placed symmetrically about the real axis, and IEEE negation is exact, so
row j and row h-1-j must have identical escape counts: a cheap, exact check of the float code.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


def escape_counts(width, height, max_iter):
    x_min, x_max = -2.1, 0.7
    half_span = 1.2
    dx = (x_max - x_min) / width
    dy = 2.0 * half_span / height
    mid = (height - 1) / 2.0
    rows = []
    for j in range(height):
        ci = (j - mid) * dy
        row = []
        for i in range(width):
            cr = x_min + i * dx
            zr = zi = 0.0
            zr2 = zi2 = 0.0
            n = 0
            while n < max_iter and zr2 + zi2 <= 4.0:
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                zr2 = zr * zr
                zi2 = zi * zi
                n += 1
            row.append(n)
        rows.append(row)
    return rows


def make(params):
    width = params["width"]
    height = params["height"]
    max_iter = params["max_iter"]

    def step():
        rows = escape_counts(width, height, max_iter)
        return sum(sum(row) for row in rows), rows

    _, rows = step()
    for j in range(height // 2):
        if rows[j] != rows[height - 1 - j]:
            raise AssertionError("mandelbrot: rows %d and %d differ though they mirror each other" % (j, height - 1 - j))
    inside = sum(row.count(max_iter) for row in rows)
    if not 0 < inside < width * height:
        raise AssertionError("mandelbrot: %d of %d points never escaped, expected some but not all" % (inside, width * height))
    return step
