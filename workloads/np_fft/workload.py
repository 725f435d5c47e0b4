"""numpy FFT: numpy.fft (pocketfft, not BLAS) forward and back on a sum of tones."""
import numpy as np


def make(params):
    n = 2 ** params["log2_n"]
    tones = params["tones"]
    t = np.arange(n) / float(n)
    x = sum(np.cos(2 * np.pi * k * t) for k in tones) + 0.25j * np.sin(2 * np.pi * 3 * t)

    def step():
        return np.fft.ifft(np.fft.fft(x))

    y = step()
    if not np.allclose(y, x, atol=1e-9):
        raise AssertionError("np_fft: ifft(fft(x)) differs from x by %r" % float(np.max(np.abs(y - x))))
    # A cosine of frequency k puts n/2 at bins k and n-k (the DFT's definition).
    spectrum = np.abs(np.fft.fft(x.real))
    for k in tones:
        if abs(spectrum[k] - n / 2.0) > 1e-6 * n:
            raise AssertionError("np_fft: bin %d is %r, expected %r" % (k, float(spectrum[k]), n / 2.0))
    return step
