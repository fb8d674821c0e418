#!/usr/bin/env python3
"""Render a `tmux capture-pane -e -p` dump (text with SGR escapes) to a PNG.

Usage: ansi2png.py INPUT.ansi OUTPUT.png [--cols 120] [--rows 40]

Handles SGR: reset, bold, dim, italic, underline, reverse, 16 colours (30-37,
90-97, 40-47, 100-107), 256 colours (38;5;n / 48;5;n) and truecolor
(38;2;r;g;b / 48;2;r;g;b). tmux carries the SGR state across line ends, so the
state is kept between lines too. Box-drawing lines are drawn as vector lines so
borders join up between cells.
"""
import argparse
import os
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/TTF", "/usr/share/fonts"]

DEFAULT_FG = (204, 208, 214)
DEFAULT_BG = (18, 18, 22)
# A dark-theme 16-colour palette (roughly the VS Code / xterm dark palette).
PALETTE16 = [
    (40, 42, 54), (224, 92, 92), (106, 200, 120), (229, 192, 98),
    (88, 150, 232), (190, 120, 220), (80, 190, 200), (204, 208, 214),
    (118, 122, 134), (255, 120, 120), (140, 230, 150), (245, 215, 130),
    (120, 175, 255), (215, 150, 240), (110, 220, 230), (245, 246, 250),
]


