"""A class: a teacher, a join code, up to MNIST_LAB_CLASS_SIZE students, a pinned setup; all in one folder.

    MNIST_LAB_HOME/classes/<id>/class.json     name, join code, sha256 of the teacher key, created,
                                               pinned setup (core.learn.setup text or null), locked controls
    MNIST_LAB_HOME/classes/<id>/members.json   {member id: {"workspace", "nickname", "joined"}}
    MNIST_LAB_HOME/classes/<id>/.lock          one writer at a time (fcntl), on any machine sharing the folder
    MNIST_LAB_HOME/classes/codes/<join code>   the class id a join code names (claimed by exclusive create)
    MNIST_LAB_HOME/classes/keys/<sha256(key)>  the class id a teacher key opens
    a workspace's settings.json "class"        {"id", "member"}: the class a student's workspace joined
    a teacher's settings.json "teaching"       [class id, ...]: the classes this workspace started (no keys)

The join code (6 letters from the workspace codes' alphabet) is what students type; the teacher key is 128
random bits from `secrets`, unrelated to the join code, the class id or any member's value, and only its hash
is stored. Every file is written aside and renamed, under the class's lock, so readers never see half a file.
Challenges (issue 17) are meant to live beside these files, in the same folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core import settings
from core.errors import LabError
from core.lab import workspaces as wss
from core.learn.setup import from_setup

CLASS_ID = re.compile(r"[0-9a-f]{12}")
MEMBER_ID = re.compile(r"[0-9a-f]{8}")
JOIN_CODE_LENGTH = 6  # 31**6 = 887 million codes: enough that a guess at random finds no class
KEY_BYTES = 16  # 128 bits
MAX_NICKNAME = 24
MAX_CLASS_NAME = 60
LOCKABLE = ("arch", "activation", "loss", "l2", "label_smoothing", "optimizer", "lr", "batch_size", "epochs",
            "schedule", "seed")


class ClassError(LabError):
    """A class action that cannot be done; `code` says why (class_code_malformed, class_code_unknown, class_full,
    class_nickname_bad, class_nickname_taken, class_name_bad, class_key_unknown, class_unknown, class_lock_bad)."""


@dataclass(frozen=True)
class Member:
    id: str
    workspace: str  # the student's workspace id: never shown on the teacher's page, never put into a link
    nickname: str
    joined: float


@dataclass(frozen=True)
class Class:
    id: str
    name: str
    join_code: str
    created: float
    pinned: str | None = None  # a setup text (core.learn.setup), valid when it was pinned
    locked: tuple[str, ...] = field(default_factory=tuple)  # TrainConfig fields students may not change

    @property
    def folder(self) -> Path:
        return _root() / self.id


def _root() -> Path:
    return settings.home() / "classes"


def write_json(path: Path, value: dict) -> None:
    """Whole or not at all: written aside (a name unique to this machine and process), then renamed."""
    tmp = path.with_name(f".{path.name}.{os.uname().nodename}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


def read_json(path: Path) -> dict:
    """The JSON object in a file; {} when it is missing, unreadable or not an object."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@contextmanager
