"""Build the vem Python package: Cython for the bindings, CMake for libvem.

The C library is not described here. `build_ext` runs CMake on python/CMakeLists.txt,
which adds the repository's own CMakeLists.txt (add_subdirectory) and builds the
extension module against its static library, so the sources (src/*/*.c, globbed
there), compiler flags, kernel options and link libraries are the C build's.

Where the repository is found, first match wins:
  1. $VEM_SOURCE_DIR;
  2. libvem/ beside this file (a source distribution: `sdist` copies the C sources there);
  3. the directory above this file (python/ inside a checkout; pip >= 21.3 builds a
     local directory in place, so `pip install ./python` finds it).

Environment:
  VEM_CMAKE_BUILD_DIR  CMake build directory (kept between builds: libvem is rebuilt
                       incrementally); default: under setuptools' build_temp
  VEM_CMAKE_ARGS       extra arguments for the CMake configure step, split on blanks
                       (e.g. "-DCMAKE_C_COMPILER=clang -DVEM_WITH_OPENMP=OFF")
  VEM_BUILD_BASE       setuptools' build directory (default: build/ beside this file)
  CMAKE_BUILD_PARALLEL_LEVEL  parallel jobs (default: the number of CPUs)
"""
import glob
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
# What a source distribution carries of the repository (everything the top-level
# CMakeLists.txt reads when it configures and builds the library).
REPO_PARTS = ["CMakeLists.txt", "vem.pc.in", "cmake", "include", "src", "cli"]


def is_repo(path):
    return (os.path.isfile(os.path.join(path, "CMakeLists.txt"))
            and os.path.isfile(os.path.join(path, "include", "vem", "vem.h"))
            and os.path.isdir(os.path.join(path, "src")))


def find_repo():
    candidates = []
    if os.environ.get("VEM_SOURCE_DIR"):
        candidates.append(os.path.abspath(os.environ["VEM_SOURCE_DIR"]))
    candidates += [os.path.join(HERE, "libvem"), os.path.dirname(HERE)]
    for c in candidates:
        if is_repo(c):
            return c
    raise SystemExit(
        "vem: cannot find the C sources of libvem (looked in: %s). Build from a checkout "
        "of the repository (pip install ./python), from an sdist made by `setup.py sdist`, "
        "or set VEM_SOURCE_DIR to the repository root." % ", ".join(candidates))


def version():
    """The library's version, from include/vem/common.h (one place for both)."""
    try:
        text = open(os.path.join(find_repo(), "include", "vem", "common.h")).read()
    except SystemExit:
        return "0.0.0"
    parts = [re.search(r"#define VEM_VERSION_%s (\d+)" % p, text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


class CMakeBuildExt(build_ext):
    """Cythonize vem/_core.pyx, then let CMake compile and link it with libvem."""

    def build_extension(self, ext):
        from Cython.Build import cythonize

        repo = find_repo()
        os.makedirs(self.build_temp, exist_ok=True)
        cdir = os.path.join(os.path.abspath(self.build_temp), "cython")
        cythonize([Extension(ext.name, ext.sources)], build_dir=cdir,
                  compiler_directives={"language_level": "3"}, quiet=True)
        cfile = os.path.join(cdir, os.path.splitext(ext.sources[0])[0] + ".c")
        if not os.path.isfile(cfile):
            raise SystemExit("vem: Cython produced no %s" % cfile)
        bdir = os.environ.get("VEM_CMAKE_BUILD_DIR") or os.path.join(
            os.path.abspath(self.build_temp), "cmake")
        cfg = ["cmake", "-S", HERE, "-B", bdir, "-DVEM_SOURCE_DIR=" + repo,
               "-DVEM_CYTHON_C=" + cfile, "-DPython3_EXECUTABLE=" + sys.executable,
               "-DCMAKE_BUILD_TYPE=Release"]
        cfg += os.environ.get("VEM_CMAKE_ARGS", "").split()
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        try:
            subprocess.check_call(cfg)
            subprocess.check_call(["cmake", "--build", bdir, "--target", "_core", "-j", jobs])
        except OSError as e:
            raise SystemExit("vem: cannot run cmake (%s): install cmake and the libraries "
                             "of tools/install-deps.sh" % e)
        built = [p for p in glob.glob(os.path.join(bdir, "_core*.so"))]
        if len(built) != 1:
            raise SystemExit("vem: expected one _core*.so in %s, found %s" % (bdir, built))
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built[0], dest)


class SdistWithC(sdist):
    """A source distribution that carries libvem's sources (in libvem/)."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        repo = find_repo()
        for part in REPO_PARTS:
            src = os.path.join(repo, part)
            dst = os.path.join(base_dir, "libvem", part)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)


OPTIONS = {}
if os.environ.get("VEM_BUILD_BASE"):
    OPTIONS["build"] = {"build_base": os.environ["VEM_BUILD_BASE"]}

setup(
    version=version(),
    options=OPTIONS,
    ext_modules=[Extension("vem._core", ["vem/_core.pyx"])],
    cmdclass={"build_ext": CMakeBuildExt, "sdist": SdistWithC},
)
