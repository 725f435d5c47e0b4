"""A small ray tracer: spheres and a checkered plane, point lights, shadows and reflections.

Vectors are small immutable objects with operator overloading, so the profile mixes float
arithmetic with object allocation and method calls, as real Python numeric code often does.
"""
from __future__ import division, print_function

import math

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

EPSILON = 1e-7


class Vec(object):
    __slots__ = ("x", "y", "z")

    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y, self.z + o.z)

    def __sub__(self, o):
        return Vec(self.x - o.x, self.y - o.y, self.z - o.z)

    def __mul__(self, k):
        return Vec(self.x * k, self.y * k, self.z * k)

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * o.z

    def length(self):
        return math.sqrt(self.dot(self))

    def normalized(self):
        n = self.length()
        return Vec(self.x / n, self.y / n, self.z / n)

    def hadamard(self, o):
        return Vec(self.x * o.x, self.y * o.y, self.z * o.z)


BLACK = Vec(0.0, 0.0, 0.0)


class Ray(object):
    __slots__ = ("origin", "direction")

    def __init__(self, origin, direction):
        self.origin = origin
        self.direction = direction

    def at(self, t):
        return self.origin + self.direction * t


class Material(object):
    def __init__(self, color, diffuse, specular, reflect):
        self.color = color
        self.diffuse = diffuse
        self.specular = specular
        self.reflect = reflect

    def color_at(self, point):
        return self.color


class Checker(Material):
    def color_at(self, point):
        if (int(math.floor(point.x)) + int(math.floor(point.z))) % 2:
            return self.color
        return Vec(0.9, 0.9, 0.9)


class Sphere(object):
    def __init__(self, center, radius, material):
        self.center = center
        self.radius = radius
        self.material = material

    def intersect(self, ray):
        oc = ray.origin - self.center
        b = oc.dot(ray.direction)
        c = oc.dot(oc) - self.radius * self.radius
        disc = b * b - c
        if disc < 0.0:
            return None
        root = math.sqrt(disc)
        t = -b - root
        if t > EPSILON:
            return t
        t = -b + root
        if t > EPSILON:
            return t
        return None

    def normal_at(self, point):
        return (point - self.center).normalized()


class Plane(object):
    def __init__(self, point, normal, material):
        self.point = point
        self.normal = normal.normalized()
        self.material = material

    def intersect(self, ray):
        denom = self.normal.dot(ray.direction)
        if abs(denom) < EPSILON:
            return None
        t = (self.point - ray.origin).dot(self.normal) / denom
        if t > EPSILON:
            return t
        return None

    def normal_at(self, point):
        return self.normal


class Scene(object):
    def __init__(self, objects, lights, max_depth):
        self.objects = objects
        self.lights = lights
        self.max_depth = max_depth

    def nearest(self, ray):
        best_t = None
        best = None
        for obj in self.objects:
            t = obj.intersect(ray)
            if t is not None and (best_t is None or t < best_t):
                best_t = t
                best = obj
        return best, best_t

    def shadowed(self, point, to_light, distance):
        ray = Ray(point, to_light)
        for obj in self.objects:
            t = obj.intersect(ray)
            if t is not None and t < distance:
                return True
        return False

    def trace(self, ray, depth):
        obj, t = self.nearest(ray)
        if obj is None:
            return Vec(0.2, 0.3, 0.5)
        point = ray.at(t)
        normal = obj.normal_at(point)
        material = obj.material
        base = material.color_at(point)
        color = base * 0.1
        for light_pos, light_color in self.lights:
            offset = light_pos - point
            distance = offset.length()
            to_light = offset * (1.0 / distance)
            lambert = normal.dot(to_light)
            if lambert <= 0.0 or self.shadowed(point, to_light, distance):
                continue
            color = color + base.hadamard(light_color) * (lambert * material.diffuse)
            half = (to_light - ray.direction).normalized()
            spec = normal.dot(half)
            if spec > 0.0:
                color = color + light_color * (material.specular * spec ** 32)
        if material.reflect > 0.0 and depth < self.max_depth:
            d = ray.direction
            reflected = d - normal * (2.0 * d.dot(normal))
            color = color + self.trace(Ray(point, reflected), depth + 1) * material.reflect
        return color


def build_scene(max_depth):
    objects = [
        Sphere(Vec(0.0, 1.0, 5.0), 1.0, Material(Vec(0.9, 0.2, 0.2), 0.8, 0.5, 0.3)),
        Sphere(Vec(-2.0, 0.7, 6.0), 0.7, Material(Vec(0.2, 0.8, 0.3), 0.9, 0.2, 0.1)),
        Sphere(Vec(1.8, 0.5, 4.0), 0.5, Material(Vec(0.3, 0.3, 0.9), 0.7, 0.8, 0.5)),
        Plane(Vec(0.0, 0.0, 0.0), Vec(0.0, 1.0, 0.0), Checker(Vec(0.1, 0.1, 0.1), 0.9, 0.0, 0.2)),
    ]
    lights = [(Vec(-4.0, 6.0, 1.0), Vec(0.9, 0.9, 0.8)), (Vec(5.0, 4.0, 2.0), Vec(0.3, 0.3, 0.4))]
    return Scene(objects, lights, max_depth)


def to_byte(v):
    if v <= 0.0:
        return 0
    if v >= 1.0:
        return 255
    return int(v * 255.0 + 0.5)


def render(scene, width, height):
    eye = Vec(0.0, 1.0, 0.0)
    aspect = width / height
    pixels = []
    for j in range(height):
        y = (1.0 - 2.0 * (j + 0.5) / height) * 0.5
        for i in range(width):
            x = (2.0 * (i + 0.5) / width - 1.0) * 0.5 * aspect
            ray = Ray(eye, Vec(x, y, 1.0).normalized())
            c = scene.trace(ray, 0)
            pixels.append((to_byte(c.x), to_byte(c.y), to_byte(c.z)))
    return pixels


def make(params):
    width = params["width"]
    height = params["height"]
    scene = build_scene(params["max_depth"])

    # The ray from the eye straight ahead must meet the first sphere at distance 4 (5 - 1).
    hit, t = scene.nearest(Ray(Vec(0.0, 1.0, 0.0), Vec(0.0, 0.0, 1.0)))
    if hit is not scene.objects[0] or abs(t - 4.0) > 1e-12:
        raise AssertionError("raytrace: central ray hit %r at t=%r, expected the red sphere at 4" % (hit, t))

    def step():
        return render(scene, width, height)

    pixels = step()
    if len(pixels) != width * height:
        raise AssertionError("raytrace: %d pixels, expected %d" % (len(pixels), width * height))
    if len(set(pixels)) < 10:
        raise AssertionError("raytrace: only %d distinct colours, expected a varied image" % len(set(pixels)))
    if pixels != step():
        raise AssertionError("raytrace: two renders of the same scene differ")
    return step
