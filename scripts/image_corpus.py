#!/usr/bin/env python3
"""The image corpus of the differential test (tests/it/formats_differential.rs).

Writes, into OUT, pictures in every format and variant the kiosk accepts —
many sizes and aspect ratios, JPEG (baseline, progressive, arithmetic,
restart markers, every chroma subsampling, greyscale, CMYK, YCCK, EXIF
orientations), PNG (1-16 bit, grey, grey+alpha, palette with and without
tRNS, RGB, RGBA, interlaced), BMP (1-32 bit, RLE, bitfields, top-down), TIFF
(strips, tiles, planar, 1/8/16 bit, LZW, deflate, PackBits, JPEG-in-TIFF,
predictor), GIF (transparency, animation) and WebP (lossy, lossless, alpha) —
made with Pillow and the standard tools (libjpeg-turbo's cjpeg, libtiff's
tiffcp, ImageMagick), and OUT/pillow.json: for each file the original
pipeline's model input (its sha256), computed here by the pipeline itself:

    im = Image.open(path)
    im = ImageOps.exif_transpose(im)      # JPEG only: our deliberate difference
    im = im.convert("RGB")
    fit = ImageOps.fit(im, (224, 224), Image.LANCZOS)
    sha256(fit.tobytes())

Deliberate differences are computed too, each by the Pillow call that
matches the kiosk (see README "Exact, or refused"): 16-bit grey keeps its
high byte (`>> 8`, as Pillow itself reads 16-bit RGB) where Pillow's convert
clips it to white.

Usage: image_corpus.py OUT [--quick]
"""

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

OUT = sys.argv[1]
QUICK = "--quick" in sys.argv
rng = np.random.default_rng(14)


