"""``include`` reads no file outside the owner's home, and a refused include echoes nothing of it."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from security_checks import assert_refused, run

SECRET = "s3cret-password-of-victim"


@pytest.fixture()
def victim_file(data_root: Path) -> Path:
    folder = data_root / "victim"
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "secret.byzer"
    # Not a valid script: a parse error would show this line if the file were ever read.
    secret.write_text(f"password {SECRET} here;\n")
    return secret


def test_include_of_another_owners_file_is_refused(http: httpx.Client, victim_file: Path) -> None:
    for script in [
        "include local.`../victim/secret`;",
        "include project.`../victim/secret.byzer`;",
        f"include local.`file://{victim_file}`;",
        "include local.`file:///etc/passwd`;",
    ]:
        response = run(http, script)
        assert_refused(response, "include", "outside your home")
        assert SECRET not in response.text and "root:" not in response.text


def test_an_absolute_include_path_is_read_in_the_home(http: httpx.Client, victim_file: Path) -> None:
    for script in [f"include local.`{victim_file}`;", "include local.`/etc/passwd`;"]:
        response = run(http, script)
        assert response.status_code in (400, 404), response.text
        assert SECRET not in response.text and "root:" not in response.text


def test_include_through_a_symlink_out_of_the_home_is_refused(
    http: httpx.Client, data_root: Path, victim_file: Path
) -> None:
    home = data_root / "mallory"
    home.mkdir(parents=True, exist_ok=True)
    link = home / "innocent.byzer"
    if not link.is_symlink():
        os.symlink(victim_file, link)
    response = run(http, "include local.`innocent`;")
    assert_refused(response, "outside your home")
    assert SECRET not in response.text


def test_unsupported_include_types_fetch_nothing(http: httpx.Client) -> None:
    for kind in ("http", "lib"):
        response = run(http, f"include {kind}.`/etc/passwd`;")
        assert response.status_code == 400, response.text
        assert "unknown include type" in response.json()["message"] and "root:" not in response.text


def test_an_hdfs_include_goes_through_the_owners_path_rules(http: httpx.Client) -> None:
    response = run(http, "include hdfs.`file:///etc/passwd`;")
    assert response.status_code in (400, 403), response.text
    assert "outside your home" in response.json()["message"] and "root:" not in response.text
    rooted = run(http, "include hdfs.`/etc/passwd`;")
    assert rooted.status_code in (400, 404) and "root:" not in rooted.text


def test_include_inside_the_home_works(http: httpx.Client, data_root: Path) -> None:
    home = data_root / "alice"
    (home / "lib").mkdir(parents=True, exist_ok=True)
    (home / "lib" / "common.byzer").write_text("select 42 as answer as common;\n")
    response = run(http, "include project.`lib/common`;\nselect * from common as t;", owner="alice")
    assert response.status_code == 200, response.text
    assert response.json() == [{"answer": 42}]
