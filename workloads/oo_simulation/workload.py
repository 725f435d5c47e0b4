"""Order pricing in a small shop: class hierarchies, virtual dispatch, properties.

Every order is priced by a chain of rule objects; each item kind, customer kind and rule
overrides methods of its base class, so most of the time goes to attribute look-ups, method
calls through the class hierarchy and property getters. Money is kept in integer cents, so
the result is exact on every interpreter.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


class Lcg(object):
    """A tiny linear congruential generator, so that inputs do not depend on `random`."""

    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 7) % n


# --- items -----------------------------------------------------------------------------


class Item(object):
    kind = "item"

    def __init__(self, sku, base_cents, weight_g):
        self.sku = sku
        self._base_cents = base_cents
        self.weight_g = weight_g

    @property
    def unit_price(self):
        return self._base_cents

    def tax_with(self, region, net_cents):
        return region.standard_tax(net_cents)

    def shipping_weight(self, quantity):
        return self.weight_g * quantity


class Food(Item):
    kind = "food"

    def __init__(self, sku, base_cents, weight_g, days_left):
        super(Food, self).__init__(sku, base_cents, weight_g)
        self.days_left = days_left

    @property
    def unit_price(self):
        base = self._base_cents
        if self.days_left <= 2:
            return base // 2
        return base

    def tax_with(self, region, net_cents):
        return region.food_tax(net_cents)


class Book(Item):
    kind = "book"

    def tax_with(self, region, net_cents):
        return region.book_tax(net_cents)


class Gadget(Item):
    kind = "gadget"

    def __init__(self, sku, base_cents, weight_g, warranty_cents):
        super(Gadget, self).__init__(sku, base_cents, weight_g)
        self.warranty_cents = warranty_cents

    @property
    def unit_price(self):
        return self._base_cents + self.warranty_cents

    def shipping_weight(self, quantity):
        # Gadgets ship in padded boxes.
        return (self.weight_g + 150) * quantity


# --- regions and customers -------------------------------------------------------------


class Region(object):
    def __init__(self, name, standard_pct, food_pct, book_pct, cents_per_kg):
        self.name = name
        self.standard_pct = standard_pct
        self.food_pct = food_pct
        self.book_pct = book_pct
        self.cents_per_kg = cents_per_kg

    def standard_tax(self, net_cents):
        return net_cents * self.standard_pct // 100

    def food_tax(self, net_cents):
        return net_cents * self.food_pct // 100

    def book_tax(self, net_cents):
        return net_cents * self.book_pct // 100

    def shipping(self, weight_g):
        return 299 + weight_g * self.cents_per_kg // 1000


class Customer(object):
    def __init__(self, ident, region):
        self.ident = ident
        self.region = region

    def discount(self, subtotal_cents):
        return 0

    @property
    def pays_shipping(self):
        return True


class Member(Customer):
    def discount(self, subtotal_cents):
        return subtotal_cents * 5 // 100


class Staff(Member):
    def discount(self, subtotal_cents):
        return super(Staff, self).discount(subtotal_cents) + subtotal_cents * 10 // 100

    @property
    def pays_shipping(self):
        return False


# --- orders and pricing rules ----------------------------------------------------------


class Line(object):
    def __init__(self, item, quantity):
        self.item = item
        self.quantity = quantity

    @property
    def net(self):
        return self.item.unit_price * self.quantity


class Invoice(object):
    def __init__(self, customer, lines):
        self.customer = customer
        self.lines = lines
        self.subtotal = 0
        self.discount = 0
        self.tax = 0
        self.shipping = 0
        self.notes = []

    @property
    def total(self):
        return self.subtotal - self.discount + self.tax + self.shipping


class Rule(object):
    name = "rule"

    def applies(self, invoice):
        return True

    def apply(self, invoice):
        raise NotImplementedError

    def run(self, invoice):
        if self.applies(invoice):
            self.apply(invoice)
            invoice.notes.append(self.name)


class Subtotal(Rule):
    name = "subtotal"

    def apply(self, invoice):
        total = 0
        for line in invoice.lines:
            total += line.net
        invoice.subtotal = total


class BulkDiscount(Rule):
    name = "bulk"

    def __init__(self, min_quantity, pct):
        self.min_quantity = min_quantity
        self.pct = pct

    def applies(self, invoice):
        for line in invoice.lines:
            if line.quantity >= self.min_quantity:
                return True
        return False

    def apply(self, invoice):
        for line in invoice.lines:
            if line.quantity >= self.min_quantity:
                invoice.discount += line.net * self.pct // 100


class CustomerDiscount(Rule):
    name = "customer"

    def apply(self, invoice):
        invoice.discount += invoice.customer.discount(invoice.subtotal - invoice.discount)


class Tax(Rule):
    name = "tax"

    def apply(self, invoice):
        region = invoice.customer.region
        tax = 0
        for line in invoice.lines:
            tax += line.item.tax_with(region, line.net)
        invoice.tax = tax


class Shipping(Rule):
    name = "shipping"

    def __init__(self, free_above_cents):
        self.free_above_cents = free_above_cents

    def applies(self, invoice):
        return invoice.customer.pays_shipping and invoice.subtotal < self.free_above_cents

    def apply(self, invoice):
        weight = 0
        for line in invoice.lines:
            weight += line.item.shipping_weight(line.quantity)
        invoice.shipping = invoice.customer.region.shipping(weight)


RULES = [Subtotal(), BulkDiscount(5, 8), CustomerDiscount(), Tax(), Shipping(15000)]


def build(params):
    rng = Lcg(params["seed"])
    regions = [
        Region("north", 20, 5, 0, 90),
        Region("south", 19, 7, 7, 120),
        Region("east", 21, 10, 3, 75),
    ]
    items = []
    for sku in range(params["items"]):
        kind = rng.below(4)
        price = 100 + rng.below(9900)
        weight = 50 + rng.below(2000)
        if kind == 0:
            items.append(Item(sku, price, weight))
        elif kind == 1:
            items.append(Food(sku, price, weight, rng.below(10)))
        elif kind == 2:
            items.append(Book(sku, price, weight))
        else:
            items.append(Gadget(sku, price, weight, 500 + rng.below(3000)))
    customer_kinds = [Customer, Customer, Member, Staff]
    customers = [
        customer_kinds[rng.below(4)](i, regions[rng.below(3)]) for i in range(params["customers"])
    ]
    orders = []
    for _ in range(params["orders"]):
        customer = customers[rng.below(len(customers))]
        lines = [Line(items[rng.below(len(items))], 1 + rng.below(7)) for _ in range(1 + rng.below(8))]
        orders.append((customer, lines))
    return orders


def price_all(orders):
    grand_total = 0
    rule_hits = {}
    for customer, lines in orders:
        invoice = Invoice(customer, lines)
        for rule in RULES:
            rule.run(invoice)
        grand_total += invoice.total
        for note in invoice.notes:
            rule_hits[note] = rule_hits.get(note, 0) + 1
    return grand_total, rule_hits


def check(orders, result):
    grand_total, rule_hits = result
    # Recompute the total with plain functions and no classes, as an independent reference.
    expected = 0
    for customer, lines in orders:
        region = customer.region
        subtotal = sum(line.quantity * line.item.unit_price for line in lines)
        discount = sum(
            line.quantity * line.item.unit_price * 8 // 100 for line in lines if line.quantity >= 5
        )
        rest = subtotal - discount
        if isinstance(customer, Staff):
            discount += rest * 5 // 100 + rest * 10 // 100
        elif isinstance(customer, Member):
            discount += rest * 5 // 100
        tax = 0
        weight = 0
        for line in lines:
            net = line.quantity * line.item.unit_price
            pct = {"food": region.food_pct, "book": region.book_pct}.get(line.item.kind, region.standard_pct)
            tax += net * pct // 100
            extra = 150 if line.item.kind == "gadget" else 0
            weight += (line.item.weight_g + extra) * line.quantity
        shipping = 0
        if not isinstance(customer, Staff) and subtotal < 15000:
            shipping = 299 + weight * region.cents_per_kg // 1000
        expected += subtotal - discount + tax + shipping
    if grand_total != expected:
        raise AssertionError("oo_simulation: total %d differs from reference %d" % (grand_total, expected))
    if rule_hits.get("subtotal") != len(orders):
        raise AssertionError("oo_simulation: subtotal rule ran %r times for %d orders" % (rule_hits.get("subtotal"), len(orders)))


def make(params):
    orders = build(params)

    def step():
        return price_all(orders)

    check(orders, step())
    return step
