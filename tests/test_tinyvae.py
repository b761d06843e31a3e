"""The torch-free tiny VAE: safe checkpoint reading, forward shapes, and a backward pass that is the true gradient."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from omamori.cloak import tinyvae
from omamori.errors import StateError
from cloak_model import MODELS_ALL, MODELS, needs_model, needs_sana, random_f32_state
from omamori.cloak import models


def _checkpoint(pickled: bytes, storages: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
    return buffer.getvalue()


def test_restricted_unpickler_refuses_a_global_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    # protocol 2: os.system("touch <marker>") -- what a general unpickler would run
    command = f"touch {marker}".encode()
    evil = b"\x80\x02cos\nsystem\nX" + len(command).to_bytes(4, "little") + command + b"\x85R."
    with pytest.raises(StateError) as caught:
        tinyvae.load_state_dict(_checkpoint(evil))
    assert caught.value.code == "model_damaged" and "os.system" in caught.value.details["reason"]
    assert not marker.exists()


def test_restricted_unpickler_refuses_builtins_even_inside_a_state_dict():
    class Sneaky:
        def __reduce__(self):
            return (eval, ("1+1",))

    with pytest.raises(StateError, match="model_damaged"):
        tinyvae.load_state_dict(_checkpoint(pickle.dumps({"0.weight": Sneaky()}, protocol=2)))


def test_tensor_reaching_past_its_storage_is_refused():
    # _rebuild_tensor_v2(storage "0" of 4 halves, offset 0, size (8,), stride (1,), False, OrderedDict()), by opcodes
    data = (b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w"
            b"ctorch._utils\n_rebuild_tensor_v2\n("
            b"(X\x07\x00\x00\x00storagectorch\nHalfStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ"
            b"K\x00K\x08\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rt"
            b"Ru.")
    with pytest.raises(StateError, match="model_damaged"):
        tinyvae.load_state_dict(_checkpoint(data, {"0": b"\x00" * 8}))
    within = data.replace(b"K\x08\x85", b"K\x04\x85")
    state = tinyvae.load_state_dict(_checkpoint(within, {"0": np.arange(4, dtype="<f2").tobytes()}))
    assert state["w"].dtype == np.float32 and state["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def _naive_conv(x: np.ndarray, weight: np.ndarray, stride: int) -> np.ndarray:
    """Cross-correlation as torch.nn.Conv2d defines it (zero padding k // 2), by loops."""
    cout, cin, k, _ = weight.shape
    pad = k // 2
    padded = np.pad(x.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)))
    ho, wo = (x.shape[0] + 2 * pad - k) // stride + 1, (x.shape[1] + 2 * pad - k) // stride + 1
    out = np.zeros((ho, wo, cout))
    for i in range(ho):
        for j in range(wo):
            patch = padded[i * stride:i * stride + k, j * stride:j * stride + k]      # k, k, cin
            out[i, j] = np.einsum("yxc,ocyx->o", patch, weight)
    return out


# the 40-row shapes span several pixel chunks (tinyvae.CHUNK_PIXELS), and row bands on a machine of several cores
@pytest.mark.parametrize("shape,k,stride", [((7, 9, 3), 3, 1), ((7, 9, 4), 3, 2), ((6, 8, 4), 3, 2), ((5, 4, 6), 1, 1),
                                            ((40, 37, 3), 3, 1), ((41, 37, 4), 3, 2)])
