"""Dictionary-heavy code: word and bigram counts, an inverted index, dict comprehensions,
merging, and a memo table (Collatz chain lengths).

Words are generated from syllables by an LCG, so they are strings whose hashes the dict must
compute and compare; bigrams use tuple keys; the memo table uses integer keys.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

SYLLABLES = ["ba", "ko", "ri", "ta", "nu", "me", "so", "li", "pa", "de", "gu", "fi"]

# Starting value below the limit with the longest Collatz chain, and its length in terms
# (OEIS A006877 gives the record holders: 871 -> 179 terms, 6171 -> 262 terms).
COLLATZ_RECORDS = {1000: (871, 179), 10000: (6171, 262)}


def make_words(count, vocabulary, seed):
    state = seed & 0x7FFFFFFF
    vocab = []
    for _ in range(vocabulary):
        parts = []
        for _ in range(1 + state % 3):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            parts.append(SYLLABLES[(state >> 8) % len(SYLLABLES)])
        vocab.append("".join(parts))
    words = []
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        # Skew the distribution (squared index) so a few words are frequent, as in text.
        r = (state >> 8) % 1000
        words.append(vocab[(r * r // 1000) * len(vocab) // 1000])
    return words


def collatz_lengths(limit):
    memo = {1: 1}
    best_start, best_len = 1, 1
    for start in range(2, limit):
        path = []
        n = start
        while n not in memo:
            path.append(n)
            n = n // 2 if n % 2 == 0 else 3 * n + 1
        length = memo[n]
        for m in reversed(path):
            length += 1
            memo[m] = length
        if memo[start] > best_len:
            best_start, best_len = start, memo[start]
    return best_start, best_len


def analyse(words, collatz_limit):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    bigrams = {}
    prev = None
    for w in words:
        if prev is not None:
            key = (prev, w)
            if key in bigrams:
                bigrams[key] += 1
            else:
                bigrams[key] = 1
        prev = w
    positions = {}
    for i, w in enumerate(words):
        positions.setdefault(w, []).append(i)
    by_count = {}
    for w, c in counts.items():
        by_count.setdefault(c, []).append(w)
    lengths = {w: len(w) for w in counts}
    rare = {w: c for w, c in counts.items() if c <= 2}
    merged = dict(counts)
    merged.update((w, -c) for w, c in rare.items())
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return counts, bigrams, positions, by_count, lengths, merged, top, collatz_lengths(collatz_limit)


def make(params):
    words = make_words(params["words"], params["vocabulary"], params["seed"])
    limit = params["collatz_limit"]

    def step():
        return analyse(words, limit)

    counts, bigrams, positions, by_count, _, merged, top, collatz = step()
    if sum(counts.values()) != len(words) or sum(bigrams.values()) != len(words) - 1:
        raise AssertionError("dict_wordfreq: counts do not add up to %d words" % len(words))
    if any(len(positions[w]) != c for w, c in counts.items()) or sum(len(v) for v in by_count.values()) != len(counts):
        raise AssertionError("dict_wordfreq: inverted index disagrees with counts")
    if top[0][1] != max(counts.values()) or len(merged) != len(counts):
        raise AssertionError("dict_wordfreq: top word or merged table is wrong")
    for bound, record in sorted(COLLATZ_RECORDS.items()):
        if bound <= limit and collatz_lengths(bound) != record:
            raise AssertionError("dict_wordfreq: Collatz record below %d is %r, expected %r" % (bound, collatz_lengths(bound), record))
    return step
