#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Draw the sample photo-story images for Storybank's demo data.

Every image in stories-sample/ is drawn here with Pillow, so the sample data
carries no third-party photographs. The scenes are simple but recognisable.

Some images deliberately carry EXIF metadata so that ingest can be tested:

* bus-stop-rain-gps.jpg        GPS (a fictional point in Turku), Make, Model, DateTimeOriginal
* kitchen-table-letters-gps.jpg GPS (a fictional point in Manchester), Make, Model, DateTimeOriginal
* waiting-room-rotated-exif.jpg Orientation = 6: the pixels are stored rotated 90 degrees
                               counter-clockwise, so a viewer that applies the orientation
                               (rotate 90 degrees clockwise) shows the scene upright.

Usage:  pip install Pillow piexif
        python3 tools/make_images.py          (run from stories-sample/, or anywhere)

The output is deterministic (fixed random seed).
"""

import math
import os
import random

from PIL import Image, ImageDraw, ImageFont

try:
    import piexif
except ImportError:  # pragma: no cover
    raise SystemExit("piexif is required: pip install piexif")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # stories-sample/
STORIES = os.path.join(ROOT, "stories")

SS = 2  # supersampling factor: draw at 2x, then downscale for smooth edges

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
]


def font(size):
    size = int(size * SS)
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


# ---------------------------------------------------------------- helpers


class Canvas:
    """A supersampled drawing surface; coordinates are given at final size."""

    def __init__(self, w, h, bg=(255, 255, 255)):
        self.w, self.h = w, h
        self.img = Image.new("RGB", (w * SS, h * SS), bg)
        self.d = ImageDraw.Draw(self.img, "RGBA")

    def _p(self, pts):
        return [(x * SS, y * SS) for x, y in pts]

    def rect(self, x0, y0, x1, y1, fill=None, outline=None, width=1, radius=0):
        box = [x0 * SS, y0 * SS, x1 * SS, y1 * SS]
        if radius:
            self.d.rounded_rectangle(box, radius * SS, fill=fill, outline=outline, width=width * SS)
        else:
            self.d.rectangle(box, fill=fill, outline=outline, width=width * SS)

    def ellipse(self, x0, y0, x1, y1, fill=None, outline=None, width=1):
        self.d.ellipse([x0 * SS, y0 * SS, x1 * SS, y1 * SS], fill=fill, outline=outline, width=width * SS)

    def circle(self, cx, cy, r, **kw):
        self.ellipse(cx - r, cy - r, cx + r, cy + r, **kw)

    def poly(self, pts, fill=None, outline=None):
        self.d.polygon(self._p(pts), fill=fill, outline=outline)

    def line(self, pts, fill, width=1):
        self.d.line(self._p(pts), fill=fill, width=max(1, int(width * SS)))

    def text(self, x, y, s, size, fill, anchor="la"):
        self.d.text((x * SS, y * SS), s, font=font(size), fill=fill, anchor=anchor)

    def vgradient(self, y0, y1, top, bottom):
        for y in range(int(y0 * SS), int(y1 * SS)):
            t = (y - y0 * SS) / max(1, (y1 - y0) * SS)
            c = tuple(int(top[i] + (bottom[i] - top[i]) * t) for i in range(3))
            self.d.line([(0, y), (self.w * SS, y)], fill=c)

    def paste_rotated(self, layer_w, layer_h, draw_fn, cx, cy, angle):
        """Draw on a transparent layer (final-size coords), rotate it, paste centred on (cx, cy)."""
        layer = Image.new("RGBA", (layer_w * SS, layer_h * SS), (0, 0, 0, 0))
        ld = ImageDraw.Draw(layer, "RGBA")
        draw_fn(ld)
        rot = layer.rotate(angle, resample=Image.BICUBIC, expand=True)
        self.img.paste(rot, (int(cx * SS - rot.width / 2), int(cy * SS - rot.height / 2)), rot)

    def result(self):
        return self.img.resize((self.w, self.h), Image.LANCZOS)


def S(v):
    return int(v * SS)


# ---------------------------------------------------------------- scenes


def bus_stop_rain():
    rnd = random.Random(1)
    W, H = 1600, 1200
    c = Canvas(W, H)
    c.vgradient(0, 700, (118, 128, 140), (170, 176, 184))  # overcast sky
    # distant buildings
    x = 0
    while x < W:
        bw = rnd.randint(120, 260)
        bh = rnd.randint(120, 300)
        c.rect(x, 700 - bh, x + bw, 700, fill=(120, 124, 132))
        for wy in range(700 - bh + 20, 690, 45):
            for wx in range(x + 15, x + bw - 30, 40):
                c.rect(wx, wy, wx + 20, wy + 25, fill=(150, 156, 166))
        x += bw + rnd.randint(5, 30)
    # road and pavement
    c.rect(0, 700, W, 880, fill=(70, 72, 76))
    for x in range(40, W, 220):
        c.rect(x, 785, x + 120, 795, fill=(220, 220, 200))
    c.rect(0, 880, W, 900, fill=(150, 150, 150))  # kerb
    c.rect(0, 900, W, H, fill=(112, 114, 118))
    for x in range(0, W, 160):
        c.line([(x, 900), (x - 80, H)], fill=(95, 97, 100), width=3)
    # puddles with reflections
    for px, py, pw in [(300, 1020, 260), (1050, 1100, 320), (820, 960, 160)]:
        c.ellipse(px, py, px + pw, py + pw * 0.22, fill=(150, 160, 175))
        c.ellipse(px + pw * 0.3, py + pw * 0.05, px + pw * 0.6, py + pw * 0.12, fill=(190, 198, 210))
    # shelter
    sx0, sx1, sy0, sy1 = 560, 1240, 470, 960
    c.rect(sx0 - 20, sy0 - 40, sx1 + 20, sy0, fill=(60, 70, 82))  # roof
    for x in (sx0, sx1 - 14, (sx0 + sx1) // 2):
        c.rect(x, sy0, x + 14, sy1, fill=(50, 56, 64))
    c.rect(sx0 + 14, sy0, sx1 - 14, sy1 - 40, fill=(200, 220, 235, 80))  # glass back
    c.rect(sx0 + 14, sy0 + 10, sx0 + 300, sy0 + 170, fill=(245, 245, 240), outline=(40, 40, 40), width=3)
    c.text(sx0 + 30, sy0 + 24, "TIMETABLE", 26, (30, 30, 30))
    for i in range(5):
        c.rect(sx0 + 30, sy0 + 70 + i * 18, sx0 + 280 - (i % 3) * 40, sy0 + 78 + i * 18, fill=(120, 120, 120))
    # bench inside shelter
    c.rect(sx0 + 80, 820, sx1 - 80, 840, fill=(90, 96, 104))
    c.rect(sx0 + 110, 840, sx0 + 125, 900, fill=(60, 60, 60))
    c.rect(sx1 - 125, 840, sx1 - 110, 900, fill=(60, 60, 60))
    # person with umbrella
    px = 980
    c.rect(px - 35, 690, px + 35, 900, fill=(40, 50, 90), radius=20)  # coat
    c.rect(px - 30, 900, px - 8, 955, fill=(30, 30, 35))
    c.rect(px + 8, 900, px + 30, 955, fill=(30, 30, 35))
    c.circle(px, 660, 32, fill=(225, 190, 160))
    c.line([(px + 5, 700), (px + 5, 545)], fill=(30, 30, 30), width=5)
    c.d.pieslice([S(px - 150), S(480), S(px + 160), S(640)], 180, 360, fill=(180, 40, 50))
    # bus stop pole and sign
    c.rect(400, 380, 414, 960, fill=(90, 90, 95))
    c.circle(407, 380, 70, fill=(220, 30, 40))
    c.circle(407, 380, 52, fill=(255, 255, 255))
    c.text(407, 380, "BUS", 34, (20, 20, 20), anchor="mm")
    c.rect(360, 470, 454, 560, fill=(255, 210, 0))
    c.text(407, 515, "18", 40, (20, 20, 20), anchor="mm")
    # rain
    for _ in range(1400):
        x = rnd.uniform(-100, W)
        y = rnd.uniform(0, H)
        ln = rnd.uniform(25, 55)
        c.line([(x, y), (x + ln * 0.25, y + ln)], fill=(225, 230, 240, 110), width=1.5)
    return c.result()


def waiting_room():
    W, H = 1600, 1200
    c = Canvas(W, H, (205, 222, 208))
    c.rect(0, 0, W, 120, fill=(235, 238, 232))  # ceiling band
    for x in range(200, W, 500):
        c.rect(x, 30, x + 260, 60, fill=(250, 250, 240), outline=(180, 180, 180), width=2)
    c.rect(0, 820, W, H, fill=(176, 168, 150))  # floor
    for x in range(-200, W + 200, 120):
        c.line([(x, 820), (x + (x - W / 2) * 0.6, H)], fill=(160, 152, 135), width=2)
    c.rect(0, 800, W, 820, fill=(150, 160, 152))  # skirting
    # reception window
    c.rect(1040, 260, 1520, 620, fill=(230, 232, 226), outline=(120, 120, 120), width=6)
    c.rect(1070, 330, 1490, 600, fill=(190, 210, 222))
    c.rect(1040, 190, 1520, 250, fill=(40, 90, 150))
    c.text(1280, 220, "RECEPTION", 38, (255, 255, 255), anchor="mm")
    c.rect(1020, 600, 1540, 630, fill=(140, 130, 115))
    # queue number display
    c.rect(760, 220, 940, 330, fill=(25, 25, 25), radius=10)
    c.text(850, 275, "43", 64, (255, 80, 40), anchor="mm")
    c.text(850, 360, "NOW SERVING", 20, (60, 60, 60), anchor="mm")
    # clock
    cx, cy, r = 470, 300, 120
    c.circle(cx, cy, r + 12, fill=(60, 60, 60))
    c.circle(cx, cy, r, fill=(252, 252, 248))
    for i in range(60):
        a = math.radians(i * 6)
        r0 = r - (22 if i % 5 == 0 else 10)
        c.line([(cx + r0 * math.sin(a), cy - r0 * math.cos(a)), (cx + (r - 4) * math.sin(a), cy - (r - 4) * math.cos(a))],
               fill=(20, 20, 20), width=5 if i % 5 == 0 else 2)
    for h, ln, wd, deg in ((0, 60, 9, 4 * 30 + 20 * 0.5), (1, 95, 6, 20 * 6)):  # 4:20
        a = math.radians(deg)
        c.line([(cx, cy), (cx + ln * math.sin(a), cy - ln * math.cos(a))], fill=(20, 20, 20), width=wd)
    c.line([(cx, cy), (cx + 100 * math.sin(math.radians(200)), cy - 100 * math.cos(math.radians(200)))],
           fill=(200, 30, 30), width=2)
    c.circle(cx, cy, 8, fill=(200, 30, 30))
    # posters
    c.rect(120, 470, 330, 740, fill=(255, 250, 230), outline=(150, 150, 150), width=2)
    c.text(225, 500, "PLEASE", 22, (160, 30, 30), anchor="mm")
    c.text(225, 530, "BE PATIENT", 22, (160, 30, 30), anchor="mm")
    for i in range(7):
        c.rect(145, 570 + i * 22, 305 - (i % 2) * 50, 580 + i * 22, fill=(170, 170, 170))
    c.rect(620, 470, 820, 700, fill=(225, 240, 255), outline=(150, 150, 150), width=2)
    c.circle(720, 540, 40, fill=(90, 150, 210))
    for i in range(4):
        c.rect(645, 610 + i * 20, 795, 618 + i * 20, fill=(140, 150, 170))
    # row of joined plastic chairs, all empty
    c.rect(90, 760, 1000, 775, fill=(80, 80, 85))  # rail
    for i in range(6):
        x = 110 + i * 148
        c.rect(x, 590, x + 128, 720, fill=(40, 110, 180), radius=18)  # back
        c.rect(x - 5, 712, x + 133, 750, fill=(35, 98, 165), radius=10)  # seat
    for x in (120, 560, 980):
        c.rect(x, 770, x + 14, 860, fill=(80, 80, 85))
    # a single leaflet left on one chair
    c.rect(420, 700, 480, 716, fill=(250, 250, 250))
    # water cooler
    c.rect(1360, 660, 1460, 880, fill=(230, 230, 230), radius=8)
    c.rect(1375, 560, 1445, 665, fill=(160, 200, 235), radius=20)
    return c.result()


def kitchen_table_letters():
    rnd = random.Random(3)
    W, H = 1800, 1200
    c = Canvas(W, H, (150, 105, 70))
    # wooden planks seen from above
    for i, y in enumerate(range(0, H, 150)):
        base = (150 + (i % 3) * 8, 105 + (i % 2) * 6, 70)
        c.rect(0, y, W, y + 150, fill=base)
        c.line([(0, y), (W, y)], fill=(100, 68, 45), width=4)
        for _ in range(6):
            gy = y + rnd.randint(15, 135)
            c.line([(0, gy), (W, gy + rnd.randint(-8, 8))], fill=(135, 92, 60, 120), width=2)

    def letter(colour, label, label_col, lines, window=False, w=520, h=300, stamp=False):
        def fn(d):
            d.rectangle([S(6), S(8), S(w + 6), S(h + 8)], fill=(0, 0, 0, 60))  # shadow
            d.rectangle([0, 0, S(w), S(h)], fill=colour, outline=(120, 110, 100), width=S(2))
            if window:
                d.rectangle([S(40), S(120), S(300), S(200)], fill=(240, 240, 235), outline=(170, 170, 170), width=S(2))
                for k in range(3):
                    d.rectangle([S(55), S(135 + k * 20), S(250 - k * 30), S(143 + k * 20)], fill=(90, 90, 90))
            if label:
                d.text((S(30), S(25)), label, font=font(34), fill=label_col)
            for k in range(lines):
                d.rectangle([S(30), S(90 + k * 26), S(w - 40 - (k % 3) * 60), S(100 + k * 26)], fill=(150, 150, 150))
            if stamp:
                d.rectangle([S(w - 110), S(20), S(w - 30), S(100)], fill=(200, 60, 60))
        return fn

    c.paste_rotated(540, 320, letter((196, 160, 110), "", None, 0, window=True), 480, 360, 12)
    c.paste_rotated(540, 320, letter((250, 250, 246), "FINAL NOTICE", (200, 20, 20), 7), 860, 560, -8)
    c.paste_rotated(540, 320, letter((190, 152, 100), "", None, 0, window=True, stamp=True), 1260, 330, -20)
    c.paste_rotated(540, 320, letter((250, 250, 246), "Universal Credit", (20, 60, 130), 7), 620, 850, 5)
    c.paste_rotated(540, 320, letter((245, 240, 225), "ENERGY BILL", (20, 20, 20), 6), 1250, 840, 16)
    # mug of tea
    c.circle(1560, 560, 105, fill=(235, 235, 235))
    c.circle(1560, 560, 85, fill=(130, 85, 50))
    c.ellipse(1650, 530, 1720, 590, outline=(235, 235, 235), width=18)
    # pen and calculator
    c.paste_rotated(420, 40, lambda d: (d.rectangle([0, S(10), S(380), S(30)], fill=(20, 40, 120)),
                                        d.polygon([(S(380), S(10)), (S(415), S(20)), (S(380), S(30))], fill=(220, 200, 160))),
                    300, 1050, 25)

    def calc(d):
        d.rectangle([0, 0, S(220), S(320)], fill=(50, 50, 55))
        d.rectangle([S(20), S(20), S(200), S(80)], fill=(170, 190, 160))
        d.text((S(190), S(50)), "-47.20", font=font(30), fill=(20, 20, 20), anchor="rm")
        for r in range(4):
            for k in range(4):
                d.rectangle([S(20 + k * 46), S(100 + r * 52), S(56 + k * 46), S(140 + r * 52)], fill=(200, 200, 205))
    c.paste_rotated(220, 320, calc, 250, 620, -10)
    return c.result()


def park_bench():
    rnd = random.Random(4)
    W, H = 1600, 1067
    c = Canvas(W, H)
    c.vgradient(0, 560, (150, 190, 225), (215, 228, 235))
    c.rect(0, 540, W, H, fill=(110, 150, 80))
    # background trees
    for i in range(9):
        x = 80 + i * 190 + rnd.randint(-30, 30)
        c.rect(x - 12, 380, x + 12, 560, fill=(90, 65, 45))
        for _ in range(5):
            col = rnd.choice([(200, 120, 40), (170, 90, 30), (120, 140, 50), (210, 160, 60)])
            c.circle(x + rnd.randint(-60, 60), 340 + rnd.randint(-60, 40), rnd.randint(60, 95), fill=col)
    # path
    c.poly([(620, 540), (820, 540), (1300, H), (200, H)], fill=(200, 185, 150))
    # fallen leaves
    for _ in range(300):
        x, y = rnd.uniform(0, W), rnd.uniform(560, H)
        col = rnd.choice([(210, 130, 40), (180, 80, 30), (220, 180, 60)])
        c.ellipse(x, y, x + 14, y + 8, fill=col)
    # lamp post
    c.rect(1330, 250, 1346, 900, fill=(40, 45, 40))
    c.rect(1305, 220, 1371, 262, fill=(40, 45, 40))
    c.rect(1314, 228, 1362, 255, fill=(250, 240, 200))
    # bench
    bx0, bx1 = 820, 1260
    for i in range(3):  # back slats
        c.rect(bx0, 620 + i * 34, bx1, 645 + i * 34, fill=(140, 90, 50))
    for i in range(3):  # seat slats in perspective
        c.poly([(bx0 - 10 - i * 8, 740 + i * 22), (bx1 + 10 + i * 8, 740 + i * 22),
                (bx1 + 14 + i * 8, 758 + i * 22), (bx0 - 14 - i * 8, 758 + i * 22)], fill=(150, 98, 55))
    for x in (bx0 + 20, bx1 - 40):
        c.rect(x, 600, x + 20, 890, fill=(35, 38, 35))
        c.rect(x - 10, 800, x + 30, 812, fill=(35, 38, 35))
    # a small plaque and a flask left on the bench
    c.rect(1010, 665, 1070, 685, fill=(200, 170, 80))
    c.rect(1150, 690, 1180, 760, fill=(180, 40, 40), radius=6)
    # pigeons
    for px in (700, 760):
        c.ellipse(px, 930, px + 50, 965, fill=(120, 125, 135))
        c.circle(px + 50, 930, 14, fill=(110, 115, 125))
    return c.result()


def community_centre_door():
    W, H = 1400, 1050
    c = Canvas(W, H, (165, 80, 60))
    # brick wall
    for r, y in enumerate(range(0, H, 36)):
        off = 0 if r % 2 == 0 else 45
        for x in range(-off, W, 90):
            shade = (165 + (x * 7 + y) % 20, 78 + (x + y * 3) % 12, 58)
            c.rect(x + 3, y + 3, x + 87, y + 33, fill=shade)
    c.rect(0, 930, W, H, fill=(150, 150, 150))  # pavement
    # sign
    c.rect(330, 70, 1070, 190, fill=(20, 90, 80), radius=12)
    c.text(700, 130, "COMMUNITY CENTRE", 62, (255, 255, 255), anchor="mm")
    # door frame and double doors
    c.rect(420, 250, 980, 930, fill=(230, 230, 225))
    for x0 in (445, 705):
        c.rect(x0, 275, x0 + 250, 930, fill=(30, 100, 170))
        c.rect(x0 + 35, 320, x0 + 215, 560, fill=(200, 225, 240))
        c.rect(x0 + 35, 610, x0 + 215, 860, fill=(25, 85, 145))
    c.rect(665, 560, 680, 700, fill=(200, 200, 200))
    c.rect(720, 560, 735, 700, fill=(200, 200, 200))
    # poster on the door
    c.rect(490, 360, 650, 520, fill=(255, 230, 80))
    c.text(570, 410, "ALL", 30, (30, 30, 30), anchor="mm")
    c.text(570, 455, "WELCOME", 26, (30, 30, 30), anchor="mm")
    c.rect(750, 360, 910, 520, fill=(255, 255, 255))
    c.text(830, 400, "Coffee", 24, (30, 30, 30), anchor="mm")
    c.text(830, 440, "morning", 24, (30, 30, 30), anchor="mm")
    c.text(830, 480, "Thu 10am", 22, (180, 30, 30), anchor="mm")
    # ramp with handrail
    c.poly([(980, 930), (1380, 930), (1380, 900), (980, 880)], fill=(175, 175, 175))
    c.line([(990, 800), (1380, 830)], fill=(220, 220, 60), width=8)
    for x in (1000, 1190, 1370):
        c.line([(x, 800 + (x - 990) * 0.077), (x, 930)], fill=(120, 120, 120), width=6)
    # wheelchair access sign
    c.rect(1080, 560, 1200, 680, fill=(20, 70, 160))
    c.circle(1140, 640, 26, outline=(255, 255, 255), width=6)
    c.circle(1130, 585, 9, fill=(255, 255, 255))
    # plant pots
    for x in (250, 1000):
        c.poly([(x, 860), (x + 120, 860), (x + 100, 930), (x + 20, 930)], fill=(150, 80, 40))
        for k in range(5):
            c.circle(x + 20 + k * 20, 830 - (k % 2) * 25, 34, fill=(60, 130, 60))
    return c.result()


def food_bank_shelf():
    rnd = random.Random(6)
    W, H = 1600, 1200
    c = Canvas(W, H, (225, 222, 212))
    c.rect(0, 1050, W, H, fill=(150, 140, 125))
    # sign
    c.rect(380, 40, 1220, 150, fill=(250, 250, 250), outline=(60, 60, 60), width=3)
    c.text(800, 80, "VOEDSELBANK", 48, (200, 40, 40), anchor="mm")
    c.text(800, 126, "Neem wat je nodig hebt", 28, (40, 40, 40), anchor="mm")
    # metal shelving unit
    x0, x1 = 180, 1420
    for x in (x0, x1 - 20):
        c.rect(x, 180, x + 20, 1060, fill=(120, 125, 130))
    shelves = [380, 600, 820, 1040]
    for y in shelves:
        c.rect(x0, y, x1, y + 22, fill=(150, 155, 160))
    # a few tins on the top shelf
    for i, x in enumerate((260, 360)):
        c.rect(x, 240, x + 80, 380, fill=(190, 190, 195))
        c.rect(x, 275, x + 80, 345, fill=[(200, 60, 40), (40, 120, 60)][i])
        c.ellipse(x, 230, x + 80, 250, fill=(210, 210, 215))
    # one packet of pasta and a jar on the second shelf
    c.rect(900, 470, 1040, 600, fill=(40, 80, 170))
    c.rect(920, 500, 1020, 560, fill=(240, 220, 140))
    c.rect(1100, 500, 1180, 600, fill=(180, 120, 60), radius=10)
    c.rect(1095, 485, 1185, 510, fill=(200, 30, 30))
    # third shelf empty except a label strip
    c.rect(600, 800, 760, 820, fill=(255, 255, 255))
    c.text(680, 810, "RIJST", 16, (50, 50, 50), anchor="mm")
    # bottom shelf: a single box of cereal lying down
    c.rect(300, 960, 520, 1040, fill=(230, 160, 40))
    c.text(410, 1000, "MUESLI", 24, (120, 40, 20), anchor="mm")
    # dust and scuffs
    for _ in range(60):
        x, y = rnd.uniform(x0, x1), rnd.choice(shelves) + rnd.uniform(2, 20)
        c.rect(x, y, x + rnd.uniform(5, 30), y + 2, fill=(130, 135, 140))
    return c.result()


def village_road_bus():
    rnd = random.Random(7)
    W, H = 2000, 1125
    c = Canvas(W, H)
    c.vgradient(0, 520, (140, 180, 220), (225, 232, 238))
    # clouds
    for cx, cy in ((300, 140), (900, 90), (1500, 170)):
        for k in range(5):
            c.circle(cx + k * 55, cy + (k % 2) * 20, 60, fill=(250, 250, 252))
    # hills
    c.poly([(0, 520), (300, 380), (700, 470), (1100, 360), (1500, 450), (2000, 380), (2000, 600), (0, 600)],
           fill=(120, 160, 90))
    c.poly([(0, 600), (500, 520), (1000, 580), (1600, 510), (2000, 560), (2000, H), (0, H)], fill=(140, 180, 95))
    # stone walls / field boundaries
    for y0 in (640, 760, 900):
        pts = [(0, y0)]
        for x in range(100, W + 100, 100):
            pts.append((x, y0 + math.sin(x / 180 + y0) * 25))
        c.line(pts, fill=(150, 145, 130), width=8)
    # winding road to the horizon
    left, right = [], []
    for i in range(41):
        t = i / 40  # 0 = near, 1 = far
        y = H - t * (H - 530)
        cx = 1000 + math.sin(t * 5.0) * 320 * (1 - t)
        half = 260 * (1 - t) ** 1.3 + 6
        left.append((cx - half, y))
        right.append((cx + half, y))
    c.poly(left + right[::-1], fill=(95, 95, 100))
    centre = [((l[0] + r[0]) / 2, l[1]) for l, r in zip(left, right)]
    for i in range(0, 40, 2):
        c.line([centre[i], centre[i + 1]], fill=(235, 235, 220), width=max(1, 8 * (1 - i / 40)))
    # cottages
    for x, y, s in ((260, 560, 1.0), (430, 585, 0.8), (1640, 520, 0.7)):
        c.rect(x, y, x + 130 * s, y + 80 * s, fill=(200, 195, 180))
        c.poly([(x - 10 * s, y), (x + 65 * s, y - 55 * s), (x + 140 * s, y)], fill=(90, 80, 80))
        c.rect(x + 20 * s, y + 25 * s, x + 45 * s, y + 50 * s, fill=(250, 230, 150))
    # sheep
    for _ in range(14):
        x, y = rnd.uniform(1300, 1950), rnd.uniform(700, 1000)
        c.ellipse(x, y, x + 34, y + 20, fill=(245, 245, 240))
        c.circle(x + 36, y + 6, 7, fill=(40, 40, 40))
    # the single bus, in the middle distance
    t = 0.45
    i = int(t * 40)
    bx, by = centre[i]
    bw, bh = 150, 80
    c.rect(bx - bw / 2, by - bh, bx + bw / 2, by, fill=(200, 40, 40), radius=8)
    c.rect(bx - bw / 2 + 10, by - bh + 12, bx + bw / 2 - 10, by - bh + 40, fill=(170, 210, 235))
    c.rect(bx - bw / 2, by - 30, bx + bw / 2, by - 22, fill=(250, 250, 250))
    c.circle(bx - bw / 2 + 25, by, 13, fill=(30, 30, 30))
    c.circle(bx + bw / 2 - 25, by, 13, fill=(30, 30, 30))
    c.rect(bx - 40, by - bh - 14, bx + 40, by - bh, fill=(30, 30, 30))
    c.text(bx, by - bh - 7, "72", 12, (255, 190, 0), anchor="mm")
    # lone bus stop flag in the foreground
    c.rect(1520, 700, 1530, 1060, fill=(90, 90, 90))
    c.circle(1525, 700, 40, fill=(230, 200, 20))
    c.text(1525, 700, "BUS", 20, (20, 20, 20), anchor="mm")
    return c.result()


def tower_block_dusk():
    rnd = random.Random(8)
    W, H = 1200, 1600
    c = Canvas(W, H)
    c.vgradient(0, 700, (45, 40, 90), (140, 80, 120))
    c.vgradient(700, 1450, (140, 80, 120), (240, 150, 90))
    c.circle(1080, 160, 50, fill=(250, 245, 220))
    # second, further block
    c.rect(40, 600, 330, 1400, fill=(70, 62, 82))
    for y in range(630, 1380, 50):
        for x in range(60, 310, 48):
            lit = rnd.random() < 0.25
            c.rect(x, y, x + 28, y + 30, fill=(245, 200, 110) if lit else (55, 50, 68))
    # main tower block
    x0, x1, y0 = 420, 940, 260
    c.rect(x0, y0, x1, 1450, fill=(95, 90, 100))
    c.rect(x0 - 10, y0 - 20, x1 + 10, y0, fill=(70, 66, 76))
    for fl, y in enumerate(range(y0 + 30, 1400, 58)):
        c.rect(x0, y + 44, x1, y + 50, fill=(80, 76, 86))  # balcony line
        for x in range(x0 + 25, x1 - 40, 62):
            r = rnd.random()
            col = (250, 210, 120) if r < 0.35 else (120, 170, 200) if r < 0.42 else (50, 48, 60)
            c.rect(x, y, x + 40, y + 38, fill=col)
    # a dark patch of water damage and a boarded window
    c.ellipse(560, 700, 700, 860, fill=(70, 70, 72, 150))
    c.rect(754, 1016, 794, 1054, fill=(150, 120, 80))
    c.line([(754, 1016), (794, 1054)], fill=(100, 80, 50), width=4)
    # ground, street lamps
    c.rect(0, 1440, W, H, fill=(50, 50, 55))
    for x in (200, 1080):
        c.rect(x, 1180, x + 10, 1460, fill=(30, 30, 30))
        c.circle(x + 5, 1180, 40, fill=(255, 220, 140, 60))
        c.circle(x + 5, 1180, 16, fill=(255, 230, 160))
    return c.result()


def library_laptop():
    rnd = random.Random(9)
    W, H = 1600, 1200
    c = Canvas(W, H, (235, 228, 210))
    # bookshelves
    for sy in (60, 300, 540):
        c.rect(0, sy + 200, W, sy + 220, fill=(120, 80, 45))
        x = 10
        while x < W - 30:
            bw = rnd.randint(22, 44)
            bh = rnd.randint(140, 195)
            col = rnd.choice([(150, 40, 40), (40, 80, 140), (60, 120, 70), (200, 160, 60),
                              (90, 60, 110), (30, 30, 30), (180, 90, 40)])
            c.rect(x, sy + 200 - bh, x + bw, sy + 200, fill=col)
            c.rect(x + 4, sy + 200 - bh + 20, x + bw - 4, sy + 200 - bh + 26, fill=(230, 215, 160))
            x += bw + rnd.randint(1, 4)
    # sign
    c.rect(1150, 90, 1560, 230, fill=(255, 255, 255), outline=(40, 80, 140), width=4)
    c.text(1355, 130, "Arvutiabi", 40, (40, 80, 140), anchor="mm")
    c.text(1355, 190, "teisipäeviti 10-12", 28, (40, 40, 40), anchor="mm")
    # desk
    c.poly([(0, 800), (W, 800), (W, H), (0, H)], fill=(170, 120, 70))
    c.rect(0, 790, W, 810, fill=(140, 95, 55))
    # laptop
    c.poly([(450, 1000), (1150, 1000), (1230, 1120), (370, 1120)], fill=(60, 62, 68))  # base
    for r in range(4):
        for k in range(12):
            x = 430 + k * 62 + r * 8
            c.rect(x, 1015 + r * 24, x + 48, 1032 + r * 24, fill=(40, 40, 45))
    c.rect(470, 560, 1130, 1000, fill=(50, 52, 58), radius=14)  # lid
    c.rect(495, 585, 1105, 975, fill=(245, 247, 250))  # screen
    c.rect(495, 585, 1105, 640, fill=(20, 100, 160))
    c.text(520, 612, "Taotlus / Application", 26, (255, 255, 255), anchor="lm")
    for k in range(5):
        y = 670 + k * 55
        c.rect(525, y, 700, y + 12, fill=(120, 120, 120))
        c.rect(720, y - 10, 1070, y + 26, fill=(255, 255, 255), outline=(150, 150, 150), width=2)
    c.rect(930, 930, 1070, 962, fill=(30, 140, 70), radius=6)
    c.text(1000, 946, "Saada", 20, (255, 255, 255), anchor="mm")
    # mouse cursor
    c.poly([(840, 780), (840, 820), (850, 810), (858, 828), (864, 825), (856, 808), (870, 808)], fill=(0, 0, 0))
    # notepad, pen and glasses
    c.rect(1260, 880, 1500, 1100, fill=(255, 250, 200))
    for k in range(6):
        c.line([(1280, 920 + k * 28), (1480, 920 + k * 28)], fill=(150, 170, 220), width=2)
    c.line([(1290, 940), (1420, 945)], fill=(40, 40, 120), width=3)
    c.ellipse(130, 960, 210, 1010, outline=(30, 30, 30), width=5)
    c.ellipse(230, 960, 310, 1010, outline=(30, 30, 30), width=5)
    c.line([(210, 980), (230, 980)], fill=(30, 30, 30), width=5)
    return c.result()


def allotment():
    rnd = random.Random(10)
    W, H = 1800, 1200
    c = Canvas(W, H)
    c.vgradient(0, 450, (160, 200, 235), (230, 238, 240))
    c.circle(1600, 120, 70, fill=(255, 240, 180))
    # distant trees and fence
    for x in range(0, W, 90):
        c.circle(x + 45, 400 + (x % 3) * 10, 70, fill=(80, 120, 70))
    c.rect(0, 440, W, H, fill=(120, 95, 65))  # soil
    for x in range(0, W, 40):
        c.rect(x, 410, x + 26, 500, fill=(180, 150, 110))
    c.rect(0, 440, W, 452, fill=(150, 125, 90))
    # shed
    c.rect(1350, 300, 1700, 560, fill=(90, 120, 110))
    c.poly([(1330, 300), (1525, 210), (1720, 300)], fill=(70, 60, 55))
    c.rect(1400, 380, 1500, 560, fill=(70, 95, 88))
    c.rect(1560, 360, 1660, 440, fill=(200, 220, 230))
    # raised beds with rows of vegetables
    beds = [(80, 560, 620, 760), (700, 560, 1240, 760), (80, 860, 620, 1100), (700, 860, 1240, 1100)]
    for bi, (bx0, by0, bx1, by1) in enumerate(beds):
        c.rect(bx0 - 14, by0 - 14, bx1 + 14, by1 + 14, fill=(150, 110, 70))
        c.rect(bx0, by0, bx1, by1, fill=(90, 65, 45))
        for row in range(3):
            y = by0 + 40 + row * 65
            for x in range(bx0 + 40, bx1 - 20, 70):
                if bi == 0:  # cabbages
                    c.circle(x, y, 26, fill=(110, 160, 90))
                    c.circle(x, y, 14, fill=(150, 195, 120))
                elif bi == 1:  # carrot tops
                    for k in range(-2, 3):
                        c.line([(x, y + 15), (x + k * 9, y - 20)], fill=(60, 150, 60), width=4)
                elif bi == 2:  # lettuce
                    c.circle(x, y, 22, fill=(140, 200, 90))
                else:  # onions
                    c.circle(x, y + 6, 12, fill=(220, 200, 150))
                    c.line([(x, y), (x, y - 28)], fill=(80, 160, 80), width=4)
    # bean poles
    for x in (1330, 1400, 1470, 1540, 1610):
        c.line([(x, 1100), (x + 30, 650)], fill=(140, 110, 70), width=6)
        for y in range(700, 1080, 40):
            c.circle(x + 30 * (1100 - y) / 450 + rnd.randint(-10, 10), y, 16, fill=(60, 140, 60))
    # sunflowers
    for x, top in ((1290, 580), (1700, 620)):
        c.line([(x, 1150), (x, top)], fill=(70, 130, 50), width=8)
        for k in range(12):
            a = math.radians(k * 30)
            c.circle(x + 40 * math.cos(a), top + 40 * math.sin(a), 20, fill=(250, 200, 30))
        c.circle(x, top, 28, fill=(110, 70, 30))
    # watering can
    c.rect(650, 1120, 760, 1190, fill=(40, 110, 70), radius=8)
    c.line([(760, 1140), (830, 1100)], fill=(40, 110, 70), width=10)
    c.ellipse(670, 1095, 740, 1135, outline=(40, 110, 70), width=8)
    return c.result()


def noticeboard():
    rnd = random.Random(11)
    W, H = 1400, 1050
    c = Canvas(W, H, (225, 225, 220))
    c.rect(100, 80, 1300, 970, fill=(120, 85, 50))  # frame
    c.rect(130, 110, 1270, 940, fill=(190, 145, 95))  # cork
    for _ in range(2500):
        x, y = rnd.uniform(130, 1268), rnd.uniform(110, 938)
        c.rect(x, y, x + 2, y + 2, fill=(165, 120, 75))
    notes = [
        (180, 150, 480, 420, (255, 250, 170), ["Coffee morning", "Thursdays 10-12", "Everyone welcome"], -3),
        (540, 140, 880, 380, (255, 255, 255), ["Free English", "classes (ESOL)", "Mon + Wed"], 2),
        (930, 170, 1220, 470, (200, 230, 255), ["Help with", "forms & letters", "ask at desk"], -2),
        (220, 500, 560, 820, (255, 210, 210), ["Lost cat!", "Grey, answers", "to 'Biscuit'"], 4),
        (640, 450, 1000, 700, (220, 255, 220), ["Food share", "Fridays 2pm", "bring a bag"], -1),
        (1030, 560, 1240, 880, (255, 255, 255), ["Lift share", "to hospital", "Tues"], 3),
    ]
    for x0, y0, x1, y1, col, lines, ang in notes:
        w, h = x1 - x0, y1 - y0

        def fn(d, w=w, h=h, col=col, lines=lines):
            d.rectangle([S(5), S(6), S(w + 5), S(h + 6)], fill=(0, 0, 0, 70))
            d.rectangle([0, 0, S(w), S(h)], fill=col)
            for k, s in enumerate(lines):
                d.text((S(w / 2), S(60 + k * 55)), s, font=font(30 if k == 0 else 26),
                       fill=(30, 30, 30), anchor="mm")
            d.ellipse([S(w / 2 - 12), S(8), S(w / 2 + 12), S(32)], fill=(200, 30, 30))
        c.paste_rotated(w + 10, h + 10, fn, (x0 + x1) / 2, (y0 + y1) / 2, ang)
    return c.result()


# ---------------------------------------------------------------- EXIF


def dms(value):
    """Decimal degrees -> EXIF rational triple (deg, min, sec*100/100)."""
    value = abs(value)
    d = int(value)
    m_float = (value - d) * 60
    m = int(m_float)
    s = round((m_float - m) * 60 * 100)
    return ((d, 1), (m, 1), (s, 100))


def exif_bytes(make=None, model=None, taken=None, gps=None, orientation=None):
    zeroth, exif, gps_ifd = {}, {}, {}
    if make:
        zeroth[piexif.ImageIFD.Make] = make.encode()
    if model:
        zeroth[piexif.ImageIFD.Model] = model.encode()
    if orientation:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    zeroth[piexif.ImageIFD.Software] = b"Storybank tools/make_images.py"
    if taken:
        exif[piexif.ExifIFD.DateTimeOriginal] = taken.encode()
        exif[piexif.ExifIFD.DateTimeDigitized] = taken.encode()
    if gps:
        lat, lon, alt = gps
        gps_ifd[piexif.GPSIFD.GPSVersionID] = (2, 3, 0, 0)
        gps_ifd[piexif.GPSIFD.GPSLatitudeRef] = b"N" if lat >= 0 else b"S"
        gps_ifd[piexif.GPSIFD.GPSLatitude] = dms(lat)
        gps_ifd[piexif.GPSIFD.GPSLongitudeRef] = b"E" if lon >= 0 else b"W"
        gps_ifd[piexif.GPSIFD.GPSLongitude] = dms(lon)
        gps_ifd[piexif.GPSIFD.GPSAltitudeRef] = 0
        gps_ifd[piexif.GPSIFD.GPSAltitude] = (int(alt * 10), 10)
        gps_ifd[piexif.GPSIFD.GPSMapDatum] = b"WGS-84"
    return piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps_ifd, "1st": {}, "thumbnail": None})


# ---------------------------------------------------------------- output


def save(img, rel, **kw):
    path = os.path.join(STORIES, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ext = rel.rsplit(".", 1)[1].lower()
    if ext in ("jpg", "jpeg"):
        img.save(path, "JPEG", quality=80, optimize=True, progressive=False, **kw)
    elif ext == "png":
        img = img.quantize(colors=256, method=Image.MEDIANCUT, dither=Image.Dither.NONE)
        img.save(path, "PNG", optimize=True)
    elif ext == "webp":
        img.save(path, "WEBP", quality=78, method=6)
    size = os.path.getsize(path)
    print(f"{rel:45s} {img.width}x{img.height}  {size / 1024:6.1f} KB")
    if size > 350 * 1024:
        raise SystemExit(f"{rel} is larger than 350 KB")


def main():
    # Fictional points, chosen in public places, not anyone's home.
    turku = (60.45136, 22.26640, 12.0)       # Turku, near the market square
    manchester = (53.47945, -2.24510, 40.0)   # Manchester city centre

    save(bus_stop_rain(), "fi/bus-stop-rain-gps.jpg",
         exif=exif_bytes("Samsung", "Galaxy A14", "2024:10:08 07:42:13", gps=turku))
    save(kitchen_table_letters(), "en/kitchen-table-letters-gps.jpg",
         exif=exif_bytes("Apple", "iPhone SE (2nd generation)", "2024:01:22 21:05:47", gps=manchester))

    # Orientation 6 = "rotate 90 degrees clockwise to display". Store the pixels rotated
    # 90 degrees counter-clockwise, so that a viewer applying the tag shows them upright.
    upright = waiting_room()
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    save(stored, "en/waiting-room-rotated-exif.jpg",
         exif=exif_bytes("Motorola", "moto g54", "2024:05:14 16:20:02", orientation=6))

    save(park_bench(), "sv/park-bench.jpg")
    save(food_bank_shelf(), "nl/food-bank-shelf.jpg")
    save(village_road_bus(), "en/village-road-single-bus.jpg")
    save(allotment(), "hu/allotment-garden.jpg")
    save(community_centre_door(), "en/community-centre-door.png")
    save(library_laptop(), "et/library-laptop.png")
    save(tower_block_dusk(), "pl/tower-block-dusk.webp")
    save(noticeboard(), "unsorted/noticeboard.jpg")  # no EXIF at all


if __name__ == "__main__":
    main()
