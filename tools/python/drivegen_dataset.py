"""Read a drivegen native dataset from Python (numpy + pillow, nothing else).

    from drivegen_dataset import DrivegenDataset
    ds = DrivegenDataset("out/dataset", camera="front")

``len(ds)`` is the number of frames of that camera; ``ds[i]`` is a :class:`Frame` with

* ``image``     HxWx3 uint8 RGB, or ``None`` when the run was rendered with ``--no-rgb``
  (``rgb="raw"`` reads ``rgb/``, ``"refined"`` reads ``rgb_refined/`` written by
  ``render --refine``, ``"auto"`` (default) the refined frames when the run has them,
  ``"none"`` skips images);
* ``instance``  HxW uint16 instance ids: actor/prop ids as in ``labels["objects"][k]["id"]``
  (stable across frames), stuff as its Cityscapes id (road 7, sidewalk 8, guard rail 14,
  woodland 21, terrain 22), 0 = sky / nothing hit;
* ``semantic``  HxW uint8 Cityscapes labelIds (sky 23);
* ``depth``     HxW float32 z-depth in metres (the PNG holds metres x 256); pixels without
  a valid depth (sky, or farther than 256 m) are 0, or ``depth_invalid`` if given
  (e.g. ``float("nan")``);
* ``labels``    the frame's label JSON as a dict (``objects``, ``ego_pose``,
  ``camera_to_world``, ``collisions``, ``caption``, ...);
* ``variant``, ``frame``, ``camera`` and ``calibration`` (the camera's entry of
  ``vNNN/calibration.json``: ``width``, ``height``, ``k``, ``camera_to_ego``).

A frame unpacks as ``image, instance, semantic, depth, labels = ds[i]``. Frames are
ordered by (variant, frame). They come from ``journal.jsonl`` when the directory has one
(so a run still in progress or killed yields only finished frames), otherwise from the
``labels/*.json`` files (``index="journal"`` / ``"files"`` forces either).

``ds.lidar(i)`` reads the LiDAR sweep of frame i as a numpy structured array
(:data:`LIDAR_DTYPE`: x, y, z, intensity, instance, label_id). With PyTorch installed,
``ds.torch_dataset(transform)`` (or ``TorchDrivegenDataset(root, ...)``) is a
``torch.utils.data.Dataset`` of dicts of tensors; torch is never required otherwise.

``python3 drivegen_dataset.py DIR [--camera NAME]`` prints a summary of a dataset.
"""

from __future__ import annotations

import bisect
import errno
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
from PIL import Image

__all__ = [
    "DrivegenDataset",
    "Frame",
    "MissingFileError",
    "LIDAR_DTYPE",
    "SKY_LABEL_ID",
    "read_png",
    "read_depth",
    "read_lidar",
    "collate_frames",
]

#: One LiDAR return as written to ``vNNN/lidar/NNNNNN.bin`` (20 bytes, little-endian).
LIDAR_DTYPE = np.dtype(
    [
        ("x", "<f4"),
        ("y", "<f4"),
        ("z", "<f4"),
        ("intensity", "<f4"),
        ("instance", "<u2"),
        ("label_id", "u1"),
        ("pad", "u1"),
    ]
)
assert LIDAR_DTYPE.itemsize == 20

#: Cityscapes labelId of pixels where nothing was hit (instance id 0).
SKY_LABEL_ID = 23
#: Depth PNGs store metres x DEPTH_SCALE.
DEPTH_SCALE = 256.0

_VARIANT_DIR = re.compile(r"^v(\d{3,})$")


class MissingFileError(FileNotFoundError):
    """A FileNotFoundError whose message names the path and gives a hint on a second line."""

    def __init__(self, path: str, hint: str) -> None:
        super().__init__(f"{path}: not found\n  = hint: {hint}")
        self.filename = path
        self.errno = errno.ENOENT

    def __str__(self) -> str:
        return self.args[0]


_missing = MissingFileError


