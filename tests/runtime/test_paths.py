"""Path resolution in an owner's home, with and without allow_any_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerAuthError
from byzer_engine.runtime.paths import PathResolver


def test_relative_paths_live_in_the_home(tmp_path: Path) -> None:
    resolver = PathResolver(str(tmp_path), allow_any_path=False)
    assert resolver.resolve("a/b.csv") == str(tmp_path / "a" / "b.csv")
    assert resolver.resolve(f"file://{tmp_path}/x") == str(tmp_path / "x")
    assert resolver.resolve(str(tmp_path / "y")) == str(tmp_path / "y")
    assert resolver.resolve("a/../b") == str(tmp_path / "b")


@pytest.mark.parametrize("escape", ["../x", "a/../../x", "/etc/passwd", "file:///etc/passwd", "hdfs://nn/x"])
def test_escapes_are_refused(tmp_path: Path, escape: str) -> None:
    with pytest.raises(ByzerAuthError, match="outside your home"):
        PathResolver(str(tmp_path), allow_any_path=False).resolve(escape)


def test_symlink_out_of_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    os.symlink(tmp_path, home / "link")
    with pytest.raises(ByzerAuthError):
        PathResolver(str(home), allow_any_path=False).resolve("link/secret")


def test_any_path_when_allowed(tmp_path: Path) -> None:
    resolver = PathResolver(str(tmp_path), allow_any_path=True)
    assert resolver.resolve("/etc/hosts") == "/etc/hosts"
    assert resolver.resolve("../x") == str(tmp_path.parent / "x")
    assert resolver.resolve("s3a://bucket/key") == "s3a://bucket/key"


def test_request_prefix(tmp_path: Path) -> None:
    resolver = PathResolver(str(tmp_path), allow_any_path=False, prefix="project")
    assert resolver.resolve("data.csv") == str(tmp_path / "project" / "data.csv")
    with pytest.raises(ByzerAuthError):
        PathResolver(str(tmp_path), allow_any_path=False, prefix="../other").resolve("x")


@pytest.mark.parametrize("allow_any_path", [False, True])
def test_rooted_paths_beginning_with_a_slash_live_in_the_home(tmp_path: Path, allow_any_path: bool) -> None:
    resolver = PathResolver(str(tmp_path), allow_any_path=allow_any_path, rooted=True)
    assert resolver.resolve("/tmp/data.csv") == str(tmp_path / "tmp" / "data.csv")
    assert resolver.resolve("/etc/passwd") == str(tmp_path / "etc" / "passwd")
    assert resolver.resolve("~/notes") == str(tmp_path / "notes")
    assert resolver.resolve("rel/x") == str(tmp_path / "rel" / "x")
    inside = str(tmp_path / "already" / "here")
    assert resolver.resolve(inside) == inside  # resolving twice changes nothing
    assert resolver.resolve(resolver.resolve("/a/b")) == str(tmp_path / "a" / "b")
    with pytest.raises(ByzerAuthError, match="outside your home"):
        PathResolver(str(tmp_path), allow_any_path=False, rooted=True).resolve("/../../etc/passwd")


def test_rooted_paths_keep_an_explicit_file_scheme_absolute(tmp_path: Path) -> None:
    with pytest.raises(ByzerAuthError, match="outside your home"):
        PathResolver(str(tmp_path), allow_any_path=False, rooted=True).resolve("file:///etc/passwd")
    anywhere = PathResolver(str(tmp_path), allow_any_path=True, rooted=True)
    assert anywhere.resolve("file:///etc/passwd") == "/etc/passwd"


def test_rooted_paths_go_under_the_request_prefix(tmp_path: Path) -> None:
    resolver = PathResolver(str(tmp_path), allow_any_path=False, prefix="/projects/p1", rooted=True)
    assert resolver.resolve("/data/x") == str(tmp_path / "projects" / "p1" / "data" / "x")
    assert resolver.resolve("y") == str(tmp_path / "projects" / "p1" / "y")