def test_conv_forward_matches_the_definition(shape, k, stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    weight = rng.standard_normal((5, shape[2], k, k)).astype(np.float32)
    conv = tinyvae.Conv(weight, None, stride=stride)
    np.testing.assert_allclose(conv.forward(x, None), _naive_conv(x, weight, stride), rtol=1e-4, atol=1e-4)


def _directional_check(layer, x: np.ndarray, rng: np.random.Generator, *, steps=(1e-2,), tolerance=0.02) -> None:
    """<grad, v> from backward equals the central difference of <r, f(x)> along v.

    Directions: along the gradient, then random. A ReLU network is piecewise
    linear: a difference step that crosses a kink is off, so the closest of a
    few step sizes must agree within ``tolerance`` (relative).
    """
    r = rng.standard_normal(layer.forward(x, None).shape).astype(np.float32)
    tape: list = []
    out = layer.forward(x, tape)
    grad = layer.backward(r, tape)
    assert tape == [] and grad.shape == x.shape and out.dtype == np.float32
    along_gradient = grad / np.sqrt(np.mean(grad * grad))
    for v in [along_gradient] + [rng.standard_normal(x.shape).astype(np.float32) for _ in range(2)]:
        analytic = float(np.sum(grad * v, dtype=np.float64))
        numeric = [(np.sum(r * layer.forward(x + h * v, None), dtype=np.float64)
                    - np.sum(r * layer.forward(x - h * v, None), dtype=np.float64)) / (2 * h) for h in steps]
        error = min(abs(n - analytic) for n in numeric)
        # scale of a directional derivative here: |grad| |v| / sqrt(size) (random v), |grad| |v| (along it)
        scale = max(abs(analytic), float(np.linalg.norm(grad) * np.linalg.norm(v)) / np.sqrt(x.size))
        assert error <= tolerance * scale, (numeric, analytic)


@pytest.mark.parametrize("bands,chunk", [(1, 512), (3, 7)])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_is_the_same_in_any_bands_and_chunks(monkeypatch, bands, chunk, stride):
    """Row bands (a thread each) and pixel or tile chunks (a row at a time when a row is wider) change nothing."""
    monkeypatch.setattr(tinyvae, "CHUNK_PIXELS", chunk)
    monkeypatch.setattr(tinyvae, "CHUNK_TILES", chunk)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((11, 13, 4)).astype(np.float32)
    weight = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    conv = tinyvae.Conv(weight, None, stride=stride, bands=tinyvae.Bands(bands))
    np.testing.assert_allclose(conv.forward(x, None), _naive_conv(x, weight, stride), rtol=1e-4, atol=1e-4)
    _directional_check(conv, x, rng, steps=(1e-1,), tolerance=1e-3)


def _direct_conv(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """The nine shifted matrix products on the zero-padded image, float32: how tinyvae computed a stride-1 3x3
    convolution before Winograd (taps (9, Cin, Cout), tap t = dy * 3 + dx)."""
    h, w, cin = x.shape
    flat = np.pad(x, ((1, 2), (1, 1), (0, 0))).reshape(-1, cin)     # one spare row: the last taps read past the end
    return tinyvae._shifted_products([(flat, (t // 3) * (w + 2) + t % 3, taps[t]) for t in range(9)],
                                     rows=h, width=w + 2, keep=w, bands=tinyvae.ONE_BAND)


@pytest.mark.parametrize("shape,cout", [((16, 16, 64), 64), ((13, 22, 64), 64), ((9, 7, 3), 64), ((21, 10, 64), 3),
                                        ((1, 1, 32), 64), ((2, 5, 64), 32)])
@pytest.mark.parametrize("bands,chunk", [(1, 256), (3, 5)])
def test_winograd_conv_equals_the_direct_products_forward_and_backward(monkeypatch, shape, cout, bands, chunk):
    """Winograd F(2x2, 3x3) gives the direct sum of nine products within float32 rounding, in both directions,
    at taef2's channel counts, even and odd sizes, in any bands and chunks."""
    monkeypatch.setattr(tinyvae, "CHUNK_TILES", chunk)
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    weight = (rng.standard_normal((cout, shape[2], 3, 3)) / np.sqrt(9 * shape[2])).astype(np.float32)
    bias = rng.standard_normal(cout).astype(np.float32)
    conv = tinyvae.Conv(weight, bias, bands=tinyvae.Bands(bands))
    forward, direct = conv.forward(x, None), _direct_conv(x, conv.taps) + bias
    g = rng.standard_normal(forward.shape).astype(np.float32)
    backward, direct_backward = conv.backward(g, [shape[:2]]), _direct_conv(g, conv.taps_t[::-1])
    for ours, theirs, exact in ((forward, direct, _naive_conv(x, weight, 1) + bias), (backward, direct_backward, None)):
        assert ours.shape == theirs.shape and ours.dtype == np.float32 and ours.flags.c_contiguous
        # float32 rounding of sums of 9 Cin terms of unit size: 1e-6 of the largest value, far below any wrong tap
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5 * float(np.abs(theirs).max()))
        if exact is not None:   # and no further from the float64 definition than a few times the direct form
            assert np.abs(ours - exact).max() <= 4 * np.abs(theirs - exact).max() + 1e-6


@pytest.mark.parametrize("stride,shape", [(1, (9, 7, 4)), (2, (9, 7, 4)), (1, (40, 37, 4)), (2, (41, 38, 4))])
def test_conv_backward_is_the_gradient(stride, shape):
    rng = np.random.default_rng(1)
    conv = tinyvae.Conv(rng.standard_normal((6, 4, 3, 3)).astype(np.float32), rng.standard_normal(6).astype(np.float32),
                        stride=stride)
    _directional_check(conv, rng.standard_normal(shape).astype(np.float32), rng, steps=(1e-1,), tolerance=1e-3)


def test_groupnorm_backward_is_the_gradient():
    rng = np.random.default_rng(2)
    norm = tinyvae.GroupNorm(rng.uniform(0.5, 2, 8).astype(np.float32), rng.standard_normal(8).astype(np.float32),
                             groups=4)
    _directional_check(norm, rng.standard_normal((5, 6, 8)).astype(np.float32), rng)


def test_block_with_global_branch_backward_is_the_gradient():
    rng = np.random.default_rng(4)

    def conv(cout, cin, k):
        return tinyvae.Conv(0.3 * rng.standard_normal((cout, cin, k, k)).astype(np.float32),
                            0.1 * rng.standard_normal(cout).astype(np.float32))

    convs = tinyvae.Sequence([conv(4, 4, 3), tinyvae.ReLU(), conv(4, 4, 3), tinyvae.ReLU(), conv(4, 4, 3)])
    branch = tinyvae.Sequence([conv(8, 4, 1), tinyvae.GroupNorm(np.ones(8, np.float32), np.zeros(8, np.float32),
                                                               groups=4), tinyvae.ReLU(), conv(4, 8, 1)])
    block = tinyvae.Sequence([tinyvae.SoftClamp(), tinyvae.Upsample(), tinyvae.Block(convs, branch)])
    _directional_check(block, rng.standard_normal((4, 5, 4)).astype(np.float32), rng, steps=(1e-2, 1e-3))


@needs_model
def test_encoder_and_decoder_shapes_and_reconstruction():
    encoder = tinyvae.build_encoder(tinyvae.load_state_dict(MODELS / "taef2_encoder.pth"), bands=tinyvae.Bands())
    decoder = tinyvae.build_decoder(tinyvae.load_state_dict(MODELS / "taef2_decoder.pth"), bands=tinyvae.Bands())
    y, x = np.mgrid[0:48, 0:64].astype(np.float32)
    image = np.stack([0.5 + 0.3 * np.sin(x / 9), 0.5 + 0.3 * np.cos(y / 7), np.full_like(x, 0.4)], axis=-1)
    latent = encoder(image)
    assert latent.shape == (6, 8, 32) and latent.dtype == np.float32
    recon = decoder(latent)
    assert recon.shape == (48, 64, 3) and recon.dtype == np.float32
    # a working autoencoder gives back a smooth picture closely (a wrong layer order gives noise, < 15 dB)
    assert 10 * np.log10(1 / np.mean((np.clip(recon, 0, 1) - image) ** 2)) > 25


@needs_model
def test_encoder_and_decoder_backward_are_the_gradient():
    rng = np.random.default_rng(3)
    encoder = tinyvae.build_encoder(tinyvae.load_state_dict(MODELS / "taef2_encoder.pth"), bands=tinyvae.Bands())
    decoder = tinyvae.build_decoder(tinyvae.load_state_dict(MODELS / "taef2_decoder.pth"), bands=tinyvae.Bands())
    image = rng.uniform(0.2, 0.8, (16, 24, 3)).astype(np.float32)
    _directional_check(encoder, image, rng, steps=(1e-3, 3e-4, 1e-4), tolerance=0.03)
    _directional_check(decoder, encoder(image), rng, steps=(1e-3, 3e-4, 1e-4), tolerance=0.03)


def _f32_reference(state: dict[str, np.ndarray], image: np.ndarray) -> np.ndarray:
    """taesd.py's F32Encoder in float64 by loops (``_naive_conv``), written from its definition, not from
    tinyvae's layout table."""
    def conv(x, key, stride=1):
        out = _naive_conv(x, state[f"{key}.weight"].astype(np.float64), stride)
        return out + state[f"{key}.bias"] if f"{key}.bias" in state else out

    def block(x, index):
        y = conv(np.maximum(conv(np.maximum(conv(x, f"{index}.conv.0"), 0), f"{index}.conv.2"), 0), f"{index}.conv.4")
        return np.maximum(y + x, 0)

    x = np.maximum(conv(np.maximum(conv(image, "0", 2), 0), "2", 2), 0)
    x = block(x, 4)
    for first in (5, 9, 13):
        x = conv(x, str(first), 2)
        for index in (first + 1, first + 2, first + 3):
            x = block(x, index)
    return conv(x, "17")


@pytest.mark.parametrize("shape", [(64, 96), (70, 101)])
def test_f32_encoder_matches_a_float64_reference_on_random_weights(shape):
    """Sana's encoder layout (32x down, stride-2 convs with and without bias, 3 -> 32 -> 64 channels), on even
    and odd sizes (each stride-2 conv rounds up, as torch's does with padding 1)."""
    rng = np.random.default_rng(6)
    state = random_f32_state(rng)
    encoder = tinyvae.build_encoder(state, bands=tinyvae.Bands(2), layout="f32")
    image = rng.uniform(0, 1, (*shape, 3)).astype(np.float32)
    latent, expected = encoder(image), _f32_reference(state, image)
    assert latent.shape == expected.shape == (-(-shape[0] // 32), -(-shape[1] // 32), 32)
    assert latent.dtype == np.float32 and np.abs(expected).max() > 0.1
    np.testing.assert_allclose(latent, expected, rtol=0, atol=1e-4 * float(np.abs(expected).max()))


def test_f32_encoder_backward_is_the_gradient():
    rng = np.random.default_rng(8)
    encoder = tinyvae.build_encoder(random_f32_state(rng), bands=tinyvae.Bands(2), layout="f32")
    _directional_check(encoder, rng.uniform(0.2, 0.8, (40, 72, 3)).astype(np.float32), rng,
                       steps=(1e-3, 3e-4, 1e-4), tolerance=0.03)


def test_a_state_dict_of_another_layout_is_refused():
    with pytest.raises(StateError, match="model_damaged"):
        tinyvae.build_encoder(random_f32_state(np.random.default_rng(0)), bands=tinyvae.ONE_BAND, layout="taesd")


@needs_sana
def test_sana_encoder_on_its_real_weights():
    """The pinned file loads through the registry (its hash checked), computes what the float64 reference does,
    and its latent follows the picture: a faint noise moves it far less than another picture does."""
    vae = models.load(models.spec_named("taesana"), models_dir=MODELS_ALL)
    assert vae.decoder is None and vae.downscale == 32
    state = tinyvae.load_state_dict(MODELS_ALL / "taesana_encoder.pth")
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    image = np.stack([0.5 + 0.3 * np.sin(x / 9), 0.5 + 0.3 * np.cos(y / 7), np.full_like(x, 0.4)], axis=-1)
    latent, expected = vae.encoder(image), _f32_reference(state, image)
    assert latent.shape == (2, 3, 32)
    np.testing.assert_allclose(latent, expected, rtol=0, atol=1e-4 * float(np.abs(expected).max()))
    rng = np.random.default_rng(0)
    noisy = np.clip(image + rng.normal(0, 1 / 255, image.shape).astype(np.float32), 0, 1)
    other = image[::-1, ::-1].copy()
    assert np.linalg.norm(vae.encoder(noisy) - latent) < 0.1 * np.linalg.norm(vae.encoder(other) - latent)


def test_multiply_adds_follow_strides_and_upsampling():
    """Per input pixel: a 3x3 stride-2 conv 3->4 on a quarter of the area (9*3*4 / 4 = 27), nearest x2 back to the
    full area, a 1x1 conv 4->2 there (8): 35, and the output covers the input's area again."""
    rng = np.random.default_rng(0)
    network = tinyvae.Sequence([
        tinyvae.Conv(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), None, stride=2), tinyvae.ReLU(),
        tinyvae.Upsample(), tinyvae.Conv(rng.standard_normal((2, 4, 1, 1)).astype(np.float32), None)])
    assert tinyvae.multiply_adds(network) == (35.0, 1.0)
    block = tinyvae.Block(tinyvae.Sequence([tinyvae.Conv(rng.standard_normal((4, 4, 3, 3)).astype(np.float32), None)]),
                          tinyvae.Sequence([tinyvae.Conv(rng.standard_normal((4, 4, 1, 1)).astype(np.float32), None)]))
    assert tinyvae.multiply_adds(block, 0.25) == (0.25 * (144 + 16), 0.25)   # branch and convs both read the input
