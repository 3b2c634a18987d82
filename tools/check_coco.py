#!/usr/bin/env python3
"""Checks a drivegen COCO export with pycocotools.

For every split: COCOeval of the ground truth used as detections (score 1) must give
AP = 1.0 for boxes and masks, and every decoded RLE mask must equal the instance mask of
the native frame it came from. Usage: check_coco.py NATIVE_DATASET_DIR COCO_DIR
Prints one line per split and 'N passed, M failed' at the end; exits non-zero on failure.
"""
import contextlib
import io
import json
import os
import sys

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def check_split(native, coco_dir, split):
    path = os.path.join(coco_dir, "annotations", f"instances_{split}.json")
    with open(path) as f:
        doc = json.load(f)
    if not doc["annotations"]:
        return None
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(path)
        dets = [dict(a, score=1.0) for a in doc["annotations"]]
        dt = gt.loadRes(dets)
        aps = {}
        for kind in ("bbox", "segm"):
            ev = COCOeval(gt, dt, kind)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            aps[kind] = ev.stats[0]
    images = {im["id"]: im for im in doc["images"]}
    mismatches = 0
    for a in doc["annotations"]:
        im = images[a["image_id"]]
        inst = np.array(Image.open(os.path.join(native, f"v{im['variant']:03d}", "front", "instance", f"{im['frame']:06d}.png")))
        decoded = mask_utils.decode(a["segmentation"]).astype(bool)
        if not np.array_equal(decoded, inst == a["track_id"]) or decoded.sum() != a["area"]:
            mismatches += 1
    return aps, mismatches, len(doc["annotations"])


def main():
    native, coco_dir = sys.argv[1], sys.argv[2]
    passed = failed = 0
    for split in ("train", "val", "test"):
        result = check_split(native, coco_dir, split)
        if result is None:
            continue
        aps, mismatches, n = result
        ok = abs(aps["bbox"] - 1.0) < 1e-9 and abs(aps["segm"] - 1.0) < 1e-9 and mismatches == 0
        print(f"{split}: {n} annotations, AP bbox {aps['bbox']:.4f}, AP segm {aps['segm']:.4f}, mask mismatches {mismatches}")
        passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
