"""Tests of drivegen_dataset.py against datasets rendered by the drivegen binary.

The binary is $DRIVEGEN_BIN or $CARGO_TARGET_DIR/debug/drivegen (built by `cargo build
-p drivegen` or `cargo test`). Without it the tests skip, except under CI=true, where
they fail.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import drivegen_dataset as dd  # noqa: E402
from drivegen_dataset import DrivegenDataset  # noqa: E402

WIDTH, HEIGHT = 160, 96
STUFF_IDS = {7, 8, 14, 21, 22}  # road, sidewalk, guard rail, woodland, terrain: instance id = Cityscapes id


def _on_ci():
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(msg):
    if _on_ci():
        pytest.fail(msg + " (CI=true: the Python reader must be tested)")
    pytest.skip(msg)


def _binary():
    explicit = os.environ.get("DRIVEGEN_BIN")
    if explicit:
        return Path(explicit)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/drivegen-target"))
    return Path(target) / "debug" / "drivegen"


def _render(out, *args):
    exe = _binary()
    if not exe.is_file():
        _unavailable(
            f"drivegen binary not found at {exe}: run `cargo build -p drivegen` "
            "(with tools/common.sh sourced) or set DRIVEGEN_BIN"
        )
    env = dict(os.environ)
    for batch_index in ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"):
        env.pop(batch_index, None)  # would make the render a shard
    if not env.get("XDG_RUNTIME_DIR"):
        runtime = Path(os.environ.get("TMPDIR", "/tmp")) / f"drivegen-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    cmd = [str(exe), "--quiet", "render", *args, "--width", str(WIDTH), "--height", str(HEIGHT), "--out", str(out)]
    p = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    return p, cmd


@pytest.fixture(scope="session")
def labels_only(tmp_path_factory):
    """Default scenario, 2 variants x 4 frames, labels only (--no-rgb)."""
    out = tmp_path_factory.mktemp("ds") / "labels_only"
    p, cmd = _render(out, "--no-rgb", "--frames", "4", "--variants", "2")
    assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}"
    return out


@pytest.fixture(scope="session")
def with_lidar(tmp_path_factory):
    """Highway merge (camera + LiDAR), 1 variant x 2 frames, labels only."""
    out = tmp_path_factory.mktemp("ds") / "lidar"
    p, cmd = _render(
        out, str(REPO / "scenarios" / "highway_merge.ron"), "--no-rgb", "--frames", "2", "--variants", "1"
    )
    assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}"
    return out


@pytest.fixture(scope="session")
def with_rgb(tmp_path_factory):
    """Default scenario with RGB and the shipped refiner (rgb/ and rgb_refined/)."""
    out = tmp_path_factory.mktemp("ds") / "rgb"
    p, cmd = _render(out, "--frames", "2", "--variants", "1", "--refine", "default")
    if p.returncode != 0:
        _unavailable(f"RGB render failed (no working Vulkan?): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return out


def _journal(root, sensor):
    entries = [json.loads(l) for l in (root / "journal.jsonl").read_text().splitlines() if l.strip()]
    return sorted((e["variant"], e["frame"]) for e in entries if e["sensor"] == sensor)


# ---- indexing and order -------------------------------------------------------------------


def test_two_lines_open_a_dataset_in_stable_variant_frame_order(labels_only):
    ds = DrivegenDataset(str(labels_only), camera="front")
    run = json.loads((labels_only / "run.json").read_text())
    assert ds.variants == run["variants"] == [0, 1]
    assert ds.index_source == "journal"
    assert len(ds) == 2 * 4 == len(list(labels_only.glob("v*/front/labels/*.json")))
    assert ds.keys == sorted(ds.keys) == _journal(labels_only, "front")
    assert ds.keys == [(v, f) for v in (0, 1) for f in range(4)]
    # The files agree with the journal on a finished run.
    assert DrivegenDataset(labels_only, index="files").keys == ds.keys
    for i, f in enumerate(ds):
        assert (f.variant, f.frame) == ds.keys[i]
        assert f.camera == "front" == f.labels["camera"]
        assert f.labels["frame"] == f.frame
    assert ds[-1].frame == 3 and ds[-1].variant == 1
    assert ds.find(1, 2) == 6 and ds.get(1, 2).frame == 2
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(KeyError):
        ds.find(5, 0)


def test_default_camera_is_the_first_and_variants_subset(labels_only):
    ds = DrivegenDataset(labels_only)
    assert ds.camera == "front" and ds.cameras == ["front"]
    sub = DrivegenDataset(labels_only, variants=[1])
    assert sub.keys == [(1, f) for f in range(4)]
    with pytest.raises(ValueError, match="variants"):
        DrivegenDataset(labels_only, variants=[7])


def test_journal_index_yields_only_finished_frames(labels_only, tmp_path):
    # A killed run: files of frames the journal does not list are not trusted.
    copy = tmp_path / "killed"
    shutil.copytree(labels_only, copy)
    lines = (copy / "journal.jsonl").read_text().splitlines()
    kept = [l for l in lines if json.loads(l)["frame"] < 2]
    (copy / "journal.jsonl").write_text("\n".join(kept) + '\n{"variant": 1, "fra')  # torn last line
    (copy / "manifest.json").unlink(missing_ok=True)
    ds = DrivegenDataset(copy)
    assert ds.keys == [(v, f) for v in (0, 1) for f in range(2)]
    assert len(DrivegenDataset(copy, index="files")) == 8
    # Without a journal the files decide.
    (copy / "journal.jsonl").unlink()
    files = DrivegenDataset(copy)
    assert files.index_source == "files" and len(files) == 8
    with pytest.raises(FileNotFoundError, match="journal"):
        DrivegenDataset(copy, index="journal")


# ---- contents -----------------------------------------------------------------------------


def test_shapes_and_dtypes_match_the_calibration(labels_only):
    ds = DrivegenDataset(labels_only, camera="front")
    calib = json.loads((labels_only / "v000" / "calibration.json").read_text())
    (cam,) = [c for c in calib["cameras"] if c["name"] == "front"]
    f = ds[0]
    assert f.calibration == cam
    assert f.K.shape == (3, 3) and f.K[0, 0] > 0
    h, w = cam["height"], cam["width"]
    assert (w, h) == (WIDTH, HEIGHT)
    image, instance, semantic, depth, labels = f  # unpacks as the five arrays/dicts
    assert image is None  # --no-rgb
    assert instance.shape == (h, w) and instance.dtype == np.uint16
    assert semantic.shape == (h, w) and semantic.dtype == np.uint8
    assert depth.shape == (h, w) and depth.dtype == np.float32
    assert isinstance(labels, dict) and "objects" in labels and "ego_pose" in labels


def test_instance_ids_match_the_labelled_objects(labels_only):
    ds = DrivegenDataset(labels_only)
    seen = 0
    for f in ds:
        ids, counts = np.unique(f.instance, return_counts=True)
        pixels = dict(zip(ids.tolist(), counts.tolist()))
        objects = {o["id"]: o for o in f.objects}
        for oid, o in objects.items():
            assert pixels.get(oid, 0) == o["visible_pixels"], (f, oid)
            if o["visible_pixels"] > 0:
                seen += 1
                x0, y0, x1, y1 = o["tight_box"]
                ys, xs = np.nonzero(f.mask(oid))
                assert x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() and ys.max() <= y1
        # Every other id in the image is sky (0), stuff (its Cityscapes id), or a thing
        # beyond the 150 m label range (centre distance; its nearest pixels may be closer).
        for oid in set(pixels) - set(objects) - {0} - STUFF_IDS:
            assert oid >= 100 and f.depth[f.mask(oid)].min() > 120, (f, oid)
    assert seen >= 4, "the test scenes should show some objects"


def test_semantic_is_the_label_id_of_each_instance(labels_only):
    ds = DrivegenDataset(labels_only)
    for f in ds:
        assert np.all(f.semantic[f.instance == 0] == dd.SKY_LABEL_ID)
        for sid in STUFF_IDS:
            assert np.all(f.semantic[f.instance == sid] == sid)
        for o in f.objects:
            if o["visible_pixels"]:
                assert np.all(f.semantic[f.mask(o["id"])] == o["cityscapes_id"])
    assert (f.semantic == 7).any(), "road should be in view"


def test_depth_is_metres_and_zero_only_where_invalid(labels_only):
    ds = DrivegenDataset(labels_only)
    raw = dd.read_png(ds.path(0, "depth"))
    assert raw.dtype == np.uint16
    np.testing.assert_array_equal(ds[0].depth, raw.astype(np.float32) / 256.0)
    for f in ds:
        assert np.all(f.depth[f.instance == 0] == 0)  # sky
        hit = f.instance != 0
        # Everything hit has a depth, except terrain beyond the 256 m the PNG can hold.
        far = hit & (f.depth == 0)
        assert np.all(f.instance[far] == 22), "only far terrain may lack a depth"
        assert f.depth[hit].max() < 256
        for o in f.objects:
            if o["visible_pixels"]:
                b = o["box3d"]
                reach = float(np.sqrt(b["l"] ** 2 + b["w"] ** 2 + b["h"] ** 2)) + 0.05
                d = f.depth[f.mask(o["id"])]
                assert d.min() > 0
                assert b["z"] - reach <= d.min() and d.max() <= b["z"] + reach, (o["id"], b, d.min(), d.max())
    nan = DrivegenDataset(labels_only, depth_invalid=float("nan"))[0]
    assert np.all(np.isnan(nan.depth[nan.instance == 0]))
    assert not np.isnan(nan.depth[nan.depth > 0]).any()


# ---- LiDAR --------------------------------------------------------------------------------


def test_lidar_sweep_is_a_structured_array(with_lidar):
    ds = DrivegenDataset(with_lidar, camera="front")
    assert len(ds) == 2
    pts = ds.lidar(0)
    path = with_lidar / "v000" / "lidar" / "000000.bin"
    assert pts.dtype == dd.LIDAR_DTYPE and pts.dtype.itemsize == 20
    assert len(pts) == path.stat().st_size // 20 > 100
    xyz = np.stack([pts["x"], pts["y"], pts["z"]], axis=1)
    assert np.isfinite(xyz).all()
    assert np.linalg.norm(xyz, axis=1).max() <= 120.5  # the scenario's range
    # Points on labelled objects carry the object's Cityscapes id.
    classes = {o["id"]: o["cityscapes_id"] for o in ds[0].objects}
    on_objects = np.isin(pts["instance"], list(classes))
    assert on_objects.any()
    for inst, label in zip(pts["instance"][on_objects], pts["label_id"][on_objects]):
        assert label == classes[int(inst)]
    assert np.all(pts["label_id"][np.isin(pts["instance"], list(STUFF_IDS))] == pts["instance"][np.isin(pts["instance"], list(STUFF_IDS))])


def test_lidar_of_a_run_without_lidar_names_the_file(labels_only):
    with pytest.raises(FileNotFoundError, match=r"lidar.*000000\.bin[\s\S]*no LiDAR"):
        DrivegenDataset(labels_only).lidar(0)


# ---- RGB ----------------------------------------------------------------------------------


def test_rgb_raw_refined_and_auto(with_rgb):
    auto = DrivegenDataset(with_rgb, camera="front")
    assert auto.rgb_dir == "rgb_refined"
    raw = DrivegenDataset(with_rgb, rgb="raw")
    refined = DrivegenDataset(with_rgb, rgb="refined")
    a, r, s = auto[1], raw[1], refined[1]
    assert r.image.shape == (HEIGHT, WIDTH, 3) and r.image.dtype == np.uint8
    assert r.image.std() > 5, "a rendered frame is not flat"
    np.testing.assert_array_equal(a.image, s.image)
    assert s.image.shape == r.image.shape
    assert not np.array_equal(r.image, s.image), "the refiner changes the pixels"
    np.testing.assert_array_equal(r.instance, s.instance)  # labels are shared
    assert DrivegenDataset(with_rgb, rgb="none")[0].image is None


def test_rgb_auto_is_raw_without_a_refiner(labels_only):
    # --no-rgb: no images at all, and asking for refined ones says how to get them.
    assert DrivegenDataset(labels_only, rgb="raw")[0].image is None
    with pytest.raises(FileNotFoundError, match="rgb_refined[\\s\\S]*--refine"):
        DrivegenDataset(labels_only, rgb="refined")
    with pytest.raises(ValueError, match="rgb="):
        DrivegenDataset(labels_only, rgb="sometimes")


# ---- errors -------------------------------------------------------------------------------


def test_wrong_directory_names_the_path_and_hints(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as e:
        DrivegenDataset(missing)
    assert str(missing) in str(e.value) and "drivegen render --out" in str(e.value)
    assert e.value.filename == str(missing)
    with pytest.raises(FileNotFoundError, match="not a drivegen dataset"):
        DrivegenDataset(tmp_path)
    (tmp_path / "shard-0-of-2").mkdir()
    with pytest.raises(FileNotFoundError, match="drivegen merge"):
        DrivegenDataset(tmp_path)


def test_wrong_camera_lists_the_cameras(labels_only):
    with pytest.raises(FileNotFoundError) as e:
        DrivegenDataset(labels_only, camera="rear")
    msg = str(e.value)
    assert str(labels_only / "v000" / "rear") in msg and "cameras: front" in msg


def test_missing_frame_file_names_it(labels_only, tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(labels_only, copy)
    gone = copy / "v000" / "front" / "semantic" / "000001.png"
    gone.unlink()
    ds = DrivegenDataset(copy)
    ds[0]
    with pytest.raises(FileNotFoundError, match=str(gone)):
        ds[1]


def test_command_line_summary(labels_only, tmp_path):
    script = HERE / "drivegen_dataset.py"
    p = subprocess.run([sys.executable, str(script), str(labels_only)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("DrivegenDataset(") and len(lines) == 1 + 8
    assert lines[1].startswith("v000 000000 front: 160x96 rgb=no objects=")
    bad = subprocess.run([sys.executable, str(script), str(tmp_path / "x")], capture_output=True, text=True)
    assert bad.returncode == 2 and "hint" in bad.stderr


# ---- PyTorch (only where it is installed) -------------------------------------------------


def test_torch_dataset(request):
    torch = pytest.importorskip("torch")
    labels_only = request.getfixturevalue("labels_only")
    ds = DrivegenDataset(labels_only).torch_dataset()
    assert isinstance(ds, torch.utils.data.Dataset) and len(ds) == 8
    s = ds[0]
    assert s["instance"].shape == (HEIGHT, WIDTH) and s["semantic"].dtype == torch.int64
    assert s["depth"].dtype == torch.float32 and "image" not in s
    loader = torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=dd.collate_frames)
    batch = next(iter(loader))
    assert batch["depth"].shape == (4, HEIGHT, WIDTH) and len(batch["labels"]) == 4
    from drivegen_dataset import TorchDrivegenDataset

    flipped = TorchDrivegenDataset(str(labels_only), transform=lambda s: {**s, "depth": s["depth"].flip(-1)})
    assert torch.equal(flipped[0]["depth"], s["depth"].flip(-1))


def test_torch_is_optional():
    if "torch" in sys.modules or _importable("torch"):
        pytest.skip("torch is installed")
    with pytest.raises(ImportError, match="pip install torch"):
        from drivegen_dataset import TorchDrivegenDataset  # noqa: F401


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None
