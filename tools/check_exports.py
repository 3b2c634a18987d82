#!/usr/bin/env python3
"""Checks that a drivegen export loads, unmodified and from any working directory, the way
the tools its users train and evaluate with load it.

Usage: check_exports.py EXPORT_DIR      (e.g. out/dataset/exports)

For each format in EXPORT_DIR/export.json (or each format folder present):
  yolo        ultralytics' check_det_dataset path rules (no `path:` key: split folders
              relative to the yaml's folder, whatever the working directory), every listed
              split exists and has images, one label per image through img2label_paths,
              verify_image_label's rules (5 columns, class < nc, normalised boxes).
  coco        torchvision's CocoDetection: COCO(annFile), os.path.join(root, file_name)
              with root = EXPORT_DIR/coco opens at the recorded size; unique image,
              annotation and category ids; iscrowd present; boxes inside the image; RLE
              masks decode to their area.
  kitti       mmdetection3d / OpenPCDet layout: ImageSets/{train,val,test}.txt <->
              training/ and testing/ image_2, label_2, calib (velodyne when written);
              15-field labels; calib lines P0 P1 P2 P3 R0_rect Tr_velo_to_cam
              Tr_imu_to_velo in that order (both read them by position).
  cityscapes  cityscapesScripts: getCsFileInfo parses every file name; the pixel-level
              evaluation finds every gtFine/val labelIds file and, with the ground truth
              as the prediction, scores mean IoU and iIoU 1.0.
Every format also has to hold exactly the frames export.json counts per split (no stale
files from an earlier export).

The real library is used when it can be imported (ultralytics, torchvision or pycocotools,
cityscapesscripts); otherwise its documented rules are mirrored. Each line says which.
Needs numpy, pillow and pyyaml. Prints one line per check, then `N passed, M failed`;
exits 1 when a check failed, 2 on bad usage.
"""
import fnmatch
import glob
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import contextlib
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

SPLITS = ("train", "val", "test")
# ultralytics.data.utils.IMG_FORMATS
YOLO_IMG_FORMATS = {"avif", "bmp", "dng", "heic", "heif", "jp2", "jpeg", "jpeg2000", "jpg",
                    "mpo", "png", "tif", "tiff", "webp", "pfm"}
KITTI_TYPES = {"Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram",
               "Misc", "DontCare"}
KITTI_CALIB = [("P0", 12), ("P1", 12), ("P2", 12), ("P3", 12), ("R0_rect", 9),
               ("Tr_velo_to_cam", 12), ("Tr_imu_to_velo", 12)]
# cityscapesscripts.helpers.labels: (id, name, hasInstances, ignoreInEval, color)
CS_LABELS = [
    (0, "unlabeled", False, True, (0, 0, 0)), (1, "ego vehicle", False, True, (0, 0, 0)),
    (2, "rectification border", False, True, (0, 0, 0)), (3, "out of roi", False, True, (0, 0, 0)),
    (4, "static", False, True, (0, 0, 0)), (5, "dynamic", False, True, (111, 74, 0)),
    (6, "ground", False, True, (81, 0, 81)), (7, "road", False, False, (128, 64, 128)),
    (8, "sidewalk", False, False, (244, 35, 232)), (9, "parking", False, True, (250, 170, 160)),
    (10, "rail track", False, True, (230, 150, 140)), (11, "building", False, False, (70, 70, 70)),
    (12, "wall", False, False, (102, 102, 156)), (13, "fence", False, False, (190, 153, 153)),
    (14, "guard rail", False, True, (180, 165, 180)), (15, "bridge", False, True, (150, 100, 100)),
    (16, "tunnel", False, True, (150, 120, 90)), (17, "pole", False, False, (153, 153, 153)),
    (18, "polegroup", False, True, (153, 153, 153)), (19, "traffic light", False, False, (250, 170, 30)),
    (20, "traffic sign", False, False, (220, 220, 0)), (21, "vegetation", False, False, (107, 142, 35)),
    (22, "terrain", False, False, (152, 251, 152)), (23, "sky", False, False, (70, 130, 180)),
    (24, "person", True, False, (220, 20, 60)), (25, "rider", True, False, (255, 0, 0)),
    (26, "car", True, False, (0, 0, 142)), (27, "truck", True, False, (0, 0, 70)),
    (28, "bus", True, False, (0, 60, 100)), (29, "caravan", True, True, (0, 0, 90)),
    (30, "trailer", True, True, (0, 0, 110)), (31, "train", True, False, (0, 80, 100)),
    (32, "motorcycle", True, False, (0, 0, 230)), (33, "bicycle", True, False, (119, 11, 32)),
]


