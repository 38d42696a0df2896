"""The MFCC pipeline checked against mathematics (DCT orthonormality, Parseval, a sine's FFT bin,
filter peaks at the mel centres) and against torch.stft / torch.hann_window; WAV reading errors; FSDD."""
from __future__ import annotations

import pathlib
import wave

import numpy as np
import pytest

from nnmath import audio

FSDD_ROOT = pathlib.Path("/work/shared/data/fsdd")


def test_dct_is_orthonormal_and_matches_the_cosine_formula():
    D = audio.create_dct(40, 40)
    np.testing.assert_allclose(D.T @ D, np.eye(40), atol=1e-12)
    assert np.isclose(D[3, 2], np.sqrt(2 / 40) * np.cos(np.pi * 2 * 3.5 / 40))
    assert audio.create_dct(13, 40).shape == (40, 13)


def test_hann_window_matches_torch():
    torch = pytest.importorskip("torch")
    for n in (1, 8, 256):
        np.testing.assert_allclose(audio.hann_window(n), torch.hann_window(n, dtype=torch.float64).numpy(), atol=1e-15)
        np.testing.assert_allclose(audio.hann_window(n, periodic=False),
                                   torch.hann_window(n, periodic=False, dtype=torch.float64).numpy(), atol=1e-15)


def test_power_spectrogram_matches_torch_stft():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(1000)
    ours = audio.power_spectrogram(x, n_fft=256, hop_length=80)
    spec = torch.stft(torch.tensor(x), 256, 80, window=torch.hann_window(256, dtype=torch.float64),
                      center=True, pad_mode="reflect", return_complex=True)
    np.testing.assert_allclose(ours, (spec.abs() ** 2).numpy().T, rtol=1e-9, atol=1e-9)


def test_a_sine_puts_its_power_in_its_bin_and_parseval_holds():
    n_fft, rate, k = 256, 8000, 20
    t = np.arange(4000) / rate
    x = np.sin(2 * np.pi * (k * rate / n_fft) * t)
    frames = audio.frame(x, n_fft, 80, center=False)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    assert (power.argmax(axis=1) == k).all()
    full = np.abs(np.fft.fft(frames[3])) ** 2
    assert np.isclose(full.sum() / n_fft, (frames[3] ** 2).sum())  # Parseval: Σ|X|²/N = Σ|x|²


def test_frame_centres_frame_m_on_sample_m_hop():
    x = np.arange(20.0)
    frames = audio.frame(x, 8, 4)
    assert frames.shape == (1 + 20 // 4, 8)
    assert frames[2, 4] == x[8]


def test_mel_scale_round_trip_and_htk_values():
    assert np.isclose(audio.hz_to_mel(700.0), 2595 * np.log10(2))
    f = np.array([0.0, 100.0, 4000.0])
    np.testing.assert_allclose(audio.mel_to_hz(audio.hz_to_mel(f)), f, atol=1e-9)


def test_filterbank_rows_peak_at_the_mel_centres():
    rate, n_fft, n_mels = 8000, 256, 10
    bank = audio.mel_filterbank(n_fft // 2 + 1, 0.0, 4000.0, n_mels, rate)
    centres = audio.mel_to_hz(np.linspace(0, audio.hz_to_mel(4000.0), n_mels + 2))[1:-1]
    bins = np.linspace(0, 4000, n_fft // 2 + 1)
    step = bins[1]
    for j in range(n_mels):
        assert abs(bins[bank[:, j].argmax()] - centres[j]) <= step / 2 + 1e-9
        assert bank[:, j].max() <= 1 and bank[:, j].min() == 0


def test_filterbank_matches_torchaudio_formula_by_hand():
    """melscale_fbanks(129, 0, 4000, 3, 8000, norm=None, mel_scale='htk') at a few entries, by hand."""
    bank = audio.mel_filterbank(129, 0.0, 4000.0, 3, 8000)
    points = audio.mel_to_hz(np.linspace(0, audio.hz_to_mel(4000.0), 5))
    f = 4000 / 128 * 10  # bin 10
    expected = max(0, min((f - points[0]) / (points[1] - points[0]), (points[2] - f) / (points[2] - points[1])))
    assert np.isclose(bank[10, 0], expected)


def test_mfcc_shape_and_log_mel_top_db():
    x = np.random.default_rng(1).standard_normal(4000) * 0.1
    c = audio.mfcc(x, 8000)
    assert c.shape == (1 + 4000 // 80, 13) and np.isfinite(c).all()
    db = audio.log_mel(np.array([1.0, 1e-3, 1e-12]), top_db=20.0)
    np.testing.assert_allclose(db, [0.0, -20.0, -20.0])


def _write_wav(path, frames: bytes, width=2, channels=1, nframes=None):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(8000)
        if nframes is not None:
            w.setnframes(nframes)
        w.writeframes(frames)


def test_read_wav_mono_and_stereo(tmp_path):
    samples = np.array([0, 16384, -32768, 32767], dtype="<i2")
    _write_wav(tmp_path / "m.wav", samples.tobytes())
    x, rate = audio.read_wav(tmp_path / "m.wav")
    assert rate == 8000 and x.dtype == np.float32
    np.testing.assert_allclose(x, [0, 0.5, -1, 32767 / 32768])
    _write_wav(tmp_path / "s.wav", samples.tobytes(), channels=2)
    assert audio.read_wav(tmp_path / "s.wav")[0].shape == (2, 2)


def test_read_wav_errors_are_clear(tmp_path):
    _write_wav(tmp_path / "8bit.wav", b"\x00\x01", width=1)
    with pytest.raises(ValueError, match="16-bit"):
        audio.read_wav(tmp_path / "8bit.wav")
    _write_wav(tmp_path / "empty.wav", b"")
    with pytest.raises(ValueError, match="no samples"):
        audio.read_wav(tmp_path / "empty.wav")
    good = tmp_path / "good.wav"
    _write_wav(good, np.zeros(100, "<i2").tobytes())
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[:-50])
    with pytest.raises(ValueError, match="truncated"):
        audio.read_wav(tmp_path / "cut.wav")
    (tmp_path / "header.wav").write_bytes(good.read_bytes()[:20])
    with pytest.raises(ValueError, match="truncated|not a PCM"):
        audio.read_wav(tmp_path / "header.wav")
    float_wav = bytearray(good.read_bytes())
    float_wav[20:22] = (3).to_bytes(2, "little")  # format tag 3: IEEE float, not PCM
    (tmp_path / "float.wav").write_bytes(bytes(float_wav))
    with pytest.raises(ValueError, match="not a PCM"):
        audio.read_wav(tmp_path / "float.wav")


@pytest.mark.skipif(not (FSDD_ROOT / "recordings").is_dir(), reason="FSDD not present")
def test_fsdd_official_split():
    train, test = audio.FSDD(FSDD_ROOT, train=True), audio.FSDD(FSDD_ROOT, train=False)
    assert len(train) + len(test) == 3000 and len(test) == 300
    assert all(int(p.stem.split("_")[2]) < 5 for p, _ in test.files)
    features, digit = audio.FSDD(FSDD_ROOT, train=False, transform=lambda x: audio.mfcc(x, 8000))[0]
    assert features.shape[1] == 13 and 0 <= digit <= 9
