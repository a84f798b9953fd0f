"""Draw the phone app's icons (static/img/phone-icon-*.png) with Pillow; no network.

.venv/bin/python scripts/make_phone_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
NAVY, WHITE, ORANGE = (22, 33, 58), (255, 255, 255), (242, 140, 40)


def icon(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), NAVY)
    draw = ImageDraw.Draw(image)
    unit = size / 16
    # A map pin: a circle over a triangle, with a dot; safe inside the maskable zone.
    cx, cy, r = size / 2, size * 0.42, unit * 3.6
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ORANGE)
    draw.polygon(
        [(cx - r * 0.8, cy + r * 0.55), (cx + r * 0.8, cy + r * 0.55), (cx, size * 0.78)],
        fill=ORANGE,
    )
    dot = r * 0.42
    draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=WHITE)
    return image


if __name__ == "__main__":
    for size in (192, 512):
        path = ROOT / "static" / "img" / f"phone-icon-{size}.png"
        icon(size).save(path, optimize=True)
        print(path.relative_to(ROOT))