def xterm256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def find_font(name):
    for d in FONT_DIRS:
        for root, _, files in os.walk(d):
            if name in files:
                return os.path.join(root, name)
    return None


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        for k in self.__slots__:
            setattr(s, k, getattr(self, k))
        return s

    def apply(self, params):
        ps = [int(p) if p else 0 for p in params.replace(":", ";").split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = PALETTE16[p - 30]
            elif 90 <= p <= 97:
                self.fg = PALETTE16[p - 90 + 8]
            elif 40 <= p <= 47:
                self.bg = PALETTE16[p - 40]
            elif 100 <= p <= 107:
                self.bg = PALETTE16[p - 100 + 8]
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    col = xterm256(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    col = tuple(max(0, min(255, v)) for v in ps[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                    i += 1
                if p == 38:
                    self.fg = col
                else:
                    self.bg = col
            i += 1


ESC_RE = re.compile(r"\x1b\[([0-9;:?]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b.")


def parse(text, cols, rows):
    """Return a rows x cols grid of (char, Style) cells (char None = wide-char tail)."""
    blank = Style()
    grid = [[(" ", blank) for _ in range(cols)] for _ in range(rows)]
    style = Style()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for y, line in enumerate(lines[:rows]):
        x = 0
        pos = 0
        while pos < len(line):
            m = ESC_RE.match(line, pos)
            if m:
                if m.group(2) == "m":
                    style.apply(m.group(1))
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            if ch == "\r" or unicodedata.combining(ch):
                continue
            w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
            if x + w > cols:
                break
            grid[y][x] = (ch, style.copy())
            if w == 2:
                grid[y][x + 1] = (None, style.copy())
            x += w
        # tmux omits trailing blanks: they keep the default background.
    return grid


# Box-drawing: (left, right, up, down) arm weights; 1 light, 2 heavy, 3 double.
BOX = {}
def _box(chars, arms):
    for c in chars:
        BOX[c] = arms
_box("─", (1, 1, 0, 0)); _box("│", (0, 0, 1, 1))
_box("┌╭", (0, 1, 0, 1)); _box("┐╮", (1, 0, 0, 1))
_box("└╰", (0, 1, 1, 0)); _box("┘╯", (1, 0, 1, 0))
_box("├", (0, 1, 1, 1)); _box("┤", (1, 0, 1, 1))
_box("┬", (1, 1, 0, 1)); _box("┴", (1, 1, 1, 0)); _box("┼", (1, 1, 1, 1))
_box("━", (2, 2, 0, 0)); _box("┃", (0, 0, 2, 2))
_box("┏", (0, 2, 0, 2)); _box("┓", (2, 0, 0, 2)); _box("┗", (0, 2, 2, 0)); _box("┛", (2, 0, 2, 0))
_box("═", (3, 3, 0, 0)); _box("║", (0, 0, 3, 3))
_box("╔", (0, 3, 0, 3)); _box("╗", (3, 0, 0, 3)); _box("╚", (0, 3, 3, 0)); _box("╝", (3, 0, 3, 0))
ROUNDED = set("╭╮╰╯")


def draw_box(d, ch, x0, y0, cw, chh, fg):
    left, right, up, down = BOX[ch]
    cx = x0 + cw // 2
    cy = y0 + chh // 2
    x1, y1 = x0 + cw, y0 + chh
    weight = max(left, right, up, down)
    t = 1 if weight == 1 else 2
    if ch in ROUNDED:
        r = max(2, cw // 3)
        # quarter arc joining the two arms
        if right:
            d.line([(cx + r, cy), (x1, cy)], fill=fg, width=t)
        else:
            d.line([(x0, cy), (cx - r, cy)], fill=fg, width=t)
        if down:
            d.line([(cx, cy + r), (cx, y1)], fill=fg, width=t)
        else:
            d.line([(cx, y0), (cx, cy - r)], fill=fg, width=t)
        bx0 = cx if right else cx - 2 * r
        by0 = cy if down else cy - 2 * r
        start = {(1, 1): 180, (0, 1): 270, (1, 0): 90, (0, 0): 0}[(right, down)]
        d.arc([bx0, by0, bx0 + 2 * r, by0 + 2 * r], start, start + 90, fill=fg, width=t)
        return
    if weight == 3:
        off = max(2, cw // 5)
        if left or right:
            xa = x0 if left else cx
            xb = x1 if right else cx
            for dy in (-off, off):
                d.line([(xa, cy + dy), (xb, cy + dy)], fill=fg, width=1)
        if up or down:
            ya = y0 if up else cy
            yb = y1 if down else cy
            for dx in (-off, off):
                d.line([(cx + dx, ya), (cx + dx, yb)], fill=fg, width=1)
        return
    half = t // 2
    if left:
        d.line([(x0, cy), (cx + half, cy)], fill=fg, width=t)
    if right:
        d.line([(cx - half, cy), (x1, cy)], fill=fg, width=t)
    if up:
        d.line([(cx, y0), (cx, cy + half)], fill=fg, width=t)
    if down:
        d.line([(cx, cy - half), (cx, y1)], fill=fg, width=t)


def blend(a, b, f):
    return tuple(int(a[i] * f + b[i] * (1 - f)) for i in range(3))


def render(grid, out, size, pad):
    regular = find_font("DejaVuSansMono.ttf")
    if not regular:
        sys.exit("DejaVu Sans Mono not found (apt-get install -y fonts-dejavu-core)")
    fonts = {}
    for key, name in {(False, False): "DejaVuSansMono.ttf",
                      (True, False): "DejaVuSansMono-Bold.ttf",
                      (False, True): "DejaVuSansMono-Oblique.ttf",
                      (True, True): "DejaVuSansMono-BoldOblique.ttf"}.items():
        path = find_font(name) or regular
        fonts[key] = ImageFont.truetype(path, size)
    base = fonts[(False, False)]
    ascent, descent = base.getmetrics()
    cw = int(round(base.getlength("M")))
    chh = ascent + descent + 2
    rows, cols = len(grid), len(grid[0])
    img = Image.new("RGB", (cols * cw + 2 * pad, rows * chh + 2 * pad), DEFAULT_BG)
    d = ImageDraw.Draw(img)
    for y, row in enumerate(grid):
        for x, (ch, st) in enumerate(row):
            if ch is None:
                continue
            fg = st.fg or DEFAULT_FG
            bg = st.bg or DEFAULT_BG
            if st.reverse:
                fg, bg = bg, fg
            if st.dim:
                fg = blend(fg, bg, 0.6)
            w = 2 if (x + 1 < cols and row[x + 1][0] is None) else 1
            x0, y0 = pad + x * cw, pad + y * chh
            if bg != DEFAULT_BG:
                d.rectangle([x0, y0, x0 + w * cw - 1, y0 + chh - 1], fill=bg)
            if ch in BOX:
                draw_box(d, ch, x0, y0, cw, chh, fg)
            elif ch == "█":
                d.rectangle([x0, y0, x0 + cw - 1, y0 + chh - 1], fill=fg)
            elif ch != " ":
                d.text((x0, y0 + 1), ch, font=fonts[(st.bold, st.italic)], fill=fg)
            if st.underline:
                uy = y0 + ascent + 2
                d.line([(x0, uy), (x0 + w * cw - 1, uy)], fill=fg, width=1)
    img.save(out, optimize=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--font-size", type=int, default=15)
    ap.add_argument("--pad", type=int, default=12)
    a = ap.parse_args()
    with open(a.input, encoding="utf-8", errors="replace") as f:
        text = f.read()
    render(parse(text, a.cols, a.rows), a.output, a.font_size, a.pad)


if __name__ == "__main__":
    main()
