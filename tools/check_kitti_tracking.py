#!/usr/bin/env python3
"""Checks a drivegen KITTI tracking export with TrackEval's KITTI 2-D box benchmark.

For every split with sequences: TrackEval reads the split's label_02/<seq>.txt and its
seqmap (copied to the name TrackEval looks for), and the ground truth submitted as a
tracker's output must score HOTA = MOTA = 1 with no identity switch for cars and
pedestrians, and every frame the seqmap names must have its image.
Usage: check_kitti_tracking.py KITTI_TRACKING_DIR
Prints one line per split; exits non-zero on failure.
"""
import contextlib
import io
import os
import shutil
import sys
import tempfile

import trackeval


def check(split_dir):
    with tempfile.TemporaryDirectory() as tmp:
        gt = os.path.join(tmp, "gt")
        data = os.path.join(tmp, "trackers", "ground_truth", "data")
        os.makedirs(os.path.join(gt, "label_02"))
        os.makedirs(data)
        shutil.copy(os.path.join(split_dir, "seqmap.txt"),
                    os.path.join(gt, "evaluate_tracking.seqmap.training"))
        for line in open(os.path.join(split_dir, "seqmap.txt")):
            seq, _, _, length = line.split()
            for frame in range(int(length)):
                image = os.path.join(split_dir, "image_02", seq, f"{frame:06d}.png")
                if not os.path.exists(image):
                    return f"missing {image}"
            labels = os.path.join(split_dir, "label_02", seq + ".txt")
            shutil.copy(labels, os.path.join(gt, "label_02"))
            shutil.copy(labels, data)
        quiet = {"PRINT_CONFIG": False}
        evaluator = trackeval.Evaluator({**quiet, "USE_PARALLEL": False, "PRINT_RESULTS": False,
                                         "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False,
                                         "PLOT_CURVES": False, "TIME_PROGRESS": False})
        dataset = trackeval.datasets.Kitti2DBox({**quiet, "GT_FOLDER": gt,
                                                 "TRACKERS_FOLDER": os.path.join(tmp, "trackers"),
                                                 "SPLIT_TO_EVAL": "training",
                                                 "OUTPUT_FOLDER": os.path.join(tmp, "out")})
        with contextlib.redirect_stdout(io.StringIO()):
            results, _ = evaluator.evaluate([dataset], [trackeval.metrics.HOTA(),
                                                        trackeval.metrics.CLEAR()])
        combined = results["Kitti2DBox"]["ground_truth"]["COMBINED_SEQ"]
        report = []
        for cls in ("car", "pedestrian"):
            hota = float(combined[cls]["HOTA"]["HOTA"].mean())
            mota = float(combined[cls]["CLEAR"]["MOTA"])
            switches = int(combined[cls]["CLEAR"]["IDSW"])
            dets = int(combined[cls]["CLEAR"]["CLR_TP"] + combined[cls]["CLEAR"]["CLR_FN"])
            report.append(f"{cls} HOTA {hota:.4f} MOTA {mota:.4f} IDSW {switches} boxes {dets}")
            if dets and (abs(hota - 1) > 1e-9 or abs(mota - 1) > 1e-9 or switches):
                return "; ".join(report) + " (expected 1, 1, 0)"
        return "ok: " + "; ".join(report)


def main():
    root = sys.argv[1]
    failed = 0
    for split in ("train", "val", "test"):
        split_dir = os.path.join(root, split)
        if not os.path.exists(os.path.join(split_dir, "seqmap.txt")):
            continue
        verdict = check(split_dir)
        print(f"{split}: {verdict}")
        failed += not verdict.startswith("ok")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
