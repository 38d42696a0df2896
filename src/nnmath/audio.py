"""Audio features from first principles: WAV reading, framing, STFT power, mel filterbank, MFCC; and
the Free Spoken Digit Dataset.

The MFCC pipeline, for a signal x sampled at f_s:

1. frames  x_m[n] = x[m·hop + n] · w[n], n < n_fft, after padding n_fft/2 samples on each side
   (``center=True``, reflect), w the periodic Hann window w[n] = ½ (1 − cos(2πn / n_fft));
2. power spectrum P_m[k] = |Σₙ x_m[n] e^{−2πikn/n_fft}|², k = 0 … n_fft/2 (``np.fft.rfft``);
3. mel energies E_m = P_m F, F the (n_freqs, n_mels) triangular filterbank on the HTK mel scale
   m(f) = 2595 log₁₀(1 + f/700): filter j rises linearly from mel point j to j + 1 and falls to j + 2,
   the n_mels + 2 points equally spaced in mel between f_min and f_max (as torchaudio's
   ``melscale_fbanks(norm=None, mel_scale='htk')``);
4. log-mel L_m = 10 log₁₀(max(E_m, 1e-10)), optionally clipped to top_db below its maximum
   (torchaudio's AmplitudeToDB), or ln(E_m + eps);
5. MFCC c_m = L_m D, D the orthonormal DCT-II matrix D[j, k] = s_k cos(π k (j + ½) / n_mels),
   s_0 = √(1/n_mels), s_k = √(2/n_mels) (torchaudio's ``create_dct(n_mfcc, n_mels, 'ortho')``).
"""
from __future__ import annotations

import os
import pathlib
import wave

import numpy as np

__all__ = ["read_wav", "frame", "hann_window", "power_spectrogram", "hz_to_mel", "mel_to_hz", "mel_filterbank",
           "log_mel", "create_dct", "mfcc", "FSDD"]


def read_wav(path) -> tuple[np.ndarray, int]:
    """(samples, sample_rate) of a PCM 16-bit WAV: float32 in [−1, 1), shape (n,) for mono and
    (n, channels) for stereo. Raises ValueError naming the file for non-PCM, other sample widths,
    more than two channels, empty or truncated files."""
    path = pathlib.Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, count = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(),
                                            wav.getnframes())
            raw = wav.readframes(count)
    except wave.Error as e:
        raise ValueError(f"{path}: not a PCM WAV file ({e})") from None
    except EOFError:
        raise ValueError(f"{path}: truncated or empty WAV file (the header is incomplete)") from None
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM samples, got {8 * width}-bit")
    if channels not in (1, 2):
        raise ValueError(f"{path}: expected mono or stereo, got {channels} channels")
    if count == 0:
        raise ValueError(f"{path}: the WAV file holds no samples")
    if len(raw) != count * channels * width:
        raise ValueError(f"{path}: truncated WAV file: the header announces {count} frames, the data holds "
                         f"{len(raw) // (channels * width)}")
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return (samples if channels == 1 else samples.reshape(-1, channels)), rate


def hann_window(window_length: int, periodic: bool = True) -> np.ndarray:
    """w[n] = ½ (1 − cos(2πn / N)), N = window_length (periodic, for spectral analysis) or
    window_length − 1 (symmetric), as ``torch.hann_window``."""
    if window_length == 1:
        return np.ones(1)
    N = window_length if periodic else window_length - 1
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window_length) / N)


def frame(signal: np.ndarray, frame_length: int, hop_length: int, center: bool = True,
          pad_mode: str = "reflect") -> np.ndarray:
    """(n_frames, frame_length) frames x[m·hop : m·hop + frame_length] (a strided view when possible);
    with ``center`` the signal is first padded by frame_length // 2 on both sides, so frame m is
    centred on sample m·hop, as ``torch.stft(center=True)``."""
    signal = np.asarray(signal, dtype=np.float64)
    if center:
        half = frame_length // 2
        mode = pad_mode if not (pad_mode == "reflect" and len(signal) <= half) else "constant"
        signal = np.pad(signal, half, mode=mode)
    if len(signal) < frame_length:
        signal = np.pad(signal, (0, frame_length - len(signal)))
    n_frames = 1 + (len(signal) - frame_length) // hop_length
    return np.lib.stride_tricks.as_strided(signal, (n_frames, frame_length),
                                           (hop_length * signal.strides[0], signal.strides[0]), writeable=False)


def power_spectrogram(signal: np.ndarray, n_fft: int = 256, hop_length: int = 80, center: bool = True) -> np.ndarray:
    """P[m, k] = |rfft(frame_m · hann)[k]|², shape (n_frames, n_fft // 2 + 1)."""
    frames = frame(signal, n_fft, hop_length, center) * hann_window(n_fft)
    spectrum = np.fft.rfft(frames, n=n_fft, axis=1)
    return spectrum.real ** 2 + spectrum.imag ** 2