def picture(w, h, seed=0):
    """A test picture with edges, gradients and noise, so that any difference
    in decoding or resampling shows in the fitted bytes."""
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    red = 128 + 100 * np.sin(x / max(w, 1) * 7.0 + y / max(h, 1) * 3.0)
    green = 255.0 * y / max(h - 1, 1)
    blue = 255.0 * ((x // max(w // 9, 1) + y // max(h // 7, 1)) % 2)
    rgb = np.stack([red, green, blue], axis=-1)
    # A bright disc off centre: sharp edges in every direction.
    disc = (x - 0.4 * w) ** 2 + (y - 0.55 * h) ** 2 < (0.2 * min(w, h)) ** 2
    rgb[disc] = [250, 240, 30]
    rgb += r.normal(0, 12, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def rgb_image(w, h, seed=0):
    return Image.fromarray(picture(w, h, seed), "RGB")


files = []


def add(name, kind, data=None, image=None, **save):
    path = os.path.join(OUT, name)
    if data is not None:
        with open(path, "wb") as f:
            f.write(data)
    else:
        image.save(path, **save)
    files.append({"file": name, "kind": kind})
    return path


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# ---------------------------------------------------------------- sizes
SIZES = [
    (160, 160), (224, 224), (223, 225), (100, 250), (250, 100), (256, 512),
    (512, 256), (720, 1280), (1280, 720), (333, 999), (999, 333), (641, 479),
    (479, 641), (1001, 997), (300, 900), (900, 300), (1080, 1920), (1920, 1080),
    (3000, 4000), (4000, 3000), (6000, 2000), (2000, 6000), (2336, 3504),
]
if QUICK:
    SIZES = SIZES[:10]


def jpeg_and_png_sizes():
    for i, (w, h) in enumerate(SIZES):
        im = rgb_image(w, h, i)
        add(f"size-{w}x{h}.jpg", "jpeg baseline 4:2:0", image=im, format="JPEG", quality=90)
        if w * h <= 4_000_000:
            add(f"size-{w}x{h}.png", "png rgb", image=im, format="PNG", compress_level=1)


# ---------------------------------------------------------------- JPEG
def jpegs():
    im = rgb_image(641, 479, 1)
    portrait = rgb_image(479, 641, 2)
    for s, sub in [("444", "4:4:4"), ("422", "4:2:2"), ("420", "4:2:0")]:
        add(f"jpeg-sub{s}.jpg", f"jpeg {sub}", image=im, format="JPEG", quality=85, subsampling=sub)
        add(f"jpeg-sub{s}-portrait.jpg", f"jpeg {sub} portrait", image=portrait, format="JPEG",
            quality=85, subsampling=sub)
    add("jpeg-progressive.jpg", "jpeg progressive", image=im, format="JPEG", progressive=True)
    add("jpeg-restart.jpg", "jpeg restart markers", image=im, format="JPEG",
        restart_marker_blocks=3)
    add("jpeg-restart-rows.jpg", "jpeg restart markers (rows)", image=portrait, format="JPEG",
        restart_marker_rows=1)
    add("jpeg-grey.jpg", "jpeg greyscale", image=im.convert("L"), format="JPEG")
    add("jpeg-cmyk.jpg", "jpeg CMYK (Adobe)", image=im.convert("CMYK"), format="JPEG")
    add("jpeg-q100.jpg", "jpeg quality 100", image=im, format="JPEG", quality=100)
    # libjpeg-turbo's own encoder: sampling factors Pillow cannot write.
    ppm = os.path.join(OUT, "src.ppm")
    im.save(ppm)
    pgm = os.path.join(OUT, "src.pgm")
    im.convert("L").save(pgm)
    for name, args in [
        ("cjpeg-411", ["-sample", "4x1"]),
        ("cjpeg-440", ["-sample", "1x2"]),
        ("cjpeg-h2v1-v2", ["-sample", "2x2,1x1,1x2"]),
        ("cjpeg-arith", ["-arithmetic"]),
        ("cjpeg-arith-progressive", ["-arithmetic", "-progressive"]),
        ("cjpeg-restart", ["-restart", "1"]),
        ("cjpeg-optimize", ["-optimize"]),
        ("cjpeg-12q", ["-quality", "12"]),
        ("cjpeg-rgb", ["-rgb"]),
    ]:
        out = os.path.join(OUT, name + ".jpg")
        run("cjpeg", *args, "-outfile", out, ppm)
        files.append({"file": name + ".jpg", "kind": "jpeg cjpeg " + " ".join(args)})
    out = os.path.join(OUT, "cjpeg-grey-progressive.jpg")
    run("cjpeg", "-progressive", "-outfile", out, pgm)
    files.append({"file": "cjpeg-grey-progressive.jpg", "kind": "jpeg cjpeg grey progressive"})
    # YCCK (Adobe transform 2): ImageMagick's way of writing CMYK JPEGs.
    png = os.path.join(OUT, "src-cmyk.png")
    im.save(png)
    run("/usr/bin/convert", png, "-colorspace", "CMYK", os.path.join(OUT, "jpeg-ycck.jpg"))
    files.append({"file": "jpeg-ycck.jpg", "kind": "jpeg YCCK (Adobe transform 2, ImageMagick)"})
    os.remove(png)
    os.remove(ppm)
    os.remove(pgm)
    # EXIF orientations 1-8 on a landscape and a portrait picture.
    for o in range(1, 9):
        for tag, src in [("l", im), ("p", portrait)]:
            exif = Image.Exif()
            exif[0x0112] = o
            add(f"jpeg-exif{o}-{tag}.jpg", f"jpeg EXIF orientation {o}", image=src, format="JPEG",
                exif=exif.tobytes())
    big = rgb_image(1600, 1200, 3)
    exif = Image.Exif()
    exif[0x0112] = 6
    add("jpeg-exif6-big.jpg", "jpeg EXIF orientation 6, 1600x1200", image=big, format="JPEG",
        exif=exif.tobytes())


# ---------------------------------------------------------------- PNG (hand-written: every depth)
def png_bytes(w, h, color_type, depth, rows, palette=None, trns=None, interlace=False):
    """A PNG from packed rows (a function (x0, step, y) -> bytes of the row's
    samples for columns x0, x0+step, ...)."""

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    raw = bytearray()
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
              (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        if x0 >= w or y0 >= h:
            continue
        for y in range(y0, h, dy):
            raw.append(0)
            raw += rows(x0, dx, y)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette is not None:
        data += chunk(b"PLTE", palette)
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b"")
    return data


def pack(samples, depth):
    """Packs integer samples (1-D numpy array) at a bit depth, big-endian."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // depth
    s = samples.astype(np.uint8)
    pad = (-len(s)) % per
    s = np.concatenate([s, np.zeros(pad, np.uint8)]).reshape(-1, per)
    out = np.zeros(len(s), np.uint8)
    for i in range(per):
        out |= s[:, i] << (8 - depth * (i + 1))
    return out.tobytes()


def pngs():
    w, h = 333, 250
    pic = picture(w, h, 4).astype(np.uint16)
    grey8 = (pic.mean(axis=2)).astype(np.uint16)
    y, x = np.mgrid[0:h, 0:w]
    alpha8 = ((x + y) % 256).astype(np.uint16)
    for depth in (1, 2, 4, 8, 16):
        top = (1 << depth) - 1
        g = (grey8 * top + 127) // 255
        for inter in (False, True):
            name = f"png-grey{depth}{'-interlaced' if inter else ''}.png"
            add(name, f"png grey {depth}-bit{' interlaced' if inter else ''}",
                data=png_bytes(w, h, 0, depth, lambda x0, dx, yy, g=g, d=depth: pack(g[yy, x0::dx], d),
                               interlace=inter))
    # Grey with a tRNS colour (the "transparent" grey value).
    add("png-grey8-trns.png", "png grey 8-bit with tRNS",
        data=png_bytes(w, h, 0, 8, lambda x0, dx, yy: pack(grey8[yy, x0::dx], 8), trns=b"\x00\x80"))
    for depth in (8, 16):
        s = 257 if depth == 16 else 1
        # Scale to the full 16-bit range with distinct low bytes.
        rgb = pic * s + (x[..., None] % 7 if depth == 16 else 0)
        for inter in (False, True):
            add(f"png-rgb{depth}{'-interlaced' if inter else ''}.png",
                f"png RGB {depth}-bit{' interlaced' if inter else ''}",
                data=png_bytes(w, h, 2, depth,
                               lambda x0, dx, yy, a=rgb, d=depth: pack(a[yy, x0::dx].reshape(-1), d),
                               interlace=inter))
        rgba = np.concatenate([rgb, (alpha8 * s)[..., None]], axis=2)
        add(f"png-rgba{depth}.png", f"png RGBA {depth}-bit",
            data=png_bytes(w, h, 6, depth, lambda x0, dx, yy, a=rgba, d=depth: pack(a[yy, x0::dx].reshape(-1), d)))
        ga = np.stack([grey8 * s + (x % 5 if depth == 16 else 0), alpha8 * s], axis=2)
        add(f"png-greyalpha{depth}.png", f"png grey+alpha {depth}-bit",
            data=png_bytes(w, h, 4, depth, lambda x0, dx, yy, a=ga, d=depth: pack(a[yy, x0::dx].reshape(-1), d)))
    add("png-rgb8-trns.png", "png RGB 8-bit with tRNS",
        data=png_bytes(w, h, 2, 8, lambda x0, dx, yy: pack(pic[yy, x0::dx].reshape(-1), 8),
                       trns=b"\x00\x10\x00\x20\x00\x30"))
    # Palettes at every depth, with and without tRNS.
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        q = Image.fromarray(picture(w, h, 5), "RGB").quantize(colors=n)
        idx = np.asarray(q).astype(np.uint16)
        pal = bytes(q.getpalette()[: 3 * n])
        pal += bytes(3 * n - len(pal))
        for trns in (None, bytes([0, 128, 255][: min(3, n)])):
            tag = "-trns" if trns else ""
            inter = depth == 4
            add(f"png-palette{depth}{tag}.png", f"png palette {depth}-bit{' tRNS' if trns else ''}",
                data=png_bytes(w, h, 3, depth, lambda x0, dx, yy, i=idx, d=depth: pack(i[yy, x0::dx], d),
                               palette=pal, trns=trns, interlace=inter))
    # Pillow's own PNG writer: P with transparency, LA, RGBA.
    im = rgb_image(250, 333, 6)
    p = im.quantize(colors=200)
    add("pillow-p-transparency.png", "png palette (Pillow) transparency", image=p, format="PNG",
        transparency=3)
    add("pillow-rgba.png", "png RGBA (Pillow)", image=im.convert("RGBA"), format="PNG")


# ---------------------------------------------------------------- BMP
def bmps():
    im = rgb_image(333, 250, 7)
    add("bmp-24.bmp", "bmp 24-bit", image=im, format="BMP")
    add("bmp-1.bmp", "bmp 1-bit", image=im.convert("1"), format="BMP")
    add("bmp-8-grey.bmp", "bmp 8-bit grey", image=im.convert("L"), format="BMP")
    add("bmp-8-palette.bmp", "bmp 8-bit palette", image=im.quantize(colors=256), format="BMP")
    add("bmp-32-rgba.bmp", "bmp 32-bit RGBA", image=im.convert("RGBA"), format="BMP")
    # Top-down (negative height) from the 24-bit file.
    data = bytearray(open(os.path.join(OUT, "bmp-24.bmp"), "rb").read())
    off, = struct.unpack_from("<I", data, 10)
    w, h = struct.unpack_from("<ii", data, 18)
    stride = (w * 3 + 3) & ~3
    rows = [bytes(data[off + i * stride: off + (i + 1) * stride]) for i in range(h)]
    data[off:] = b"".join(reversed(rows))
    struct.pack_into("<i", data, 22, -h)
    add("bmp-24-topdown.bmp", "bmp 24-bit top-down", data=bytes(data))
    png = os.path.join(OUT, "src.png")
    im.save(png)
    for name, args in [
        ("bmp-16-565", ["-define", "bmp:subtype=RGB565"]),
        ("bmp-16-555", ["-define", "bmp:subtype=RGB555"]),
        ("bmp-16-argb4444", ["-alpha", "on", "-define", "bmp:subtype=ARGB4444"]),
        ("bmp-32-argb8888", ["-alpha", "on", "-define", "bmp:subtype=ARGB8888"]),
        ("bmp-32-rgbx", ["-define", "bmp:subtype=RGB888"]),
        ("bmp-rle8", ["-colors", "200", "-type", "Palette", "-compress", "RLE"]),
        ("bmp-4", ["-colors", "16", "-type", "Palette", "-compress", "None"]),
        ("bmp3-24", []),
    ]:
        prefix = "BMP3:" if name in ("bmp-rle8", "bmp3-24", "bmp-4") else "BMP:"
        run("/usr/bin/convert", png, *args, prefix + os.path.join(OUT, name + ".bmp"))
        files.append({"file": name + ".bmp", "kind": "bmp ImageMagick " + " ".join(args)})
    os.remove(png)


# ---------------------------------------------------------------- TIFF
def tiff16_rgb(w, h, a):
    """A minimal uncompressed 16-bit RGB TIFF (little endian)."""
    pixels = a.astype("<u2").tobytes()
    entries = [
        (256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, None), (259, 3, 1, 1), (262, 3, 1, 2),
        (273, 4, 1, None), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1),
    ]
    ifd_off = 8
    n = len(entries)
    extra_off = ifd_off + 2 + n * 12 + 4
    bps_off = extra_off
    data_off = bps_off + 6
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_off) + struct.pack("<H", n))
    for tag, typ, count, value in entries:
        if tag == 258:
            value = bps_off
            out += struct.pack("<HHII", tag, typ, count, value)
            continue
        if tag == 273:
            value = data_off
        if typ == 3 and count == 1:
            out += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, typ, count, value)
    out += struct.pack("<I", 0) + struct.pack("<HHH", 16, 16, 16) + pixels
    return bytes(out)


def tiffs():
    im = rgb_image(333, 250, 8)
    base = add("tiff-rgb.tif", "tiff RGB strips", image=im, format="TIFF")
    for comp in ("tiff_lzw", "tiff_deflate", "packbits", "jpeg"):
        add(f"tiff-{comp}.tif", f"tiff RGB {comp}", image=im, format="TIFF", compression=comp)
    add("tiff-grey.tif", "tiff grey 8-bit", image=im.convert("L"), format="TIFF")
    add("tiff-bilevel.tif", "tiff 1-bit", image=im.convert("1"), format="TIFF")
    add("tiff-palette.tif", "tiff palette", image=im.quantize(colors=64), format="TIFF")
    add("tiff-rgba.tif", "tiff RGBA", image=im.convert("RGBA"), format="TIFF")
    add("tiff-cmyk.tif", "tiff CMYK", image=im.convert("CMYK"), format="TIFF")
    g16 = (np.asarray(im.convert("L")).astype(np.uint16) * 257 + 3)
    add("tiff-grey16.tif", "tiff grey 16-bit", image=Image.fromarray(g16), format="TIFF")
    add("tiff-rgb16.tif", "tiff RGB 16-bit",
        data=tiff16_rgb(333, 250, np.asarray(im).astype(np.uint16) * 257 + 5))
    for name, args in [
        ("tiff-tiled", ["-t", "-w", "64", "-l", "64"]),
        ("tiff-tiled-lzw", ["-t", "-w", "32", "-l", "48", "-c", "lzw"]),
        ("tiff-planar", ["-p", "separate"]),
        ("tiff-tiled-planar", ["-t", "-w", "64", "-l", "64", "-p", "separate"]),
        ("tiff-planar-deflate", ["-p", "separate", "-c", "zip"]),
        ("tiff-lzw-predictor", ["-c", "lzw:2"]),
        ("tiff-deflate-predictor", ["-c", "zip:2"]),
        ("tiff-rows1-packbits", ["-r", "1", "-c", "packbits"]),
        ("tiff-bigendian", ["-B"]),
        ("tiff-jpeg-ycbcr", ["-c", "jpeg:90", "-r", "16"]),
    ]:
        run("tiffcp", *args, base, os.path.join(OUT, name + ".tif"))
        files.append({"file": name + ".tif", "kind": "tiff tiffcp " + " ".join(args)})
    run("tiffcp", "-t", "-w", "64", "-l", "64", os.path.join(OUT, "tiff-grey16.tif"),
        os.path.join(OUT, "tiff-grey16-tiled.tif"))
    files.append({"file": "tiff-grey16-tiled.tif", "kind": "tiff grey 16-bit tiled"})


# ---------------------------------------------------------------- GIF and WebP
def gifs_and_webps():
    im = rgb_image(333, 250, 9)
    p = im.quantize(colors=128)
    add("gif-plain.gif", "gif", image=p, format="GIF")
    add("gif-transparent.gif", "gif transparency", image=p, format="GIF", transparency=5)
    frames = [rgb_image(333, 250, 10 + i).quantize(colors=64) for i in range(3)]
    add("gif-animated.gif", "gif animation (first frame)", image=frames[0], format="GIF",
        save_all=True, append_images=frames[1:], duration=100, loop=0)
    add("gif-animated-transparent.gif", "gif animation with transparency", image=frames[0],
        format="GIF", save_all=True, append_images=frames[1:], transparency=0, disposal=2)
    add("gif-grey.gif", "gif greyscale", image=im.convert("L"), format="GIF")
    add("webp-lossy.webp", "webp lossy", image=im, format="WEBP", quality=80)
    add("webp-lossless.webp", "webp lossless", image=im, format="WEBP", lossless=True)
    rgba = im.convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.arange(333, dtype=np.uint8), (250, 1))))
    add("webp-alpha-lossless.webp", "webp lossless alpha", image=rgba, format="WEBP", lossless=True)
    add("webp-alpha-lossy.webp", "webp lossy alpha", image=rgba, format="WEBP", quality=80)
    add("webp-portrait.webp", "webp lossy portrait", image=rgb_image(250, 600, 11), format="WEBP")


# ---------------------------------------------------------------- the references
def fitted_sha(im):
    fit = ImageOps.fit(im, (224, 224), Image.LANCZOS)
    assert fit.mode == "RGB" and fit.size == (224, 224)
    return hashlib.sha256(fit.tobytes()).hexdigest()


def reference(path):
    """The original pipeline's model input, or its error."""
    try:
        im = Image.open(path)
        exact = {"format": im.format, "mode": im.mode, "size": list(im.size)}
        if im.format == "JPEG":
            im = ImageOps.exif_transpose(im)
        exact["sha256"] = fitted_sha(im.convert("RGB"))
    except Exception as e:  # noqa: BLE001 - every Pillow failure is a reference too
        return {"error": f"{type(e).__name__}: {e}"}
    deliberate = None
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(im).astype(np.uint32)
        high = Image.fromarray((a >> 8).astype(np.uint8), "L")
        deliberate = {
            "why": "16-bit grey keeps its high byte (Pillow clips it to white)",
            "call": 'Image.fromarray((np.asarray(im) >> 8).astype("uint8"), "L").convert("RGB")',
            "sha256": fitted_sha(high.convert("RGB")),
        }
    out = {"pillow": exact}
    if deliberate:
        out["deliberate"] = deliberate
    return out


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    jpeg_and_png_sizes()
    jpegs()
    pngs()
    bmps()
    tiffs()
    gifs_and_webps()
    for f in files:
        f.update(reference(os.path.join(OUT, f["file"])))
    with open(os.path.join(OUT, "pillow.json"), "w") as fp:
        json.dump({"pillow": Image.__version__ if hasattr(Image, "__version__") else "", "files": files},
                  fp, indent=1)
    print(f"{len(files)} files in {OUT}")


main()
