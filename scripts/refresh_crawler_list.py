"""Refresh omamori's copy of the community crawler list ai.robots.txt (robots.json and its MIT LICENSE).

    python scripts/refresh_crawler_list.py                      # the newest commit on GitHub
    python scripts/refresh_crawler_list.py --commit SHA         # a given commit
    python scripts/refresh_crawler_list.py --from-git CLONE     # from a local clone (its HEAD, or --commit)

Writes robots.json and LICENSE unchanged, and source.json with the commit they came from, into
native_host/omamori/data/ai-robots-txt/ (or --data-dir), then prints which agents came and went.
Commit the three files together; `omamori site` names the commit in the block it writes.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

REPOSITORY = "ai-robots-txt/ai.robots.txt"
DATA_DIR = Path(__file__).resolve().parent.parent / "native_host/omamori/data/ai-robots-txt"
FILES = ("robots.json", "LICENSE")
ABOUT = ("robots.json and LICENSE beside this file are copied unchanged from the community list ai.robots.txt "
         "(MIT licence, see LICENSE) at the commit below. Refresh them with: python scripts/refresh_crawler_list.py")


def from_github(commit: str | None) -> tuple[str, str, dict[str, bytes]]:
    """(commit, YYYY-MM-DD, {file: bytes}) of the repository on GitHub."""
    with urllib.request.urlopen(f"https://api.github.com/repos/{REPOSITORY}/commits/{commit or 'main'}",
                                timeout=30) as reply:
        info = json.load(reply)
    sha, date = info["sha"], info["commit"]["committer"]["date"][:10]
    files = {}
    for name in FILES:
        with urllib.request.urlopen(f"https://raw.githubusercontent.com/{REPOSITORY}/{sha}/{name}",
                                    timeout=30) as reply:
            files[name] = reply.read()
    return sha, date, files


def from_git(clone: Path, commit: str | None) -> tuple[str, str, dict[str, bytes]]:
    """The same from a local clone of the repository."""
    def git(*args: str) -> bytes:
        return subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True).stdout

    sha = git("rev-parse", f"{commit or 'HEAD'}^{{commit}}").decode().strip()
    date = git("log", "-1", "--format=%cs", sha).decode().strip()
    return sha, date, {name: git("show", f"{sha}:{name}") for name in FILES}


def write(data_dir: Path, sha: str, date: str, files: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Check the new list and write it; returns (agents added, agents removed)."""
    agents = json.loads(files["robots.json"])
    if not isinstance(agents, dict) or len(agents) < 50 or not all(isinstance(v, dict) for v in agents.values()):
        raise SystemExit("refresh: robots.json does not look like the crawler list (an object of agents); "
                         "nothing written")
    if b"MIT License" not in files["LICENSE"]:
        raise SystemExit("refresh: the LICENSE is no longer MIT; read it before shipping the list. Nothing written.")
    old_path = data_dir / "robots.json"
    old = json.loads(old_path.read_text("utf-8")) if old_path.exists() else {}
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (data_dir / name).write_bytes(content)
    source = {"about": ABOUT, "repository": f"https://github.com/{REPOSITORY}", "commit": sha, "committed": date,
              "files": list(FILES)}
    (data_dir / "source.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    return sorted(set(agents) - set(old)), sorted(set(old) - set(agents))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commit", help="the commit to take (default: the newest)")
    parser.add_argument("--from-git", type=Path, metavar="CLONE", help="read from a local clone instead of GitHub")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sha, date, files = from_git(args.from_git, args.commit) if args.from_git else from_github(args.commit)
    added, removed = write(args.data_dir, sha, date, files)
    total = len(json.loads(files["robots.json"]))
    print(f"ai.robots.txt {sha[:12]} ({date}): {total} agents; added {len(added)}: {', '.join(added) or '-'}; "
          f"removed {len(removed)}: {', '.join(removed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
