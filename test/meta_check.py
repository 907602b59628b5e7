#!/usr/bin/env python3
"""META.json against the PGXN Meta Spec 1.0.0 (https://pgxn.org/spec/) and
this tree: every required key, the type of every key present, the
version and every `provides` version equal to the Makefile's EXTVERSION,
the license one the spec names, resources of the spec's shape, and the
files it names present. Standard library only.

    python3 test/meta_check.py [META.json]   prints each problem; exit 1 if any
"""
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

REQUIRED = ("name", "abstract", "maintainer", "version", "license", "provides", "meta-spec")
OPTIONAL = ("description", "generated_by", "tags", "no_index", "prereqs", "release_status",
            "resources")
# the spec's license strings
LICENSES = {
    "agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
    "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
    "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
    "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown",
}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONS = {"requires", "recommends", "suggests", "conflicts"}
RELEASE_STATUS = {"stable", "testing", "unstable"}
# Semantic Versioning 1.0.0, which the spec cites: X.Y.Z, then an optional
# pre-release of ASCII alphanumerics and hyphens started by a letter
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)([A-Za-z][0-9A-Za-z-]*)?$")
# a version range: versions, each optionally after an operator, comma-separated
RANGE_PART = re.compile(r"^(?:(?:==|!=|>=|<=|>|<)\s*)?(\S+)$")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def makefile_version(repo=REPO):
    with open(os.path.join(repo, "Makefile")) as f:
        m = re.search(r"^EXTVERSION\s*=\s*(\S+)\s*$", f.read(), re.M)
    return m.group(1) if m else None


def is_term(v):
    return isinstance(v, str) and len(v) >= 2 and not re.search(r"[/\\:\s\x00-\x1f\x7f]", v)


def is_tag(v):
    return isinstance(v, str) and 0 < len(v) < 256 and not re.search(r"[/\\\x00-\x1f\x7f]", v)


def is_custom(key):
    return key.startswith(("x_", "X_"))


def check_version_range(where, v, out):
    if v == 0 or (isinstance(v, str) and v == "0"):
        return
    if not isinstance(v, str) or not v.strip():
        out.append("%s: a version range must be a string, got %r" % (where, v))
        return
    for part in v.split(","):
        m = RANGE_PART.match(part.strip())
        if not m or not SEMVER.match(m.group(1)):
            out.append("%s: %r is not a version range of semantic versions" % (where, v))
            return


def check_string(meta, key, out):
    if key in meta and (not isinstance(meta[key], str) or not meta[key].strip()):
        out.append("%s must be a non-empty string, got %r" % (key, meta[key]))


def check_unknown(where, obj, allowed, out):
    for k in obj:
        if k not in allowed and not is_custom(k):
            out.append("%s: unknown key %r (custom keys start with x_)" % (where, k))


def check_license(v, out):
    if isinstance(v, str):
        if v not in LICENSES:
            out.append("license %r is not one the spec names (e.g. postgresql, mit)" % v)
    elif isinstance(v, list):
        if not v:
            out.append("license: an empty list")
        for item in v:
            if not isinstance(item, str) or item not in LICENSES:
                out.append("license: %r is not one the spec names" % (item,))
    elif isinstance(v, dict):
        if not v:
            out.append("license: an empty map")
        for name, url in v.items():
            if not isinstance(url, str) or not URL.match(url):
                out.append("license %r: %r is not a URL" % (name, url))
    else:
        out.append("license must be a string, a list or a map of name to URL, got %r" % (v,))


def check_provides(v, version, repo, out):
    if not isinstance(v, dict) or not v:
        out.append("provides must be a non-empty map of extension name to its description")
        return
    for name, ext in v.items():
        where = "provides.%s" % name
        if not is_term(name):
            out.append("%s: the name is not a term (2+ characters, no slash, colon or space)" % where)
        if not isinstance(ext, dict):
            out.append("%s must be a map, got %r" % (where, ext))
            continue
        check_unknown(where, ext, ("file", "version", "abstract", "docfile"), out)
        for key in ("file", "version"):
            if key not in ext:
                out.append("%s: required key %r missing" % (where, key))
        if "version" in ext:
            if not isinstance(ext["version"], str) or not SEMVER.match(ext["version"]):
                out.append("%s.version %r is not a semantic version" % (where, ext["version"]))
            elif ext["version"] != version:
                out.append("%s.version %s is not the Makefile's EXTVERSION %s"
                           % (where, ext["version"], version))
        for key in ("file", "docfile"):
            if key in ext:
                if not isinstance(ext[key], str) or not ext[key]:
                    out.append("%s.%s must be a path, got %r" % (where, key, ext[key]))
                elif not os.path.isfile(os.path.join(repo, ext[key])):
                    out.append("%s.%s: no file %s in the tree" % (where, key, ext[key]))
        if "abstract" in ext and (not isinstance(ext["abstract"], str) or not ext["abstract"]):
            out.append("%s.abstract must be a non-empty string" % where)


