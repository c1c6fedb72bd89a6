#!/usr/bin/env python3
"""A synthetic axial chest CT series (a phantom) in the transfer syntaxes
hospitals send, for the DICOM decoder's tests and for trying the CT import.

Run with the bench venv (`make bench-venv`: numpy, pydicom, pylibjpeg-openjpeg)
and dcmtk on the PATH (Debian `dcmtk`, in scripts/setup-system.sh):

    .bench-venv/bin/python scripts/ct_phantom.py --out /tmp/phantom
    .bench-venv/bin/python scripts/ct_phantom.py --out /tmp/phantom \\
        --syntax all --slices 120 --size 256 --multiframe --dicomdir

Each slice: air (-1000 HU) outside a body ellipse of soft tissue (~40 HU),
a spine and ribs of bone (~700 HU), and two lungs (~-850 HU) in the middle
60 % of the slices only (the neck and abdomen slices have none), with a
little seeded noise so that compression has something to do. Stored as
int16 with RescaleIntercept -1024, slope 1.

Files: OUT/<SERIES>/IM000001 ... (no extension, names of at most 8
characters, so that a DICOMDIR can list them), one series per syntax, all in
one study. The InstanceNumbers are deliberately out of spatial order for a few
slices (pairs swapped): a browser must sort by ImagePositionPatient, not by
number. `--multiframe` writes the series as one Enhanced CT file
OUT/<SERIES>M/IM000001 with NumberOfFrames = slices instead (each frame's
position, the orientation, thickness and rescale in its functional groups, as
scanners write them). `--dicomdir` writes OUT/DICOMDIR listing every file
below OUT, with dcmtk's `dcmmkdir` (the reference implementation of the media
profiles; pydicom's FileSet would rename the files into its own layout).

How each syntax is made (standard tools, never hand-written codecs):
  explicit        pydicom (Explicit VR Little Endian, written directly)
  implicit        dcmtk dcmconv +ti
  bigendian       dcmtk dcmconv +tb (Explicit VR Big Endian, retired)
  deflate         dcmtk dcmconv +td
  rle             dcmtk dcmcrle
  jpeg-lossless   dcmtk dcmcjpeg +e1 (process 14, first-order prediction, .70)
  jpeg2000        pydicom + pylibjpeg-openjpeg (OpenJPEG), lossless (.90)
  jpeg2000-lossy  pydicom + pylibjpeg-openjpeg, compression ratio 10 (.91)
  jpegls          dcmtk dcmcjpls +el (CharLS inside dcmtk), lossless (.80)
  jpegls-near     pydicom + pyjpegls (CharLS), near-lossless, NEAR = 3 (.81);
                  dcmcjpls refuses near-lossless for signed pixels
"""

import argparse
import concurrent.futures
import functools
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    CTImageStorage,
    EnhancedCTImageStorage,
    ExplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGLSNearLossless,
    generate_uid,
)

# syntax -> (series folder, SeriesDescription, how it is made)
SYNTAXES = {
    "explicit": ("EXPLIC", "explicit VR little endian", None),
    "implicit": ("IMPLIC", "implicit VR little endian", ["dcmconv", "+ti"]),
    "bigendian": ("BIGEND", "explicit VR big endian", ["dcmconv", "+tb"]),
    "deflate": ("DEFLATE", "deflated explicit VR little endian", ["dcmconv", "+td"]),
    "rle": ("RLE", "RLE lossless", ["dcmcrle"]),
    "jpeg-lossless": ("JPEGLL", "JPEG lossless SV1", ["dcmcjpeg", "+e1"]),
    "jpeg2000": ("J2KLL", "JPEG 2000 lossless", "j2k-lossless"),
    "jpeg2000-lossy": ("J2KLOSY", "JPEG 2000 lossy", "j2k-lossy"),
    "jpegls": ("JLSLL", "JPEG-LS lossless", ["dcmcjpls", "+el"]),
    "jpegls-near": ("JLSNEAR", "JPEG-LS near-lossless", "jls-near"),
}
LOSSY = {"jpeg2000-lossy", "jpegls-near"}
THICKNESS = 2.5  # mm, also the z step
SEED = "onemed-ct-phantom"


def uid(*parts):
    """A UID that is the same on every run for the same parts."""
    return generate_uid(entropy_srcs=[SEED, *map(str, parts)])


def has_lungs(i, n):
    """The lungs exist in the middle 60 % of the slices."""
    return 0.2 * n <= i < 0.8 * n


