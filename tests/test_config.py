"""Settings: where they are read from, the project root, validation and the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fastlint.config import DEFAULT_EXCLUDES, Config, ConfigError, load_config
from fastlint.discovery import discover, is_excluded


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nearest_pyproject_with_a_table_is_the_root(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.fastlint]\nignore = ["FLT102"]\n')
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")  # no table: skipped
    (tmp_path / "pkg" / "sub").mkdir()
    config = load_config([str(tmp_path / "pkg" / "sub")])
    assert config.root == str(tmp_path)
    assert config.source == str(tmp_path / "pyproject.toml")
    assert config.ignore == ("FLT102",)


def test_a_file_path_starts_the_search_in_its_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.fastlint]\n")
    app = write(tmp_path / "app.py", "")
    assert load_config([str(app)]).root == str(tmp_path)


def test_without_settings_the_git_root_then_the_path_is_the_root(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "src").mkdir()
    (tmp_path / "plain").mkdir()
    assert load_config([str(tmp_path / "repo" / "src")]) == Config(root=str(tmp_path / "repo"))
    assert load_config([str(tmp_path / "plain")]).root == str(tmp_path / "plain")


def test_config_file_beside_the_paths_is_the_root(tmp_path: Path) -> None:
    settings = write(tmp_path / "fastlint.toml", 'select = ["FLT1"]\n')
    (tmp_path / "src").mkdir()
    config = load_config([str(tmp_path / "src")], str(settings))
    assert config.root == str(tmp_path)
    assert config.source == str(settings)
    assert config.select == ("FLT1",)


def test_config_file_elsewhere_keeps_the_project_root(tmp_path: Path) -> None:
    # The pyproject.toml's settings are broken, but --config replaces them; it still marks
    # the root, so the whole project is analysed and patterns are relative to it.
    write(tmp_path / "pyproject.toml", "[tool.fastlint]\nbogus = 1\n")
    settings = write(tmp_path / "ci" / "lint.toml", "[tool.fastlint]\nignore = []\n")
    (tmp_path / "src").mkdir()
    config = load_config([str(tmp_path / "src")], str(settings))
    assert config.root == str(tmp_path)
    assert config.source == str(settings)


def test_config_file_elsewhere_passes_over_an_unparsable_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.fastlint\n")
    (tmp_path / ".git").mkdir()
    settings = write(tmp_path / "ci" / "lint.toml", "")
    (tmp_path / "src").mkdir()
    assert load_config([str(tmp_path / "src")], str(settings)).root == str(tmp_path)


def test_config_file_that_is_a_pyproject_without_a_table_has_no_settings(tmp_path: Path) -> None:
    settings = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    config = load_config([str(tmp_path)], str(settings))
    assert config == Config(root=str(tmp_path), source=str(settings))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("nope = 1", "unknown key 'nope' in [tool.fastlint]"),
        ('select = "FLT1"', "'select' must be an array of strings"),
        ("ignore = [1]", "'ignore' must be an array of strings"),
        ('extend-select = ["E501"]', "'extend-select' has 'E501', which is not a fastlint code"),
        ('exclude = "build"', "'exclude' must be an array of strings"),
        ('per-file-ignores = ["x"]', "'per-file-ignores' must be a table of pattern = [codes]"),
        ('per-file-ignores = {"t/*" = "FLT1"}', "'per-file-ignores.t/*' must be an array"),
        ("catalog = 1", "'catalog' must be a table"),
        ("catalog = {nope = 1}", "unknown key catalog.nope"),
        (
            'catalog = {blocking-calls = [{kind = "x", calls = ["a.b"]}]}',
            "blocking-calls[0]: kind must be one of sleep, http,",
        ),
        ("catalog = {blocking-calls = [{calls = []}]}", "'calls' must be a non-empty array"),
        (
            'catalog = {blocking-calls = [{calls = ["*.fetch"]}]}',
            "catalog: pattern '*.fetch' must start with a module name",
        ),
    ],
)
def test_bad_settings_name_the_file_and_the_key(
    tmp_path: Path, settings: str, message: str
) -> None:
    pyproject = write(tmp_path / "pyproject.toml", f"[tool.fastlint]\n{settings}\n")
    with pytest.raises(ConfigError) as error:
        load_config([str(tmp_path)])
    assert str(error.value).startswith(f"{pyproject}: ")
    assert message in str(error.value)


def test_tool_fastlint_must_be_a_table(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", "[tool]\nfastlint = 1\n")
    with pytest.raises(ConfigError, match="must be a table") as error:
        load_config([str(tmp_path)])
    assert str(error.value).startswith(str(pyproject))


def test_invalid_toml_and_missing_config_file(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.fastlint\n")
    with pytest.raises(ConfigError, match="invalid TOML: "):
        load_config([str(tmp_path)])
    missing = os.path.join(str(tmp_path), "missing.toml")
    with pytest.raises(ConfigError, match="cannot read: "):
        load_config([str(tmp_path)], missing)


def test_settings_are_read(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """\
[tool.fastlint]
select = ["FLT1"]
ignore = ["FLT108"]
extend-select = ["FLT001"]
exclude = ["old"]
extend-exclude = ["generated"]

