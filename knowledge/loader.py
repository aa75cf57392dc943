"""Load the reviewed knowledge files (knowledge/data/*.yaml) into the database.

Used by the data migration (with the historical models) and by `manage.py load_knowledge`. It
updates rows by slug and replaces each muscle's trigger points, referrals, factor links and
mimicked conditions with what the files say, so the files stay the reviewed record.
"""

from pathlib import Path
from typing import Any

import yaml
from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import ProtectedError

DATA_DIR = Path(__file__).resolve().parent / "data"
MUSCLE_FILES = ("muscles_trunk_thigh.yaml", "muscles_leg_foot.yaml")


class KnowledgeDataError(ValueError):
    """The data files contradict themselves: an unknown slug, a muscle with no essential zone."""


def read_data(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    vocabulary = yaml.safe_load((data_dir / "vocabulary.yaml").read_text(encoding="utf-8"))
    muscles: list[dict] = []
    for name in MUSCLE_FILES:
        muscles.extend(yaml.safe_load((data_dir / name).read_text(encoding="utf-8")) or [])
    vocabulary["muscles"] = muscles
    check_data(vocabulary)
    return vocabulary


def check_data(data: dict[str, Any]) -> None:
    """Refuse files whose references do not resolve; say every problem at once."""
    zones = {zone["slug"] for zone in data["zones"]}
    factors = {factor["slug"] for factor in data["factors"]}
    sources = {source["key"] for source in data["sources"]}
    problems = []
    seen = set()
    for muscle in data["muscles"]:
        slug = muscle["slug"]
        if slug in seen:
            problems.append(f"{slug}: listed twice")
        seen.add(slug)
        essential = [z for tp in muscle["trigger_points"] for z in tp.get("essential") or []]
        if not essential:
            problems.append(f"{slug}: no essential referral zone")
        for tp in muscle["trigger_points"]:
            for zone in (tp.get("essential") or []) + (tp.get("spillover") or []):
                if zone not in zones:
                    problems.append(f"{slug} {tp['label']}: unknown zone {zone!r}")
        for link in muscle.get("factors") or []:
            if link["slug"] not in factors:
                problems.append(f"{slug}: unknown factor {link['slug']!r}")
            if link["source"] not in sources:
                problems.append(f"{slug}: unknown source {link['source']!r}")
            if not 0 <= float(link["weight"]) <= 1:
                problems.append(f"{slug}: weight of {link['slug']} outside 0-1")
        for key in muscle.get("sources") or []:
            if key not in sources:
                problems.append(f"{slug}: unknown source {key!r}")
        for mimic in muscle.get("mimics") or []:
            if mimic.get("condition") and mimic["condition"] not in factors:
                problems.append(f"{slug}: unknown condition {mimic['condition']!r}")
    if problems:
        raise KnowledgeDataError("; ".join(problems))


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def snomed_fields(zone_model, item: dict) -> dict[str, str]:
    """A zone's SNOMED CT code and term from the data files, for a model that has them.

    The data migration that loads the content runs before the migration adding the columns.
    """
    names = {field.name for field in zone_model._meta.get_fields()}
    if "snomed_code" not in names:
        return {}
    return {
        "snomed_code": _text(item.get("snomed_code")),
        "snomed_display": _text(item.get("snomed_display")),
    }


@transaction.atomic
def load_knowledge(apps=global_apps, data_dir: Path = DATA_DIR) -> dict[str, int]:
    data = read_data(data_dir)
    model = apps.get_model
    Source = model("knowledge", "Source")
    Zone = model("knowledge", "Zone")
    Factor = model("knowledge", "Factor")
    RedFlag = model("knowledge", "RedFlag")
    EngineWeight = model("knowledge", "EngineWeight")
    Muscle = model("knowledge", "Muscle")
    TriggerPoint = model("knowledge", "TriggerPoint")
    Referral = model("knowledge", "Referral")
    MuscleFactor = model("knowledge", "MuscleFactor")
    MimickedCondition = model("knowledge", "MimickedCondition")

    sources = {}
    for item in data["sources"]:
        sources[item["key"]], _ = Source.objects.update_or_create(
            key=item["key"],
            defaults={
                "title": _text(item.get("title")),
                "kind": item.get("kind", "web"),
                "author": _text(item.get("author")),
                "year": item.get("year"),
                "volume": _text(item.get("volume")),
                "chapter": _text(item.get("chapter")),
                "pages": _text(item.get("pages")),
                "url": _text(item.get("url")),
                "note": _text(item.get("note")),
            },
        )
    zones = {}
    for position, item in enumerate(data["zones"]):
        zones[item["slug"]], _ = Zone.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "area": item["area"],
                "view": item["view"],
                "description": _text(item.get("description")),
                "position": position,
                **snomed_fields(Zone, item),
            },
        )
    factors = {}
    for position, item in enumerate(data["factors"]):
        factors[item["slug"]], _ = Factor.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "kind": item["kind"],
                "hint": _text(item.get("hint")),
                "position": position,
            },
        )
    for position, item in enumerate(data["red_flags"]):
        RedFlag.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "question": item["question"],
                "level": item["level"],
                "message": _text(item["message"]),
                "position": position,
            },
        )
    for item in data.get("engine_weights") or []:
        EngineWeight.objects.update_or_create(
            key=item["key"],
            defaults={"value": float(item["value"]), "description": _text(item["description"])},
        )
    for item in data["muscles"]:
        muscle, _ = Muscle.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "other_names": ", ".join(item.get("other_names") or []),
                "region": item["region"],
                "description": _text(item["description"]),
                "locating": _text(item["locating"]),
                "self_care": _text(item["self_care"]),
                "symptoms": "\n".join(_text(s) for s in item.get("symptoms") or []),
                "confidence": item.get("confidence", "high"),
                "confidence_note": _text(item.get("confidence_note")),
                "ts_ref": _text(item["ts_ref"]),
            },
        )
        muscle.sources.set([sources[key] for key in item.get("sources") or []])
        # Trigger points are matched by label and updated in place: session findings refer
        # to them. One the files no longer list is removed, or emptied if a record cites it.
        labels = [tp["label"] for tp in item["trigger_points"]]
        for stale in TriggerPoint.objects.filter(muscle=muscle).exclude(label__in=labels):
            try:
                with transaction.atomic():
                    stale.delete()
            except ProtectedError:
                # Kept for the records that cite it, but it no longer refers pain anywhere.
                Referral.objects.filter(trigger_point=stale).delete()
        for position, tp in enumerate(item["trigger_points"]):
            trigger_point, _ = TriggerPoint.objects.update_or_create(
                muscle=muscle,
                label=tp["label"],
                defaults={"location": _text(tp["location"]), "position": position},
            )
            Referral.objects.filter(trigger_point=trigger_point).delete()
            referrals = {}
            for zone in tp.get("spillover") or []:
                referrals[zone] = "spillover"
            for zone in tp.get("essential") or []:
                referrals[zone] = "essential"
            Referral.objects.bulk_create(
                Referral(trigger_point=trigger_point, zone=zones[zone], kind=kind)
                for zone, kind in referrals.items()
            )
        MuscleFactor.objects.filter(muscle=muscle).delete()
        MuscleFactor.objects.bulk_create(
            MuscleFactor(
                muscle=muscle,
                factor=factors[link["slug"]],
                weight=float(link["weight"]),
                note=_text(link.get("note"))[:300],
                source=sources[link["source"]],
            )
            for link in _unique_links(item.get("factors") or [])
        )
        MimickedCondition.objects.filter(muscle=muscle).delete()
        seen = set()
        for mimic in item.get("mimics") or []:
            if mimic["name"] in seen:
                continue
            seen.add(mimic["name"])
            MimickedCondition.objects.create(
                muscle=muscle,
                name=mimic["name"][:200],
                condition=factors.get(mimic.get("condition")) if mimic.get("condition") else None,
            )
    return {
        "zones": len(zones),
        "factors": len(factors),
        "red_flags": len(data["red_flags"]),
        "muscles": len(data["muscles"]),
        "sources": len(sources),
    }


def _unique_links(links: list[dict]) -> list[dict]:
    """One link per factor: where a file lists a factor twice, the stronger link wins."""
    best: dict[str, dict] = {}
    for link in links:
        current = best.get(link["slug"])
        if current is None or float(link["weight"]) > float(current["weight"]):
            best[link["slug"]] = link
    return list(best.values())