@functools.lru_cache(maxsize=None)
def slice_hu(i, n, size):
    """Hounsfield units of slice i of n, size x size, int16."""
    rng = np.random.default_rng(1000 + i)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    cx, cy = size / 2, size / 2 + size * 0.02
    t = i / max(n - 1, 1)
    # The body: wider in the chest than in the neck.
    ax = size * (0.30 + 0.12 * np.sin(np.pi * min(1.0, 0.3 + t)))
    ay = size * 0.30
    body = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1
    hu = np.full((size, size), -1000.0)
    hu[body] = 40.0
    if has_lungs(i, n):
        # Lungs grow then shrink through their 60 % of the series.
        s = np.sin(np.pi * (i - 0.2 * n) / (0.6 * n))
        lx, ly = ax * 0.42 * (0.6 + 0.4 * s), ay * 0.62 * (0.6 + 0.4 * s)
        for side in (-1, 1):
            lung = ((x - (cx + side * ax * 0.48)) / lx) ** 2 + ((y - cy + ay * 0.05) / ly) ** 2 <= 1
            hu[lung & body] = -850.0
        # Ribs: small discs just inside the body's edge.
        for a in np.linspace(0.15 * np.pi, 0.85 * np.pi, 6):
            for back in (-1, 1):  # front and back
                rx, ry = cx + ax * 0.9 * np.cos(a), cy + back * ay * 0.9 * np.sin(a)
                hu[((x - rx) ** 2 + (y - ry) ** 2 <= (size * 0.015) ** 2)] = 700.0
    # The spine, behind, in every slice.
    spine = (x - cx) ** 2 + (y - (cy + ay * 0.72)) ** 2 <= (size * 0.05) ** 2
    hu[spine] = 700.0
    noise = rng.normal(0.0, 12.0, (size, size))
    hu = np.where(hu > -1000.0, hu + noise, hu + np.abs(noise) * 0.5)
    return np.round(hu).astype(np.int16)


def instance_numbers(n):
    """1..n in spatial order, but with a few neighbouring pairs swapped."""
    numbers = list(range(1, n + 1))
    for i in range(3, n - 1, 10):
        numbers[i], numbers[i + 1] = numbers[i + 1], numbers[i]
    return numbers


def base_dataset(study, series, syntax, size):
    """The study, series and image attributes every slice shares."""
    ds = Dataset()
    ds.PatientName = "PHANTOM^CHEST"
    ds.PatientID = "PHANTOM-0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.StudyID = "1"
    ds.StudyDate = "20260115"
    ds.StudyTime = "093000"
    ds.SeriesDate = "20260115"
    ds.AccessionNumber = "PH0001"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "CHEST PHANTOM"
    ds.SeriesDescription = f"CHEST PHANTOM {SYNTAXES[syntax][1]}"
    ds.SeriesNumber = list(SYNTAXES).index(syntax) + 1
    ds.Modality = "CT"
    ds.Manufacturer = "OneMed phantom"
    ds.BodyPartExamined = "CHEST"
    ds.FrameOfReferenceUID = uid("frame-of-reference")
    ds.PositionReferenceIndicator = ""
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SliceThickness = THICKNESS
    ds.KVP = 120
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [round(350.0 / size, 6)] * 2
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = size
    ds.Columns = size
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    ds.RescaleType = "HU"
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    return ds


def with_meta(ds, sop_class, sop_instance):
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = uid("implementation")
    ds.file_meta = meta
    return ds


def slices_explicit(out, syntax, n, size, study):
    """One explicit VR little endian file per slice; the paths."""
    series = uid("series", syntax, n, size)
    numbers = instance_numbers(n)
    paths = []
    for i in range(n):
        ds = base_dataset(study, series, syntax, size)
        ds.InstanceNumber = numbers[i]
        ds.ImagePositionPatient = [-175.0, -175.0, round(-150.0 + i * THICKNESS, 3)]
        ds.SliceLocation = ds.ImagePositionPatient[2]
        ds.PixelData = (slice_hu(i, n, size).astype(np.int32) + 1024).astype("<i2").tobytes()
        with_meta(ds, CTImageStorage, uid("instance", syntax, n, size, i))
        path = os.path.join(out, f"IM{numbers[i]:06d}")
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def multiframe_explicit(out, syntax, n, size, study):
    """The whole series as one Enhanced CT file (NumberOfFrames = n)."""
    series = uid("series-multiframe", syntax, n, size)
    ds = base_dataset(study, series, syntax, size)
    ds.SeriesDescription += " multi-frame"
    ds.InstanceNumber = 1
    ds.NumberOfFrames = n
    # Where each frame is: the per-frame functional groups (and frame 0's at
    # the top level too, for readers that look there).
    ds.ImagePositionPatient = [-175.0, -175.0, -150.0]
    per_frame = []
    for i in range(n):
        pos = Dataset()
        pos.ImagePositionPatient = [-175.0, -175.0, round(-150.0 + i * THICKNESS, 3)]
        group = Dataset()
        group.PlanePositionSequence = Sequence([pos])
        per_frame.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    orient, measures, transform, shared = Dataset(), Dataset(), Dataset(), Dataset()
    orient.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    measures.SliceThickness = THICKNESS
    measures.PixelSpacing = ds.PixelSpacing
    # Enhanced CT keeps the rescale in the functional groups, not at the top.
    transform.RescaleIntercept = ds.RescaleIntercept
    transform.RescaleSlope = ds.RescaleSlope
    transform.RescaleType = ds.RescaleType
    del ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType
    shared.PlaneOrientationSequence = Sequence([orient])
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PixelValueTransformationSequence = Sequence([transform])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = [slice_hu(i, n, size).astype(np.int32) + 1024 for i in range(n)]
    ds.PixelData = np.stack(frames).astype("<i2").tobytes()
    with_meta(ds, EnhancedCTImageStorage, uid("instance-multiframe", syntax, n, size))
    path = os.path.join(out, "IM000001")
    ds.save_as(path, enforce_file_format=True)
    return [path]


