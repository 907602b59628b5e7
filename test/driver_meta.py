"""Driver tests for the PGXN metadata and archive (no cluster needed).

    meta_json_is_valid              META.json passes test/meta_check.py
    meta_check_catches_broken_copies  and each broken copy of it fails, naming why
    make_dist_is_what_pgxn_takes    make dist: a zip of HEAD under sms_api-<version>/
    debian_changelog_at_the_makefile_version  the package's version is the Makefile's
"""
import copy
import json
import os
import re
import subprocess
import tempfile
import zipfile

import meta_check

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


def _meta():
    with open(os.path.join(meta_check.REPO, "META.json")) as f:
        return json.load(f)


@_test
def meta_json_is_valid(ctx):
    version = meta_check.makefile_version()
    assert version, "the Makefile has no EXTVERSION"
    found = meta_check.problems(_meta(), version)
    assert not found, "META.json: " + "; ".join(found)


def _broken(meta):
    """(what was broken, a copy of meta broken that way, a word the problem must name)."""
    def without(key):
        m = copy.deepcopy(meta)
        del m[key]
        return m

    def with_(path, value):
        m = copy.deepcopy(meta)
        node = m
        for k in path[:-1]:
            node = node.setdefault(k, {})
        node[path[-1]] = value
        return m

    ext = next(iter(meta["provides"]))
    cases = [("no %s" % k, without(k), k) for k in meta_check.REQUIRED]
    cases += [
        ("version not semver", with_(["version"], "0.2"), "version"),
        ("version not the Makefile's", with_(["version"], "9.9.9"), "EXTVERSION"),
        ("version a number", with_(["version"], 0.2), "version"),
        ("provides version not the Makefile's", with_(["provides", ext, "version"], "0.1.0"), "EXTVERSION"),
        ("provides without file", with_(["provides", ext], {"version": meta["version"]}), "file"),
        ("provides a file not in the tree", with_(["provides", ext, "file"], "sql/nowhere.sql"), "nowhere"),
        ("provides empty", with_(["provides"], {}), "provides"),
        ("license unknown to the spec", with_(["license"], "PostgreSQL License"), "license"),
        ("license a number", with_(["license"], 1), "license"),
        ("license map without a URL", with_(["license"], {"postgresql": "not a url"}), "URL"),
        ("maintainer empty list", with_(["maintainer"], []), "maintainer"),
        ("name with a space", with_(["name"], "sms api"), "name"),
        ("abstract not a string", with_(["abstract"], ["x"]), "abstract"),
        ("meta-spec version 2.0.0", with_(["meta-spec", "version"], "2.0.0"), "meta-spec"),
        ("tags not a list", with_(["tags"], "sms"), "tags"),
        ("release_status unknown", with_(["release_status"], "final"), "release_status"),
        ("prereqs unknown phase", with_(["prereqs", "install"], {"requires": {"PostgreSQL": "15.0.0"}}), "phase"),
        ("prereqs bad range", with_(["prereqs", "runtime", "requires", "PostgreSQL"], "fifteen"), "range"),
        ("resources homepage not a URL", with_(["resources"], {"homepage": "sms_api"}), "homepage"),
        ("resources bugtracker mailto", with_(["resources"], {"bugtracker": {"mailto": "nobody"}}), "mailto"),
        ("resources repository unknown key", with_(["resources"], {"repository": {"url": "git://h/r", "branch": "main"}}), "branch"),
        ("resources unknown key", with_(["resources"], {"wiki": "https://h/w"}), "wiki"),
        ("an unknown top-level key", with_(["homepage"], "https://h"), "homepage"),
    ]
    return cases


@_test
def meta_check_catches_broken_copies(ctx):
    """The validator fails each broken copy of META.json, naming what broke,
    so that meta_json_is_valid cannot pass by checking nothing; and the
    command itself exits 1 on one."""
    version = meta_check.makefile_version()
    missed = []
    for what, meta, word in _broken(_meta()):
        found = meta_check.problems(meta, version)
        if not any(word.lower() in p.lower() for p in found):
            missed.append("%s: %s" % (what, found or "no problem found"))
    assert not missed, "meta_check.py let broken copies pass:\n" + "\n".join(missed)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(dict(_meta(), version="0.0.1"), f)
        f.flush()
        p = subprocess.run(["python3", os.path.join(meta_check.REPO, "test", "meta_check.py"), f.name],
                           capture_output=True, text=True)
    assert p.returncode == 1 and "EXTVERSION" in p.stdout, \
        "meta_check.py on a copy at 0.0.1 exited %d: %s" % (p.returncode, p.stdout + p.stderr)


@_test
def make_dist_is_what_pgxn_takes(ctx):
    """make dist: sms_api-<version>.zip, every file of HEAD under the
    directory sms_api-<version>/, META.json valid in it."""
    version = meta_check.makefile_version()
    repo = meta_check.REPO
    archive = os.path.join(repo, "sms_api-%s.zip" % version)
    try:
        p = subprocess.run(["make", "-s", "-C", repo, "dist"], capture_output=True, text=True)
        assert p.returncode == 0, "make dist exited %d: %s" % (p.returncode, p.stdout + p.stderr)
        assert os.path.isfile(archive), "make dist made no %s" % os.path.basename(archive)
        with zipfile.ZipFile(archive) as z:
            names = z.namelist()
            meta = json.loads(z.read("sms_api-%s/META.json" % version))
        head = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.split()
        prefix = "sms_api-%s/" % version
        outside = [n for n in names if not n.startswith(prefix)]
        assert not outside, "entries outside %s: %s" % (prefix, outside[:5])
        missing = [f for f in head if prefix + f not in names]
        assert not missing, "files of HEAD missing from the archive: %s" % missing[:5]
        found = meta_check.problems(meta, version)
        assert not found, "META.json in the archive: " + "; ".join(found)
    finally:
        if os.path.exists(archive):
            os.unlink(archive)


@_test
def debian_changelog_at_the_makefile_version(ctx):
    """debian/changelog's newest entry is EXTVERSION (plus a Debian
    revision), so the package never ships another version than the code."""
    with open(os.path.join(meta_check.REPO, "debian", "changelog")) as f:
        first = f.readline()
    m = re.match(r"^sms-api \(([^)]+)\) ", first)
    assert m, "debian/changelog does not start with an sms-api entry: %r" % first
    upstream = m.group(1).rsplit("-", 1)[0]
    version = meta_check.makefile_version()
    assert upstream == version, \
        "debian/changelog is at %s, the Makefile's EXTVERSION at %s" % (m.group(1), version)
