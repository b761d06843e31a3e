"""The cloak's public API and its effect: on a small image it moves what the model sees more than noise does."""
from __future__ import annotations


import mark_images
import numpy as np
import pytest

from omamori import cloak
from omamori.cloak import attack, models
from omamori.cloak import tinyvae
from omamori.cloak.attack import (AttackParams, cloak_image, pixel_budget, seen_gradient, seen_push, shaped_noise,
                                  texture_mask, tiles)
from omamori.errors import StateError
from cloak_model import MODELS, needs_model, random_f32_state


def _picture(height: int, width: int) -> np.ndarray:
    """Flat colour with a dark outlined disc and a soft gradient (float32 HxWx3)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([0.55 + 0.3 * y / height, np.full_like(x, 0.8), 0.6 - 0.2 * x / width], axis=-1)
    d = np.hypot(y - height / 2, x - width / 2) - height / 3
    image[d < 0] = [0.9, 0.4, 0.5]
    image[np.abs(d) < 1.5] = 0.1
    return image


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((a.astype(np.float64) - b) ** 2)))


def test_available_only_with_a_model(tmp_path):
    assert not cloak.available(tmp_path)
    (tmp_path / "taef2_encoder.pth").write_bytes(b"x")
    assert not cloak.available(tmp_path)


@needs_model
def test_the_models_folder_is_read_from_the_environment_once_at_the_edge(monkeypatch, tmp_path):
    """OMAMORI_MODELS (the tests' shared copy) is read by default_paths only; the cloak takes the folder."""
    from omamori.paths import default_paths

    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path))
    monkeypatch.delenv("OMAMORI_MODELS", raising=False)
    assert default_paths().models == tmp_path / "data" / "models"
    assert not cloak.available(default_paths().models)
    monkeypatch.setenv("OMAMORI_MODELS", str(MODELS))
    assert default_paths().models == MODELS and cloak.available(default_paths().models)


def test_loading_without_a_model_says_so(tmp_path):
    with pytest.raises(StateError) as caught:
        cloak.load_models(tmp_path)
    assert caught.value.code == "model_missing"