def convert(path, how):
    """Re-encodes one explicit VR little endian file in place."""
    if how is None:
        return
    if isinstance(how, list):
        tmp = path + ".tmp"
        subprocess.run([*how, path, tmp], check=True, capture_output=True)
        os.replace(tmp, path)
        return
    ds = pydicom.dcmread(path)
    if how == "j2k-lossless":
        ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
    elif how == "j2k-lossy":
        ds.compress(JPEG2000, encoding_plugin="pylibjpeg", j2k_cr=[10])
        ds.LossyImageCompression = "01"
    else:
        ds.compress(JPEGLSNearLossless, jls_error=3)
        ds.LossyImageCompression = "01"
    ds.save_as(path, enforce_file_format=True)


def write_series(out, syntax, n, size, multiframe):
    folder, _, how = SYNTAXES[syntax]
    target = os.path.join(out, folder + ("M" if multiframe else ""))
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    study = uid("study", n, size)
    make = multiframe_explicit if multiframe else slices_explicit
    paths = make(target, syntax, n, size, study)
    if isinstance(how, str):
        # pylibjpeg-openjpeg is not safe to call from threads (it crashed).
        for path in paths:
            convert(path, how)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(lambda p: convert(p, how), paths))
    return target


def dicomdir(out):
    """OUT/DICOMDIR listing every file below OUT (dcmtk's dcmmkdir)."""
    path = os.path.join(out, "DICOMDIR")
    if os.path.exists(path):
        os.remove(path)
    files = []
    for root, _, names in os.walk(out):
        files += [os.path.relpath(os.path.join(root, f), out) for f in names if f != "DICOMDIR"]
    # General purpose interchange; --invent fills what the profile needs and
    # is missing; -Nxc accepts compressed syntaxes.
    done = subprocess.run(
        ["dcmmkdir", "-Pgp", "--invent", "-Nxc", "--output-file", "DICOMDIR", *sorted(files)],
        cwd=out,
        capture_output=True,
        text=True,
    )
    # dcmmkdir leaves out a file it cannot list and may still succeed.
    listed = 0
    if done.returncode == 0:
        records = pydicom.dcmread(path).DirectoryRecordSequence
        listed = sum(r.DirectoryRecordType == "IMAGE" for r in records)
    if listed != len(files):
        sys.exit(f"ct_phantom: dcmmkdir listed {listed} of {len(files)} files:\n{done.stderr}")
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder to write into (series folders below it)")
    p.add_argument(
        "--syntax",
        action="append",
        choices=[*SYNTAXES, "all"],
        help="transfer syntax (repeatable; 'all' for every one; default explicit)",
    )
    p.add_argument("--slices", type=int, default=120)
    p.add_argument("--size", type=int, default=256, choices=[64, 128, 256, 512])
    p.add_argument("--multiframe", action="store_true", help="one multi-frame file per series instead")
    p.add_argument("--dicomdir", action="store_true", help="write OUT/DICOMDIR for everything in OUT")
    a = p.parse_args()
    syntaxes = a.syntax or ["explicit"]
    if "all" in syntaxes:
        syntaxes = list(SYNTAXES)
    if a.slices < 1 or a.slices > 2000:
        p.error("--slices must be 1..2000")
    for tool in {"dcmconv", "dcmcrle", "dcmcjpeg", "dcmcjpls", "dcmmkdir"}:
        if shutil.which(tool) is None:
            sys.exit(f"ct_phantom: {tool} is missing: install Debian dcmtk (make deps)")
    os.makedirs(a.out, exist_ok=True)
    for s in syntaxes:
        print(write_series(a.out, s, a.slices, a.size, a.multiframe))
    if a.dicomdir:
        print(dicomdir(a.out))


if __name__ == "__main__":
    main()