class Failure(Exception):
    pass


def ensure(cond, message):
    if not cond:
        raise Failure(message)


def try_import(name):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module(name)
    except Exception:  # not installed, or installed but broken: mirror instead
        return None


def version_of(module):
    return getattr(module, "__version__", "?")


def first(items, n=3):
    items = list(items)
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return ", ".join(str(x) for x in items[:n]) + more


def expected_counts(export):
    """Frames per split from export.json, or None."""
    path = export / "export.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    frames = doc.get("split", {}).get("frames")
    return {s: int(frames.get(s, 0)) for s in SPLITS} if frames else None


def compare_counts(what, found, expected):
    if expected is None:
        return
    bad = [f"{s}: {found.get(s, 0)} (export.json: {expected[s]})" for s in SPLITS
           if found.get(s, 0) != expected[s]]
    ensure(not bad, f"{what} per split differ from export.json: {'; '.join(bad)}")


def open_image(path):
    with Image.open(path) as im:
        im.load()
        return im.size, im.mode


# ---------------------------------------------------------------------------------- YOLO

def yolo_resolve_mirror(yaml_file):
    """ultralytics.data.utils.check_det_dataset's path rules, without downloads."""
    data = yaml.safe_load(Path(yaml_file).read_text())
    ensure(isinstance(data, dict), "data.yaml is not a mapping")
    for k in ("train", "val"):
        ensure(k in data, f"'{k}:' key missing ('train' and 'val' are required)")
    ensure(data.get("names") is not None or "nc" in data, "either 'names' or 'nc' is required")
    names = data.get("names")
    if names is not None and data.get("nc") is not None:
        ensure(len(names) == data["nc"], f"names has {len(names)} entries, nc is {data['nc']}")
    data["nc"] = len(names) if names is not None else int(data["nc"])
    path = Path(data.get("path") or Path(yaml_file).parent)
    if not path.exists() and not path.is_absolute():
        path = Path("datasets") / path  # ultralytics' DATASETS_DIR, from its settings
    data["path"] = path
    for k in ("train", "val", "test", "minival"):
        if data.get(k):
            ks = data[k] if isinstance(data[k], list) else [data[k]]
            res = []
            for v in ks:
                x = (path / v).resolve()
                if not x.exists() and v.startswith("../"):
                    x = (path / v[3:]).resolve()
                res.append(str(x))
            data[k] = res if isinstance(data[k], list) else res[0]
    val = data["val"] if isinstance(data["val"], list) else [data["val"]]
    missing = [v for v in val if not Path(v).exists()]
    ensure(not missing, f"Dataset images not found, missing path '{missing[0] if missing else ''}'")
    return data


def yolo_img_files(img_path):
    """BaseDataset.get_img_files."""
    files = []
    for p in img_path if isinstance(img_path, list) else [img_path]:
        p = Path(p)
        if p.is_dir():
            files += glob.glob(str(Path(glob.escape(str(p))) / "**" / "*.*"), recursive=True)
        elif p.is_file():
            lines = p.read_text(encoding="utf-8-sig").strip().splitlines()
            parent = str(p.parent) + os.sep
            files += [x.replace("./", parent, 1) if x.startswith("./") else x for x in lines]
        else:
            raise Failure(f"{p} does not exist")
    return sorted(x for x in files if x.rpartition(".")[-1].lower() in YOLO_IMG_FORMATS)


