"""The protocol requests ``signature.preview`` (the signature drawn on the sample picture as protection draws it,
nothing saved) and ``signature.fonts`` (the fonts a person may choose for it)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from omamori import fonts
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import HANDLERS, SIGNATURE_PREVIEW_SIDE, Host, sample_picture

from in_process import ask

OFF = {"signature.enabled": False}


def preview(host: Host, **options) -> tuple[dict, np.ndarray]:
    """signature.preview's result with ``options``, and its picture as float HxWx3 in 0-255."""
    result = ask(host, "signature.preview", options=options)
    picture = np.asarray(Image.open(io.BytesIO(result["image"])).convert("RGB"), dtype=np.float32)
    return result, picture


def change(picture: np.ndarray, plain: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Mean absolute difference (0-255 levels) between two pictures inside ``box`` (left, top, right, bottom as
    fractions of the width and height)."""
    height, width = picture.shape[:2]
    left, top, right, bottom = box
    rows = slice(int(top * height), max(int(top * height) + 1, int(bottom * height)))
    cols = slice(int(left * width), max(int(left * width) + 1, int(right * width)))
    return float(np.abs(picture[rows, cols] - plain[rows, cols]).mean())


CORNERS = {"top-left": (0, 0, 0.3, 0.2), "top-right": (0.7, 0, 1, 0.2),
           "bottom-left": (0, 0.8, 0.3, 1), "bottom-right": (0.7, 0.8, 1, 1)}


def test_requests_are_listed():
    assert {"signature.preview", "signature.fonts"} <= set(HANDLERS)


def test_preview_is_a_small_jpeg_of_the_sample_with_the_decision(host):
    result, picture = preview(host)
    assert result["mime"] == "image/jpeg" and result["image"][:3] == b"\xff\xd8\xff"
    assert max(result["width"], result["height"]) == SIGNATURE_PREVIEW_SIDE
    assert picture.shape[:2] == (result["height"], result["width"]) == (480, 640)
    assert result["drawn_on"] == {"width": 1200, "height": 900}       # the sample at the size it is protected
    assert result["bytes"] == len(result["image"]) < 200_000           # far below native messaging's 1 MiB
    assert result["signature"]["applied"] and result["skipped"] is None
    assert result["font"]["family"] in result["signature"]["message"]["en"]
    assert result["font"]["path"] == result["signature"]["details"]["font"]
    assert set(result["signature"]["message"]) == {"en", "ja"}


def test_the_busiest_preview_stays_small(host):
    result, _ = preview(host, **{"signature.placement": "tiled", "signature.size": 0.25, "signature.tiled_opacity": 1.0})
    assert result["bytes"] < 200_000


def test_the_corner_chosen_is_where_the_text_appears(host):
    _, plain = preview(host, **OFF)
    for corner, box in CORNERS.items():
        result, picture = preview(host, **{"signature.corner": corner})
        assert result["signature"]["details"]["corner"] == corner
        changes = {where: change(picture, plain, region) for where, region in CORNERS.items()}
        assert changes[corner] > 3, (corner, changes)
        assert all(changes[where] < 0.5 for where in CORNERS if where != corner), (corner, changes)


def test_tiled_covers_the_whole_picture(host):
    _, plain = preview(host, **OFF)
    _, picture = preview(host, **{"signature.placement": "tiled"})
    middle = (0.35, 0.35, 0.65, 0.65)      # tiled_opacity 0.2 changes each region by about 3 levels
    assert change(picture, plain, middle) > 1.5
    assert all(change(picture, plain, region) > 1.5 for region in CORNERS.values())
    _, corner = preview(host)
    assert change(corner, plain, middle) < 0.5


def test_opacity_changes_the_strength_of_the_text(host):
    _, plain = preview(host, **OFF)
    box = tuple(preview(host)[0]["signature"]["details"]["box"])
    strengths = [change(preview(host, **{"signature.opacity": opacity})[1], plain, box) for opacity in (0.1, 0.5, 1.0)]
    assert strengths[0] * 2 < strengths[1] < strengths[2] * 0.75, strengths


def test_size_changes_how_much_of_the_picture_the_text_covers(host):
    small, _ = preview(host, **{"signature.size": 0.02})
    large, _ = preview(host, **{"signature.size": 0.08})
    area = [(right - left) * (bottom - top) for left, top, right, bottom in
            (result["signature"]["details"]["box"] for result in (small, large))]
    assert area[1] > 4 * area[0]
    assert large["signature"]["details"]["font_px"] > 3 * small["signature"]["details"]["font_px"]


def test_the_text_drawn_is_the_text_given(host):
    first, one = preview(host, **{"signature.text": "@yuki"})
    second, other = preview(host, **{"signature.text": "@hanako_draws"})
    assert first["signature"]["details"]["text"] == "@yuki" and "@yuki" in first["signature"]["message"]["ja"]
    box = first["signature"]["details"]["box"]
    assert second["signature"]["details"]["box"][0] < box[0]             # a longer text starts further left
    assert change(one, other, tuple(second["signature"]["details"]["box"])) > 3


def test_the_same_settings_give_the_same_picture(host):
    tiled = {"signature.placement": "tiled"}
    assert preview(host, **tiled)[0]["image"] == preview(host, **tiled)[0]["image"]


def test_the_preview_draws_what_protection_draws(host):
    """The same decision as protect's signature step on the same picture: one code path (pipeline.sign)."""
    options = {"signature.placement": "corner", "signature.corner": "top-left", "signature.size": 0.06,
               "signature.opacity": 0.8, "signature.text": "@yuki · 無断転載禁止"}
    result, _ = preview(host, **options)
    protected = ask(host, "protect", image=base64.b64encode(sample_picture()).decode(), options=options)
    drawn = next(step for step in protected["report"] if step["step"] == "signature")
    assert drawn["details"] == result["signature"]["details"]
    assert drawn["message"] == result["signature"]["message"]


def test_nothing_is_saved(host):
    before = ask(host, "settings.get")["settings"]
    result, _ = preview(host, **{"signature.text": "@yuki", "signature.opacity": 0.9, "signature.placement": "tiled"})
    assert result["settings"]["text"] == "@yuki" and result["settings"]["placement"] == "tiled"
    assert ask(host, "settings.get")["settings"] == before
    assert not host.paths.settings_file.exists()


def test_the_saved_settings_are_the_starting_point(host):
    ask(host, "settings.set", changes={"signature.text": "@saved", "signature.corner": "top-left"})
    result, _ = preview(host, **{"signature.opacity": 0.3})
    assert (result["settings"]["text"], result["settings"]["corner"], result["settings"]["opacity"]) == \
        ("@saved", "top-left", 0.3)


@pytest.mark.parametrize(("options", "field", "rule"), [
    ({"signature.opacity": 1.5}, "signature.opacity", "range"),
    ({"signature.size": 0}, "signature.size", "range"),
    ({"signature.placement": "everywhere"}, "signature.placement", "choice"),
    ({"signature.text": "  "}, "signature.text", "text_empty"),
    ({"signature.font_path": "/no/such/font.ttf"}, "signature.font_path", "font_file"),
])
def test_a_bad_value_is_a_bad_setting_naming_its_field(host, options, field, rule):
    reply = host.handle(Request(id="s", type="signature.preview", body={"options": options}))
    assert not reply["ok"]
    error = reply["error"]
    assert error["code"] == "bad_setting"
    assert (error["details"]["field"], error["details"]["rule"]) == (field, rule)
    assert error["message"]["en"] and error["message"]["ja"]


def test_text_no_font_can_draw_is_refused_as_when_saved(host):
    reply = host.handle(Request(id="s", type="signature.preview", body={"options": {"signature.text": "ゆき\U0001F338"}}))
    assert reply["error"]["code"] == "signature_unprintable"
    assert reply["error"]["details"]["field"] == "signature.text"


def test_a_tiny_size_is_drawn_at_the_smallest_readable_line(host):
    result, _ = preview(host, **{"signature.size": 0.005})
    assert result["signature"]["applied"] and result["signature"]["details"]["font_px"] >= 8


def test_fonts_lists_those_that_draw_the_text_and_the_automatic_choice(host):
    result = ask(host, "signature.fonts")
    listed = result["fonts"]
    assert listed, "this machine has at least the bundled font"
    assert result["automatic"]["path"] in {font["path"] for font in listed}
    saved_text = ask(host, "settings.get")["settings"]["signature"]["text"]
    for font in listed:
        assert fonts.find_font(saved_text, font_path=font["path"]).family == font["family"]
    assert [font["family"].casefold() for font in listed] == sorted(font["family"].casefold() for font in listed)


def test_fonts_for_a_text_no_font_draws(host):
    result = ask(host, "signature.fonts", text="\U0010fffd")
    assert result["fonts"] == []
    assert result["automatic"]["problem"]["code"] == "font_missing"


def test_fonts_for_a_latin_text_include_latin_only_fonts(host):
    japanese = {font["path"] for font in ask(host, "signature.fonts", text="AI学習禁止")["fonts"]}
    latin = {font["path"] for font in ask(host, "signature.fonts", text="@yuki")["fonts"]}
    assert japanese <= latin


def test_fonts_text_too_long_is_a_bad_request(host):
    reply = host.handle(Request(id="s", type="signature.fonts", body={"text": "a" * 201}))
    assert reply["error"]["code"] == "bad_request" and reply["error"]["details"]["field"] == "text"


def test_a_chosen_font_is_the_one_drawn_with(host):
    chosen = ask(host, "signature.fonts")["fonts"][-1]
    result, _ = preview(host, **{"signature.font_path": chosen["path"]})
    assert result["font"] == chosen