def check_prereqs(v, out):
    if not isinstance(v, dict):
        out.append("prereqs must be a map of phase to relationships, got %r" % (v,))
        return
    for phase, rels in v.items():
        if phase not in PHASES and not is_custom(phase):
            out.append("prereqs: unknown phase %r (one of %s)" % (phase, ", ".join(sorted(PHASES))))
            continue
        if not isinstance(rels, dict):
            out.append("prereqs.%s must be a map, got %r" % (phase, rels))
            continue
        for rel, deps in rels.items():
            where = "prereqs.%s.%s" % (phase, rel)
            if rel not in RELATIONS and not is_custom(rel):
                out.append("prereqs.%s: unknown relationship %r" % (phase, rel))
                continue
            if not isinstance(deps, dict):
                out.append("%s must be a map of name to version range" % where)
                continue
            for name, rng in deps.items():
                if not is_term(name):
                    out.append("%s: %r is not a term" % (where, name))
                check_version_range("%s.%s" % (where, name), rng, out)


def check_resources(v, out):
    if not isinstance(v, dict):
        out.append("resources must be a map, got %r" % (v,))
        return
    check_unknown("resources", v, ("homepage", "bugtracker", "repository"), out)
    if "homepage" in v and (not isinstance(v["homepage"], str) or not URL.match(v["homepage"])):
        out.append("resources.homepage %r is not a URL" % (v["homepage"],))
    for key, fields in (("bugtracker", {"web": URL, "mailto": EMAIL}),
                        ("repository", {"url": URL, "web": URL, "type": None})):
        if key not in v:
            continue
        if not isinstance(v[key], dict) or not v[key]:
            out.append("resources.%s must be a non-empty map, got %r" % (key, v[key]))
            continue
        check_unknown("resources.%s" % key, v[key], tuple(fields), out)
        for field, pattern in fields.items():
            if field not in v[key]:
                continue
            value = v[key][field]
            if not isinstance(value, str) or not value or (pattern and not pattern.match(value)):
                out.append("resources.%s.%s %r is not a%s" % (
                    key, field, value, {URL: " URL", EMAIL: "n email address"}.get(pattern, " string")))
        if key == "repository" and "type" in v[key] and "url" not in v[key]:
            out.append("resources.repository.type without resources.repository.url")


def problems(meta, version, repo=REPO):
    """Every way meta (the parsed META.json) breaks the spec or disagrees
    with the tree (version: the Makefile's)."""
    out = []
    if not isinstance(meta, dict):
        return ["META.json must hold a JSON object"]
    for key in REQUIRED:
        if key not in meta:
            out.append("required key %r missing" % key)
    check_unknown("META.json", meta, REQUIRED + OPTIONAL, out)
    if "name" in meta and not is_term(meta["name"]):
        out.append("name %r is not a term (2+ characters, no slash, colon or space)" % (meta["name"],))
    for key in ("abstract", "description", "generated_by"):
        check_string(meta, key, out)
    if "maintainer" in meta:
        m = meta["maintainer"]
        if not (isinstance(m, str) and m.strip()) and not (
                isinstance(m, list) and m and all(isinstance(x, str) and x.strip() for x in m)):
            out.append("maintainer must be a string or a non-empty list of strings, got %r" % (m,))
    if "version" in meta:
        if not isinstance(meta["version"], str) or not SEMVER.match(meta["version"]):
            out.append("version %r is not a semantic version" % (meta["version"],))
        elif meta["version"] != version:
            out.append("version %s is not the Makefile's EXTVERSION %s" % (meta["version"], version))
    if "license" in meta:
        check_license(meta["license"], out)
    if "provides" in meta:
        check_provides(meta["provides"], version, repo, out)
    if "meta-spec" in meta:
        ms = meta["meta-spec"]
        if not isinstance(ms, dict) or ms.get("version") != "1.0.0":
            out.append("meta-spec must be a map with version \"1.0.0\", got %r" % (ms,))
        else:
            check_unknown("meta-spec", ms, ("version", "url"), out)
            if "url" in ms and (not isinstance(ms["url"], str) or not URL.match(ms["url"])):
                out.append("meta-spec.url %r is not a URL" % (ms["url"],))
    if "tags" in meta:
        t = meta["tags"]
        if not isinstance(t, list) or not all(is_tag(x) for x in t):
            out.append("tags must be a list of tags (strings under 256 characters, no slash), got %r" % (t,))
    if "no_index" in meta:
        ni = meta["no_index"]
        if not isinstance(ni, dict):
            out.append("no_index must be a map, got %r" % (ni,))
        else:
            check_unknown("no_index", ni, ("file", "directory"), out)
            for key, v in ni.items():
                if not (isinstance(v, str) and v) and not (
                        isinstance(v, list) and all(isinstance(x, str) and x for x in v)):
                    out.append("no_index.%s must be a path or a list of paths, got %r" % (key, v))
    if "release_status" in meta and meta["release_status"] not in RELEASE_STATUS:
        out.append("release_status %r is not one of %s"
                   % (meta["release_status"], ", ".join(sorted(RELEASE_STATUS))))
    if "prereqs" in meta:
        check_prereqs(meta["prereqs"], out)
    if "resources" in meta:
        check_resources(meta["resources"], out)
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "META.json")
    version = makefile_version()
    try:
        with open(path) as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        print("%s: %s" % (path, e))
        sys.exit(1)
    found = problems(meta, version) if version else ["the Makefile has no EXTVERSION"]
    for p in found:
        print("%s: %s" % (path, p))
    if not found:
        print("%s: valid (PGXN Meta Spec 1.0.0), version %s as the Makefile's" % (path, version))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