def yolo_img2label_paths(img_paths):
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return [sb.join(x.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt" for x in img_paths]


def yolo_verify_mirror(im_file, lb_file, nc):
    """verify_image_label's rules for detection labels; returns the label rows."""
    with Image.open(im_file) as im:
        im.verify()
    with Image.open(im_file) as im:
        ensure(im.size[0] > 9 and im.size[1] > 9, f"{im_file}: image size {im.size} <10 pixels")
        ensure(im.format.lower() in YOLO_IMG_FORMATS, f"{im_file}: invalid image format {im.format}")
    lines = [x.split() for x in Path(lb_file).read_text(encoding="utf-8-sig").strip().splitlines() if x.strip()]
    if not lines:
        return np.zeros((0, 5), np.float32)
    ensure(all(len(x) == 5 for x in lines), f"{lb_file}: labels require 5 columns")
    lb = np.array(lines, dtype=np.float32)
    ensure(lb[:, 1:].max() <= 1.01, f"{lb_file}: non-normalized or out of bounds coordinates")
    ensure(lb.min() >= 0 or (lb.min() >= -0.01 and lb[:, 3:5].min() >= 0), f"{lb_file}: negative label values")
    ensure((lb[:, 0] % 1 == 0).all(), f"{lb_file}: non-integer class labels")
    ensure(lb[:, 0].max() < nc, f"{lb_file}: class {int(lb[:, 0].max())} >= nc {nc}")
    return lb


def check_yolo(export, expected):
    root = export / "yolo"
    yaml_file = root / "data.yaml"
    ensure(yaml_file.is_file(), f"{yaml_file} missing")
    raw = yaml.safe_load(yaml_file.read_text())
    ensure("path" not in raw or Path(str(raw["path"])).is_absolute(),
           f"data.yaml has a relative `path: {raw.get('path')}`, which ultralytics resolves against the working directory")
    ul = try_import("ultralytics.data.utils")
    # From an unrelated working directory, with the yaml named absolutely and relatively.
    rel = os.path.relpath(yaml_file, os.getcwd())
    if ul is not None:
        how = f"ultralytics {version_of(try_import('ultralytics'))} check_det_dataset"
        resolve = lambda f: ul.check_det_dataset(f, autodownload=False)  # noqa: E731
        img2label = ul.img2label_paths
    else:
        how = "mirrored ultralytics rules (ultralytics not importable)"
        resolve, img2label = yolo_resolve_mirror, yolo_img2label_paths
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            data = resolve(str(yaml_file))
            data_rel = resolve(rel)
    except Failure:
        raise
    except Exception as e:  # ultralytics raises FileNotFoundError, SyntaxError, ...
        raise Failure(f"check_det_dataset: {type(e).__name__}: {e}")
    nc = int(data["nc"])
    counts, objects, found = {}, 0, {}
    for k in ("train", "val", "test"):
        if not data.get(k):
            continue
        ensure(str(data[k]) == str(data_rel[k]), f"{k}: {data[k]} from an absolute yaml path, {data_rel[k]} from a relative one")
        target = Path(data[k])
        ensure(target.resolve().is_relative_to(root.resolve()), f"{k}: resolves to {target}, outside {root}")
        ensure(target.exists(), f"{k}: {target} does not exist")
        imgs = yolo_img_files(str(target))
        ensure(imgs, f"{k}: no images in {target}")
        labels = img2label(imgs)
        missing = [lb for lb in labels if not os.path.isfile(lb)]
        ensure(not missing, f"{k}: {len(missing)} image(s) without a label file, e.g. {first(missing, 1)}")
        for im_file, lb_file in zip(imgs, labels):
            if ul is not None:
                try:
                    r = ul.verify_image_label((im_file, lb_file, "", False, nc, 0, 0, False))
                except ValueError:  # ultralytics before 8.3 takes no single_cls
                    r = ul.verify_image_label((im_file, lb_file, "", False, nc, 0, 0))
                ensure(r[8] == 0, f"{im_file}: ultralytics rejects it: {r[9]}")
                lb = r[1]
                ensure(lb is not None and (len(lb) == 0 or lb[:, 0].max() < nc), f"{lb_file}: bad classes")
                # ultralytics tolerates 1 % outside [0, 1]; a drivegen box never is outside.
                ensure(len(lb) == 0 or (lb[:, 1:].min() >= 0 and lb[:, 1:].max() <= 1), f"{lb_file}: box outside [0, 1]")
            else:
                lb = yolo_verify_mirror(im_file, lb_file, nc)
                ensure(len(lb) == 0 or (lb[:, 1:].min() >= 0 and lb[:, 1:].max() <= 1), f"{lb_file}: box outside [0, 1]")
            ensure(len(lb) == 0 or (lb[:, 3:5].min() > 0), f"{lb_file}: zero-size box")
            objects += len(lb)
        counts[k] = len(imgs)
    for s in SPLITS:  # what is on disk, listed or not
        d = root / "images" / s
        found[s] = len(yolo_img_files(str(d))) if d.is_dir() else 0
        if found[s]:
            ensure(raw.get(s), f"images/{s} holds {found[s]} images but data.yaml does not list it")
    compare_counts("YOLO images", found, expected)
    listed = ", ".join(f"{k} {v}" for k, v in counts.items())
    return f"{how}: {listed} images, {objects} boxes, nc {nc}, resolved from any working directory"


# ---------------------------------------------------------------------------------- COCO

def check_coco(export, expected):
    root = export / "coco"
    ann_dir = root / "annotations"
    files = sorted(ann_dir.glob("instances_*.json"))
    ensure(files, f"no {ann_dir}/instances_*.json")
    tv = try_import("torchvision.datasets")
    coco_api = try_import("pycocotools.coco")
    mask_api = try_import("pycocotools.mask")
    if tv is not None:
        how = f"torchvision {version_of(try_import('torchvision'))} CocoDetection"
    elif coco_api is not None:
        how = "CocoDetection's rules with pycocotools (torchvision not importable)"
    else:
        how = "CocoDetection's rules mirrored (torchvision and pycocotools not importable)"
    found, parts, ann_ids = {}, [], set()
    for path in files:
        split = path.stem[len("instances_"):]
        doc = json.loads(path.read_text())
        for key in ("images", "annotations", "categories"):
            ensure(isinstance(doc.get(key), list), f"{path.name}: no `{key}` list")
        cats = [c["id"] for c in doc["categories"]]
        ensure(len(set(cats)) == len(cats), f"{path.name}: duplicate category ids")
        ensure(all("name" in c for c in doc["categories"]), f"{path.name}: a category without a name")
        images = {}
        for im in doc["images"]:
            ensure(im["id"] not in images, f"{path.name}: duplicate image id {im['id']}")
            images[im["id"]] = im
        for a in doc["annotations"]:
            ensure(a["id"] not in ann_ids, f"{path.name}: annotation id {a['id']} used twice")
            ann_ids.add(a["id"])
            ensure(a["image_id"] in images, f"{path.name}: annotation {a['id']} names image {a['image_id']}, which is not listed")
            ensure(a["category_id"] in cats, f"{path.name}: annotation {a['id']} has unknown category {a['category_id']}")
            ensure(a.get("iscrowd") in (0, 1), f"{path.name}: annotation {a['id']} has no iscrowd 0/1")
            im = images[a["image_id"]]
            x, y, w, h = a["bbox"]
            ensure(w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= im["width"] + 1e-6 and y + h <= im["height"] + 1e-6,
                   f"{path.name}: annotation {a['id']} bbox {a['bbox']} outside the {im['width']}x{im['height']} image")
            ensure(a.get("area", 0) > 0, f"{path.name}: annotation {a['id']} has no area")
            seg = a.get("segmentation")
            if isinstance(seg, dict):
                ensure(list(seg.get("size", [])) == [im["height"], im["width"]],
                       f"{path.name}: annotation {a['id']} RLE size {seg.get('size')} is not [height, width]")
                if mask_api is not None:
                    ensure(int(mask_api.area(seg)) == int(a["area"]),
                           f"{path.name}: annotation {a['id']} RLE area {int(mask_api.area(seg))} != area {a['area']}")
                    mx, my, mw, mh = mask_api.toBbox(seg).tolist()
                    ensure(x <= mx + 1 and y <= my + 1 and x + w >= mx + mw - 1 and y + h >= my + mh - 1,
                           f"{path.name}: annotation {a['id']} bbox {a['bbox']} does not cover its mask {[mx, my, mw, mh]}")
        # Load it the way CocoDetection does: every image at os.path.join(root, file_name).
        if tv is not None:
            with contextlib.redirect_stdout(io.StringIO()):
                ds = tv.CocoDetection(str(root), str(path))
            n_targets = 0
            for i in range(len(ds)):
                img, target = ds[i]
                meta = ds.coco.loadImgs(ds.ids[i])[0]
                ensure(img.size == (meta["width"], meta["height"]), f"{meta['file_name']}: image is {img.size}, json says {meta['width']}x{meta['height']}")
                n_targets += len(target)
            ensure(n_targets == len(doc["annotations"]), f"{path.name}: CocoDetection returned {n_targets} of {len(doc['annotations'])} annotations")
            n = len(ds)
        else:
            if coco_api is not None:
                with contextlib.redirect_stdout(io.StringIO()):
                    coco = coco_api.COCO(str(path))
                ids = sorted(coco.imgs.keys())
                metas = [coco.loadImgs(i)[0] for i in ids]
                n_targets = sum(len(coco.loadAnns(coco.getAnnIds(i))) for i in ids)
                ensure(n_targets == len(doc["annotations"]), f"{path.name}: {n_targets} of {len(doc['annotations'])} annotations reachable by image")
            else:
                metas = list(images.values())
            for meta in metas:
                p = os.path.join(str(root), meta["file_name"])
                ensure(os.path.isfile(p), f"{path.name}: os.path.join(root, {meta['file_name']!r}) = {p} does not exist")
                size, _ = open_image(p)
                ensure(size == (meta["width"], meta["height"]), f"{meta['file_name']}: image is {size}, json says {meta['width']}x{meta['height']}")
            n = len(metas)
        found[split] = n
        parts.append(f"{split} {n} images/{len(doc['annotations'])} annotations")
    on_disk = {s: len(list((root / s).glob("*.*"))) if (root / s).is_dir() else 0 for s in SPLITS}
    compare_counts("COCO images in the json", found, expected)
    compare_counts("COCO image files", on_disk, expected)
    return f"{how}, root {root.name}/: {', '.join(parts)}"


# --------------------------------------------------------------------------------- KITTI

def kitti_label_problems(path, size):
    w, h = size
    lines = [l for l in path.read_text().splitlines()]
    for n, line in enumerate(lines, 1):
        f = line.strip().split(" ")
        where = f"{path}:{n}"
        ensure(len(f) in (15, 16), f"{where}: {len(f)} fields, KITTI labels have 15")
        ensure(f[0] in KITTI_TYPES, f"{where}: unknown type {f[0]}")
        v = [float(x) for x in f[1:]]
        ensure(f[2].lstrip("-").isdigit(), f"{where}: occluded {f[2]} is not an integer (mmdet3d reads int())")
        if f[0] == "DontCare":
            ensure(v[0] == -1 and int(v[1]) == -1, f"{where}: DontCare with truncation/occlusion set")
        else:
            ensure(0 <= v[0] <= 1, f"{where}: truncation {v[0]} outside [0, 1]")
            ensure(int(v[1]) in (0, 1, 2, 3), f"{where}: occlusion {v[1]} not 0-3")
            ensure(min(v[7:10]) > 0, f"{where}: non-positive dimensions {v[7:10]}")
            ensure(v[12] > 0, f"{where}: object behind the camera (z = {v[12]})")
        x0, y0, x1, y1 = v[3:7]
        ensure(0 <= x0 < x1 <= w + 0.01 and 0 <= y0 < y1 <= h + 0.01, f"{where}: bbox {v[3:7]} outside the {w}x{h} image")
    return len(lines)


def kitti_calib_problems(path):
    lines = path.read_text().splitlines()
    ensure(len(lines) >= len(KITTI_CALIB), f"{path}: {len(lines)} lines, expected {len(KITTI_CALIB)}")
    for line, (key, n) in zip(lines, KITTI_CALIB):
        f = line.strip().split(" ")  # mmdet3d: lines[i].split(' ')[1:13]
        ensure(f[0] == key + ":", f"{path}: line `{f[0]}` where {key}: belongs (read by position)")
        vals = np.array([float(x) for x in f[1:]])
        ensure(len(vals) == n and np.isfinite(vals).all(), f"{path}: {key} has {len(vals)} values, expected {n}")


def check_kitti(export, expected):
    root = export / "kitti"
    sets = {}
    for s in SPLITS:
        p = root / "ImageSets" / f"{s}.txt"
        ensure(p.is_file(), f"{p} missing")
        lines = p.read_text().splitlines()
        ensure(all(l.strip().isdigit() and len(l.strip()) == 6 for l in lines), f"{p}: an id is not six digits")
        ensure(len(set(lines)) == len(lines), f"{p}: duplicate ids")
        sets[s] = [int(l) for l in lines]  # mmdet3d: int(line)
    ensure(not set(sets["train"]) & set(sets["val"]), "train and val share ids in training/")
    objects, empty, velodyne = 0, [], None
    for folder, ids, labelled in (("training", sets["train"] + sets["val"], True), ("testing", sets["test"], False)):
        d = root / folder
        listed = {f"{i:06d}" for i in ids}
        on_disk = {p.stem for p in (d / "image_2").glob("*.png")} if (d / "image_2").is_dir() else set()
        extra, absent = sorted(on_disk - listed), sorted(listed - on_disk)
        ensure(not extra, f"{folder}/image_2 holds {first(extra)}, which ImageSets does not list")
        ensure(not absent, f"ImageSets lists {first(absent)}, which {folder}/image_2 lacks")
        has_velo = (d / "velodyne").is_dir()
        velodyne = has_velo if velodyne is None or not ids else velodyne and has_velo
        for i in sorted(ids):
            name = f"{i:06d}"
            img = d / "image_2" / f"{name}.png"
            size, _ = open_image(img)
            kitti_calib_problems(d / "calib" / f"{name}.txt")
            label = d / "label_2" / f"{name}.txt"
            if labelled or label.exists():
                ensure(label.is_file(), f"{label} missing")
                n = kitti_label_problems(label, size)
                objects += n
                if n == 0:
                    empty.append(f"{folder}/{name}")
            if has_velo:
                v = d / "velodyne" / f"{name}.bin"
                ensure(v.is_file(), f"{v} missing (velodyne/ exists, so every frame needs one)")
                ensure(v.stat().st_size % 16 == 0, f"{v}: size not a multiple of 4 float32")
    compare_counts("KITTI ImageSets", {s: len(sets[s]) for s in SPLITS}, expected)
    note = "" if velodyne else "; no velodyne/ (mmdetection3d's create_data and OpenPCDet need point clouds)"
    if empty:
        print(f"warning: kitti: {len(empty)} label file(s) with no object ({first(empty)}): "
              "OpenPCDet's get_infos fails on them (np.concatenate of an empty list)")
    return (f"mmdetection3d/OpenPCDet layout rules: train {len(sets['train'])}, val {len(sets['val'])}, "
            f"test {len(sets['test'])} frames, {objects} label lines, calib P0-P3 R0_rect Tr_velo_to_cam Tr_imu_to_velo{note}")


# ---------------------------------------------------------------------------- Cityscapes

def cs_file_info(name, cs):
    """getCsFileInfo: city_seq_frame_type[_type2].ext, 5 or 6 parts."""
    if cs is not None:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                info = cs.getCsFileInfo(name)
            return info.city, info.sequenceNb, info.frameNb, info.type, info.type2, info.ext
        except SystemExit:
            raise Failure(f"getCsFileInfo cannot parse {name}")
    parts = os.path.basename(name).split("_")
    parts = parts[:-1] + parts[-1].split(".")
    ensure(len(parts) in (5, 6), f"getCsFileInfo: {len(parts)} part(s) in {name}, expected 5 or 6")
    return tuple(parts) if len(parts) == 6 else (*parts[:4], "", parts[4])


def cs_eval_mirror(gt_files, results):
    """evalPixelLevelSemanticLabeling's discovery and class IoU / iIoU."""
    walk = [(r, f) for r, _, f in os.walk(results)]
    ids = [l[0] for l in CS_LABELS]
    conf = np.zeros((max(ids) + 1, max(ids) + 1), np.int64)
    tp_i, fn_i = {}, {}
    for gt in gt_files:
        city, seq, frame = os.path.basename(gt).split("_")[:3]
        pattern = f"{city}_{seq}_{frame}*.png"
        preds = [os.path.join(r, f) for r, fs in walk for f in fnmatch.filter(fs, pattern)]
        ensure(len(preds) == 1, f"{len(preds)} predictions match {gt}")
        pred = np.array(Image.open(preds[0]))
        g = np.array(Image.open(gt))
        ensure(pred.ndim == 2, "Predicted image has multiple channels.")
        bad = set(np.unique(g).tolist()) - set(ids)
        ensure(not bad, f"Unknown label with id {first(sorted(bad))} in {gt}")
        np.add.at(conf, (g.astype(np.int64), pred.astype(np.int64)), 1)
        inst = np.array(Image.open(gt.replace("labelIds", "instanceIds")))
        for iid in np.unique(inst[inst > 1000]):
            lab = CS_LABELS[int(iid) // 1000]
            if lab[3]:
                continue
            m = inst == iid
            tp = int(np.count_nonzero(pred[m] == lab[0]))
            tp_i[lab[1]] = tp_i.get(lab[1], 0) + tp
            fn_i[lab[1]] = fn_i.get(lab[1], 0) + int(m.sum()) - tp
    ious = []
    evaluated = [l for l in CS_LABELS if not l[3]]
    for l in evaluated:
        tp = conf[l[0], l[0]]
        fn = conf[l[0], :].sum() - tp
        fp = sum(conf[o[0], l[0]] for o in evaluated if o[0] != l[0])
        if tp + fn + fp > 0:
            ious.append(tp / (tp + fn + fp))
    iious = [tp_i[k] / (tp_i[k] + fn_i[k]) for k in tp_i if tp_i[k] + fn_i[k] > 0]
    return (float(np.mean(ious)) if ious else float("nan"),
            float(np.mean(iious)) if iious else float("nan"), len(gt_files))


def cs_eval_real(root, results, tmp):
    os.environ["CITYSCAPES_DATASET"] = str(root)
    os.environ["CITYSCAPES_RESULTS"] = str(results)
    os.environ["CITYSCAPES_EXPORT_DIR"] = str(tmp)
    ev = importlib.import_module("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling")
    if not hasattr(np, "in1d"):  # cityscapesscripts 2.3 calls np.in1d, gone in numpy 2.4
        np.in1d = lambda a, b, invert=False: np.isin(np.ravel(a), b, invert=invert)
    args = ev.args
    args.cityscapesPath = str(root)
    args.groundTruthSearch = os.path.join(str(root), "gtFine", "val", "*", "*_gtFine_labelIds.png")
    args.predictionPath, args.predictionWalk = None, None
    args.exportFile = os.path.join(str(tmp), "resultPixelLevelSemanticLabeling.json")
    args.quiet, args.colorized, args.bold, args.nocol = True, False, "", ""
    gts = glob.glob(args.groundTruthSearch)
    ensure(gts, f"Cannot find any ground truth images to use for evaluation. Searched for: {args.groundTruthSearch}")
    try:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            preds = [ev.getPrediction(args, gt) for gt in gts]
            result = ev.evaluateImgLists(preds, gts, args)
    except SystemExit:
        raise Failure("cityscapesScripts stopped: " + out.getvalue().strip().splitlines()[-1])
    return result["averageScoreClasses"], result["averageScoreInstClasses"], len(gts)


def check_cityscapes(export, expected):
    root = export / "cityscapes"
    cs = try_import("cityscapesscripts.helpers.csHelpers")
    ev = try_import("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling") if cs else None
    if cs is not None:
        labels = try_import("cityscapesscripts.helpers.labels")
        table = [(l.id, l.name, l.hasInstances, l.ignoreInEval, tuple(l.color)) for l in labels.labels if l.id >= 0]
        ensure(table == CS_LABELS, "cityscapesscripts' label table differs from this script's copy")
    shim = "" if hasattr(np, "in1d") else " (np.in1d shimmed for numpy >= 2.4)"
    how = (f"cityscapesscripts getCsFileInfo + evalPixelLevelSemanticLabeling{shim}" if ev is not None
           else "mirrored cityscapesScripts rules (cityscapesscripts not importable)")
    colors = {l[0]: l[4] for l in CS_LABELS}
    has_inst = {l[0]: l[2] for l in CS_LABELS}
    found = {}
    for s in SPLITS:
        imgs = sorted(glob.glob(str(root / "leftImg8bit" / s / "*" / "*.png")))
        found[s] = len(imgs)
        for f in glob.glob(str(root / "*" / s / "*" / "*")):
            city, seq, frame, typ, typ2, ext = cs_file_info(f, cs)
            ensure(city == Path(f).parent.name, f"{f}: city `{city}` is not its folder's name")
            ensure(len(seq) == 6 and seq.isdigit() and len(frame) == 6 and frame.isdigit(), f"{f}: sequence/frame not six digits")
        for img in imgs:
            city, seq, frame, typ, _, ext = cs_file_info(img, cs)
            ensure(typ == "leftImg8bit" and ext == "png", f"{img}: not a _leftImg8bit.png")
            core = f"{city}_{seq}_{frame}"
            gt = root / "gtFine" / s / city
            size, _ = open_image(img)
            lab = np.array(Image.open(gt / f"{core}_gtFine_labelIds.png"))
            ensure(lab.ndim == 2 and lab.dtype == np.uint8, f"{core}_gtFine_labelIds.png is not 8-bit single channel")
            ensure(lab.shape[::-1] == size, f"{core}: labelIds {lab.shape[::-1]} vs image {size}")
            bad = set(np.unique(lab).tolist()) - set(colors)
            ensure(not bad, f"{core}_gtFine_labelIds.png: ids {sorted(bad)} are not Cityscapes label ids")
            inst = np.array(Image.open(gt / f"{core}_gtFine_instanceIds.png")).astype(np.int64)
            ensure(inst.shape == lab.shape, f"{core}: instanceIds size differs")
            cls = np.where(inst >= 1000, inst // 1000, inst)
            ensure((cls == lab).all(), f"{core}_gtFine_instanceIds.png disagrees with labelIds")
            ensure(all(has_inst.get(int(c), False) for c in np.unique(inst[inst >= 1000] // 1000)),
                   f"{core}_gtFine_instanceIds.png: instance ids on a class without instances")
            color = np.array(Image.open(gt / f"{core}_gtFine_color.png").convert("RGB"))
            want = np.zeros_like(color)
            for i, c in colors.items():
                want[lab == i] = c
            ensure((color == want).all(), f"{core}_gtFine_color.png does not match the label colours")
    compare_counts("Cityscapes leftImg8bit images", found, expected)
    if not found["val"]:
        ensure(expected is not None and expected["val"] == 0, "no gtFine/val images to evaluate")
        return f"{how}: {found['train']} train, {found['test']} test images; no val split, evaluation skipped"
    tmp = Path(tempfile.mkdtemp(prefix="drivegen-cs-"))
    try:
        results = tmp / "results"
        results.mkdir()
        for gt in glob.glob(str(root / "gtFine" / "val" / "*" / "*_gtFine_labelIds.png")):
            shutil.copy(gt, results / os.path.basename(gt))
        if ev is not None:
            miou, miiou, n = cs_eval_real(root, results, tmp)
        else:
            miou, miiou, n = cs_eval_mirror(glob.glob(str(root / "gtFine" / "val" / "*" / "*_gtFine_labelIds.png")), results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ensure(n == found["val"], f"the evaluation found {n} ground-truth files for {found['val']} val images")
    ensure(abs(miou - 1.0) < 1e-9, f"ground truth as prediction scores mean IoU {miou}")
    ensure(np.isnan(miiou) or abs(miiou - 1.0) < 1e-9, f"ground truth as prediction scores mean iIoU {miiou}")
    return (f"{how}: train {found['train']}, val {found['val']}, test {found['test']} images; "
            f"val evaluation of {n} files, gt as prediction: mean IoU {miou:.3f}, iIoU {miiou:.3f}")


# ----------------------------------------------------------------------------------- main

CHECKS = {"yolo": check_yolo, "coco": check_coco, "kitti": check_kitti, "cityscapes": check_cityscapes}


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    export = Path(argv[1]).resolve()
    if not export.is_dir():
        print(f"{argv[1]}: not a directory", file=sys.stderr)
        return 2
    # Nothing may depend on where the user stands: run from an empty folder.
    here = tempfile.mkdtemp(prefix="drivegen-cwd-")
    os.chdir(here)
    expected = expected_counts(export)
    manifest = export / "export.json"
    if manifest.is_file():
        formats = [f for f in json.loads(manifest.read_text()).get("formats", []) if f in CHECKS]
    else:
        formats = [f for f in CHECKS if (export / f).is_dir()]
    passed = failed = 0
    if not formats:
        print(f"FAIL: no yolo, coco, kitti or cityscapes export in {export}")
        failed += 1
    for name in formats:
        try:
            detail = CHECKS[name](export, expected)
            print(f"PASS {name}: {detail}")
            passed += 1
        except Failure as e:
            print(f"FAIL {name}: {e}")
            failed += 1
        except Exception as e:  # a crash reading the export is a failed check too
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            failed += 1
    os.chdir("/")
    shutil.rmtree(here, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
