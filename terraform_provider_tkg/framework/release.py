"""Release artifacts of a provider in the formats Terraform and OpenTofu read, from a directory of built files.

- ``pack(directory, zip_path)``: the registry's package format, ``terraform-provider-<type>_<version>_<os>_<arch>.zip``
  holding the executable (and here the frozen build's ``_internal/`` directory). Reproducible: sorted names, fixed
  timestamps, Unix modes kept (the executable bit survives Terraform's unzip), no directory entries.
- ``h1_hash(zip_path)``: the ``h1:`` checksum Terraform computes of the unpacked package (Go's dirhash "Hash1"), and
  ``zh_hash(zip_path)``: the ``zh:`` checksum of the archive itself (the SHA-256 in ``SHA256SUMS``).
- ``write_sha256sums`` and ``write_network_mirror``: ``<name>_<version>_SHA256SUMS`` like a registry release, and the
  provider network mirror protocol as static files (``index.json``, ``<version>.json``) next to the zips, so the same
  directory is a packed ``filesystem_mirror`` too (Terraform ignores the JSON files there).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["h1_hash", "pack", "sha256_file", "write_network_mirror", "write_sha256sums", "zh_hash"]

# The earliest time a zip entry can carry (1980-01-01): every build gets the same bytes for the same files.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256_file(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pack(directory: Path, zip_path: Path) -> Path:
    """Zip every file under ``directory`` (paths relative to it) into ``zip_path``; returns ``zip_path``.

    Symbolic links are stored as the files they point to (Terraform unpacks regular files only).
    """
    files = sorted(path for path in Path(directory).rglob("*") if path.is_file())
    if not files:
        raise ValueError(f"{directory} holds no files")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    temp = zip_path.with_name(zip_path.name + ".tmp")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=_ZIP_EPOCH)
            mode = 0o755 if os.stat(path).st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so the mode above is honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    os.replace(temp, zip_path)
    return zip_path


def zh_hash(zip_path: Path) -> str:
    """The ``zh:`` lock-file checksum of a package archive (what ``SHA256SUMS`` lists)."""
    return "zh:" + sha256_file(zip_path)


def h1_hash(zip_path: Path) -> str:
    """The ``h1:`` lock-file checksum Terraform computes of the package once unpacked (Go's dirhash ``Hash1``).

    One line per file, sorted by name: ``<sha256 hex>  <name>\\n``; the checksum is the base64 SHA-256 of the lines.
    """
    summary = hashlib.sha256()
    with zipfile.ZipFile(zip_path) as archive:
        names = sorted(info.filename for info in archive.infolist() if not info.is_dir())
        for name in names:
            if "\n" in name:
                raise ValueError(f"file name with a newline in {zip_path}: {name!r}")
            with archive.open(name) as member:
                digest = hashlib.sha256()
                for chunk in iter(lambda: member.read(1 << 20), b""):
                    digest.update(chunk)
            summary.update(f"{digest.hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def write_sha256sums(directory: Path, product: str, version: str) -> Path:
    """``<product>_<version>_SHA256SUMS`` listing every ``<product>_<version>_*`` file in ``directory`` (zips and
    manifest), in ``sha256sum``'s format, so ``sha256sum -c`` checks a download."""
    prefix = f"{product}_{version}_"
    target = directory / f"{prefix}SHA256SUMS"
    files = sorted(p for p in directory.iterdir() if p.name.startswith(prefix) and p.is_file() and p != target)
    target.write_text("".join(f"{sha256_file(path)}  {path.name}\n" for path in files))
    return target


def write_network_mirror(
    mirror: Path,
    *,
    hostnames: Iterable[str],
    namespace: str,
    type_name: str,
    version: str,
    archives: Mapping[str, Path],
) -> list[Path]:
    """Add ``archives`` (``{"linux_amd64": zip path}``) for ``version`` to a static network mirror; return the
    ``<version>.json`` files written.

    Layout per host: ``<mirror>/<hostname>/<namespace>/<type>/{index.json, <version>.json, <zip>}``; each archive URL
    is relative (the zip sits next to the JSON), so any static web server serves the directory as it is. Versions and
    platforms already in the mirror are kept: building on each platform into one mirror adds up.
    """
    written = []
    for hostname in hostnames:
        directory = mirror / hostname / namespace / type_name
        directory.mkdir(parents=True, exist_ok=True)
        version_file = directory / f"{version}.json"
        listing: dict[str, dict[str, dict[str, object]]] = {"archives": {}}
        if version_file.exists():
            listing = json.loads(version_file.read_text())
        for platform_dir, archive in sorted(archives.items()):
            copy = directory / archive.name
            if not copy.exists() or not os.path.samefile(copy, archive):
                copy.unlink(missing_ok=True)
                try:
                    os.link(archive, copy)  # same bytes, no second copy on disk
                except OSError:
                    shutil.copyfile(archive, copy)
            listing["archives"][platform_dir] = {"url": archive.name, "hashes": [h1_hash(copy), zh_hash(copy)]}
        version_file.write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n")
        index_file = directory / "index.json"
        versions = {path.name.removesuffix(".json") for path in directory.glob("*.json") if path != index_file}
        index_file.write_text(json.dumps({"versions": {v: {} for v in sorted(versions)}}, indent=2) + "\n")
        written.append(version_file)
    return written