def hz_to_mel(f):
    """HTK mel scale: m = 2595 log₁₀(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    """The inverse: f = 700 (10^{m/2595} − 1)."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int) -> np.ndarray:
    """(n_freqs, n_mels) triangular filters: column j is 0 below f_j, rises linearly to 1 at f_{j+1},
    falls to 0 at f_{j+2}, the f_j equally spaced in HTK mel between f_min and f_max
    (torchaudio.functional.melscale_fbanks with norm=None, mel_scale='htk')."""
    bins_hz = np.linspace(0, sample_rate // 2, n_freqs)
    points_hz = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    widths = np.diff(points_hz)
    offsets = points_hz[None, :] - bins_hz[:, None]  # (n_freqs, n_mels + 2)
    rising = -offsets[:, :-2] / widths[:-1]
    falling = offsets[:, 2:] / widths[1:]
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel(mel_energies: np.ndarray, top_db: float | None = 80.0, eps: float | None = None) -> np.ndarray:
    """10 log₁₀(max(E, 1e-10)) clipped to ``top_db`` below its maximum (torchaudio AmplitudeToDB('power')),
    or, when ``eps`` is given, the natural log ln(E + eps)."""
    if eps is not None:
        return np.log(mel_energies + eps)
    db = 10.0 * np.log10(np.maximum(mel_energies, 1e-10))
    return db if top_db is None else np.maximum(db, db.max() - top_db)


def create_dct(n_mfcc: int, n_mels: int, norm: str | None = "ortho") -> np.ndarray:
    """(n_mels, n_mfcc) DCT-II matrix D[j, k] = cos(π k (j + ½) / n_mels), scaled by √(1/n_mels) (k = 0)
    and √(2/n_mels) (k > 0) when norm='ortho' (then DᵀD = I for n_mfcc = n_mels); as torchaudio's
    ``create_dct``."""
    j = np.arange(n_mels)[:, None]
    k = np.arange(n_mfcc)[None, :]
    dct = np.cos(np.pi / n_mels * (j + 0.5) * k)
    if norm is None:
        return dct * 2.0
    if norm != "ortho":
        raise ValueError(f"norm must be 'ortho' or None, got {norm!r}")
    dct[:, 0] *= 1.0 / np.sqrt(2.0)
    return dct * np.sqrt(2.0 / n_mels)


def mfcc(signal: np.ndarray, sample_rate: int, n_mfcc: int = 13, n_fft: int = 256, hop_length: int = 80,
         n_mels: int = 40, f_min: float = 0.0, f_max: float | None = None, top_db: float | None = 80.0) -> np.ndarray:
    """(n_frames, n_mfcc) mel-frequency cepstral coefficients (the pipeline of the module docstring;
    with the defaults, torchaudio.transforms.MFCC(sample_rate, n_mfcc, melkwargs=dict(n_fft=n_fft,
    hop_length=hop_length, n_mels=n_mels, mel_scale='htk')) transposed)."""
    if n_mfcc > n_mels:
        raise ValueError(f"n_mfcc ({n_mfcc}) must be at most n_mels ({n_mels})")
    power = power_spectrogram(signal, n_fft, hop_length)
    bank = mel_filterbank(n_fft // 2 + 1, f_min, f_max if f_max is not None else sample_rate / 2, n_mels, sample_rate)
    return log_mel(power @ bank, top_db) @ create_dct(n_mfcc, n_mels)


def _default_fsdd_root() -> pathlib.Path:
    base = os.environ.get("NNMATH_DATA")
    return pathlib.Path(base) / "fsdd" if base else pathlib.Path("/work/shared/data/fsdd")


class FSDD:
    """The Free Spoken Digit Dataset: 8 kHz mono recordings named ``{digit}_{speaker}_{index}.wav``.

    The official split: recordings with index 0–4 are the test set, the others the training set.
    ``dataset[i]`` is (transform(signal) or the float32 signal, digit). Root: ``root`` (the folder holding
    ``recordings/``), else $NNMATH_DATA/fsdd, else /work/shared/data/fsdd.
    """

    def __init__(self, root=None, train: bool = True, transform=None):
        self.root = pathlib.Path(root) if root is not None else _default_fsdd_root()
        folder = self.root / "recordings"
        if not folder.is_dir():
            raise FileNotFoundError(f"FSDD: no recordings/ folder under {self.root} (set root= or NNMATH_DATA)")
        self.train = train
        self.transform = transform
        self.files = []
        for path in sorted(folder.glob("*.wav")):
            digit, _speaker, index = path.stem.split("_")
            if (int(index) >= 5) == train:
                self.files.append((path, int(digit)))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i):
        path, digit = self.files[i]
        signal, rate = read_wav(path)
        return (self.transform(signal) if self.transform is not None else signal), digit