def test_texture_mask_spends_less_on_flat_colour():
    image = _picture(64, 64)
    mask = texture_mask(image, flat_share=0.3)
    assert mask.shape == (64, 64, 1) and mask.dtype == np.float32
    assert mask[5, 5, 0] < 0.5 and mask[32, 32 - 64 // 3, 0] == pytest.approx(1.0)   # a soft gradient; the outline
    params = AttackParams()
    budget = pixel_budget(image, strength=0.5, params=params)
    assert np.sqrt(np.mean(budget ** 2)) == pytest.approx(0.5 * params.rms * params.upsampling_loss, rel=1e-3)
    assert pixel_budget(image, strength=2.0, params=AttackParams()).max() <= AttackParams().max_epsilon


@needs_model
def test_apply_returns_a_new_image_reports_progress_and_stays_faint():
    image = _picture(40, 48)
    before = image.copy()
    seen = []
    out = cloak.apply(image, cloak.load_models(MODELS), rng=np.random.default_rng(0),
                      progress=lambda step, fraction: seen.append((step, fraction)))
    assert out.shape == image.shape and out.dtype == np.float32 and out is not image
    np.testing.assert_array_equal(image, before)
    assert 0 <= out.min() and out.max() <= 1
    assert 36 - 0.1 < _psnr(out, image) < 42      # the promised floor, and not far above it
    assert seen[0] == ("cloak", 0.0) and seen[-1] == ("cloak", 1.0)
    assert all(a[1] <= b[1] for a, b in zip(seen, seen[1:]))


@needs_model
def test_cloak_moves_the_reconstruction_more_than_noise_of_equal_psnr():
    vae = models.load(models.CLOAK_MODEL, models_dir=MODELS)
    assert vae.downscale == 8
    image = _picture(48, 64)
    rng = np.random.default_rng(1)
    cloaked = cloak_image(image, (vae,), strength=1.0, params=AttackParams(steps=4), rng=rng)
    visible = _psnr(cloaked, image)
    noise = rng.standard_normal(image.shape).astype(np.float32)
    noisy = np.clip(image + noise * 10 ** (-visible / 20) / np.sqrt(np.mean(noise ** 2)), 0, 1)
    assert abs(_psnr(noisy, image) - visible) < 0.5

    def seen(picture: np.ndarray) -> np.ndarray:
        return np.clip(vae.decoder(vae.encoder(picture)), 0, 1)

    # the model's view of the cloaked image is at least 6 dB further from the clean view than the noisy one's
    assert _psnr(seen(noisy), seen(image)) - _psnr(seen(cloaked), seen(image)) > 6


@pytest.mark.parametrize("grid", [8, 32])
def test_tiles_cover_the_view_once_on_the_encoder_grid(grid):
    for height, width, side in ((768, 1024, 512), (1000, 1000, 512), (40, 48, 512), (72, 96, 64), (384, 512, 0)):
        cover = np.zeros((height, width), int)
        for rows, columns in tiles(height, width, side, grid=grid):
            cover[rows, columns] += 1
            assert rows.start % grid == 0 and columns.start % grid == 0
            assert side == 0 or (rows.stop - rows.start <= side + grid and columns.stop - columns.start <= side + grid)
        assert (cover == 1).all()
    assert len(tiles(768, 1024, 512, grid=grid)) == 4 and len(tiles(768, 1024, 0, grid=grid)) == 1


@needs_model
def test_one_tiled_step_moves_the_model_more_than_shaped_noise_of_equal_psnr():
    """The shipped step (one step, views in tiles), from noise rather than the family: within the visible
    budget, the latent and the reconstruction move further than under the cloak's own budget with random signs
    at the same PSNR (seeds 0-4: latent 1.06-1.11x as far, reconstruction 1.7-2.6 dB worse)."""
    vae = models.load(models.CLOAK_MODEL, models_dir=MODELS)
    image = _picture(96, 128)
    params = AttackParams(sides=(64, 96, 128), tile=64)        # views of 1, 4 and 4 tiles
    rng = np.random.default_rng(0)
    cloaked = cloak_image(image, (vae,), strength=1.0, params=params, rng=rng)
    visible = _psnr(cloaked, image)
    assert 36 - 0.1 < visible < 42
    noise = shaped_noise(image, params=params, rng=rng)
    scale = 10 ** (-visible / 20) / np.sqrt(np.mean(noise ** 2))
    shaped = np.clip(image + np.float32(scale) * noise, 0, 1)
    assert abs(_psnr(shaped, image) - visible) < 0.2
    latent = vae.encoder(image)
    assert np.linalg.norm(vae.encoder(cloaked) - latent) > 1.03 * np.linalg.norm(vae.encoder(shaped) - latent)

    def seen(picture: np.ndarray) -> np.ndarray:
        return np.clip(vae.decoder(vae.encoder(picture)), 0, 1)

    assert _psnr(seen(shaped), seen(image)) - _psnr(seen(cloaked), seen(image)) > 1


@needs_model
def test_the_cloak_works_against_what_the_caller_adds_afterwards():
    """``then`` (the pipeline's mark) is applied by the caller, not by the cloak; the steps see its effect."""
    vae = models.load(models.CLOAK_MODEL, models_dir=MODELS)
    image = _picture(48, 64)
    stripes = np.zeros_like(image)
    stripes[::4] = 0.08                       # something the model sees: every fourth row brighter
    calls = []

    def then(picture: np.ndarray) -> np.ndarray:
        calls.append(picture.copy())
        return np.clip(picture + stripes, 0, 1)

    params = AttackParams(steps=2)
    plain = cloak_image(image, (vae,), strength=1.0, params=params, rng=np.random.default_rng(3))
    aware = cloak_image(image, (vae,), strength=1.0, params=params, rng=np.random.default_rng(3), then=then)
    assert len(calls) == 1 and np.array_equal(calls[0], image)
    assert _psnr(aware, image) > 35                  # the cloak alone: the stripes are not in it

    def seen(picture: np.ndarray) -> np.ndarray:
        return np.clip(vae.decoder(vae.encoder(picture)), 0, 1)

    # what is stored is then(cloaked): the cloak that saw the stripes moves the model's view of it further
    # (about 3 dB on seeds 0-3)
    assert _psnr(seen(then(plain)), seen(image)) - _psnr(seen(then(aware)), seen(image)) > 1


@needs_model
def test_preview_ai_writes_both_reconstructions_side_by_side(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from omamori import cli

    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path))
    monkeypatch.setenv("OMAMORI_MODELS", str(MODELS))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    source = tmp_path / "art.png"
    picture = mark_images.KINDS["sketch"](48, 64, np.random.default_rng(4))
    Image.fromarray((picture * 255 + 0.5).astype(np.uint8)).save(source)
    picture = np.asarray(Image.open(source), np.float32) / 255
    assert cli.main(["preview-ai", str(source), "--seed", "1"]) == 0
    preview = np.asarray(Image.open(tmp_path / "art.ai-preview.png"), np.float32) / 255
    assert preview.shape == (48, 64 + 4 + 64, 3)
    left, right = preview[:, :64], preview[:, 68:]
    assert _psnr(left, picture) > 20          # the clean reconstruction looks like the picture
    assert _psnr(right, left) < 30            # the cloaked one visibly differs (25.5 dB measured; same: inf)
    assert "small extra effect" in capsys.readouterr().out
    (tmp_path / "previews").mkdir()
    assert cli.main(["preview-ai", str(source), "--seed", "1", "--out", str(tmp_path / "previews")]) == 0
    assert (tmp_path / "previews" / "art.ai-preview.png").read_bytes() == (tmp_path / "art.ai-preview.png").read_bytes()