def read_png(path: str) -> np.ndarray:
    """A PNG as a numpy array; 16-bit greyscale comes back as uint16, whatever Pillow's mode."""
    if not os.path.isfile(path):
        raise _missing(path, "the frame's files are incomplete; was the dataset copied in full?")
    with Image.open(path) as img:
        mode = img.mode
        arr = np.array(img)
    if mode.startswith("I"):
        # 16-bit greyscale: "I;16" (uint16), "I;16B" (big-endian) or "I" (int32) depending
        # on the Pillow version; all hold 0..65535.
        arr = arr.astype(np.uint16)
    return arr


def read_depth(path: str, invalid: float = 0.0) -> np.ndarray:
    """A depth PNG as float32 metres; invalid pixels (stored as 0) get ``invalid``."""
    raw = read_png(path)
    if raw.dtype != np.uint16:
        raise ValueError(f"{path}: expected a 16-bit depth PNG, got {raw.dtype}")
    depth = raw.astype(np.float32) / np.float32(DEPTH_SCALE)
    if invalid != 0.0:
        depth[raw == 0] = invalid
    return depth


def read_lidar(path: str) -> np.ndarray:
    """A LiDAR sweep as a structured array of :data:`LIDAR_DTYPE` (partial records dropped)."""
    if not os.path.isfile(path):
        raise _missing(path, "LiDAR sweeps exist only when the scenario's sensors have a lidar")
    data = np.fromfile(path, dtype=np.uint8)
    n = data.size // LIDAR_DTYPE.itemsize
    return data[: n * LIDAR_DTYPE.itemsize].view(LIDAR_DTYPE)


def _read_json(path: str) -> Any:
    with open(path, "rb") as f:
        return json.load(f)


@dataclass
class Frame:
    """One camera image of one capture with its labels.

    Unpacks (``for image, instance, semantic, depth, labels in ds``) as those five fields.
    """

    image: Optional[np.ndarray]
    instance: np.ndarray
    semantic: np.ndarray
    depth: np.ndarray
    labels: Dict[str, Any]
    variant: int
    frame: int
    camera: str
    calibration: Dict[str, Any] = field(repr=False)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.image, self.instance, self.semantic, self.depth, self.labels))

    def __repr__(self) -> str:
        h, w = self.instance.shape
        return (
            f"Frame(variant={self.variant}, frame={self.frame}, camera={self.camera!r}, "
            f"{w}x{h}, rgb={self.image is not None}, objects={len(self.objects)})"
        )

    @property
    def objects(self) -> List[Dict[str, Any]]:
        """The labelled objects (``labels["objects"]``)."""
        return self.labels.get("objects", [])

    @property
    def K(self) -> np.ndarray:
        """The 3x3 camera intrinsics."""
        return np.asarray(self.calibration["k"], dtype=np.float64)

    def mask(self, object_id: int) -> np.ndarray:
        """Boolean HxW mask of an object's visible pixels."""
        return self.instance == object_id


