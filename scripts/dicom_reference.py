#!/usr/bin/env python3
"""pydicom's reading of DICOM CT files, for the decoder's tests to compare
with value for value (run with the bench venv: `make bench-venv`).

    .bench-venv/bin/python scripts/dicom_reference.py OUT FILE...

For each FILE (every frame of it), in OUT:
  <k>.hu    Hounsfield units, float64 little endian, frames x rows x columns:
            pydicom's `apply_modality_lut(ds.pixel_array, ds)`, frame by frame,
            with an Enhanced CT frame's rescale from its functional groups;
  <k>.lung  8-bit grey of the same shape: the linear VOI window of DICOM PS3.3
            C.11.2.1.2.1 (centre -600, width 1500, the kiosk's lung window)
            applied to those HU in numpy, halves rounded away from zero,
            MONOCHROME1 inverted;
and OUT/manifest.json: [{"file", "k", "syntax", "frames", "rows", "columns"}].
"""

import json
import os
import sys

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut

CENTRE, WIDTH = -600.0, 1500.0


def lung_window(hu, c=CENTRE, w=WIDTH):
    """The linear VOI function, written out independently of the Rust code."""
    lo = c - 0.5 - (w - 1.0) / 2.0
    hi = c - 0.5 + (w - 1.0) / 2.0
    y = ((hu - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0
    # Halves away from zero (y >= 0 inside the window); y - floor(y) is exact.
    r = np.floor(y)
    y = np.clip(r + (y - r >= 0.5), 0.0, 255.0)
    return np.where(hu <= lo, 0, np.where(hu > hi, 255, y)).astype(np.uint8)


def rescale(ds, frame):
    """What holds frame `frame`'s Rescale Slope and Intercept: in an Enhanced
    CT file the frame's own functional group, else the shared one (pydicom's
    apply_modality_lut reads only the top level); else the data set itself."""
    groups = []
    if "PerFrameFunctionalGroupsSequence" in ds:
        groups.append(ds.PerFrameFunctionalGroupsSequence[frame])
    if "SharedFunctionalGroupsSequence" in ds:
        groups.append(ds.SharedFunctionalGroupsSequence[0])
    for group in groups:
        if "PixelValueTransformationSequence" in group:
            return group.PixelValueTransformationSequence[0]
    return ds


def main():
    out, files = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for k, path in enumerate(files):
        ds = pydicom.dcmread(path)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        pixels = ds.pixel_array.reshape(frames, ds.Rows, ds.Columns)
        hu = np.stack([apply_modality_lut(pixels[f], rescale(ds, f)) for f in range(frames)])
        hu = hu.astype(np.float64)
        grey = lung_window(hu)
        if ds.PhotometricInterpretation == "MONOCHROME1":
            grey = 255 - grey
        hu.astype("<f8").tofile(os.path.join(out, f"{k}.hu"))
        grey.tofile(os.path.join(out, f"{k}.lung"))
        manifest.append(
            {
                "file": path,
                "k": k,
                "syntax": str(ds.file_meta.TransferSyntaxUID),
                "frames": frames,
                "rows": int(ds.Rows),
                "columns": int(ds.Columns),
            }
        )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