@needs_model
def test_with_taef2_alone_installed_the_cloak_is_the_same_from_run_to_run(tmp_path):
    """The same picture and seed give the same cloak, bit for bit, by the tiled attack and by the shipped path. (This
    test used to compare digests of the cloak at f897d7a, before it could attack a second model; those held for one
    machine's numpy and BLAS kernels only, and differed on numpy 2.4.6 on an AMD EPYC.)"""
    models.fetch(models.CLOAK_MODEL, models_dir=tmp_path, source=MODELS)
    installed = cloak.load_models(tmp_path)
    assert [vae.spec.name for vae in installed] == ["taef2"]
    image = mark_images.KINDS["flat_anime"](96, 128, np.random.default_rng(7))
    tiled = [cloak_image(image, installed, strength=1.0, params=AttackParams(sides=(64, 96, 128), tile=64),
                         rng=np.random.default_rng(0)) for _ in range(2)]
    assert np.array_equal(tiled[0], tiled[1]) and not np.array_equal(tiled[0], image)
    applied = [cloak.apply(image, installed, rng=np.random.default_rng(0)) for _ in range(2)]   # the family's start
    assert np.array_equal(applied[0], applied[1]) and not np.array_equal(applied[0], image)


def test_for_an_encoder_alone_the_step_follows_the_latent_distance():
    """Without a decoder the loss is half the squared distance of the latents, tile by tile: its gradient agrees
    with the central difference of that loss (random F32 weights; tiles of 32 px over a 64x96 picture)."""
    rng = np.random.default_rng(9)
    spec = models.spec_named("taesana")
    vae = models.TinyVAE(spec, tinyvae.build_encoder(random_f32_state(rng), bands=tinyvae.ONE_BAND, layout="f32"),
                         None)
    clean = rng.uniform(0.2, 0.8, (64, 96, 3)).astype(np.float32)
    picture = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)

    def loss(x: np.ndarray) -> float:
        return sum(0.5 * float(np.sum((vae.encoder(x[w]).astype(np.float64) - vae.encoder(clean[w])) ** 2))
                   for w in tiles(64, 96, 32, grid=vae.downscale))

    grad = seen_gradient(vae, picture, clean, tile=32)
    assert grad.shape == picture.shape and np.abs(grad).max() > 0
    for direction in (grad / np.abs(grad).max(), rng.standard_normal(picture.shape).astype(np.float32)):
        h = 1e-3
        numeric = (loss(picture + h * direction) - loss(picture - h * direction)) / (2 * h)
        analytic = float(np.sum(grad.astype(np.float64) * direction))
        assert abs(numeric - analytic) <= 0.03 * max(abs(analytic), float(np.linalg.norm(grad)) * float(
            np.linalg.norm(direction)) / np.sqrt(picture.size))


def test_progress_counts_each_model_by_its_work():
    """With a costly and a cheap model (Sana's encoder does a thirtieth of taef2's products), the progress of a
    step moves by each model's share of the work, not by one share per model."""
    rng = np.random.default_rng(4)
    costly, cheap = (models.TinyVAE(models.spec_named("taesana"), tinyvae.build_encoder(
        random_f32_state(rng, channels=channels), bands=tinyvae.ONE_BAND, layout="f32"), None) for channels in (64, 16))
    assert cheap.multiply_adds_per_pixel < costly.multiply_adds_per_pixel / 8
    assert costly.downscale == cheap.downscale == 32        # its tiles are cut on its own latent grid
    image = _picture(64, 96)
    seen: list[float] = []
    seen_push((costly, cheap), image, np.zeros_like(image), budget=np.full((64, 96, 1), 0.01, np.float32),
              params=AttackParams(sides=(96,)), progress=seen.append)
    share = costly.multiply_adds_per_pixel / (costly.multiply_adds_per_pixel + cheap.multiply_adds_per_pixel)
    assert seen == pytest.approx([share, 1.0])


def test_each_model_sees_tiles_cut_on_its_own_latent_grid(monkeypatch):
    """Sana's encoder (32 px per latent) gets tiles cut at multiples of 32, so each tile's latents line up with
    the whole picture's; on taef2's 8 px grid a 1000 px view would be cut at 496."""
    cuts = []
    real_tiles = attack.tiles

    def recording_tiles(*args, **kwargs):
        cuts.append(real_tiles(*args, **kwargs))
        return cuts[-1]

    monkeypatch.setattr(attack, "tiles", recording_tiles)
    vae = models.TinyVAE(models.spec_named("taesana"), tinyvae.build_encoder(
        random_f32_state(np.random.default_rng(5), channels=16), bands=tinyvae.ONE_BAND, layout="f32"), None)
    picture = _picture(64, 1000)
    seen_gradient(vae, picture, picture, tile=512)
    assert [columns.start for _, columns in cuts[0]] == [0, 512]
