"""framework/release.py: reproducible package zips, Terraform's checksums, SHA256SUMS and the network mirror files."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from terraform_provider_tkg.framework import release


def make_build(root: Path) -> Path:
    build = root / "build"
    (build / "_internal" / "lib").mkdir(parents=True)
    (build / "terraform-provider-x_v1.0.0").write_text("#!/bin/sh\necho hi\n")
    os.chmod(build / "terraform-provider-x_v1.0.0", 0o755)
    (build / "_internal" / "lib" / "data.bin").write_bytes(b"\0" * 1000)
    return build


def test_pack_is_reproducible_keeps_modes_and_stores_only_files(tmp_path: Path) -> None:
    build = make_build(tmp_path)
    first = release.pack(build, tmp_path / "a.zip")
    os.utime(build / "_internal" / "lib" / "data.bin", (0, 0))  # timestamps do not matter
    second = release.pack(build, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    assert sorted(infos) == ["_internal/lib/data.bin", "terraform-provider-x_v1.0.0"]
    assert (infos["terraform-provider-x_v1.0.0"].external_attr >> 16) & 0o777 == 0o755
    assert (infos["_internal/lib/data.bin"].external_attr >> 16) & 0o777 == 0o644


def test_h1_matches_the_checksum_terraform_recorded_for_the_same_package(tmp_path: Path) -> None:
    # Terraform 1.11.4 wrote this h1: into .terraform.lock.hcl for a zip holding exactly this one file.
    archive = tmp_path / "terraform-provider-tkg_0.1.0_linux_amd64.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("terraform-provider-tkg_v0.1.0", "#!/bin/sh\necho hi\n")
    assert release.h1_hash(archive) == "h1:+fnQtzxvnagP9vx+ekQ9ViRCcDbwoxFakJ7FbeMpr3k="
    assert release.zh_hash(archive) == "zh:" + release.sha256_file(archive)


def test_sha256sums_lists_the_versions_files_in_sha256sum_format(tmp_path: Path) -> None:
    (tmp_path / "p_1.0.0_linux_amd64.zip").write_bytes(b"zip")
    (tmp_path / "p_1.0.0_manifest.json").write_text("{}")
    (tmp_path / "p_0.9.0_linux_amd64.zip").write_bytes(b"old")
    sums = release.write_sha256sums(tmp_path, "p", "1.0.0")
    assert sums.name == "p_1.0.0_SHA256SUMS"
    assert sums.read_text() == (
        f"{release.sha256_file(tmp_path / 'p_1.0.0_linux_amd64.zip')}  p_1.0.0_linux_amd64.zip\n"
        f"{release.sha256_file(tmp_path / 'p_1.0.0_manifest.json')}  p_1.0.0_manifest.json\n"
    )


def test_network_mirror_adds_platforms_and_versions(tmp_path: Path) -> None:
    zips = {}
    for platform_dir in ("linux_amd64", "darwin_arm64"):
        build = make_build(tmp_path / platform_dir)
        zips[platform_dir] = release.pack(build, tmp_path / f"p_1.0.0_{platform_dir}.zip")
    mirror = tmp_path / "mirror"
    common = {"hostnames": ["registry.terraform.io"], "namespace": "ns", "type_name": "x"}
    release.write_network_mirror(mirror, version="1.0.0", archives={"linux_amd64": zips["linux_amd64"]}, **common)
    release.write_network_mirror(mirror, version="1.0.0", archives={"darwin_arm64": zips["darwin_arm64"]}, **common)
    release.write_network_mirror(mirror, version="0.9.0", archives={"linux_amd64": zips["linux_amd64"]}, **common)

    directory = mirror / "registry.terraform.io/ns/x"
    assert json.loads((directory / "index.json").read_text()) == {"versions": {"0.9.0": {}, "1.0.0": {}}}
    listing = json.loads((directory / "1.0.0.json").read_text())
    assert sorted(listing["archives"]) == ["darwin_arm64", "linux_amd64"]
    entry = listing["archives"]["darwin_arm64"]
    assert entry["url"] == "p_1.0.0_darwin_arm64.zip"  # relative: the zip sits next to the JSON
    assert (directory / entry["url"]).read_bytes() == zips["darwin_arm64"].read_bytes()
    assert entry["hashes"] == [release.h1_hash(zips["darwin_arm64"]), release.zh_hash(zips["darwin_arm64"])]
