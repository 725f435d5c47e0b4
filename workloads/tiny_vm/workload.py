"""A tiny language: tokenizer, recursive-descent compiler to bytecode, and a stack VM.

The language has integer variables, arithmetic, comparisons, short-circuit && and ||,
`if`/`else` and `while`. make() compiles a program once; each step runs the bytecode in a
classic fetch-decode-dispatch loop, the shape of many interpreters written in Python.
The program's results are compared with the same computations written in Python.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

PROGRAM = """
// Sum of the multiples of 3 or 5 below n.
i = 0; s = 0;
while (i < n) {
  if (i % 3 == 0 || i % 5 == 0) { s = s + i; }
  i = i + 1;
}
// Primes below m by trial division.
p = 0; k = 2;
while (k < m) {
  d = 2; prime = 1;
  while (d * d <= k && prime) {
    if (k % d == 0) { prime = 0; }
    d = d + 1;
  }
  p = p + prime;
  k = k + 1;
}
// Fibonacci numbers modulo a prime.
a = 0; b = 1; j = 0;
while (j < f) { t = (a + b) % 1000003; a = b; b = t; j = j + 1; }
// Greatest common divisors, with a negated condition and an else branch.
g = 0; x = 1;
while (!(x > f)) {
  u = x * 7 + 3; v = x * 5 + 1;
  while (v != 0) { r = u % v; u = v; v = r; }
  if (u > 1) { g = g + u; } else { g = g - 1; }
  x = x + 1;
}
"""

# Opcodes: small integers, compared in the VM's if-chain in order of frequency.
LOAD, CONST, STORE, ADD, SUB, MUL, DIV, MOD, LT, LE, GT, GE, EQ, NE, NOT, NEG, JUMP, JUMP_IF_FALSE, AND_JUMP, OR_JUMP, POP, HALT = range(22)
BINARY = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "%": MOD, "<": LT, "<=": LE, ">": GT, ">=": GE, "==": EQ, "!=": NE}
PRECEDENCE = [("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%")]


def tokenize(source):
    tokens = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == "/" and source.startswith("//", i):
            while i < n and source[i] != "\n":
                i += 1
        elif ch.isdigit():
            j = i
            while j < n and source[j].isdigit():
                j += 1
            tokens.append(("num", int(source[i:j])))
            i = j
        elif ch.isalpha() or ch == "_":
            j = i
            while j < n and (source[j].isalnum() or source[j] == "_"):
                j += 1
            word = source[i:j]
            tokens.append(("kw" if word in ("while", "if", "else") else "name", word))
            i = j
        else:
            two = source[i:i + 2]
            if two in ("<=", ">=", "==", "!=", "&&", "||"):
                tokens.append(("op", two))
                i += 2
            elif ch in "+-*/%<>=!(){};":
                tokens.append(("op", ch))
                i += 1
            else:
                raise SyntaxError("tiny_vm: unexpected character %r at %d" % (ch, i))
    tokens.append(("eof", None))
    return tokens


class Compiler(object):
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0
        self.code = []
        self.slots = {}

    def peek(self):
        return self.tokens[self.pos]

    def take(self, kind=None, value=None):
        tok = self.tokens[self.pos]
        if (kind is not None and tok[0] != kind) or (value is not None and tok[1] != value):
            raise SyntaxError("tiny_vm: expected %s %r, found %r" % (kind, value, tok))
        self.pos += 1
        return tok

    def slot(self, name):
        if name not in self.slots:
            self.slots[name] = len(self.slots)
        return self.slots[name]

    def emit(self, op, arg=0):
        self.code.append((op, arg))
        return len(self.code) - 1

    def patch(self, at, target):
        self.code[at] = (self.code[at][0], target)

    def program(self):
        while self.peek()[0] != "eof":
            self.statement()
        self.emit(HALT)
        return self.code

    def block(self):
        self.take("op", "{")
        while self.peek() != ("op", "}"):
            self.statement()
        self.take("op", "}")

    def statement(self):
        tok = self.peek()
        if tok == ("kw", "while"):
            self.take()
            top = len(self.code)
            self.take("op", "(")
            self.expression(0)
            self.take("op", ")")
            exit_jump = self.emit(JUMP_IF_FALSE)
            self.block()
            self.emit(JUMP, top)
            self.patch(exit_jump, len(self.code))
        elif tok == ("kw", "if"):
            self.take()
            self.take("op", "(")
            self.expression(0)
            self.take("op", ")")
            else_jump = self.emit(JUMP_IF_FALSE)
            self.block()
            if self.peek() == ("kw", "else"):
                self.take()
                end_jump = self.emit(JUMP)
                self.patch(else_jump, len(self.code))
                self.block()
                self.patch(end_jump, len(self.code))
            else:
                self.patch(else_jump, len(self.code))
        else:
            name = self.take("name")[1]
            self.take("op", "=")
            self.expression(0)
            self.take("op", ";")
            self.emit(STORE, self.slot(name))

    def expression(self, level):
        if level == len(PRECEDENCE):
            return self.unary()
        ops = PRECEDENCE[level]
        self.expression(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.take()[1]
            if op in ("&&", "||"):
                # Short circuit: keep the left value if it decides, else drop it and use the right.
                jump = self.emit(AND_JUMP if op == "&&" else OR_JUMP)
                self.emit(POP)
                self.expression(level + 1)
                self.patch(jump, len(self.code))
            else:
                self.expression(level + 1)
                self.emit(BINARY[op])

    def unary(self):
        tok = self.take()
        if tok == ("op", "!"):
            self.unary()
            self.emit(NOT)
        elif tok == ("op", "-"):
            self.unary()
            self.emit(NEG)
        elif tok == ("op", "("):
            self.expression(0)
            self.take("op", ")")
        elif tok[0] == "num":
            self.emit(CONST, tok[1])
        elif tok[0] == "name":
            self.emit(LOAD, self.slot(tok[1]))
        else:
            raise SyntaxError("tiny_vm: unexpected %r" % (tok,))


def execute(code, variables):
    """Runs bytecode. JUMP_IF_FALSE pops its condition; AND_JUMP and OR_JUMP only peek, so the
    deciding value stays as the result when they jump (short circuit), and the POP that
    follows them removes it when they fall through."""
    stack = []
    push = stack.append
    pop = stack.pop
    pc = 0
    while True:
        op, arg = code[pc]
        pc += 1
        if op == LOAD:
            push(variables[arg])
        elif op == CONST:
            push(arg)
        elif op == STORE:
            variables[arg] = pop()
        elif op == JUMP_IF_FALSE:
            if not pop():
                pc = arg
        elif op == JUMP:
            pc = arg
        elif op == ADD:
            b = pop()
            stack[-1] += b
        elif op == MOD:
            b = pop()
            stack[-1] %= b
        elif op == LT:
            b = pop()
            stack[-1] = 1 if stack[-1] < b else 0
        elif op == EQ:
            b = pop()
            stack[-1] = 1 if stack[-1] == b else 0
        elif op == MUL:
            b = pop()
            stack[-1] *= b
        elif op == LE:
            b = pop()
            stack[-1] = 1 if stack[-1] <= b else 0
        elif op == POP:
            pop()
        elif op == AND_JUMP:
            if not stack[-1]:
                pc = arg
        elif op == OR_JUMP:
            if stack[-1]:
                pc = arg
        elif op == SUB:
            b = pop()
            stack[-1] -= b
        elif op == DIV:
            b = pop()
            stack[-1] //= b
        elif op == GT:
            b = pop()
            stack[-1] = 1 if stack[-1] > b else 0
        elif op == GE:
            b = pop()
            stack[-1] = 1 if stack[-1] >= b else 0
        elif op == NE:
            b = pop()
            stack[-1] = 1 if stack[-1] != b else 0
        elif op == NOT:
            stack[-1] = 0 if stack[-1] else 1
        elif op == NEG:
            stack[-1] = -stack[-1]
        elif op == HALT:
            return variables
        else:
            raise AssertionError("tiny_vm: bad opcode %r at %d" % (op, pc - 1))


def reference(n, m, f):
    s = sum(i for i in range(n) if i % 3 == 0 or i % 5 == 0)
    p = 0
    for k in range(2, m):
        d = 2
        while d * d <= k and k % d:
            d += 1
        p += 1 if d * d > k else 0
    a, b = 0, 1
    for _ in range(f):
        a, b = b, (a + b) % 1000003
    g = 0
    for x in range(1, f + 1):
        u, v = x * 7 + 3, x * 5 + 1
        while v:
            u, v = v, u % v
        g += u if u > 1 else -1
    return s, p, a, g


def make(params):
    compiler = Compiler(tokenize(PROGRAM))
    code = compiler.program()
    slots = compiler.slots
    inputs = {"n": params["n"], "m": params["m"], "f": params["f"]}
    initial = [0] * len(slots)
    for name, value in inputs.items():
        initial[slots[name]] = value

    def step():
        return execute(code, initial[:])

    out = step()
    got = tuple(out[slots[k]] for k in ("s", "p", "a", "g"))
    want = reference(params["n"], params["m"], params["f"])
    if got != want:
        raise AssertionError("tiny_vm: VM computed %r, Python computed %r" % (got, want))
    return step