class DrivegenDataset:
    """The frames of one camera of a drivegen native dataset (see the module docstring).

    Parameters: ``root`` the directory given to ``drivegen render --out`` (or written by
    ``merge``/``augment``); ``camera`` a camera name from ``run.json`` (default: the
    first); ``rgb`` ``"auto"`` | ``"raw"`` | ``"refined"`` | ``"none"``; ``variants`` an
    optional subset of variant numbers; ``depth_invalid`` the value for pixels without
    depth (default 0.0); ``index`` ``"auto"`` | ``"journal"`` | ``"files"``.
    """

    def __init__(
        self,
        root: str,
        camera: Optional[str] = None,
        rgb: str = "auto",
        variants: Optional[List[int]] = None,
        depth_invalid: float = 0.0,
        index: str = "auto",
    ) -> None:
        self.root = os.fspath(root)
        if rgb not in ("auto", "raw", "refined", "none"):
            raise ValueError(f"rgb={rgb!r}: expected 'auto', 'raw', 'refined' or 'none'")
        if index not in ("auto", "journal", "files"):
            raise ValueError(f"index={index!r}: expected 'auto', 'journal' or 'files'")
        self.depth_invalid = float(depth_invalid)
        self.run = self._open_run()
        cameras = list(self.run.get("cameras", []))
        self.cameras: List[str] = cameras
        if camera is None:
            if not cameras:
                raise _missing(
                    os.path.join(self.root, "v000", "<camera>"),
                    f"no camera directories found under {self.root}",
                )
            camera = cameras[0]
        elif camera not in cameras:
            raise _missing(
                os.path.join(self.root, "v000", camera),
                f"no camera {camera!r} in this dataset; cameras: {', '.join(cameras) or 'none'}",
            )
        self.camera: str = camera
        run_variants = [int(v) for v in self.run.get("variants", [])]
        if variants is not None:
            unknown = sorted(set(int(v) for v in variants) - set(run_variants))
            if unknown:
                raise ValueError(
                    f"variants {unknown} are not in {self.root} (it has {run_variants})"
                )
            run_variants = sorted(set(int(v) for v in variants))
        self.variants: List[int] = run_variants
        self._calibration: Dict[int, Dict[str, Any]] = {}
        self.index_source, self.keys = self._index(index)
        self.rgb_dir = self._rgb_dir(rgb)

    # ---- opening ----------------------------------------------------------------------

    def _open_run(self) -> Dict[str, Any]:
        root = self.root
        if not os.path.isdir(root):
            raise _missing(root, "pass the directory given to `drivegen render --out` (default out/dataset)")
        path = os.path.join(root, "run.json")
        if os.path.isfile(path):
            return _read_json(path)
        shards = sorted(d for d in os.listdir(root) if d.startswith("shard-"))
        if shards:
            raise _missing(
                path,
                f"{root} holds shards ({', '.join(shards[:3])}{', ...' if len(shards) > 3 else ''}): "
                f"open one shard, or `drivegen merge MERGED {root}/shard-*` first",
            )
        # No run.json (e.g. a partial copy): fall back to what the directories hold.
        variants = sorted(
            int(m.group(1))
            for d in os.listdir(root)
            if (m := _VARIANT_DIR.match(d)) and os.path.isdir(os.path.join(root, d))
        )
        if not variants:
            raise _missing(
                path,
                f"{root} is not a drivegen dataset (no run.json, no v000/ directories); "
                "pass the directory given to `drivegen render --out`",
            )
        first = os.path.join(root, f"v{variants[0]:03d}")
        cameras = sorted(
            d for d in os.listdir(first) if os.path.isdir(os.path.join(first, d, "labels"))
        )
        return {"variants": variants, "cameras": cameras, "rgb": None}

    def _camera_dir(self, variant: int) -> str:
        return os.path.join(self.root, f"v{variant:03d}", self.camera)

    def _index(self, how: str) -> Tuple[str, List[Tuple[int, int]]]:
        journal = os.path.join(self.root, "journal.jsonl")
        wanted = set(self.variants)
        if how == "journal" or (how == "auto" and os.path.isfile(journal)):
            if not os.path.isfile(journal):
                raise _missing(journal, "this dataset has no journal; use index='files'")
            keys = set()
            with open(journal, "r", encoding="utf-8") as f:
                for line in f:
                    try:
                        e = json.loads(line)
                    except ValueError:
                        continue  # a torn last line from a crash mid-write
                    if e.get("sensor") == self.camera and int(e["variant"]) in wanted:
                        keys.add((int(e["variant"]), int(e["frame"])))
            return "journal", sorted(keys)
        keys = []
        dirs = [os.path.join(self._camera_dir(v), "labels") for v in self.variants]
        if dirs and not any(os.path.isdir(d) for d in dirs):
            raise _missing(dirs[0], f"no frames of camera {self.camera!r}; is the copy complete?")
        for v, labels in zip(self.variants, dirs):
            if not os.path.isdir(labels):
                continue  # a variant not rendered yet (killed run without a journal)
            for name in os.listdir(labels):
                stem, ext = os.path.splitext(name)
                if ext == ".json" and stem.isdigit():
                    keys.append((v, int(stem)))
        return "files", sorted(keys)

    def _rgb_dir(self, rgb: str) -> Optional[str]:
        if rgb == "none":
            return None
        if rgb == "raw":
            return "rgb"
        has_refined = bool(self.run.get("refiner")) or any(
            os.path.isdir(os.path.join(self._camera_dir(v), "rgb_refined")) for v in self.variants
        )
        if rgb == "refined":
            if not has_refined:
                raise _missing(
                    os.path.join(self._camera_dir(self.variants[0] if self.variants else 0), "rgb_refined"),
                    "this run has no refined frames; render with `--refine default` or use rgb='raw'",
                )
            return "rgb_refined"
        return "rgb_refined" if has_refined else "rgb"

    # ---- access -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[Frame]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return (
            f"DrivegenDataset({self.root!r}, camera={self.camera!r}, frames={len(self)}, "
            f"variants={self.variants}, rgb={self.rgb_dir or 'none'}, index={self.index_source})"
        )

    def _key(self, i: int) -> Tuple[int, int]:
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f"frame index must be an int, not {type(i).__name__}")
        n = len(self.keys)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"frame index {i} out of range for {n} frames")
        return self.keys[int(i)]

    def calibration(self, variant: int) -> Dict[str, Any]:
        """``vNNN/calibration.json`` of a variant (all cameras, and ``lidar_to_ego``)."""
        if variant not in self._calibration:
            path = os.path.join(self.root, f"v{variant:03d}", "calibration.json")
            if not os.path.isfile(path):
                raise _missing(path, "every variant directory has a calibration.json; is the copy complete?")
            self._calibration[variant] = _read_json(path)
        return self._calibration[variant]

    def camera_calibration(self, variant: int) -> Dict[str, Any]:
        """This camera's entry of a variant's calibration (width, height, k, camera_to_ego)."""
        for cam in self.calibration(variant).get("cameras", []):
            if cam.get("name") == self.camera:
                return cam
        raise KeyError(f"camera {self.camera!r} is not in v{variant:03d}/calibration.json")

    def path(self, i: int, kind: str) -> str:
        """The file of frame i of a kind: rgb, rgb_refined, instance, semantic, depth, labels, lidar."""
        variant, frame = self._key(i)
        if kind == "lidar":
            return os.path.join(self.root, f"v{variant:03d}", "lidar", f"{frame:06d}.bin")
        ext = "json" if kind == "labels" else "png"
        return os.path.join(self._camera_dir(variant), kind, f"{frame:06d}.{ext}")

    def image(self, i: int) -> Optional[np.ndarray]:
        """HxWx3 uint8 RGB of frame i, or None when the run has no RGB (``--no-rgb``)."""
        if self.rgb_dir is None:
            return None
        path = self.path(i, self.rgb_dir)
        if not os.path.isfile(path):
            if self.rgb_dir == "rgb" and (
                self.run.get("rgb") is False or not os.path.isdir(os.path.dirname(path))
            ):
                return None  # rendered with --no-rgb
            hint = (
                "frame not refined; use rgb='raw'"
                if self.rgb_dir == "rgb_refined"
                else "the frame's files are incomplete"
            )
            raise _missing(path, hint)
        arr = read_png(path)
        if arr.ndim == 3 and arr.shape[2] == 4:
            arr = arr[:, :, :3]
        return np.ascontiguousarray(arr, dtype=np.uint8)

    def labels(self, i: int) -> Dict[str, Any]:
        path = self.path(i, "labels")
        if not os.path.isfile(path):
            raise _missing(path, "the journal lists this frame but its labels are gone")
        return _read_json(path)

    def __getitem__(self, i: int) -> Frame:
        variant, frame = self._key(i)
        return Frame(
            image=self.image(i),
            instance=read_png(self.path(i, "instance")),
            semantic=read_png(self.path(i, "semantic")),
            depth=read_depth(self.path(i, "depth"), self.depth_invalid),
            labels=self.labels(i),
            variant=variant,
            frame=frame,
            camera=self.camera,
            calibration=self.camera_calibration(variant),
        )

    def get(self, variant: int, frame: int) -> Frame:
        """The frame with these numbers (KeyError when it is not in the dataset)."""
        return self[self.find(variant, frame)]

    def find(self, variant: int, frame: int) -> int:
        """The index of (variant, frame)."""
        j = bisect.bisect_left(self.keys, (variant, frame))
        if j < len(self.keys) and self.keys[j] == (variant, frame):
            return j
        raise KeyError(f"no frame {frame} of variant {variant} for camera {self.camera!r}")

    def lidar(self, i: int) -> np.ndarray:
        """The LiDAR sweep captured with frame i (structured array of LIDAR_DTYPE)."""
        path = self.path(i, "lidar")
        if not os.path.isfile(path) and self.run.get("lidar") is False:
            raise _missing(path, "this run has no LiDAR (run.json lidar: false); add one to the scenario's sensors")
        return read_lidar(path)

    def torch_dataset(self, transform=None):
        """This dataset as a ``torch.utils.data.Dataset`` (needs PyTorch)."""
        return _make_torch_class()(self, transform=transform)