[tool.fastlint.per-file-ignores]
"tests/*" = ["FLT101", "FLT102"]

[[tool.fastlint.catalog.blocking-calls]]
calls = ["mylib.fetch"]
""",
    )
    config = load_config([str(tmp_path)])
    assert config.select == ("FLT1",)
    assert config.ignore == ("FLT108",)
    assert config.extend_select == ("FLT001",)
    assert config.exclude == ("old",)
    assert config.extend_exclude == ("generated",)
    assert config.per_file_ignores == (("tests/*", ("FLT101", "FLT102")),)
    assert config.catalog == {"blocking-calls": [{"calls": ["mylib.fetch"]}]}


def test_defaults() -> None:
    config = Config(root="/project")
    assert config.exclude == DEFAULT_EXCLUDES
    assert (config.select, config.ignore, config.extend_select) == ((), (), ())


def test_cli_ignore_and_extend_select_add_to_the_configured_set() -> None:
    config = Config(root="/p", select=("FLT1",), ignore=("FLT108",), extend_select=("FLT001",))
    merged = config.with_cli(None, ["FLT102"], ["FLT002"])
    assert merged.select == ("FLT1",)
    assert merged.ignore == ("FLT108", "FLT102")
    assert merged.extend_select == ("FLT001", "FLT002")


def test_cli_select_replaces_the_configured_set() -> None:
    config = Config(root="/p", select=("FLT1",), ignore=("FLT102",), extend_select=("FLT108",))
    merged = config.with_cli(["FLT102"], ["FLT1021"], [])
    assert merged.select == ("FLT102",)
    assert merged.ignore == ("FLT1021",)
    assert merged.extend_select == ()
    assert config.with_cli([], [], []) == config  # an empty --select changes nothing


@pytest.mark.parametrize(
    ("pattern", "excluded"),
    [
        ("generated", True),
        ("generated/", True),
        ("./generated", True),
        ("generated/*", True),
        ("src/generated", False),  # by path from the root, or by name
        ("gen*", True),
        ("*.egg-info", False),
    ],
)
def test_exclude_patterns(tmp_path: Path, pattern: str, excluded: bool) -> None:
    config = Config(root=str(tmp_path), exclude=(pattern,))
    path = str(tmp_path / "generated" / "client.py")
    directory = str(tmp_path / "generated")
    assert (is_excluded(path, config) or is_excluded(directory, config)) is excluded


def test_discovery(tmp_path: Path) -> None:
    for name in ("a.py", "pkg/b.py", "build/c.py", ".venv/d.py", "env/e.py", "notes.txt"):
        write(tmp_path / name, "")
    write(tmp_path / "env" / "pyvenv.cfg", "")  # a virtualenv by any name is skipped
    (tmp_path / "empty").mkdir()
    config = Config(root=str(tmp_path))
    found = discover(
        [str(tmp_path), str(tmp_path / "build" / "c.py"), "missing", str(tmp_path / "empty")],
        config,
    )
    assert found.files == tuple(
        str(tmp_path / name) for name in ("a.py", "build/c.py", "pkg/b.py")
    )  # build/ is excluded, but build/c.py was named
    assert found.missing == ("missing",)
    assert found.empty == (str(tmp_path / "empty"),)
