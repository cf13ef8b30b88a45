"""Native QR decoders on the camera benchmark's frames: zxing-cpp (the reference) and zbar.

Reads the PGM files named on the command line and prints one JSON object per line and frame:
{"file": ..., "zxing-cpp 3.1.1": {"text": ..., "ms": ...}, "zbar 0.23.92": {...}}. A decoder whose Python
binding is missing is left out and named on stderr. Each decoder reads the first frame once
before timing, so loading the library is not counted. Called by benches/camera_decode.rs;
`pip install zxing-cpp pyzbar numpy` (pyzbar loads Debian's libzbar0).
"""

import json
import sys
import time

import numpy as np


def read_pgm(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"P5"):
        raise ValueError(f"{path}: not a binary PGM")
    # P5 header: magic, width, height, maxval, then one byte a pixel.
    fields, at = [], 0
    while len(fields) < 4:
        while data[at : at + 1].isspace():
            at += 1
        start = at
        while not data[at : at + 1].isspace():
            at += 1
        fields.append(data[start:at])
    width, height = int(fields[1]), int(fields[2])
    pixels = data[at + 1 : at + 1 + width * height]
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width)


def version(dist):
    try:
        from importlib.metadata import version as installed

        return installed(dist)
    except Exception:
        return "?"


def libzbar_version():
    # pyzbar does not say which libzbar it loaded; Debian's package does.
    try:
        import subprocess

        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libzbar0"], capture_output=True, text=True
        )
        return out.stdout.split("-")[0] or "?"
    except Exception:
        return "?"


def decoders():
    """Decoder name (with its version) -> function from a grey frame to the text read."""
    found = {}
    try:
        import zxingcpp

        # zxing-cpp's own defaults (harder search, rotations, inverted codes, downscaling),
        # QR codes only: the reference the kiosk's decoder is held to.
        def zxing(grey):
            codes = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
            return codes[0].text if codes else None

        found[f"zxing-cpp {version('zxing-cpp')}"] = zxing
    except ImportError:
        print("zxing-cpp: not installed (pip install zxing-cpp)", file=sys.stderr)
    try:
        from pyzbar import pyzbar
        from pyzbar.pyzbar import ZBarSymbol

        def zbar(grey):
            h, w = grey.shape
            codes = pyzbar.decode((grey.tobytes(), w, h), symbols=[ZBarSymbol.QRCODE])
            return codes[0].data.decode("ascii", "replace") if codes else None

        found[f"zbar {libzbar_version()}"] = zbar
    except ImportError:
        print("zbar: pyzbar not installed (pip install pyzbar)", file=sys.stderr)
    return found


def main(paths):
    frames = [read_pgm(p) for p in paths]
    found = decoders()
    results = [{"file": p} for p in paths]
    for name, read in found.items():
        if frames:
            read(frames[0])
        for frame, out in zip(frames, results):
            started = time.perf_counter()
            text = read(frame)
            out[name] = {"text": text, "ms": (time.perf_counter() - started) * 1e3}
    for out in results:
        print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