# ---- PyTorch (optional) -------------------------------------------------------------------


def collate_frames(samples):
    """A DataLoader ``collate_fn``: stacks the tensors, keeps ``labels`` as a list of dicts."""
    import torch

    out = {}
    for key in samples[0]:
        values = [s[key] for s in samples]
        if isinstance(values[0], torch.Tensor):
            out[key] = torch.stack(values)
        elif isinstance(values[0], (int, float)):
            out[key] = torch.tensor(values)
        else:
            out[key] = values
    return out


_torch_class = None


def _make_torch_class():
    global _torch_class
    if _torch_class is not None:
        return _torch_class
    try:
        import torch
        from torch.utils.data import Dataset
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "TorchDrivegenDataset needs PyTorch (pip install torch); "
            "DrivegenDataset works without it"
        ) from e

    class TorchDrivegenDataset(Dataset):
        """A drivegen dataset as a map-style ``torch.utils.data.Dataset``.

        Each sample is a dict: ``image`` uint8 3xHxW (absent without RGB), ``instance``
        int32 HxW, ``semantic`` int64 HxW, ``depth`` float32 HxW (metres), ``labels`` the
        label dict, ``variant``/``frame`` ints; ``transform(sample)`` is applied last.
        Batch with ``collate_fn=collate_frames`` (object lists differ in length).
        """

        def __init__(self, root, transform=None, **kwargs):
            self.dataset = root if isinstance(root, DrivegenDataset) else DrivegenDataset(root, **kwargs)
            self.transform = transform

        def __len__(self):
            return len(self.dataset)

        def __getitem__(self, i):
            f = self.dataset[i]
            sample = {
                "instance": torch.from_numpy(f.instance.astype(np.int32)),
                "semantic": torch.from_numpy(f.semantic.astype(np.int64)),
                "depth": torch.from_numpy(np.ascontiguousarray(f.depth)),
                "labels": f.labels,
                "variant": f.variant,
                "frame": f.frame,
            }
            if f.image is not None:
                sample["image"] = torch.from_numpy(np.ascontiguousarray(f.image.transpose(2, 0, 1)))
            if self.transform is not None:
                sample = self.transform(sample)
            return sample

    _torch_class = TorchDrivegenDataset
    return _torch_class


def __getattr__(name):
    # `from drivegen_dataset import TorchDrivegenDataset` imports torch only when asked.
    if name == "TorchDrivegenDataset":
        return _make_torch_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- command line -------------------------------------------------------------------------


def _main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Summarise a drivegen native dataset.")
    p.add_argument("root")
    p.add_argument("--camera")
    p.add_argument("--rgb", default="auto", choices=["auto", "raw", "refined", "none"])
    a = p.parse_args(argv)
    try:
        ds = DrivegenDataset(a.root, camera=a.camera, rgb=a.rgb)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(ds)
    for f in ds:
        visible = sum(1 for o in f.objects if o.get("visible_pixels", 0) > 0)
        print(
            f"v{f.variant:03d} {f.frame:06d} {f.camera}: {f.instance.shape[1]}x{f.instance.shape[0]} "
            f"rgb={'yes' if f.image is not None else 'no'} objects={len(f.objects)} visible={visible}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
