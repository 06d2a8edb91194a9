"""Installed from its wheel, Element Studio adds one import name, carries its data files, works from
any folder on a per-user copy of the sample app, and never writes inside the installed package."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("editor", "runtime", "elements", "schemas", "sample_app")  # setup.py puts them under element_studio/
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache",
                                     ".hypothesis", ".element-studio", "test-artifacts", "tests", "bench", "docs")
SAMPLE_ROBOT_TITLE = "DingTalk Helpdesk Robot"
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from a copy of the source tree (so the build leaves nothing in the repository)."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel_file] = (work / "dist").glob("element_studio-*.whl")
    return wheel_file


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    """The wheel installed with pip into a folder of its own: the stand-in for site-packages."""
    target = tmp_path_factory.mktemp("site-packages")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return target


@pytest.fixture
def user(tmp_path, site) -> dict:
    """A person with an empty working folder and their own data folder, running the installed package."""
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DINGTALK_", "ELEMENT_STUDIO_"))}
    env.update(PYTHONPATH=str(site), XDG_DATA_HOME=str(tmp_path / "data"), PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost")
    return {"cwd": cwd, "env": env, "sample_copy": tmp_path / "data" / "element-studio" / "sample-app"}


def element_studio(user: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "element_studio", *args], cwd=user["cwd"], env=user["env"],
                          capture_output=True, text=True, timeout=60, **kwargs)


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def test_the_wheel_adds_only_element_studio_and_carries_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {name.split("/")[0] for name in names} == {"element_studio", wheel.name.split("-py3")[0] + ".dist-info"}
    for wanted in ("element_studio/sample_app/imRobots/dingTalkDemo/e.json", "element_studio/sample_app/.env",
                   "element_studio/editor/static/vendor/htmx.LICENSE", "element_studio/editor/templates/base.html",
                   "element_studio/elements/imRobots/dingTalkStreamType/config.schema.json",
                   "element_studio/editor/translations/zh/LC_MESSAGES/messages.mo",
                   "element_studio/elements/imRobots/Meta/translations/zh.json"):
        assert wanted in names
    in_repository = {f"element_studio/{path.relative_to(ROOT)}" for top in MAPPED for path in (ROOT / top).rglob("*")
                     if path.is_file() and not {"__pycache__", ".element-studio"} & set(path.parts) and path.suffix != ".pyc"}
    assert in_repository - names == set()


def test_the_installed_package_is_the_one_that_runs(user, site):
    where = subprocess.run([sys.executable, "-c", "import element_studio; print(element_studio.__file__)"],
                           cwd=user["cwd"], env=user["env"], capture_output=True, text=True, timeout=30)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr


def test_the_installed_editor_speaks_chinese_with_no_step_after_pip_install(user, site):
    script = ("import tempfile, pathlib\n"
              "from element_studio.editor import create_app\n"
              "from element_studio.runtime.app import App\n"
              "from element_studio.runtime.supervisor import Supervisor\n"
              "supervisor = Supervisor(App(pathlib.Path(tempfile.mkdtemp())))\n"
              "page = create_app(supervisor).test_client().get('/', headers={'Accept-Language': 'zh-CN'}).get_data(as_text=True)\n"
              "supervisor.shutdown(timeout=5)\n"
              "print(page)\n")
    shown = subprocess.run([sys.executable, "-c", script], cwd=user["cwd"], env=user["env"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert '<html lang="zh-CN"' in shown.stdout and "新建" in shown.stdout and "钉钉机器人" in shown.stdout


def test_check_new_and_a_missing_folder_from_any_folder_on_the_users_copy_of_the_sample_app(user, site):
    before = files_under(site)
    checked = element_studio(user, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("ok: ") and str(user["sample_copy"]) in checked.stdout

    missing = element_studio(user, "check", "--app", "/no/such/folder")
    assert missing.returncode == 1 and "/no/such/folder" in missing.stderr

    created = element_studio(user, "new", "imRobots.dingTalkStreamType", "x")
    assert created.returncode == 0, created.stderr
    assert (user["sample_copy"] / "imRobots" / "x" / "e.json").is_file()
    assert files_under(site) == before


def test_serve_shows_the_sample_robot_stops_on_ctrl_c_and_writes_nothing_into_the_package(user, site):
    before = files_under(site)
    process = subprocess.Popen([sys.executable, "-m", "element_studio", "serve", "--port", "0"], cwd=user["cwd"], env=user["env"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ""
    try:
        while not (found := re.search(r"Element Studio editor: (http://\S+)", output)):
            line = process.stdout.readline()
            assert line, output
            output += line
        url = found.group(1)
        home = wait_until(lambda: LOCAL.open(url, timeout=5).read().decode(), message="the editor did not answer")
        assert SAMPLE_ROBOT_TITLE in home
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=15)
        output += rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert (user["sample_copy"] / "imRobots" / "dingTalkDemo" / "e.json").is_file()
    assert files_under(site) == before