def locked_folder(folder: Path) -> Iterator[None]:
    """One writer at a time in this folder, across processes and machines sharing MNIST_LAB_HOME."""
    with open(folder / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _locked(class_id: str):
    return locked_folder(_root() / class_id)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def clean_text(text: str) -> str:
    """Spaces collapsed, control and format characters dropped (what a nickname or a class name keeps)."""
    kept = "".join(c for c in str(text or "") if not unicodedata.category(c).startswith("C"))
    return " ".join(kept.split())


def pretty_join_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


def _from_record(record: dict) -> Class:
    locked = tuple(f for f in record.get("locked") or () if f in LOCKABLE)
    return Class(id=record["id"], name=record.get("name", ""), join_code=record.get("join_code", ""),
                 created=record.get("created", 0.0), pinned=record.get("pinned") or None, locked=locked)


def get(class_id: str) -> Class:
    """The class with this id; ClassError class_unknown otherwise."""
    if not CLASS_ID.fullmatch(class_id or ""):
        raise ClassError("there is no such class", "class_unknown")
    record = read_json(_root() / class_id / "class.json")
    if record.get("id") != class_id:
        raise ClassError("there is no such class on this server", "class_unknown")
    return _from_record(record)


def create_class(name: str, teacher: wss.Workspace | None = None) -> tuple[Class, str]:
    """A new class and its teacher key (returned once; only its hash is kept). `teacher`: the workspace that
    started it (it remembers the class's id, not the key)."""
    name = clean_text(name)
    if not 1 <= len(name) <= MAX_CLASS_NAME:
        raise ClassError(f"a class name has 1 to {MAX_CLASS_NAME} characters", "class_name_bad",
                         limit=MAX_CLASS_NAME)
    class_id, key = secrets.token_hex(6), secrets.token_urlsafe(KEY_BYTES)
    folder = _root() / class_id
    folder.mkdir(parents=True)
    for sub in ("codes", "keys"):
        (_root() / sub).mkdir(exist_ok=True)
    while True:  # a join code names one class: claim it with an exclusive create
        code = "".join(secrets.choice(wss.CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        try:
            with open(_root() / "codes" / code, "x") as f:
                f.write(class_id)
            break
        except FileExistsError:
            continue
    (_root() / "keys" / _hash(key)).write_text(class_id)
    record = {"id": class_id, "name": name, "join_code": code, "key_sha256": _hash(key), "created": time.time(),
              "pinned": None, "locked": []}
    write_json(folder / "members.json", {})
    write_json(folder / "class.json", record)
    if teacher is not None:
        remember_teaching(teacher, class_id)
    return _from_record(record), key


def remember_teaching(ws: wss.Workspace, class_id: str) -> None:
    """Note in the teacher's workspace that it started this class (its id only: the key is never kept there, since
    a workspace id shows in the address bar, on a projector too)."""
    teaching = ws.settings().get("teaching")
    teaching = [c for c in teaching if isinstance(c, str)] if isinstance(teaching, list) else []
    if class_id not in teaching:
        ws.set_setting("teaching", [*teaching, class_id])


def taught_by(ws: wss.Workspace) -> list[Class]:
    """The classes this workspace started (that still exist), oldest first. Seeing one needs its teacher key."""
    teaching = ws.settings().get("teaching")
    found = []
    for class_id in (teaching if isinstance(teaching, list) else ()):
        try:
            found.append(get(str(class_id)))
        except ClassError:
            continue
    return sorted(found, key=lambda c: c.created)


def find_by_teacher_key(key: str) -> Class:
    """The class this teacher key opens; ClassError class_key_unknown for anything else (compared in constant
    time against the stored hash)."""
    key = (key or "").strip()
    if not 16 <= len(key) <= 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        raise ClassError("this teacher link does not open a class", "class_key_unknown")
    digest = _hash(key)
    try:
        class_id = (_root() / "keys" / digest).read_text().strip()
        record = read_json(_root() / class_id / "class.json") if CLASS_ID.fullmatch(class_id) else {}
    except OSError:
        record = {}
    if not hmac.compare_digest(str(record.get("key_sha256", "")), digest):
        raise ClassError("this teacher link does not open a class", "class_key_unknown")
    return _from_record(record)


def rekey(cls: Class) -> str:
    """A new teacher key for the class (returned once; only its hash is kept): the old key stops opening it at once,
    in every tab that holds it. For a teacher who lost the link, or one that was seen."""
    key = secrets.token_urlsafe(KEY_BYTES)
    (_root() / "keys").mkdir(exist_ok=True)
    with _locked(cls.id):
        record = read_json(cls.folder / "class.json")
        old = str(record.get("key_sha256", ""))
        (_root() / "keys" / _hash(key)).write_text(cls.id)
        record["key_sha256"] = _hash(key)
        write_json(cls.folder / "class.json", record)  # from here on only the new key matches the record
        if re.fullmatch(r"[0-9a-f]{64}", old):
            (_root() / "keys" / old).unlink(missing_ok=True)
    return key


def find_class(id_or_code: str) -> Class:
    """The class a class id (12 hex digits) or a join code ("k7m-p3x") names; ClassError otherwise."""
    text = (id_or_code or "").strip().lower()
    return get(text) if CLASS_ID.fullmatch(text) else find_by_join_code(text)


def is_teacher(cls: Class, key: str) -> bool:
    try:
        return find_by_teacher_key(key).id == cls.id
    except ClassError:
        return False


def find_by_join_code(code: str) -> Class:
    """The class a join code names ("k7m-p3x", any case, spaces and dashes ignored)."""
    cleaned = re.sub(r"[\s-]+", "", code or "").lower()
    if len(cleaned) != JOIN_CODE_LENGTH or any(c not in wss.CODE_ALPHABET for c in cleaned):
        raise ClassError(f"{str(code)[:20]!r} is not a join code (6 letters and digits, like k7m-p3x)",
                         "class_code_malformed", given=str(code)[:20])
    try:
        class_id = (_root() / "codes" / cleaned).read_text().strip()
    except OSError:
        raise ClassError(f"no class has the join code {cleaned!r} on this server", "class_code_unknown",
                         given=cleaned) from None
    return get(class_id)


def all_classes() -> list[Class]:
    root = _root()
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if CLASS_ID.fullmatch(folder.name):
            try:
                found.append(get(folder.name))
            except ClassError:
                continue
    return sorted(found, key=lambda c: c.created)


# ---- members ----------------------------------------------------------------------------------------------

def _members_raw(class_id: str) -> dict:
    return {mid: m for mid, m in read_json(_root() / class_id / "members.json").items()
            if MEMBER_ID.fullmatch(mid) and isinstance(m, dict)}


def members(cls: Class) -> list[Member]:
    """The class's students, in the order they joined."""
    found = [Member(mid, str(m.get("workspace", "")), str(m.get("nickname", "")), float(m.get("joined", 0)))
             for mid, m in _members_raw(cls.id).items()]
    return sorted(found, key=lambda m: m.joined)


def member(cls: Class, member_id: str) -> Member | None:
    return next((m for m in members(cls) if m.id == member_id), None)


def check_nickname(nickname: str) -> str:
    """The nickname as kept (spaces collapsed); ClassError class_nickname_bad when empty or too long."""
    cleaned = clean_text(nickname)
    if not 1 <= len(cleaned) <= MAX_NICKNAME:
        raise ClassError(f"a nickname has 1 to {MAX_NICKNAME} characters", "class_nickname_bad", limit=MAX_NICKNAME)
    return cleaned


def join(ws: wss.Workspace, join_code: str, nickname: str) -> tuple[Class, Member]:
    """Put the workspace into the class the code names, under `nickname` (unique in the class, any case).
    Joining again renames; a workspace in another class leaves it first. The class holds MNIST_LAB_CLASS_SIZE."""
    cls = find_by_join_code(join_code)
    nickname = check_nickname(nickname)
    with _locked(cls.id):
        raw = _members_raw(cls.id)
        mine = next((mid for mid, m in raw.items() if m.get("workspace") == ws.id), None)
        if any(str(m.get("nickname", "")).casefold() == nickname.casefold() for mid, m in raw.items() if mid != mine):
            raise ClassError(f"someone in this class is already called {nickname!r}", "class_nickname_taken",
                             nickname=nickname)
        if mine is None and len(raw) >= settings.class_size():
            raise ClassError(f"this class is full ({settings.class_size()} students)", "class_full",
                             limit=settings.class_size())
        mid = mine or secrets.token_hex(4)
        while mine is None and mid in raw:
            mid = secrets.token_hex(4)
        joined = raw.get(mid, {}).get("joined", time.time())
        raw[mid] = {"workspace": ws.id, "nickname": nickname, "joined": joined}
        write_json(cls.folder / "members.json", raw)
    previous = class_of(ws)
    if previous is not None and previous.id != cls.id:
        leave(ws)
    ws.set_setting("class", {"id": cls.id, "member": mid})
    return cls, Member(mid, ws.id, nickname, joined)


def leave(ws: wss.Workspace) -> None:
    """Take the workspace out of its class (nothing happens to its runs); no class: nothing to do."""
    mine = ws.settings().get("class")
    if isinstance(mine, dict) and CLASS_ID.fullmatch(str(mine.get("id", ""))):
        class_id = mine["id"]
        if (_root() / class_id / "class.json").is_file():
            with _locked(class_id):
                raw = _members_raw(class_id)
                kept = {mid: m for mid, m in raw.items() if m.get("workspace") != ws.id}
                if kept != raw:
                    write_json(_root() / class_id / "members.json", kept)
    if "class" in ws.settings():
        ws.set_setting("class", None)


def class_of(ws: wss.Workspace) -> Class | None:
    """The class this workspace belongs to (None when none, or when the class no longer lists it)."""
    found = membership(ws)
    return found[0] if found else None


def membership(ws: wss.Workspace) -> tuple[Class, Member] | None:
    mine = ws.settings().get("class")
    if not isinstance(mine, dict):
        return None
    try:
        cls = get(str(mine.get("id", "")))
    except ClassError:
        return None
    found = member(cls, str(mine.get("member", "")))
    return (cls, found) if found is not None and found.workspace == ws.id else None


# ---- the teacher's setup ----------------------------------------------------------------------------------

def pin_setup(cls: Class, setup: str | None, locked: list[str] | tuple[str, ...] = ()) -> Class:
    """Pin a setup text (checked: ConfigError if it is not one) with the controls students may not change;
    None unpins (and unlocks). Returns the class as it is now."""
    if setup is not None:
        from_setup(setup)
    bad = [f for f in locked if f not in LOCKABLE]
    if bad:
        raise ClassError(f"cannot lock {', '.join(bad)}; lockable: {', '.join(LOCKABLE)}", "class_lock_bad",
                         names=", ".join(bad))
    with _locked(cls.id):
        record = read_json(cls.folder / "class.json")
        record["pinned"] = setup
        record["locked"] = list(dict.fromkeys(locked)) if setup is not None else []
        write_json(cls.folder / "class.json", record)
    return _from_record(record)
